package keyhold

import (
	"context"
	"time"
)

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

	// DeleteKey removes a key with everything that belongs to it (tags,
	// backing keys, aliases, last usage) in one transaction.
	DeleteKey(ctx context.Context, arn string) error
	// ListKeysDue returns the keys that have background work due at now:
	// PendingDeletion keys whose DeletionDate has passed, and Enabled keys
	// with automatic rotation whose NextRotationDate has passed.
	ListKeysDue(ctx context.Context, now time.Time) ([]*Key, error)
	// RotateKey stores bk as a new backing key of k and updates k (whose
	// CurrentMaterialID names bk) in one transaction.
	RotateKey(ctx context.Context, k *Key, bk *BackingKey) error
	// UpdateTags sets (inserts or replaces) the tags in set and removes the
	// tag keys in remove, atomically.
	UpdateTags(ctx context.Context, keyARN string, set []Tag, remove []string) error

	// CreateAlias inserts an alias (ErrConflict if the name exists in the
	// account and region; ErrNotFound if the target key does not exist).
	CreateAlias(ctx context.Context, a *Alias) error
	// GetAlias returns an alias by name.
	GetAlias(ctx context.Context, account, region, name string) (*Alias, error)
	// UpdateAlias changes an existing alias's target and LastUpdatedDate.
	UpdateAlias(ctx context.Context, a *Alias) error
	// DeleteAlias removes an alias (ErrNotFound if absent).
	DeleteAlias(ctx context.Context, account, region, name string) error
	// ListAliases returns up to limit aliases of (account, region), only
	// those of keyARN when it is not "", whose name sorts after afterName,
	// in ascending name order.
	ListAliases(ctx context.Context, account, region, keyARN, afterName string, limit int) ([]*Alias, error)
	// CountAliases returns the number of aliases that point at keyARN.
	CountAliases(ctx context.Context, keyARN string) (int, error)

	// PutKeyUsage records last uses of keys (upsert, one per key); records
	// for keys that no longer exist are dropped.
	PutKeyUsage(ctx context.Context, us []KeyUsage) error
	// GetKeyUsage returns the last recorded use of a key.
	GetKeyUsage(ctx context.Context, keyARN string) (*KeyUsage, error)

	// KeyStats counts keys by state and key spec (all accounts and
	// regions) and returns the earliest NextRotationDate of a key with
	// automatic rotation (zero if none), for metrics.
	KeyStats(ctx context.Context) ([]KeyStat, time.Time, error)
}
