package proxy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
	"github.com/keyhold/keyhold/internal/xks"
)

// KeyStoreStore is what the key manager needs of keyhold's store.
type KeyStoreStore interface {
	keyhold.XKSKeyStore
	CreateDomainKey(ctx context.Context, dk *keyhold.DomainKey) error
	ListDomainKeys(ctx context.Context) ([]*keyhold.DomainKey, error)
}

// KeyManager creates and changes the external keys the proxy serves: the
// work behind `keyhold xks key create|list|disable|enable` and the keys of
// the configuration file. Key material is made inside the crypto boundary
// and stored only as an EKT.
type KeyManager struct {
	Store    KeyStoreStore
	Boundary hsm.Boundary
	// Region is the region whose domain key seals new external keys.
	Region string
	Now    func() time.Time
}

// Operations is the set of operations of an external key.
type Operations struct{ Encrypt, Decrypt bool }

// ParseOperations reads "encrypt", "decrypt", "both" or "none" (also a
// comma-separated "encrypt,decrypt").
func ParseOperations(s string) (Operations, error) {
	switch s {
	case "both", "encrypt,decrypt", "decrypt,encrypt":
		return Operations{true, true}, nil
	case keyhold.XKSOperationEncrypt:
		return Operations{Encrypt: true}, nil
	case keyhold.XKSOperationDecrypt:
		return Operations{Decrypt: true}, nil
	case "none", "":
		return Operations{}, nil
	}
	return Operations{}, fmt.Errorf("operations %q must be encrypt, decrypt, both or none", s)
}

func (o Operations) String() string {
	switch {
	case o.Encrypt && o.Decrypt:
		return "both"
	case o.Encrypt:
		return keyhold.XKSOperationEncrypt
	case o.Decrypt:
		return keyhold.XKSOperationDecrypt
	}
	return "none"
}

// ErrKeyExists is returned by Create for an id the key store already has.
var ErrKeyExists = errors.New("the key store already has an external key with this id")

// Create makes a new enabled external key id in keyStore.
func (m *KeyManager) Create(ctx context.Context, keyStore, id string, ops Operations) (*keyhold.XKSKey, error) {
	if !validName(keyStore) {
		return nil, fmt.Errorf("key store name %q must be 1 to 64 characters of [A-Za-z0-9._-]", keyStore)
	}
	if !xks.ValidKeyID(id) {
		return nil, fmt.Errorf("external key id %q must be 1 to 128 characters of [A-Za-z0-9._-]", id)
	}
	if _, err := m.Store.GetXKSKey(ctx, keyStore, id); err == nil {
		return nil, ErrKeyExists
	} else if !errors.Is(err, keyhold.ErrNotFound) {
		return nil, err
	}
	if err := m.ensureDomainKey(ctx); err != nil {
		return nil, err
	}
	bk, err := m.Boundary.GenerateBackingKey(ctx, m.Region, keyhold.XKSKeyARN(m.Region, keyStore, id))
	if err != nil {
		return nil, fmt.Errorf("generating the key: %w", err)
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	k := &keyhold.XKSKey{
		KeyStore:     keyStore,
		ID:           id,
		AllowEncrypt: ops.Encrypt,
		AllowDecrypt: ops.Decrypt,
		Enabled:      true,
		CreationDate: now().UTC(),
		BackingKey:   bk,
	}
	bk.CreationDate = k.CreationDate
	if err := m.Store.CreateXKSKey(ctx, k); err != nil {
		if errors.Is(err, keyhold.ErrConflict) {
			return nil, ErrKeyExists
		}
		return nil, err
	}
	return k, nil
}

// Update sets the operations and status of an existing external key; nil
// leaves a field as it is.
func (m *KeyManager) Update(ctx context.Context, keyStore, id string, ops *Operations, enabled *bool) (*keyhold.XKSKey, error) {
	k, err := m.Store.GetXKSKey(ctx, keyStore, id)
	if err != nil {
		return nil, err
	}
	if ops != nil {
		k.AllowEncrypt, k.AllowDecrypt = ops.Encrypt, ops.Decrypt
	}
	if enabled != nil {
		k.Enabled = *enabled
	}
	if err := m.Store.UpdateXKSKey(ctx, k); err != nil {
		return nil, err
	}
	return k, nil
}

// ensureDomainKey loads the stored domain keys and creates one for Region
// if there is none.
func (m *KeyManager) ensureDomainKey(ctx context.Context) error {
	dks, err := m.Store.ListDomainKeys(ctx)
	if err != nil {
		return err
	}
	if len(dks) > 0 {
		if err := m.Boundary.LoadDomainKeys(ctx, dks); err != nil {
			return err
		}
	}
	if m.Boundary.HasDomainKey(m.Region) {
		return nil
	}
	dk, err := m.Boundary.CreateDomainKey(ctx, m.Region)
	if err != nil {
		return err
	}
	return m.Store.CreateDomainKey(ctx, dk)
}
