package proxy

import (
	"context"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
)

// keyCacheTTL is how long an external key read from the store is used
// before it is read again: a key disabled with `keyhold xks key disable`
// (another process) stops working within this time. Reading SQLite on
// every call would double the proxy's CPU per request.
const keyCacheTTL = time.Second

// keyCache holds recently read external keys.
type keyCache struct {
	mu sync.RWMutex
	m  map[string]cachedKey
}

type cachedKey struct {
	k  *keyhold.XKSKey
	at time.Time
}

func (c *keyCache) get(name string, now time.Time) *keyhold.XKSKey {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[name]
	if !ok || now.Sub(e.at) >= keyCacheTTL || now.Before(e.at) {
		return nil
	}
	return e.k
}

func (c *keyCache) put(name string, k *keyhold.XKSKey, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 10000 {
		c.m = map[string]cachedKey{}
	}
	c.m[name] = cachedKey{k: k, at: now}
}

// ForgetKeys drops the cached external keys, so the next request of each
// reads the store (after a change made in this process).
func (s *Server) ForgetKeys() {
	s.keys.mu.Lock()
	s.keys.m = nil
	s.keys.mu.Unlock()
}

// getKey returns an external key, from the cache when fresh.
func (s *Server) getKey(ctx context.Context, store, id string) (*keyhold.XKSKey, error) {
	name := store + "/" + id
	now := time.Now()
	if k := s.keys.get(name, now); k != nil {
		return k, nil
	}
	k, err := s.cfg.Store.GetXKSKey(ctx, store, id)
	if err != nil {
		return nil, err
	}
	s.keys.put(name, k, now)
	return k, nil
}

// limiter is a token bucket: rate tokens per second, burst of one second.
type limiter struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

func newLimiter(rate int, now func() time.Time) *limiter {
	return &limiter{rate: float64(rate), tokens: float64(rate), last: now(), now: now}
}

func (l *limiter) allow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.now()
	if dt := t.Sub(l.last).Seconds(); dt > 0 {
		l.tokens = min(l.rate, l.tokens+dt*l.rate)
	}
	l.last = t
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
