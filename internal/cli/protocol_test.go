package cli_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/sigv4"
)

type rawResponse struct {
	Status int
	Header http.Header
	Type   string `json:"__type"`
	Msg    string `json:"message"`
	Body   []byte
}

// post sends a raw request to the server. sign=false sends no
// Authorization header.
func (ts *testServer) post(t *testing.T, target, contentType string, body []byte, creds *sigv4.Credentials) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+ts.API+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if creds != nil {
		if err := sigv4.Sign(req, body, *creds, region, "kms", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if resp.StatusCode != 200 {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("error body is not JSON: %q", b)
		}
	}
	return r
}

const jsonType = "application/x-amz-json-1.1"

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestProtocolErrors sends what real clients never send and checks that
// each gets AWS's error shape and status, never a 5xx.
func TestProtocolErrors(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	cr := &sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	big := append([]byte(`{"Plaintext":"`), bytes.Repeat([]byte("A"), 1<<20)...)
	big = append(big, `"}`...)
	cases := []struct {
		name        string
		target, ct  string
		body        string
		raw         []byte
		creds       *sigv4.Credentials
		status      int
		code, msgRE string
	}{
		{"no authorization", "TrentService.ListKeys", jsonType, `{}`, nil, nil, 403, "MissingAuthenticationTokenException", `^Missing Authentication Token$`},
		{"unknown target", "TrentService.Nope", jsonType, `{}`, nil, cr, 404, "UnknownOperationException", `Nope`},
		{"other service's target", "DynamoDB_20120810.ListTables", jsonType, `{}`, nil, cr, 404, "UnknownOperationException", ``},
		{"missing target", "", jsonType, `{}`, nil, cr, 404, "UnknownOperationException", `X-Amz-Target`},
		{"wrong content type", "TrentService.ListKeys", "application/json", `{}`, nil, cr, 404, "UnknownOperationException", `Content-Type`},
		{"malformed JSON", "TrentService.ListKeys", jsonType, `{"Limit":`, nil, cr, 400, "SerializationException", ``},
		{"top-level array", "TrentService.ListKeys", jsonType, `[1,2]`, nil, cr, 400, "SerializationException", ``},
		{"string for integer", "TrentService.GenerateRandom", jsonType, `{"NumberOfBytes":"12"}`, nil, cr, 400, "SerializationException", ``},
		{"not base64", "TrentService.Decrypt", jsonType, `{"CiphertextBlob":"!!!"}`, nil, cr, 400, "SerializationException", ``},
		{"enum violation", "TrentService.CreateKey", jsonType, `{"KeySpec":"FOO"}`, nil, cr, 400, "ValidationException",
			`^1 validation error detected: Value 'FOO' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: \[`},
		{"required member", "TrentService.DescribeKey", jsonType, `{}`, nil, cr, 400, "ValidationException",
			`^1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null$`},
		{"two violations", "TrentService.ListKeys", jsonType, `{"Limit":0,"Marker":""}`, nil, cr, 400, "ValidationException", `^2 validation errors detected: `},
		{"body over 1 MiB", "TrentService.Encrypt", jsonType, "", big, cr, 413, "RequestEntityTooLargeException", ``},
		{"bad signature", "TrentService.ListKeys", jsonType, `{}`, nil, &sigv4.Credentials{AccessKeyID: id, SecretAccessKey: "x" + secret}, 400, "InvalidSignatureException", `does not match`},
		{"operation not built", "TrentService.ReplicateKey", jsonType, `{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","ReplicaRegion":"us-west-2"}`, nil, cr, 400, "UnsupportedOperationException", `^ReplicateKey is not supported by keyhold yet\.$`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.raw
			if body == nil {
				body = []byte(tc.body)
			}
			r := ts.post(t, tc.target, tc.ct, body, tc.creds)
			if r.Status != tc.status || r.Type != tc.code || !regexp.MustCompile(tc.msgRE).MatchString(r.Msg) {
				t.Fatalf("got %d %s %q, want %d %s /%s/", r.Status, r.Type, r.Msg, tc.status, tc.code, tc.msgRE)
			}
			if !uuidRE.MatchString(r.Header.Get("x-amzn-RequestId")) {
				t.Errorf("x-amzn-RequestId %q", r.Header.Get("x-amzn-RequestId"))
			}
			if ct := r.Header.Get("Content-Type"); ct != jsonType {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}

	// GET is not served.
	resp, err := http.Get("http://" + ts.API + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET / = %d", resp.StatusCode)
	}
	// The server is still healthy after all of that.
	if r := ts.post(t, "TrentService.ListKeys", jsonType, []byte(`{}`), cr); r.Status != 200 {
		t.Fatalf("ListKeys after bad requests: %d %s", r.Status, r.Body)
	}
}

// TestEveryOperationIsRouted sends {} to each of the 54 operations: none may
// be an unknown operation or a server error.
func TestEveryOperationIsRouted(t *testing.T) {
	ts := startServer(t, "dev", "")
	cr := &sigv4.Credentials{AccessKeyID: "111122223333", SecretAccessKey: "dev"}
	raw, err := os.ReadFile("../../testdata/model/kms-service-2.json")
	if err != nil {
		t.Fatal(err)
	}
	var model struct {
		Operations map[string]json.RawMessage `json:"operations"`
	}
	if err := json.Unmarshal(raw, &model); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for op := range model.Operations {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	if len(ops) != 54 {
		t.Fatalf("model has %d operations", len(ops))
	}
	for _, op := range ops {
		r := ts.post(t, "TrentService."+op, jsonType, []byte(`{}`), cr)
		switch {
		case r.Status == 200:
		case r.Status == 400 && (r.Type == "ValidationException" || r.Type == "UnsupportedOperationException"):
		default:
			t.Errorf("%s: %d %s %q", op, r.Status, r.Type, r.Msg)
		}
	}
}

// TestCurlSigV4 signs with curl's own SigV4 implementation.
func TestCurlSigV4(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is required (apt-get install curl)")
	}
	data := filepath.Join(t.TempDir(), "data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	run := func(user string) (string, error) {
		out, err := exec.Command(curl, "-sS", "--aws-sigv4", "aws:amz:us-east-1:kms", "--user", user,
			"-H", "Content-Type: "+jsonType, "-H", "X-Amz-Target: TrentService.GenerateRandom",
			"--data", `{"NumberOfBytes":16}`, "http://"+ts.API+"/").CombinedOutput()
		return string(out), err
	}
	out, err := run(id + ":" + secret)
	if err != nil || !strings.Contains(out, `"Plaintext"`) {
		t.Fatalf("curl: %v %s", err, out)
	}
	out, _ = run(id + ":wrong-secret")
	if !strings.Contains(out, "InvalidSignatureException") {
		t.Fatalf("curl with a wrong secret: %s", out)
	}
}
