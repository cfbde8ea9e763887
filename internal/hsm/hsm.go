// Package hsm is keyhold's crypto boundary. Only code below this package
// ever holds plaintext key material of KMS keys, domain keys or the root of
// trust; everything above it handles sealed blobs (EKTs, wrapped domain keys)
// and opaque identifiers. The only plaintext that crosses the boundary is the
// plaintext that is an output by definition: Decrypt's plaintext, a data
// key's plaintext, GenerateRandom's bytes, and (for SigV4) an access key's
// secret opened with OpenSecret.
//
// The package holds what every backend shares: the Boundary interface, the
// byte formats of everything the boundary emits (ciphertext blobs, EKTs,
// wrapped domain keys, sealed secrets; see docs/ciphertext-format.md), the
// SP 800-108 KDF, and the known-answer self-tests a backend runs at start.
// Backends (internal/hsm/soft, later internal/hsm/pkcs11) hold the keys.
//
// This package imports no keyhold package but the root, and only the
// standard library's cryptography (TestImports holds the rule).
package hsm

import (
	"context"

	"github.com/keyhold/keyhold"
)

// Boundary is the crypto boundary. Implementations: internal/hsm/soft
// (software, default) and, later, internal/hsm/pkcs11.
//
// All methods are safe for concurrent use.
type Boundary interface {
	// Importer imports key material (import.go).
	Importer

	// CreateDomainKey generates a new AES-256 domain key for region, makes
	// it the active domain key of that region inside the boundary, and
	// returns it wrapped by the root of trust for the caller to store.
	CreateDomainKey(ctx context.Context, region string) (*keyhold.DomainKey, error)
	// LoadDomainKeys unwraps stored domain keys into the boundary. For each
	// region the newest one becomes active.
	LoadDomainKeys(ctx context.Context, dks []*keyhold.DomainKey) error
	// HasDomainKey reports whether region has an active domain key loaded.
	HasDomainKey(region string) bool

	// GenerateBackingKey creates new 256-bit symmetric key material for the
	// key keyARN in region, sealed as an EKT under the region's active
	// domain key with keyARN and the new material id bound as AAD. keyARN
	// must be an ARN in region, and region must have a domain key.
	GenerateBackingKey(ctx context.Context, region, keyARN string) (*keyhold.BackingKey, error)

	// Encrypt encrypts plaintext under bk (a backing key of the key
	// bk.KeyARN) and returns a ciphertext blob in format v1 (see
	// docs/ciphertext-format.md), binding the encryption context.
	Encrypt(ctx context.Context, bk *keyhold.BackingKey, plaintext []byte, encryptionContext map[string]string) ([]byte, error)
	// Decrypt opens a ciphertext blob made by Encrypt under bk. A blob that
	// is malformed, names another key or backing key than bk, or fails to
	// authenticate (wrong key, wrong context, tampering) gives an error for
	// which errors.Is(err, ErrInvalidCiphertext) holds; the caller cannot
	// tell these cases apart. Any other error (bk's domain key not loaded,
	// bk's EKT does not open) is an internal error.
	Decrypt(ctx context.Context, bk *keyhold.BackingKey, blob []byte, encryptionContext map[string]string) ([]byte, error)

	// GenerateKeyMaterial creates new key material of keySpec, any spec but
	// SYMMETRIC_DEFAULT (RSA, ECC, Ed25519, ML-DSA, SM2 and HMAC keys; see
	// Spec), for the key keyARN in region, sealed as an EKT (format v2)
	// under the region's active domain key. The private key never leaves
	// the boundary in plaintext.
	GenerateKeyMaterial(ctx context.Context, region, keyARN, keySpec string) (*keyhold.BackingKey, error)
	// PublicKey returns the DER SubjectPublicKeyInfo of the key pair in
	// bk.
	PublicKey(ctx context.Context, bk *keyhold.BackingKey) ([]byte, error)
	// Sign signs message with the private key in bk. messageType is RAW
	// (or ""), DIGEST or EXTERNAL_MU. Requests the key's Spec does not
	// allow give the *keyhold.Error of Spec.CheckSign.
	Sign(ctx context.Context, bk *keyhold.BackingKey, alg, messageType string, message []byte) ([]byte, error)
	// Verify verifies signature; an invalid one gives ErrInvalidSignature.
	Verify(ctx context.Context, bk *keyhold.BackingKey, alg, messageType string, message, signature []byte) error
	// EncryptAsymmetric encrypts plaintext with the public key in bk
	// (RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE). The result is the
	// raw ciphertext of the algorithm, as AWS returns it.
	EncryptAsymmetric(ctx context.Context, bk *keyhold.BackingKey, alg string, plaintext []byte) ([]byte, error)
	// DecryptAsymmetric decrypts with the private key in bk; a ciphertext
	// that does not decrypt gives an error wrapping ErrInvalidCiphertext.
	DecryptAsymmetric(ctx context.Context, bk *keyhold.BackingKey, alg string, ciphertext []byte) ([]byte, error)
	// GenerateMAC returns the HMAC of message under the key in bk.
	GenerateMAC(ctx context.Context, bk *keyhold.BackingKey, alg string, message []byte) ([]byte, error)
	// VerifyMAC checks mac; a wrong one gives ErrInvalidMAC.
	VerifyMAC(ctx context.Context, bk *keyhold.BackingKey, alg string, message, mac []byte) error
	// DeriveSharedSecret runs ECDH with the private key in bk and
	// peerPublicKey (DER SubjectPublicKeyInfo from the caller; an unusable
	// one gives ErrInvalidPublicKey).
	DeriveSharedSecret(ctx context.Context, bk *keyhold.BackingKey, alg string, peerPublicKey []byte) ([]byte, error)
	// GenerateDataKeyPair generates a key pair of keyPairSpec and encrypts
	// its PKCS #8 private key under the symmetric backing key bk with
	// encryptionContext (a ciphertext blob, as Encrypt makes). The
	// plaintext private key is returned only if withPlaintext is set.
	GenerateDataKeyPair(ctx context.Context, bk *keyhold.BackingKey, keyPairSpec string, encryptionContext map[string]string, withPlaintext bool) (*DataKeyPair, error)

	// GenerateRandom returns n random bytes from the boundary's CSPRNG.
	GenerateRandom(ctx context.Context, n int) ([]byte, error)

	// SealSecret encrypts a secret (for example an access key's secret) for
	// storage, bound to label (for example the access key id). OpenSecret
	// reverses it and fails if label differs.
	SealSecret(ctx context.Context, label string, secret []byte) ([]byte, error)
	OpenSecret(ctx context.Context, label string, sealed []byte) ([]byte, error)

	// Close zeroes and releases key material held by the boundary. Every
	// later call but Close fails.
	Close() error
}

// DataKeyPair is a data key pair made by GenerateDataKeyPair.
type DataKeyPair struct {
	// PrivateKeyPlaintext is the PKCS #8 private key; nil unless asked for.
	PrivateKeyPlaintext []byte
	// PrivateKeyCiphertext is the private key encrypted under the KMS key.
	PrivateKeyCiphertext []byte
	// PublicKey is the DER SubjectPublicKeyInfo.
	PublicKey []byte
}
