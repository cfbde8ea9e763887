package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/sigv4"
)

var testCreds = sigv4.Credentials{AccessKeyID: "AKIDBENCHTEST", SecretAccessKey: "bench-secret"}

// fakeKMS is the little of KMS that Prepare and the operations need. It
// checks every request's SigV4 signature and protocol headers and keeps
// the bodies it got.
type fakeKMS struct {
	t        *testing.T
	verifier *sigv4.Verifier

	mu     sync.Mutex
	bodies map[string][]map[string]any // by operation
	keys   map[string]string           // key id → spec
	n      int
}

func newFakeKMS(t *testing.T) (*fakeKMS, *httptest.Server) {
	v, err := sigv4.NewVerifier(sigv4.Config{Service: "kms", Lookup: func(_ context.Context, id, _ string) ([]byte, error) {
		if id != testCreds.AccessKeyID {
			return nil, sigv4.UnknownAccessKey()
		}
		return []byte(testCreds.SecretAccessKey), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeKMS{t: t, verifier: v, bodies: map[string][]map[string]any{}, keys: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeKMS) fail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func (f *fakeKMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if _, err := f.verifier.Verify(r.Context(), r, body); err != nil {
		f.fail(w, "InvalidSignatureException", err.Error())
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || r.URL.Path != "/" || !ok || r.Header.Get("Content-Type") != contentType {
		f.fail(w, "UnknownOperationException", "bad protocol")
		return
	}
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		f.fail(w, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies[op] = append(f.bodies[op], in)
	key, _ := in["KeyId"].(string)
	if _, known := f.keys[key]; key != "" && !known {
		f.fail(w, "NotFoundException", "Key '"+key+"' does not exist")
		return
	}
	var out any
	switch op {
	case "CreateKey":
		f.n++
		id := "key-" + string(rune('0'+f.n))
		spec, _ := in["KeySpec"].(string)
		if spec == "" {
			spec = "SYMMETRIC_DEFAULT"
		}
		f.keys[id] = spec
		out = map[string]any{"KeyMetadata": map[string]any{"KeyId": id, "KeySpec": spec}}
	case "DescribeKey":
		md := map[string]any{"KeyId": key, "KeySpec": f.keys[key]}
		switch f.keys[key] {
		case "ECC_NIST_P384":
			md["SigningAlgorithms"] = []string{"ECDSA_SHA_384"}
		case "HMAC_512":
			md["MacAlgorithms"] = []string{"HMAC_SHA_512"}
		}
		out = map[string]any{"KeyMetadata": md}
	case "Encrypt":
		out = map[string]any{"KeyId": key, "CiphertextBlob": []byte("ciphertext-of-" + key)}
	case "Sign":
		out = map[string]any{"KeyId": key, "Signature": []byte("signature-by-" + key)}
	default:
		out = map[string]any{"KeyId": key}
	}
	w.Header().Set("Content-Type", contentType)
	json.NewEncoder(w).Encode(out)
}

func (f *fakeKMS) last(op string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.bodies[op]
	if len(b) == 0 {
		f.t.Fatalf("no %s request", op)
	}
	return b[len(b)-1]
}

func newTestClient(t *testing.T, url string) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{Endpoint: url, Region: "us-east-1", Credentials: testCreds, Connections: 4, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestPrepareCreatesKeysAndBodies(t *testing.T) {
	f, srv := newFakeKMS(t)
	c := newTestClient(t, srv.URL)
	mix := mustMix(t, "Encrypt,Decrypt,GenerateDataKey,ReEncrypt,Sign,Verify,GenerateMac,DescribeKey,CreateKey")
	target, err := Prepare(context.Background(), c, Workload{Mix: mix, Size: 100, SigningKeySpec: "ECC_NIST_P256"})
	if err != nil {
		t.Fatal(err)
	}
	// One key of each kind: symmetric, signing, HMAC.
	if len(target.CreatedKeys) != 3 {
		t.Fatalf("created %v", target.CreatedKeys)
	}
	sym, sig, mac := target.CreatedKeys[0], target.CreatedKeys[1], target.CreatedKeys[2]
	if f.keys[sym] != "SYMMETRIC_DEFAULT" || f.keys[sig] != "ECC_NIST_P256" || f.keys[mac] != "HMAC_256" {
		t.Fatalf("key specs %v", f.keys)
	}
	for op := range numOps {
		if code, msg := target.Do(context.Background(), op); code != "" {
			t.Errorf("%s: %s: %s", op, code, msg)
		}
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	enc := f.last("Encrypt")
	if str(enc, "KeyId") != sym || len(str(enc, "Plaintext")) != 136 { // base64 of 100 bytes
		t.Errorf("Encrypt body %v", enc)
	}
	// Decrypt and ReEncrypt carry the set-up's ciphertext.
	ct := "Y2lwaGVydGV4dC1vZi1rZXktMQ==" // "ciphertext-of-key-1"
	if d := f.last("Decrypt"); str(d, "CiphertextBlob") != ct || str(d, "KeyId") != sym {
		t.Errorf("Decrypt body %v", d)
	}
	if d := f.last("ReEncrypt"); str(d, "CiphertextBlob") != ct || str(d, "SourceKeyId") != sym || str(d, "DestinationKeyId") != sym {
		t.Errorf("ReEncrypt body %v", d)
	}
	if d := f.last("GenerateDataKey"); str(d, "KeySpec") != "AES_256" {
		t.Errorf("GenerateDataKey body %v", d)
	}
	if d := f.last("Sign"); str(d, "KeyId") != sig || str(d, "SigningAlgorithm") != "ECDSA_SHA_256" || str(d, "MessageType") != "RAW" {
		t.Errorf("Sign body %v", d)
	}
	if d := f.last("Verify"); str(d, "Signature") == "" || str(d, "Message") != str(f.last("Sign"), "Message") {
		t.Errorf("Verify body %v", d)
	}
	if d := f.last("GenerateMac"); str(d, "KeyId") != mac || str(d, "MacAlgorithm") != "HMAC_SHA_256" {
		t.Errorf("GenerateMac body %v", d)
	}
}

func TestPrepareGivenKey(t *testing.T) {
	f, srv := newFakeKMS(t)
	c := newTestClient(t, srv.URL)
	f.keys["p384"], f.keys["hmac512"], f.keys["rsa"] = "ECC_NIST_P384", "HMAC_512", "RSA_3072"
	tests := []struct {
		key, mix, op, field, want string
	}{
		{"p384", "Sign", "Sign", "SigningAlgorithm", "ECDSA_SHA_384"},
		{"rsa", "Sign", "Sign", "SigningAlgorithm", "RSASSA_PSS_SHA_256"},
		{"hmac512", "GenerateMac", "GenerateMac", "MacAlgorithm", "HMAC_SHA_512"},
	}
	for _, tt := range tests {
		target, err := Prepare(context.Background(), c, Workload{Mix: mustMix(t, tt.mix), Key: tt.key, Size: 32})
		if err != nil {
			t.Fatal(err)
		}
		if len(target.CreatedKeys) != 0 {
			t.Errorf("created keys %v with --key", target.CreatedKeys)
		}
		if code, _ := target.Do(context.Background(), mustMix(t, tt.op)[0].Op); code != "" {
			t.Fatal(code)
		}
		if got, _ := f.last(tt.op)[tt.field].(string); got != tt.want {
			t.Errorf("%s with %s: %s = %q, want %q", tt.op, tt.key, tt.field, got, tt.want)
		}
	}
	// A missing key fails the set-up of operations that need a
	// ciphertext, with the service's error.
	_, err := Prepare(context.Background(), c, Workload{Mix: mustMix(t, "Decrypt"), Key: "nope", Size: 32})
	if err == nil || !strings.Contains(err.Error(), "NotFoundException") {
		t.Errorf("Prepare with a missing key: %v", err)
	}
}

func TestWorkloadValidate(t *testing.T) {
	tests := []struct {
		name    string
		w       Workload
		wantErr string
	}{
		{"ok", Workload{Mix: Mix{{Encrypt, 1}}, Size: 4096}, ""},
		{"size is ignored by DescribeKey", Workload{Mix: Mix{{DescribeKey, 1}, {CreateKey, 1}, {GenerateDataKey, 1}}}, ""},
		{"size too small", Workload{Mix: Mix{{Sign, 1}}, Size: 0}, "size: 0 is not from 1 to 4096"},
		{"size too large", Workload{Mix: Mix{{Encrypt, 1}}, Size: 4097}, "size: 4097"},
		{"one key for two kinds", Workload{Mix: Mix{{Encrypt, 1}, {Sign, 1}}, Key: "k", Size: 1}, "needs keys of different kinds"},
		{"one key, one kind", Workload{Mix: Mix{{Encrypt, 1}, {Decrypt, 1}, {CreateKey, 1}}, Key: "k", Size: 1}, ""},
		{"no mix", Workload{Size: 1}, "no operation"},
	}
	for _, tt := range tests {
		err := tt.w.Validate()
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestErrorCodes(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header string
		body   string
		want   string
		msg    string
	}{
		{"__type", 400, "", `{"__type":"NotFoundException","message":"Key 'x' does not exist"}`, "NotFoundException", "Key 'x' does not exist"},
		{"namespaced __type", 400, "", `{"__type":"com.amazonaws.kms#KMSInvalidStateException","Message":"pending deletion"}`, "KMSInvalidStateException", "pending deletion"},
		{"X-Amzn-ErrorType header", 400, "AccessDeniedException:http://internal.amazon.com/coral/", `{}`, "AccessDeniedException", ""},
		{"code field", 400, "", `{"code":"ThrottlingException"}`, "ThrottlingException", ""},
		{"no JSON", 502, "", `<html>bad gateway</html>`, "HTTP 502", ""},
		{"not a code", 400, "", `{"__type":"<script>alert(1)</script>"}`, "HTTP 400", ""},
		{"too long", 500, "", `{"__type":"` + strings.Repeat("A", 65) + `"}`, "HTTP 500", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("X-Amzn-ErrorType", tt.header)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL)
			code, msg := c.send(context.Background(), newPrepared("Encrypt", []byte(`{}`)))
			if code != tt.want || msg != tt.msg {
				t.Errorf("send = %q, %q; want %q, %q", code, msg, tt.want, tt.msg)
			}
			var apiErr *APIError
			err := c.Call(context.Background(), "Encrypt", map[string]string{}, nil)
			if !asAPIError(err, &apiErr) || apiErr.Code != tt.want || apiErr.Status != tt.status {
				t.Errorf("Call error = %v", err)
			}
		})
	}
}

func asAPIError(err error, target **APIError) bool {
	e, ok := err.(*APIError)
	if ok {
		*target = e
	}
	return ok
}

func TestTransportErrorCodes(t *testing.T) {
	// Nothing listens on a port just closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newTestClient(t, "http://"+addr)
	if code, _ := c.send(context.Background(), newPrepared("Encrypt", []byte(`{}`))); code != CodeConnectionRefused {
		t.Errorf("closed port: %q, want %q", code, CodeConnectionRefused)
	}

	// A server that never answers: the client's timeout.
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer slow.Close()
	defer close(block)
	c, err = NewClient(ClientConfig{Endpoint: slow.URL, Region: "us-east-1", Credentials: testCreds, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := c.send(context.Background(), newPrepared("Encrypt", []byte(`{}`))); code != CodeTimeout {
		t.Errorf("silent server: %q, want %q", code, CodeTimeout)
	}

	// A server that hangs up.
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer hangup.Close()
	c = newTestClient(t, hangup.URL)
	if code, _ := c.send(context.Background(), newPrepared("Encrypt", []byte(`{}`))); code != CodeConnectionClosed {
		t.Errorf("hang-up: %q, want %q", code, CodeConnectionClosed)
	}
}

func TestNewClient(t *testing.T) {
	for _, ep := range []string{"", "127.0.0.1:4599", "ftp://x", "http://"} {
		if _, err := NewClient(ClientConfig{Endpoint: ep, Region: "us-east-1"}); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
	if _, err := NewClient(ClientConfig{Endpoint: "http://127.0.0.1:1"}); err == nil {
		t.Error("no region accepted")
	}
}

// TestSignatureIsSigV4 checks a request against a signature computed here
// from the published algorithm, independent of internal/sigv4's verifier.
func TestSignatureIsSigV4(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotBody = r, must(io.ReadAll(r.Body))
	}))
	defer srv.Close()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c, err := NewClient(ClientConfig{Endpoint: srv.URL, Region: "eu-west-1", Credentials: testCreds, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"KeyId":"k"}`)
	if code, msg := c.send(context.Background(), newPrepared("DescribeKey", body)); code != "" {
		t.Fatal(code, msg)
	}
	if !bytes.Equal(gotBody, body) || got.Header.Get("X-Amz-Date") != "20260102T030405Z" {
		t.Fatalf("body %q, date %q", gotBody, got.Header.Get("X-Amz-Date"))
	}
	hash := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	canonical := "POST\n/\n\n" +
		"content-length:" + "13" + "\n" +
		"content-type:" + contentType + "\n" +
		"host:" + got.Host + "\n" +
		"x-amz-date:20260102T030405Z\n" +
		"x-amz-target:TrentService.DescribeKey\n\n" +
		"content-length;content-type;host;x-amz-date;x-amz-target\n" + hash(body)
	sts := "AWS4-HMAC-SHA256\n20260102T030405Z\n20260102/eu-west-1/kms/aws4_request\n" + hash([]byte(canonical))
	mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
	k := mac(mac(mac(mac([]byte("AWS4"+testCreds.SecretAccessKey), "20260102"), "eu-west-1"), "kms"), "aws4_request")
	want := "AWS4-HMAC-SHA256 Credential=AKIDBENCHTEST/20260102/eu-west-1/kms/aws4_request, " +
		"SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-target, Signature=" + hex.EncodeToString(mac(k, sts))
	if a := got.Header.Get("Authorization"); a != want {
		t.Errorf("Authorization:\n got %s\nwant %s", a, want)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestEmptyHandler(t *testing.T) {
	srv := httptest.NewServer(EmptyHandler())
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	// The same set-up as against a KMS works against the empty server, for
	// every operation, without --key.
	mix := mustMix(t, "Encrypt,Decrypt,GenerateDataKey,ReEncrypt,Sign,Verify,GenerateMac,DescribeKey,CreateKey")
	target, err := Prepare(context.Background(), c, Workload{Mix: mix, Size: 1024})
	if err != nil {
		t.Fatal(err)
	}
	for op := range numOps {
		if code, msg := target.Do(context.Background(), op); code != "" {
			t.Errorf("%s: %s %s", op, code, msg)
		}
	}
	resp, err := http.Post(srv.URL, contentType, strings.NewReader(strings.Repeat("x", 2<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != contentType || !json.Valid(b) || len(b) > 256 {
		t.Errorf("empty server: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
}

// TestSignaturePerSecond checks that a prepared request is signed once a
// second: the same second reuses the signature, the next second gets a
// new one, and every one verifies.
func TestSignaturePerSecond(t *testing.T) {
	f, srv := newFakeKMS(t)
	f.keys["k"] = "SYMMETRIC_DEFAULT"
	var mu sync.Mutex
	base := time.Now().Truncate(time.Second)
	now := base
	c, err := NewClient(ClientConfig{Endpoint: srv.URL, Region: "us-east-1", Credentials: testCreds,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := newPrepared("DescribeKey", []byte(`{"KeyId":"k"}`))
	var sigs []*signature
	for i, at := range []time.Duration{0, 300 * time.Millisecond, time.Second, 1500 * time.Millisecond} {
		mu.Lock()
		now = base.Add(at)
		mu.Unlock()
		if code, msg := c.send(context.Background(), p); code != "" {
			t.Fatalf("request %d: %s %s", i, code, msg)
		}
		sigs = append(sigs, p.sig.Load())
	}
	if sigs[0] != sigs[1] || sigs[2] != sigs[3] || sigs[1] == sigs[2] {
		t.Errorf("signatures not one per second: %p %p %p %p", sigs[0], sigs[1], sigs[2], sigs[3])
	}
	if sigs[1].header.Get("Authorization") == sigs[2].header.Get("Authorization") {
		t.Error("the next second reused the signature")
	}
	if n := len(f.bodies["DescribeKey"]); n != 4 {
		t.Errorf("server verified %d requests, want 4", n)
	}
}
