package soft

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

const (
	testRegion  = "us-east-1"
	testAccount = "111122223333"
)

var ctx = context.Background()

func testARN(id string) string { return keyhold.KeyARN(testRegion, testAccount, id) }

// newBoundary returns a Boundary on a new root key file in a temporary
// directory, and the file's path.
func newBoundary(t testing.TB) (*Boundary, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "root.key")
	b, err := New(ctx, Options{RootKeyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, path
}

// setup returns a Boundary with a domain key for testRegion and one backing
// key of a key in testRegion.
func setup(t testing.TB) (*Boundary, *keyhold.DomainKey, *keyhold.BackingKey) {
	t.Helper()
	b, _ := newBoundary(t)
	dk, err := b.CreateDomainKey(ctx, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	bk, err := b.GenerateBackingKey(ctx, testRegion, testARN("1234abcd-12ab-34cd-56ef-1234567890ab"))
	if err != nil {
		t.Fatal(err)
	}
	return b, dk, bk
}

func mustEncrypt(t testing.TB, b *Boundary, bk *keyhold.BackingKey, pt []byte, ec map[string]string) []byte {
	t.Helper()
	blob, err := b.Encrypt(ctx, bk, pt, ec)
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

func TestRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	b1, err := New(ctx, Options{RootKeyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	dkOld, _ := b1.CreateDomainKey(ctx, testRegion)
	bkOld, _ := b1.GenerateBackingKey(ctx, testRegion, testARN("k1"))
	dkNew, _ := b1.CreateDomainKey(ctx, testRegion)
	dkEU, _ := b1.CreateDomainKey(ctx, "eu-west-1")
	bkNew, err := b1.GenerateBackingKey(ctx, testRegion, testARN("k1"))
	if err != nil {
		t.Fatal(err)
	}
	ec := map[string]string{"purpose": "restart"}
	blobOld := mustEncrypt(t, b1, bkOld, []byte("old"), ec)
	blobNew := mustEncrypt(t, b1, bkNew, []byte("new"), ec)
	sealed, err := b1.SealSecret(ctx, "AKIA1", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	b1.Close()

	b2, err := New(ctx, Options{RootKeyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if b2.HasDomainKey(testRegion) {
		t.Error("domain key present before LoadDomainKeys")
	}
	if err := b2.LoadDomainKeys(ctx, []*keyhold.DomainKey{dkNew, dkEU, dkOld}); err != nil {
		t.Fatal(err)
	}
	if !b2.HasDomainKey(testRegion) || !b2.HasDomainKey("eu-west-1") {
		t.Error("domain keys not active after LoadDomainKeys")
	}
	for _, c := range []struct {
		bk   *keyhold.BackingKey
		blob []byte
		want string
	}{{bkOld, blobOld, "old"}, {bkNew, blobNew, "new"}} {
		if got, err := b2.Decrypt(ctx, c.bk, c.blob, ec); err != nil || string(got) != c.want {
			t.Errorf("after restart: Decrypt = %q, %v; want %q", got, err, c.want)
		}
	}
	if got, err := b2.OpenSecret(ctx, "AKIA1", sealed); err != nil || string(got) != "secret" {
		t.Errorf("after restart: OpenSecret = %q, %v", got, err)
	}
	// The newest domain key of the region is active again, whatever the
	// order of the records.
	bk, err := b2.GenerateBackingKey(ctx, testRegion, testARN("k2"))
	if err != nil {
		t.Fatal(err)
	}
	if bk.DomainKeyID != dkNew.ID && !dkNew.CreationDate.Equal(dkOld.CreationDate) {
		t.Errorf("active domain key %s, want the newest %s", bk.DomainKeyID, dkNew.ID)
	}
}

func TestLoadDomainKeysActive(t *testing.T) {
	b, path := newBoundary(t)
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var recs []*keyhold.DomainKey
	for i := range 3 {
		b.now = func() time.Time { return day.AddDate(0, 0, i) }
		dk, err := b.CreateDomainKey(ctx, testRegion)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, dk)
	}
	newest := recs[2]
	b2, err := New(ctx, Options{RootKeyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if err := b2.LoadDomainKeys(ctx, []*keyhold.DomainKey{recs[2], recs[0], recs[1]}); err != nil {
		t.Fatal(err)
	}
	bk, err := b2.GenerateBackingKey(ctx, testRegion, testARN("k"))
	if err != nil {
		t.Fatal(err)
	}
	if bk.DomainKeyID != newest.ID {
		t.Errorf("active domain key %s, want the newest %s", bk.DomainKeyID, newest.ID)
	}
}

func TestLoadDomainKeysWrongRoot(t *testing.T) {
	_, dk, _ := setup(t)
	other, _ := newBoundary(t)
	err := other.LoadDomainKeys(ctx, []*keyhold.DomainKey{dk})
	if err == nil || !strings.Contains(err.Error(), dk.ID) || !strings.Contains(err.Error(), "root key") {
		t.Fatalf("LoadDomainKeys with another root key: %v", err)
	}
	if other.HasDomainKey(testRegion) {
		t.Error("a domain key was loaded despite the error")
	}
	// A record whose region was changed does not load either.
	moved := *dk
	moved.Region = "eu-west-1"
	b, _, _ := setup(t)
	if err := b.LoadDomainKeys(ctx, []*keyhold.DomainKey{&moved}); err == nil {
		t.Error("domain key record with a changed region loaded")
	}
	if err := b.LoadDomainKeys(ctx, []*keyhold.DomainKey{nil}); err == nil {
		t.Error("nil record loaded")
	}
}

func TestSecrets(t *testing.T) {
	b, _ := newBoundary(t)
	sealed, err := b.SealSecret(ctx, "AKIAIOSFODNN7EXAMPLE", []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("wJalr")) {
		t.Fatal("secret in the clear")
	}
	got, err := b.OpenSecret(ctx, "AKIAIOSFODNN7EXAMPLE", sealed)
	if err != nil || string(got) != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" {
		t.Fatalf("OpenSecret = %q, %v", got, err)
	}
	if _, err := b.OpenSecret(ctx, "AKIAOTHER", sealed); err == nil {
		t.Error("secret opened under another label")
	}
	other, _ := newBoundary(t)
	if _, err := other.OpenSecret(ctx, "AKIAIOSFODNN7EXAMPLE", sealed); err == nil {
		t.Error("secret opened under another root key")
	}
}

func TestGenerateRandom(t *testing.T) {
	b, err := New(ctx, Options{RootKey: make([]byte, 32), Rand: rand.NewChaCha8([32]byte{1})})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, n := range []int{0, 1, 32, 1024, MaxRandomLen} {
		got, err := b.GenerateRandom(ctx, n)
		if err != nil || len(got) != n {
			t.Errorf("GenerateRandom(%d) = %d bytes, %v", n, len(got), err)
		}
	}
	for _, n := range []int{-1, MaxRandomLen + 1} {
		if _, err := b.GenerateRandom(ctx, n); err == nil {
			t.Errorf("GenerateRandom(%d) succeeded", n)
		}
	}
	// The injected source is the one used.
	want := make([]byte, 16)
	rand.NewChaCha8([32]byte{2}).Read(want)
	b2, _ := New(ctx, Options{RootKey: make([]byte, 32), Rand: rand.NewChaCha8([32]byte{2})})
	if got, _ := b2.GenerateRandom(ctx, 16); !bytes.Equal(got, want) {
		t.Error("GenerateRandom did not use Options.Rand")
	}
	failing, _ := New(ctx, Options{RootKey: make([]byte, 32), Rand: errReader{}})
	if _, err := failing.GenerateRandom(ctx, 1); err == nil {
		t.Error("GenerateRandom succeeded with a failing source")
	}
	if _, err := failing.CreateDomainKey(ctx, testRegion); err == nil {
		t.Error("CreateDomainKey succeeded with a failing source")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

// TestDeterministic checks that randomness and time are fully injectable:
// the same root key, random source and clock give the same outputs.
func TestDeterministic(t *testing.T) {
	run := func() (out [][]byte) {
		now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		b, err := New(ctx, Options{RootKey: bytes.Repeat([]byte{7}, 32), Rand: rand.NewChaCha8([32]byte{42}), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		dk, err := b.CreateDomainKey(ctx, testRegion)
		if err != nil {
			t.Fatal(err)
		}
		bk, err := b.GenerateBackingKey(ctx, testRegion, testARN("k"))
		if err != nil {
			t.Fatal(err)
		}
		blob := mustEncrypt(t, b, bk, []byte("deterministic"), map[string]string{"a": "b"})
		sealed, _ := b.SealSecret(ctx, "l", []byte("s"))
		return [][]byte{[]byte(dk.ID), dk.Wrapped, []byte(dk.CreationDate.String()), []byte(bk.MaterialID), bk.EKT, blob, sealed}
	}
	a, b := run(), run()
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("output %d differs between runs: %x vs %x", i, a[i], b[i])
		}
	}
}

func TestClose(t *testing.T) {
	b, _, bk := setup(t)
	blob := mustEncrypt(t, b, bk, []byte("x"), nil)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if b.HasDomainKey(testRegion) {
		t.Error("HasDomainKey after Close")
	}
	calls := map[string]error{}
	_, calls["Encrypt"] = b.Encrypt(ctx, bk, []byte("x"), nil)
	_, calls["Decrypt"] = b.Decrypt(ctx, bk, blob, nil)
	_, calls["GenerateBackingKey"] = b.GenerateBackingKey(ctx, testRegion, bk.KeyARN)
	_, calls["CreateDomainKey"] = b.CreateDomainKey(ctx, testRegion)
	calls["LoadDomainKeys"] = b.LoadDomainKeys(ctx, nil)
	_, calls["GenerateRandom"] = b.GenerateRandom(ctx, 1)
	_, calls["SealSecret"] = b.SealSecret(ctx, "l", nil)
	_, calls["OpenSecret"] = b.OpenSecret(ctx, "l", nil)
	for name, err := range calls {
		if !errors.Is(err, errClosed) {
			t.Errorf("%s after Close: %v, want errClosed", name, err)
		}
	}
}

func TestNewOptions(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"no root", Options{}},
		{"both roots", Options{RootKey: make([]byte, 32), RootKeyPath: filepath.Join(t.TempDir(), "k")}},
		{"short root key", Options{RootKey: make([]byte, 16)}},
		{"missing directory", Options{RootKeyPath: filepath.Join(t.TempDir(), "no", "such", "dir", "root.key")}},
		{"directory", Options{RootKeyPath: t.TempDir()}},
	} {
		if _, err := New(ctx, tt.opts); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := New(canceled, Options{RootKey: make([]byte, 32)}); err == nil {
		t.Error("New with a canceled context succeeded")
	}
}

// TestConcurrent runs the hot path against key creation and rotation; run
// it with -race.
func TestConcurrent(t *testing.T) {
	b, _, bk := setup(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				ec := map[string]string{"g": fmt.Sprint(g), "i": fmt.Sprint(i)}
				pt := []byte(fmt.Sprintf("goroutine %d message %d", g, i))
				blob, err := b.Encrypt(ctx, bk, pt, ec)
				if err != nil {
					errs <- err
					return
				}
				got, err := b.Decrypt(ctx, bk, blob, ec)
				if err != nil || !bytes.Equal(got, pt) {
					errs <- fmt.Errorf("decrypt: %q, %v", got, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20 {
			if _, err := b.CreateDomainKey(ctx, testRegion); err != nil {
				errs <- err
				return
			}
			if _, err := b.GenerateBackingKey(ctx, testRegion, testARN(fmt.Sprint(i))); err != nil {
				errs <- err
				return
			}
			b.HasDomainKey(testRegion)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

var _ io.Reader = errReader{}
