package hsm

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/keyhold/keyhold"
)

// Importing key material (AWS "bring your own key"). The caller wraps its
// key material under a public key the boundary issues with an import token
// (GetParametersForImport); the boundary unwraps it with the private key,
// which it never lets out except sealed under a domain key, checks that it
// fits the key spec and seals it as an EKT like generated material. The
// token, the sealed wrapping key and the formats are in importtoken.go.

// Importer is the part of the crypto boundary that imports key material.
type Importer interface {
	// GenerateImportParameters creates a wrapping key pair of
	// wrappingKeySpec for wrappingAlgorithm and an import token for the
	// key keyARN in region, valid until validTo. It returns the public key
	// (DER SubjectPublicKeyInfo), the token, and the parameters to store:
	// the private key sealed under the region's active domain key, bound
	// to the key and the token.
	GenerateImportParameters(ctx context.Context, region, keyARN, wrappingAlgorithm, wrappingKeySpec string, validTo time.Time) (*GeneratedImportParameters, error)
	// OpenImportToken authenticates an import token for the key keyARN in
	// region and returns what it says. A token that is malformed, forged
	// or made for another key gives ErrInvalidImportToken. It does not
	// check ValidTo: the caller does, with its clock.
	OpenImportToken(ctx context.Context, region, keyARN string, token []byte) (*ImportToken, error)
	// ImportKeyMaterial unwraps key material with the wrapping key of the
	// request's parameters, checks that it fits the key spec and returns
	// it as a backing key sealed under the region's active domain key. Its
	// material id is ImportedMaterialID of the key and the material, so
	// the same material always gets the same id. Errors for the caller's
	// input: ErrInvalidImportToken, ErrExpiredImportToken, an error
	// wrapping ErrInvalidCiphertext (the wrapped material does not
	// unwrap), and IncorrectKeyMaterialException (*keyhold.Error) for
	// material that does not fit the key spec.
	ImportKeyMaterial(ctx context.Context, req *ImportRequest) (*keyhold.BackingKey, error)
}

// GeneratedImportParameters is what GenerateImportParameters returns.
type GeneratedImportParameters struct {
	// Parameters are for the store; TokenID names them.
	Parameters *keyhold.ImportParameters
	// PublicKey is the DER SubjectPublicKeyInfo of the wrapping key.
	PublicKey []byte
	// ImportToken is the opaque token for the caller.
	ImportToken []byte
}

// ImportRequest is one ImportKeyMaterial call of the boundary.
type ImportRequest struct {
	Region, KeyARN, KeySpec string
	ImportToken             []byte
	// Parameters are the stored parameters of the token.
	Parameters           *keyhold.ImportParameters
	EncryptedKeyMaterial []byte
}

// The import errors the caller can cause. The messages are keyhold's: AWS
// documents these exceptions but no recorded response shows their text.
var (
	ErrInvalidImportToken error = keyhold.NewError(keyhold.ErrCodeInvalidImportToken,
		"The import token is not valid for this KMS key. Use the import token from the same GetParametersForImport response as the public key.")
	ErrExpiredImportToken error = keyhold.NewError(keyhold.ErrCodeExpiredImportToken,
		"The import token has expired. Use GetParametersForImport to get a new import token and public key.")
)

// Wrapping algorithms (AWS AlgorithmSpec) and wrapping key specs (AWS
// WrappingKeySpec).
const (
	WrappingRSAESPKCS1V15       = "RSAES_PKCS1_V1_5"
	WrappingRSAESOAEPSHA1       = "RSAES_OAEP_SHA_1"
	WrappingRSAESOAEPSHA256     = "RSAES_OAEP_SHA_256"
	WrappingRSAAESKeyWrapSHA1   = "RSA_AES_KEY_WRAP_SHA_1"
	WrappingRSAAESKeyWrapSHA256 = "RSA_AES_KEY_WRAP_SHA_256"
	WrappingSM2PKE              = "SM2PKE"
)

// wrappingAlgorithm is one AlgorithmSpec keyhold accepts.
type wrappingAlgorithm struct {
	code byte // in import tokens
	name string
	// hash is the OAEP hash (label hash and MGF1) of the RSA algorithms.
	hash crypto.Hash
	// aesKeyWrap: the ciphertext is RSAES-OAEP(ephemeral AES-256 key)
	// followed by AES-KWP(ephemeral key, material).
	aesKeyWrap bool
	sm2        bool
}

