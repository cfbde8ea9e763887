package hsm

import (
	"bytes"
	"context"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/keyhold/keyhold"
)

// XKSBoundary is the part of the crypto boundary that keyhold's XKS proxy
// uses: AES-GCM with an external key (an AES-256 backing key of a
// keyhold.XKSKey) in the form the XKS proxy API specifies. A backend
// implements it next to Boundary.
type XKSBoundary interface {
	// XKSEncrypt encrypts plaintext under bk with aad (the XKS
	// additionalAuthenticatedData, possibly empty) and returns the four
	// fields of an XKS Encrypt response.
	XKSEncrypt(ctx context.Context, bk *keyhold.BackingKey, plaintext, aad []byte) (*XKSCiphertext, error)
	// XKSDecrypt reverses XKSEncrypt. Anything that does not authenticate
	// (wrong key, AAD, IV, tag, metadata or ciphertext) gives an error
	// wrapping ErrInvalidCiphertext; other errors are internal.
	XKSDecrypt(ctx context.Context, bk *keyhold.BackingKey, c *XKSCiphertext, aad []byte) ([]byte, error)
	// XKSHealth reports the state of the boundary for the XKS
	// GetHealthStatus operation: it runs the known-answer self-tests (at
	// most once per XKSHealthMaxAge) and checks that region's domain key,
	// which seals the external keys, is loaded.
	XKSHealth(ctx context.Context, region string) XKSHealth
}

// XKSHealthMaxAge is how long a backend may answer XKSHealth from its last
// deep check. The XKS specification allows a cached result up to a minute
// old.
const XKSHealthMaxAge = 30 * time.Second

// XKSHealth is one external key manager entry of an XKS health report.
type XKSHealth struct {
	// ID names this boundary instance; Model names the backend.
	ID    string
	Model string
	// Status is ACTIVE, DEGRADED or UNAVAILABLE (the XKS healthStatus).
	Status string
	// Detail says why, for the server log (never for the client).
	Detail string
}

// XKS health states.
const (
	XKSActive      = "ACTIVE"
	XKSDegraded    = "DEGRADED"
	XKSUnavailable = "UNAVAILABLE"
)

// XKSCiphertext is the output of an XKS encryption: what the XKS Encrypt
// response carries and the XKS Decrypt request sends back.
type XKSCiphertext struct {
	// IV is the AES-GCM nonce: 12 bytes from keyhold (the specification
	// allows 12 or 16).
	IV []byte
	// Ciphertext is as long as the plaintext; the tag is separate.
	Ciphertext []byte
	// Tag is the 16-byte AES-GCM tag.
	Tag []byte
	// Metadata is the ciphertextMetadata: up to 20 bytes that the proxy
	// gets back on decryption. keyhold's is XKSMetadataLen bytes (below).
	Metadata []byte
}

// keyhold's XKS encryption, version 1.
//
// ciphertextMetadata (17 bytes) is
//
//	off  size  field
//	0    1     scheme version, 0x01
//	1    16    KDF salt
//
// The AES-256-GCM key is KBKDF(backing key, "keyhold/v1/xks",
// salt || material id, 32), so every encryption has a key of its own (no
// limit on the number of messages per external key) and a ciphertext opens
// only under the backing key it was made with. The 12-byte IV is random.
// The GCM AAD is the XKS specification's construction,
//
//	uint16_be(len(aad)) || aad || uint8(len(metadata)) || metadata
//
// so the metadata (with the salt and the scheme version) is authenticated
// and no split of AAD and metadata can be confused with another.
const (
	XKSMetadataVersion = 1
	XKSMetadataLen     = 1 + xksSaltSize
	// MaxXKSMetadataLen is the longest ciphertextMetadata the XKS
	// specification allows.
	MaxXKSMetadataLen = 20
	// MaxXKSAADLen is the longest AAD the construction's length field
	// can carry.
	MaxXKSAADLen = 1<<16 - 1
	xksSaltSize  = 16
)

var labelXKS = []byte("keyhold/v1/xks")

var (
	errXKSMetadata = fmt.Errorf("%w: unknown XKS ciphertext metadata", ErrInvalidCiphertext)
	errXKSIV       = fmt.Errorf("%w: XKS IV is not %d bytes", ErrInvalidCiphertext, IVSize)
	errXKSTag      = fmt.Errorf("%w: XKS tag is not %d bytes", ErrInvalidCiphertext, TagSize)
	errXKSAADLen   = errors.New("hsm: XKS AAD longer than 65535 bytes")
)

