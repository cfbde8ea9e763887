package cli_test

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// TestAdminEndpoints: /healthz, /readyz and /metrics on the admin listener
// reflect real calls.
func TestAdminEndpoints(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	c := ts.client(region, id, secret)
	k := must2(t)(c.CreateKey(ctx, &kms.CreateKeyInput{})).(*kms.CreateKeyOutput)
	must2(t)(c.Encrypt(ctx, &kms.EncryptInput{KeyId: k.KeyMetadata.KeyId, Plaintext: []byte("x")}))
	_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/none")})
	wantAPIError(t, err, "NotFoundException", "")

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + ts.Admin + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if code, body := get("/readyz"); code != 200 || body != "ready\n" {
		t.Fatalf("/readyz: %d %q", code, body)
	}
	code, body := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`keyhold_requests_total{code="",operation="Encrypt",service="kms"} 1`,
		`keyhold_requests_total{code="",operation="CreateKey",service="kms"} 1`,
		`keyhold_requests_total{code="NotFoundException",operation="DescribeKey",service="kms"} 1`,
		`keyhold_request_duration_seconds_count{operation="Encrypt",service="kms"} 1`,
		`keyhold_keys{key_spec="SYMMETRIC_DEFAULT",state="Enabled"} 1`,
		`keyhold_crypto_boundary_duration_seconds_count{method="Encrypt"} 1`,
		`keyhold_store_duration_seconds_count{method="CreateKey"} 1`,
		`keyhold_audit_writable 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := get("/debug/pprof/"); code != 200 {
		t.Errorf("/debug/pprof/: %d", code)
	}
}
