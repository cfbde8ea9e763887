package xks

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIntegrityValueSpecExample is the specification's worked example
// (Encrypt response with AAD "project=nile,department=marketing"): the
// SHA-256 over the 86 concatenated bytes is the published value.
func TestIntegrityValueSpecExample(t *testing.T) {
	aad := unb64(t, "cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n")
	if string(aad) != "project=nile,department=marketing" {
		t.Fatalf("AAD %q", aad)
	}
	md := unb64(t, "a2V5X3ZlcnNpb249MQ==")
	iv := unb64(t, "HMrlRw85cAJUd5Ax")
	ct := unb64(t, "ghxkK1txeDNn3q8Y")
	tag := unb64(t, "vBxN2ncH1oEkR8WVXpmyYQ==")
	if n := len(aad) + len(md) + len(iv) + len(ct) + len(tag); n != 86 {
		t.Fatalf("%d bytes, the example has 86", n)
	}
	const want = "qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc="
	if got := IntegrityValue(aad, md, iv, ct, tag); got != want {
		t.Fatalf("IntegrityValue = %s, want %s", got, want)
	}
	// Any changed part changes it.
	if IntegrityValue(aad, nil, iv, ct, tag) == want {
		t.Fatal("metadata not covered")
	}
}

func TestErrorStatuses(t *testing.T) {
	want := map[string]int{
		"ValidationException": 400, "InvalidStateException": 400, "InvalidCiphertextException": 400,
		"InvalidKeyUsageException": 400, "AuthenticationFailedException": 401, "AccessDeniedException": 403,
		"KeyNotFoundException": 404, "InvalidUriPathException": 404, "ThrottlingException": 429,
		"UnsupportedOperationException": 501, "DependencyTimeoutException": 503, "InternalException": 500,
	}
	if len(ErrorNames) != 12 {
		t.Fatalf("%d error names", len(ErrorNames))
	}
	for _, n := range ErrorNames {
		if Status(n) != want[n] {
			t.Errorf("%s: %d, want %d", n, Status(n), want[n])
		}
		b, _ := json.Marshal(Errorf(n, "bad\nmessage\x00"+strings.Repeat("x", 600)))
		var e map[string]string
		json.Unmarshal(b, &e)
		if e["errorName"] != n || len(e["errorMessage"]) > MaxErrMessage || strings.ContainsAny(e["errorMessage"], "\n\x00") {
			t.Errorf("%s body %s", n, b)
		}
	}
	if Status("Nope") != http.StatusInternalServerError {
		t.Error("unknown name")
	}
}

func TestParsePath(t *testing.T) {
	cases := []struct {
		path string
		ok   bool
		want Path
	}{
		{"/kms/xks/v1/health", true, Path{"", OpGetHealthStatus, ""}},
		{"//kms/xks/v1/health", true, Path{"", OpGetHealthStatus, ""}},
		{"/a/b/kms/xks/v1/health", true, Path{"/a/b", OpGetHealthStatus, ""}},
		{"/example/uri/path/prefix/kms/xks/v1/keys/foo/metadata", true, Path{"/example/uri/path/prefix", OpGetKeyMetadata, "foo"}},
		{"/p/kms/xks/v1/keys/a.B_c-9/encrypt", true, Path{"/p", OpEncrypt, "a.B_c-9"}},
		{"/p/kms/xks/v1/keys/kms/decrypt", true, Path{"/p", OpDecrypt, "kms"}},
		{"/kms/xks/v1/kms/xks/v1/health", true, Path{"/kms/xks/v1", OpGetHealthStatus, ""}},
		{"/p/kms/xks/v1/keys/" + strings.Repeat("k", 128) + "/encrypt", true, Path{"/p", OpEncrypt, strings.Repeat("k", 128)}},
		{"/p/kms/xks/v1/keys/" + strings.Repeat("k", 129) + "/encrypt", false, Path{}},
		{"/p/kms/xks/v1/keys/a%20b/encrypt", false, Path{}},
		{"/p/kms/xks/v1/keys//encrypt", false, Path{}},
		{"/p/kms/xks/v1/keys/foo/sign", false, Path{}},
		{"/p/kms/xks/v1/keys/foo", false, Path{}},
		{"/p/kms/xks/v1/health/", false, Path{}},
		{"/p/kms/xks/v2/health", false, Path{}},
		{"/p/kms/xks/v1/key/foo/encrypt", false, Path{}},
		{"/p/health", false, Path{}},
		{"kms/xks/v1/health", false, Path{}},
		{"", false, Path{}},
		{"/", false, Path{}},
	}
	for _, tc := range cases {
		got, ok := ParsePath(tc.path)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParsePath(%q) = %+v, %v; want %+v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
		if ok {
			if p := OperationPath(BasePath(got.Prefix), got.Operation, got.KeyID); p != tc.path && "/"+p != tc.path {
				t.Errorf("OperationPath round trip of %q gave %q", tc.path, p)
			}
		}
	}
}

