package hsm

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/keyhold/keyhold"
)

// ErrInvalidCiphertext is returned for a ciphertext blob that is malformed
// or does not authenticate: wrong key, wrong key material, wrong encryption
// context or tampering all look the same to the caller, so a failed Decrypt
// is no oracle. It is a *keyhold.Error with code InvalidCiphertextException
// and an empty message, as AWS KMS sends it. Test with errors.Is; detail,
// where there is any, is in the wrapping error's text for the server log.
var ErrInvalidCiphertext error = keyhold.NewError(keyhold.ErrCodeInvalidCiphertext, "")

// Ciphertext blob format v1. The layout is documented byte by byte in
// docs/ciphertext-format.md:
//
//	off     size  field
//	0       2     magic "KH" (0x4b 0x48)
//	2       1     version, 0x01
//	3       2     a = length of the key ARN, big-endian, 1..MaxKeyARNLen
//	5       a     key ARN (UTF-8, starts with "arn:")
//	5+a     32    material id of the backing key
//	37+a    32    KDF salt
//	69+a    12    AES-GCM IV
//	81+a    4     c = length of the ciphertext without tag, big-endian
//	85+a    c     AES-256-GCM ciphertext
//	85+a+c  16    AES-GCM tag
//
// The header is bytes [0, 85+a). The data key is
// KBKDF(HBK, "keyhold/v1/encrypt", salt || material id, 32 bytes) and the
// AAD is header || AppendEncryptionContext(context).
const (
	// CiphertextVersion is the version byte of the format this package
	// writes, and the only one it reads.
	CiphertextVersion = 1
	// MaxKeyARNLen is the longest key ARN a ciphertext blob can name.
	MaxKeyARNLen = 256
	// MaxPlaintextLen is the longest plaintext SealCiphertext accepts. It is
	// above every AWS KMS limit (4096 bytes for Encrypt); the service layer
	// applies those.
	MaxPlaintextLen = 64 << 10

	ctMagic0, ctMagic1 = 'K', 'H'
	ctPrefixLen        = 2 + 1 + 2                              // magic, version, ARN length
	ctFixedLen         = MaterialIDSize + SaltSize + IVSize + 4 // after the ARN
	ctOverhead         = ctPrefixLen + ctFixedLen + TagSize     // blob length - ARN - plaintext
)

// labelEncrypt is the KBKDF label of the per-request data key.
var labelEncrypt = []byte("keyhold/v1/encrypt")

var (
	errCTTruncated = fmt.Errorf("%w: truncated", ErrInvalidCiphertext)
	errCTMagic     = fmt.Errorf("%w: not a keyhold ciphertext blob", ErrInvalidCiphertext)
	errCTVersion   = fmt.Errorf("%w: unsupported ciphertext version", ErrInvalidCiphertext)
	errCTARNLen    = fmt.Errorf("%w: key ARN length out of range", ErrInvalidCiphertext)
	errCTARN       = fmt.Errorf("%w: malformed key ARN", ErrInvalidCiphertext)
	errCTLen       = fmt.Errorf("%w: ciphertext length out of range", ErrInvalidCiphertext)
	errCTTrailing  = fmt.Errorf("%w: trailing data", ErrInvalidCiphertext)
	errCTOtherKey  = fmt.Errorf("%w: blob names a different key or key material", ErrInvalidCiphertext)
)

// CiphertextLen returns the length of the v1 blob for a key ARN of arnLen
// bytes and a plaintext of plaintextLen bytes: 101 + arnLen + plaintextLen.
func CiphertextLen(arnLen, plaintextLen int) int {
	return ctOverhead + arnLen + plaintextLen
}

// CiphertextHeader is a parsed v1 ciphertext blob: the header fields that
// name the key and the backing key, and the sealed payload.
type CiphertextHeader struct {
	// KeyARN is the ARN of the KMS key the blob was encrypted under.
	KeyARN string
	// MaterialID names the backing key (64 lowercase hex characters).
	MaterialID string
	// Salt is the KDF salt of the per-request data key.
	Salt [SaltSize]byte
	// IV is the AES-GCM nonce.
	IV [IVSize]byte
	// Sealed is the AES-GCM ciphertext followed by the tag. From
	// ParseCiphertext it aliases the parsed blob.
	Sealed []byte
}

// ParseCiphertext parses a v1 ciphertext blob without decrypting it, so the
// service can find the key and backing key a blob names. It is strict: an
// unknown magic or version, a truncated blob, trailing bytes, or a key ARN
// that is empty, longer than MaxKeyARNLen, not UTF-8 or not starting with
// "arn:" is an error wrapping ErrInvalidCiphertext. A blob that parses is
// not yet authenticated: only decryption proves it is genuine.
func ParseCiphertext(blob []byte) (*CiphertextHeader, error) {
	v, err := parseCiphertext(blob)
	if err != nil {
		return nil, err
	}
	h := &CiphertextHeader{
		KeyARN:     string(v.arn),
		MaterialID: hex.EncodeToString(v.mid),
		Sealed:     v.sealed,
	}
	copy(h.Salt[:], v.salt)
	copy(h.IV[:], v.iv)
	return h, nil
}

