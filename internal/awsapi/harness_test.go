package awsapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/keyhold/keyhold/internal/awsapi"
	"github.com/keyhold/keyhold/internal/hsm/soft"
	kmssvc "github.com/keyhold/keyhold/internal/kms"
	"github.com/keyhold/keyhold/internal/store/sqlite"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is a keyhold API (dev authentication) on an httptest server with a
// fake clock, driven by aws-sdk-go-v2.
type env struct {
	clock *fakeClock
	svc   *kmssvc.Service
	url   string
}

func newEnv(t *testing.T) *env { return newEnvWith(t) }

// newEnvWith is newEnv with handler options (audit, metrics).
func newEnvWith(t *testing.T, opts ...awsapi.Option) *env {
	t.Helper()
	b, st := openParts(t)
	clock := &fakeClock{now: time.Now().UTC()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := kmssvc.New(kmssvc.Config{Store: st, Boundary: b, Logger: log, Now: clock.Now})
	srv := httptest.NewServer(awsapi.NewHandler(svc, awsapi.NewDevAuthenticator("111122223333"), log, opts...))
	t.Cleanup(srv.Close)
	return &env{clock: clock, svc: svc, url: srv.URL}
}

// client returns a KMS client for account (a 12-digit access key id in dev
// mode) in region. The SDK signs with the real clock; dev authentication
// checks the signature time against the real clock too, so moving the
// fake clock does not break signing.
func (e *env) client(account, region string) *kms.Client {
	cfg := aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(account, "secret", ""),
		RetryMaxAttempts: 1,
	}
	return kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("got %s %q\nwant %s %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// must returns v, or panics (failing the test with a stack trace) on an
// unexpected error from a call that must succeed.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// openParts opens a real crypto boundary and SQLite store in a temporary
// directory, closed when the test ends.
func openParts(tb testing.TB) (*soft.Boundary, *sqlite.Store) {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	b, err := soft.New(ctx, soft.Options{RootKeyPath: filepath.Join(dir, "root.key")})
	if err != nil {
		tb.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "keyhold.db"))
	if err != nil {
		b.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close(); b.Close() })
	return b, st
}
