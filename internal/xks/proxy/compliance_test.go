package proxy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm/soft"
	"github.com/keyhold/keyhold/internal/store/sqlite"
	"github.com/keyhold/keyhold/internal/xks"
	"github.com/keyhold/keyhold/internal/xks/proxy"
	"github.com/keyhold/keyhold/internal/xks/xkstest"
)

// The compliance test client's defaults (aws-samples/aws-kms-xksproxy-test-
// client v1.1.0; ../shared/reference/xks-proxy-api.md §9.3).
const (
	uriPrefix       = "/example/uri/path/prefix"
	accessKeyID     = "BETWEEN2TENAND3TENCHARACTERS"
	secretKey       = "PleaseReplaceThisWithSomeSecretOfLength43To64"
	region          = "us-east-1"
	keyID           = "foo"
	encryptOnlyKey  = "encrypt_only_key"
	decryptOnlyKey  = "decrypt_only_key"
	impotentKey     = "impotent_key"
	nonExistingKey  = "non_existing_key"
	storeName       = "example"
	rotatedKeyID    = "ROTATEDCREDENTIAL2345ABCDEF"
	rotatedSecret   = "AnotherSecretForTheSecondCredential0123456789+/="
	principalARN    = "arn:aws:iam::123456789012:user/Alice"
	kmsKeyARN       = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	clientName      = "cks.kms.us-east-1.amazonaws.com"
	otherClientName = "beta.cks.kms.us-east-1.amazonaws.com"
)

// env is a keyhold XKS proxy over HTTPS on loopback (mutual TLS when asked)
// with the compliance client's four test keys.
type env struct {
	url    string
	client *http.Client
	proxy  *proxy.Server
	km     *proxy.KeyManager
	ca     *xkstest.CA
	dir    string
}

type envOpts struct {
	mtls       bool
	rule       *proxy.Rule
	maxRPS     int
	clientCert bool // present the good client certificate
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	b, err := soft.New(ctx, soft.Options{RootKeyPath: filepath.Join(dir, "root.key")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "keyhold.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); b.Close() })
	km := &proxy.KeyManager{Store: st, Boundary: b, Region: region}
	for _, k := range []struct {
		id  string
		ops proxy.Operations
	}{{keyID, proxy.Operations{Encrypt: true, Decrypt: true}}, {encryptOnlyKey, proxy.Operations{Encrypt: true}},
		{decryptOnlyKey, proxy.Operations{Decrypt: true}}, {impotentKey, proxy.Operations{}}} {
		if _, err := km.Create(ctx, storeName, k.id, k.ops); err != nil {
			t.Fatal(err)
		}
	}
	p, err := proxy.New(ctx, proxy.Config{
		KeyStores: []proxy.KeyStore{{
			Name:   storeName,
			Prefix: uriPrefix,
			Credentials: []proxy.Credential{
				{AccessKeyID: accessKeyID, Secret: secretKey},
				{AccessKeyID: rotatedKeyID, Secret: rotatedSecret},
			},
			Authorization:        o.rule,
			MaxRequestsPerSecond: o.maxRPS,
		}},
		Store:    st,
		Boundary: b,
		Region:   region,
		Version:  "test",
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}

	ca := xkstest.NewCA(t, dir, "test")
	certFile, keyFile := ca.Issue(xkstest.Leaf{Name: "proxy", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}})
	topts := proxy.TLSOptions{CertFile: certFile, KeyFile: keyFile}
	if o.mtls {
		topts.ClientCAFile = ca.CertFile
		topts.ClientNames = []string{clientName}
	}
	tc, err := proxy.TLSConfig(topts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(p)
	srv.TLS = tc
	srv.StartTLS()
	t.Cleanup(srv.Close)

	e := &env{url: srv.URL, proxy: p, km: km, ca: ca, dir: dir}
	var certs []tls.Certificate
	if o.clientCert {
		cf, kf := ca.Issue(xkstest.Leaf{Name: clientName, Client: true})
		certs = append(certs, mustKeyPair(t, cf, kf))
	}
	e.client = e.httpClient(certs)
	return e
}

func (e *env) httpClient(certs []tls.Certificate) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: e.ca.Pool(), Certificates: certs},
		ForceAttemptHTTP2: true,
	}, Timeout: 10 * time.Second}
}

func mustKeyPair(t *testing.T, certFile, keyFile string) tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// call is one request of a case.
type call struct {
	prefix, target string // target: "health" or "keys/<id>/<op>"
	body           string
	akid, secret   string
	service        string
	at             time.Time
}