var wrappingAlgorithms = []wrappingAlgorithm{
	{code: 1, name: WrappingRSAESOAEPSHA1, hash: crypto.SHA1},
	{code: 2, name: WrappingRSAESOAEPSHA256, hash: crypto.SHA256},
	{code: 3, name: WrappingRSAAESKeyWrapSHA1, hash: crypto.SHA1, aesKeyWrap: true},
	{code: 4, name: WrappingRSAAESKeyWrapSHA256, hash: crypto.SHA256, aesKeyWrap: true},
	{code: 5, name: WrappingSM2PKE, sm2: true},
}

// wrappingKeySpec is one WrappingKeySpec.
type wrappingKeySpec struct {
	code byte
	name string
	bits int // RSA modulus size; 0 for SM2
}

var wrappingKeySpecs = []wrappingKeySpec{
	{code: 1, name: "RSA_2048", bits: 2048},
	{code: 2, name: "RSA_3072", bits: 3072},
	{code: 3, name: "RSA_4096", bits: 4096},
	{code: 4, name: "SM2"},
}

func lookupWrappingAlgorithm(name string) (wrappingAlgorithm, bool) {
	for _, a := range wrappingAlgorithms {
		if a.name == name {
			return a, true
		}
	}
	return wrappingAlgorithm{}, false
}

func lookupWrappingKeySpec(name string) (wrappingKeySpec, bool) {
	for _, s := range wrappingKeySpecs {
		if s.name == name {
			return s, true
		}
	}
	return wrappingKeySpec{}, false
}

// CheckWrapping checks a GetParametersForImport request's wrapping
// algorithm and wrapping key spec against each other and the region, as
// AWS states the rules: SM2 and SM2PKE (together) only in China regions,
// the RSA_AES_KEY_WRAP algorithms everywhere else, and no more
// RSAES_PKCS1_V1_5 (AWS stopped supporting it on 10 October 2023). The
// service answers the region rules with the enum validation error first
// (it knows the request member names); these errors are the rest.
func CheckWrapping(region, alg, spec string) error {
	if alg == WrappingRSAESPKCS1V15 {
		return keyhold.NewError(keyhold.ErrCodeUnsupportedOperation,
			"The RSAES_PKCS1_V1_5 wrapping algorithm is not supported. Use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1 or an RSA_AES_KEY_WRAP algorithm.")
	}
	a, okA := lookupWrappingAlgorithm(alg)
	s, okS := lookupWrappingKeySpec(spec)
	china := strings.HasPrefix(region, "cn-")
	switch {
	case !okA || !okS:
		return keyhold.Errorf(keyhold.ErrCodeValidation, "Wrapping algorithm %s with wrapping key spec %s is not supported.", alg, spec)
	case a.sm2 != (s.bits == 0):
		return keyhold.Errorf(keyhold.ErrCodeValidation,
			"Wrapping algorithm %s is not compatible with wrapping key spec %s.", alg, spec)
	case a.sm2 && !china, a.aesKeyWrap && china:
		return keyhold.Errorf(keyhold.ErrCodeValidation,
			"Wrapping algorithm %s is not supported in region %s.", alg, region)
	}
	return nil
}

// NewWrappingKey generates a wrapping key pair of spec (RSA_2048,
// RSA_3072, RSA_4096 or SM2) and returns its PKCS #8 private key and DER
// SubjectPublicKeyInfo. The caller clears the private key.
func NewWrappingKey(rand io.Reader, spec string) (pkcs8, spki []byte, err error) {
	s, ok := lookupWrappingKeySpec(spec)
	if !ok {
		return nil, nil, fmt.Errorf("hsm: unknown wrapping key spec %q", spec)
	}
	if s.bits == 0 {
		priv, err := sm2.GenerateKey(rand)
		if err != nil {
			return nil, nil, err
		}
		if pkcs8, err = smx509.MarshalPKCS8PrivateKey(priv); err != nil {
			return nil, nil, err
		}
		spki, err = smx509.MarshalPKIXPublicKey(&priv.PublicKey)
		return pkcs8, spki, err
	}
	priv, err := rsa.GenerateKey(rand, s.bits)
	if err != nil {
		return nil, nil, err
	}
	if pkcs8, err = x509.MarshalPKCS8PrivateKey(priv); err != nil {
		return nil, nil, err
	}
	spki, err = x509.MarshalPKIXPublicKey(&priv.PublicKey)
	return pkcs8, spki, err
}

