package soft

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
)

var _ hsm.XKSBoundary = (*Boundary)(nil)

// XKSEncrypt implements hsm.XKSBoundary (format: hsm.SealXKS).
func (b *Boundary) XKSEncrypt(ctx context.Context, bk *keyhold.BackingKey, plaintext, aad []byte) (*hsm.XKSCiphertext, error) {
	hbk, err := b.openBackingKey(bk)
	if err != nil {
		return nil, err
	}
	defer clear(hbk)
	return hsm.SealXKS(b.rand, hbk, bk.MaterialID, plaintext, aad)
}

// XKSDecrypt implements hsm.XKSBoundary.
func (b *Boundary) XKSDecrypt(ctx context.Context, bk *keyhold.BackingKey, c *hsm.XKSCiphertext, aad []byte) ([]byte, error) {
	hbk, err := b.openBackingKey(bk)
	if err != nil {
		return nil, err
	}
	defer clear(hbk)
	return hsm.OpenXKS(hbk, bk.MaterialID, c, aad)
}

// selfTestCache keeps the result of the last known-answer self-test run
// for health reports. The self-tests check the code and the CPU, not one
// Boundary, so one result serves the process.
var selfTestCache struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

func cachedSelfTest(now time.Time) error {
	selfTestCache.mu.Lock()
	defer selfTestCache.mu.Unlock()
	if selfTestCache.at.IsZero() || now.Sub(selfTestCache.at) >= hsm.XKSHealthMaxAge || now.Before(selfTestCache.at) {
		selfTestCache.err = hsm.SelfTest()
		selfTestCache.at = now
	}
	return selfTestCache.err
}

// XKSHealth implements hsm.XKSBoundary: UNAVAILABLE once closed or if the
// self-tests fail, DEGRADED while region has no domain key loaded (no
// external key can have been made there yet), ACTIVE otherwise.
func (b *Boundary) XKSHealth(ctx context.Context, region string) hsm.XKSHealth {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	h := hsm.XKSHealth{ID: "soft-" + host, Model: "keyhold software crypto boundary"}
	b.mu.RLock()
	closed, dk := b.closed, b.active[region]
	b.mu.RUnlock()
	switch {
	case closed:
		h.Status, h.Detail = hsm.XKSUnavailable, "the crypto boundary is closed"
	case cachedSelfTest(b.now()) != nil:
		h.Status, h.Detail = hsm.XKSUnavailable, "known-answer self-test failed"
	case dk == nil:
		h.Status, h.Detail = hsm.XKSDegraded, "no domain key loaded for region "+region
	default:
		h.Status = hsm.XKSActive
	}
	return h
}