// do sends c and returns the status and the body.
func (e *env) do(t *testing.T, c call) (int, string) {
	t.Helper()
	if c.prefix == "" {
		c.prefix = uriPrefix
	}
	if c.akid == "" {
		c.akid = accessKeyID
	}
	if c.secret == "" {
		c.secret = secretKey
	}
	r := xkstest.Request(t, e.url+c.prefix+"/kms/xks/v1/"+c.target, c.body, c.akid, c.secret, region, c.service, c.at)
	resp, err := e.client.Do(r)
	if err != nil {
		t.Fatalf("%s: %v", c.target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// want checks a status and an expected substring (what the compliance
// client checks) and that the body is one line of JSON.
func want(t *testing.T, what string, status int, body string, wantStatus int, substr string) {
	t.Helper()
	if status != wantStatus || !strings.Contains(body, substr) {
		t.Errorf("%s: got %d %s\nwant %d with %q", what, status, body, wantStatus, substr)
	}
	if strings.Contains(strings.TrimSpace(body), "\n") || !json.Valid([]byte(body)) {
		t.Errorf("%s: body is not one line of JSON: %q", what, body)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func healthBody(op string) string {
	return `{"requestMetadata":{"kmsRequestId":"4112f4d6-db54-4af4-ae30-c55a22a8dfae","kmsOperation":"` + op + `"}}`
}

func metadataBody(op string) string {
	return `{"requestMetadata":{"awsPrincipalArn":"` + principalARN + `","kmsKeyArn":"` + kmsKeyARN +
		`","kmsOperation":"` + op + `","kmsRequestId":"4112f4d6-db54-4af4-ae30-c55a22a8dfae","kmsViaService":"ebs"}}`
}

const cryptoMetadata = `"requestMetadata":{"awsPrincipalArn":"` + principalARN + `","kmsKeyArn":"` + kmsKeyARN +
	`","kmsOperation":"Encrypt","kmsRequestId":"4112f4d6-db54-4af4-ae30-c55a22a8dfae","kmsViaService":"ebs"}`

// encryptBody builds an encrypt request; aad nil means absent.
func encryptBody(pt, aad []byte, cdiv bool) string {
	var b strings.Builder
	b.WriteString(`{` + cryptoMetadata + `,"plaintext":"` + b64(pt) + `","encryptionAlgorithm":"AES_GCM"`)
	if aad != nil {
		b.WriteString(`,"additionalAuthenticatedData":"` + b64(aad) + `"`)
	}
	if cdiv {
		b.WriteString(`,"ciphertextDataIntegrityValueAlgorithm":"SHA_256"`)
	}
	b.WriteString(`}`)
	return b.String()
}

// decryptBody builds a decrypt request from an encrypt response.
func decryptBody(t *testing.T, encResp string, aad []byte) string {
	t.Helper()
	var r struct {
		Ciphertext, IV, Tag, Metadata *string
	}
	var raw map[string]*string
	if err := json.Unmarshal([]byte(encResp), &raw); err != nil {
		t.Fatalf("encrypt response %q: %v", encResp, err)
	}
	r.Ciphertext, r.IV, r.Tag, r.Metadata = raw["ciphertext"], raw["initializationVector"], raw["authenticationTag"], raw["ciphertextMetadata"]
	if r.Ciphertext == nil || r.IV == nil || r.Tag == nil {
		t.Fatalf("encrypt response lacks members: %s", encResp)
	}
	var b strings.Builder
	b.WriteString(`{` + strings.Replace(cryptoMetadata, `"Encrypt"`, `"Decrypt"`, 1) + `,"ciphertext":"` + *r.Ciphertext +
		`","encryptionAlgorithm":"AES_GCM","initializationVector":"` + *r.IV + `","authenticationTag":"` + *r.Tag + `"`)
	if aad != nil {
		b.WriteString(`,"additionalAuthenticatedData":"` + b64(aad) + `"`)
	}
	if r.Metadata != nil { // echoed when not null, as the client does
		b.WriteString(`,"ciphertextMetadata":"` + *r.Metadata + `"`)
	}
	b.WriteString(`}`)
	return b.String()
}

// checkCDIV recomputes the integrity value the way the compliance client
// does (sha256sum over AAD || metadata || IV || ciphertext || tag).
func checkCDIV(t *testing.T, encResp string, aad []byte) {
	t.Helper()
	var r map[string]string
	json.Unmarshal([]byte(encResp), &r)
	dec := func(k string) []byte { b, _ := base64.StdEncoding.DecodeString(r[k]); return b }
	got := xks.IntegrityValue(aad, dec("ciphertextMetadata"), dec("initializationVector"), dec("ciphertext"), dec("authenticationTag"))
	if got == "" || got != r["ciphertextDataIntegrityValue"] {
		t.Errorf("ciphertextDataIntegrityValue %q, recomputed %q", r["ciphertextDataIntegrityValue"], got)
	}
}

// TestComplianceHealth is test_get_health_status (6 checks).
func TestComplianceHealth(t *testing.T) {
	e := newEnv(t, envOpts{})
	s, b := e.do(t, call{target: "health", body: healthBody("KmsHealthCheck")})
	want(t, "1 health", s, b, 200, `"healthStatus":`)
	s, b = e.do(t, call{target: "health", body: `{}`})
	want(t, "2 empty body", s, b, 400, "ValidationException")
	s, b = e.do(t, call{target: "health", body: `{"requestMetadata":{}}`})
	want(t, "3 empty requestMetadata", s, b, 400, "ValidationException")
	s, b = e.do(t, call{target: "health", body: healthBody("KmsHealthCheck"), akid: "Invalid" + accessKeyID})
	want(t, "4 bad access key id", s, b, 401, "AuthenticationFailedException")
	s, b = e.do(t, call{target: "health", body: healthBody("KmsHealthCheck"), secret: "Invalid" + secretKey})
	want(t, "5 bad secret", s, b, 401, "AuthenticationFailedException")
	s, b = e.do(t, call{prefix: uriPrefix + "/invalid", target: "health", body: healthBody("KmsHealthCheck")})
	want(t, "6 bad prefix", s, b, 404, "InvalidUriPathException")

	// The report: vendor keyhold, the boundary as the key manager.
	_, b = e.do(t, call{target: "health", body: healthBody("ConnectCustomKeyStore")})
	var h xks.HealthResponse
	if err := json.Unmarshal([]byte(b), &h); err != nil {
		t.Fatal(err)
	}
	if h.FleetSize != 1 || h.Vendor != "keyhold" || h.EKMVendor != "keyhold" || !strings.Contains(h.Model, "test") ||
		len(h.EKMFleetDetails) != 1 || h.EKMFleetDetails[0].HealthStatus != xks.HealthActive {
		t.Errorf("health report %+v", h)
	}
}

// TestComplianceKeyMetadata is test_get_key_metadata (8 checks).
func TestComplianceKeyMetadata(t *testing.T) {
	e := newEnv(t, envOpts{})
	s, b := e.do(t, call{target: "keys/" + keyID + "/metadata", body: metadataBody("DescribeKey")})
	want(t, "1 DescribeKey", s, b, 200, `"keyStatus":`)
	s, b = e.do(t, call{target: "keys/" + keyID + "/metadata", body: metadataBody("CreateKey")})
	want(t, "2 CreateKey", s, b, 200, `"keyStatus":`)
	if b != `{"keySpec":"AES_256","keyUsage":["ENCRYPT","DECRYPT"],"keyStatus":"ENABLED"}` {
		t.Errorf("metadata %s", b)
	}
	s, b = e.do(t, call{target: "keys/" + keyID + "/metadata", body: `{}`})
	want(t, "3 empty body", s, b, 400, "ValidationException")
	s, b = e.do(t, call{target: "keys/" + keyID + "/metadata", body: `{"requestMetadata":{}}`})
	want(t, "4 empty requestMetadata", s, b, 400, "ValidationException")
	s, b = e.do(t, call{target: "keys/" + nonExistingKey + "/metadata", body: metadataBody("CreateKey")})
	want(t, "5 unknown key", s, b, 404, "KeyNotFoundException")
	s, b = e.do(t, call{target: "keys/" + keyID + "/metadata", body: metadataBody("CreateKey"), akid: "Invalid" + accessKeyID})
	want(t, "6 bad access key id", s, b, 401, "AuthenticationFailedException")
	s, b = e.do(t, call{target: "keys/" + keyID + "/metadata", body: metadataBody("CreateKey"), secret: "Invalid" + secretKey})
	want(t, "7 bad secret", s, b, 401, "AuthenticationFailedException")
	s, b = e.do(t, call{prefix: uriPrefix + "/invalid", target: "keys/" + keyID + "/metadata", body: metadataBody("CreateKey")})
	want(t, "8 bad prefix", s, b, 404, "InvalidUriPathException")

	// The other three keys' usage lists.
	for id, usage := range map[string]string{encryptOnlyKey: `["ENCRYPT"]`, decryptOnlyKey: `["DECRYPT"]`, impotentKey: `[]`} {
		_, b := e.do(t, call{target: "keys/" + id + "/metadata", body: metadataBody("CreateKey")})
		if !strings.Contains(b, `"keyUsage":`+usage) {
			t.Errorf("%s: %s", id, b)
		}
	}
}

// TestComplianceEncryptDecrypt is test_encrypt_decrypt (21 checks).
func TestComplianceEncryptDecrypt(t *testing.T) {
	e := newEnv(t, envOpts{})
	enc := "keys/" + keyID + "/encrypt"
	dec := "keys/" + keyID + "/decrypt"
	pt := []byte("Hello World!")
	aad := []byte("project=nile,department=marketing")

	s, b := e.do(t, call{target: "keys/" + nonExistingKey + "/encrypt", body: encryptBody(pt, aad, false)})
	want(t, "1 unknown key", s, b, 404, "KeyNotFoundException")
	s, b = e.do(t, call{target: enc, body: `{` + cryptoMetadata + `,"encryptionAlgorithm":"AES_GCM"}`})
	want(t, "2 no plaintext", s, b, 400, "ValidationException")
	s, b = e.do(t, call{target: enc, body: encryptBody(pt, aad, false), akid: "Invalid" + accessKeyID})
	want(t, "3 bad access key id", s, b, 401, "AuthenticationFailedException")
	s, b = e.do(t, call{target: enc, body: encryptBody(pt, aad, false), secret: "Invalid" + secretKey})
	want(t, "4 bad secret", s, b, 401, "AuthenticationFailedException")
	s, b = e.do(t, call{prefix: uriPrefix + "/invalid", target: enc, body: encryptBody(pt, aad, false)})
	want(t, "5 bad prefix", s, b, 404, "InvalidUriPathException")

	for i := range 2 { // 6-9: the pair runs twice
		s, b = e.do(t, call{target: enc, body: encryptBody(pt, aad, false)})
		want(t, fmt.Sprintf("%d encrypt with AAD", 6+2*i), s, b, 200, `"ciphertext":`)
		s, b2 := e.do(t, call{target: dec, body: decryptBody(t, b, nil)})
		want(t, fmt.Sprintf("%d decrypt without AAD", 7+2*i), s, b2, 400, "InvalidCiphertextException")
	}
	s, b = e.do(t, call{target: enc, body: encryptBody(pt, aad, false)})
	want(t, "10 encrypt with AAD", s, b, 200, `"ciphertext":`)
	s, b2 := e.do(t, call{target: dec, body: decryptBody(t, b, []byte("project=nile,department=sales"))})
	want(t, "11 decrypt with another AAD", s, b2, 400, "InvalidCiphertextException")

	s, b = e.do(t, call{target: enc, body: encryptBody(pt, nil, false)})
	want(t, "12 encrypt without AAD", s, b, 200, `"ciphertext":`)
	s, b2 = e.do(t, call{target: dec, body: decryptBody(t, b, nil)})
	want(t, "13 decrypt without AAD", s, b2, 200, `"plaintext":`)
	if !strings.Contains(b2, b64(pt)) {
		t.Errorf("13: plaintext %s", b2)
	}

	s, b = e.do(t, call{target: enc, body: encryptBody(pt, aad, false)})
	want(t, "14 encrypt with AAD", s, b, 200, `"ciphertext":`)
	s, b2 = e.do(t, call{target: dec, body: decryptBody(t, b, aad)})
	want(t, "15 decrypt with the same AAD", s, b2, 200, `"plaintext":`)

	s, b = e.do(t, call{target: enc, body: encryptBody(pt, aad, true)})
	want(t, "16 encrypt with AAD and SHA_256", s, b, 200, `"ciphertextDataIntegrityValue":`)
	checkCDIV(t, b, aad)
	s, b2 = e.do(t, call{target: dec, body: decryptBody(t, b, aad)})
	want(t, "17 decrypt", s, b2, 200, `"plaintext":`)

	s, b = e.do(t, call{target: enc, body: encryptBody(pt, nil, true)})
	want(t, "18 encrypt with SHA_256, no AAD", s, b, 200, `"ciphertextDataIntegrityValue":`)
	checkCDIV(t, b, nil)
	s, b2 = e.do(t, call{target: dec, body: decryptBody(t, b, nil)})
	want(t, "19 decrypt", s, b2, 200, `"plaintext":`)

	big, bigAAD := randomBytes(4096), randomBytes(8192)
	s, b = e.do(t, call{target: enc, body: encryptBody(big, bigAAD, false)})
	want(t, "20 encrypt 4096 bytes with 8192 bytes of AAD", s, b, 200, `"ciphertext":`)
	s, b2 = e.do(t, call{target: dec, body: decryptBody(t, b, bigAAD)})
	want(t, "21 decrypt", s, b2, 200, `"plaintext":`)
	if !strings.Contains(b2, b64(big)) {
		t.Error("21: wrong plaintext")
	}

	// Sizes the specification fixes: 12-byte IV, 16-byte tag, ciphertext
	// as long as the plaintext, metadata within 20 bytes.
	var r struct{ Ciphertext, InitializationVector, AuthenticationTag, CiphertextMetadata []byte }
	json.Unmarshal([]byte(b), &r)
	if len(r.InitializationVector) != 12 || len(r.AuthenticationTag) != 16 || len(r.Ciphertext) != 4096 || len(r.CiphertextMetadata) > 20 {
		t.Errorf("sizes: iv %d tag %d ciphertext %d metadata %d", len(r.InitializationVector), len(r.AuthenticationTag), len(r.Ciphertext), len(r.CiphertextMetadata))
	}
}

// TestComplianceKeyUsage is the -a part: encrypt-only (6 checks),
// decrypt-only (4) and impotent (4) keys.
func TestComplianceKeyUsage(t *testing.T) {
	e := newEnv(t, envOpts{})
	pt, aad := []byte("Hello World!"), []byte("project=nile,department=marketing")

	// Encrypt-only: encrypting works, decrypting does not, and neither
	// does an encryption with an integrity value (whose verifying
	// decryption the key does not allow).
	for i, a := range [][]byte{nil, aad} {
		s, b := e.do(t, call{target: "keys/" + encryptOnlyKey + "/encrypt", body: encryptBody(pt, a, false)})
		want(t, fmt.Sprintf("encrypt-only %d encrypt", 2*i+1), s, b, 200, `"ciphertext":`)
		s, b = e.do(t, call{target: "keys/" + encryptOnlyKey + "/decrypt", body: decryptBody(t, b, a)})
		want(t, fmt.Sprintf("encrypt-only %d decrypt", 2*i+2), s, b, 400, "InvalidKeyUsageException")
	}
	s, b := e.do(t, call{target: "keys/" + encryptOnlyKey + "/encrypt", body: encryptBody(pt, aad, true)})
	want(t, "encrypt-only 5 encrypt with AAD and SHA_256", s, b, 400, "InvalidKeyUsageException")
	s, b = e.do(t, call{target: "keys/" + encryptOnlyKey + "/encrypt", body: encryptBody(pt, nil, true)})
	want(t, "encrypt-only 6 encrypt with SHA_256", s, b, 400, "InvalidKeyUsageException")

	for _, id := range []string{decryptOnlyKey, impotentKey} {
		for i, c := range []struct {
			aad  []byte
			cdiv bool
		}{{aad, false}, {nil, false}, {aad, true}, {nil, true}} {
			s, b := e.do(t, call{target: "keys/" + id + "/encrypt", body: encryptBody(pt, c.aad, c.cdiv)})
			want(t, fmt.Sprintf("%s %d", id, i+1), s, b, 400, "InvalidKeyUsageException")
		}
	}
	// The impotent key cannot decrypt either (a ciphertext of foo's).
	_, b = e.do(t, call{target: "keys/" + keyID + "/encrypt", body: encryptBody(pt, nil, false)})
	s, b = e.do(t, call{target: "keys/" + impotentKey + "/decrypt", body: decryptBody(t, b, nil)})
	want(t, "impotent decrypt", s, b, 400, "InvalidKeyUsageException")
	// A decrypt-only key cannot open another key's ciphertext.
	_, b = e.do(t, call{target: "keys/" + keyID + "/encrypt", body: encryptBody(pt, nil, false)})
	s, b = e.do(t, call{target: "keys/" + decryptOnlyKey + "/decrypt", body: decryptBody(t, b, nil)})
	want(t, "decrypt-only on foo's ciphertext", s, b, 400, "InvalidCiphertextException")
}

// TestMutualTLS accepts the configured client and aborts the handshake for
// the two certificates of the compliance client's bogus-mtls set (an
// expired one; a self-signed one with CN beta.cks.kms.us-east-1.
// amazonaws.com), for a certificate of the right CA with another subject,
// and for no certificate at all.
func TestMutualTLS(t *testing.T) {
	e := newEnv(t, envOpts{mtls: true, clientCert: true})
	s, b := e.do(t, call{target: "health", body: healthBody("KmsHealthCheck")})
	want(t, "configured client", s, b, 200, `"healthStatus":`)

	expiredCert, expiredKey := e.ca.Issue(xkstest.Leaf{Name: "expired", Client: true, DNSNames: []string{clientName}, NotAfter: time.Now().Add(-time.Hour)})
	selfCert, selfKey := e.ca.Issue(xkstest.Leaf{Name: otherClientName, Client: true, SelfSigned: true})
	otherCert, otherKey := e.ca.Issue(xkstest.Leaf{Name: "other-subject", Client: true, DNSNames: []string{otherClientName}})
	rogue := xkstest.NewCA(t, t.TempDir(), "rogue")
	rogueCert, rogueKey := rogue.Issue(xkstest.Leaf{Name: clientName, Client: true})
	cases := []struct {
		name  string
		certs []tls.Certificate
	}{
		{"expired certificate", []tls.Certificate{mustKeyPair(t, expiredCert, expiredKey)}},
		{"self-signed beta.cks certificate", []tls.Certificate{mustKeyPair(t, selfCert, selfKey)}},
		{"right CA, other subject", []tls.Certificate{mustKeyPair(t, otherCert, otherKey)}},
		{"right subject, other CA", []tls.Certificate{mustKeyPair(t, rogueCert, rogueKey)}},
		{"no certificate", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.httpClient(tc.certs)
			r := xkstest.Request(t, e.url+uriPrefix+"/kms/xks/v1/health", healthBody("KmsHealthCheck"), accessKeyID, secretKey, region, "", time.Time{})
			resp, err := c.Do(r)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("handshake succeeded: HTTP %d", resp.StatusCode)
			}
		})
	}
	// mTLS does not replace SigV4.
	s, b = e.do(t, call{target: "health", body: healthBody("KmsHealthCheck"), secret: "Invalid" + secretKey})
	want(t, "mTLS with a bad signature", s, b, 401, "AuthenticationFailedException")
}

// TestStatusCodes covers what the compliance client does not check: every
// other way a request can be refused, with its status.
func TestStatusCodes(t *testing.T) {
	e := newEnv(t, envOpts{})
	pt := []byte("x")
	enc := "keys/" + keyID + "/encrypt"

	// GET on each of the four URIs: 405.
	for _, target := range []string{"health", "keys/foo/metadata", "keys/foo/encrypt", "keys/foo/decrypt"} {
		resp, err := e.client.Get(e.url + uriPrefix + "/kms/xks/v1/" + target)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" || !json.Valid(b) {
			t.Errorf("GET %s: %d %s", target, resp.StatusCode, b)
		}
	}

	old := time.Now().Add(-10 * time.Minute)
	cases := []struct {
		name   string
		c      call
		status int
		errNam string
	}{
		{"wrong service name", call{target: "health", body: healthBody("KmsHealthCheck"), service: "kms"}, 401, "AuthenticationFailedException"},
		{"expired date", call{target: "health", body: healthBody("KmsHealthCheck"), at: old}, 401, "AuthenticationFailedException"},
		{"future date", call{target: "health", body: healthBody("KmsHealthCheck"), at: time.Now().Add(10 * time.Minute)}, 401, "AuthenticationFailedException"},
		{"second credential (rotation)", call{target: "health", body: healthBody("KmsHealthCheck"), akid: rotatedKeyID, secret: rotatedSecret}, 200, `"healthStatus"`},
		{"unknown route", call{target: "keys/foo/sign", body: "{}"}, 404, "InvalidUriPathException"},
		{"invalid key id", call{target: "keys/f%20o/encrypt", body: "{}"}, 404, "InvalidUriPathException"},
		{"v2 path", call{target: "../v2/health", body: "{}"}, 404, "InvalidUriPathException"},
		{"not JSON", call{target: enc, body: "plaintext=x"}, 400, "ValidationException"},
		{"trailing data", call{target: enc, body: encryptBody(pt, nil, false) + "{}"}, 400, "ValidationException"},
		{"mistyped member", call{target: enc, body: `{` + cryptoMetadata + `,"plaintext":42,"encryptionAlgorithm":"AES_GCM"}`}, 400, "ValidationException"},
		{"unsupported algorithm", call{target: enc, body: strings.Replace(encryptBody(pt, nil, false), "AES_GCM", "AES_CBC", 1)}, 400, "ValidationException"},
		{"unsupported integrity algorithm", call{target: enc, body: strings.Replace(encryptBody(pt, nil, true), "SHA_256", "SHA_512", 1)}, 400, "ValidationException"},
		{"bad Base64", call{target: enc, body: `{` + cryptoMetadata + `,"plaintext":"not base64!","encryptionAlgorithm":"AES_GCM"}`}, 400, "ValidationException"},
		{"missing key ARN", call{target: enc, body: `{"requestMetadata":{"awsPrincipalArn":"a","kmsOperation":"Encrypt","kmsRequestId":"r"},"plaintext":"eA==","encryptionAlgorithm":"AES_GCM"}`}, 400, "ValidationException"},
		{"oversized plaintext", call{target: enc, body: encryptBody(randomBytes(xks.MaxPlaintext+1), nil, false)}, 501, "UnsupportedOperationException"},
		{"oversized AAD", call{target: enc, body: encryptBody(pt, randomBytes(xks.MaxAAD+1), false)}, 501, "UnsupportedOperationException"},
		{"oversized body", call{target: enc, body: `{"x":"` + strings.Repeat("a", xks.MaxBody) + `"}`}, 501, "UnsupportedOperationException"},
		{"oversized metadata field", call{target: enc, body: strings.Replace(encryptBody(pt, nil, false), principalARN, strings.Repeat("a", xks.MaxMetadataField+1), 1)}, 501, "UnsupportedOperationException"},
		{"unknown metadata fields are fine", call{target: enc, body: strings.Replace(encryptBody(pt, nil, false), `"kmsViaService"`, `"someFutureField":"x","kmsViaService"`, 1)}, 200, `"ciphertext"`},
		{"unknown kmsOperation is fine", call{target: enc, body: strings.Replace(encryptBody(pt, nil, false), `"Encrypt"`, `"SomeFutureOperation"`, 1)}, 200, `"ciphertext"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, b := e.do(t, tc.c)
			want(t, tc.name, s, b, tc.status, tc.errNam)
		})
	}

	// Decrypt-side sizes.
	_, good := e.do(t, call{target: enc, body: encryptBody(pt, nil, false)})
	d := decryptBody(t, good, nil)
	var m map[string]any
	json.Unmarshal([]byte(d), &m)
	for name, mut := range map[string]func(map[string]any){
		"IV of 13 bytes":        func(m map[string]any) { m["initializationVector"] = b64(make([]byte, 13)) },
		"tag of 15 bytes":       func(m map[string]any) { m["authenticationTag"] = b64(make([]byte, 15)) },
		"metadata of 21 bytes":  func(m map[string]any) { m["ciphertextMetadata"] = b64(make([]byte, 21)) },
		"missing tag":           func(m map[string]any) { delete(m, "authenticationTag") },
		"missing IV":            func(m map[string]any) { delete(m, "initializationVector") },
		"missing ciphertext":    func(m map[string]any) { delete(m, "ciphertext") },
		"missing algorithm":     func(m map[string]any) { delete(m, "encryptionAlgorithm") },
		"16-byte IV (tampered)": func(m map[string]any) { m["initializationVector"] = b64(make([]byte, 16)) },
		"tampered metadata":     func(m map[string]any) { m["ciphertextMetadata"] = b64(make([]byte, 17)) },
		"no metadata":           func(m map[string]any) { delete(m, "ciphertextMetadata") },
	} {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		mut(c)
		body, _ := json.Marshal(c)
		s, b := e.do(t, call{target: "keys/" + keyID + "/decrypt", body: string(body)})
		wantName := "ValidationException"
		if strings.Contains(name, "tampered") || name == "no metadata" {
			wantName = "InvalidCiphertextException"
		}
		want(t, name, s, b, 400, wantName)
	}

	// A wrong Content-Type.
	r := xkstest.Request(t, e.url+uriPrefix+"/kms/xks/v1/health", healthBody("KmsHealthCheck"), accessKeyID, secretKey, region, "", time.Time{})
	r.Header.Set("Content-Type", "text/plain")
	resp, err := e.client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// Content-Type is signed, so changing it breaks the signature: 401.
	want(t, "changed Content-Type", resp.StatusCode, string(b), 401, "AuthenticationFailedException")

	// Disabled key: InvalidStateException for every operation but
	// metadata, which reports DISABLED.
	disabled := false
	if _, err := e.km.Update(context.Background(), storeName, keyID, nil, &disabled); err != nil {
		t.Fatal(err)
	}
	e.proxy.ForgetKeys() // another process would wait up to a second
	s, b2 := e.do(t, call{target: enc, body: encryptBody(pt, nil, false)})
	want(t, "disabled encrypt", s, b2, 400, "InvalidStateException")
	s, b2 = e.do(t, call{target: "keys/" + keyID + "/decrypt", body: d})
	want(t, "disabled decrypt", s, b2, 400, "InvalidStateException")
	s, b2 = e.do(t, call{target: "keys/" + keyID + "/metadata", body: metadataBody("DescribeKey")})
	want(t, "disabled metadata", s, b2, 200, `"keyStatus":"DISABLED"`)
}

func TestSecondaryAuthorization(t *testing.T) {
	rule := &proxy.Rule{
		Principals: []string{"arn:aws:iam::123456789012:user/*"},
		Operations: []string{"Encrypt", "Decrypt", "CreateKey", "DescribeKey"},
		KeyARNs:    []string{"arn:aws:kms:us-east-1:123456789012:key/*"},
	}
	e := newEnv(t, envOpts{rule: rule})
	pt := []byte("x")
	s, b := e.do(t, call{target: "keys/foo/encrypt", body: encryptBody(pt, nil, false)})
	want(t, "allowed", s, b, 200, `"ciphertext"`)
	for name, body := range map[string]string{
		"other principal": strings.Replace(encryptBody(pt, nil, false), principalARN, "arn:aws:iam::999999999999:user/Mallory", 1),
		"other operation": strings.Replace(encryptBody(pt, nil, false), `"Encrypt"`, `"ReEncrypt"`, 1),
		"other key":       strings.Replace(encryptBody(pt, nil, false), kmsKeyARN, "arn:aws:kms:eu-west-1:123456789012:key/x", 1),
	} {
		s, b := e.do(t, call{target: "keys/foo/encrypt", body: body})
		want(t, name, s, b, 403, "AccessDeniedException")
	}
	// Never applied to health, whatever its metadata.
	s, b = e.do(t, call{target: "health", body: healthBody("SomethingElse")})
	want(t, "health", s, b, 200, `"healthStatus"`)
	// Metadata without a key ARN (a KMS checking a key before creating it).
	s, b = e.do(t, call{target: "keys/foo/metadata", body: `{"requestMetadata":{"awsPrincipalArn":"` + principalARN + `","kmsOperation":"CreateKey","kmsRequestId":"r"}}`})
	want(t, "metadata without key ARN", s, b, 200, `"keyStatus"`)
}

func TestThrottling(t *testing.T) {
	e := newEnv(t, envOpts{maxRPS: 3})
	var throttled bool
	for range 10 {
		s, b := e.do(t, call{target: "health", body: healthBody("KmsHealthCheck")})
		if s == 429 {
			want(t, "throttled", s, b, 429, "ThrottlingException")
			throttled = true
		}
	}
	if !throttled {
		t.Error("10 requests at once within a quota of 3 per second")
	}
}

// TestReload rotates credentials without a restart: the old credential
// stops working, the new one starts.
func TestReload(t *testing.T) {
	e := newEnv(t, envOpts{})
	err := e.proxy.Reload([]proxy.KeyStore{{Name: storeName, Prefix: uriPrefix,
		Credentials: []proxy.Credential{{AccessKeyID: rotatedKeyID, Secret: rotatedSecret}}}})
	if err != nil {
		t.Fatal(err)
	}
	s, b := e.do(t, call{target: "health", body: healthBody("KmsHealthCheck")})
	want(t, "old credential", s, b, 401, "AuthenticationFailedException")
	s, b = e.do(t, call{target: "health", body: healthBody("KmsHealthCheck"), akid: rotatedKeyID, secret: rotatedSecret})
	want(t, "new credential", s, b, 200, `"healthStatus"`)
	// A bad set is refused and the running one stays.
	if err := e.proxy.Reload([]proxy.KeyStore{{Name: storeName, Prefix: uriPrefix}}); err == nil {
		t.Fatal("a key store without credentials was accepted")
	}
	s, b = e.do(t, call{target: "health", body: healthBody("KmsHealthCheck"), akid: rotatedKeyID, secret: rotatedSecret})
	want(t, "after a refused reload", s, b, 200, `"healthStatus"`)
}

// TestEmptyPrefix serves a key store without a prefix, also under the
// "//kms/xks/v1" the compliance client sends for an empty URI_PREFIX.
func TestEmptyPrefix(t *testing.T) {
	e := newEnv(t, envOpts{})
	if err := e.proxy.Reload([]proxy.KeyStore{{Name: storeName, Credentials: []proxy.Credential{{AccessKeyID: accessKeyID, Secret: secretKey}}}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "/"} {
		r := xkstest.Request(t, e.url+p+"/kms/xks/v1/health", healthBody("KmsHealthCheck"), accessKeyID, secretKey, region, "", time.Time{})
		resp, err := e.client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want(t, "prefix "+p, resp.StatusCode, string(b), 200, `"healthStatus"`)
	}
}

// TestPing is the load balancer's unauthenticated health check.
func TestPing(t *testing.T) {
	e := newEnv(t, envOpts{})
	resp, err := e.client.Get(e.url + "/ping")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(b, []byte("pong")) {
		t.Fatalf("/ping: %d %s", resp.StatusCode, b)
	}
}

// failingStore makes reading external keys fail: by blocking until the
// request's time is up, or with an error.
type failingStore struct {
	proxy.Store
	block bool
}

func (f failingStore) GetXKSKey(ctx context.Context, store, id string) (*keyhold.XKSKey, error) {
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, errors.New("disk on fire")
}

// TestDependencyErrors covers the two server-side names:
// DependencyTimeoutException (503) when the key store does not answer in
// time, InternalException (500) when it fails, with nothing of the cause
// in the answer.
func TestDependencyErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := soft.New(ctx, soft.Options{RootKeyPath: filepath.Join(dir, "root.key")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "keyhold.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); b.Close() })
	for _, tc := range []struct {
		block  bool
		status int
		name   string
	}{{true, 503, "DependencyTimeoutException"}, {false, 500, "InternalException"}} {
		p, err := proxy.New(ctx, proxy.Config{
			KeyStores: []proxy.KeyStore{{Name: storeName, Prefix: uriPrefix, Credentials: []proxy.Credential{{AccessKeyID: accessKeyID, Secret: secretKey}}}},
			Store:     failingStore{Store: st, block: tc.block},
			Boundary:  b,
			Region:    region,
			Timeout:   20 * time.Millisecond,
			Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		r := xkstest.Request(t, "https://xks.test"+uriPrefix+"/kms/xks/v1/keys/foo/encrypt", encryptBody([]byte("x"), nil, false), accessKeyID, secretKey, region, "", time.Time{})
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		want(t, tc.name, w.Code, w.Body.String(), tc.status, tc.name)
		if strings.Contains(w.Body.String(), "fire") {
			t.Errorf("the cause leaked: %s", w.Body)
		}
	}
	// A closed crypto boundary: InternalException, health UNAVAILABLE.
	p, err := proxy.New(ctx, proxy.Config{
		KeyStores: []proxy.KeyStore{{Name: storeName, Prefix: uriPrefix, Credentials: []proxy.Credential{{AccessKeyID: accessKeyID, Secret: secretKey}}}},
		Store:     st, Boundary: b, Region: region, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	km := &proxy.KeyManager{Store: st, Boundary: b, Region: region}
	if _, err := km.Create(ctx, storeName, "foo", proxy.Operations{Encrypt: true, Decrypt: true}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	r := xkstest.Request(t, "https://xks.test"+uriPrefix+"/kms/xks/v1/keys/foo/encrypt", encryptBody([]byte("x"), nil, false), accessKeyID, secretKey, region, "", time.Time{})
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	want(t, "closed boundary", w.Code, w.Body.String(), 500, "InternalException")
	r = xkstest.Request(t, "https://xks.test"+uriPrefix+"/kms/xks/v1/health", healthBody("KmsHealthCheck"), accessKeyID, secretKey, region, "", time.Time{})
	w = httptest.NewRecorder()
	p.ServeHTTP(w, r)
	want(t, "health of a closed boundary", w.Code, w.Body.String(), 200, `"healthStatus":"UNAVAILABLE"`)
}
