package client

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/xks"
)

// zeros returns n bytes of value n in Base64: distinct for each n, so one
// member can be replaced in a canned answer.
func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(n)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// TestAnswers checks every answer against the specification before anyone
// uses it.
func TestAnswers(t *testing.T) {
	var status int
	var body string
	var gotAuth, gotPath string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath = r.Header.Get("Authorization"), r.URL.EscapedPath()
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c := New(Options{RootCAs: pool, Resolve: map[string]string{"xks.example.com": srv.Listener.Addr().String()}})
	ep := &xks.Endpoint{URIEndpoint: "https://xks.example.com", URIPath: "/p/kms/xks/v1", AccessKeyID: "AKIDAKIDAKIDAKIDAKID", Secret: []byte("secret"), Region: "eu-west-1"}
	md := &xks.RequestMetadata{KMSRequestID: "r", KMSOperation: "Encrypt"}
	enc := func(s int, b string) error {
		status, body = s, b
		var out xks.EncryptResponse
		return c.Do(context.Background(), ep, xks.OpEncrypt, "k1", &xks.EncryptRequest{RequestMetadata: md}, &out)
	}
	good := `{"authenticationTag":"` + zeros(16) + `","ciphertext":"` + zeros(5) + `","initializationVector":"` + zeros(12) + `"}`
	if err := enc(200, good); err != nil {
		t.Fatal(err)
	}
	if gotPath != "/p/kms/xks/v1/keys/k1/encrypt" || !strings.Contains(gotAuth, "/eu-west-1/kms-xks-proxy/aws4_request") {
		t.Fatalf("request: %s %s", gotPath, gotAuth)
	}
	if err := enc(200, strings.Replace(good, zeros(12), zeros(16), 1)); err != nil {
		t.Fatalf("16-byte IV refused: %v", err)
	}
	for name, tc := range map[string]struct {
		status  int
		body    string
		failure xks.Failure
		errName string
	}{
		"error name":         {404, `{"errorName":"KeyNotFoundException","errorMessage":"no\nsuch"}`, 0, "KeyNotFoundException"},
		"unknown name":       {400, `{"errorName":"SomethingElse"}`, xks.FailureInvalidResponse, ""},
		"HTML error":         {502, `<html>`, xks.FailureInvalidResponse, ""},
		"not JSON":           {200, `ok`, xks.FailureInvalidResponse, ""},
		"no tag":             {200, `{"ciphertext":"` + zeros(5) + `","initializationVector":"` + zeros(12) + `"}`, xks.FailureInvalidResponse, ""},
		"15-byte tag":        {200, strings.Replace(good, zeros(16), zeros(15), 1), xks.FailureInvalidResponse, ""},
		"13-byte IV":         {200, strings.Replace(good, zeros(12), zeros(13), 1), xks.FailureInvalidResponse, ""},
		"21-byte metadata":   {200, strings.Replace(good, `}`, `,"ciphertextMetadata":"`+zeros(21)+`"}`, 1), xks.FailureInvalidResponse, ""},
		"bad Base64":         {200, strings.Replace(good, zeros(5), "!!", 1), xks.FailureInvalidResponse, ""},
		"huge answer":        {200, `{"x":"` + strings.Repeat("a", maxResponse) + `"}`, xks.FailureInvalidResponse, ""},
		"error without name": {500, `{"message":"x"}`, xks.FailureInvalidResponse, ""},
	} {
		err := enc(tc.status, tc.body)
		if xks.FailureOf(err) != tc.failure || xks.ErrorName(err) != tc.errName {
			t.Errorf("%s: %v", name, err)
		}
		if e, ok := err.(*xks.Error); ok && strings.ContainsAny(e.Message, "\n") {
			t.Errorf("%s: unsafe message %q", name, e.Message)
		}
	}
	// Health: members and ranges.
	for name, b := range map[string]string{
		"no details":   `{"xksProxyFleetSize":1,"xksProxyVendor":"v","xksProxyModel":"m","ekmVendor":"e","ekmFleetDetails":[]}`,
		"fleet of 0":   `{"xksProxyFleetSize":0,"xksProxyVendor":"v","xksProxyModel":"m","ekmVendor":"e","ekmFleetDetails":[{"id":"a","model":"b","healthStatus":"ACTIVE"}]}`,
		"bad status":   `{"xksProxyFleetSize":1,"xksProxyVendor":"v","xksProxyModel":"m","ekmVendor":"e","ekmFleetDetails":[{"id":"a","model":"b","healthStatus":"FINE"}]}`,
		"no ekmVendor": `{"xksProxyFleetSize":1,"xksProxyVendor":"v","xksProxyModel":"m","ekmFleetDetails":[{"id":"a","model":"b","healthStatus":"ACTIVE"}]}`,
	} {
		status, body = 200, b
		var out xks.HealthResponse
		if err := c.Do(context.Background(), ep, xks.OpGetHealthStatus, "", &xks.HealthRequest{RequestMetadata: md}, &out); xks.FailureOf(err) != xks.FailureInvalidResponse {
			t.Errorf("health %s: %v", name, err)
		}
	}
	// Not https, or an invalid key id: refused before any call.
	if err := c.Do(context.Background(), &xks.Endpoint{URIEndpoint: "http://xks.example.com"}, xks.OpGetHealthStatus, "", nil, nil); xks.FailureOf(err) != xks.FailureUnreachable {
		t.Errorf("http endpoint: %v", err)
	}
	if err := c.Do(context.Background(), ep, xks.OpEncrypt, "../x", nil, nil); err == nil {
		t.Error("key id with a slash")
	}
}

// TestTimeoutAndTLS: 250 ms for the whole call; a certificate the client
// does not trust is a TLS failure.
func TestTimeoutAndTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(400 * time.Millisecond)
	}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	ep := &xks.Endpoint{URIEndpoint: "https://xks.example.com", URIPath: "/kms/xks/v1", AccessKeyID: "AKIDAKIDAKIDAKIDAKID", Secret: []byte("s"), Region: "us-east-1"}
	md := &xks.HealthRequest{RequestMetadata: &xks.RequestMetadata{KMSRequestID: "r", KMSOperation: "x"}}
	c := New(Options{RootCAs: pool, Resolve: map[string]string{"xks.example.com": srv.Listener.Addr().String()}})
	start := time.Now()
	var out xks.HealthResponse
	err := c.Do(context.Background(), ep, xks.OpGetHealthStatus, "", md, &out)
	if xks.FailureOf(err) != xks.FailureTimeout || time.Since(start) > 390*time.Millisecond {
		t.Fatalf("slow proxy: %v after %v", err, time.Since(start))
	}
	untrusting := New(Options{RootCAs: x509.NewCertPool(), Resolve: map[string]string{"xks.example.com": srv.Listener.Addr().String()}})
	if err := untrusting.Do(context.Background(), ep, xks.OpGetHealthStatus, "", md, &out); xks.FailureOf(err) != xks.FailureTLS {
		t.Fatalf("untrusted certificate: %v", err)
	}
	// httptest's certificate names example.com and *.example.com: another
	// host name fails.
	wrongName := New(Options{RootCAs: pool, Resolve: map[string]string{"other.test": srv.Listener.Addr().String()}})
	ep2 := *ep
	ep2.URIEndpoint = "https://other.test"
	if err := wrongName.Do(context.Background(), &ep2, xks.OpGetHealthStatus, "", md, &out); xks.FailureOf(err) != xks.FailureTLS {
		t.Fatalf("certificate for another name: %v", err)
	}
}
