// Package kms is the key management service: one method per AWS KMS
// operation, the key state rules, key resolution and the key hierarchy's
// bookkeeping. It knows no HTTP and no SQL: requests arrive as decoded,
// validated kmsapi inputs with a Caller, and persistence goes through
// keyhold.Store. Every operation on key material goes through the crypto
// boundary (internal/hsm).
package kms

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
)

// Caller is the authenticated identity of a request and where it is made.
// The region is the one in the SigV4 credential scope.
type Caller struct {
	Account      string
	Region       string
	PrincipalARN string
	AccessKeyID  string
	RequestID    string
	// Principal is the full identity (type, user or role, session, tags)
	// for authorization; nil in tests that build a Caller by hand.
	Principal *keyhold.Principal
	// SourceIP is the client's address (aws:SourceIp), "" if unknown;
	// SecureTransport says whether the request came over TLS.
	SourceIP        string
	SecureTransport bool
}

// Config holds the service's dependencies.
type Config struct {
	Store    keyhold.Store
	Boundary hsm.Boundary
	Logger   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnServiceEvent, if set, is told of every change keyhold makes by
	// itself (automatic rotation, deletion after the waiting period,
	// expiry of imported material), for the audit trail.
	OnServiceEvent func(ctx context.Context, ev ServiceEvent)
	// XKS calls the proxies of external key stores (internal/xks/client);
	// nil means no proxy is reachable.
	XKS XKSTransport
}

// ServiceEvent is a change the service made by itself, recorded in the
// audit trail as CloudTrail records AWS's own actions (AwsServiceEvent).
type ServiceEvent struct {
	// Name is CloudTrail's eventName: RotateKey, DeleteKey or
	// DeleteExpiredKeyMaterial.
	Name    string
	KeyARN  string
	Account string
	Region  string
	Time    time.Time
	// Details are extra request parameters (e.g. keyMaterialId).
	Details map[string]string
}

// Service implements the KMS operations.
type Service struct {
	store keyhold.Store
	hsm   hsm.Boundary
	log   *slog.Logger
	now   func() time.Time

	onEvent func(context.Context, ServiceEvent)

	domainMu sync.Mutex // serializes domain key creation
	workerMu sync.Mutex // one round of background work at a time
	rotating sync.Map   // key ARN → on-demand rotation in progress
	locks    keyLocks
	usage    usageRecorder
	xks      XKSTransport

	// identity evaluates identity policies; nil: authorization is off
	// (keyhold dev). authz.go.
	identity IdentityEvaluator
	policies keyPolicyCache
	attrs    keyAttrCache
	// principals and clock cache condition keys (authz.go).
	principals principalCache
	clock      clockKeys
	grants     grantTokens
}

// New returns a Service. Call LoadDomainKeys before serving.
func New(cfg Config) *Service {
	s := &Service{store: newCachedStore(cfg.Store), hsm: cfg.Boundary, log: cfg.Logger, now: cfg.Now, onEvent: cfg.OnServiceEvent}
	s.xks = cfg.XKS
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// LoadDomainKeys loads every stored domain key into the crypto boundary.
func (s *Service) LoadDomainKeys(ctx context.Context) error {
	dks, err := s.store.ListDomainKeys(ctx)
	if err != nil {
		return fmt.Errorf("kms: listing domain keys: %w", err)
	}
	if len(dks) == 0 {
		return nil
	}
	if err := s.hsm.LoadDomainKeys(ctx, dks); err != nil {
		return fmt.Errorf("kms: loading domain keys: %w", err)
	}
	return nil
}

// ensureDomainKey makes sure region has an active domain key, creating and
// storing one on first use of the region.
func (s *Service) ensureDomainKey(ctx context.Context, region string) error {
	if s.hsm.HasDomainKey(region) {
		return nil
	}
	s.domainMu.Lock()
	defer s.domainMu.Unlock()
	if s.hsm.HasDomainKey(region) {
		return nil
	}
	// Another host sharing the store may have created it.
	if err := s.LoadDomainKeys(ctx); err != nil {
		return err
	}
	if s.hsm.HasDomainKey(region) {
		return nil
	}
	dk, err := s.hsm.CreateDomainKey(ctx, region)
	if err != nil {
		return fmt.Errorf("kms: creating domain key for %s: %w", region, err)
	}
	if err := s.store.CreateDomainKey(ctx, dk); err != nil {
		return fmt.Errorf("kms: storing domain key for %s: %w", region, err)
	}
	s.log.Info("created domain key", "region", region, "domain_key_id", dk.ID)
	return nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// val returns *p, or the zero value for nil.
func val[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func internal(err error) error {
	return fmt.Errorf("kms: %w", err)
}

// serviceEvent reports a change the service made by itself.
func (s *Service) serviceEvent(ctx context.Context, name, keyARN string, details map[string]string) {
	if s.onEvent == nil {
		return
	}
	ev := ServiceEvent{Name: name, KeyARN: keyARN, Time: s.now().UTC(), Details: details}
	if a, err := keyhold.ParseARN(keyARN); err == nil {
		ev.Account, ev.Region = a.Account, a.Region
	}
	s.onEvent(ctx, ev)
}