// wrappingPublicKey returns the DER SubjectPublicKeyInfo of a wrapping
// private key made by NewWrappingKey.
func wrappingPublicKey(spec string, pkcs8 []byte) ([]byte, error) {
	s, ok := lookupWrappingKeySpec(spec)
	if !ok {
		return nil, fmt.Errorf("hsm: unknown wrapping key spec %q", spec)
	}
	if s.bits == 0 {
		priv, err := parseSM2WrappingKey(pkcs8)
		if err != nil {
			return nil, err
		}
		return smx509.MarshalPKIXPublicKey(&priv.PublicKey)
	}
	priv, err := parseRSAWrappingKey(pkcs8, s.bits)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKIXPublicKey(&priv.PublicKey)
}

func parseRSAWrappingKey(pkcs8 []byte, bits int) (*rsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		return nil, err
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok || priv.N.BitLen() != bits {
		return nil, fmt.Errorf("hsm: wrapping key is not an RSA-%d key", bits)
	}
	return priv, nil
}

func parseSM2WrappingKey(pkcs8 []byte) (*sm2.PrivateKey, error) {
	k, err := smx509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		return nil, err
	}
	priv, ok := k.(*sm2.PrivateKey)
	if !ok {
		return nil, errors.New("hsm: wrapping key is not an SM2 key")
	}
	return priv, nil
}

// importAESKeySize is the size of the ephemeral AES key of the
// RSA_AES_KEY_WRAP algorithms: AWS's procedure generates a 256-bit key
// (`openssl rand 32`) and wraps with id-aes256-wrap-pad.
const importAESKeySize = 32

// maxImportedMaterial bounds unwrapped key material; the largest genuine
// material, an RSA-4096 PKCS #8 key, is about 2.4 KiB.
const maxImportedMaterial = 8 << 10

var errUnwrap = fmt.Errorf("%w: the key material does not unwrap with the wrapping key and algorithm of the import token", ErrInvalidCiphertext)

// UnwrapKeyMaterial decrypts key material wrapped with alg under the
// public half of the wrapping key pkcs8 (of wrapping key spec spec):
//
//   - RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256: RSAES-OAEP (RFC 8017) with the
//     hash for both the label and MGF1 and an empty label;
//   - RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256: the first k bytes
//     (k = the modulus size) are RSAES-OAEP of a 256-bit AES key, the rest
//     AES-KWP (RFC 5649) of the material under that key, as the PKCS #11
//     mechanism CKM_RSA_AES_KEY_WRAP and AWS's openssl procedure make it;
//   - SM2PKE: SM2 public key encryption, ASN.1 form (GM/T 0009).
//
// Any failure to unwrap is an error wrapping ErrInvalidCiphertext, whatever
// its cause, so the caller learns nothing about the padding. The caller
// clears the material.
func UnwrapKeyMaterial(spec, alg string, pkcs8, ciphertext []byte) ([]byte, error) {
	a, okA := lookupWrappingAlgorithm(alg)
	s, okS := lookupWrappingKeySpec(spec)
	if !okA || !okS || a.sm2 != (s.bits == 0) {
		return nil, fmt.Errorf("hsm: wrapping algorithm %q with wrapping key spec %q", alg, spec)
	}
	var material []byte
	if a.sm2 {
		priv, err := parseSM2WrappingKey(pkcs8)
		if err != nil {
			return nil, err
		}
		m, err := priv.Decrypt(nil, ciphertext, sm2.ASN1DecrypterOpts)
		if err != nil {
			return nil, errUnwrap
		}
		material = m
	} else {
		priv, err := parseRSAWrappingKey(pkcs8, s.bits)
		if err != nil {
			return nil, err
		}
		k := priv.Size()
		if !a.aesKeyWrap {
			m, err := rsa.DecryptOAEP(a.hash.New(), nil, priv, ciphertext, nil)
			if err != nil {
				return nil, errUnwrap
			}
			material = m
		} else {
			if len(ciphertext) <= k {
				return nil, errUnwrap
			}
			aesKey, err := rsa.DecryptOAEP(a.hash.New(), nil, priv, ciphertext[:k], nil)
			if err != nil || len(aesKey) != importAESKeySize {
				clear(aesKey)
				return nil, errUnwrap
			}
			m, err := UnwrapKeyWithPadding(aesKey, ciphertext[k:])
			clear(aesKey)
			if err != nil {
				return nil, errUnwrap
			}
			material = m
		}
	}
	if len(material) == 0 || len(material) > maxImportedMaterial {
		clear(material)
		return nil, errUnwrap
	}
	return material, nil
}

