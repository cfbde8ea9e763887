package hsm

import (
	"crypto"
	"fmt"
	"io"
	"strings"

	"github.com/keyhold/keyhold"
)

// Key usages (AWS KeyUsageType).
const (
	UsageEncryptDecrypt    = "ENCRYPT_DECRYPT"
	UsageSignVerify        = "SIGN_VERIFY"
	UsageGenerateVerifyMAC = "GENERATE_VERIFY_MAC"
	UsageKeyAgreement      = "KEY_AGREEMENT"
)

// Message types of Sign and Verify (AWS MessageType).
const (
	MessageRaw        = "RAW"
	MessageDigest     = "DIGEST"
	MessageExternalMu = "EXTERNAL_MU"
)

// KeyAgreementECDH is the only key agreement algorithm AWS defines.
const KeyAgreementECDH = "ECDH"

// Spec is one key spec as AWS defines it: which key usages a key of the
// spec may have, which algorithms each usage offers, and where the spec
// exists. It holds no key material. The service reads it to validate
// CreateKey and to describe a key; the boundary reads it to generate and
// load key material of the spec.
//
// SYMMETRIC_DEFAULT is a Spec too (for its usages and algorithm), but its
// material is the 32-byte backing key of Boundary.GenerateBackingKey, not a
// KeyType.
type Spec struct {
	// Name is the AWS KeySpec (and, for key pairs, DataKeyPairSpec) value.
	Name string
	// Usages are the key usages a key of this spec may have, each with the
	// algorithms DescribeKey lists for it, in AWS's order.
	Usages []Usage
	// Region restricts where the spec exists: regionChina means only in
	// China regions ("cn-..."), regionNotChina everywhere else.
	region regionRule
	// DataKeyPair reports whether the spec is also a DataKeyPairSpec.
	DataKeyPair bool

	kind keyKind
}

// Usage is a key usage and the algorithms it offers.
type Usage struct {
	Name       string
	Algorithms []string
}

type regionRule int

const (
	regionAny regionRule = iota
	regionChina
	regionNotChina
)

// keyKind is one type of key material: it generates new material and
// loads stored material into a Key. Each kind lives in its own file
// (key_rsa.go, key_ecdsa.go, ...); nothing else in the package switches on
// the key spec.
type keyKind interface {
	// generate returns new key material: a PKCS #8 private key for key
	// pairs, the raw key for HMAC keys.
	generate(rand io.Reader) ([]byte, error)
	// load parses material made by generate. It checks that the material
	// is of this kind (curve, size).
	load(material []byte) (Key, error)
}

// Key is loaded key material of one backing key. It exists only inside the
// crypto boundary. Besides PublicKey, a Key supports those operations
// (signing, asymmetric encryption, MACs, key agreement) that its kind
// offers; the functions Sign, Verify, EncryptAsymmetric, DecryptAsymmetric,
// GenerateMAC, VerifyMAC and DeriveSharedSecret check the request against
// the key's Spec first.
type Key interface {
	// Spec returns the key's spec.
	Spec() *Spec
	// PublicKey returns the DER SubjectPublicKeyInfo of a key pair, nil for
	// an HMAC key.
	PublicKey() []byte
}

// The capabilities a Key may have. Only this package implements them.
type (
	signer interface {
		sign(rand io.Reader, alg *signingAlgorithm, messageType string, msg []byte) ([]byte, error)
		verify(alg *signingAlgorithm, messageType string, msg, sig []byte) bool
	}
	decrypter interface {
		encrypt(rand io.Reader, alg string, plaintext []byte) ([]byte, error)
		decrypt(alg string, ciphertext []byte) ([]byte, error)
	}
	macer interface {
		mac(alg string, msg []byte) []byte
	}
	agreer interface {
		agree(peerPublicKey []byte) ([]byte, error)
	}
)

// signingAlgorithm is one SigningAlgorithmSpec and the message types it
// takes.
type signingAlgorithm struct {
	name string
	// hash is the hash of RAW messages, and its size the length of a
	// DIGEST; 0 for algorithms that hash in their own way (Ed25519,
	// ML-DSA, SM2DSA).
	hash crypto.Hash
	// digestLen is the length of a DIGEST message; 0 if the algorithm
	// takes no DIGEST.
	digestLen int
	// raw and externalMu report whether the algorithm takes RAW and
	// EXTERNAL_MU messages.
	raw, externalMu bool
}

