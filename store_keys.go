package keyhold

import "context"

// KeyStore keeps KMS keys, their tags and backing keys, and domain keys.
type KeyStore interface {
	// CreateKey inserts a key together with its tags and its first backing
	// key, atomically. bk may be nil for keys created without material.
	CreateKey(ctx context.Context, k *Key, tags []Tag, bk *BackingKey) error
	// GetKey returns the key with the given ARN.
	GetKey(ctx context.Context, arn string) (*Key, error)
	// ListKeys returns up to limit keys of (account, region) whose ID sorts
	// after afterID (all when afterID is ""), in ascending ID order.
	ListKeys(ctx context.Context, account, region, afterID string, limit int) ([]*Key, error)
	// UpdateKey replaces the mutable fields of an existing key (everything
	// but ARN, ID, Account, Region and CreationDate).
	UpdateKey(ctx context.Context, k *Key) error
	// ListTags returns the key's tags sorted by tag key.
	ListTags(ctx context.Context, keyARN string) ([]Tag, error)

	// AddBackingKey stores another backing key of an existing key.
	AddBackingKey(ctx context.Context, bk *BackingKey) error
	// GetBackingKey returns one backing key of a key.
	GetBackingKey(ctx context.Context, keyARN, materialID string) (*BackingKey, error)
	// ListBackingKeys returns all backing keys of a key, oldest first.
	ListBackingKeys(ctx context.Context, keyARN string) ([]*BackingKey, error)

	// CreateDomainKey stores a wrapped domain key.
	CreateDomainKey(ctx context.Context, dk *DomainKey) error
	// ListDomainKeys returns every domain key, oldest first.
	ListDomainKeys(ctx context.Context) ([]*DomainKey, error)
}
