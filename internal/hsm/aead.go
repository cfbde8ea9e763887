package hsm

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Sizes fixed by the v1 formats. Changing any of them means a new format
// version.
const (
	// KeySize is the size of every symmetric key in the hierarchy: the root
	// key, domain keys, backing keys and per-request derived keys
	// (AES-256, HMAC-SHA256 key for the KDF).
	KeySize = 32
	// MaterialIDSize is the size of a material id in binary form. Its text
	// form (keyhold.BackingKey.MaterialID) is 64 lowercase hex characters.
	MaterialIDSize = 32
	// SaltSize is the size of the per-request KDF salt in a ciphertext blob.
	SaltSize = 32
	// IVSize is the AES-GCM nonce size (96 bits) used by every format.
	IVSize = 12
	// TagSize is the AES-GCM tag size (128 bits) used by every format.
	TagSize = 16
)

// NewAEAD returns AES-256-GCM keyed with key, with a 96-bit nonce and a
// 128-bit tag. Every AES-GCM operation in keyhold goes through it, and the
// Wycheproof vectors are run through it.
//
// The caller supplies the nonce. Every format in this package draws it from
// a CSPRNG. Keys that encrypt caller data (the derived keys of a ciphertext
// blob) are used for exactly one message, so nonce reuse under one key
// would need a collision of the 256-bit salt as well as the IV. Long-lived
// keys (domain keys, the root's subkeys) seal one key or secret per call,
// far below the 2^32 random-IV messages per key that NIST SP 800-38D allows.
func NewAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("hsm: AES-256-GCM needs a %d-byte key, got %d bytes", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("hsm: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("hsm: %w", err)
	}
	if aead.NonceSize() != IVSize || aead.Overhead() != TagSize {
		// Cannot happen with the standard library; checked because every
		// layout below depends on it.
		return nil, errors.New("hsm: unexpected AES-GCM parameters")
	}
	return aead, nil
}

// appendString16 appends s prefixed with its length as a big-endian uint16.
// Callers check that len(s) fits.
func appendString16(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// appendString32 appends s prefixed with its length as a big-endian uint32.
// Callers check that len(s) fits.
func appendString32(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// readFull fills b from rand.
func readFull(rand io.Reader, b []byte) error {
	if _, err := io.ReadFull(rand, b); err != nil {
		return fmt.Errorf("hsm: reading random bytes: %w", err)
	}
	return nil
}
