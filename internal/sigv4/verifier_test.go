package sigv4

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/keyhold/keyhold"
)

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
	testBody   = `{"KeyId":"alias/test","Plaintext":"aGVsbG8="}`
)

// testNow is the server clock in most tests: noon, so that ±5 minutes
// stays on the same date.
var testNow = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

var testCreds = Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}

var testSecretBytes = []byte(testSecret)

// testLookup knows testAKID (and a temporary key with a session token) and
// answers UnknownAccessKey for everything else.
func testLookup(_ context.Context, akid, token string) ([]byte, error) {
	switch {
	case akid == testAKID && token == "":
		return testSecretBytes, nil
	case akid == "ASIATEMP" && token == "session-token":
		return []byte("temporary-secret"), nil
	case akid == "AKIDBROKEN":
		return nil, errors.New("database is down")
	}
	return nil, UnknownAccessKey()
}

func newTestVerifier(t testing.TB, mod func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Service: "kms", Lookup: testLookup, Now: func() time.Time { return testNow }}
	if mod != nil {
		mod(&cfg)
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// newKMSRequest returns a request as a KMS client sends it, not yet signed.
func newKMSRequest(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "https://kms.us-east-1.amazonaws.com/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "TrentService.Encrypt")
	r.Header.Set("User-Agent", "test-client/1.0")
	return r
}

// signedRequest returns a KMS request signed by Sign at time at.
func signedRequest(t testing.TB, body string, at time.Time) *http.Request {
	t.Helper()
	r := newKMSRequest(body)
	if err := Sign(r, []byte(body), testCreds, testRegion, "kms", at); err != nil {
		t.Fatal(err)
	}
	return r
}

// signWith signs r with exactly the headers names (sorted), the request
// time taken from amzDate, and the given scope, the way a client with its
// own header policy would, and sets the Authorization header.
func signWith(t testing.TB, r *http.Request, body, secret string, a Authorization, amzDate string) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	sig, err := signature(r, []byte(hex.EncodeToString(sum[:])), []byte(secret), &a, amzDate)
	if err != nil {
		t.Fatal(err)
	}
	a.Signature = sig
	r.Header.Set("Authorization", a.String())
}

// errorOf returns the code and message of err, or KMSInternalException and
// err's text.
func errorOf(err error) (code, msg string) {
	if err == nil {
		return "", ""
	}
	if e, ok := keyhold.AsError(err); ok {
		return e.Code, e.Message
	}
	return keyhold.ErrCodeInternal, err.Error()
}

func TestVerifyAccepts(t *testing.T) {
	v := newTestVerifier(t, nil)
	r := signedRequest(t, testBody, testNow)
	got, err := v.Verify(context.Background(), r, []byte(testBody))
	if err != nil {
		t.Fatal(err)
	}
	want := &Result{AccessKeyID: testAKID, Region: testRegion, Service: "kms", Time: testNow}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Result (-want +got):\n%s", diff)
	}
	wantSigned := "content-length;content-type;host;x-amz-date;x-amz-target"
	if a, _ := ParseAuthorization(r.Header.Get("Authorization")); strings.Join(a.SignedHeaders, ";") != wantSigned {
		t.Errorf("Sign signed %q, want %q", a.SignedHeaders, wantSigned)
	}
}

func TestVerifySessionToken(t *testing.T) {
	v := newTestVerifier(t, nil)
	r := newKMSRequest(testBody)
	creds := Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "temporary-secret", SessionToken: "session-token"}
	if err := Sign(r, []byte(testBody), creds, "eu-west-1", "kms", testNow); err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(context.Background(), r, []byte(testBody))
	if err != nil {
		t.Fatal(err)
	}
	want := &Result{AccessKeyID: "ASIATEMP", Region: "eu-west-1", Service: "kms", Time: testNow, SessionToken: "session-token"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Result (-want +got):\n%s", diff)
	}
}