// AppendBinary appends the complete blob (header and Sealed) to b. It
// checks the fields as ParseCiphertext does, so what it writes parses back
// to h.
func (h *CiphertextHeader) AppendBinary(b []byte) ([]byte, error) {
	if !validKeyARN(h.KeyARN) {
		return nil, errCTARN
	}
	mid, err := decodeMaterialID(h.MaterialID)
	if err != nil {
		return nil, err
	}
	n := len(h.Sealed) - TagSize
	if n < 0 || n > MaxPlaintextLen {
		return nil, errCTLen
	}
	b = appendCiphertextHeader(b, h.KeyARN, mid[:], h.Salt[:], h.IV[:], n)
	return append(b, h.Sealed...), nil
}

// MarshalBinary returns the complete blob; see AppendBinary.
func (h *CiphertextHeader) MarshalBinary() ([]byte, error) {
	return h.AppendBinary(make([]byte, 0, CiphertextLen(len(h.KeyARN), len(h.Sealed)-TagSize)))
}

// SealCiphertext encrypts plaintext under the backing key hbk (32 bytes) of
// the key keyARN, backing-key version materialID, binding the encryption
// context ec, and returns a v1 blob. It reads the 32-byte salt and then the
// 12-byte IV from rand; nothing else is random, so a fixed rand gives a
// fixed blob (the test vectors rely on it).
func SealCiphertext(rand io.Reader, hbk []byte, keyARN, materialID string, plaintext []byte, ec map[string]string) ([]byte, error) {
	if len(hbk) != KeySize {
		return nil, fmt.Errorf("hsm: backing key must be %d bytes", KeySize)
	}
	if !validKeyARN(keyARN) {
		return nil, fmt.Errorf("hsm: key ARN must be 1 to %d bytes of UTF-8 starting with \"arn:\"", MaxKeyARNLen)
	}
	mid, err := decodeMaterialID(materialID)
	if err != nil {
		return nil, err
	}
	if len(plaintext) > MaxPlaintextLen {
		return nil, fmt.Errorf("hsm: plaintext longer than %d bytes", MaxPlaintextLen)
	}
	ecLen, err := encryptionContextLen(ec)
	if err != nil {
		return nil, err
	}

	hdrLen := ctPrefixLen + len(keyARN) + ctFixedLen
	blob := make([]byte, 0, hdrLen+len(plaintext)+TagSize)
	var zero [SaltSize + IVSize]byte
	blob = appendCiphertextHeader(blob, keyARN, mid[:], zero[:SaltSize], zero[SaltSize:], len(plaintext))
	// Salt and IV are adjacent: fill both with one read, in place.
	saltOff := ctPrefixLen + len(keyARN) + MaterialIDSize
	if err := readFull(rand, blob[saltOff:saltOff+SaltSize+IVSize]); err != nil {
		return nil, err
	}
	salt := blob[saltOff : saltOff+SaltSize]
	iv := blob[saltOff+SaltSize : saltOff+SaltSize+IVSize]

	aad := make([]byte, 0, hdrLen+ecLen)
	aad = append(aad, blob...)
	aad = appendEncryptionContext(aad, ec)

	aead, err := dataKeyAEAD(hbk, salt, mid[:])
	if err != nil {
		return nil, err
	}
	return aead.Seal(blob, iv, plaintext, aad), nil
}

// OpenCiphertext decrypts a v1 blob made by SealCiphertext with the same
// backing key, key ARN, material id and encryption context. Every failure
// that is the blob's fault (malformed, names another key or material,
// wrong context, tampered, wrong backing key) wraps ErrInvalidCiphertext.
func OpenCiphertext(hbk []byte, keyARN, materialID string, blob []byte, ec map[string]string) ([]byte, error) {
	if len(hbk) != KeySize {
		return nil, fmt.Errorf("hsm: backing key must be %d bytes", KeySize)
	}
	mid, err := decodeMaterialID(materialID)
	if err != nil {
		return nil, err
	}
	v, err := parseCiphertext(blob)
	if err != nil {
		return nil, err
	}
	if string(v.arn) != keyARN || !bytes.Equal(v.mid, mid[:]) {
		return nil, errCTOtherKey
	}
	ecLen, err := encryptionContextLen(ec)
	if err != nil {
		return nil, err
	}
	aad := make([]byte, 0, len(v.header)+ecLen)
	aad = append(aad, v.header...)
	aad = appendEncryptionContext(aad, ec)

	aead, err := dataKeyAEAD(hbk, v.salt, v.mid)
	if err != nil {
		return nil, err
	}
	plaintext, err := aead.Open(nil, v.iv, v.sealed, aad)
	if err != nil {
		return nil, ErrInvalidCiphertext
	}
	return plaintext, nil
}