func TestParseRequest(t *testing.T) {
	md := `"requestMetadata":{"kmsRequestId":"r","kmsOperation":"Encrypt","awsPrincipalArn":"p","kmsKeyArn":"k"}`
	cases := []struct {
		name, op, body string
		errName        string
	}{
		{"health ok", OpGetHealthStatus, `{"requestMetadata":{"kmsRequestId":"r","kmsOperation":"KmsHealthCheck"}}`, ""},
		{"health extra fields", OpGetHealthStatus, `{"requestMetadata":{"kmsRequestId":"r","kmsOperation":"x","future":{"a":[1]}},"other":1}`, ""},
		{"health no metadata", OpGetHealthStatus, `{}`, ErrValidation},
		{"health null metadata", OpGetHealthStatus, `{"requestMetadata":null}`, ErrValidation},
		{"health metadata not an object", OpGetHealthStatus, `{"requestMetadata":"x"}`, ErrValidation},
		{"health number request id", OpGetHealthStatus, `{"requestMetadata":{"kmsRequestId":1,"kmsOperation":"x"}}`, ErrValidation},
		{"not an object", OpGetHealthStatus, `[]`, ErrValidation},
		{"empty body", OpGetHealthStatus, ``, ErrValidation},
		{"metadata needs principal", OpGetKeyMetadata, `{"requestMetadata":{"kmsRequestId":"r","kmsOperation":"CreateKey"}}`, ErrValidation},
		{"metadata without key ARN", OpGetKeyMetadata, `{"requestMetadata":{"kmsRequestId":"r","kmsOperation":"CreateKey","awsPrincipalArn":"p"}}`, ""},
		{"encrypt ok", OpEncrypt, `{` + md + `,"plaintext":"","encryptionAlgorithm":"AES_GCM"}`, ""},
		{"encrypt newline in Base64", OpEncrypt, `{` + md + `,"plaintext":"eA=\n=","encryptionAlgorithm":"AES_GCM"}`, ErrValidation},
		{"encrypt URL-safe Base64", OpEncrypt, `{` + md + `,"plaintext":"-_-_","encryptionAlgorithm":"AES_GCM"}`, ErrValidation},
		{"encrypt unpadded Base64", OpEncrypt, `{` + md + `,"plaintext":"eA","encryptionAlgorithm":"AES_GCM"}`, ErrValidation},
		{"member names are case-sensitive", OpEncrypt, `{` + md + `,"PlainText":"eA==","encryptionAlgorithm":"AES_GCM"}`, ErrValidation},
		{"duplicate member", OpEncrypt, `{` + md + `,"plaintext":"eA==","plaintext":"eA==","encryptionAlgorithm":"AES_GCM"}`, ErrValidation},
		{"empty request id", OpGetHealthStatus, `{"requestMetadata":{"kmsRequestId":"","kmsOperation":"x"}}`, ErrValidation},
		{"null optional member", OpEncrypt, `{` + md + `,"plaintext":"eA==","encryptionAlgorithm":"AES_GCM","additionalAuthenticatedData":null}`, ""},
		{"encrypt no algorithm", OpEncrypt, `{` + md + `,"plaintext":"eA=="}`, ErrValidation},
		{"decrypt 16-byte IV", OpDecrypt, `{` + md + `,"ciphertext":"eA==","encryptionAlgorithm":"AES_GCM","initializationVector":"` +
			base64.StdEncoding.EncodeToString(make([]byte, 16)) + `","authenticationTag":"` + base64.StdEncoding.EncodeToString(make([]byte, 16)) + `"}`, ""},
		{"decrypt huge metadata", OpDecrypt, `{` + md + `,"ciphertext":"eA==","encryptionAlgorithm":"AES_GCM","initializationVector":"` +
			base64.StdEncoding.EncodeToString(make([]byte, 12)) + `","authenticationTag":"` + base64.StdEncoding.EncodeToString(make([]byte, 16)) +
			`","ciphertextMetadata":"` + base64.StdEncoding.EncodeToString(make([]byte, 4000)) + `"}`, ErrValidation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRequest(tc.op, []byte(tc.body))
			got := ""
			if err != nil {
				got = err.Name
			}
			if got != tc.errName {
				t.Fatalf("error %v, want %q", err, tc.errName)
			}
		})
	}
}
