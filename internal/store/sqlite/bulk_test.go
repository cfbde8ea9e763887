package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/keyhold/keyhold"
)

// bulkStore is a store with the domain key benchKey's backing keys need.
func bulkStore(t *testing.T) *Store {
	t.Helper()
	s := openTemp(t)
	if err := s.CreateDomainKey(context.Background(), &keyhold.DomainKey{ID: "dk-bench", Region: "eu-central-1", Wrapped: make([]byte, 60)}); err != nil {
		t.Fatal(err)
	}
	return s
}

func newKeys(from, to int) []NewKey {
	var out []NewKey
	for i := from; i < to; i++ {
		k, tags, bk := benchKey(i)
		out = append(out, NewKey{Key: k, Tags: tags, Backing: bk})
	}
	return out
}

// TestCreateKeys stores keys with CreateKeys and reads back exactly what
// CreateKey would have stored.
func TestCreateKeys(t *testing.T) {
	ctx := context.Background()
	s := bulkStore(t)
	if err := s.SetWriterCache(ctx, 16); err != nil {
		t.Fatal(err)
	}
	var size int64
	if err := s.writer.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&size); err != nil || size != -16<<10 {
		t.Fatalf("writer cache_size %d (%v), want %d", size, err, -16<<10)
	}
	keys := newKeys(0, 250)
	// One key without key material, as an EXTERNAL key is created.
	keys[7].Backing = nil
	keys[7].Key.State = keyhold.KeyStatePendingImport
	if err := s.CreateKeys(ctx, keys); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKeys(ctx, nil); err != nil {
		t.Fatalf("CreateKeys of nothing: %v", err)
	}
	// The same through CreateKey, in another store, for comparison.
	ref := bulkStore(t)
	for _, nk := range keys[:10] {
		if err := ref.CreateKey(ctx, nk.Key, nk.Tags, nk.Backing); err != nil {
			t.Fatal(err)
		}
	}
	for i, nk := range keys {
		got, err := s.GetKey(ctx, nk.Key.ARN)
		if err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		tags, err := s.ListTags(ctx, nk.Key.ARN)
		if err != nil || !reflect.DeepEqual(tags, nk.Tags) {
			t.Errorf("key %d: tags %v (%v), want %v", i, tags, err, nk.Tags)
		}
		bks, err := s.ListBackingKeys(ctx, nk.Key.ARN)
		if err != nil || len(bks) != map[bool]int{true: 0, false: 1}[nk.Backing == nil] {
			t.Errorf("key %d: backing keys %v (%v)", i, bks, err)
		}
		if i >= 10 {
			continue
		}
		want, err := ref.GetKey(ctx, nk.Key.ARN)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("key %d: CreateKeys stored %+v, CreateKey %+v (%v)", i, got, want, err)
		}
		wantBKs, _ := ref.ListBackingKeys(ctx, nk.Key.ARN)
		if !reflect.DeepEqual(bks, wantBKs) {
			t.Errorf("key %d: backing keys %+v, CreateKey stored %+v", i, bks, wantBKs)
		}
	}
	page, err := s.ListKeys(ctx, "111122223333", "eu-central-1", "", 1000)
	if err != nil || len(page) != len(keys) {
		t.Fatalf("ListKeys: %d keys (%v), want %d", len(page), err, len(keys))
	}
}

// TestCreateKeysAllOrNothing: one bad key, and no key of the call is
// stored.
func TestCreateKeysAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := bulkStore(t)
	if err := s.CreateKeys(ctx, newKeys(0, 5)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		bad  func(keys []NewKey)
		want error
	}{
		{"duplicate ARN", func(keys []NewKey) { keys[20] = newKeys(3, 4)[0] }, keyhold.ErrConflict},
		{"unknown domain key", func(keys []NewKey) { keys[30].Backing.DomainKeyID = "dk-missing" }, keyhold.ErrNotFound},
		{"duplicate tag", func(keys []NewKey) { keys[40].Tags = append(keys[40].Tags, keys[40].Tags[0]) }, keyhold.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := newKeys(100, 150)
			tt.bad(keys)
			err := s.CreateKeys(ctx, keys)
			if !errors.Is(err, tt.want) {
				t.Fatalf("CreateKeys: %v, want %v", err, tt.want)
			}
			page, err := s.ListKeys(ctx, "111122223333", "eu-central-1", "", 1000)
			if err != nil || len(page) != 5 {
				t.Fatalf("after a failed CreateKeys: %d keys (%v), want the 5 stored before", len(page), err)
			}
		})
	}
	// A backing key of another key is refused before anything is written.
	keys := newKeys(200, 202)
	keys[1].Backing.KeyARN = keys[0].Key.ARN
	if err := s.CreateKeys(ctx, keys); err == nil {
		t.Fatal("CreateKeys took a backing key of another key")
	}
}

// TestOpenedByNobody: a missing file, and a file no other process has
// open. (A file another process has open: TestSeedRefusesOpenDatabase in
// internal/cli, which needs a second process.)
func TestOpenedByNobody(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keyhold.db")
	if pid, err := OpenedBy(path); pid != 0 || err != nil {
		t.Fatalf("missing file: %d, %v", pid, err)
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if pid, err := OpenedBy(path); pid != 0 || err != nil {
		t.Fatalf("closed database: %d, %v", pid, err)
	}
	if err := os.Chmod(path, 0); err == nil && os.Geteuid() != 0 {
		if _, err := OpenedBy(path); err == nil {
			t.Error("unreadable file: no error")
		}
	}
}