// externalMuSize is the size of an ML-DSA external μ (FIPS 204, 6.2).
const externalMuSize = 64

var signingAlgorithms = map[string]*signingAlgorithm{}

func init() {
	for _, a := range []*signingAlgorithm{
		{name: "RSASSA_PSS_SHA_256", hash: crypto.SHA256, digestLen: 32, raw: true},
		{name: "RSASSA_PSS_SHA_384", hash: crypto.SHA384, digestLen: 48, raw: true},
		{name: "RSASSA_PSS_SHA_512", hash: crypto.SHA512, digestLen: 64, raw: true},
		{name: "RSASSA_PKCS1_V1_5_SHA_256", hash: crypto.SHA256, digestLen: 32, raw: true},
		{name: "RSASSA_PKCS1_V1_5_SHA_384", hash: crypto.SHA384, digestLen: 48, raw: true},
		{name: "RSASSA_PKCS1_V1_5_SHA_512", hash: crypto.SHA512, digestLen: 64, raw: true},
		{name: "ECDSA_SHA_256", hash: crypto.SHA256, digestLen: 32, raw: true},
		{name: "ECDSA_SHA_384", hash: crypto.SHA384, digestLen: 48, raw: true},
		{name: "ECDSA_SHA_512", hash: crypto.SHA512, digestLen: 64, raw: true},
		// Ed25519 signs RAW messages; Ed25519ph takes a SHA-512 digest
		// and, as AWS documents, prehashes it once more (FIPS 186-5,
		// 7.8.1 step 1).
		{name: "ED25519_SHA_512", raw: true},
		{name: "ED25519_PH_SHA_512", digestLen: 64},
		{name: "ML_DSA_SHAKE_256", raw: true, externalMu: true},
		// SM2DSA: RAW is hashed with SM3 over Z_A || M (default
		// distinguishing id); a DIGEST is that SM3 value.
		{name: "SM2DSA", digestLen: 32, raw: true},
	} {
		signingAlgorithms[a.name] = a
	}
}

var specs = map[string]*Spec{}

// The algorithms of each usage, in the order AWS lists them.
var (
	rsaSigning    = []string{"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"}
	rsaEncryption = []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}
	ecdhAgreement = []string{KeyAgreementECDH}
)

func init() {
	for _, s := range []*Spec{
		{Name: keyhold.KeySpecSymmetricDefault, Usages: []Usage{{UsageEncryptDecrypt, []string{keyhold.AlgorithmSymmetric}}}},
		{Name: "RSA_2048", Usages: []Usage{{UsageEncryptDecrypt, rsaEncryption}, {UsageSignVerify, rsaSigning}}, DataKeyPair: true, kind: rsaKind{bits: 2048}},
		{Name: "RSA_3072", Usages: []Usage{{UsageEncryptDecrypt, rsaEncryption}, {UsageSignVerify, rsaSigning}}, DataKeyPair: true, kind: rsaKind{bits: 3072}},
		{Name: "RSA_4096", Usages: []Usage{{UsageEncryptDecrypt, rsaEncryption}, {UsageSignVerify, rsaSigning}}, DataKeyPair: true, kind: rsaKind{bits: 4096}},
		{Name: "ECC_NIST_P256", Usages: []Usage{{UsageSignVerify, []string{"ECDSA_SHA_256"}}, {UsageKeyAgreement, ecdhAgreement}}, DataKeyPair: true, kind: nistP256},
		{Name: "ECC_NIST_P384", Usages: []Usage{{UsageSignVerify, []string{"ECDSA_SHA_384"}}, {UsageKeyAgreement, ecdhAgreement}}, DataKeyPair: true, kind: nistP384},
		{Name: "ECC_NIST_P521", Usages: []Usage{{UsageSignVerify, []string{"ECDSA_SHA_512"}}, {UsageKeyAgreement, ecdhAgreement}}, DataKeyPair: true, kind: nistP521},
		{Name: "ECC_SECG_P256K1", Usages: []Usage{{UsageSignVerify, []string{"ECDSA_SHA_256"}}}, DataKeyPair: true, kind: secp256k1Kind{}},
		{Name: "ECC_NIST_EDWARDS25519", Usages: []Usage{{UsageSignVerify, []string{"ED25519_SHA_512", "ED25519_PH_SHA_512"}}}, DataKeyPair: true, kind: ed25519Kind{}},
		{Name: "ML_DSA_44", Usages: []Usage{{UsageSignVerify, []string{"ML_DSA_SHAKE_256"}}}, kind: mldsa44},
		{Name: "ML_DSA_65", Usages: []Usage{{UsageSignVerify, []string{"ML_DSA_SHAKE_256"}}}, kind: mldsa65},
		{Name: "ML_DSA_87", Usages: []Usage{{UsageSignVerify, []string{"ML_DSA_SHAKE_256"}}}, kind: mldsa87},
		{Name: "SM2", Usages: []Usage{{UsageEncryptDecrypt, []string{"SM2PKE"}}, {UsageSignVerify, []string{"SM2DSA"}}, {UsageKeyAgreement, ecdhAgreement}},
			region: regionChina, DataKeyPair: true, kind: sm2Kind{}},
		{Name: "HMAC_224", Usages: []Usage{{UsageGenerateVerifyMAC, []string{"HMAC_SHA_224"}}}, region: regionNotChina, kind: hmac224},
		{Name: "HMAC_256", Usages: []Usage{{UsageGenerateVerifyMAC, []string{"HMAC_SHA_256"}}}, region: regionNotChina, kind: hmac256},
		{Name: "HMAC_384", Usages: []Usage{{UsageGenerateVerifyMAC, []string{"HMAC_SHA_384"}}}, region: regionNotChina, kind: hmac384},
		{Name: "HMAC_512", Usages: []Usage{{UsageGenerateVerifyMAC, []string{"HMAC_SHA_512"}}}, region: regionNotChina, kind: hmac512},
	} {
		specs[s.Name] = s
	}
}

