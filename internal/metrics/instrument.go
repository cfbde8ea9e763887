package metrics

import (
	"context"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
)

// InstrumentStore times the store calls on the request path
// (keyhold_store_duration_seconds{method}); every other call passes through
// untimed.
func (m *Metrics) InstrumentStore(st keyhold.Store) keyhold.Store {
	return &timedStore{Store: st, m: m}
}

type timedStore struct {
	keyhold.Store
	m *Metrics
}

func (t *timedStore) observe(method string, start time.Time) {
	t.m.StoreTime.WithLabelValues(method).Observe(time.Since(start).Seconds())
}

func (t *timedStore) GetKey(ctx context.Context, arn string) (*keyhold.Key, error) {
	defer t.observe("GetKey", time.Now())
	return t.Store.GetKey(ctx, arn)
}

func (t *timedStore) GetBackingKey(ctx context.Context, keyARN, materialID string) (*keyhold.BackingKey, error) {
	defer t.observe("GetBackingKey", time.Now())
	return t.Store.GetBackingKey(ctx, keyARN, materialID)
}

func (t *timedStore) CreateKey(ctx context.Context, k *keyhold.Key, tags []keyhold.Tag, bk *keyhold.BackingKey) error {
	defer t.observe("CreateKey", time.Now())
	return t.Store.CreateKey(ctx, k, tags, bk)
}

func (t *timedStore) UpdateKey(ctx context.Context, k *keyhold.Key) error {
	defer t.observe("UpdateKey", time.Now())
	return t.Store.UpdateKey(ctx, k)
}

func (t *timedStore) ListKeys(ctx context.Context, account, region, afterID string, limit int) ([]*keyhold.Key, error) {
	defer t.observe("ListKeys", time.Now())
	return t.Store.ListKeys(ctx, account, region, afterID, limit)
}

func (t *timedStore) GetAlias(ctx context.Context, account, region, name string) (*keyhold.Alias, error) {
	defer t.observe("GetAlias", time.Now())
	return t.Store.GetAlias(ctx, account, region, name)
}

func (t *timedStore) PutKeyUsage(ctx context.Context, us []keyhold.KeyUsage) error {
	defer t.observe("PutKeyUsage", time.Now())
	return t.Store.PutKeyUsage(ctx, us)
}

// InstrumentBoundary times the crypto boundary's key operations
// (keyhold_crypto_boundary_duration_seconds{method}).
func (m *Metrics) InstrumentBoundary(b hsm.Boundary) hsm.Boundary {
	return &timedBoundary{Boundary: b, m: m}
}

type timedBoundary struct {
	hsm.Boundary
	m *Metrics
}

func (t *timedBoundary) observe(method string, start time.Time) {
	t.m.CryptoTime.WithLabelValues(method).Observe(time.Since(start).Seconds())
}

func (t *timedBoundary) Encrypt(ctx context.Context, bk *keyhold.BackingKey, pt []byte, ec map[string]string) ([]byte, error) {
	defer t.observe("Encrypt", time.Now())
	return t.Boundary.Encrypt(ctx, bk, pt, ec)
}

func (t *timedBoundary) Decrypt(ctx context.Context, bk *keyhold.BackingKey, blob []byte, ec map[string]string) ([]byte, error) {
	defer t.observe("Decrypt", time.Now())
	return t.Boundary.Decrypt(ctx, bk, blob, ec)
}

func (t *timedBoundary) GenerateBackingKey(ctx context.Context, region, keyARN string) (*keyhold.BackingKey, error) {
	defer t.observe("GenerateBackingKey", time.Now())
	return t.Boundary.GenerateBackingKey(ctx, region, keyARN)
}

func (t *timedBoundary) Sign(ctx context.Context, bk *keyhold.BackingKey, alg, messageType string, msg []byte) ([]byte, error) {
	defer t.observe("Sign", time.Now())
	return t.Boundary.Sign(ctx, bk, alg, messageType, msg)
}

func (t *timedBoundary) Verify(ctx context.Context, bk *keyhold.BackingKey, alg, messageType string, msg, sig []byte) error {
	defer t.observe("Verify", time.Now())
	return t.Boundary.Verify(ctx, bk, alg, messageType, msg, sig)
}

func (t *timedBoundary) GenerateRandom(ctx context.Context, n int) ([]byte, error) {
	defer t.observe("GenerateRandom", time.Now())
	return t.Boundary.GenerateRandom(ctx, n)
}
