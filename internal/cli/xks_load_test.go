package cli_test

import (
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/xks"
	"github.com/keyhold/keyhold/internal/xks/xkstest"
)

// TestXKSLoad measures a whole `keyhold serve --xks-listen` (TLS listener,
// SigV4, audit trail with its group-committed fsync, metrics, request log)
// at AWS KMS's default quota for one external key store: 1,800 requests
// per second, half Encrypt with an integrity value and half Decrypt, open
// loop, latency from each request's scheduled start. Opt-in:
//
//	KEYHOLD_XKS_LOAD=1 go test ./internal/cli -run TestXKSLoad -v
//
// with KEYHOLD_XKS_LOAD_RATE (default 1800), KEYHOLD_XKS_LOAD_SECONDS
// (default 30) and KEYHOLD_XKS_LOAD_AUDIT (durable, the default, or
// buffered: see xks.audit in docs/xks.md). It fails if p99 is 10 ms or more, or a request fails. The
// load generator runs in the same process, so it competes for the CPUs.
func TestXKSLoad(t *testing.T) {
	if os.Getenv("KEYHOLD_XKS_LOAD") == "" {
		t.Skip("set KEYHOLD_XKS_LOAD=1 to run the load measurement")
	}
	rate, _ := strconv.Atoi(os.Getenv("KEYHOLD_XKS_LOAD_RATE"))
	if rate <= 0 {
		rate = 1800
	}
	seconds, _ := strconv.Atoi(os.Getenv("KEYHOLD_XKS_LOAD_SECONDS"))
	if seconds <= 0 {
		seconds = 30
	}
	auditMode := os.Getenv("KEYHOLD_XKS_LOAD_AUDIT") // durable (default) or buffered
	if auditMode == "" {
		auditMode = "durable"
	}
	dir := t.TempDir()
	ca := xkstest.NewCA(t, dir, "load")
	certFile, keyFile := ca.Issue(xkstest.Leaf{Name: "proxy", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	cfg := filepath.Join(dir, "b.yaml")
	writeFile(t, cfg, `
xks:
  audit: `+auditMode+`
  tls:
    cert_file: `+certFile+`
    key_file: `+keyFile+`
  key_stores:
    - name: load
      prefix: /load
      credentials:
        - access_key_id: `+e2eAKID+`
          secret_access_key: `+e2eSecret+`
      keys:
        - id: k1
`)
	// The server logs every call (info) to a file, as it would to a log
	// collector's pipe.
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	_, addr := startWithXKSLog(t, filepath.Join(dir, "b"), logFile, "--config", cfg, "--xks-listen", "127.0.0.1:0", "--log-level", "info")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 256}}
	base := "https://" + addr

	md := &xks.RequestMetadata{KMSRequestID: "4112f4d6-db54-4af4-ae30-c55a22a8dfae", KMSOperation: "Encrypt",
		AWSPrincipalARN: "arn:aws:iam::111122223333:role/app", KMSKeyARN: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
	pt, aad := make([]byte, 200), make([]byte, 108) // a data key's inner blob; keyhold's AAD
	rand.Read(pt)
	rand.Read(aad)
	enc := xkstest.EncryptBody(md, pt, aad, true)
	var reqs []xkstest.LoadRequest
	for range 32 {
		r := xkstest.Request(t, base+"/load/kms/xks/v1/keys/k1/encrypt", enc, e2eAKID, e2eSecret, region, "", time.Time{})
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		dmd := *md
		dmd.KMSOperation = "Decrypt"
		dec, err := xkstest.DecryptBody(&dmd, string(b), aad)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("warm-up encrypt: %d %s", resp.StatusCode, b)
		}
		reqs = append(reqs, xkstest.LoadRequest{Path: "/load/kms/xks/v1/keys/k1/encrypt", Body: enc},
			xkstest.LoadRequest{Path: "/load/kms/xks/v1/keys/k1/decrypt", Body: dec})
	}
	res := xkstest.Load(t, client, base, reqs, e2eAKID, e2eSecret, region, rate, time.Duration(seconds)*time.Second)
	t.Logf("keyhold serve --xks-listen (audit %s), %d req/s offered: %v", auditMode, rate, res)
	if res.Failures > 0 {
		t.Errorf("%d requests failed", res.Failures)
	}
	if p99 := res.Quantile(0.99); p99 >= 10*time.Millisecond {
		t.Errorf("p99 %v is not under 10 ms", p99)
	}
}
