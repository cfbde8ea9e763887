package hsm

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"fmt"
	"io"
)

// ecdsaKind is ECC_NIST_P256, ECC_NIST_P384 and ECC_NIST_P521: material is
// a PKCS #8 EC private key on the named curve. Such a key signs (ECDSA) or
// agrees (ECDH), as its key usage says.
type ecdsaKind struct {
	spec  string
	curve elliptic.Curve
}

var (
	nistP256 = ecdsaKind{"ECC_NIST_P256", elliptic.P256()}
	nistP384 = ecdsaKind{"ECC_NIST_P384", elliptic.P384()}
	nistP521 = ecdsaKind{"ECC_NIST_P521", elliptic.P521()}
)

// ecdsaKey is a loaded EC key; priv is nil for a public key only.
type ecdsaKey struct {
	spec *Spec
	priv *ecdsa.PrivateKey
	pub  *ecdsa.PublicKey
	spki []byte
}

func (k ecdsaKind) generate(rand io.Reader) ([]byte, error) {
	priv, err := ecdsa.GenerateKey(k.curve, rand)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKCS8PrivateKey(priv)
}

func (k ecdsaKind) load(material []byte) (Key, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(material)
	if err != nil {
		return nil, err
	}
	priv, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != k.curve {
		return nil, fmt.Errorf("hsm: material is not a %s key", k.spec)
	}
	spki, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &ecdsaKey{spec: specs[k.spec], priv: priv, pub: &priv.PublicKey, spki: spki}, nil
}

func (k *ecdsaKey) Spec() *Spec       { return k.spec }
func (k *ecdsaKey) PublicKey() []byte { return k.spki }

// sign returns a DER ECDSA-Sig-Value, as AWS does.
func (k *ecdsaKey) sign(rand io.Reader, a *signingAlgorithm, messageType string, msg []byte) ([]byte, error) {
	return ecdsa.SignASN1(rand, k.priv, hashMessage(a.hash, messageType, msg))
}

func (k *ecdsaKey) verify(a *signingAlgorithm, messageType string, msg, sig []byte) bool {
	return ecdsa.VerifyASN1(k.pub, hashMessage(a.hash, messageType, msg), sig)
}

func (k *ecdsaKey) agree(peerPublicKey []byte) ([]byte, error) {
	peer, err := k.spec.kind.(ecdsaKind).parsePeer(peerPublicKey)
	if err != nil {
		return nil, err
	}
	priv, err := k.priv.ECDH()
	if err != nil {
		return nil, err
	}
	return priv.ECDH(peer)
}

// parsePeer parses a peer's DER SubjectPublicKeyInfo, which must be an EC
// key on the same curve, in its one canonical encoding (named curve,
// uncompressed point, nothing appended or left out): the parser is
// lenient about extra elements, so the key is marshalled again and
// compared.
func (k ecdsaKind) parsePeer(der []byte) (*ecdh.PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, ErrInvalidPublicKey
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != k.curve {
		return nil, ErrInvalidPublicKey
	}
	if again, err := x509.MarshalPKIXPublicKey(ec); err != nil || !bytes.Equal(again, der) {
		return nil, ErrInvalidPublicKey
	}
	p, err := ec.ECDH()
	if err != nil {
		return nil, ErrInvalidPublicKey
	}
	return p, nil
}

func (k ecdsaKind) checkPeer(der []byte) error {
	_, err := k.parsePeer(der)
	return err
}
