package audit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recordStaggered records n events from n goroutines started gap apart and
// returns how many syncs wrote them and the longest Record call.
func recordStaggered(t *testing.T, l *Log, syncs *atomic.Int64, n int, gap time.Duration) (int64, time.Duration) {
	t.Helper()
	before := syncs.Load()
	var wg sync.WaitGroup
	var longest atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			start := time.Now()
			if err := l.Record(context.Background(), event(i)); err != nil {
				t.Error(err)
			}
			if d := int64(time.Since(start)); d > longest.Load() {
				longest.Store(d)
			}
		}(i)
		time.Sleep(gap)
	}
	wg.Wait()
	return syncs.Load() - before, time.Duration(longest.Load())
}

// TestSyncDelayWhileBusy: while Busy reports true, events that arrive
// within SyncDelay of the previous sync share the next one; while it
// reports false, each event that arrives alone gets its own sync at once.
func TestSyncDelayWhileBusy(t *testing.T) {
	var busy atomic.Bool
	var syncs atomic.Int64
	l := openLog(t, t.TempDir(), newTestSigner(t), func(o *Options) {
		o.SyncDelay = 300 * time.Millisecond
		o.Busy = busy.Load
		o.OnSync = func(time.Duration, int) { syncs.Add(1) }
	})
	defer l.Close()

	// Not busy: 6 events 30 ms apart, each alone in its sync.
	n, _ := recordStaggered(t, l, &syncs, 6, 30*time.Millisecond)
	if n < 5 {
		t.Fatalf("not busy: %d syncs for 6 events 30 ms apart, want one each", n)
	}

	// Busy: the first event syncs at once (the last sync was long ago); the
	// other five arrive within 300 ms of it and wait to share one sync.
	busy.Store(true)
	time.Sleep(350 * time.Millisecond)
	n, longest := recordStaggered(t, l, &syncs, 6, 30*time.Millisecond)
	if n > 2 {
		t.Fatalf("busy: %d syncs for 6 events 30 ms apart, want 2", n)
	}
	if longest < 100*time.Millisecond || longest > 5*time.Second {
		t.Fatalf("busy: the longest Record took %v; want it to have waited for the delay, and not far longer", longest)
	}
}

// TestSyncDelayEndsAtFullBatch: a full batch is written without waiting
// out the delay.
func TestSyncDelayEndsAtFullBatch(t *testing.T) {
	l := openLog(t, t.TempDir(), newTestSigner(t), func(o *Options) {
		o.SyncDelay = time.Hour
		o.Busy = func() bool { return true }
	})
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The first sync starts the hour; the next syncDelayBatch events
		// fill a batch and must not wait for it.
		recordStaggered(t, l, new(atomic.Int64), 1, 0)
		recordStaggered(t, l, new(atomic.Int64), syncDelayBatch, 0)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("a full batch waited for the sync delay")
	}
}
