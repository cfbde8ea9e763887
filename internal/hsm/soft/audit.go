package soft

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/keyhold/keyhold/internal/hsm"
)

// labelAuditKey derives the audit signing key from the root key, so the
// key needs no storage and is the same after every restart: digests signed
// before a restart verify with the key after it.
var labelAuditKey = []byte("keyhold/v1/root/audit-signing-key")

// deriveAuditKey derives an ECDSA P-384 private key from the root key: a
// 48-byte KBKDF output used as the scalar (the counter in the context is
// bumped in the negligible case that it is zero or not below the order).
func deriveAuditKey(root []byte) (*ecdsa.PrivateKey, error) {
	for ctr := byte(0); ctr < 16; ctr++ {
		d, err := hsm.KBKDF(root, labelAuditKey, []byte{ctr}, 48)
		if err != nil {
			return nil, err
		}
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P384(), d)
		clear(d)
		if err == nil {
			return k, nil
		}
	}
	return nil, errors.New("soft: could not derive the audit signing key")
}

// SignAuditDigest signs msg (SHA-384, ASN.1 ECDSA) with the audit signing
// key. It implements audit.Signer.
func (b *Boundary) SignAuditDigest(_ context.Context, msg []byte) ([]byte, error) {
	b.mu.RLock()
	k, closed := b.audit, b.closed
	b.mu.RUnlock()
	if closed {
		return nil, errClosed
	}
	h := crypto.SHA384.New()
	h.Write(msg)
	return ecdsa.SignASN1(b.rand, k, h.Sum(nil))
}

// PublicKeyPEM returns the audit signing key's public key, PEM "PUBLIC KEY".
func (b *Boundary) PublicKeyPEM() ([]byte, error) {
	b.mu.RLock()
	k := b.audit
	b.mu.RUnlock()
	if k == nil {
		return nil, errClosed
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("soft: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
