package sqlite

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

// TestGroupCommit: concurrent writes share transactions, and each write
// still gets its own result: a write that fails halfway (its key row went
// in, a later tag did not) leaves nothing behind, and the writes around it
// in the same transaction are stored.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if err := s.CreateDomainKey(ctx, &keyhold.DomainKey{ID: "dk-bench", Region: "eu-central-1", Wrapped: make([]byte, 60), CreationDate: time.Now()}); err != nil {
		t.Fatal(err)
	}
	const n = 400
	var wg sync.WaitGroup
	errs := make([]error, n)
	before := s.transactions.Load()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, tags, bk := benchKey(i)
			if i%10 == 3 {
				// Fails in its tags, after the key row is in.
				tags = []keyhold.Tag{{Key: "dup", Value: "1"}, {Key: "dup", Value: "2"}}
			}
			errs[i] = s.CreateKey(ctx, k, tags, bk)
		}()
	}
	wg.Wait()
	txs := s.transactions.Load() - before
	for i := range n {
		k, _, _ := benchKey(i)
		_, getErr := s.GetKey(ctx, k.ARN)
		if i%10 == 3 {
			if errs[i] == nil {
				t.Fatalf("key %d with duplicate tags was stored", i)
			}
			if !errors.Is(getErr, keyhold.ErrNotFound) {
				t.Fatalf("key %d failed (%v) but left a row behind: %v", i, errs[i], getErr)
			}
			continue
		}
		if errs[i] != nil || getErr != nil {
			t.Fatalf("key %d: create %v, get %v", i, errs[i], getErr)
		}
	}
	if txs >= n {
		t.Fatalf("%d writes took %d transactions: no group commit", n, txs)
	}
	t.Logf("%d concurrent writes in %d transactions", n, txs)
	// A duplicate is a conflict, as without batching.
	k, tags, bk := benchKey(0)
	if err := s.CreateKey(ctx, k, tags, bk); !errors.Is(err, keyhold.ErrConflict) {
		t.Fatalf("duplicate CreateKey: %v", err)
	}
}

// TestWriteAfterClose: a write on a closed store fails cleanly.
func TestWriteAfterClose(t *testing.T) {
	s := openTemp(t)
	s.Close()
	k, tags, bk := benchKey(1)
	if err := s.CreateKey(context.Background(), k, tags, bk); err == nil {
		t.Fatal("write after Close succeeded")
	}
}
