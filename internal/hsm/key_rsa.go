package hsm

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"

	// Register SHA-1 for RSAES_OAEP_SHA_1.
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// rsaKind is RSA_2048, RSA_3072 and RSA_4096: material is a PKCS #8
// RSAPrivateKey with public exponent 65537.
type rsaKind struct{ bits int }

// rsaKey is a loaded RSA key. priv is nil for a key loaded from a public
// key only (the Wycheproof tests verify with such keys).
type rsaKey struct {
	spec *Spec
	priv *rsa.PrivateKey
	pub  *rsa.PublicKey
	spki []byte
}

func (k rsaKind) generate(rand io.Reader) ([]byte, error) {
	priv, err := rsa.GenerateKey(rand, k.bits)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKCS8PrivateKey(priv)
}

func (k rsaKind) load(material []byte) (Key, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(material)
	if err != nil {
		return nil, err
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok || priv.N.BitLen() != k.bits {
		return nil, fmt.Errorf("hsm: material is not an RSA-%d key", k.bits)
	}
	spki, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &rsaKey{spec: specs[fmt.Sprintf("RSA_%d", k.bits)], priv: priv, pub: &priv.PublicKey, spki: spki}, nil
}

func (k *rsaKey) Spec() *Spec       { return k.spec }
func (k *rsaKey) PublicKey() []byte { return k.spki }

// isPSS reports whether alg is one of the RSASSA_PSS algorithms. AWS uses
// MGF1 with the message hash and a salt as long as the hash.
func isPSS(alg string) bool { return strings.HasPrefix(alg, "RSASSA_PSS") }

func (k *rsaKey) sign(rand io.Reader, a *signingAlgorithm, messageType string, msg []byte) ([]byte, error) {
	digest := hashMessage(a.hash, messageType, msg)
	if isPSS(a.name) {
		return rsa.SignPSS(rand, k.priv, a.hash, digest, &rsa.PSSOptions{SaltLength: a.hash.Size()})
	}
	return rsa.SignPKCS1v15(rand, k.priv, a.hash, digest)
}

func (k *rsaKey) verify(a *signingAlgorithm, messageType string, msg, sig []byte) bool {
	digest := hashMessage(a.hash, messageType, msg)
	if isPSS(a.name) {
		return rsa.VerifyPSS(k.pub, a.hash, digest, sig, &rsa.PSSOptions{SaltLength: a.hash.Size()}) == nil
	}
	return rsa.VerifyPKCS1v15(k.pub, a.hash, digest, sig) == nil
}

// oaepHash returns the hash of an RSAES_OAEP algorithm; AWS uses it for
// both the label hash and MGF1, with an empty label.
func oaepHash(alg string) (crypto.Hash, bool) {
	switch alg {
	case "RSAES_OAEP_SHA_1":
		return crypto.SHA1, true
	case "RSAES_OAEP_SHA_256":
		return crypto.SHA256, true
	}
	return 0, false
}

var errNotOAEP = errors.New("hsm: not an RSAES_OAEP algorithm")

func (k *rsaKey) encrypt(rand io.Reader, alg string, plaintext []byte) ([]byte, error) {
	h, ok := oaepHash(alg)
	if !ok {
		return nil, errNotOAEP
	}
	return rsa.EncryptOAEP(h.New(), rand, k.pub, plaintext, nil)
}

func (k *rsaKey) decrypt(alg string, ciphertext []byte) ([]byte, error) {
	h, ok := oaepHash(alg)
	if !ok {
		return nil, errNotOAEP
	}
	return rsa.DecryptOAEP(h.New(), nil, k.priv, ciphertext, nil)
}

// hashMessage returns the digest a signature covers: h(msg) for a RAW
// message, msg itself for a DIGEST (whose length the spec check has
// verified).
func hashMessage(h crypto.Hash, messageType string, msg []byte) []byte {
	if messageType == MessageDigest {
		return msg
	}
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}
