package soft

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

func TestRootKeyFileCreated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	b, err := New(ctx, Options{RootKeyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if len(data) != rootKeyFileLen || string(data[:4]) != rootKeyMagic || data[4] != rootKeyVersion {
		t.Errorf("file = %x", data)
	}
	// A second start reads the same key: a domain key made by the first
	// boundary unwraps in the second.
	b1, _ := New(ctx, Options{RootKeyPath: path})
	dk, err := b1.CreateDomainKey(ctx, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := New(ctx, Options{RootKeyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.LoadDomainKeys(ctx, []*keyhold.DomainKey{dk}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(data) {
		t.Error("root key file changed on a later start")
	}
}

func TestRootKeyFileRejected(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	good := filepath.Join(t.TempDir(), "root.key")
	b, err := New(ctx, Options{RootKeyPath: good})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	data, _ := os.ReadFile(good)

	tests := []struct {
		name    string
		mode    os.FileMode
		edit    func([]byte) []byte
		wantErr string
	}{
		{"group readable", 0o640, nil, "chmod 600"},
		{"world readable", 0o604, nil, "chmod 600"},
		{"group writable", 0o620, nil, "chmod 600"},
		{"flipped key bit", 0o600, func(d []byte) []byte { d[10] ^= 1; return d }, "corrupt"},
		{"flipped check bit", 0o600, func(d []byte) []byte { d[len(d)-1] ^= 1; return d }, "corrupt"},
		{"truncated", 0o600, func(d []byte) []byte { return d[:len(d)-1] }, "not a keyhold root key file"},
		{"extended", 0o600, func(d []byte) []byte { return append(d, '\n') }, "not a keyhold root key file"},
		{"empty", 0o600, func(d []byte) []byte { return nil }, "not a keyhold root key file"},
		{"bad magic", 0o600, func(d []byte) []byte { d[0] = 'X'; return d }, "not a keyhold root key file"},
		{"version 2", 0o600, func(d []byte) []byte { d[4] = 2; return d }, "version 2"},
		{"hex text instead of binary", 0o600, func(d []byte) []byte { return []byte(strings.Repeat("ab", 32) + "\n") }, "not a keyhold root key file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "root.key")
			d := append([]byte(nil), data...)
			if tt.edit != nil {
				d = tt.edit(d)
			}
			if err := os.WriteFile(path, d, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := New(ctx, Options{RootKeyPath: path})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the file: %v", err)
			}
			// A rejected file is left alone.
			if after, _ := os.ReadFile(path); string(after) != string(d) {
				t.Error("New changed a rejected root key file")
			}
		})
	}
}