// TestKnownAnswer checks Sign and Verify against the signed POST example of
// AWS's General Reference ("Signed Signature Version 4 Requests Examples").
func TestKnownAnswer(t *testing.T) {
	const (
		body    = "Action=ListUsers&Version=2010-05-08"
		wantSig = "ced6826de92d2bdeed8f846f0bf508e8559e98e4b0199114b84c54174deb456c"
	)
	at := time.Date(2011, 9, 9, 23, 36, 0, 0, time.UTC)
	r := httptest.NewRequest(http.MethodPost, "http://iam.amazonaws.com/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.ContentLength = -1 // the example does not sign content-length
	if err := Sign(r, []byte(body), testCreds, testRegion, "iam", at); err != nil {
		t.Fatal(err)
	}
	want := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/iam/aws4_request, " +
		"SignedHeaders=content-type;host;x-amz-date, Signature=" + wantSig
	if got := r.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization:\n got %s\nwant %s", got, want)
	}
	v := newTestVerifier(t, func(c *Config) {
		c.Service = "iam"
		c.Now = func() time.Time { return at }
	})
	if _, err := v.Verify(context.Background(), r, []byte(body)); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestVerifyFailures(t *testing.T) {
	const mismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	otherHash := sha256.Sum256([]byte("other"))
	bodyHash := sha256.Sum256([]byte(testBody))

	// Each case builds a request (signed at testNow unless it says
	// otherwise), may change it, and names the error Verify must return
	// ("" for success).
	tests := []struct {
		name     string
		build    func(t *testing.T) *http.Request
		body     string // the body the server read; testBody if ""
		now      time.Time
		config   func(*Config)
		wantCode string
		wantMsg  string
	}{
		{
			name: "valid",
			build: func(t *testing.T) *http.Request {
				return signedRequest(t, testBody, testNow)
			},
		},
		{
			name: "missing Authorization header",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Del("Authorization")
				return r
			},
			wantCode: keyhold.ErrCodeMissingAuthToken,
			wantMsg:  "Missing Authentication Token",
		},
		{
			name: "bearer token",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Set("Authorization", "Bearer abc")
				return r
			},
			wantCode: keyhold.ErrCodeMissingAuthToken,
			wantMsg:  "Missing Authentication Token",
		},
		{
			name:     "missing Credential",
			build:    replaceAuthorization(`Credential=\S+, `, ""),
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "Authorization header requires 'Credential' parameter.",
		},
		{
			name:     "missing Signature",
			build:    replaceAuthorization(`, Signature=\S+`, ""),
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "Authorization header requires 'Signature' parameter.",
		},
		{
			name:     "missing SignedHeaders",
			build:    replaceAuthorization(`SignedHeaders=\S+, `, ""),
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "Authorization header requires 'SignedHeaders' parameter.",
		},
		{
			name: "everything missing",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256")
				r.Header.Del("X-Amz-Date")
				return r
			},
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg: "Authorization header requires 'Credential' parameter. " +
				"Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
		},
		{
			name: "missing date header",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Del("X-Amz-Date")
				return r
			},
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
		},
		{
			name: "RFC 1123 Date header",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Del("X-Amz-Date")
				r.Header.Set("Date", "Mon, 01 Jan 2024 12:00:00 GMT")
				return r
			},
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "Date must be in ISO-8601 'basic format'. Got 'Mon, 01 Jan 2024 12:00:00 GMT'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		{
			name: "ISO 8601 Date header instead of X-Amz-Date",
			build: func(t *testing.T) *http.Request {
				r := newKMSRequest(testBody)
				r.Header.Set("Date", "20240101T120000Z")
				signWith(t, r, testBody, testSecret, Authorization{
					AccessKeyID: testAKID, Date: "20240101", Region: testRegion, Service: "kms",
					SignedHeaders: []string{"content-type", "date", "host", "x-amz-target"},
				}, "20240101T120000Z")
				return r
			},
		},
		{
			name: "X-Amz-Date with one-digit hour",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Set("X-Amz-Date", "20240101T1200Z")
				return r
			},
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "Date must be in ISO-8601 'basic format'. Got '20240101T1200Z'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		{
			name:     "unsupported algorithm",
			build:    replaceAuthorization(`^AWS4-HMAC-SHA256`, "AWS4-HMAC-SHA512"),
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now).",
		},
		{
			name:     "credential with four elements",
			build:    replaceAuthorization(`/kms/`, "/"),
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20240101/us-east-1/aws4_request'",
		},
		{
			name:     "bad terminator",
			build:    replaceAuthorization(`aws4_request`, "aws5_request"),
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.",
		},
		{
			name:     "malformed region",
			build:    signedScope("20240101", "useast1", "kms"),
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  "Credential should be scoped to a valid region, not 'useast1'.",
		},
		{
			name:     "disallowed region",
			build:    signedScope("20240101", "eu-west-1", "kms"),
			config:   func(c *Config) { c.AllowRegion = func(r string) bool { return r == "us-east-1" } },
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  "Credential should be scoped to a valid region, not 'eu-west-1'.",
		},
		{
			name:   "allowed region",
			build:  signedScope("20240101", "us-east-1", "kms"),
			config: func(c *Config) { c.AllowRegion = func(r string) bool { return r == "us-east-1" } },
		},
		{
			name:     "wrong service",
			build:    signedScope("20240101", testRegion, "s3"),
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  "Credential should be scoped to correct service: 'kms'.",
		},
		{
			name:     "credential date does not match X-Amz-Date",
			build:    signedScope("20231231", testRegion, "kms"),
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20231231' != '20240101', from '20240101T120000Z'.",
		},
		{
			name:     "wrong region, service and date at once",
			build:    signedScope("b", "c", "d"),
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg: "Credential should be scoped to a valid region, not 'c'. " +
				"Credential should be scoped to correct service: 'kms'. " +
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20240101', from '20240101T120000Z'.",
		},
		{
			name: "unknown access key",
			build: func(t *testing.T) *http.Request {
				r := newKMSRequest(testBody)
				creds := Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: testSecret}
				if err := Sign(r, []byte(testBody), creds, testRegion, "kms", testNow); err != nil {
					t.Fatal(err)
				}
				return r
			},
			wantCode: keyhold.ErrCodeUnrecognizedClient,
			wantMsg:  "The security token included in the request is invalid.",
		},
		{
			name: "lookup fails",
			build: func(t *testing.T) *http.Request {
				r := newKMSRequest(testBody)
				creds := Credentials{AccessKeyID: "AKIDBROKEN", SecretAccessKey: testSecret}
				if err := Sign(r, []byte(testBody), creds, testRegion, "kms", testNow); err != nil {
					t.Fatal(err)
				}
				return r
			},
			wantCode: keyhold.ErrCodeInternal,
			wantMsg:  `sigv4: looking up access key "AKIDBROKEN": database is down`,
		},
		{
			name: "wrong secret",
			build: func(t *testing.T) *http.Request {
				r := newKMSRequest(testBody)
				creds := Credentials{AccessKeyID: testAKID, SecretAccessKey: "not-the-secret"}
				if err := Sign(r, []byte(testBody), creds, testRegion, "kms", testNow); err != nil {
					t.Fatal(err)
				}
				return r
			},
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "tampered body",
			build: func(t *testing.T) *http.Request {
				return signedRequest(t, testBody, testNow)
			},
			body:     strings.Replace(testBody, "alias/test", "alias/evil", 1),
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "tampered signed header",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Set("X-Amz-Target", "TrentService.ScheduleKeyDeletion")
				return r
			},
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "tampered host",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Host = "kms.eu-west-1.amazonaws.com"
				return r
			},
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "tampered signature",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				a, err := ParseAuthorization(r.Header.Get("Authorization"))
				if err != nil {
					t.Fatal(err)
				}
				a.Signature = strings.Repeat("0", 64)
				r.Header.Set("Authorization", a.String())
				return r
			},
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "tampered unsigned header",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Set("User-Agent", "someone-else/2.0")
				r.Header.Set("X-Forwarded-For", "192.0.2.1")
				return r
			},
		},
		{
			name: "signed header absent",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Del("X-Amz-Target")
				return r
			},
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "Header 'x-amz-target' is listed in 'SignedHeaders' but is not present in the request.",
		},
		{
			name: "host not signed",
			build: func(t *testing.T) *http.Request {
				r := newKMSRequest(testBody)
				r.Header.Set("X-Amz-Date", "20240101T120000Z")
				signWith(t, r, testBody, testSecret, Authorization{
					AccessKeyID: testAKID, Date: "20240101", Region: testRegion, Service: "kms",
					SignedHeaders: []string{"content-type", "x-amz-date", "x-amz-target"},
				}, "20240101T120000Z")
				return r
			},
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name: "exactly 5 minutes old",
			build: func(t *testing.T) *http.Request {
				return signedRequest(t, testBody, testNow.Add(-5*time.Minute))
			},
		},
		{
			name: "5 minutes and 1 second old",
			build: func(t *testing.T) *http.Request {
				return signedRequest(t, testBody, testNow.Add(-5*time.Minute-time.Second))
			},
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  "Signature expired: 20240101T115459Z is now earlier than 20240101T115500Z (20240101T120000Z - 5 min.)",
		},
		{
			name: "10 minutes old",
			build: func(t *testing.T) *http.Request {
				return signedRequest(t, testBody, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
			},
			now:      time.Date(2024, 1, 1, 0, 10, 0, 0, time.UTC),
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)",
		},
		{
			name: "exactly 5 minutes ahead",
			build: func(t *testing.T) *http.Request {
				return signedRequest(t, testBody, testNow.Add(5*time.Minute))
			},
		},
		{
			name: "5 minutes and 1 second ahead",
			build: func(t *testing.T) *http.Request {
				return signedRequest(t, testBody, testNow.Add(5*time.Minute+time.Second))
			},
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  "Signature not yet current: 20240101T120501Z is still later than 20240101T120500Z (20240101T120000Z + 5 min.)",
		},
		{
			name: "payload hash header matches",
			build: func(t *testing.T) *http.Request {
				r := newKMSRequest(testBody)
				r.Header.Set("X-Amz-Content-Sha256", "placeholder")
				if err := Sign(r, []byte(testBody), testCreds, testRegion, "kms", testNow); err != nil {
					t.Fatal(err)
				}
				if got, want := r.Header.Get("X-Amz-Content-Sha256"), hex.EncodeToString(bodyHash[:]); got != want {
					t.Errorf("Sign set X-Amz-Content-Sha256 %q, want %q", got, want)
				}
				return r
			},
		},
		{
			name: "payload hash header mismatch",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(otherHash[:]))
				return r
			},
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  "The provided 'x-amz-content-sha256' header does not match what was computed.",
		},
		{
			name: "unsigned payload",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
				return r
			},
			wantCode: keyhold.ErrCodeInvalidSignature,
			wantMsg:  "UNSIGNED-PAYLOAD is not accepted: the request body must be signed.",
		},
		{
			name:     "upper-case signature",
			build:    replaceAuthorization(`Signature=(\S+)`, "Signature=ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"),
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "Authorization header 'Signature' parameter must be 64 lowercase hexadecimal digits.",
		},
		{
			name:     "upper-case signed header name",
			build:    replaceAuthorization(`x-amz-target`, "X-Amz-Target"),
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "Authorization header 'SignedHeaders' parameter must list lowercase header names, sorted and separated by ';', got 'content-length;content-type;host;x-amz-date;X-Amz-Target'.",
		},
		{
			name: "two Authorization headers",
			build: func(t *testing.T) *http.Request {
				r := signedRequest(t, testBody, testNow)
				r.Header.Add("Authorization", r.Header.Get("Authorization"))
				return r
			},
			wantCode: keyhold.ErrCodeIncompleteSignature,
			wantMsg:  "The request must carry exactly one Authorization header.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := testNow
			if !tc.now.IsZero() {
				now = tc.now
			}
			v := newTestVerifier(t, func(c *Config) {
				c.Now = func() time.Time { return now }
				if tc.config != nil {
					tc.config(c)
				}
			})
			body := tc.body
			if body == "" {
				body = testBody
			}
			res, err := v.Verify(context.Background(), tc.build(t), []byte(body))
			code, msg := errorOf(err)
			if code != tc.wantCode || msg != tc.wantMsg {
				t.Errorf("Verify error:\n got %s: %s\nwant %s: %s", code, msg, tc.wantCode, tc.wantMsg)
			}
			if (err == nil) != (res != nil) {
				t.Errorf("Verify returned result %v with error %v", res, err)
			}
			if err != nil {
				for _, secret := range []string{testSecret, "not-the-secret"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q contains the secret", err)
					}
				}
			}
		})
	}
}

