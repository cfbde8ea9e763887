package cli_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
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
	// Three calls, three events, made durable by at least one fsync each
	// batch (they came one after the other).
	events, ok1 := metricValue(t, body, "keyhold_audit_events_written_total")
	syncs, ok2 := metricValue(t, body, "keyhold_audit_sync_seconds_count")
	if !ok1 || !ok2 || events != 3 || syncs < 1 || syncs > events {
		t.Errorf("audit events written %v (%v), syncs %v (%v): want 3 events in 1 to 3 syncs", events, ok1, syncs, ok2)
	}
	if code, _ := get("/debug/pprof/"); code != 200 {
		t.Errorf("/debug/pprof/: %d", code)
	}
}

// scrapeMetrics returns the admin listener's /metrics.
func scrapeMetrics(t *testing.T, ts *testServer) string {
	t.Helper()
	resp, err := http.Get("http://" + ts.Admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// metricValue returns the value of the unlabelled metric name in a
// /metrics body, and whether it is there.
func metricValue(t *testing.T, body, name string) (float64, bool) {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f, true
		}
	}
	return 0, false
}

// importExpiring creates an EXTERNAL key and imports 256-bit material
// wrapped with RSAES_OAEP_SHA_256, with ExpirationModel
// KEY_MATERIAL_EXPIRES and validTo.
func importExpiring(t *testing.T, c *kms.Client, validTo time.Time) {
	t.Helper()
	k := must2(t)(c.CreateKey(ctx, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})).(*kms.CreateKeyOutput)
	p := must2(t)(c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{
		KeyId: k.KeyMetadata.KeyId, WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256, WrappingKeySpec: types.WrappingKeySpecRsa2048,
	})).(*kms.GetParametersForImportOutput)
	pub, err := x509.ParsePKIXPublicKey(p.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	material := make([]byte, 32)
	rand.Read(material)
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), material, nil)
	if err != nil {
		t.Fatal(err)
	}
	must2(t)(c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{
		KeyId: k.KeyMetadata.KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapped,
		ExpirationModel: types.ExpirationModelTypeKeyMaterialExpires, ValidTo: aws.Time(validTo),
	}))
}

// TestImportedKeyMaterialExpiryMetric: keyhold_imported_key_material_expiry_seconds
// is absent until expiring material is imported, then gives the seconds
// until the soonest expiry; keyhold_imported_key_materials_expiring_7d
// counts only the materials expiring within 7 days.
func TestImportedKeyMaterialExpiryMetric(t *testing.T) {
	const (
		expiry   = "keyhold_imported_key_material_expiry_seconds"
		expiring = "keyhold_imported_key_materials_expiring_7d"
	)
	data := filepath.Join(t.TempDir(), "data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	c := ts.client(region, id, secret)
	if v, ok := metricValue(t, scrapeMetrics(t, ts), expiry); ok {
		t.Errorf("%s = %v before any import, want it absent", expiry, v)
	}

	// Material that expires in 30 days, outside the 7-day window.
	importExpiring(t, c, time.Now().Add(30*24*time.Hour))
	body := scrapeMetrics(t, ts)
	month := float64(30 * 24 * 3600)
	if v, ok := metricValue(t, body, expiry); !ok || math.Abs(v-month) > 10 {
		t.Errorf("%s after a 30-day import = %v (present %v), want about %v", expiry, v, ok, month)
	}
	if v, ok := metricValue(t, body, expiring); !ok || v != 0 {
		t.Errorf("%s = %v (present %v), want 0", expiring, v, ok)
	}

	// An EXTERNAL key waiting for its material changes nothing.
	must2(t)(c.CreateKey(ctx, &kms.CreateKeyInput{Origin: types.OriginTypeExternal}))
	if v, _ := metricValue(t, scrapeMetrics(t, ts), expiry); math.Abs(v-month) > 10 {
		t.Errorf("%s after creating an EXTERNAL key = %v, want about %v", expiry, v, month)
	}

	// Material that expires in an hour is now the soonest.
	importExpiring(t, c, time.Now().Add(time.Hour))
	body = scrapeMetrics(t, ts)
	if v, ok := metricValue(t, body, expiry); !ok || v > 3600 || v < 3590 {
		t.Errorf("%s after a one-hour import = %v (present %v), want within 10 s below 3600", expiry, v, ok)
	}
	if v, ok := metricValue(t, body, expiring); !ok || v != 1 {
		t.Errorf("%s = %v (present %v), want 1", expiring, v, ok)
	}
}

// TestImportedKeyMaterialExpiryMetricAbsent: with no expiring material the
// expiry gauge is not reported at all (no fake value) and the count is 0.
func TestImportedKeyMaterialExpiryMetricAbsent(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	c := ts.client(region, id, secret)
	must2(t)(c.CreateKey(ctx, &kms.CreateKeyInput{}))
	must2(t)(c.CreateKey(ctx, &kms.CreateKeyInput{Origin: types.OriginTypeExternal}))
	body := scrapeMetrics(t, ts)
	if strings.Contains(body, "keyhold_imported_key_material_expiry_seconds") {
		t.Errorf("expiry gauge reported with no expiring material")
	}
	if v, ok := metricValue(t, body, "keyhold_imported_key_materials_expiring_7d"); !ok || v != 0 {
		t.Errorf("keyhold_imported_key_materials_expiring_7d = %v (present %v), want 0", v, ok)
	}
}
