package cli_test

import (
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/sigv4"
)

// TestGracefulShutdown starts a request, cancels the server (as SIGTERM
// does) while the request body is still being sent, and checks that the
// request completes with 200 and the server exits cleanly.
func TestGracefulShutdown(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)

	body := []byte(`{"NumberOfBytes":32}`)
	req, _ := http.NewRequest(http.MethodPost, "http://"+ts.API+"/", nil)
	req.Header.Set("Content-Type", jsonType)
	req.Header.Set("X-Amz-Target", "TrentService.GenerateRandom")
	req.ContentLength = int64(len(body))
	if err := sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}, region, "kms", time.Now()); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", ts.API)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Send the headers and half the body.
	var head strings.Builder
	head.WriteString("POST / HTTP/1.1\r\nHost: " + req.Host + "\r\n")
	for k, vs := range req.Header {
		for _, v := range vs {
			head.WriteString(k + ": " + v + "\r\n")
		}
	}
	head.WriteString("Content-Length: " + itoa(len(body)) + "\r\n\r\n")
	if _, err := io.WriteString(conn, head.String()+string(body[:5])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the server is now reading the body

	stopped := make(chan struct{})
	go func() { ts.Stop(t); close(stopped) }()
	time.Sleep(200 * time.Millisecond)
	select {
	case <-stopped:
		t.Fatal("the server exited while a request was in flight")
	default:
	}
	if _, err := conn.Write(body[5:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufioReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"Plaintext"`) {
		t.Fatalf("in-flight request: %d %s", resp.StatusCode, b)
	}
	select {
	case <-stopped:
	case <-time.After(35 * time.Second):
		t.Fatal("the server did not exit after the in-flight request finished")
	}
	if !strings.Contains(string(ts.Log.Bytes()), "keyhold stopped") {
		t.Fatalf("no clean stop in the log:\n%s", ts.Log.Bytes())
	}
}
