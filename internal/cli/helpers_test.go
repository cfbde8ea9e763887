package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/keyhold/keyhold/internal/cli"
)

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// testServer is a keyhold running in-process through cli.Main, exactly as
// the binary runs it, on loopback ports chosen by the kernel.
type testServer struct {
	API, Admin string
	Data       string
	Log        *syncBuffer
	cancel     context.CancelFunc
	done       chan int
}

// startServer runs `keyhold <mode> args...` with --listen and
// --admin-listen on port 0 and waits until it accepts connections.
func startServer(t *testing.T, mode, data string, args ...string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Data: data, Log: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	ready := make(chan struct{})
	env := &cli.Env{
		Stdout: ts.Log,
		Stderr: ts.Log,
		Getenv: func(string) string { return "" },
		Listening: func(api, admin string) {
			ts.API, ts.Admin = api, admin
			close(ready)
		},
	}
	argv := append([]string{mode, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--log-level", "debug"}, args...)
	if data != "" {
		argv = append(argv, "--data", data)
	}
	go func() { ts.done <- cli.Main(ctx, argv, env) }()
	select {
	case <-ready:
	case code := <-ts.done:
		cancel()
		t.Fatalf("keyhold %s exited with %d before listening:\n%s", mode, code, ts.Log.Bytes())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("keyhold %s did not start in 30s:\n%s", mode, ts.Log.Bytes())
	}
	t.Cleanup(func() { ts.Stop(t) })
	return ts
}

// Stop shuts the server down gracefully and checks it exited cleanly.
func (ts *testServer) Stop(t *testing.T) {
	t.Helper()
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.cancel = nil
	select {
	case code := <-ts.done:
		if code != 0 {
			t.Errorf("keyhold exited with %d:\n%s", code, ts.Log.Bytes())
		}
	case <-time.After(40 * time.Second):
		t.Errorf("keyhold did not stop within 40s")
	}
}

// creds reads the admin credentials keyhold serve wrote on first start.
func creds(t *testing.T, data string) (id, secret string) {
	t.Helper()
	f, err := os.Open(filepath.Join(data, "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		t.Fatal("credentials file lacks a key")
	}
	return id, secret
}

// client returns an aws-sdk-go-v2 KMS client for the server.
func (ts *testServer) client(region, id, secret string) *kms.Client {
	cfg := aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, ""),
		RetryMaxAttempts: 1,
	}
	return kms.NewFromConfig(cfg, func(o *kms.Options) {
		o.BaseEndpoint = aws.String("http://" + ts.API)
	})
}

// wantAPIError checks that err is an AWS API error with code and, if
// msg is not empty, exactly that message.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s error, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want error code %s, got %s (%s)", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("%s message:\n got: %q\nwant: %q", code, ae.ErrorMessage(), msg)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