// LookupSpec returns the spec named name (an AWS KeySpec value).
func LookupSpec(name string) (*Spec, bool) {
	s, ok := specs[name]
	return s, ok
}

// Symmetric reports whether s is SYMMETRIC_DEFAULT, whose material is a
// v1 backing key rather than a KeyType's.
func (s *Spec) Symmetric() bool { return s.kind == nil }

// InRegion reports whether AWS offers the spec in region: SM2 only in
// China regions, HMAC keys everywhere else.
func (s *Spec) InRegion(region string) bool {
	china := strings.HasPrefix(region, "cn-")
	switch s.region {
	case regionChina:
		return china
	case regionNotChina:
		return !china
	}
	return true
}

// Algorithms returns the algorithms a key of this spec with usage offers,
// or nil if the spec does not allow the usage.
func (s *Spec) Algorithms(usage string) []string {
	for _, u := range s.Usages {
		if u.Name == usage {
			return u.Algorithms
		}
	}
	return nil
}

// AllowsUsage reports whether a key of this spec may have usage.
func (s *Spec) AllowsUsage(usage string) bool { return s.Algorithms(usage) != nil }

func (s *Spec) offers(usage, alg string) bool {
	for _, a := range s.Algorithms(usage) {
		if a == alg {
			return true
		}
	}
	return false
}

// Generate returns new key material of the spec. It is called only inside
// the boundary (and for data key pairs, whose private key is returned to
// the caller).
func (s *Spec) Generate(rand io.Reader) ([]byte, error) {
	if s.kind == nil {
		return nil, fmt.Errorf("hsm: %s has no key type", s.Name)
	}
	return s.kind.generate(rand)
}

// Load parses key material of the spec made by Generate.
func (s *Spec) Load(material []byte) (Key, error) {
	if s.kind == nil {
		return nil, fmt.Errorf("hsm: %s has no key type", s.Name)
	}
	return s.kind.load(material)
}

func incompatibleAlgorithm(alg, spec string) error {
	return keyhold.Errorf(keyhold.ErrCodeInvalidKeyUsage, "Algorithm %s is incompatible with key spec %s.", alg, spec)
}

// CheckSign checks a Sign or Verify request against the spec: the
// algorithm must be one the spec offers for SIGN_VERIFY, the message type
// one the algorithm takes ("" means RAW), and a DIGEST or EXTERNAL_MU
// message of the right length. The errors are AWS's.
func (s *Spec) CheckSign(alg, messageType string, msgLen int) error {
	_, err := s.checkSign(alg, messageType, msgLen)
	return err
}

