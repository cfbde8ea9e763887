// Package soft is keyhold's software crypto boundary, the default backend
// of hsm.Boundary. Its root of trust is a 32-byte key, read from a key file
// (created on first start) or handed in by another seal; domain keys,
// backing keys and derived keys follow the formats of package hsm.
//
// Key material lives only in this process's memory: the root key only
// long enough to derive two subkeys, domain keys as AES key schedules. What
// leaves the package is sealed: wrapped domain keys, EKTs, ciphertext blobs
// and sealed secrets.
//
// What software cannot do: Go offers no way to lock memory against swapping
// or to zero the AES key schedules inside crypto/cipher values, so Close
// zeroes what it can (raw key bytes are cleared as soon as their key
// schedule exists) and drops the rest for the garbage collector. A machine
// that must keep keys out of swap and core dumps should disable both, or
// use a PKCS#11 backend.
package soft

import (
	"context"
	"crypto/cipher"
	"crypto/ecdsa"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
)

// KBKDF labels of the keys derived from the root key. The root key itself
// is only ever a KDF key: it encrypts nothing.
var (
	labelDomainKeyWrap = []byte("keyhold/v1/root/domain-key-wrap")
	labelSecret        = []byte("keyhold/v1/root/secret")
	labelRootCheck     = []byte("keyhold/v1/root/check")
)

// MaxRandomLen is the most bytes GenerateRandom returns in one call.
const MaxRandomLen = 64 << 10

var errClosed = errors.New("soft: crypto boundary is closed")

// Options configure a Boundary. Exactly one of RootKeyPath and RootKey must
// be set.
type Options struct {
	// RootKeyPath is the root key file. If it does not exist, New creates
	// it (mode 0600) with a new random key. New refuses a file that group
	// or others may access, and a file that is not a keyhold root key file
	// or fails its check value. See docs/ciphertext-format.md for its
	// layout.
	RootKeyPath string
	// RootKey is the 32-byte root key itself, for seals that reconstruct it
	// elsewhere (for example from Shamir shares). New copies it; the caller
	// should clear its copy.
	RootKey []byte
	// Rand is the source of every random byte (keys, ids, salts, IVs). Nil
	// means crypto/rand. Another reader is for deterministic tests; it is
	// serialized with a mutex, so it need not be safe for concurrent use.
	Rand io.Reader
	// Now is the clock for creation dates. Nil means time.Now.
	Now func() time.Time
}

// Boundary is the software crypto boundary. It implements hsm.Boundary and
// is safe for concurrent use. The zero value is not usable; call New.
type Boundary struct {
	rand io.Reader
	now  func() time.Time

	mu     sync.RWMutex
	closed bool
	// wrap seals domain keys; secret seals secrets. Both are keyed by
	// subkeys of the root key.
	wrap, secret cipher.AEAD
	// domainKeys holds every loaded domain key by id; active the newest of
	// each region.
	domainKeys map[string]*domainKey
	active     map[string]*domainKey
	// keys caches loaded asymmetric and HMAC keys (asymmetric.go).
	keys keyCache
	// audit signs audit digests (audit.go).
	audit *ecdsa.PrivateKey
}

// domainKey is an unwrapped domain key. Its fields never change.
type domainKey struct {
	id, region string
	created    time.Time
	aead       cipher.AEAD
}

var _ hsm.Boundary = (*Boundary)(nil)

// New runs the known-answer self-tests, loads (or creates) the root key and
// returns a Boundary with no domain keys loaded.
func New(ctx context.Context, opts Options) (*Boundary, error) {
	if err := hsm.SelfTest(); err != nil {
		return nil, fmt.Errorf("soft: refusing to start: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := &Boundary{
		rand:       opts.Rand,
		now:        opts.Now,
		domainKeys: map[string]*domainKey{},
		active:     map[string]*domainKey{},
	}
	if b.rand == nil {
		b.rand = cryptorand.Reader
	} else {
		b.rand = &lockedReader{r: b.rand}
	}
	if b.now == nil {
		b.now = time.Now
	}

	var root []byte
	switch {
	case opts.RootKeyPath != "" && opts.RootKey != nil:
		return nil, errors.New("soft: set one of RootKeyPath and RootKey, not both")
	case opts.RootKey != nil:
		if len(opts.RootKey) != hsm.KeySize {
			return nil, fmt.Errorf("soft: root key must be %d bytes, got %d", hsm.KeySize, len(opts.RootKey))
		}
		root = append([]byte(nil), opts.RootKey...)
	case opts.RootKeyPath != "":
		var err error
		if root, err = loadOrCreateRootKey(opts.RootKeyPath, b.rand); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("soft: no root of trust: set RootKeyPath or RootKey")
	}
	defer clear(root)

	var err error
	if b.wrap, err = derivedAEAD(root, labelDomainKeyWrap); err != nil {
		return nil, err
	}
	if b.secret, err = derivedAEAD(root, labelSecret); err != nil {
		return nil, err
	}
	if b.audit, err = deriveAuditKey(root); err != nil {
		return nil, err
	}
	return b, nil
}

// derivedAEAD returns AES-256-GCM under KBKDF(root, label, "", 32).
func derivedAEAD(root, label []byte) (cipher.AEAD, error) {
	key, err := hsm.KBKDF(root, label, nil, hsm.KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	return hsm.NewAEAD(key)
}

// Close drops every key the boundary holds. Later calls fail, except Close
// and HasDomainKey (which reports false).
func (b *Boundary) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.wrap, b.secret = nil, nil
	clear(b.domainKeys)
	clear(b.active)
	b.keys.clear()
	return nil
}

// CreateDomainKey implements hsm.Boundary.
func (b *Boundary) CreateDomainKey(ctx context.Context, region string) (*keyhold.DomainKey, error) {
	wrap, _, err := b.rootKeys()
	if err != nil {
		return nil, err
	}
	var raw [hsm.KeySize + 16]byte
	if _, err := io.ReadFull(b.rand, raw[:]); err != nil {
		return nil, fmt.Errorf("soft: reading random bytes: %w", err)
	}
	defer clear(raw[:])
	key, idBytes := raw[:hsm.KeySize], raw[hsm.KeySize:]
	id := "dk-" + hex.EncodeToString(idBytes)

	wrapped, err := hsm.WrapDomainKey(b.rand, wrap, region, id, key)
	if err != nil {
		return nil, fmt.Errorf("soft: creating domain key for region %q: %w", region, err)
	}
	aead, err := hsm.NewAEAD(key)
	if err != nil {
		return nil, err
	}
	dk := &domainKey{id: id, region: region, created: b.now().UTC(), aead: aead}

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errClosed
	}
	b.domainKeys[id] = dk
	b.active[region] = dk
	return &keyhold.DomainKey{ID: id, Region: region, Wrapped: wrapped, CreationDate: dk.created}, nil
}

