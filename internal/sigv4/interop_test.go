package sigv4

// Interoperability: requests signed by real clients (aws-sdk-go-v2's signer
// and KMS client, curl --aws-sigv4, botocore's header set) must verify, and
// Sign must agree with aws-sdk-go-v2 byte for byte.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// verifyingServer is an httptest server whose handler authenticates every
// request with v and answers like KMS: an AWS JSON error, or an empty
// ListKeys response.
type verifyingServer struct {
	*httptest.Server
	mu    sync.Mutex
	authz []string // Authorization headers of accepted requests
}

func newVerifyingServer(t *testing.T, v *Verifier) *verifyingServer {
	t.Helper()
	s := &verifyingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if _, err := v.Verify(r.Context(), r, body); err != nil {
			code, msg := errorOf(err)
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
			return
		}
		s.mu.Lock()
		s.authz = append(s.authz, r.Header.Get("Authorization"))
		s.mu.Unlock()
		io.WriteString(w, `{"Keys":[],"Truncated":false}`)
	}))
	t.Cleanup(s.Close)
	return s
}

// send sends r and returns the response's __type ("" for success).
func send(t *testing.T, r *http.Request) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if resp.StatusCode != http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
			t.Fatalf("status %s, undecodable body: %v", resp.Status, err)
		}
		t.Logf("server: %s: %s", e.Type, e.Message)
	}
	return e.Type
}

// sdkCase is a request as aws-sdk-go-v2 would build it.
type sdkCase struct {
	name   string
	method string
	path   string // path and query appended to the server URL
	body   string
	header map[string]string
	creds  aws.Credentials
}

var sdkCases = []sdkCase{
	{
		name: "KMS Encrypt", method: http.MethodPost, path: "/", body: testBody,
		header: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Encrypt"},
		creds:  aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret},
	},
	{
		name: "session token and SDK headers", method: http.MethodPost, path: "/", body: `{"Limit":10}`,
		header: map[string]string{
			"Content-Type":          "application/x-amz-json-1.1",
			"X-Amz-Target":          "TrentService.ListKeys",
			"Amz-Sdk-Invocation-Id": "d1b2c3d4-0000-4000-8000-000000000000",
			"Amz-Sdk-Request":       "attempt=1; max=3",
			"User-Agent":            "aws-sdk-go-v2/1.47.7 os/linux lang/go#1.26",
			"X-Custom":              "  spaced    value  ",
		},
		creds: aws.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "temporary-secret", SessionToken: "session-token"},
	},
	{
		name: "empty body", method: http.MethodPost, path: "/", body: "",
		header: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"},
		creds:  aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret},
	},
	{
		name: "path and query", method: http.MethodGet, path: "/some%20path/x~y/?b=2&a=1&a=0&k=a%2Fb&sp=a%20b",
		header: map[string]string{"X-Amz-Target": "TrentService.ListKeys"},
		creds:  aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret},
	},
}

func (c sdkCase) request(t *testing.T, baseURL string) *http.Request {
	t.Helper()
	var body io.Reader = http.NoBody
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	r, err := http.NewRequest(c.method, baseURL+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		r.Header.Set(k, v)
	}
	return r
}

func payloadHash(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

func TestSDKSignerAccepted(t *testing.T) {
	srv := newVerifyingServer(t, newTestVerifier(t, nil))
	signer := v4.NewSigner()
	for _, c := range sdkCases {
		t.Run(c.name, func(t *testing.T) {
			r := c.request(t, srv.URL)
			if err := signer.SignHTTP(context.Background(), c.creds, r, payloadHash(c.body), "kms", testRegion, testNow); err != nil {
				t.Fatal(err)
			}
			if code := send(t, r); code != "" {
				t.Errorf("request signed by aws-sdk-go-v2 rejected: %s (Authorization %s)", code, r.Header.Get("Authorization"))
			}

			// The same request signed with a wrong secret is rejected. (A
			// new signer: aws-sdk-go-v2 caches signing keys by access key
			// id, so the old one would sign with the right secret.)
			r = c.request(t, srv.URL)
			bad := c.creds
			bad.SecretAccessKey = "wrong"
			if err := v4.NewSigner().SignHTTP(context.Background(), bad, r, payloadHash(c.body), "kms", testRegion, testNow); err != nil {
				t.Fatal(err)
			}
			if code := send(t, r); code != "InvalidSignatureException" {
				t.Errorf("wrong secret: got %q, want InvalidSignatureException", code)
			}
		})
	}
}

func TestSignMatchesSDK(t *testing.T) {
	signer := v4.NewSigner()
	for _, c := range sdkCases {
		t.Run(c.name, func(t *testing.T) {
			sdkReq := c.request(t, "https://kms.us-east-1.amazonaws.com:443")
			if err := signer.SignHTTP(context.Background(), c.creds, sdkReq, payloadHash(c.body), "kms", testRegion, testNow); err != nil {
				t.Fatal(err)
			}
			ours := c.request(t, "https://kms.us-east-1.amazonaws.com:443")
			creds := Credentials{AccessKeyID: c.creds.AccessKeyID, SecretAccessKey: c.creds.SecretAccessKey, SessionToken: c.creds.SessionToken}
			if err := Sign(ours, []byte(c.body), creds, testRegion, "kms", testNow); err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
				if diff := cmp.Diff(sdkReq.Header.Get(h), ours.Header.Get(h)); diff != "" {
					t.Errorf("%s (-aws-sdk-go-v2 +Sign):\n%s", h, diff)
				}
			}
			if sdkReq.Host != ours.Host {
				t.Errorf("Host: aws-sdk-go-v2 %q, Sign %q", sdkReq.Host, ours.Host)
			}
		})
	}
}

