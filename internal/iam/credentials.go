package iam

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
)

// Credential is what SigV4 verification needs to know about an access key:
// its secret and the principal it authenticates.
type Credential struct {
	Principal *keyhold.Principal
	// Secret is the secret access key. Callers must not modify it.
	Secret []byte
}

// credentialCacheTTL bounds how long a looked-up credential is trusted
// without reading the store again. Writes through this service take effect
// at once (see Service.changed); the TTL bounds how long a change made by
// another server sharing the store takes to be seen.
const credentialCacheTTL = time.Minute

// maxCachedCredentials bounds the cache; when full it is emptied.
const maxCachedCredentials = 10000

type cachedCredential struct {
	cred       *Credential
	generation uint64
	fetched    time.Time
	// For temporary credentials: the session token's digest and the
	// expiry, checked on every use.
	tokenHash  []byte
	expiration time.Time
	session    *keyhold.Session
}

type credentialCache struct {
	mu sync.Mutex
	m  map[string]*cachedCredential
	// unknown remembers ids KnowsAccessKey found in neither table, with
	// the generation it looked in (a new access key changes it).
	unknown map[string]uint64
}

func (c *credentialCache) get(id string) *cachedCredential {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

func (c *credentialCache) put(id string, e *cachedCredential) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedCredentials {
		c.m = make(map[string]*cachedCredential)
	}
	c.m[id] = e
}

var (
	errInvalidToken = keyhold.NewError(keyhold.ErrCodeUnrecognizedClient,
		"The security token included in the request is invalid.")
	errExpiredToken = keyhold.NewError(keyhold.ErrCodeExpiredToken,
		"The security token included in the request is expired")
)

// LookupCredentials returns the secret and principal of an access key for
// SigV4 verification. sessionToken is the request's X-Amz-Security-Token:
// required, and checked, for temporary credentials (ASIA...), refused for
// long-term keys. An unknown, inactive or orphaned key, or a wrong token,
// is UnrecognizedClientException; expired temporary credentials are
// ExpiredTokenException.
func (s *Service) LookupCredentials(ctx context.Context, accessKeyID, sessionToken string) (*Credential, error) {
	now := s.now()
	gen := s.generation.Load()
	e := s.creds.get(accessKeyID)
	if e == nil || e.generation != gen || now.Sub(e.fetched) >= credentialCacheTTL || now.Before(e.fetched) {
		var err error
		e, err = s.fetchCredential(ctx, accessKeyID)
		if err != nil {
			return nil, err
		}
		e.generation, e.fetched = gen, now
		s.creds.put(accessKeyID, e)
	}
	if e.tokenHash == nil {
		if sessionToken != "" {
			return nil, errInvalidToken
		}
		return e.cred, nil
	}
	got := sha256.Sum256([]byte(sessionToken))
	if sessionToken == "" || subtle.ConstantTimeCompare(got[:], e.tokenHash) != 1 {
		return nil, errInvalidToken
	}
	if !now.Before(e.expiration) {
		return nil, errExpiredToken
	}
	return e.cred, nil
}

// fetchCredential reads an access key or session from the store and opens
// its secret.
func (s *Service) fetchCredential(ctx context.Context, id string) (*cachedCredential, error) {
	if strings.HasPrefix(id, "ASIA") {
		return s.fetchSession(ctx, id)
	}
	ak, err := s.store.GetAccessKey(ctx, id)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, internal(err)
	}
	if ak.Status != keyhold.AccessKeyActive || ak.UserName == "" {
		return nil, errInvalidToken
	}
	// The user must still exist: a key never outlives its user (the store
	// refuses to delete a user with keys), but this keeps it so even for
	// records written some other way.
	u, err := s.store.GetUser(ctx, ak.Account, ak.UserName)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, internal(err)
	}
	secret, err := s.sealer.OpenSecret(ctx, secretLabel(ak.ID), ak.SealedSecret)
	if err != nil {
		return nil, internal(fmt.Errorf("opening the secret of access key %s: %w", ak.ID, err))
	}
	return &cachedCredential{cred: &Credential{Principal: userPrincipal(u, ak.ID), Secret: secret}}, nil
}

func (s *Service) fetchSession(ctx context.Context, id string) (*cachedCredential, error) {
	ss, err := s.store.GetSession(ctx, id)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, internal(err)
	}
	// The role must still be the one the session was issued for: deleting
	// a role (or deleting and re-creating it) ends its sessions.
	r, err := s.store.GetRole(ctx, ss.Account, ss.RoleName)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, internal(err)
	}
	if r.ID != ss.RoleID {
		return nil, errInvalidToken
	}
	secret, err := s.sealer.OpenSecret(ctx, sessionSecretLabel(ss.AccessKeyID), ss.SealedSecret)
	if err != nil {
		return nil, internal(fmt.Errorf("opening the secret of session %s: %w", ss.AccessKeyID, err))
	}
	return &cachedCredential{
		cred:       &Credential{Principal: sessionPrincipal(r, ss), Secret: secret},
		tokenHash:  ss.TokenHash,
		expiration: ss.Expiration,
		session:    ss,
	}, nil
}

