package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/keyhold/keyhold/internal/bench"
)

const benchUsage = `Usage: keyhold bench [flags]
       keyhold bench --empty-server ADDR
       keyhold bench seed --data DIR --count N [flags]

Sends SigV4-signed AWS KMS requests to --endpoint (keyhold or any
KMS-compatible service) and reports requests/s, latency percentiles and
errors by code.

Closed loop (default): --concurrency requests in flight, for throughput.
Open loop (--rate N): N requests/s on a fixed schedule; each latency counts
from the request's intended send time, so a stall shows in every request it
delays (no coordinated omission). --concurrency then caps requests in
flight.

Without --key the bench creates the keys the operations need (symmetric,
signing with --signing-key-spec, HMAC_256) and leaves them in place.
Credentials: --profile from the shared credentials file, else
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN], else the
AWS_PROFILE (or default) profile of AWS_SHARED_CREDENTIALS_FILE or
~/.aws/credentials. For keyhold serve:
  AWS_SHARED_CREDENTIALS_FILE=keyhold-data/credentials keyhold bench --profile keyhold

XKS mode (--xks-path, --xks-key): drives an external key store proxy
(keyhold's --xks-listen, or any XKS proxy) the way AWS KMS does, with
Encrypt (with the integrity value) and Decrypt, signed for service
kms-xks-proxy with the key store's credential.

--keys FILE (one key id or ARN a line, e.g. from keyhold bench seed
--keys-out) spreads Encrypt, GenerateDataKey and DescribeKey over many keys:
each request takes the next key of the list (from a random start), so no
key repeats before the list is used up, and a run over a large list meets
keys the server has not used since it started. Each request is then signed
on its own.

keyhold bench seed fills the data directory of a stopped keyhold serve with
many keys (keyhold bench seed -h).

--empty-server ADDR runs, until interrupted, an HTTP server that reads each
body and returns a fixed small JSON document: the ceiling to compare
keyhold with (same net/http stack, no KMS work).

Flags:
`

type benchFlags struct {
	endpoint, region, profile string
	op, key, keys             string
	size                      int
	signingKeySpec, signAlg   string
	concurrency               int
	rate                      float64
	duration, warmup, timeout time.Duration
	json                      bool
	emptyServer               string
	xksPath, xksKey           string
}