// replaceAuthorization returns a builder of a request signed at testNow
// whose Authorization header has the first match of the regular expression
// old replaced by new.
func replaceAuthorization(old, new string) func(t *testing.T) *http.Request {
	re := regexp.MustCompile(old)
	return func(t *testing.T) *http.Request {
		r := signedRequest(t, testBody, testNow)
		h := r.Header.Get("Authorization")
		loc := re.FindStringIndex(h)
		if loc == nil {
			t.Fatalf("%q does not match %q", old, h)
		}
		r.Header.Set("Authorization", h[:loc[0]]+new+h[loc[1]:])
		return r
	}
}

// signedScope returns a builder of a request correctly signed (X-Amz-Date
// testNow) for the given credential scope.
func signedScope(date, region, service string) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		r := newKMSRequest(testBody)
		r.Header.Set("X-Amz-Date", testNow.Format(amzDateLayout))
		signWith(t, r, testBody, testSecret, Authorization{
			AccessKeyID: testAKID, Date: date, Region: region, Service: service,
			SignedHeaders: []string{"content-type", "host", "x-amz-date", "x-amz-target"},
		}, testNow.Format(amzDateLayout))
		return r
	}
}

func TestAcceptAnySignature(t *testing.T) {
	v, err := NewVerifier(Config{Service: "kms", AcceptAnySignature: true, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	zeros := strings.Repeat("0", 64)
	tests := []struct {
		name     string
		header   string
		wantCode string
	}{
		{"bad signature", "AWS4-HMAC-SHA256 Credential=123456789012/20240101/us-east-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + zeros, ""},
		{"any region", "AWS4-HMAC-SHA256 Credential=anything/20240101/ap-southeast-4/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + zeros, ""},
		{"missing signature", "AWS4-HMAC-SHA256 Credential=anything/20240101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date", keyhold.ErrCodeIncompleteSignature},
		{"short signature", "AWS4-HMAC-SHA256 Credential=anything/20240101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc", keyhold.ErrCodeIncompleteSignature},
		{"wrong service", "AWS4-HMAC-SHA256 Credential=anything/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + zeros, keyhold.ErrCodeInvalidSignature},
		{"host not signed", "AWS4-HMAC-SHA256 Credential=anything/20240101/us-east-1/kms/aws4_request, SignedHeaders=x-amz-date, Signature=" + zeros, keyhold.ErrCodeInvalidSignature},
		{"signed header absent", "AWS4-HMAC-SHA256 Credential=anything/20240101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date;x-missing, Signature=" + zeros, keyhold.ErrCodeIncompleteSignature},
		{"no header", "", keyhold.ErrCodeMissingAuthToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newKMSRequest(testBody)
			r.Header.Set("X-Amz-Date", "20240101T120000Z")
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			_, err := v.Verify(context.Background(), r, []byte(testBody))
			if code, msg := errorOf(err); code != tc.wantCode {
				t.Errorf("Verify = %s: %s, want code %q", code, msg, tc.wantCode)
			}
		})
	}
	t.Run("clock skew", func(t *testing.T) {
		r := signedRequest(t, testBody, testNow.Add(time.Hour))
		if code, _ := errorOf(mustErr(v.Verify(context.Background(), r, []byte(testBody)))); code != keyhold.ErrCodeInvalidSignature {
			t.Errorf("code %q, want %q", code, keyhold.ErrCodeInvalidSignature)
		}
	})
}

func mustErr(_ *Result, err error) error { return err }

func TestNewVerifierValidates(t *testing.T) {
	for _, cfg := range []Config{
		{Lookup: testLookup},
		{Service: "k/ms", Lookup: testLookup},
		{Service: "kms"},
	} {
		if _, err := NewVerifier(cfg); err == nil {
			t.Errorf("NewVerifier(%+v) succeeded", cfg)
		}
	}
}

func TestValidRegion(t *testing.T) {
	for _, s := range []string{"us-east-1", "us-gov-west-1", "ap-southeast-4", "cn-north-1", "il-central-1", "us-isob-east-1", "eu-central-12"} {
		if !validRegion(s) {
			t.Errorf("validRegion(%q) = false", s)
		}
	}
	for _, s := range []string{"", "us", "us-1", "useast1", "us-east", "US-east-1", "usa-east-1", "us-east-1a", "us--east-1", "us-east-", "-us-east-1", "us-east-1-", "us_east_1", "us-east-x1"} {
		if validRegion(s) {
			t.Errorf("validRegion(%q) = true", s)
		}
	}
}

func TestParseAmzDate(t *testing.T) {
	good := map[string]time.Time{
		"20240101T120000Z": testNow,
		"20240229T235959Z": time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC),
	}
	for s, want := range good {
		if got, ok := parseAmzDate(s); !ok || !got.Equal(want) {
			t.Errorf("parseAmzDate(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "20240101T1200Z", "20240101T120000", "2024-01-01T12:00:00Z", "20230229T120000Z", "20241301T120000Z", "20240101T250000Z", "20240101T126000Z", "2024010aT120000Z", "20240101t120000Z", "+0240101T120000Z"} {
		if _, ok := parseAmzDate(s); ok {
			t.Errorf("parseAmzDate(%q) succeeded", s)
		}
	}
}

func TestCanonicalURIAndQuery(t *testing.T) {
	tests := []struct{ url, wantURI, wantQuery string }{
		{"https://h/", "/", ""},
		{"https://h", "/", ""},
		{"https://h/a%20b/c", "/a%2520b/c", ""},
		{"https://h/?b=2&a=1&a=0", "/", "a=0&a=1&b=2"},
		{"https://h/?k=a%20b&k2=x+y&empty&s=a/b~", "/", "empty=&k=a%20b&k2=x%20y&s=a%2Fb~"},
		{"https://h/?a-b=1&a%2Fb=2", "/", "a%2Fb=2&a-b=1"},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodGet, tc.url, nil)
		if got := string(appendCanonicalURI(nil, r.URL)); got != tc.wantURI {
			t.Errorf("%s: canonical URI %q, want %q", tc.url, got, tc.wantURI)
		}
		if got := string(appendCanonicalQuery(nil, r.URL.RawQuery)); got != tc.wantQuery {
			t.Errorf("%s: canonical query %q, want %q", tc.url, got, tc.wantQuery)
		}
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "https://kms.example/", nil)
	r.Header.Add("X-Multi", "  a   b  ")
	r.Header.Add("X-Multi", "c")
	r.Header["x-raw"] = []string{"direct"} // not canonical: set on the map directly
	r.Header.Set("Content-Length", "12")
	got, err := appendCanonicalRequest(nil, r, []string{"content-length", "host", "x-multi", "x-raw"}, []byte("HASH"))
	if err != nil {
		t.Fatal(err)
	}
	want := "POST\n/\n\ncontent-length:12\nhost:kms.example\nx-multi:a b,c\nx-raw:direct\n\ncontent-length;host;x-multi;x-raw\nHASH"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("canonical request (-want +got):\n%s", diff)
	}
}

func TestKeyCache(t *testing.T) {
	c := newKeyCache()
	a := c.signingKey([]byte("secret-a"), "20240101", "us-east-1", "kms")
	want := deriveSigningKey([]byte("secret-a"), "20240101", "us-east-1", "kms")
	if *a != want {
		t.Fatal("cached key differs from derived key")
	}
	if c.signingKey([]byte("secret-a"), "20240101", "us-east-1", "kms") != a {
		t.Error("second lookup did not hit the cache")
	}
	if *c.signingKey([]byte("secret-b"), "20240101", "us-east-1", "kms") == *a {
		t.Error("different secrets share a signing key")
	}

	// Concurrent use past the bound.
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range keyCacheSize / 2 {
				secret := []byte(fmt.Sprintf("secret-%d-%d", g, i))
				got := c.signingKey(secret, "20240101", "us-east-1", "kms")
				if *got != deriveSigningKey(secret, "20240101", "us-east-1", "kms") {
					t.Errorf("wrong key for %s", secret)
					return
				}
			}
		}()
	}
	wg.Wait()
	c.mu.RLock()
	n := len(c.m)
	c.mu.RUnlock()
	if n > keyCacheSize {
		t.Errorf("cache holds %d entries, bound is %d", n, keyCacheSize)
	}
}

// TestFingerprintLongSecret covers the fallback for secrets longer than the
// stack buffer.
func TestFingerprintLongSecret(t *testing.T) {
	c := newKeyCache()
	long := bytes.Repeat([]byte("x"), 1000)
	h := sha256.New()
	h.Write(c.salt[:])
	h.Write(long)
	if got := c.fingerprint(long); !bytes.Equal(got[:], h.Sum(nil)) {
		t.Error("fingerprint of a long secret is not SHA-256(salt || secret)")
	}
	short := []byte("short")
	want := sha256.Sum256(append(c.salt[:], short...))
	if c.fingerprint(short) != want {
		t.Error("fingerprint of a short secret is not SHA-256(salt || secret)")
	}
}

func BenchmarkVerify(b *testing.B) {
	v := newTestVerifier(b, nil)
	r := signedRequest(b, testBody, testNow)
	body := []byte(testBody)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	v := newTestVerifier(b, nil)
	r := signedRequest(b, testBody, testNow)
	body := []byte(testBody)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(ctx, r, body); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestHMACSHA256Into(t *testing.T) {
	var buf []byte
	for n := range 300 {
		var key [sha256.Size]byte
		for i := range key {
			key[i] = byte(n*7 + i)
		}
		msg := bytes.Repeat([]byte{byte(n)}, n)
		var got [sha256.Size]byte
		buf = hmacSHA256Into(&got, &key, msg, buf)
		m := hmac.New(sha256.New, key[:])
		m.Write(msg)
		if want := m.Sum(nil); !bytes.Equal(got[:], want) {
			t.Fatalf("len %d: hmacSHA256Into = %x, crypto/hmac = %x", n, got, want)
		}
	}
}

func TestDecodeHex(t *testing.T) {
	want := sha256.Sum256([]byte("x"))
	var got [sha256.Size]byte
	decodeHex(got[:], hex.EncodeToString(want[:]))
	if got != want {
		t.Errorf("decodeHex = %x, want %x", got, want)
	}
}
