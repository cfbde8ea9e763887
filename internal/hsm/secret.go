package hsm

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"math"
)

// Sealed secret format v1: a secret (for example an access key's secret
// key) sealed for storage.
//
//	off  size  field
//	0    1     version, 0x01
//	1    12    AES-GCM IV
//	13   s+16  AES-256-GCM(secret key, secret) || tag
//
// The AAD is
//
//	[17]_16 || "keyhold/v1/secret" || version byte || [len(label)]_32 || label
//
// so a sealed secret opens only under the label it was sealed with (the
// service uses the access key id, for example).
const (
	sealedSecretVersion = 1
	secretTag           = "keyhold/v1/secret"
	// MaxSecretLen is the longest secret SealSecret accepts.
	MaxSecretLen = 64 << 10
)

var errSecret = errors.New("hsm: sealed secret does not open: wrong key or label, or corrupt")

// SealSecret seals secret under key, an AEAD from NewAEAD, bound to label.
// It reads the 12-byte IV from rand.
func SealSecret(rand io.Reader, key cipher.AEAD, label string, secret []byte) ([]byte, error) {
	if len(secret) > MaxSecretLen {
		return nil, fmt.Errorf("hsm: secret longer than %d bytes", MaxSecretLen)
	}
	if uint64(len(label)) > math.MaxUint32 {
		return nil, errors.New("hsm: label too long")
	}
	s := make([]byte, 1+IVSize, 1+IVSize+len(secret)+TagSize)
	s[0] = sealedSecretVersion
	if err := readFull(rand, s[1:]); err != nil {
		return nil, err
	}
	return key.Seal(s, s[1:], secret, secretAAD(label)), nil
}

// OpenSecret opens a secret sealed by SealSecret with the same key and
// label.
func OpenSecret(key cipher.AEAD, label string, sealed []byte) ([]byte, error) {
	if len(sealed) < 1+IVSize+TagSize || len(sealed) > 1+IVSize+MaxSecretLen+TagSize {
		return nil, errors.New("hsm: sealed secret has the wrong length")
	}
	if sealed[0] != sealedSecretVersion {
		return nil, fmt.Errorf("hsm: unsupported sealed secret version %d", sealed[0])
	}
	if uint64(len(label)) > math.MaxUint32 {
		return nil, errSecret
	}
	secret, err := key.Open(nil, sealed[1:1+IVSize], sealed[1+IVSize:], secretAAD(label))
	if err != nil {
		return nil, errSecret
	}
	return secret, nil
}

func secretAAD(label string) []byte {
	aad := make([]byte, 0, 2+len(secretTag)+1+4+len(label))
	aad = appendString16(aad, secretTag)
	aad = append(aad, sealedSecretVersion)
	return appendString32(aad, label)
}
