package proxy_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/xks/xkstest"
)

// TestLoad measures the proxy's latency under AWS KMS's default request
// quota for one external key store: an open-loop load of 1,800 requests
// per second (half Encrypt with an integrity value, half Decrypt, as KMS
// sends them for Encrypt/GenerateDataKey and Decrypt), over HTTPS on
// loopback, every request SigV4-signed. Latency runs from each request's
// scheduled start, so a stalled server cannot hide its queue (no
// coordinated omission). It is opt-in:
//
//	KEYHOLD_XKS_LOAD=1 go test ./internal/xks/proxy -run TestLoad -v
//
// with KEYHOLD_XKS_LOAD_RATE (default 1800) and KEYHOLD_XKS_LOAD_SECONDS
// (default 30). It fails if p99 is 10 ms or more, or any request fails.
func TestLoad(t *testing.T) {
	if os.Getenv("KEYHOLD_XKS_LOAD") == "" {
		t.Skip("set KEYHOLD_XKS_LOAD=1 to run the load measurement")
	}
	rate := envInt("KEYHOLD_XKS_LOAD_RATE", 1800)
	seconds := envInt("KEYHOLD_XKS_LOAD_SECONDS", 30)
	e := newEnv(t, envOpts{})
	tr := e.client.Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = 256
	if os.Getenv("KEYHOLD_XKS_LOAD_HTTP1") != "" {
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}

	// Ciphertexts to decrypt, made by the proxy. KMS's plaintext to the
	// proxy is its own inner ciphertext: about 200 bytes for a data key.
	pt := randomBytes(200)
	aad := randomBytes(108) // keyhold's own AAD: blob prefix + hash
	var decBodies []string
	for range 64 {
		_, b := e.do(t, call{target: "keys/" + keyID + "/encrypt", body: encryptBody(pt, aad, true)})
		decBodies = append(decBodies, decryptBody(t, b, aad))
	}
	encBody := encryptBody(pt, aad, true)

	var reqs []xkstest.LoadRequest
	for _, d := range decBodies {
		reqs = append(reqs, xkstest.LoadRequest{Path: uriPrefix + "/kms/xks/v1/keys/" + keyID + "/encrypt", Body: encBody},
			xkstest.LoadRequest{Path: uriPrefix + "/kms/xks/v1/keys/" + keyID + "/decrypt", Body: d})
	}
	// The baseline: the same load, TLS and client against a handler that
	// only reads the body and answers a fixed JSON, run just before, so
	// the machine's own noise can be told from keyhold's.
	empty := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"plaintext":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`)
	}))
	empty.EnableHTTP2 = true // as the proxy's listener
	empty.StartTLS()
	defer empty.Close()
	baseClient := empty.Client()
	baseClient.Transport.(*http.Transport).MaxIdleConnsPerHost = 256
	base := xkstest.Load(t, baseClient, empty.URL, reqs, accessKeyID, secretKey, region, rate, time.Duration(seconds)*time.Second)
	t.Logf("baseline (empty TLS handler), %d req/s offered: %v", rate, base)

	res := xkstest.Load(t, e.client, e.url, reqs, accessKeyID, secretKey, region, rate, time.Duration(seconds)*time.Second)
	t.Logf("XKS proxy handler, %d req/s offered: %v", rate, res)
	if res.Failures > 0 {
		t.Errorf("%d requests failed", res.Failures)
	}
	if p99 := res.Quantile(0.99); p99 >= 10*time.Millisecond {
		t.Errorf("p99 %v is not under 10 ms", p99)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