func (s *Spec) checkSign(alg, messageType string, msgLen int) (*signingAlgorithm, error) {
	a := signingAlgorithms[alg]
	if a == nil || !s.offers(UsageSignVerify, alg) {
		return nil, incompatibleAlgorithm(alg, s.Name)
	}
	takes := func(a *signingAlgorithm) bool {
		switch messageType {
		case MessageRaw:
			return a.raw
		case MessageDigest:
			return a.digestLen > 0
		case MessageExternalMu:
			return a.externalMu
		}
		return false
	}
	if !takes(a) {
		// AWS names the key spec when no algorithm of the spec takes
		// the message type (DIGEST for ML-DSA), the algorithm when
		// another algorithm of the spec would (RAW for Ed25519ph).
		for _, other := range s.Algorithms(UsageSignVerify) {
			if takes(signingAlgorithms[other]) {
				return nil, keyhold.Errorf(keyhold.ErrCodeValidation, "Message type %s is incompatible with algorithm %s.", messageType, alg)
			}
		}
		return nil, keyhold.Errorf(keyhold.ErrCodeValidation, "Message type %s is incompatible with key spec %s.", messageType, s.Name)
	}
	switch {
	case messageType == MessageDigest && msgLen != a.digestLen,
		messageType == MessageExternalMu && msgLen != externalMuSize:
		return nil, keyhold.Errorf(keyhold.ErrCodeValidation, "Digest is invalid length for algorithm %s.", alg)
	}
	return a, nil
}

// ErrVerifyExternalMu is returned for Verify with MessageType EXTERNAL_MU.
// The ML-DSA library keyhold uses signs an external μ but offers no way to
// verify one, and keyhold does not write its own ML-DSA.
var ErrVerifyExternalMu = keyhold.NewError(keyhold.ErrCodeUnsupportedOperation,
	"Verify with MessageType EXTERNAL_MU is not supported by keyhold. Verify the signature with the public key from GetPublicKey, or call Verify with the message and MessageType RAW.")

// CheckVerify is CheckSign for Verify, which additionally does not take
// EXTERNAL_MU (see ErrVerifyExternalMu).
func (s *Spec) CheckVerify(alg, messageType string, msgLen int) error {
	if err := s.CheckSign(alg, messageType, msgLen); err != nil {
		return err
	}
	if messageType == MessageExternalMu {
		return ErrVerifyExternalMu
	}
	return nil
}

// MaxPlaintext returns the largest plaintext a key of the spec encrypts
// with alg: for RSAES-OAEP k - 2*hLen - 2 bytes (RFC 8017, 7.1.1), for
// SM2PKE AWS's limit of 1024 bytes.
func (s *Spec) MaxPlaintext(alg string) int {
	if k, ok := s.kind.(rsaKind); ok {
		if h, ok := oaepHash(alg); ok {
			return k.bits/8 - 2*h.Size() - 2
		}
	}
	if alg == "SM2PKE" {
		return sm2MaxPlaintext
	}
	return 0
}

// CheckEncrypt checks an asymmetric Encrypt request: the algorithm must be
// one the spec offers for ENCRYPT_DECRYPT and the plaintext within its
// limit. The errors are AWS's.
func (s *Spec) CheckEncrypt(alg string, plaintextLen int) error {
	if err := s.CheckDecrypt(alg); err != nil {
		return err
	}
	if max := s.MaxPlaintext(alg); plaintextLen > max {
		return keyhold.Errorf(keyhold.ErrCodeValidation,
			"Algorithm %s and key spec %s cannot encrypt data larger than %d bytes.", alg, s.Name, max)
	}
	return nil
}

// CheckDecrypt checks that the spec offers alg for ENCRYPT_DECRYPT.
func (s *Spec) CheckDecrypt(alg string) error {
	if s.Symmetric() || !s.offers(UsageEncryptDecrypt, alg) {
		return incompatibleAlgorithm(alg, s.Name)
	}
	return nil
}

// CheckMAC checks that the spec offers alg for GENERATE_VERIFY_MAC.
func (s *Spec) CheckMAC(alg string) error {
	if !s.offers(UsageGenerateVerifyMAC, alg) {
		return incompatibleAlgorithm(alg, s.Name)
	}
	return nil
}

// CheckKeyAgreement checks that the spec offers alg for KEY_AGREEMENT.
func (s *Spec) CheckKeyAgreement(alg string) error {
	if !s.offers(UsageKeyAgreement, alg) {
		return incompatibleAlgorithm(alg, s.Name)
	}
	return nil
}