func runBench(ctx context.Context, args []string, env *Env) error {
	if len(args) > 0 && args[0] == "seed" {
		return runSeed(ctx, args[1:], env) // seed.go
	}
	getenv := env.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var f benchFlags
	fs := newFlagSet("bench", env)
	fs.StringVar(&f.endpoint, "endpoint", "", "KMS endpoint URL (default $AWS_ENDPOINT_URL_KMS, $AWS_ENDPOINT_URL or http://"+defaultListen+")")
	fs.StringVar(&f.region, "region", "", "region to sign for (default $AWS_REGION, $AWS_DEFAULT_REGION or us-east-1)")
	fs.StringVar(&f.profile, "profile", "", "profile of the shared credentials file (default: the access key variables, else $AWS_PROFILE or default)")
	fs.StringVar(&f.op, "op", "Encrypt", "operation, or weighted mix like Encrypt=3,Decrypt=1, of: "+strings.Join(bench.OpNames(), ", "))
	fs.StringVar(&f.key, "key", "", "key id, ARN or alias for every request (default: create the keys the operations need)")
	fs.StringVar(&f.keys, "keys", "", "spread the requests over the keys in `FILE` (one key id or ARN a line; Encrypt, GenerateDataKey, DescribeKey)")
	fs.IntVar(&f.size, "size", 1024, "plaintext (Encrypt, Decrypt, ReEncrypt) or message (Sign, Verify, GenerateMac) size in bytes, 1 to 4096")
	fs.StringVar(&f.signingKeySpec, "signing-key-spec", "RSA_2048", "key spec of the key created for Sign and Verify (e.g. RSA_2048, ECC_NIST_P256)")
	fs.StringVar(&f.signAlg, "signing-algorithm", "", "signing algorithm (default: RSASSA_PSS_SHA_256 for RSA keys, ECDSA with the curve's hash for ECC keys)")
	fs.IntVar(&f.concurrency, "concurrency", 32, "requests in flight (closed loop), or the most in flight (with --rate)")
	fs.Float64Var(&f.rate, "rate", 0, "open loop: requests per second on a fixed schedule (0: closed loop)")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "measured time")
	fs.DurationVar(&f.warmup, "warmup", 2*time.Second, "unmeasured time before it")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "timeout of one request")
	fs.BoolVar(&f.json, "json", false, "print the result as one JSON object")
	fs.StringVar(&f.emptyServer, "empty-server", "", "run the empty comparison server on `ADDR` (host:port) until interrupted")
	fs.StringVar(&f.xksPath, "xks-path", "", "XKS mode: the proxy's URI path (e.g. /example/kms/xks/v1); --endpoint is then the proxy, the credentials its XKS credential, --op Encrypt and/or Decrypt")
	fs.StringVar(&f.xksKey, "xks-key", "", "XKS mode: the external key id")
	if err := parseCommand(fs, args, benchUsage); err != nil {
		return err
	}
	if f.emptyServer != "" {
		var others []string
		fs.Visit(func(fl *flag.Flag) {
			if fl.Name != "empty-server" {
				others = append(others, "--"+fl.Name)
			}
		})
		if len(others) > 0 {
			return fmt.Errorf("--empty-server takes no other flags (got %s)", strings.Join(others, ", "))
		}
		return runEmptyServer(ctx, f.emptyServer, env)
	}
	return runLoad(ctx, f, getenv, env)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func runLoad(ctx context.Context, f benchFlags, getenv func(string) string, env *Env) error {
	mix, err := bench.ParseMix(f.op)
	if err != nil {
		return fmt.Errorf("op: %w", err)
	}
	endpoint := firstNonEmpty(f.endpoint, getenv("AWS_ENDPOINT_URL_KMS"), getenv("AWS_ENDPOINT_URL"), "http://"+defaultListen)
	region := firstNonEmpty(f.region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), "us-east-1")
	work := bench.Workload{Mix: mix, Key: f.key, Size: f.size, SigningKeySpec: f.signingKeySpec, SigningAlgorithm: f.signAlg}
	cfg := bench.Config{Mix: mix, Concurrency: f.concurrency, Rate: f.rate, Warmup: f.warmup, Duration: f.duration, Drain: f.timeout}
	var errs []error
	if f.keys != "" {
		if f.xksPath != "" || f.xksKey != "" {
			return errors.New("keys: a key list is for KMS endpoints, not XKS mode")
		}
		keys, err := readKeyList(f.keys)
		if err != nil {
			return err
		}
		work.Keys = keys
		fmt.Fprintf(env.Stderr, "keyhold bench: %d keys from %s\n", len(keys), f.keys)
	}
	if err := work.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if f.timeout <= 0 {
		errs = append(errs, errors.New("timeout must be positive"))
	}
	if f.concurrency > 10000 {
		errs = append(errs, fmt.Errorf("concurrency: %d is more than 10000", f.concurrency))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	creds, credSource, err := bench.LoadCredentials(bench.CredentialsSource{Getenv: getenv, Profile: f.profile})
	if err != nil {
		return err
	}
	if f.xksPath != "" || f.xksKey != "" {
		setupCtx, cancel := context.WithTimeout(ctx, max(f.timeout, 30*time.Second))
		xt, err := bench.NewXKSTarget(setupCtx, bench.XKSConfig{Endpoint: endpoint, URIPath: f.xksPath, KeyID: f.xksKey,
			Region: region, Credentials: creds, Connections: f.concurrency, Timeout: f.timeout, Size: f.size})
		cancel()
		if err != nil {
			return fmt.Errorf("%w (endpoint %s, credentials from %s)", err, endpoint, credSource)
		}
		defer xt.Close()
		return runAndReport(ctx, f, cfg, xt, env, endpoint, region)
	}
	client, err := bench.NewClient(bench.ClientConfig{
		Endpoint: endpoint, Region: region, Credentials: creds,
		Connections: f.concurrency, Timeout: f.timeout,
	})
	if err != nil {
		return err
	}
	defer client.Close()

	setupCtx, cancel := context.WithTimeout(ctx, max(f.timeout, 30*time.Second))
	target, err := bench.Prepare(setupCtx, client, work)
	cancel()
	if err != nil {
		return fmt.Errorf("%w (endpoint %s, region %s, credentials from %s)", err, endpoint, region, credSource)
	}
	for _, k := range target.CreatedKeys {
		fmt.Fprintf(env.Stderr, "keyhold bench: created key %s (reuse it with --key)\n", k)
	}

	return runAndReport(ctx, f, cfg, target, env, endpoint, region)
}

