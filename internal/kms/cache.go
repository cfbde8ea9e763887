package kms

import (
	"context"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
)

// keyCacheTTL bounds how long a cached key's metadata is trusted. Every
// change made through this process invalidates its entries at once; the TTL
// only bounds how stale a change made by another host sharing the database
// can look here.
const keyCacheTTL = 5 * time.Second

// maxCachedKeys bounds the cache; past it, it starts over.
const maxCachedKeys = 100_000

// cachedStore keeps the hot path of cryptographic operations off the
// store: keys and their backing keys (EKTs, still sealed) are cached in
// memory. It wraps the store, passes every other call through, and drops a
// key's entries whenever a call changes that key.
type cachedStore struct {
	keyhold.Store
	now func() time.Time

	mu   sync.RWMutex
	keys map[string]cachedKey
	bks  map[string]map[string]*keyhold.BackingKey // key ARN → material id
}

type cachedKey struct {
	k       keyhold.Key
	expires time.Time
}

func newCachedStore(st keyhold.Store) *cachedStore {
	return &cachedStore{Store: st, now: time.Now, keys: map[string]cachedKey{}, bks: map[string]map[string]*keyhold.BackingKey{}}
}

// GetKey returns a copy of the key (callers change what they get).
func (c *cachedStore) GetKey(ctx context.Context, arn string) (*keyhold.Key, error) {
	c.mu.RLock()
	e, ok := c.keys[arn]
	c.mu.RUnlock()
	if ok && c.now().Before(e.expires) {
		k := e.k
		return &k, nil
	}
	k, err := c.Store.GetKey(ctx, arn)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.keys) >= maxCachedKeys {
		c.keys = map[string]cachedKey{}
	}
	c.keys[arn] = cachedKey{k: *k, expires: c.now().Add(keyCacheTTL)}
	c.mu.Unlock()
	return k, nil
}

// GetBackingKey caches backing keys; they change only through the key
// operations below, which drop them.
func (c *cachedStore) GetBackingKey(ctx context.Context, keyARN, materialID string) (*keyhold.BackingKey, error) {
	c.mu.RLock()
	bk, ok := c.bks[keyARN][materialID]
	c.mu.RUnlock()
	if ok {
		return bk, nil
	}
	bk, err := c.Store.GetBackingKey(ctx, keyARN, materialID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.bks) >= maxCachedKeys {
		c.bks = map[string]map[string]*keyhold.BackingKey{}
	}
	m := c.bks[keyARN]
	if m == nil {
		m = map[string]*keyhold.BackingKey{}
		c.bks[keyARN] = m
	}
	m[materialID] = bk
	c.mu.Unlock()
	return bk, nil
}

func (c *cachedStore) forget(arn string) {
	c.mu.Lock()
	delete(c.keys, arn)
	delete(c.bks, arn)
	c.mu.Unlock()
}

func (c *cachedStore) forgetAll() {
	c.mu.Lock()
	c.keys = map[string]cachedKey{}
	c.bks = map[string]map[string]*keyhold.BackingKey{}
	c.mu.Unlock()
}

// Every call that changes a key drops its entries, before and after the
// write (so no concurrent reader re-caches the old version in between for
// longer than the write takes).

func (c *cachedStore) UpdateKey(ctx context.Context, k *keyhold.Key) error {
	c.forget(k.ARN)
	defer c.forget(k.ARN)
	return c.Store.UpdateKey(ctx, k)
}

func (c *cachedStore) DeleteKey(ctx context.Context, arn string) error {
	c.forget(arn)
	defer c.forget(arn)
	return c.Store.DeleteKey(ctx, arn)
}

func (c *cachedStore) RotateKey(ctx context.Context, k *keyhold.Key, bk *keyhold.BackingKey) error {
	c.forget(k.ARN)
	defer c.forget(k.ARN)
	return c.Store.RotateKey(ctx, k, bk)
}

func (c *cachedStore) AddBackingKey(ctx context.Context, bk *keyhold.BackingKey) error {
	c.forget(bk.KeyARN)
	defer c.forget(bk.KeyARN)
	return c.Store.AddBackingKey(ctx, bk)
}

func (c *cachedStore) ImportKeyMaterial(ctx context.Context, k *keyhold.Key, tokenID string, bk *keyhold.BackingKey, m *keyhold.KeyMaterial) error {
	c.forget(k.ARN)
	defer c.forget(k.ARN)
	return c.Store.ImportKeyMaterial(ctx, k, tokenID, bk, m)
}

func (c *cachedStore) EraseKeyMaterial(ctx context.Context, k *keyhold.Key, materialID string) error {
	c.forget(k.ARN)
	defer c.forget(k.ARN)
	return c.Store.EraseKeyMaterial(ctx, k, materialID)
}

func (c *cachedStore) ForgetKeyMaterial(ctx context.Context, k *keyhold.Key, materialID string) error {
	c.forget(k.ARN)
	defer c.forget(k.ARN)
	return c.Store.ForgetKeyMaterial(ctx, k, materialID)
}

func (c *cachedStore) RotateToKeyMaterial(ctx context.Context, k *keyhold.Key, materialID, rotationType string, date time.Time) error {
	c.forget(k.ARN)
	defer c.forget(k.ARN)
	return c.Store.RotateToKeyMaterial(ctx, k, materialID, rotationType, date)
}

// Custom key store changes can change the state of many keys at once.

func (c *cachedStore) UpdateCustomKeyStore(ctx context.Context, cks *keyhold.CustomKeyStore, keys keyhold.KeyAvailability) error {
	c.forgetAll()
	defer c.forgetAll()
	return c.Store.UpdateCustomKeyStore(ctx, cks, keys)
}

func (c *cachedStore) DeleteCustomKeyStore(ctx context.Context, account, region, id string) error {
	c.forgetAll()
	defer c.forgetAll()
	return c.Store.DeleteCustomKeyStore(ctx, account, region, id)
}
