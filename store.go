package keyhold

import "context"

// Store is keyhold's persistence. Every write is transactional and durable
// when the method returns. Methods return ErrNotFound (wrapped) for a missing
// record and ErrConflict for a duplicate identity. Implementations do no
// authorization and hold no business rules: they keep records.
//
// internal/store/storetest holds the conformance suite that every
// implementation must pass.
type Store interface {
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

	// CreateAccount inserts an account (ErrConflict if it exists).
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns an account.
	GetAccount(ctx context.Context, id string) (*Account, error)
	// CreateAccessKey inserts an access key (ErrConflict if the id exists).
	CreateAccessKey(ctx context.Context, ak *AccessKey) error
	// GetAccessKey returns an access key by its id.
	GetAccessKey(ctx context.Context, id string) (*AccessKey, error)

	// Close releases the store. It waits for nothing: callers stop issuing
	// requests first.
	Close() error
}
