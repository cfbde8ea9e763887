package soft

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
)

// GenerateImportParameters implements hsm.Importer. The wrapping private
// key exists in plaintext only inside this call; it leaves sealed under the
// region's active domain key (hsm.SealWrappingKey).
func (b *Boundary) GenerateImportParameters(ctx context.Context, region, keyARN, wrappingAlgorithm, wrappingKeySpec string, validTo time.Time) (*hsm.GeneratedImportParameters, error) {
	if err := hsm.CheckWrapping(region, wrappingAlgorithm, wrappingKeySpec); err != nil {
		return nil, err
	}
	dk, err := b.activeDomainKey(region)
	if err != nil {
		return nil, err
	}
	priv, pub, err := hsm.NewWrappingKey(b.rand, wrappingKeySpec)
	if err != nil {
		return nil, fmt.Errorf("soft: generating %s wrapping key for %s: %w", wrappingKeySpec, keyARN, err)
	}
	defer clear(priv)
	id, err := hsm.NewImportTokenID(b.rand)
	if err != nil {
		return nil, err
	}
	t := &hsm.ImportToken{
		ID:                id,
		DomainKeyID:       dk.id,
		ValidTo:           validTo.UTC(),
		WrappingAlgorithm: wrappingAlgorithm,
		WrappingKeySpec:   wrappingKeySpec,
		PublicKeyHash:     sha256.Sum256(pub),
	}
	token, err := hsm.SealImportToken(b.rand, dk.aead, region, keyARN, t)
	if err != nil {
		return nil, fmt.Errorf("soft: import token for %s: %w", keyARN, err)
	}
	sealed, err := hsm.SealWrappingKey(b.rand, dk.aead, region, keyARN, t, priv)
	if err != nil {
		return nil, fmt.Errorf("soft: sealing wrapping key for %s: %w", keyARN, err)
	}
	return &hsm.GeneratedImportParameters{
		Parameters: &keyhold.ImportParameters{
			KeyARN:            keyARN,
			TokenID:           id,
			DomainKeyID:       dk.id,
			SealedWrappingKey: sealed,
			CreationDate:      b.now().UTC(),
			ValidTo:           t.ValidTo,
		},
		PublicKey:   pub,
		ImportToken: token,
	}, nil
}

// OpenImportToken implements hsm.Importer.
func (b *Boundary) OpenImportToken(ctx context.Context, region, keyARN string, token []byte) (*hsm.ImportToken, error) {
	id, err := hsm.ImportTokenDomainKeyID(token)
	if err != nil {
		return nil, err
	}
	b.mu.RLock()
	closed, dk := b.closed, b.domainKeys[id]
	b.mu.RUnlock()
	if closed {
		return nil, errClosed
	}
	if dk == nil || dk.region != region {
		// A token names a domain key of its own region; any other is
		// not a token this boundary made for this key.
		return nil, hsm.ErrInvalidImportToken
	}
	return hsm.OpenImportToken(dk.aead, region, keyARN, token)
}

// ImportKeyMaterial implements hsm.Importer. The token is authenticated
// again here (the boundary does not rely on the caller having done it) and
// checked against this boundary's clock as well as the caller's.
func (b *Boundary) ImportKeyMaterial(ctx context.Context, req *hsm.ImportRequest) (*keyhold.BackingKey, error) {
	spec, ok := hsm.LookupSpec(req.KeySpec)
	if !ok {
		return nil, fmt.Errorf("soft: ImportKeyMaterial: unknown key spec %q", req.KeySpec)
	}
	t, err := b.OpenImportToken(ctx, req.Region, req.KeyARN, req.ImportToken)
	if err != nil {
		return nil, err
	}
	p := req.Parameters
	if p == nil || p.TokenID != t.ID || p.KeyARN != req.KeyARN || p.DomainKeyID != t.DomainKeyID {
		return nil, hsm.ErrInvalidImportToken
	}
	if !b.now().Before(t.ValidTo) {
		return nil, hsm.ErrExpiredImportToken
	}
	b.mu.RLock()
	closed, tokenKey, active := b.closed, b.domainKeys[t.DomainKeyID], b.active[req.Region]
	b.mu.RUnlock()
	if closed {
		return nil, errClosed
	}
	if tokenKey == nil || active == nil {
		return nil, fmt.Errorf("soft: no domain key loaded for region %q", req.Region)
	}
	priv, err := hsm.OpenWrappingKey(tokenKey.aead, req.Region, req.KeyARN, t, p.SealedWrappingKey)
	if err != nil {
		return nil, fmt.Errorf("soft: wrapping key of import token %s of %s: %w", t.ID, req.KeyARN, err)
	}
	defer clear(priv)
	material, err := hsm.UnwrapKeyMaterial(t.WrappingKeySpec, t.WrappingAlgorithm, priv, req.EncryptedKeyMaterial)
	if err != nil {
		return nil, err
	}
	defer clear(material)
	m, err := hsm.CheckImportedMaterial(spec, req.Region, req.KeyARN, material)
	if err != nil {
		return nil, err
	}
	defer clear(m.Sealable)
	binding := hsm.EKTBinding{Region: req.Region, DomainKeyID: active.id, KeyARN: req.KeyARN, MaterialID: m.MaterialID}
	var ekt []byte
	if spec.Symmetric() {
		ekt, err = hsm.SealEKT(b.rand, active.aead, binding, m.Sealable)
	} else {
		ekt, err = hsm.SealKeyEKT(b.rand, active.aead, binding, spec.Name, m.Sealable)
	}
	if err != nil {
		return nil, fmt.Errorf("soft: sealing imported %s material for %s: %w", spec.Name, req.KeyARN, err)
	}
	return &keyhold.BackingKey{
		KeyARN:       req.KeyARN,
		MaterialID:   m.MaterialID,
		DomainKeyID:  active.id,
		EKT:          ekt,
		CreationDate: b.now().UTC(),
	}, nil
}
