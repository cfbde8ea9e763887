package kms

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
)

// Principal is the identity behind an access key.
type Principal struct {
	Account      string
	PrincipalARN string
	AccessKeyID  string
	// Secret is the secret access key, needed to verify SigV4 signatures.
	Secret []byte
}

// secretLabel binds a sealed access key secret to its key id, so a sealed
// secret cannot be moved to another access key.
func secretLabel(accessKeyID string) string { return "access-key-secret:" + accessKeyID }

// EnsureAccount creates the account if it does not exist yet and reports
// whether it did.
func (s *Service) EnsureAccount(ctx context.Context, id string) (bool, error) {
	if !keyhold.IsAccountID(id) {
		return false, fmt.Errorf("kms: %q is not a 12-digit account id", id)
	}
	_, err := s.store.GetAccount(ctx, id)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, keyhold.ErrNotFound) {
		return false, internal(err)
	}
	err = s.store.CreateAccount(ctx, &keyhold.Account{ID: id, CreationDate: s.now().UTC()})
	if errors.Is(err, keyhold.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, internal(err)
	}
	return true, nil
}

// CreateAccessKey creates an access key for principalARN in account and
// returns its id and secret. The secret is stored only sealed by the crypto
// boundary and is returned here once.
func (s *Service) CreateAccessKey(ctx context.Context, account, principalARN string) (id, secret string, err error) {
	var idb [10]byte
	var sb [30]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", "", err
	}
	if _, err := rand.Read(sb[:]); err != nil {
		return "", "", err
	}
	id = "AKIA" + base32.StdEncoding.EncodeToString(idb[:])[:16]
	secret = base64.StdEncoding.EncodeToString(sb[:])[:40]
	sealed, err := s.hsm.SealSecret(ctx, secretLabel(id), []byte(secret))
	if err != nil {
		return "", "", internal(err)
	}
	ak := &keyhold.AccessKey{
		ID:           id,
		Account:      account,
		PrincipalARN: principalARN,
		SealedSecret: sealed,
		Status:       keyhold.AccessKeyActive,
		CreationDate: s.now().UTC(),
	}
	if err := s.store.CreateAccessKey(ctx, ak); err != nil {
		return "", "", internal(err)
	}
	return id, secret, nil
}

var errUnrecognizedClient = keyhold.NewError(keyhold.ErrCodeUnrecognizedClient,
	"The security token included in the request is invalid.")

// principalCacheTTL bounds how long a looked-up access key is trusted
// without asking the store again.
const principalCacheTTL = time.Minute

type cachedPrincipal struct {
	p       *Principal
	expires time.Time
}

// principalCache caches access key lookups (the opened secret included) so
// that the request hot path does not read the store and open a sealed
// secret on every call.
type principalCache struct {
	mu sync.Mutex
	m  map[string]cachedPrincipal
}

// LookupAccessKey returns the principal and secret of an active access
// key, or UnrecognizedClientException.
func (s *Service) LookupAccessKey(ctx context.Context, accessKeyID string) (*Principal, error) {
	now := s.now()
	s.principals.mu.Lock()
	if e, ok := s.principals.m[accessKeyID]; ok && now.Before(e.expires) {
		s.principals.mu.Unlock()
		return e.p, nil
	}
	s.principals.mu.Unlock()

	ak, err := s.store.GetAccessKey(ctx, accessKeyID)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, errUnrecognizedClient
	}
	if err != nil {
		return nil, internal(err)
	}
	if ak.Status != keyhold.AccessKeyActive {
		return nil, errUnrecognizedClient
	}
	secret, err := s.hsm.OpenSecret(ctx, secretLabel(ak.ID), ak.SealedSecret)
	if err != nil {
		return nil, internal(fmt.Errorf("opening secret of access key %s: %w", ak.ID, err))
	}
	p := &Principal{Account: ak.Account, PrincipalARN: ak.PrincipalARN, AccessKeyID: ak.ID, Secret: secret}
	s.principals.mu.Lock()
	if s.principals.m == nil || len(s.principals.m) > 10000 {
		s.principals.m = make(map[string]cachedPrincipal)
	}
	s.principals.m[accessKeyID] = cachedPrincipal{p: p, expires: now.Add(principalCacheTTL)}
	s.principals.mu.Unlock()
	return p, nil
}
