package keyhold

// Store is keyhold's persistence. Every write is transactional and durable
// when the method returns. Methods return ErrNotFound (wrapped) for a missing
// record and ErrConflict for a duplicate identity. Implementations do no
// authorization and hold no business rules: they keep records.
//
// internal/store/storetest holds the conformance suite that every
// implementation must pass.
type Store interface {
	KeyStore
	IdentityStore
	ImportStore
	CustomKeyStoreStore
	XKSKeyStore
	GrantStore

	// Close releases the store. It waits for nothing: callers stop issuing
	// requests first.
	Close() error
}
