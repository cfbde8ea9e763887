package hsm

import (
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exported key token (EKT) format v1: a backing key sealed under a domain
// key.
//
//	off    size  field
//	0      1     version, 0x01
//	1      1     n = length of the domain key id, 1..255
//	2      n     domain key id (printable ASCII)
//	2+n    12    AES-GCM IV
//	14+n   48    AES-256-GCM(domain key, backing key) || tag
//
// The AAD is
//
//	[14]_16 || "keyhold/v1/ekt" || EKT bytes [0, 2+n) ||
//	[len(region)]_16 || region || [len(key ARN)]_16 || key ARN ||
//	material id (32 bytes)
//
// so an EKT opens only under the domain key it names, in the region that
// key belongs to, for the key and the backing-key version it was made for.
// Because it names its domain key, EKTs made under older domain keys of a
// region keep opening after the region's domain key is rotated.
const (
	ektVersion = 1
	ektTag     = "keyhold/v1/ekt"
)

// Exported key token format v2: key material of any key spec but
// SYMMETRIC_DEFAULT (a PKCS #8 private key, an HMAC key), sealed under a
// domain key. It is v1 with the key spec named in the authenticated header
// and a sealed part of any length.
//
//	off      size  field
//	0        1     version, 0x02
//	1        1     n = length of the domain key id, 1..255
//	2        n     domain key id (printable ASCII)
//	2+n      1     m = length of the key spec, 1..64
//	3+n      m     key spec (printable ASCII, e.g. "RSA_2048")
//	3+n+m    12    AES-GCM IV
//	15+n+m   L+16  AES-256-GCM(domain key, material) || tag, 1 <= L <= 16384
//
// The AAD is
//
//	[14]_16 || "keyhold/v2/ekt" || EKT bytes [0, 3+n+m) ||
//	[len(region)]_16 || region || [len(key ARN)]_16 || key ARN ||
//	material id (32 bytes)
//
// so the key spec is bound as well: an EKT cannot be relabelled as
// another spec. Symmetric backing keys stay in v1; both versions open.
const (
	ektVersion2    = 2
	ektTag2        = "keyhold/v2/ekt"
	maxSpecLen     = 64
	maxMaterialLen = 16 << 10
)

var errEKT = errors.New("hsm: EKT does not open: wrong domain key, region, key ARN or material id, or corrupt")

// EKTBinding is what an EKT is bound to. Every field must match for the EKT
// to open.
type EKTBinding struct {
	// Region is the region of the domain key, which is also the region in
	// KeyARN.
	Region string
	// DomainKeyID names the domain key that seals the EKT.
	DomainKeyID string
	// KeyARN is the ARN of the KMS key the backing key belongs to.
	KeyARN string
	// MaterialID is the backing key's material id (64 lowercase hex).
	MaterialID string
}

// NewMaterialID returns a new material id: 32 bytes from rand, as 64
// lowercase hex characters.
func NewMaterialID(rand io.Reader) (string, error) {
	var b [MaterialIDSize]byte
	if err := readFull(rand, b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// SealEKT seals the backing key hbk (32 bytes) under domainKey, an AEAD
// from NewAEAD, bound to b. It reads the 12-byte IV from rand. The region of
// b.KeyARN must be b.Region: a backing key is sealed only under a domain key
// of its own region.
func SealEKT(rand io.Reader, domainKey cipher.AEAD, b EKTBinding, hbk []byte) ([]byte, error) {
	if len(hbk) != KeySize {
		return nil, fmt.Errorf("hsm: backing key must be %d bytes", KeySize)
	}
	mid, err := checkEKTBinding(b)
	if err != nil {
		return nil, err
	}
	if arnRegion(b.KeyARN) != b.Region {
		return nil, fmt.Errorf("hsm: key ARN %q is not in region %q", b.KeyARN, b.Region)
	}
	n := len(b.DomainKeyID)
	ekt := make([]byte, 0, 2+n+IVSize+KeySize+TagSize)
	ekt = append(ekt, ektVersion, byte(n))
	ekt = append(ekt, b.DomainKeyID...)
	ekt = ekt[:2+n+IVSize]
	iv := ekt[2+n:]
	if err := readFull(rand, iv); err != nil {
		return nil, err
	}
	aad := ektAAD(ekt[:2+n], b, mid[:])
	return domainKey.Seal(ekt, iv, hbk, aad), nil
}

// OpenEKT opens an EKT made by SealEKT and returns the backing key. The
// caller should clear it after use.
func OpenEKT(domainKey cipher.AEAD, b EKTBinding, ekt []byte) ([]byte, error) {
	mid, err := checkEKTBinding(b)
	if err != nil {
		return nil, err
	}
	id, err := ektDomainKeyID(ekt)
	if err != nil {
		return nil, err
	}
	if ekt[0] != ektVersion {
		return nil, fmt.Errorf("hsm: EKT version %d holds no symmetric backing key", ekt[0])
	}
	if string(id) != b.DomainKeyID {
		return nil, fmt.Errorf("hsm: EKT is sealed under domain key %q, not %q", id, b.DomainKeyID)
	}
	n := len(id)
	if len(ekt) != 2+n+IVSize+KeySize+TagSize {
		return nil, errors.New("hsm: EKT has the wrong length")
	}
	aad := ektAAD(ekt[:2+n], b, mid[:])
	hbk, err := domainKey.Open(make([]byte, 0, KeySize), ekt[2+n:2+n+IVSize], ekt[2+n+IVSize:], aad)
	if err != nil {
		return nil, errEKT
	}
	return hbk, nil
}

// EKTDomainKeyID returns the id of the domain key an EKT is sealed under.
func EKTDomainKeyID(ekt []byte) (string, error) {
	id, err := ektDomainKeyID(ekt)
	return string(id), err
}

// ektDomainKeyID is EKTDomainKeyID without the copy.
func ektDomainKeyID(ekt []byte) ([]byte, error) {
	if len(ekt) < 2 {
		return nil, errors.New("hsm: EKT truncated")
	}
	if ekt[0] != ektVersion && ekt[0] != ektVersion2 {
		return nil, fmt.Errorf("hsm: unsupported EKT version %d", ekt[0])
	}
	n := int(ekt[1])
	if len(ekt) < 2+n {
		return nil, errors.New("hsm: EKT truncated")
	}
	id := ekt[2 : 2+n]
	if !validID(string(id)) {
		return nil, errors.New("hsm: EKT names a malformed domain key id")
	}
	return id, nil
}

func ektAAD(header []byte, b EKTBinding, mid []byte) []byte {
	tag := ektTag
	if header[0] == ektVersion2 {
		tag = ektTag2
	}
	aad := make([]byte, 0, 2+len(tag)+len(header)+2+len(b.Region)+2+len(b.KeyARN)+MaterialIDSize)
	aad = appendString16(aad, tag)
	aad = append(aad, header...)
	aad = appendString16(aad, b.Region)
	aad = appendString16(aad, b.KeyARN)
	return append(aad, mid...)
}

func checkEKTBinding(b EKTBinding) ([MaterialIDSize]byte, error) {
	switch {
	case !validID(b.Region):
		return [MaterialIDSize]byte{}, fmt.Errorf("hsm: malformed region %q", b.Region)
	case !validID(b.DomainKeyID):
		return [MaterialIDSize]byte{}, fmt.Errorf("hsm: malformed domain key id %q", b.DomainKeyID)
	case !validKeyARN(b.KeyARN):
		return [MaterialIDSize]byte{}, fmt.Errorf("hsm: malformed key ARN %q", b.KeyARN)
	}
	return decodeMaterialID(b.MaterialID)
}

// validID is the rule for regions and domain key ids in every format:
// 1 to 255 bytes of printable ASCII without spaces.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// arnRegion returns the region field of an ARN
// (arn:partition:service:region:...), or "" if s has no such field.
func arnRegion(s string) string {
	for range 3 {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			return ""
		}
		s = s[i+1:]
	}
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return ""
	}
	return s[:i]
}

// SealKeyEKT seals key material of spec (any spec but SYMMETRIC_DEFAULT,
// whose backing keys SealEKT seals) under domainKey, bound to b, in format
// v2. It reads the 12-byte IV from rand.
func SealKeyEKT(rand io.Reader, domainKey cipher.AEAD, b EKTBinding, spec string, material []byte) ([]byte, error) {
	if !validID(spec) || len(spec) > maxSpecLen {
		return nil, fmt.Errorf("hsm: malformed key spec %q", spec)
	}
	if len(material) == 0 || len(material) > maxMaterialLen {
		return nil, fmt.Errorf("hsm: key material must be 1 to %d bytes", maxMaterialLen)
	}
	mid, err := checkEKTBinding(b)
	if err != nil {
		return nil, err
	}
	if arnRegion(b.KeyARN) != b.Region {
		return nil, fmt.Errorf("hsm: key ARN %q is not in region %q", b.KeyARN, b.Region)
	}
	n, m := len(b.DomainKeyID), len(spec)
	head := 3 + n + m
	ekt := make([]byte, 0, head+IVSize+len(material)+TagSize)
	ekt = append(ekt, ektVersion2, byte(n))
	ekt = append(ekt, b.DomainKeyID...)
	ekt = append(ekt, byte(m))
	ekt = append(ekt, spec...)
	ekt = ekt[:head+IVSize]
	if err := readFull(rand, ekt[head:]); err != nil {
		return nil, err
	}
	aad := ektAAD(ekt[:head], b, mid[:])
	return domainKey.Seal(ekt, ekt[head:head+IVSize], material, aad), nil
}

// OpenKeyEKT opens an EKT of either version and returns the key spec and
// the material: for v1, SYMMETRIC_DEFAULT and the 32-byte backing key. The
// caller should clear the material after use.
func OpenKeyEKT(domainKey cipher.AEAD, b EKTBinding, ekt []byte) (spec string, material []byte, err error) {
	id, err := ektDomainKeyID(ekt)
	if err != nil {
		return "", nil, err
	}
	if ekt[0] == ektVersion {
		hbk, err := OpenEKT(domainKey, b, ekt)
		return "SYMMETRIC_DEFAULT", hbk, err
	}
	mid, err := checkEKTBinding(b)
	if err != nil {
		return "", nil, err
	}
	if string(id) != b.DomainKeyID {
		return "", nil, fmt.Errorf("hsm: EKT is sealed under domain key %q, not %q", id, b.DomainKeyID)
	}
	n := len(id)
	if len(ekt) < 3+n {
		return "", nil, errors.New("hsm: EKT truncated")
	}
	m := int(ekt[2+n])
	head := 3 + n + m
	if m == 0 || m > maxSpecLen || len(ekt) < head+IVSize+1+TagSize || len(ekt) > head+IVSize+maxMaterialLen+TagSize {
		return "", nil, errors.New("hsm: EKT has the wrong length")
	}
	spec = string(ekt[3+n : head])
	if !validID(spec) {
		return "", nil, errors.New("hsm: EKT names a malformed key spec")
	}
	aad := ektAAD(ekt[:head], b, mid[:])
	material, err = domainKey.Open(nil, ekt[head:head+IVSize], ekt[head+IVSize:], aad)
	if err != nil {
		return "", nil, errEKT
	}
	return spec, material, nil
}
