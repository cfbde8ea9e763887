package hsm

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
)

// Wrapped domain key format v1: a domain key sealed under the root of
// trust's wrapping key.
//
//	off  size  field
//	0    1     version, 0x01
//	1    12    AES-GCM IV
//	13   48    AES-256-GCM(wrapping key, domain key) || tag
//
// The AAD is
//
//	[21]_16 || "keyhold/v1/domain-key" || version byte ||
//	[len(region)]_16 || region || [len(id)]_16 || id
//
// so a wrapped domain key opens only as the domain key of its own region
// and id.
const (
	wrappedDomainKeyVersion = 1
	wrappedDomainKeyLen     = 1 + IVSize + KeySize + TagSize
	domainKeyTag            = "keyhold/v1/domain-key"
)

// WrapDomainKey seals the domain key key (32 bytes) with region and id
// under root, an AEAD from NewAEAD keyed by the root of trust's wrapping
// key. It reads the 12-byte IV from rand.
func WrapDomainKey(rand io.Reader, root cipher.AEAD, region, id string, key []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("hsm: domain key must be %d bytes", KeySize)
	}
	if err := checkDomainKeyName(region, id); err != nil {
		return nil, err
	}
	w := make([]byte, 1+IVSize, wrappedDomainKeyLen)
	w[0] = wrappedDomainKeyVersion
	if err := readFull(rand, w[1:]); err != nil {
		return nil, err
	}
	return root.Seal(w, w[1:], key, domainKeyAAD(region, id)), nil
}

// UnwrapDomainKey opens a domain key wrapped by WrapDomainKey. It fails if
// root is not the key that wrapped it, if region or id differ, or if the
// wrapped bytes were changed. The caller should clear the key when done.
func UnwrapDomainKey(root cipher.AEAD, region, id string, wrapped []byte) ([]byte, error) {
	if err := checkDomainKeyName(region, id); err != nil {
		return nil, err
	}
	if len(wrapped) != wrappedDomainKeyLen {
		return nil, fmt.Errorf("hsm: wrapped domain key must be %d bytes, got %d", wrappedDomainKeyLen, len(wrapped))
	}
	if wrapped[0] != wrappedDomainKeyVersion {
		return nil, fmt.Errorf("hsm: unsupported wrapped domain key version %d", wrapped[0])
	}
	key, err := root.Open(make([]byte, 0, KeySize), wrapped[1:1+IVSize], wrapped[1+IVSize:], domainKeyAAD(region, id))
	if err != nil {
		return nil, errors.New("hsm: domain key does not unwrap: wrong root key, or the record (region, id, wrapped bytes) was changed")
	}
	return key, nil
}

func domainKeyAAD(region, id string) []byte {
	aad := make([]byte, 0, 2+len(domainKeyTag)+1+2+len(region)+2+len(id))
	aad = appendString16(aad, domainKeyTag)
	aad = append(aad, wrappedDomainKeyVersion)
	aad = appendString16(aad, region)
	return appendString16(aad, id)
}

func checkDomainKeyName(region, id string) error {
	if !validID(region) {
		return fmt.Errorf("hsm: malformed region %q", region)
	}
	if !validID(id) {
		return fmt.Errorf("hsm: malformed domain key id %q", id)
	}
	return nil
}
