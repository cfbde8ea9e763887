package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/keyhold/keyhold"
)

const (
	writers         = 8
	keysPerWriter   = 25
	readersDuring   = 4
	backingPerAdder = 10
)

// testConcurrentCreateKey has writers goroutines create keysPerWriter keys
// each (with tags and a backing key) while readers list and get keys. Every
// call must succeed: a store may not fail a write because another is in
// flight (SQLITE_BUSY, serialization failures), it must wait or retry.
func testConcurrentCreateKey(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)

	var (
		wg      sync.WaitGroup
		created atomic.Int64
		done    = make(chan struct{})
	)
	for w := range writers {
		wg.Go(func() {
			for i := range keysPerWriter {
				k := newKey(account1, region1, fmt.Sprintf("w%02d-k%03d", w, i))
				tags := []keyhold.Tag{{Key: "writer", Value: fmt.Sprint(w)}, {Key: "i", Value: fmt.Sprint(i)}}
				if err := s.CreateKey(ctx, k, tags, newBackingKey(k.ARN, i+1, domainKeyID)); err != nil {
					t.Errorf("writer %d: CreateKey(%s): %v", w, k.ID, err)
					continue
				}
				created.Add(1)
			}
		})
	}
	var readerWG sync.WaitGroup
	for r := range readersDuring {
		readerWG.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				keys, err := s.ListKeys(ctx, account1, region1, "", 1000)
				if err != nil {
					t.Errorf("reader %d: ListKeys: %v", r, err)
					return
				}
				if len(keys) > 0 {
					k := keys[n%len(keys)]
					if _, err := s.GetKey(ctx, k.ARN); err != nil {
						t.Errorf("reader %d: GetKey(%s): %v", r, k.ID, err)
						return
					}
					// A key is visible only with its backing key: CreateKey
					// is atomic for readers too.
					if bks, err := s.ListBackingKeys(ctx, k.ARN); err != nil || len(bks) != 1 {
						t.Errorf("reader %d: ListBackingKeys(%s) = %d, %v; want 1", r, k.ID, len(bks), err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(done)
	readerWG.Wait()

	if got, want := created.Load(), int64(writers*keysPerWriter); got != want {
		t.Fatalf("%d of %d CreateKey calls succeeded", got, want)
	}
	keys, err := s.ListKeys(ctx, account1, region1, "", 1000)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	var want []string
	for w := range writers {
		for i := range keysPerWriter {
			want = append(want, fmt.Sprintf("w%02d-k%03d", w, i))
		}
	}
	if !slices.Equal(ids, want) {
		t.Errorf("ListKeys after concurrent CreateKey: %d keys, want %d in order", len(ids), len(want))
	}
	for _, k := range keys {
		tags, err := s.ListTags(ctx, k.ARN)
		if err != nil || len(tags) != 2 {
			t.Errorf("ListTags(%s) = %v, %v; want 2 tags", k.ID, tags, err)
		}
	}
}

// testConcurrentAddBackingKey adds backing keys to one key from several
// goroutines at once.
func testConcurrentAddBackingKey(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := newKey(account1, region1, keyID(1))
	mustCreateKey(t, s, k, nil, nil)

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range backingPerAdder {
				bk := newBackingKey(k.ARN, 1+w*backingPerAdder+i, domainKeyID)
				if err := s.AddBackingKey(ctx, bk); err != nil {
					t.Errorf("adder %d: AddBackingKey: %v", w, err)
				}
			}
		})
	}
	wg.Wait()
	bks, err := s.ListBackingKeys(ctx, k.ARN)
	if err != nil {
		t.Fatalf("ListBackingKeys: %v", err)
	}
	if len(bks) != writers*backingPerAdder {
		t.Fatalf("ListBackingKeys: %d backing keys, want %d", len(bks), writers*backingPerAdder)
	}
	// newBackingKey(n) is created at(n), so oldest first is 1, 2, 3, ...
	for i, bk := range bks {
		if bk.MaterialID != materialID(i+1) {
			t.Errorf("ListBackingKeys[%d] = material %s, want %s", i, bk.MaterialID, materialID(i+1))
			break
		}
	}
}

// testConcurrentConflict races writers to create the same key, account and
// domain key: exactly one of each wins, the others get ErrConflict.
func testConcurrentConflict(t *testing.T, f Factory) {
	ctx := context.Background()
	tests := []struct {
		name   string
		create func(s keyhold.Store, w int) error
	}{
		{"CreateKey", func(s keyhold.Store, w int) error {
			k := newKey(account1, region1, keyID(1))
			k.Description = fmt.Sprint("writer ", w)
			return s.CreateKey(ctx, k, []keyhold.Tag{{Key: "w", Value: fmt.Sprint(w)}}, newBackingKey(k.ARN, w+1, domainKeyID))
		}},
		{"CreateAccount", func(s keyhold.Store, w int) error {
			return s.CreateAccount(ctx, &keyhold.Account{ID: account1, CreationDate: at(w)})
		}},
		{"CreateAccessKey", func(s keyhold.Store, w int) error {
			return s.CreateAccessKey(ctx, newAccessKey("AKIAIOSFODNN7EXAMPLE", account1))
		}},
		{"CreateDomainKey", func(s keyhold.Store, w int) error {
			return s.CreateDomainKey(ctx, newDomainKey("dk-race", region1, at(w)))
		}},
		{"AddBackingKey", func(s keyhold.Store, w int) error {
			return s.AddBackingKey(ctx, newBackingKey(keyhold.KeyARN(region1, account1, keyID(2)), 7, domainKeyID))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, f)
			mustCreateKey(t, s, newKey(account1, region1, keyID(2)), nil, nil)
			var (
				wg        sync.WaitGroup
				wins      atomic.Int64
				conflicts atomic.Int64
			)
			for w := range writers {
				wg.Go(func() {
					err := tt.create(s, w)
					switch {
					case err == nil:
						wins.Add(1)
					case errors.Is(err, keyhold.ErrConflict):
						conflicts.Add(1)
					default:
						t.Errorf("writer %d: %v, want nil or ErrConflict", w, err)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 || conflicts.Load() != writers-1 {
				t.Errorf("%d wins and %d conflicts, want 1 and %d", wins.Load(), conflicts.Load(), writers-1)
			}
		})
	}
	t.Run("CreateKey leaves the winner's tags and backing key only", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, f)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() { _ = tests[0].create(s, w) })
		}
		wg.Wait()
		k, err := s.GetKey(ctx, keyhold.KeyARN(region1, account1, keyID(1)))
		if err != nil {
			t.Fatalf("GetKey: %v", err)
		}
		var w int
		if _, err := fmt.Sscanf(k.Description, "writer %d", &w); err != nil {
			t.Fatalf("description %q: %v", k.Description, err)
		}
		tags, err := s.ListTags(ctx, k.ARN)
		if err != nil || diff([]keyhold.Tag{{Key: "w", Value: fmt.Sprint(w)}}, tags) != "" {
			t.Errorf("ListTags = %v, %v; want the winner's (writer %d) only", tags, err, w)
		}
		bks, err := s.ListBackingKeys(ctx, k.ARN)
		if err != nil || len(bks) != 1 || bks[0].MaterialID != materialID(w+1) {
			t.Errorf("ListBackingKeys = %d backing keys, %v; want the winner's (writer %d) only", len(bks), err, w)
		}
	})
}
