package sigv4

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/keyhold/keyhold"
)

const testSig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

func TestParseAuthorization(t *testing.T) {
	want := &Authorization{
		AccessKeyID:   "AKIDEXAMPLE",
		Date:          "20240101",
		Region:        "us-east-1",
		Service:       "kms",
		SignedHeaders: []string{"content-type", "host", "x-amz-date", "x-amz-target"},
		Signature:     testSig,
	}
	const (
		cred = "Credential=AKIDEXAMPLE/20240101/us-east-1/kms/aws4_request"
		sh   = "SignedHeaders=content-type;host;x-amz-date;x-amz-target"
		sig  = "Signature=" + testSig
	)
	good := map[string]string{
		"aws-sdk-go-v2 (comma space)": "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig,
		"comma only":                  "AWS4-HMAC-SHA256 " + cred + "," + sh + "," + sig,
		"extra spaces and tabs":       "  AWS4-HMAC-SHA256   " + cred + " ,\t" + sh + " ,  " + sig + "  ",
		"comma after algorithm":       "AWS4-HMAC-SHA256," + cred + "," + sh + "," + sig,
		"other parameter order":       "AWS4-HMAC-SHA256 " + sig + ", " + cred + ", " + sh,
		"trailing slash on scope":     "AWS4-HMAC-SHA256 " + cred + "/, " + sh + ", " + sig,
		"empty parameter":             "AWS4-HMAC-SHA256 " + cred + ",, " + sh + ", " + sig + ",",
	}
	for name, h := range good {
		t.Run(name, func(t *testing.T) {
			got, err := ParseAuthorization(h)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if got := want.String(); got != "AWS4-HMAC-SHA256 "+cred+", "+sh+", "+sig {
		t.Errorf("String() = %q", got)
	}

	bad := []struct {
		name, header, code, msg string
	}{
		{"empty", "", keyhold.ErrCodeMissingAuthToken, "Missing Authentication Token"},
		{"SigV2", "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", keyhold.ErrCodeMissingAuthToken, "Missing Authentication Token"},
		{"algorithm only", "AWS4-HMAC-SHA256", keyhold.ErrCodeIncompleteSignature,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."},
		{"empty values", "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=", keyhold.ErrCodeIncompleteSignature,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."},
		{"wrong algorithm", "AWS4-ECDSA-P256-SHA256 " + cred, keyhold.ErrCodeIncompleteSignature,
			"Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now)."},
		{"missing equal sign", "AWS4-HMAC-SHA256 Credential, " + sh + ", " + sig, keyhold.ErrCodeIncompleteSignature,
			"'Credential' not a valid key=value pair (missing equal-sign) in Authorization header."},
		{"unknown parameter", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ", Nonce=1", keyhold.ErrCodeIncompleteSignature,
			"Authorization header has an unsupported parameter 'Nonce'."},
		{"repeated parameter", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ", " + sig, keyhold.ErrCodeIncompleteSignature,
			"Authorization header repeats the 'Signature' parameter."},
		{"space inside value", "AWS4-HMAC-SHA256 Credential=AKID EXAMPLE/20240101/us-east-1/kms/aws4_request, " + sh + ", " + sig, keyhold.ErrCodeIncompleteSignature,
			"Authorization header 'Credential' parameter contains a space or a control character."},
		{"six scope elements", "AWS4-HMAC-SHA256 Credential=A/B/20240101/us-east-1/kms/aws4_request, " + sh + ", " + sig, keyhold.ErrCodeIncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'A/B/20240101/us-east-1/kms/aws4_request'"},
		{"empty scope element", "AWS4-HMAC-SHA256 Credential=AKID//us-east-1/kms/aws4_request, " + sh + ", " + sig, keyhold.ErrCodeIncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID//us-east-1/kms/aws4_request'"},
		{"bad terminator", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4, " + sh + ", " + sig, keyhold.ErrCodeInvalidSignature,
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4'."},
		{"unsorted signed headers", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;content-type, " + sig, keyhold.ErrCodeIncompleteSignature,
			"Authorization header 'SignedHeaders' parameter must list lowercase header names, sorted and separated by ';', got 'host;content-type'."},
		{"duplicate signed header", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;host, " + sig, keyhold.ErrCodeIncompleteSignature,
			"Authorization header 'SignedHeaders' parameter must list lowercase header names, sorted and separated by ';', got 'host;host'."},
		{"empty signed header", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;, " + sig, keyhold.ErrCodeIncompleteSignature,
			"Authorization header 'SignedHeaders' parameter must list lowercase header names, sorted and separated by ';', got 'host;'."},
		{"short signature", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=abc", keyhold.ErrCodeIncompleteSignature,
			"Authorization header 'Signature' parameter must be 64 lowercase hexadecimal digits."},
		{"non-hex signature", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=" + strings.Repeat("g", 64), keyhold.ErrCodeIncompleteSignature,
			"Authorization header 'Signature' parameter must be 64 lowercase hexadecimal digits."},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseAuthorization(tc.header)
			if a != nil {
				t.Errorf("returned %+v with error %v", a, err)
			}
			code, msg := errorOf(err)
			if code != tc.code || msg != tc.msg {
				t.Errorf("error:\n got %s: %s\nwant %s: %s", code, msg, tc.code, tc.msg)
			}
		})
	}
}

func TestEchoIsBounded(t *testing.T) {
	h := "AWS4-HMAC-SHA256 Credential=" + strings.Repeat("A/", 10000) + ", SignedHeaders=host, Signature=" + testSig
	_, err := ParseAuthorization(h)
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("error for a huge credential is %d bytes: %.100v", len(err.Error()), err)
	}
}

// FuzzParseAuthorization checks that the parser never panics, fails only
// with the expected codes, and that whatever it accepts survives a
// String/ParseAuthorization round trip unchanged.
func FuzzParseAuthorization(f *testing.F) {
	// The committed corpus in testdata/fuzz/FuzzParseAuthorization holds
	// more; these keep the seed set meaningful without it.
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + testSig)
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4_request,SignedHeaders=host,Signature=" + testSig)
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4_request")
	f.Fuzz(func(t *testing.T, header string) {
		a, err := ParseAuthorization(header)
		if err != nil {
			if a != nil {
				t.Fatalf("returned %+v with error %v", a, err)
			}
			switch code := keyhold.ErrorCode(err); code {
			case keyhold.ErrCodeMissingAuthToken, keyhold.ErrCodeIncompleteSignature, keyhold.ErrCodeInvalidSignature:
			default:
				t.Fatalf("unexpected error code %s: %v", code, err)
			}
			return
		}
		s := a.String()
		b, err := ParseAuthorization(s)
		if err != nil {
			t.Fatalf("re-parsing %q (from %q): %v", s, header, err)
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("round trip of %q changed the value (-first +second):\n%s", header, diff)
		}
		if s2 := b.String(); s2 != s {
			t.Fatalf("String not stable: %q then %q", s, s2)
		}
	})
}
