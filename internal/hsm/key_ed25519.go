package hsm

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"io"
)

// ed25519Kind is ECC_NIST_EDWARDS25519: material is a PKCS #8 Ed25519
// private key (RFC 8410). ED25519_SHA_512 is pure Ed25519 over a RAW
// message; ED25519_PH_SHA_512 is Ed25519ph (RFC 8032, empty context) over
// a DIGEST message, which, as AWS documents, is prehashed once more: the
// signature is Ed25519ph(message = digest), so SHA-512 is applied to the
// caller's digest before signing.
type ed25519Kind struct{}

// ed25519Key is a loaded Ed25519 key; priv is nil for a public key only.
type ed25519Key struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	spki []byte
}

func (ed25519Kind) generate(rand io.Reader) ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, err
	}
	defer clear(priv)
	return x509.MarshalPKCS8PrivateKey(priv)
}

func (ed25519Kind) load(material []byte) (Key, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(material)
	if err != nil {
		return nil, err
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("hsm: material is not an Ed25519 key")
	}
	spki, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	return &ed25519Key{priv: priv, pub: priv.Public().(ed25519.PublicKey), spki: spki}, nil
}

func (k *ed25519Key) Spec() *Spec       { return specs["ECC_NIST_EDWARDS25519"] }
func (k *ed25519Key) PublicKey() []byte { return k.spki }

func (k *ed25519Key) sign(_ io.Reader, a *signingAlgorithm, _ string, msg []byte) ([]byte, error) {
	if a.name == "ED25519_PH_SHA_512" {
		ph := sha512.Sum512(msg)
		return k.priv.Sign(nil, ph[:], &ed25519.Options{Hash: crypto.SHA512})
	}
	return ed25519.Sign(k.priv, msg), nil
}

func (k *ed25519Key) verify(a *signingAlgorithm, _ string, msg, sig []byte) bool {
	pub := k.pub
	if a.name == "ED25519_PH_SHA_512" {
		ph := sha512.Sum512(msg)
		return ed25519.VerifyWithOptions(pub, ph[:], sig, &ed25519.Options{Hash: crypto.SHA512}) == nil
	}
	return ed25519.Verify(pub, msg, sig)
}
