package soft

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
)

// GenerateBackingKey implements hsm.Boundary. It reads, in order, the
// 32-byte backing key, the 32-byte material id and the EKT's 12-byte IV
// from the random source. keyARN must be an ARN in region.
func (b *Boundary) GenerateBackingKey(ctx context.Context, region, keyARN string) (*keyhold.BackingKey, error) {
	dk, err := b.activeDomainKey(region)
	if err != nil {
		return nil, err
	}
	var hbk [hsm.KeySize]byte
	defer clear(hbk[:])
	if _, err := io.ReadFull(b.rand, hbk[:]); err != nil {
		return nil, fmt.Errorf("soft: reading random bytes: %w", err)
	}
	mid, err := hsm.NewMaterialID(b.rand)
	if err != nil {
		return nil, err
	}
	ekt, err := hsm.SealEKT(b.rand, dk.aead, hsm.EKTBinding{Region: region, DomainKeyID: dk.id, KeyARN: keyARN, MaterialID: mid}, hbk[:])
	if err != nil {
		return nil, fmt.Errorf("soft: generating backing key for %s: %w", keyARN, err)
	}
	return &keyhold.BackingKey{
		KeyARN:       keyARN,
		MaterialID:   mid,
		DomainKeyID:  dk.id,
		EKT:          ekt,
		CreationDate: b.now().UTC(),
	}, nil
}

// Encrypt implements hsm.Boundary. It returns a ciphertext blob in format
// v1 (hsm.SealCiphertext).
func (b *Boundary) Encrypt(ctx context.Context, bk *keyhold.BackingKey, plaintext []byte, encryptionContext map[string]string) ([]byte, error) {
	hbk, err := b.openBackingKey(bk)
	if err != nil {
		return nil, err
	}
	defer clear(hbk)
	return hsm.SealCiphertext(b.rand, hbk, bk.KeyARN, bk.MaterialID, plaintext, encryptionContext)
}

// Decrypt implements hsm.Boundary. A blob that is malformed, that names
// another key or backing key than bk, or that does not authenticate under
// bk and encryptionContext gives an error wrapping hsm.ErrInvalidCiphertext.
// Any other error (bk's domain key not loaded, bk's EKT does not open) is
// the service's fault, not the caller's.
func (b *Boundary) Decrypt(ctx context.Context, bk *keyhold.BackingKey, blob []byte, encryptionContext map[string]string) ([]byte, error) {
	if bk == nil {
		return nil, errNilBackingKey
	}
	// Reject what is not this backing key's blob before touching the EKT.
	if err := hsm.CheckCiphertext(blob, bk.KeyARN, bk.MaterialID); err != nil {
		return nil, err
	}
	hbk, err := b.openBackingKey(bk)
	if err != nil {
		return nil, err
	}
	defer clear(hbk)
	return hsm.OpenCiphertext(hbk, bk.KeyARN, bk.MaterialID, blob, encryptionContext)
}

var errNilBackingKey = errors.New("soft: nil backing key")

// activeDomainKey returns the domain key that seals new material in
// region.
func (b *Boundary) activeDomainKey(region string) (*domainKey, error) {
	b.mu.RLock()
	closed, dk := b.closed, b.active[region]
	b.mu.RUnlock()
	if closed {
		return nil, errClosed
	}
	if dk == nil {
		return nil, fmt.Errorf("soft: no domain key loaded for region %q", region)
	}
	return dk, nil
}

// sealingDomainKey returns the domain key that sealed bk's EKT.
func (b *Boundary) sealingDomainKey(bk *keyhold.BackingKey) (*domainKey, error) {
	b.mu.RLock()
	closed, dk := b.closed, b.domainKeys[bk.DomainKeyID]
	b.mu.RUnlock()
	if closed {
		return nil, errClosed
	}
	if dk == nil {
		return nil, fmt.Errorf("soft: domain key %q of backing key %s of %s is not loaded", bk.DomainKeyID, bk.MaterialID, bk.KeyARN)
	}
	return dk, nil
}

// openBackingKey opens bk's EKT under the domain key it names. The caller
// clears the result.
func (b *Boundary) openBackingKey(bk *keyhold.BackingKey) ([]byte, error) {
	if bk == nil {
		return nil, errNilBackingKey
	}
	dk, err := b.sealingDomainKey(bk)
	if err != nil {
		return nil, err
	}
	hbk, err := hsm.OpenEKT(dk.aead, hsm.EKTBinding{Region: dk.region, DomainKeyID: dk.id, KeyARN: bk.KeyARN, MaterialID: bk.MaterialID}, bk.EKT)
	if err != nil {
		return nil, fmt.Errorf("soft: backing key %s of %s: %w", bk.MaterialID, bk.KeyARN, err)
	}
	return hbk, nil
}