// ImportedSymmetricKeySize returns the size of SYMMETRIC_DEFAULT key
// material AWS accepts for import in region: 256 bits, but 128 bits in
// China regions, where AWS's symmetric keys are SM4 keys.
func ImportedSymmetricKeySize(region string) int {
	if strings.HasPrefix(region, "cn-") {
		return 16
	}
	return KeySize
}

// labelImportedSM4 derives keyhold's 256-bit backing key from 128-bit
// material imported in a China region. keyhold encrypts with AES-256-GCM
// in every region; the derivation keeps the import rules of AWS and makes
// the same material always give the same backing key.
var labelImportedSM4 = []byte("keyhold/v1/import/cn-128-bit-symmetric-key")

func incorrectMaterial(format string, args ...any) error {
	return keyhold.Errorf(keyhold.ErrCodeIncorrectKeyMaterial, format, args...)
}

// ImportedMaterial is key material that passed CheckImportedMaterial.
type ImportedMaterial struct {
	// Sealable is what the boundary seals: the 32-byte backing key of a
	// symmetric key, the HMAC key, or the PKCS #8 private key as the
	// caller sent it.
	Sealable []byte
	// MaterialID is ImportedMaterialID of the key and the material.
	MaterialID string
}

// CheckImportedMaterial checks that unwrapped material fits spec in region
// and returns it ready to seal, with its material id:
//
//   - SYMMETRIC_DEFAULT: exactly 32 bytes (16 in China regions);
//   - HMAC_*: the key lengths AWS accepts (HMAC_224 28..64 bytes, HMAC_256
//     32..64, HMAC_384 48..128, HMAC_512 64..128);
//   - key pairs: a PKCS #8 DER private key of exactly the spec (curve,
//     modulus size, algorithm), as the spec's loader checks it.
//
// Material that does not fit is IncorrectKeyMaterialException.
func CheckImportedMaterial(spec *Spec, region, keyARN string, material []byte) (*ImportedMaterial, error) {
	if spec.Symmetric() {
		want := ImportedSymmetricKeySize(region)
		if len(material) != want {
			return nil, incorrectMaterial("The key material for a %s KMS key must be a %d-bit symmetric key (%d bytes), not %d bytes.",
				spec.Name, 8*want, want, len(material))
		}
		hbk := append([]byte(nil), material...)
		if want != KeySize {
			clear(hbk)
			var err error
			if hbk, err = KBKDF(material, labelImportedSM4, []byte(keyARN), KeySize); err != nil {
				return nil, err
			}
		}
		return &ImportedMaterial{Sealable: hbk, MaterialID: ImportedMaterialID(keyARN, spec.Name, material)}, nil
	}
	k, err := spec.Load(material)
	if err != nil {
		if kind, ok := spec.kind.(hmacKind); ok {
			return nil, incorrectMaterial("The key material for a %s KMS key must be %d to %d bytes, not %d bytes.",
				spec.Name, kind.min, kind.max, len(material))
		}
		return nil, incorrectMaterial("The key material for a %s KMS key must be a PKCS #8 DER-encoded %s private key.", spec.Name, spec.Name)
	}
	identity := material
	if pub := k.PublicKey(); pub != nil {
		// A key pair is the same material exactly when its public key is
		// the same, whatever optional fields its PKCS #8 encoding has.
		identity = pub
	}
	return &ImportedMaterial{
		Sealable:   append([]byte(nil), material...),
		MaterialID: ImportedMaterialID(keyARN, spec.Name, identity),
	}, nil
}

const materialIDTag = "keyhold/v1/imported-material-id"

// ImportedMaterialID returns the material id of imported material:
//
//	hex(HMAC-SHA256(identity, [len]_16 || "keyhold/v1/imported-material-id" ||
//	    [len]_16 || key spec || [len]_16 || key ARN))
//
// where identity is the symmetric or HMAC key itself, or the DER public
// key of a key pair. As AWS describes its KeyMaterialId, it depends only
// on the KMS key and the material: importing the same material into the
// same key gives the same id, other material (or another key) another.
// Keyed by the material, it reveals nothing of a secret key.
func ImportedMaterialID(keyARN, spec string, identity []byte) string {
	m := hmac.New(sha256.New, identity)
	var msg []byte
	msg = appendString16(msg, materialIDTag)
	msg = appendString16(msg, spec)
	msg = appendString16(msg, keyARN)
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}
