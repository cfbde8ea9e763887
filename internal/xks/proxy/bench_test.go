package proxy_test

import (
	"bytes"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/xks/xkstest"
)

// BenchmarkServeEncrypt is the proxy's own CPU time for one Encrypt with an
// integrity value (as KMS sends it): SigV4, parsing, the external key from
// the cache, encryption and the verifying decryption, the response. No
// network and no TLS.
func BenchmarkServeEncrypt(b *testing.B) {
	t := &testing.T{}
	e := newEnv(t, envOpts{})
	body := encryptBody(randomBytes(200), randomBytes(108), true)
	r := xkstest.Request(b, e.url+uriPrefix+"/kms/xks/v1/keys/"+keyID+"/encrypt", body, accessKeyID, secretKey, region, "", time.Time{})
	r.Host = r.URL.Host
	b.ReportAllocs()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader([]byte(body)))
		w := httptest.NewRecorder()
		e.proxy.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
