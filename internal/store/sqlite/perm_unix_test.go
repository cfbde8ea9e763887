//go:build unix

package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/keyhold/keyhold"
)

// TestFilePermissions checks that the database, -wal and -shm files are 0600
// whatever the umask. It changes the process umask, so it must not run in
// parallel with other tests (it does not call t.Parallel, and top-level
// tests that do wait until it has finished).
func TestFilePermissions(t *testing.T) {
	ctx := context.Background()
	files := []string{"", "-wal", "-shm"}
	check := func(t *testing.T, path string) {
		t.Helper()
		for _, suffix := range files {
			fi, err := os.Stat(path + suffix)
			if err != nil {
				t.Errorf("stat %s: %v", suffix, err)
				continue
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("%s has mode %v, want 0600", filepath.Base(path+suffix), got)
			}
		}
	}
	write := func(t *testing.T, s *Store) {
		t.Helper()
		if err := s.CreateAccount(ctx, &keyhold.Account{ID: "111122223333"}); err != nil {
			t.Fatal(err)
		}
	}

	for _, umask := range []int{0o000, 0o022, 0o077, 0o277} {
		t.Run(fmt.Sprintf("umask %04o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			path := filepath.Join(t.TempDir(), "keyhold.db")
			s := openPath(t, path)
			write(t, s)
			check(t, path)
		})
	}

	t.Run("tightens an existing database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keyhold.db")
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		write(t, s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		s = openPath(t, path)
		if _, err := s.GetAccount(ctx, "111122223333"); err != nil {
			t.Fatal(err)
		}
		check(t, path)
	})

	t.Run("tightens a leftover -wal and -shm", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keyhold.db")
		for _, suffix := range []string{"-wal", "-shm"} {
			if err := os.WriteFile(path+suffix, nil, 0o666); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path+suffix, 0o666); err != nil {
				t.Fatal(err)
			}
		}
		s := openPath(t, path)
		write(t, s)
		check(t, path)
	})
}