// TestKMSClient runs the real aws-sdk-go-v2 KMS client against a verifying
// server on loopback.
func TestKMSClient(t *testing.T) {
	v := newTestVerifier(t, func(c *Config) { c.Now = time.Now })
	srv := newVerifyingServer(t, v)
	client := func(akid, secret string) *kms.Client {
		return kms.New(kms.Options{
			Region:       testRegion,
			BaseEndpoint: aws.String(srv.URL),
			Credentials:  credentials.NewStaticCredentialsProvider(akid, secret, ""),
			Retryer:      aws.NopRetryer{},
		})
	}
	ctx := context.Background()
	if _, err := client(testAKID, testSecret).ListKeys(ctx, &kms.ListKeysInput{Limit: aws.Int32(5)}); err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	srv.mu.Lock()
	t.Logf("aws-sdk-go-v2 KMS client: %s", srv.authz)
	srv.mu.Unlock()

	for _, tc := range []struct{ akid, secret, wantCode string }{
		{testAKID, "wrong-secret", "InvalidSignatureException"},
		{"AKIDUNKNOWN", testSecret, "UnrecognizedClientException"},
	} {
		_, err := client(tc.akid, tc.secret).ListKeys(ctx, &kms.ListKeysInput{})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.wantCode {
			t.Errorf("ListKeys as %s/%s: %v, want %s", tc.akid, tc.secret, err, tc.wantCode)
		}
	}
}

// TestBotocoreHeaderSets signs with exactly the headers botocore (boto3,
// the AWS CLI) signs for KMS: no content-length, which Go's client then
// sends unsigned along with User-Agent and Accept-Encoding.
func TestBotocoreHeaderSets(t *testing.T) {
	srv := newVerifyingServer(t, newTestVerifier(t, nil))
	for _, tc := range []struct {
		name   string
		signed []string
		token  string
		akid   string
		secret string
	}{
		{"long-term key", []string{"content-type", "host", "x-amz-date", "x-amz-target"}, "", testAKID, testSecret},
		{"session token", []string{"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"}, "session-token", "ASIATEMP", "temporary-secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			build := func(secret string) *http.Request {
				r, err := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(testBody))
				if err != nil {
					t.Fatal(err)
				}
				r.Header.Set("Content-Type", "application/x-amz-json-1.1")
				r.Header.Set("X-Amz-Target", "TrentService.Encrypt")
				r.Header.Set("X-Amz-Date", testNow.Format(amzDateLayout))
				r.Header.Set("User-Agent", "aws-cli/2.15.0 md/Botocore#1.34.0")
				if tc.token != "" {
					r.Header.Set("X-Amz-Security-Token", tc.token)
				}
				r.Host = r.URL.Host
				signWith(t, r, testBody, secret, Authorization{
					AccessKeyID: tc.akid, Date: "20240101", Region: testRegion, Service: "kms", SignedHeaders: tc.signed,
				}, testNow.Format(amzDateLayout))
				return r
			}
			if code := send(t, build(tc.secret)); code != "" {
				t.Errorf("botocore header set rejected: %s", code)
			}
			if code := send(t, build("wrong")); code != "InvalidSignatureException" {
				t.Errorf("wrong secret: got %q, want InvalidSignatureException", code)
			}
		})
	}
}

// TestCurl signs with the real curl --aws-sigv4.
func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	v := newTestVerifier(t, func(c *Config) { c.Now = time.Now })
	srv := newVerifyingServer(t, v)
	run := func(secret string) (status string, out []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, curl, "-sS",
			"--aws-sigv4", "aws:amz:us-east-1:kms",
			"--user", testAKID+":"+secret,
			"-H", "Content-Type: application/x-amz-json-1.1",
			"-H", "X-Amz-Target: TrentService.ListKeys",
			"--data-binary", `{"Limit":10}`,
			"-o", "-", "-w", "\n%{http_code}",
			srv.URL+"/")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("curl: %v", err)
		}
		i := bytes.LastIndexByte(out, '\n')
		return string(out[i+1:]), out[:i]
	}

	status, body := run(testSecret)
	if status != "200" {
		t.Fatalf("curl --aws-sigv4 rejected: %s %s", status, body)
	}
	srv.mu.Lock()
	t.Logf("curl: %s", srv.authz)
	srv.mu.Unlock()

	status, body = run("wrong-secret")
	if status != "400" || !bytes.Contains(body, []byte(`"InvalidSignatureException"`)) {
		t.Errorf("curl with a wrong secret: %s %s, want 400 InvalidSignatureException", status, body)
	}
}
