package hsm

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"

	"filippo.io/mldsa"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/emmansun/gmsm/sm2"
)

// Known-answer tests of the signature algorithms that come from outside
// Go's FIPS 140-3 module (whose own self-tests cover RSA, ECDSA, ECDH,
// SHA-2 and HMAC): Ed25519 from RFC 8032, and for the third-party
// libraries a deterministic signature fixed when the library was adopted
// (a regression value: it catches a swapped, miscompiled or changed
// implementation) plus the library's own self-test for SM2. Each also
// verifies what it signed.
func init() {
	selfTests = append(selfTests,
		knownAnswerTest{"Ed25519", ed25519KAT},
		knownAnswerTest{"ECDSA secp256k1", secp256k1KAT},
		knownAnswerTest{"ML-DSA-44", mldsaKAT},
		knownAnswerTest{"SM2", sm2.SelfTest},
	)
}

func ed25519KAT() error {
	// RFC 8032, section 7.1, TEST 1.
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	want, _ := hex.DecodeString("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
	priv := ed25519.NewKeyFromSeed(seed)
	sig := ed25519.Sign(priv, nil)
	if !bytes.Equal(sig, want) || !ed25519.Verify(priv.Public().(ed25519.PublicKey), nil, sig) {
		return errKAT
	}
	return nil
}

func katInput(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func secp256k1KAT() error {
	var scalar secp256k1.ModNScalar
	scalar.SetByteSlice(katInput("keyhold secp256k1 self-test key"))
	priv := secp256k1.NewPrivateKey(&scalar)
	hash := katInput("keyhold self-test message")
	want, _ := hex.DecodeString("3045022100f6f5a7aa29672f93e4da988cdc05dbb2ef8629ee43b4f27b85e0551657d4f16502204af989c47701b33c85156c8154e8a237ed47a3fb37c7a4fb9b7bc0ec357c5952")
	sig := secpecdsa.Sign(priv, hash)
	if !bytes.Equal(sig.Serialize(), want) || !sig.Verify(hash, priv.PubKey()) || sig.Verify(katInput("other"), priv.PubKey()) {
		return errKAT
	}
	return nil
}

func mldsaKAT() error {
	sk, err := mldsa.NewPrivateKey(mldsa.MLDSA44(), katInput("keyhold ML-DSA-44 self-test seed"))
	if err != nil {
		return err
	}
	msg := []byte("keyhold self-test message")
	sig, err := sk.SignDeterministic(msg, nil)
	if err != nil {
		return err
	}
	want, _ := hex.DecodeString("f7ecb4c055b9d0bcf02ebe814295254b13684f8e640170b468f3b0a83ab0c071")
	if got := sha256.Sum256(sig); !bytes.Equal(got[:], want) || mldsa.Verify(sk.PublicKey(), msg, sig, nil) != nil {
		return errKAT
	}
	return nil
}
