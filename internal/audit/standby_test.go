package audit

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestStandbyFiles: once a file is half used, the next one is prepared in
// advance and renamed into place at rotation (by size, and when the
// current file runs out of preallocated room); the trail verifies, closed
// files hold only records, and no standby outlives Close.
func TestStandbyFiles(t *testing.T) {
	dir := t.TempDir()
	s := newTestSigner(t)
	l := openLog(t, dir, s, func(o *Options) { o.RotateBytes, o.Preallocate, o.waitStandby = 16<<10, 4096, true })
	for i := 0; i < 150; i++ {
		if err := l.Record(context.Background(), event(i)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if l.adopted < 2 {
		t.Fatalf("%d files came from a standby, want at least 2", l.adopted)
	}
	if _, err := os.Stat(filepath.Join(dir, standbyName)); !os.IsNotExist(err) {
		t.Fatalf("the standby file outlived Close: %v", err)
	}
	files, _ := listFiles(dir, filePrefix, fileSuffix)
	for _, seq := range files {
		b, _ := os.ReadFile(filepath.Join(dir, fileName(seq)))
		if len(b) == 0 || bytes.IndexByte(b, 0) >= 0 || b[len(b)-1] != '\n' {
			t.Fatalf("%s: %d bytes, empty, holds zeros or ends without a newline", fileName(seq), len(b))
		}
	}
	if r, _ := Verify(dir, pubPEM(t, s)); !r.OK() || r.Records != 150 || r.Uncovered != 0 {
		t.Fatalf("%+v", r)
	}
}

// TestStandbyLeftByCrash: a standby file a crash left (zeros, not part of
// the trail) is removed at the next start, and a crash right after a
// standby became the current file (a file of nothing but zeros) recovers.
func TestStandbyLeftByCrash(t *testing.T) {
	dir := t.TempDir()
	s := newTestSigner(t)
	writeTrail(t, dir, s, 10)
	if err := os.WriteFile(filepath.Join(dir, standbyName), make([]byte, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	files, _ := listFiles(dir, filePrefix, fileSuffix)
	if err := os.WriteFile(filepath.Join(dir, fileName(files[len(files)-1]+1)), make([]byte, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	l := openLog(t, dir, s)
	if _, err := os.Stat(filepath.Join(dir, standbyName)); !os.IsNotExist(err) {
		t.Fatalf("the stale standby is still there: %v", err)
	}
	for i := 10; i < 15; i++ {
		if err := l.Record(context.Background(), event(i)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if r, _ := Verify(dir, pubPEM(t, s)); !r.OK() || r.Records != 15 || r.Uncovered != 0 {
		t.Fatalf("%+v", r)
	}
}
