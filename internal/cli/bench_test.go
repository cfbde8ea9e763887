package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/bench"
	"github.com/keyhold/keyhold/internal/cli"
)

// benchOutput is the part of `keyhold bench --json` the tests read.
type benchOutput struct {
	Mode              string            `json:"mode"`
	Concurrency       int               `json:"concurrency"`
	TargetRate        float64           `json:"target_rate"`
	DurationS         float64           `json:"duration_s"`
	Requests          int64             `json:"requests"`
	RequestsPerSecond float64           `json:"requests_per_second"`
	P50MS             float64           `json:"p50_ms"`
	P90MS             float64           `json:"p90_ms"`
	P99MS             float64           `json:"p99_ms"`
	P999MS            float64           `json:"p999_ms"`
	MaxMS             float64           `json:"max_ms"`
	SendLagP99MS      *float64          `json:"send_lag_p99_ms"`
	Errors            map[string]int64  `json:"errors"`
	ErrorCount        int64             `json:"error_count"`
	ErrorExamples     map[string]string `json:"error_examples"`
	Operations        []struct {
		Operation string           `json:"operation"`
		Requests  int64            `json:"requests"`
		P50MS     float64          `json:"p50_ms"`
		P99MS     float64          `json:"p99_ms"`
		Errors    map[string]int64 `json:"errors"`
	} `json:"operations"`
}

// runBench runs `keyhold bench args...` with the environment env and
// returns its exit code, standard output and standard error.
func runBench(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), append([]string{"bench"}, args...), &cli.Env{
		Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] },
	})
	return code, stdout.String(), stderr.String()
}

func decodeBench(t *testing.T, stdout string) benchOutput {
	t.Helper()
	var out benchOutput
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("bench --json printed %q: %v", stdout, err)
	}
	if dec.More() {
		t.Fatalf("bench --json printed more than one object: %q", stdout)
	}
	return out
}

// checkRun checks a successful run: requests, no errors, ordered
// percentiles, a count per operation.
func checkRun(t *testing.T, out benchOutput, ops ...string) {
	t.Helper()
	if out.Requests == 0 || out.RequestsPerSecond <= 0 {
		t.Errorf("requests %d, requests/s %g", out.Requests, out.RequestsPerSecond)
	}
	if out.ErrorCount != 0 || len(out.Errors) != 0 || out.Errors == nil {
		t.Errorf("errors %v (%d): %v", out.Errors, out.ErrorCount, out.ErrorExamples)
	}
	if !(0 < out.P50MS && out.P50MS <= out.P90MS && out.P90MS <= out.P99MS && out.P99MS <= out.P999MS && out.P999MS <= out.MaxMS) {
		t.Errorf("percentiles out of order: p50 %g p90 %g p99 %g p99.9 %g max %g", out.P50MS, out.P90MS, out.P99MS, out.P999MS, out.MaxMS)
	}
	if len(out.Operations) != len(ops) {
		t.Fatalf("operations %+v, want %v", out.Operations, ops)
	}
	var sum int64
	for i, op := range out.Operations {
		if op.Operation != ops[i] || op.Requests == 0 || len(op.Errors) != 0 {
			t.Errorf("operation %d: %+v, want %s with requests and no errors", i, op, ops[i])
		}
		sum += op.Requests
	}
	if sum != out.Requests {
		t.Errorf("operations add up to %d requests, total %d", sum, out.Requests)
	}
}