// XKSAAD returns the AAD the XKS specification feeds to AES-GCM for the
// request AAD aad and the ciphertext metadata md.
func XKSAAD(aad, md []byte) ([]byte, error) {
	if len(aad) > MaxXKSAADLen {
		return nil, errXKSAADLen
	}
	if len(md) > 255 {
		return nil, errors.New("hsm: XKS ciphertext metadata longer than 255 bytes")
	}
	out := make([]byte, 0, 2+len(aad)+1+len(md))
	out = binary.BigEndian.AppendUint16(out, uint16(len(aad)))
	out = append(out, aad...)
	out = append(out, byte(len(md)))
	return append(out, md...), nil
}

// SealXKS encrypts plaintext under the backing key hbk (32 bytes) whose
// material id is materialID, with the XKS AAD aad. It reads the 16-byte
// salt and then the 12-byte IV from rand.
func SealXKS(rand io.Reader, hbk []byte, materialID string, plaintext, aad []byte) (*XKSCiphertext, error) {
	if len(hbk) != KeySize {
		return nil, fmt.Errorf("hsm: backing key must be %d bytes", KeySize)
	}
	mid, err := decodeMaterialID(materialID)
	if err != nil {
		return nil, err
	}
	if len(plaintext) > MaxPlaintextLen {
		return nil, fmt.Errorf("hsm: plaintext longer than %d bytes", MaxPlaintextLen)
	}
	var rnd [xksSaltSize + IVSize]byte
	if err := readFull(rand, rnd[:]); err != nil {
		return nil, err
	}
	md := append([]byte{XKSMetadataVersion}, rnd[:xksSaltSize]...)
	iv := bytes.Clone(rnd[xksSaltSize:])
	gcmAAD, err := XKSAAD(aad, md)
	if err != nil {
		return nil, err
	}
	aead, err := xksAEAD(hbk, md[1:], mid[:])
	if err != nil {
		return nil, err
	}
	sealed := aead.Seal(make([]byte, 0, len(plaintext)+TagSize), iv, plaintext, gcmAAD)
	n := len(plaintext)
	return &XKSCiphertext{IV: iv, Ciphertext: sealed[:n:n], Tag: sealed[n:], Metadata: md}, nil
}

// OpenXKS decrypts c made by SealXKS under the same backing key and AAD.
// Every failure that is c's fault wraps ErrInvalidCiphertext.
func OpenXKS(hbk []byte, materialID string, c *XKSCiphertext, aad []byte) ([]byte, error) {
	if len(hbk) != KeySize {
		return nil, fmt.Errorf("hsm: backing key must be %d bytes", KeySize)
	}
	mid, err := decodeMaterialID(materialID)
	if err != nil {
		return nil, err
	}
	switch {
	case len(c.Metadata) != XKSMetadataLen || c.Metadata[0] != XKSMetadataVersion:
		return nil, errXKSMetadata
	case len(c.IV) != IVSize:
		// keyhold makes 12-byte IVs only; a 16-byte one is not ours.
		return nil, errXKSIV
	case len(c.Tag) != TagSize:
		return nil, errXKSTag
	case len(c.Ciphertext) > MaxPlaintextLen:
		return nil, fmt.Errorf("%w: XKS ciphertext too long", ErrInvalidCiphertext)
	}
	gcmAAD, err := XKSAAD(aad, c.Metadata)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCiphertext, err)
	}
	aead, err := xksAEAD(hbk, c.Metadata[1:], mid[:])
	if err != nil {
		return nil, err
	}
	sealed := make([]byte, 0, len(c.Ciphertext)+TagSize)
	sealed = append(append(sealed, c.Ciphertext...), c.Tag...)
	pt, err := aead.Open(sealed[:0], c.IV, sealed, gcmAAD)
	if err != nil {
		return nil, ErrInvalidCiphertext
	}
	return pt, nil
}

// xksAEAD returns AES-256-GCM under KBKDF(hbk, "keyhold/v1/xks",
// salt || mid, 32).
func xksAEAD(hbk, salt, mid []byte) (cipher.AEAD, error) {
	var kdfContext [xksSaltSize + MaterialIDSize]byte
	copy(kdfContext[:], salt)
	copy(kdfContext[xksSaltSize:], mid)
	var key [KeySize]byte
	kbkdf(key[:], hbk, labelXKS, kdfContext[:])
	aead, err := NewAEAD(key[:])
	clear(key[:])
	return aead, err
}
