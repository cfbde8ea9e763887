package sigv4

import (
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"sync"
)

// keyCacheSize bounds the number of derived signing keys kept. One entry
// serves one secret in one region and service for one day, so 1024 covers
// hundreds of active access keys across a few regions.
const keyCacheSize = 1024

// keyCache holds derived SigV4 signing keys so that the four HMACs of the
// derivation run once per (secret, date, region, service) instead of once
// per request.
//
// It never holds a secret. Entries are indexed by a fingerprint of the
// secret keyed with a random per-process salt, so the index says nothing
// about the secret outside this process, and two secrets collide only if
// SHA-256 does. A signing key is itself only good for one date, region and
// service. Revoking an access key needs no invalidation here: the
// credential lookup runs on every request, and its secret is what selects
// the entry.
type keyCache struct {
	salt [32]byte

	mu sync.RWMutex
	m  map[keyCacheKey]*[sha256.Size]byte
}

type keyCacheKey struct {
	fingerprint           [sha256.Size]byte
	date, region, service string
}

func newKeyCache() *keyCache {
	c := &keyCache{m: make(map[keyCacheKey]*[sha256.Size]byte)}
	rand.Read(c.salt[:]) // never fails (crypto/rand.Read panics rather than return an error)
	return c
}

// signingKey returns the signing key for secret, date, region and service,
// deriving and caching it when absent. The result must not be modified.
func (c *keyCache) signingKey(secret []byte, date, region, service string) *[sha256.Size]byte {
	k := keyCacheKey{fingerprint: c.fingerprint(secret), date: date, region: region, service: service}
	c.mu.RLock()
	key, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return key
	}

	derived := deriveSigningKey(secret, date, region, service)
	key = &derived
	// The strings usually point into a request's Authorization header; copy
	// them so a cache entry does not keep a whole header alive.
	k.date, k.region, k.service = strings.Clone(date), strings.Clone(region), strings.Clone(service)
	c.mu.Lock()
	if len(c.m) >= keyCacheSize {
		// Evict an arbitrary entry (Go randomises map iteration order).
		// Old dates fall out this way too; nothing depends on any entry
		// staying.
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = key
	c.mu.Unlock()
	return key
}

// fingerprint returns SHA-256(salt || secret). With a secret, random salt
// that never leaves the process this is a keyed hash (a length-extension
// attack needs the digest, which is never shown to anyone).
func (c *keyCache) fingerprint(secret []byte) [sha256.Size]byte {
	var buf [256]byte
	if len(c.salt)+len(secret) > len(buf) {
		h := sha256.New()
		h.Write(c.salt[:])
		h.Write(secret)
		var out [sha256.Size]byte
		h.Sum(out[:0])
		return out
	}
	n := copy(buf[:], c.salt[:])
	n += copy(buf[n:], secret)
	out := sha256.Sum256(buf[:n])
	clear(buf[:n])
	return out
}