// KnowsAccessKey reports whether accessKeyID names an access key or
// temporary credentials in the store, whatever their state (for `keyhold
// dev`, which verifies known credentials in full and lets any others act
// as the account root).
//
// Answers are cached: a dev server reads the store once per unknown id, not
// once per request. Session ids are random and never cached as unknown
// before they exist; a new access key changes the generation.
func (s *Service) KnowsAccessKey(ctx context.Context, accessKeyID string) (bool, error) {
	gen := s.generation.Load()
	s.creds.mu.Lock()
	_, cached := s.creds.m[accessKeyID]
	g, unknown := s.creds.unknown[accessKeyID]
	s.creds.mu.Unlock()
	if cached {
		return true, nil
	}
	if unknown && g == gen {
		return false, nil
	}
	var err error
	if strings.HasPrefix(accessKeyID, "ASIA") {
		_, err = s.store.GetSession(ctx, accessKeyID)
	} else {
		_, err = s.store.GetAccessKey(ctx, accessKeyID)
	}
	if errors.Is(err, keyhold.ErrNotFound) {
		s.creds.mu.Lock()
		if s.creds.unknown == nil || len(s.creds.unknown) >= maxCachedCredentials {
			s.creds.unknown = map[string]uint64{}
		}
		s.creds.unknown[accessKeyID] = gen
		s.creds.mu.Unlock()
		return false, nil
	}
	if err != nil {
		return false, internal(err)
	}
	return true, nil
}

// RootPrincipal returns the principal of an account's root.
func RootPrincipal(account string) *keyhold.Principal {
	arn := keyhold.RootARN(account)
	return &keyhold.Principal{Type: keyhold.PrincipalAccount, Account: account, ARN: arn, UserID: account, EntityARN: arn}
}

func userPrincipal(u *keyhold.User, accessKeyID string) *keyhold.Principal {
	return &keyhold.Principal{
		Type: keyhold.PrincipalUser, Account: u.Account, ARN: u.ARN, UserID: u.ID,
		EntityARN: u.ARN, EntityID: u.ID, Name: u.Name, AccessKeyID: accessKeyID,
		Tags: u.Tags,
	}
}

func sessionPrincipal(r *keyhold.Role, ss *keyhold.Session) *keyhold.Principal {
	// Session tags take the place of role tags with the same key.
	tags := append([]keyhold.Tag(nil), ss.Tags...)
	for _, t := range r.Tags {
		if !hasTagKey(ss.Tags, t.Key) {
			tags = append(tags, t)
		}
	}
	return &keyhold.Principal{
		Type:           keyhold.PrincipalAssumedRole,
		Account:        ss.Account,
		ARN:            keyhold.AssumedRoleARN(ss.Account, ss.RoleName, ss.SessionName),
		UserID:         ss.RoleID + ":" + ss.SessionName,
		EntityARN:      r.ARN,
		EntityID:       r.ID,
		Name:           r.Name,
		SessionName:    ss.SessionName,
		AccessKeyID:    ss.AccessKeyID,
		Tags:           tags,
		SourceIdentity: ss.SourceIdentity,
		Expiration:     ss.Expiration,
		IssueTime:      ss.CreationDate,
	}
}

// session returns the stored session of a role session principal.
func (s *Service) session(ctx context.Context, p *keyhold.Principal) (*keyhold.Session, error) {
	if e := s.creds.get(p.AccessKeyID); e != nil && e.session != nil {
		return e.session, nil
	}
	ss, err := s.store.GetSession(ctx, p.AccessKeyID)
	if err != nil {
		return nil, internal(err)
	}
	return ss, nil
}

// recordUseInterval bounds how often one access key's last use is written.
const recordUseInterval = time.Minute

// RecordUse notes that a long-term access key authenticated a request to
// service in region (GetAccessKeyLastUsed). It writes at most once a
// minute per key; failures are logged, not returned: a request must not
// fail because its bookkeeping did.
func (s *Service) RecordUse(ctx context.Context, accessKeyID, service, region string) {
	if !strings.HasPrefix(accessKeyID, "AKIA") {
		return
	}
	now := s.now()
	s.usedMu.Lock()
	last, ok := s.lastUsed[accessKeyID]
	if ok && now.Sub(last) < recordUseInterval && !now.Before(last) {
		s.usedMu.Unlock()
		return
	}
	if len(s.lastUsed) >= maxCachedCredentials {
		s.lastUsed = map[string]time.Time{}
	}
	s.lastUsed[accessKeyID] = now
	s.usedMu.Unlock()
	if err := s.store.RecordAccessKeyUse(ctx, accessKeyID, now.UTC(), service, region); err != nil && !errors.Is(err, keyhold.ErrNotFound) {
		s.log.Warn("recording access key use", "access_key_id", accessKeyID, "error", err.Error())
	}
}
