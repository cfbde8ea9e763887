package hsm

import (
	"encoding/asn1"
	"errors"
	"io"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// secp256k1Kind is ECC_SECG_P256K1, for signing only. The curve arithmetic
// and ECDSA come from github.com/decred/dcrd/dcrec/secp256k1 (Go's
// standard library has no secp256k1). Material is PKCS #8 with the
// id-ecPublicKey algorithm and the secp256k1 named curve (RFC 5915,
// RFC 5480), which the standard library does not marshal for this curve,
// so this file does the (plain ASN.1) encoding.
type secp256k1Kind struct{}

var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1   = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
)

type secp256k1Key struct {
	priv *secp256k1.PrivateKey
	pub  *secp256k1.PublicKey
	spki []byte
}

// pkcs8 and ecPrivateKey are the ASN.1 structures of RFC 5208 and RFC 5915.
type pkcs8 struct {
	Version    int
	Algorithm  algorithmIdentifier
	PrivateKey []byte
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.ObjectIdentifier
}

type ecPrivateKey struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

type subjectPublicKeyInfo struct {
	Algorithm algorithmIdentifier
	PublicKey asn1.BitString
}

func (secp256k1Kind) generate(rand io.Reader) ([]byte, error) {
	priv, err := secp256k1.GeneratePrivateKeyFromRand(rand)
	if err != nil {
		return nil, err
	}
	defer priv.Zero()
	return marshalSecp256k1PKCS8(priv)
}

func marshalSecp256k1PKCS8(priv *secp256k1.PrivateKey) ([]byte, error) {
	scalar := priv.Key.Bytes()
	defer clear(scalar[:])
	pub := priv.PubKey().SerializeUncompressed()
	inner, err := asn1.Marshal(ecPrivateKey{
		Version:    1,
		PrivateKey: scalar[:],
		PublicKey:  asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)},
	})
	if err != nil {
		return nil, err
	}
	defer clear(inner)
	return asn1.Marshal(pkcs8{
		Algorithm:  algorithmIdentifier{Algorithm: oidECPublicKey, Parameters: oidSecp256k1},
		PrivateKey: inner,
	})
}

var errNotSecp256k1 = errors.New("hsm: material is not an ECC_SECG_P256K1 key")

func (secp256k1Kind) load(material []byte) (Key, error) {
	var p pkcs8
	if rest, err := asn1.Unmarshal(material, &p); err != nil || len(rest) != 0 {
		return nil, errNotSecp256k1
	}
	if p.Version != 0 || !p.Algorithm.Algorithm.Equal(oidECPublicKey) || !p.Algorithm.Parameters.Equal(oidSecp256k1) {
		return nil, errNotSecp256k1
	}
	var ec ecPrivateKey
	if rest, err := asn1.Unmarshal(p.PrivateKey, &ec); err != nil || len(rest) != 0 {
		return nil, errNotSecp256k1
	}
	if ec.Version != 1 || len(ec.PrivateKey) != 32 {
		return nil, errNotSecp256k1
	}
	var scalar secp256k1.ModNScalar
	if overflow := scalar.SetByteSlice(ec.PrivateKey); overflow || scalar.IsZero() {
		return nil, errNotSecp256k1
	}
	priv := secp256k1.NewPrivateKey(&scalar)
	pub := priv.PubKey()
	point := pub.SerializeUncompressed()
	spki, err := asn1.Marshal(subjectPublicKeyInfo{
		Algorithm: algorithmIdentifier{Algorithm: oidECPublicKey, Parameters: oidSecp256k1},
		PublicKey: asn1.BitString{Bytes: point, BitLength: 8 * len(point)},
	})
	if err != nil {
		return nil, err
	}
	return &secp256k1Key{priv: priv, pub: pub, spki: spki}, nil
}

func (k *secp256k1Key) Spec() *Spec       { return specs["ECC_SECG_P256K1"] }
func (k *secp256k1Key) PublicKey() []byte { return k.spki }

// sign returns a DER ECDSA-Sig-Value. The library's signatures use an
// RFC 6979 nonce and a low S; rand is not needed.
func (k *secp256k1Key) sign(_ io.Reader, a *signingAlgorithm, messageType string, msg []byte) ([]byte, error) {
	return secpecdsa.Sign(k.priv, hashMessage(a.hash, messageType, msg)).Serialize(), nil
}

// verify takes a strict DER signature with R and S in [1, N-1]; it accepts
// a high S, as ECDSA does.
func (k *secp256k1Key) verify(a *signingAlgorithm, messageType string, msg, sig []byte) bool {
	s, err := secpecdsa.ParseDERSignature(sig)
	if err != nil {
		return false
	}
	return s.Verify(hashMessage(a.hash, messageType, msg), k.pub)
}