// runAndReport runs the load on d and prints the result.
func runAndReport(ctx context.Context, f benchFlags, cfg bench.Config, d bench.Doer, env *Env, endpoint, region string) error {
	progress := isTerminal(env.Stderr)
	if progress {
		cfg.Progress = func(p bench.Progress) { printProgress(env.Stderr, p) }
	}
	res, err := bench.Run(ctx, cfg, d)
	if progress {
		io.WriteString(env.Stderr, "\r\x1b[K")
	}
	if err != nil {
		return err
	}
	if f.json {
		if err := writeBenchJSON(env.Stdout, res, endpoint, region, f.size); err != nil {
			return err
		}
	} else {
		writeBenchText(env.Stdout, res, endpoint, region, f.size)
	}
	if n := res.Total.Errors[bench.CodeNotSent]; n > 0 {
		fmt.Fprintf(env.Stderr, "keyhold bench: warning: %d requests of the schedule were never sent: the endpoint did not sustain %g requests/s\n", n, f.rate)
	}
	if res.Total.Requests == 0 {
		return errors.New("no request completed in the measured time")
	}
	if res.Total.ErrorCount() >= res.Total.Requests {
		code := bench.ErrorCodes(res.Total.Errors)[0]
		return fmt.Errorf("every request failed, e.g. %s: %s", code, res.ErrorExamples[code])
	}
	return nil
}

// isTerminal reports whether w is a terminal (a character device), where
// a live progress line is welcome; it is not written to files or pipes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func printProgress(w io.Writer, p bench.Progress) {
	phase := "measuring"
	if p.Warmup {
		phase = "warming up"
	}
	line := fmt.Sprintf("  %s %s/%s  %d requests  %.0f/s", phase,
		p.Elapsed.Truncate(time.Second), p.Length, p.Requests, p.Rate)
	if p.Errors > 0 {
		line += fmt.Sprintf("  %d errors", p.Errors)
	}
	fmt.Fprintf(w, "\r\x1b[K%s", line)
}

// ms is a duration in milliseconds, rounded to the microsecond.
func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

type benchOpJSON struct {
	Operation         string           `json:"operation"`
	Requests          int64            `json:"requests"`
	RequestsPerSecond float64          `json:"requests_per_second"`
	MeanMS            float64          `json:"mean_ms"`
	P50MS             float64          `json:"p50_ms"`
	P90MS             float64          `json:"p90_ms"`
	P99MS             float64          `json:"p99_ms"`
	P999MS            float64          `json:"p999_ms"`
	MaxMS             float64          `json:"max_ms"`
	Errors            map[string]int64 `json:"errors"`
	ErrorCount        int64            `json:"error_count"`
}

type benchJSON struct {
	Endpoint    string  `json:"endpoint"`
	Region      string  `json:"region"`
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency"`
	TargetRate  float64 `json:"target_rate,omitempty"`
	Size        int     `json:"size"`
	WarmupS     float64 `json:"warmup_s"`
	DurationS   float64 `json:"duration_s"`
	Interrupted bool    `json:"interrupted"`
	// Open loop only: how late the generator sent requests after their
	// intended time (included in the latencies).
	SendLagP50MS *float64 `json:"send_lag_p50_ms,omitempty"`
	SendLagP99MS *float64 `json:"send_lag_p99_ms,omitempty"`
	benchOpJSON
	Operations    []benchOpJSON     `json:"operations"`
	ErrorExamples map[string]string `json:"error_examples,omitempty"`
}