// CheckCiphertext reports, without decrypting or allocating, whether blob
// is a well-formed v1 blob that names keyARN and materialID. It returns nil
// or an error wrapping ErrInvalidCiphertext. A backend calls it before it
// unseals the backing key, so a bad blob costs no key unwrapping and always
// gives ErrInvalidCiphertext.
func CheckCiphertext(blob []byte, keyARN, materialID string) error {
	v, err := parseCiphertext(blob)
	if err != nil {
		return err
	}
	mid, err := decodeMaterialID(materialID)
	if err != nil || string(v.arn) != keyARN || !bytes.Equal(v.mid, mid[:]) {
		return errCTOtherKey
	}
	return nil
}

// dataKeyAEAD returns AES-256-GCM under the per-request data key
// KBKDF(hbk, "keyhold/v1/encrypt", salt || mid, 32).
func dataKeyAEAD(hbk, salt, mid []byte) (cipher.AEAD, error) {
	var kdfContext [SaltSize + MaterialIDSize]byte
	copy(kdfContext[:], salt)
	copy(kdfContext[SaltSize:], mid)
	var key [KeySize]byte
	kbkdf(key[:], hbk, labelEncrypt, kdfContext[:])
	aead, err := NewAEAD(key[:])
	clear(key[:])
	return aead, err
}

// ctView is a parsed blob as sub-slices of it, for the allocation-free path.
type ctView struct {
	header, arn, mid, salt, iv, sealed []byte
}

func parseCiphertext(blob []byte) (ctView, error) {
	if len(blob) < ctPrefixLen {
		return ctView{}, errCTTruncated
	}
	if blob[0] != ctMagic0 || blob[1] != ctMagic1 {
		return ctView{}, errCTMagic
	}
	if blob[2] != CiphertextVersion {
		return ctView{}, errCTVersion
	}
	a := int(binary.BigEndian.Uint16(blob[3:5]))
	if a == 0 || a > MaxKeyARNLen {
		return ctView{}, errCTARNLen
	}
	hdrLen := ctPrefixLen + a + ctFixedLen
	if len(blob) < hdrLen {
		return ctView{}, errCTTruncated
	}
	var v ctView
	p := ctPrefixLen
	v.arn, p = blob[p:p+a], p+a
	if !bytes.HasPrefix(v.arn, []byte("arn:")) || !utf8.Valid(v.arn) {
		return ctView{}, errCTARN
	}
	v.mid, p = blob[p:p+MaterialIDSize], p+MaterialIDSize
	v.salt, p = blob[p:p+SaltSize], p+SaltSize
	v.iv, p = blob[p:p+IVSize], p+IVSize
	c := binary.BigEndian.Uint32(blob[p : p+4])
	if c > MaxPlaintextLen {
		return ctView{}, errCTLen
	}
	v.header = blob[:hdrLen]
	rest := blob[hdrLen:]
	switch want := int(c) + TagSize; {
	case len(rest) < want:
		return ctView{}, errCTTruncated
	case len(rest) > want:
		return ctView{}, errCTTrailing
	}
	v.sealed = rest
	return v, nil
}

// appendCiphertextHeader appends the header; fields are already checked.
func appendCiphertextHeader(b []byte, keyARN string, mid, salt, iv []byte, ctLen int) []byte {
	b = append(b, ctMagic0, ctMagic1, CiphertextVersion)
	b = appendString16(b, keyARN)
	b = append(b, mid...)
	b = append(b, salt...)
	b = append(b, iv...)
	return binary.BigEndian.AppendUint32(b, uint32(ctLen))
}

// validKeyARN is the rule for a key ARN in every format: 1 to MaxKeyARNLen
// bytes of UTF-8 starting with "arn:".
func validKeyARN(s string) bool {
	return len(s) <= MaxKeyARNLen && strings.HasPrefix(s, "arn:") && utf8.ValidString(s)
}

// decodeMaterialID decodes a material id in its canonical text form,
// exactly 64 lowercase hex characters.
func decodeMaterialID(s string) ([MaterialIDSize]byte, error) {
	var mid [MaterialIDSize]byte
	if len(s) != 2*MaterialIDSize {
		return mid, fmt.Errorf("hsm: material id must be %d lowercase hex characters", 2*MaterialIDSize)
	}
	for i := range mid {
		hi, ok1 := fromLowerHex(s[2*i])
		lo, ok2 := fromLowerHex(s[2*i+1])
		if !ok1 || !ok2 {
			return mid, fmt.Errorf("hsm: material id must be %d lowercase hex characters", 2*MaterialIDSize)
		}
		mid[i] = hi<<4 | lo
	}
	return mid, nil
}

func fromLowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