// LoadDomainKeys implements hsm.Boundary. It is all or nothing: if any
// record does not unwrap (wrong root key, changed record), it returns an
// error naming that record and loads none. Loading a key that is already
// loaded is harmless. The active key of a region is the one with the latest
// CreationDate (ties broken by the larger id, so every host agrees).
func (b *Boundary) LoadDomainKeys(ctx context.Context, dks []*keyhold.DomainKey) error {
	wrap, _, err := b.rootKeys()
	if err != nil {
		return err
	}
	loaded := make([]*domainKey, 0, len(dks))
	for _, rec := range dks {
		if err := ctx.Err(); err != nil {
			return err
		}
		if rec == nil {
			return errors.New("soft: nil domain key record")
		}
		key, err := hsm.UnwrapDomainKey(wrap, rec.Region, rec.ID, rec.Wrapped)
		if err != nil {
			return fmt.Errorf("soft: domain key %s of region %s: %w", rec.ID, rec.Region, err)
		}
		aead, err := hsm.NewAEAD(key)
		clear(key)
		if err != nil {
			return err
		}
		loaded = append(loaded, &domainKey{id: rec.ID, region: rec.Region, created: rec.CreationDate, aead: aead})
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errClosed
	}
	for _, dk := range loaded {
		b.domainKeys[dk.id] = dk
		if cur := b.active[dk.region]; cur == nil || newer(dk, cur) {
			b.active[dk.region] = dk
		}
	}
	return nil
}

func newer(a, b *domainKey) bool {
	if !a.created.Equal(b.created) {
		return a.created.After(b.created)
	}
	return a.id > b.id
}

// HasDomainKey implements hsm.Boundary.
func (b *Boundary) HasDomainKey(region string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return !b.closed && b.active[region] != nil
}

// GenerateRandom implements hsm.Boundary. n must be 0 to MaxRandomLen.
func (b *Boundary) GenerateRandom(ctx context.Context, n int) ([]byte, error) {
	if n < 0 || n > MaxRandomLen {
		return nil, fmt.Errorf("soft: GenerateRandom: %d bytes is out of range 0..%d", n, MaxRandomLen)
	}
	if _, _, err := b.rootKeys(); err != nil {
		return nil, err
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(b.rand, out); err != nil {
		return nil, fmt.Errorf("soft: reading random bytes: %w", err)
	}
	return out, nil
}

// SealSecret implements hsm.Boundary. The key is
// KBKDF(root key, "keyhold/v1/root/secret", "", 32); label is bound as AAD.
func (b *Boundary) SealSecret(ctx context.Context, label string, secret []byte) ([]byte, error) {
	_, key, err := b.rootKeys()
	if err != nil {
		return nil, err
	}
	return hsm.SealSecret(b.rand, key, label, secret)
}

// OpenSecret implements hsm.Boundary.
func (b *Boundary) OpenSecret(ctx context.Context, label string, sealed []byte) ([]byte, error) {
	_, key, err := b.rootKeys()
	if err != nil {
		return nil, err
	}
	return hsm.OpenSecret(key, label, sealed)
}

// rootKeys returns the root-derived AEADs, or errClosed.
func (b *Boundary) rootKeys() (wrap, secret cipher.AEAD, err error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, nil, errClosed
	}
	return b.wrap, b.secret, nil
}

// lockedReader serializes reads from a reader that may not be safe for
// concurrent use.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}
