package kms

import (
	"context"
	"github.com/keyhold/keyhold"
	"time"
)

// workerInterval is how often the background workers look for due work
// (deletions, rotations) and flush batched last-usage records.
const workerInterval = 10 * time.Second

// background is the list of periodic tasks; feature files add theirs in
// init functions.
var background []func(s *Service, ctx context.Context)

// RunWorkers runs the background workers until ctx is done: every
// workerInterval each registered task runs once. It returns after the last
// round has finished, so a caller that cancels ctx and waits for RunWorkers
// knows no worker is touching the store.
func (s *Service) RunWorkers(ctx context.Context) {
	t := time.NewTicker(workerInterval)
	defer t.Stop()
	for {
		s.RunWorkersOnce(ctx)
		select {
		case <-ctx.Done():
			// One last round with a fresh context so batched records
			// are flushed on shutdown.
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			s.RunWorkersOnce(fctx)
			cancel()
			return
		case <-t.C:
		}
	}
}

// RunWorkersOnce runs every background task once (tests call it after
// moving the clock).
func (s *Service) RunWorkersOnce(ctx context.Context) {
	s.workerMu.Lock()
	defer s.workerMu.Unlock()
	for _, task := range background {
		task(s, ctx)
	}
}

// KeyStats counts keys by state and key spec and returns when the next
// automatic rotation is due, for metrics.
func (s *Service) KeyStats(ctx context.Context) ([]keyhold.KeyStat, time.Time, error) {
	return s.store.KeyStats(ctx)
}

// KeyMaterialExpiry returns, for metrics, the time left on the service's
// clock until the soonest expiry of imported key material (negative while
// expired material awaits the expiry worker; ok is false when no imported
// material expires) and how many materials expire within the window
// (including any already expired).
func (s *Service) KeyMaterialExpiry(ctx context.Context, window time.Duration) (left time.Duration, ok bool, expiring int, err error) {
	now := s.now()
	soonest, n, err := s.store.KeyMaterialExpiryStats(ctx, now.Add(window))
	if err != nil || soonest.IsZero() {
		return 0, false, n, err
	}
	return soonest.Sub(now), true, n, nil
}