func opJSON(o bench.OpResult) benchOpJSON {
	return benchOpJSON{
		Operation: o.Op, Requests: o.Requests, RequestsPerSecond: o.RequestsPerSecond,
		MeanMS: ms(o.Latency.Mean), P50MS: ms(o.Latency.P50), P90MS: ms(o.Latency.P90),
		P99MS: ms(o.Latency.P99), P999MS: ms(o.Latency.P999), MaxMS: ms(o.Latency.Max),
		Errors: o.Errors, ErrorCount: o.ErrorCount(),
	}
}

func writeBenchJSON(w io.Writer, r *bench.Result, endpoint, region string, size int) error {
	out := benchJSON{
		Endpoint: endpoint, Region: region, Mode: "closed", Concurrency: r.Concurrency, TargetRate: r.TargetRate,
		Size: size, WarmupS: r.Warmup.Seconds(), DurationS: r.Elapsed.Seconds(), Interrupted: r.Interrupted,
		benchOpJSON: opJSON(r.Total), ErrorExamples: r.ErrorExamples,
	}
	if r.TargetRate > 0 {
		out.Mode = "open"
		p50, p99 := ms(r.SendLag.P50), ms(r.SendLag.P99)
		out.SendLagP50MS, out.SendLagP99MS = &p50, &p99
	}
	for _, o := range r.PerOp {
		out.Operations = append(out.Operations, opJSON(o))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func writeBenchText(w io.Writer, r *bench.Result, endpoint, region string, size int) {
	var b strings.Builder
	fmt.Fprintf(&b, "keyhold bench: %s, %d-byte payload, %s (%s)\n", r.Mix, size, endpoint, region)
	if r.TargetRate > 0 {
		fmt.Fprintf(&b, "open loop at %g requests/s, at most %d in flight; ", r.TargetRate, r.Concurrency)
	} else {
		fmt.Fprintf(&b, "closed loop, %d in flight; ", r.Concurrency)
	}
	fmt.Fprintf(&b, "%s warm-up, then measured for %.2fs", r.Warmup, r.Elapsed.Seconds())
	if r.Interrupted {
		b.WriteString(" (interrupted)")
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "%-16s %10s %10s %8s %8s %8s %9s %9s %8s\n", "operation", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors")
	row := func(o bench.OpResult) {
		l := o.Latency
		fmt.Fprintf(&b, "%-16s %10d %10.1f %8.3f %8.3f %8.3f %9.3f %9.3f %8d\n", o.Op, o.Requests, o.RequestsPerSecond,
			ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max), o.ErrorCount())
	}
	for _, o := range r.PerOp {
		row(o)
	}
	if len(r.PerOp) > 1 {
		t := r.Total
		t.Op = "total"
		row(t)
	}
	if r.TargetRate > 0 {
		fmt.Fprintf(&b, "\nsend lag (intended → sent, included above): p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
			ms(r.SendLag.P50), ms(r.SendLag.P99), ms(r.SendLag.Max))
	}
	if len(r.Total.Errors) > 0 {
		b.WriteString("\nerrors by code:\n")
		for _, code := range bench.ErrorCodes(r.Total.Errors) {
			fmt.Fprintf(&b, "  %-32s %8d", code, r.Total.Errors[code])
			if msg := r.ErrorExamples[code]; msg != "" {
				fmt.Fprintf(&b, "  e.g. %s", strconv.Quote(truncate(msg, 160)))
			}
			b.WriteString("\n")
		}
	}
	io.WriteString(w, b.String())
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// runEmptyServer serves bench.EmptyHandler on addr, with the API
// listener's settings, until ctx is canceled.
func runEmptyServer(ctx context.Context, addr string, env *Env) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("empty server: %w", err)
	}
	srv := &http.Server{
		Handler:           bench.EmptyHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	fmt.Fprintf(env.Stderr, "keyhold bench: empty server on http://%s until interrupted\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- serveHTTP(srv, ln) }()
	if env.Listening != nil {
		env.Listening(ln.Addr().String(), "")
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("empty server: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// readKeyList reads the file of --keys.
func readKeyList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer f.Close()
	keys, err := bench.ReadKeyList(f)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}
	return keys, nil
}
