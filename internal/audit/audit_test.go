package audit

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testSigner is an audit signer with a key held in the test.
type testSigner struct{ k *ecdsa.PrivateKey }

func newTestSigner(t testing.TB) *testSigner {
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{k}
}

func (s *testSigner) SignAuditDigest(_ context.Context, msg []byte) ([]byte, error) {
	h := crypto.SHA384.New()
	h.Write(msg)
	return ecdsa.SignASN1(rand.Reader, s.k, h.Sum(nil))
}

func (s *testSigner) PublicKeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(&s.k.PublicKey)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

func openLog(t testing.TB, dir string, s Signer, opts ...func(*Options)) *Log {
	t.Helper()
	o := Options{Dir: dir, Signer: s}
	for _, f := range opts {
		f(&o)
	}
	l, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func event(i int) *Event {
	req, _ := json.Marshal(map[string]any{"keyId": fmt.Sprintf("key-%d", i%3)})
	return &Event{
		EventTime: FormatTime(time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)), EventSource: "kms.amazonaws.com",
		EventName: []string{"Encrypt", "Decrypt", "CreateKey"}[i%3], AWSRegion: "us-east-1",
		RequestParameters: req, ResponseElements: json.RawMessage("null"),
		EventID: fmt.Sprintf("ev-%d", i), EventType: TypeAPICall, ManagementEvent: true,
		RecipientAccountID: "111122223333", EventCategory: CategoryMgmt,
		UserIdentity: &UserIdentity{Type: "IAMUser", ARN: fmt.Sprintf("arn:aws:iam::111122223333:user/u%d", i%2), AccountID: "111122223333"},
	}
}

