package hsm

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"io"

	gmecdh "github.com/emmansun/gmsm/ecdh"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// sm2Kind is SM2 (China regions only), from github.com/emmansun/gmsm.
// Material is a PKCS #8 EC private key on the sm2p256v1 curve. As in AWS:
//   - SM2DSA signs a RAW message as GM/T 0003.2 does (SM3 over Z_A || M
//     with the default distinguishing id 1234567812345678) or a DIGEST
//     (that SM3 value); signatures are DER;
//   - SM2PKE ciphertexts are the ASN.1 form of GM/T 0009 (C1, C3, C2), at
//     most 1024 bytes of plaintext;
//   - KEY_AGREEMENT is plain ECDH on the SM2 curve.
type sm2Kind struct{}

const sm2MaxPlaintext = 1024

type sm2Key struct {
	priv *sm2.PrivateKey
	spki []byte
}

func (sm2Kind) generate(rand io.Reader) ([]byte, error) {
	priv, err := sm2.GenerateKey(rand)
	if err != nil {
		return nil, err
	}
	return smx509.MarshalPKCS8PrivateKey(priv)
}

var errNotSM2 = errors.New("hsm: material is not an SM2 key")

func (sm2Kind) load(material []byte) (Key, error) {
	parsed, err := smx509.ParsePKCS8PrivateKey(material)
	if err != nil {
		return nil, err
	}
	priv, ok := parsed.(*sm2.PrivateKey)
	if !ok {
		return nil, errNotSM2
	}
	spki, err := smx509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &sm2Key{priv: priv, spki: spki}, nil
}

func (k *sm2Key) Spec() *Spec       { return specs["SM2"] }
func (k *sm2Key) PublicKey() []byte { return k.spki }

func (k *sm2Key) sign(rand io.Reader, _ *signingAlgorithm, messageType string, msg []byte) ([]byte, error) {
	if messageType == MessageDigest {
		return sm2.SignASN1(rand, k.priv, msg, nil)
	}
	return sm2.SignASN1(rand, k.priv, msg, sm2.DefaultSM2SignerOpts)
}

func (k *sm2Key) verify(_ *signingAlgorithm, messageType string, msg, sig []byte) bool {
	if messageType == MessageDigest {
		return sm2.VerifyASN1(&k.priv.PublicKey, msg, sig)
	}
	return sm2.VerifyASN1WithSM2(&k.priv.PublicKey, nil, msg, sig)
}

func (k *sm2Key) encrypt(rand io.Reader, _ string, plaintext []byte) ([]byte, error) {
	return sm2.EncryptASN1(rand, &k.priv.PublicKey, plaintext)
}

func (k *sm2Key) decrypt(_ string, ciphertext []byte) ([]byte, error) {
	return k.priv.Decrypt(nil, ciphertext, sm2.ASN1DecrypterOpts)
}

func (k *sm2Key) agree(peerPublicKey []byte) ([]byte, error) {
	peer, err := sm2Kind{}.parsePeer(peerPublicKey)
	if err != nil {
		return nil, err
	}
	priv, err := k.priv.ECDH()
	if err != nil {
		return nil, err
	}
	return priv.ECDH(peer)
}

// parsePeer parses a peer's DER SubjectPublicKeyInfo, which must be a key
// on the SM2 curve in its canonical encoding (see ecdsaKind.parsePeer).
func (sm2Kind) parsePeer(der []byte) (*gmecdh.PublicKey, error) {
	pub, err := smx509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, ErrInvalidPublicKey
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != sm2.P256() {
		return nil, ErrInvalidPublicKey
	}
	if again, err := smx509.MarshalPKIXPublicKey(ec); err != nil || !bytes.Equal(again, der) {
		return nil, ErrInvalidPublicKey
	}
	p, err := sm2.PublicKeyToECDH(ec)
	if err != nil {
		return nil, ErrInvalidPublicKey
	}
	return p, nil
}

func (k sm2Kind) checkPeer(der []byte) error {
	_, err := k.parsePeer(der)
	return err
}
