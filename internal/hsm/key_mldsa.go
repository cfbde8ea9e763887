package hsm

import (
	"fmt"
	"io"

	"filippo.io/mldsa"
	"filippo.io/mldsa/mldsacrypto"
	mldsax509 "filippo.io/mldsa/x509"
)

// mldsaKind is ML_DSA_44, ML_DSA_65 and ML_DSA_87 (FIPS 204), from
// filippo.io/mldsa. Material is a PKCS #8 ML-DSA private key in seed form
// (RFC 9881). ML_DSA_SHAKE_256 signs a RAW message with pure ML-DSA and an
// empty context, or an EXTERNAL_MU message (the 64-byte μ of FIPS 204,
// 6.2) directly. Signing is hedged (randomized), as FIPS 204 recommends.
type mldsaKind struct {
	spec   string
	params mldsa.Parameters
}

var (
	mldsa44 = mldsaKind{"ML_DSA_44", mldsa.MLDSA44()}
	mldsa65 = mldsaKind{"ML_DSA_65", mldsa.MLDSA65()}
	mldsa87 = mldsaKind{"ML_DSA_87", mldsa.MLDSA87()}
)

// mldsaKey is a loaded ML-DSA key; priv is nil for a public key only.
type mldsaKey struct {
	spec *Spec
	priv *mldsa.PrivateKey
	pub  *mldsa.PublicKey
	spki []byte
}

func (k mldsaKind) generate(rand io.Reader) ([]byte, error) {
	// The seed is read from rand (the boundary's source) rather than
	// left to the library, so an injected source makes keys
	// reproducible in tests.
	var seed [mldsa.PrivateKeySize]byte
	defer clear(seed[:])
	if err := readFull(rand, seed[:]); err != nil {
		return nil, err
	}
	priv, err := mldsa.NewPrivateKey(k.params, seed[:])
	if err != nil {
		return nil, err
	}
	return mldsax509.MarshalPKCS8PrivateKey(priv)
}

func (k mldsaKind) load(material []byte) (Key, error) {
	parsed, err := mldsax509.ParsePKCS8PrivateKey(material)
	if err != nil {
		return nil, err
	}
	priv, ok := parsed.(*mldsa.PrivateKey)
	if !ok || priv.PublicKey().Parameters() != k.params {
		return nil, fmt.Errorf("hsm: material is not an %s key", k.params)
	}
	spki, err := mldsax509.MarshalPKIXPublicKey(priv.PublicKey())
	if err != nil {
		return nil, err
	}
	return &mldsaKey{spec: specs[k.spec], priv: priv, pub: priv.PublicKey(), spki: spki}, nil
}

func (k *mldsaKey) Spec() *Spec       { return k.spec }
func (k *mldsaKey) PublicKey() []byte { return k.spki }

func (k *mldsaKey) sign(rand io.Reader, _ *signingAlgorithm, messageType string, msg []byte) ([]byte, error) {
	if messageType == MessageExternalMu {
		return k.priv.Sign(rand, msg, mldsacrypto.MLDSAMu)
	}
	return k.priv.Sign(rand, msg, nil)
}

func (k *mldsaKey) verify(_ *signingAlgorithm, messageType string, msg, sig []byte) bool {
	if messageType == MessageExternalMu {
		// Unreachable: CheckVerify refuses it (ErrVerifyExternalMu).
		return false
	}
	return mldsa.Verify(k.pub, msg, sig, nil) == nil
}
