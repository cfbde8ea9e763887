// Package iam is keyhold's identity service: the subset of AWS IAM (users,
// roles, access keys, inline and managed identity policies) and AWS STS
// (GetCallerIdentity, AssumeRole) that keyhold speaks, the lookup of
// credentials that SigV4 verification needs, and the evaluation of a
// principal's identity policies.
//
// Like internal/kms it knows no HTTP and no SQL: requests arrive as
// decoded, validated iamapi inputs with a Caller, persistence goes through
// keyhold.IdentityStore, and secrets are sealed by the crypto boundary
// (anything with SealSecret and OpenSecret, such as hsm.Boundary). IAM and
// STS calls are themselves authorized by the caller's identity policies.
package iam

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iamapi"
)

// Sealer seals and opens secrets at the crypto boundary. hsm.Boundary
// implements it.
type Sealer interface {
	SealSecret(ctx context.Context, label string, secret []byte) ([]byte, error)
	OpenSecret(ctx context.Context, label string, sealed []byte) ([]byte, error)
}

// Config holds the service's dependencies.
type Config struct {
	Store  keyhold.IdentityStore
	Sealer Sealer
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Credential expiry is judged by
	// it.
	Now func() time.Time
	// ManagementAccount is the account created at first start; its
	// principals may create other accounts.
	ManagementAccount string
	// Dev relaxes what only makes sense with real credentials: the account
	// root (which every `keyhold dev` caller is) may assume roles.
	Dev bool
}

// Service implements the IAM and STS operations.
type Service struct {
	store      keyhold.IdentityStore
	sealer     Sealer
	log        *slog.Logger
	now        func() time.Time
	management string
	dev        bool

	// generation counts identity writes made through this service; cached
	// credentials and policies of an older generation are not used.
	generation atomic.Uint64
	creds      credentialCache
	policies   policyCache

	usedMu   sync.Mutex
	lastUsed map[string]time.Time // access key id -> last RecordAccessKeyUse

	cleanupMu   sync.Mutex
	lastCleanup time.Time
}

// Caller is the authenticated principal of a request and where it is made.
type Caller struct {
	Principal *keyhold.Principal
	// Region is the region of the SigV4 credential scope.
	Region    string
	RequestID string
	// SourceIP is the client's address (aws:SourceIp), "" if unknown.
	SourceIP string
	// SecureTransport says whether the request came over TLS.
	SecureTransport bool
}

// New returns a Service. Call Init before serving.
func New(cfg Config) *Service {
	s := &Service{
		store: cfg.Store, sealer: cfg.Sealer, log: cfg.Logger, now: cfg.Now,
		management: cfg.ManagementAccount, dev: cfg.Dev,
		lastUsed: map[string]time.Time{},
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Init stores the AWS managed policies keyhold provides, if they are not
// stored yet.
func (s *Service) Init(ctx context.Context) error {
	for _, b := range builtinPolicies {
		p := b.record()
		if _, err := s.store.GetManagedPolicy(ctx, p.ARN); err == nil {
			continue
		} else if !errors.Is(err, keyhold.ErrNotFound) {
			return fmt.Errorf("iam: reading AWS managed policy %s: %w", p.Name, err)
		}
		if err := s.store.CreateManagedPolicy(ctx, p); err != nil && !errors.Is(err, keyhold.ErrConflict) {
			return fmt.Errorf("iam: storing AWS managed policy %s: %w", p.Name, err)
		}
	}
	return nil
}

// changed marks every cached credential and policy as stale. Every write
// that can change who a credential is or what a principal may do calls it.
func (s *Service) changed() { s.generation.Add(1) }

// Error helpers. Messages are IAM's where IAM's wording is known.

func errorf(code, format string, args ...any) error { return keyhold.Errorf(code, format, args...) }

func noSuchUser(name string) error {
	return errorf(iamapi.ErrCodeNoSuchEntity, "The user with name %s cannot be found.", name)
}

func noSuchRole(name string) error {
	return errorf(iamapi.ErrCodeNoSuchEntity, "The role with name %s cannot be found.", name)
}

func noSuchEntity(entity, name string) error {
	if entity == keyhold.EntityRole {
		return noSuchRole(name)
	}
	return noSuchUser(name)
}

func noSuchAccessKey(id string) error {
	return errorf(iamapi.ErrCodeNoSuchEntity, "The Access Key with id %s cannot be found.", id)
}

var errNotUser = keyhold.NewError(iamapi.ErrCodeValidationError, "Must specify userName when calling with non-User credentials")

// internal wraps an unexpected error; the wire layer logs it and answers
// ServiceFailure (IAM) or InternalFailure (STS).
func internal(err error) error { return fmt.Errorf("iam: %w", err) }

// IDs. IAM's unique ids are a four-letter prefix and 17 characters of
// [A-Z2-7]; access key ids a prefix and 16.
var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func newID(prefix string, n int) string {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + idEncoding.EncodeToString(b[:])[:n]
}

// newSecret returns a 40-character secret access key.
func newSecret() string {
	var b [30]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// secretLabel binds a sealed access key secret to its key id, so a sealed
// secret cannot be moved to another access key. (The foundation used the
// same label; keys it made still open.)
func secretLabel(accessKeyID string) string { return "access-key-secret:" + accessKeyID }

// sessionSecretLabel does the same for temporary credentials.
func sessionSecretLabel(accessKeyID string) string { return "session-secret:" + accessKeyID }
