package hsm

import (
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// Import token format v1: what GetParametersForImport hands the caller. It
// is opaque (its body is encrypted), authenticated, and bound to the KMS key
// and to the wrapping key: it opens only for the key ARN and region it was
// made for, and it carries the hash of the wrapping public key, which also
// binds the sealed wrapping key (below) to it.
//
//	off   size  field
//	0     1     version, 0x01
//	1     1     n = length of the domain key id, 1..255
//	2     n     domain key id (printable ASCII)
//	2+n   12    AES-GCM IV
//	14+n  74    AES-256-GCM(domain key, body) || tag
//
// body (58 bytes):
//
//	0     16    token id (random)
//	16    8     ValidTo, Unix nanoseconds, big-endian two's complement
//	24    1     wrapping algorithm (1 RSAES_OAEP_SHA_1, 2 RSAES_OAEP_SHA_256,
//	            3 RSA_AES_KEY_WRAP_SHA_1, 4 RSA_AES_KEY_WRAP_SHA_256, 5 SM2PKE)
//	25    1     wrapping key spec (1 RSA_2048, 2 RSA_3072, 3 RSA_4096, 4 SM2)
//	26    32    SHA-256 of the wrapping public key (DER SubjectPublicKeyInfo)
//
// The AAD is
//
//	[23]_16 || "keyhold/v1/import-token" || token bytes [0, 2+n) ||
//	[len(region)]_16 || region || [len(key ARN)]_16 || key ARN
//
// Sealed wrapping key format v1: the wrapping private key as stored.
//
//	off   size  field
//	0     1     version, 0x01
//	1     1     n = length of the domain key id, 1..255
//	2     n     domain key id (printable ASCII)
//	2+n   12    AES-GCM IV
//	14+n  L+16  AES-256-GCM(domain key, PKCS #8 private key) || tag
//
// with the AAD
//
//	[30]_16 || "keyhold/v1/import-wrapping-key" || sealed bytes [0, 2+n) ||
//	[len(region)]_16 || region || [len(key ARN)]_16 || key ARN || token body
//
// so a sealed wrapping key opens only together with its own token, for its
// own key.
const (
	importTokenVersion = 1
	importTokenTag     = "keyhold/v1/import-token"
	tokenIDSize        = 16
	tokenBodySize      = tokenIDSize + 8 + 1 + 1 + sha256.Size

	wrappingKeyVersion = 1
	wrappingKeyTag     = "keyhold/v1/import-wrapping-key"
	maxWrappingKeyLen  = 4 << 10
)

// ImportToken is what an import token says.
type ImportToken struct {
	// ID is the token id, 32 lowercase hex characters
	// (keyhold.ImportParameters.TokenID).
	ID string
	// DomainKeyID names the domain key that seals the token (and its
	// wrapping key).
	DomainKeyID string
	// ValidTo is when the token and its public key expire.
	ValidTo           time.Time
	WrappingAlgorithm string
	WrappingKeySpec   string
	// PublicKeyHash is SHA-256 of the wrapping public key.
	PublicKeyHash [sha256.Size]byte
}

// NewImportTokenID returns a new random token id.
func NewImportTokenID(rand io.Reader) (string, error) {
	var b [tokenIDSize]byte
	if err := readFull(rand, b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// body encodes the token body.
func (t *ImportToken) body() ([]byte, error) {
	id, err := hex.DecodeString(t.ID)
	if err != nil || len(id) != tokenIDSize || hex.EncodeToString(id) != t.ID {
		return nil, fmt.Errorf("hsm: malformed import token id %q", t.ID)
	}
	a, okA := lookupWrappingAlgorithm(t.WrappingAlgorithm)
	s, okS := lookupWrappingKeySpec(t.WrappingKeySpec)
	if !okA || !okS {
		return nil, fmt.Errorf("hsm: import token for %s with %s", t.WrappingAlgorithm, t.WrappingKeySpec)
	}
	b := make([]byte, 0, tokenBodySize)
	b = append(b, id...)
	b = binary.BigEndian.AppendUint64(b, uint64(t.ValidTo.UnixNano()))
	b = append(b, a.code, s.code)
	return append(b, t.PublicKeyHash[:]...), nil
}

var errTokenBody = errors.New("hsm: malformed import token body")

func parseTokenBody(b []byte, domainKeyID string) (*ImportToken, error) {
	if len(b) != tokenBodySize {
		return nil, errTokenBody
	}
	t := &ImportToken{
		ID:          hex.EncodeToString(b[:tokenIDSize]),
		DomainKeyID: domainKeyID,
		ValidTo:     time.Unix(0, int64(binary.BigEndian.Uint64(b[tokenIDSize:]))).UTC(),
	}
	var okA, okS bool
	for _, a := range wrappingAlgorithms {
		if a.code == b[tokenIDSize+8] {
			t.WrappingAlgorithm, okA = a.name, true
		}
	}
	for _, s := range wrappingKeySpecs {
		if s.code == b[tokenIDSize+9] {
			t.WrappingKeySpec, okS = s.name, true
		}
	}
	if !okA || !okS {
		return nil, errTokenBody
	}
	copy(t.PublicKeyHash[:], b[tokenIDSize+10:])
	return t, nil
}

// checkImportBinding checks the identifiers every import format binds.
func checkImportBinding(domainKeyID, region, keyARN string) error {
	switch {
	case !validID(domainKeyID):
		return fmt.Errorf("hsm: malformed domain key id %q", domainKeyID)
	case !validID(region):
		return fmt.Errorf("hsm: malformed region %q", region)
	case !validKeyARN(keyARN) || arnRegion(keyARN) != region:
		return fmt.Errorf("hsm: key ARN %q is not a key ARN of region %q", keyARN, region)
	}
	return nil
}

func importAAD(tag string, header []byte, region, keyARN string, extra []byte) []byte {
	aad := make([]byte, 0, 2+len(tag)+len(header)+2+len(region)+2+len(keyARN)+len(extra))
	aad = appendString16(aad, tag)
	aad = append(aad, header...)
	aad = appendString16(aad, region)
	aad = appendString16(aad, keyARN)
	return append(aad, extra...)
}

// sealImport lays out version || n || id || IV || AES-GCM(plaintext).
func sealImport(rand io.Reader, dk cipher.AEAD, version byte, tag, domainKeyID, region, keyARN string, plaintext, extra []byte) ([]byte, error) {
	if err := checkImportBinding(domainKeyID, region, keyARN); err != nil {
		return nil, err
	}
	n := len(domainKeyID)
	out := make([]byte, 0, 2+n+IVSize+len(plaintext)+TagSize)
	out = append(out, version, byte(n))
	out = append(out, domainKeyID...)
	out = out[:2+n+IVSize]
	if err := readFull(rand, out[2+n:]); err != nil {
		return nil, err
	}
	aad := importAAD(tag, out[:2+n], region, keyARN, extra)
	return dk.Seal(out, out[2+n:2+n+IVSize], plaintext, aad), nil
}

// importHeader returns the domain key id named by a token or sealed
// wrapping key of the given version, and the header length.
func importHeader(b []byte, version byte) (string, int, error) {
	if len(b) < 2 || b[0] != version {
		return "", 0, errors.New("hsm: not an import token or wrapping key of a known version")
	}
	n := int(b[1])
	if len(b) < 2+n+IVSize+TagSize {
		return "", 0, errors.New("hsm: truncated")
	}
	id := string(b[2 : 2+n])
	if !validID(id) {
		return "", 0, errors.New("hsm: malformed domain key id")
	}
	return id, 2 + n, nil
}

// SealImportToken makes the import token t (t.DomainKeyID names dk) for the
// key keyARN in region. It reads the IV from rand.
func SealImportToken(rand io.Reader, dk cipher.AEAD, region, keyARN string, t *ImportToken) ([]byte, error) {
	body, err := t.body()
	if err != nil {
		return nil, err
	}
	return sealImport(rand, dk, importTokenVersion, importTokenTag, t.DomainKeyID, region, keyARN, body, nil)
}

// ImportTokenDomainKeyID returns the id of the domain key a token names, or
// ErrInvalidImportToken.
func ImportTokenDomainKeyID(token []byte) (string, error) {
	id, _, err := importHeader(token, importTokenVersion)
	if err != nil {
		return "", ErrInvalidImportToken
	}
	return id, nil
}

// OpenImportToken authenticates token under dk, the domain key it names,
// for the key keyARN in region. Every failure is ErrInvalidImportToken.
func OpenImportToken(dk cipher.AEAD, region, keyARN string, token []byte) (*ImportToken, error) {
	id, h, err := importHeader(token, importTokenVersion)
	if err != nil || len(token) != h+IVSize+tokenBodySize+TagSize {
		return nil, ErrInvalidImportToken
	}
	if checkImportBinding(id, region, keyARN) != nil {
		return nil, ErrInvalidImportToken
	}
	aad := importAAD(importTokenTag, token[:h], region, keyARN, nil)
	body, err := dk.Open(nil, token[h:h+IVSize], token[h+IVSize:], aad)
	if err != nil {
		return nil, ErrInvalidImportToken
	}
	t, err := parseTokenBody(body, id)
	if err != nil {
		return nil, ErrInvalidImportToken
	}
	return t, nil
}

// SealWrappingKey seals the wrapping private key pkcs8 of token t under
// dk (named by t.DomainKeyID), for the key keyARN in region.
func SealWrappingKey(rand io.Reader, dk cipher.AEAD, region, keyARN string, t *ImportToken, pkcs8 []byte) ([]byte, error) {
	if len(pkcs8) == 0 || len(pkcs8) > maxWrappingKeyLen {
		return nil, errors.New("hsm: wrapping key of the wrong size")
	}
	body, err := t.body()
	if err != nil {
		return nil, err
	}
	return sealImport(rand, dk, wrappingKeyVersion, wrappingKeyTag, t.DomainKeyID, region, keyARN, pkcs8, body)
}

// OpenWrappingKey opens a wrapping key sealed by SealWrappingKey with the
// same token, key and region, and checks that its public key is the one
// the token names. The caller clears the result.
func OpenWrappingKey(dk cipher.AEAD, region, keyARN string, t *ImportToken, sealed []byte) ([]byte, error) {
	id, h, err := importHeader(sealed, wrappingKeyVersion)
	if err != nil {
		return nil, err
	}
	if id != t.DomainKeyID || len(sealed) > h+IVSize+maxWrappingKeyLen+TagSize {
		return nil, errors.New("hsm: sealed wrapping key does not belong to the import token")
	}
	body, err := t.body()
	if err != nil {
		return nil, err
	}
	aad := importAAD(wrappingKeyTag, sealed[:h], region, keyARN, body)
	pkcs8, err := dk.Open(nil, sealed[h:h+IVSize], sealed[h+IVSize:], aad)
	if err != nil {
		return nil, errors.New("hsm: sealed wrapping key does not open: wrong token, key, domain key, or corrupt")
	}
	pub, err := wrappingPublicKey(t.WrappingKeySpec, pkcs8)
	if err != nil || sha256.Sum256(pub) != t.PublicKeyHash {
		clear(pkcs8)
		return nil, errors.New("hsm: sealed wrapping key does not match the import token")
	}
	return pkcs8, nil
}