var devCreds = map[string]string{"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

// TestBenchDev runs the bench against `keyhold dev`: a closed-loop mix of
// every symmetric operation, then an open-loop run.
func TestBenchDev(t *testing.T) {
	ts := startServer(t, "dev", "", "--log-level", "warn")
	endpoint := "http://" + ts.API

	code, stdout, stderr := runBench(t, devCreds, "--endpoint", endpoint, "--json", "--concurrency", "4",
		"--warmup", "200ms", "--duration", "1s", "--op", "Encrypt=3,Decrypt=1,GenerateDataKey=1,ReEncrypt=1,DescribeKey=1")
	if code != 0 {
		t.Fatalf("bench exited %d:\n%s", code, stderr)
	}
	out := decodeBench(t, stdout)
	checkRun(t, out, "Encrypt", "Decrypt", "GenerateDataKey", "ReEncrypt", "DescribeKey")
	if out.Mode != "closed" || out.Concurrency != 4 || out.DurationS != 1 {
		t.Errorf("mode %q concurrency %d duration %g", out.Mode, out.Concurrency, out.DurationS)
	}
	if enc, dec := out.Operations[0].Requests, out.Operations[1].Requests; enc < 2*dec {
		t.Errorf("Encrypt %d, Decrypt %d: the 3:1 weights were not followed", enc, dec)
	}
	if !strings.Contains(stderr, "keyhold bench: created key ") {
		t.Errorf("stderr does not name the created key:\n%s", stderr)
	}
	if strings.Contains(stderr, "\r") {
		t.Errorf("progress line written to a non-terminal:\n%q", stderr)
	}

	// Open loop at a modest rate: the schedule is kept, the send lag shown.
	code, stdout, stderr = runBench(t, devCreds, "--endpoint", endpoint, "--json", "--rate", "200",
		"--warmup", "100ms", "--duration", "1s", "--op", "Encrypt", "--size", "64")
	if code != 0 {
		t.Fatalf("bench --rate exited %d:\n%s", code, stderr)
	}
	out = decodeBench(t, stdout)
	checkRun(t, out, "Encrypt")
	if out.Mode != "open" || out.TargetRate != 200 || out.Requests < 190 || out.Requests > 201 || out.SendLagP99MS == nil {
		t.Errorf("open loop: mode %q rate %g requests %d send lag %v", out.Mode, out.TargetRate, out.Requests, out.SendLagP99MS)
	}

	// The human-readable form.
	code, stdout, stderr = runBench(t, devCreds, "--endpoint", endpoint, "--duration", "300ms", "--warmup", "0s", "--op", "DescribeKey")
	if code != 0 {
		t.Fatalf("bench exited %d:\n%s", code, stderr)
	}
	for _, want := range []string{"DescribeKey", "closed loop, 32 in flight", "p99 ms", "p99.9 ms"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestBenchServeProfile runs the bench against `keyhold serve`, with SigV4
// signatures checked and credentials from the credentials file it wrote.
func TestBenchServeProfile(t *testing.T) {
	data := filepath.Join(t.TempDir(), "keyhold-data")
	ts := startServer(t, "serve", data, "--log-level", "warn")
	env := map[string]string{"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(data, "credentials")}
	code, stdout, stderr := runBench(t, env, "--endpoint", "http://"+ts.API, "--profile", "keyhold", "--json",
		"--concurrency", "2", "--warmup", "0s", "--duration", "500ms", "--op", "Encrypt,Decrypt")
	if code != 0 {
		t.Fatalf("bench exited %d:\n%s", code, stderr)
	}
	checkRun(t, decodeBench(t, stdout), "Encrypt", "Decrypt")

	// A wrong secret: every request fails, by code, and the exit status
	// says so.
	code, _, stderr = runBench(t, map[string]string{"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wrong"},
		"--endpoint", "http://"+ts.API, "--key", "alias/any", "--duration", "200ms", "--warmup", "0s")
	if code != 1 || !strings.Contains(stderr, "every request failed, e.g. UnrecognizedClientException") {
		t.Errorf("bench with a wrong key exited %d:\n%s", code, stderr)
	}
}

// TestBenchEmptyServer runs `keyhold bench --empty-server` in-process and
// the same bench command against it.
func TestBenchEmptyServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	done := make(chan int, 1)
	var stderr syncBuffer
	go func() {
		done <- cli.Main(ctx, []string{"bench", "--empty-server", "127.0.0.1:0"}, &cli.Env{
			Stdout: &stderr, Stderr: &stderr, Getenv: func(string) string { return "" },
			Listening: func(api, _ string) { addr <- api },
		})
	}()
	var endpoint string
	select {
	case a := <-addr:
		endpoint = "http://" + a
	case code := <-done:
		t.Fatalf("empty server exited %d:\n%s", code, stderr.Bytes())
	case <-time.After(10 * time.Second):
		t.Fatal("empty server did not start")
	}
	for _, op := range []string{"Encrypt", "Decrypt", "Sign,Verify,GenerateMac"} {
		code, stdout, errOut := runBench(t, devCreds, "--endpoint", endpoint, "--json", "--concurrency", "4",
			"--warmup", "100ms", "--duration", "500ms", "--op", op)
		if code != 0 {
			t.Fatalf("bench %s against the empty server exited %d:\n%s", op, code, errOut)
		}
		checkRun(t, decodeBench(t, stdout), strings.Split(op, ",")...)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("empty server exited %d:\n%s", code, stderr.Bytes())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("empty server did not stop")
	}
	if !strings.Contains(string(stderr.Bytes()), "empty server on http://127.0.0.1:") {
		t.Errorf("empty server did not say where it listens:\n%s", stderr.Bytes())
	}
}

// TestBenchErrorsByCode sends requests for a key that does not exist: each
// is counted under the service's error code, per operation.
func TestBenchErrorsByCode(t *testing.T) {
	ts := startServer(t, "dev", "", "--log-level", "warn")
	const missing = "11111111-2222-4333-8444-555555555555"
	code, stdout, stderr := runBench(t, devCreds, "--endpoint", "http://"+ts.API, "--json", "--concurrency", "2",
		"--warmup", "0s", "--duration", "500ms", "--op", "Encrypt,DescribeKey", "--key", missing)
	if code != 1 || !strings.Contains(stderr, "every request failed, e.g. NotFoundException") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	out := decodeBench(t, stdout)
	if out.Requests == 0 || out.ErrorCount != out.Requests || out.Errors["NotFoundException"] != out.Requests || len(out.Errors) != 1 {
		t.Fatalf("requests %d, errors %v (%d)", out.Requests, out.Errors, out.ErrorCount)
	}
	for _, op := range out.Operations {
		if op.Errors["NotFoundException"] != op.Requests || op.Requests == 0 {
			t.Errorf("%s: %d requests, errors %v", op.Operation, op.Requests, op.Errors)
		}
	}
	if !strings.Contains(out.ErrorExamples["NotFoundException"], missing) {
		t.Errorf("example message %q does not name the key", out.ErrorExamples["NotFoundException"])
	}

	// Decrypt needs a ciphertext under the key first: the set-up fails
	// with the service's error before any load is sent.
	code, _, stderr = runBench(t, devCreds, "--endpoint", "http://"+ts.API, "--op", "Decrypt", "--key", missing, "--duration", "1s")
	if code != 1 || !strings.Contains(stderr, "making a ciphertext for Decrypt: Encrypt: NotFoundException") {
		t.Errorf("Decrypt with a missing key: exit %d:\n%s", code, stderr)
	}
}

func TestBenchFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown operation", []string{"--op", "Encrypt,ListAliases"}, devCreds, `unknown operation "ListAliases"`},
		{"bad weight", []string{"--op", "Encrypt=0"}, devCreds, "weight of Encrypt"},
		{"size", []string{"--size", "5000"}, devCreds, "size: 5000 is not from 1 to 4096"},
		{"one key, two kinds", []string{"--op", "Encrypt,Sign", "--key", "k"}, devCreds, "needs keys of different kinds"},
		{"concurrency", []string{"--concurrency", "0"}, devCreds, "concurrency must be at least 1"},
		{"timeout", []string{"--timeout", "0s"}, devCreds, "timeout must be positive"},
		{"endpoint", []string{"--endpoint", "127.0.0.1:4599"}, devCreds, "is not an http:// or https:// URL"},
		{"no credentials", []string{"--endpoint", "http://127.0.0.1:1"}, map[string]string{}, "no credentials"},
		{"missing profile", []string{"--profile", "nope"}, map[string]string{"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none")}, "does not exist"},
		{"empty server with load flags", []string{"--empty-server", "127.0.0.1:0", "--op", "Encrypt"}, nil, "--empty-server takes no other flags (got --op)"},
		{"argument", []string{"Encrypt"}, nil, `unexpected argument "Encrypt"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runBench(t, tt.env, tt.args...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant it to contain %q", code, stderr, tt.want)
			}
		})
	}
	if code, _, stderr := runBench(t, nil, "-h"); code != 0 || !strings.Contains(stderr, "--empty-server ADDR") || !strings.Contains(stderr, "coordinated omission") {
		t.Errorf("bench -h: exit %d:\n%s", code, stderr)
	}
}

// BenchmarkServeEncrypt runs Encrypt (1 KiB) through the whole stack of
// `keyhold serve` (HTTP, SigV4, decode, service, store, crypto boundary)
// with 32 requests in flight from the bench's own client, in one process.
// Its CPU profile is the server's hot path (focus on ServeHTTP):
//
//	go test -run '^$' -bench ServeEncrypt -benchtime 40000x -cpuprofile cpu.out ./internal/cli/
//	go tool pprof -top -cum -focus 'awsapi.*ServeHTTP' cpu.out
func BenchmarkServeEncrypt(b *testing.B) {
	data := filepath.Join(b.TempDir(), "keyhold-data")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var log syncBuffer
	go func() {
		done <- cli.Main(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--log-level", "warn", "--data", data},
			&cli.Env{Stdout: &log, Stderr: &log, Getenv: func(string) string { return "" }, Listening: func(api, _ string) { ready <- api }})
	}()
	var api string
	select {
	case api = <-ready:
	case <-done:
		b.Fatalf("keyhold serve exited:\n%s", log.Bytes())
	}
	defer func() { cancel(); <-done }()

	creds, _, err := bench.LoadCredentials(bench.CredentialsSource{Profile: "keyhold",
		Getenv: func(k string) string {
			if k == "AWS_SHARED_CREDENTIALS_FILE" {
				return filepath.Join(data, "credentials")
			}
			return ""
		}})
	if err != nil {
		b.Fatal(err)
	}
	const conc = 32
	client, err := bench.NewClient(bench.ClientConfig{Endpoint: "http://" + api, Region: "us-east-1", Credentials: creds, Connections: conc})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	mix := bench.Mix{{Op: bench.Encrypt, Weight: 1}}
	target, err := bench.Prepare(ctx, client, bench.Workload{Mix: mix, Size: 1024})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	res, err := bench.Run(ctx, bench.Config{Mix: mix, Concurrency: conc, MaxRequests: int64(b.N)}, target)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if n := res.Total.ErrorCount(); n > 0 {
		b.Fatalf("%d errors: %v %v", n, res.Total.Errors, res.ErrorExamples)
	}
	b.ReportMetric(res.Total.RequestsPerSecond, "req/s")
	b.ReportMetric(float64(res.Total.Latency.P99.Microseconds())/1000, "p99-ms")
}