func pubPEM(t testing.TB, s Signer) []byte {
	p, err := s.PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeTrail writes n events concurrently and closes the log.
func writeTrail(t testing.TB, dir string, s Signer, n int, opts ...func(*Options)) {
	t.Helper()
	l := openLog(t, dir, s, opts...)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- l.Record(context.Background(), event(i))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRecordVerify(t *testing.T) {
	dir := t.TempDir()
	s := newTestSigner(t)
	writeTrail(t, dir, s, 500, func(o *Options) { o.RotateBytes = 20 << 10 })
	r, err := Verify(dir, pubPEM(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Records != 500 || r.CoveredThrough != 500 || r.Uncovered != 0 || r.Files < 2 {
		t.Fatalf("report: %+v", r)
	}
	// Sequence numbers 1..500, each once.
	evs, err := Lookup(dir, Filter{})
	if err != nil || len(evs) != 500 {
		t.Fatalf("lookup: %d %v", len(evs), err)
	}
	for i, ev := range evs {
		if ev.Chain.Sequence != uint64(i+1) || ev.EventVersion != EventVersion {
			t.Fatalf("record %d: %+v", i, ev.Chain)
		}
	}
	// Reopen continues the chain.
	writeTrail(t, dir, s, 10)
	r, _ = Verify(dir, pubPEM(t, s))
	if !r.OK() || r.Records != 510 {
		t.Fatalf("after reopen: %+v", r)
	}
}

// tamper cases: each damages a verified trail in one way; Verify must say
// what happened.
func TestVerifyDetectsTampering(t *testing.T) {
	s := newTestSigner(t)
	other := newTestSigner(t)
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   string
	}{
		{"modified record", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, fileName(1)), func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"key-1"`), []byte(`"key-9"`), 1)
			})
		}, "was modified"},
		{"deleted record", func(t *testing.T, dir string) {
			editLines(t, filepath.Join(dir, fileName(1)), func(ls [][]byte) [][]byte { return append(ls[:5], ls[6:]...) })
		}, "were deleted"},
		{"reordered records", func(t *testing.T, dir string) {
			editLines(t, filepath.Join(dir, fileName(1)), func(ls [][]byte) [][]byte { ls[3], ls[4] = ls[4], ls[3]; return ls })
		}, "reordered"},
		{"truncated file", func(t *testing.T, dir string) {
			editLines(t, filepath.Join(dir, fileName(1)), func(ls [][]byte) [][]byte { return ls[:len(ls)-3] })
		}, "truncated"},
		{"partial last record", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, fileName(1)), func(b []byte) []byte { return b[:len(b)-10] })
		}, "partial record"},
		{"forged digest", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, digestName(1)), func(b []byte) []byte {
				var d Digest
				json.Unmarshal(b, &d)
				d.Length -= 10
				out, _ := json.MarshalIndent(&d, "", "  ")
				return out
			})
		}, "signature does not verify"},
		{"digest from another keyhold", func(t *testing.T, dir string) {
			// Re-sign digest 1 with another key, as another keyhold would.
			editFile(t, filepath.Join(dir, digestName(1)), func(b []byte) []byte {
				var d Digest
				json.Unmarshal(b, &d)
				fp, _ := publicKeyFingerprint(pubPEM(t, other))
				d.PublicKeySHA256 = fp
				msg, _ := d.signedBytes()
				d.Signature, _ = other.SignAuditDigest(context.Background(), msg)
				out, _ := json.MarshalIndent(&d, "", "  ")
				return out
			})
		}, "signed by a different key"},
		{"deleted digest", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, digestName(1)))
		}, "digest 1 is missing"},
		{"deleted audit file", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, fileName(1)))
		}, "was deleted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTrail(t, dir, s, 60)
			writeTrail(t, dir, s, 5) // a second file and digest
			if r, _ := Verify(dir, pubPEM(t, s)); !r.OK() {
				t.Fatalf("intact trail: %v", r.Problems)
			}
			tc.damage(t, dir)
			r, err := Verify(dir, pubPEM(t, s))
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() {
				t.Fatal("damage not detected")
			}
			if !strings.Contains(strings.Join(r.Problems, "\n"), tc.want) {
				t.Fatalf("problems do not say %q:\n%s", tc.want, strings.Join(r.Problems, "\n"))
			}
		})
	}
}

func editFile(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

func editLines(t *testing.T, path string, f func([][]byte) [][]byte) {
	editFile(t, path, func(b []byte) []byte {
		ls := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
		return append(bytes.Join(f(ls), []byte("\n")), '\n')
	})
}

// TestCrashRecovery: a partial record left by a crash is dropped on open
// and the chain continues; the trail verifies.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	s := newTestSigner(t)
	l := openLog(t, dir, s)
	for i := 0; i < 20; i++ {
		if err := l.Record(context.Background(), event(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Simulate kill -9 mid-write: no Close, a half record after the last
	// one (in the preallocated space, where the writer puts it).
	path := filepath.Join(dir, fileName(l.fileSeq))
	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	f.WriteAt([]byte(`{"eventVersion":"1.08","userIdent`), l.fileSize)
	f.Close()
	l2 := openLog(t, dir, s)
	for i := 20; i < 25; i++ {
		if err := l2.Record(context.Background(), event(i)); err != nil {
			t.Fatal(err)
		}
	}
	l2.Close()
	r, _ := Verify(dir, pubPEM(t, s))
	if !r.OK() || r.Records != 25 {
		t.Fatalf("after crash recovery: %+v", r)
	}
	// The 20 records written before the crash had no digest (the log was
	// not closed); the next Open checked their chain and signed them.
	if r.Uncovered != 0 {
		t.Fatalf("uncovered = %d, want 0", r.Uncovered)
	}
}

// TestCrashTornBatch: a crash while a batch was being written to the
// preallocated file can leave its later pages on disk without the earlier
// ones: whole-looking records after a run of zeros. None of that batch was
// acknowledged; Open drops it and the chain continues from the last
// record before the zeros.
func TestCrashTornBatch(t *testing.T) {
	dir := t.TempDir()
	s := newTestSigner(t)
	l := openLog(t, dir, s)
	for i := 0; i < 10; i++ {
		if err := l.Record(context.Background(), event(i)); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, fileName(l.fileSeq))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) <= l.fileSize || data[l.fileSize] != 0 {
		t.Fatalf("file of %d bytes with %d of records: not preallocated", len(data), l.fileSize)
	}
	// The torn batch: a copy of record 3 a page after the last record.
	rec := lastLine(data[:bytes.IndexByte(data, 0)])
	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	f.WriteAt(append(bytes.Clone(rec), '\n'), l.fileSize+4096)
	f.Close()
	l2 := openLog(t, dir, s)
	if err := l2.Record(context.Background(), event(10)); err != nil {
		t.Fatal(err)
	}
	l2.Close()
	r, _ := Verify(dir, pubPEM(t, s))
	if !r.OK() || r.Records != 11 || r.Uncovered != 0 {
		t.Fatalf("after a torn batch: %+v", r)
	}
	after, _ := os.ReadFile(path)
	if bytes.IndexByte(after, 0) >= 0 || !bytes.HasSuffix(after, []byte("\n")) {
		t.Fatalf("the crashed file still holds zeros or a torn record (%d bytes)", len(after))
	}
}

// TestClosedFilesHoldOnlyRecords: preallocated zeros never outlive the
// file's use: rotation and Close cut them.
func TestClosedFilesHoldOnlyRecords(t *testing.T) {
	for _, prealloc := range []int64{1 << 20, -1} { // preallocated, and plain appends
		dir := t.TempDir()
		s := newTestSigner(t)
		l, err := Open(Options{Dir: dir, Signer: s, RotateBytes: 3000, Preallocate: prealloc})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			if err := l.Record(context.Background(), event(i)); err != nil {
				t.Fatal(err)
			}
		}
		l.Close()
		files, _ := listFiles(dir, filePrefix, fileSuffix)
		if len(files) < 3 {
			t.Fatalf("%d files, want rotation", len(files))
		}
		for _, seq := range files {
			b, _ := os.ReadFile(filepath.Join(dir, fileName(seq)))
			if bytes.IndexByte(b, 0) >= 0 || (len(b) > 0 && b[len(b)-1] != '\n') {
				t.Fatalf("preallocate %d: %s: %d bytes, holds zeros or ends without a newline", prealloc, fileName(seq), len(b))
			}
		}
		if r, _ := Verify(dir, pubPEM(t, s)); !r.OK() || r.Records != 20 {
			t.Fatalf("preallocate %d: %+v", prealloc, r)
		}
	}
}

// TestOpenRefusesBrokenTail: records changed while keyhold was down, after
// the last digest, stop the next start instead of being signed.
func TestOpenRefusesBrokenTail(t *testing.T) {
	dir := t.TempDir()
	s := newTestSigner(t)
	l := openLog(t, dir, s)
	for i := 0; i < 5; i++ {
		l.Record(context.Background(), event(i))
	}
	path := filepath.Join(dir, fileName(l.fileSeq))
	// No Close: no digest covers the records. Change one.
	editLines(t, path, func(ls [][]byte) [][]byte {
		ls[1] = bytes.Replace(ls[1], []byte("Decrypt"), []byte("Encrypt"), 1)
		return ls
	})
	_, err := Open(Options{Dir: dir, Signer: s})
	if err == nil || !strings.Contains(err.Error(), "does not link") {
		t.Fatalf("Open over a changed tail: %v", err)
	}
}

// TestUnavailableAndRecovery: when the file cannot be written, Record
// fails with ErrUnavailable (keyhold refuses requests) and the log
// recovers by itself.
func TestUnavailableAndRecovery(t *testing.T) {
	dir := t.TempDir()
	s := newTestSigner(t)
	l := openLog(t, dir, s)
	defer l.Close()
	ctx := context.Background()
	if err := l.Record(ctx, event(0)); err != nil {
		t.Fatal(err)
	}
	// Break the sink: the writer's file is closed under it.
	l.f.Close()
	if err := l.Record(ctx, event(1)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Record on a broken sink: %v", err)
	}
	if l.Healthy() {
		t.Fatal("still healthy")
	}
	if err := l.Record(ctx, event(2)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Record while unhealthy: %v", err)
	}
	// The writer opens a new file on the next attempt.
	deadline := time.Now().Add(5 * time.Second)
	for !l.Healthy() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		l.Record(ctx, event(3))
	}
	if !l.Healthy() {
		t.Fatal("did not recover")
	}
	if err := l.Record(ctx, event(4)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	r, _ := Verify(dir, pubPEM(t, s))
	if !r.OK() {
		t.Fatalf("trail after recovery: %v", r.Problems)
	}
}

func TestLookupFilters(t *testing.T) {
	dir := t.TempDir()
	s := newTestSigner(t)
	writeTrail(t, dir, s, 30)
	cases := []struct {
		name string
		f    Filter
		want int
	}{
		{"all", Filter{}, 30},
		{"event name", Filter{EventName: "CreateKey"}, 10},
		{"key", Filter{Key: "key-1"}, 10},
		{"principal", Filter{Principal: "arn:aws:iam::111122223333:user/u1"}, 15},
		{"time range", Filter{Start: time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC), End: time.Date(2026, 1, 1, 0, 0, 19, 0, time.UTC)}, 10},
		{"limit", Filter{Limit: 7}, 7},
		{"error code", Filter{ErrorCode: "NotFoundException"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := Lookup(dir, tc.f)
			if err != nil || len(evs) != tc.want {
				t.Fatalf("got %d events (%v), want %d", len(evs), err, tc.want)
			}
		})
	}
}

// TestRedactedCoversModel: every blob or sensitive member of the KMS API
// model is redacted from audit records.
func TestRedactedCoversModel(t *testing.T) {
	b, err := os.ReadFile("../../testdata/model/kms-service-2.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Shapes map[string]struct {
			Type      string `json:"type"`
			Sensitive bool   `json:"sensitive"`
			Members   map[string]struct {
				Shape string `json:"shape"`
			} `json:"members"`
		} `json:"shapes"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sh := range m.Shapes {
		for name, mem := range sh.Members {
			ms := m.Shapes[mem.Shape]
			if ms.Type == "blob" || ms.Sensitive {
				n++
				if !redacted[name] {
					t.Errorf("member %s (shape %s) is not redacted", name, mem.Shape)
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("found only %d blob/sensitive members", n)
	}
	got, err := Redact(map[string]any{"KeyId": "k", "Plaintext": []byte("secret"), "EncryptionContext": map[string]string{"Plaintext": "v"},
		"Nested": map[string]any{"CiphertextBlob": "x", "KeySpec": "AES_256"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"encryptionContext":{"Plaintext":"v"},"keyId":"k","nested":{"keySpec":"AES_256"}}`
	if string(got) != want {
		t.Fatalf("Redact = %s\nwant %s", got, want)
	}
}

func BenchmarkRecordParallel(b *testing.B) {
	dir := b.TempDir()
	l := openLog(b, dir, newTestSigner(b))
	defer l.Close()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if err := l.Record(context.Background(), event(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestRedactStruct: the fast path for API types drops blobs and redacted
// members without encoding them, lowercases member names and keeps
// encryption contexts as given.
func TestRedactStruct(t *testing.T) {
	type sensitive []byte
	type inner struct {
		KeySpec   *string
		Signature []byte
	}
	type req struct {
		KeyId             *string
		Plaintext         sensitive
		Message           []byte
		EncryptionContext map[string]string
		GrantTokens       []string
		NumberOfBytes     *int32
		DryRun            *bool
		Nested            *inner
		Absent            *string
		When              *time.Time
	}
	s := func(v string) *string { return &v }
	n := int32(32)
	f := false
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got, err := Redact(&req{KeyId: s("alias/a"), Plaintext: sensitive("secret"), Message: []byte("msg"),
		EncryptionContext: map[string]string{"Plaintext": "ok", "b": "2"}, GrantTokens: []string{"g"},
		NumberOfBytes: &n, DryRun: &f, Nested: &inner{KeySpec: s("AES_256"), Signature: []byte("sig")}, When: &when})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"keyId":"alias/a","encryptionContext":{"Plaintext":"ok","b":"2"},"grantTokens":["g"],"numberOfBytes":32,"dryRun":false,"nested":{"keySpec":"AES_256"},"when":"2026-01-02T03:04:05Z"}`
	if string(got) != want {
		t.Fatalf("Redact =\n%s\nwant\n%s", got, want)
	}
	if bytes.Contains(got, []byte("secret")) || bytes.Contains(got, []byte("c2VjcmV0")) {
		t.Fatal("plaintext leaked")
	}
}
