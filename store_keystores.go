package keyhold

import "context"

// CustomKeyStoreStore keeps custom key stores (keyhold as an XKS client) and
// the links between their KMS keys and external keys.
//
// Rules the store enforces inside its transactions: a custom key store's
// name is unique in its account and region, and so is its XKS proxy URI
// (endpoint and path together); an external key id is used by at most one
// KMS key of a store; a store that still holds KMS keys (in any state)
// cannot be deleted. Each violation is ErrConflict.
type CustomKeyStoreStore interface {
	// CreateCustomKeyStore inserts a custom key store.
	CreateCustomKeyStore(ctx context.Context, cks *CustomKeyStore) error
	// GetCustomKeyStore returns a custom key store of (account, region).
	GetCustomKeyStore(ctx context.Context, account, region, id string) (*CustomKeyStore, error)
	// ListCustomKeyStores returns up to limit custom key stores of
	// (account, region) whose ID sorts after afterID, in ascending ID order.
	ListCustomKeyStores(ctx context.Context, account, region, afterID string, limit int) ([]*CustomKeyStore, error)
	// UpdateCustomKeyStore replaces the mutable fields of a custom key store
	// (everything but ID, Account, Region, Type and CreationDate) and
	// applies keys to its KMS keys, in one transaction.
	UpdateCustomKeyStore(ctx context.Context, cks *CustomKeyStore, keys KeyAvailability) error
	// DeleteCustomKeyStore removes a custom key store (ErrConflict while it
	// holds KMS keys).
	DeleteCustomKeyStore(ctx context.Context, account, region, id string) error

	// CreateCustomKeyStoreKey inserts a KMS key in a custom key store: the
	// key as CreateKey does (with its tags and first backing key) and its
	// link, atomically. link.KeyARN must be k.ARN; the store must exist
	// (ErrNotFound).
	CreateCustomKeyStoreKey(ctx context.Context, k *Key, tags []Tag, bk *BackingKey, link *CustomKeyStoreKey) error
	// GetCustomKeyStoreKey returns the link of a KMS key in a custom key
	// store (ErrNotFound for any other key).
	GetCustomKeyStoreKey(ctx context.Context, keyARN string) (*CustomKeyStoreKey, error)
	// GetCustomKeyStoreKeyByXKSKeyID returns the link of the KMS key that
	// uses the external key xksKeyID in a custom key store.
	GetCustomKeyStoreKeyByXKSKeyID(ctx context.Context, customKeyStoreID, xksKeyID string) (*CustomKeyStoreKey, error)
}

// XKSKeyStore keeps the external keys keyhold serves as an XKS proxy.
// (KeyStore, ID) is unique; listing sorts by KeyStore, then ID.
type XKSKeyStore interface {
	// CreateXKSKey inserts an XKS key with its backing key (whose domain
	// key must be stored: ErrNotFound otherwise).
	CreateXKSKey(ctx context.Context, k *XKSKey) error
	// GetXKSKey returns an XKS key with its backing key.
	GetXKSKey(ctx context.Context, keyStore, id string) (*XKSKey, error)
	// ListXKSKeys returns the XKS keys of keyStore, or of every logical key
	// store when keyStore is "".
	ListXKSKeys(ctx context.Context, keyStore string) ([]*XKSKey, error)
	// UpdateXKSKey replaces an XKS key's operations and status.
	UpdateXKSKey(ctx context.Context, k *XKSKey) error
}
