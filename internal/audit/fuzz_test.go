package audit

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzAuditFile: the audit files are untrusted input to verify, lookup and
// the next start (the trail exists to catch edits). Whatever bytes the
// last file holds, none of them panics; an unchanged file verifies; and a
// start that accepts the file continues a chain that verifies through
// every record it adds.
func FuzzAuditFile(f *testing.F) {
	s := newTestSigner(f)
	pub := pubPEM(f, s)
	seedDir := f.TempDir()
	l := openLog(f, seedDir, s)
	for i := range 4 {
		if err := l.Record(context.Background(), event(i)); err != nil {
			f.Fatal(err)
		}
	}
	// No Close: the file keeps its preallocated tail and no digest covers
	// it, as after a crash.
	orig, err := os.ReadFile(filepath.Join(seedDir, fileName(l.fileSeq)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(orig)
	f.Add(bytes.TrimRight(orig, "\x00"))
	content := bytes.TrimRight(orig, "\x00")
	f.Add(append(bytes.Clone(content[:len(content)/2]), make([]byte, 4096)...))
	f.Add(append(append(bytes.Clone(content), make([]byte, 100)...), content[:200]...))
	f.Add([]byte("{}\n\x00\x00{\"eventVersion\":1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, fileName(1)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Verify(dir, pub)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if bytes.Equal(data, orig) && !r.OK() {
			t.Fatalf("the unchanged file does not verify: %v", r.Problems)
		}
		if _, err := Lookup(dir, Filter{}); err != nil {
			t.Fatalf("Lookup: %v", err)
		}
		l, err := Open(Options{Dir: dir, Signer: s, Preallocate: 1 << 12})
		if err != nil {
			return // refused to start over a damaged tail: verify says why
		}
		if err := l.Record(context.Background(), event(99)); err != nil {
			t.Fatalf("Record after a start that accepted the file: %v", err)
		}
		l.Close()
		// The accepted file was checked and signed at start; the new
		// record chains on from it.
		if r, err := Verify(dir, pub); err != nil || !r.OK() {
			t.Fatalf("after a start that accepted the file: %v %v", err, r.Problems)
		}
	})
}
