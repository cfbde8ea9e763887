package soft

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
)

const asymARN = "arn:aws:kms:us-east-1:111122223333:key/0a0a0a0a-1111-4222-8333-444444444444"

func newKeyMaterial(t *testing.T, b *Boundary, spec string) *keyhold.BackingKey {
	t.Helper()
	bk, err := b.GenerateKeyMaterial(ctx, testRegion, asymARN, spec)
	if err != nil {
		t.Fatal(err)
	}
	if bk.EKT[0] != 2 || bk.KeyARN != asymARN || len(bk.MaterialID) != 64 {
		t.Fatalf("backing key %+v", bk)
	}
	return bk
}

func TestAsymmetricKeys(t *testing.T) {
	b, _, sym := setup(t)
	msg := []byte("message")
	for _, tc := range []struct{ spec, alg string }{
		{"RSA_2048", "RSASSA_PSS_SHA_256"}, {"ECC_NIST_P256", "ECDSA_SHA_256"}, {"ECC_SECG_P256K1", "ECDSA_SHA_256"},
		{"ECC_NIST_EDWARDS25519", "ED25519_SHA_512"}, {"ML_DSA_65", "ML_DSA_SHAKE_256"}, {"SM2", "SM2DSA"},
	} {
		bk := newKeyMaterial(t, b, tc.spec)
		sig, err := b.Sign(ctx, bk, tc.alg, "", msg)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		if err := b.Verify(ctx, bk, tc.alg, hsm.MessageRaw, msg, sig); err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		if err := b.Verify(ctx, bk, tc.alg, hsm.MessageRaw, []byte("other"), sig); !errors.Is(err, hsm.ErrInvalidSignature) {
			t.Fatalf("%s: wrong message: %v", tc.spec, err)
		}
		if pub, err := b.PublicKey(ctx, bk); err != nil || len(pub) == 0 {
			t.Fatalf("%s: PublicKey: %v", tc.spec, err)
		}
		// The material is bound to its key: another ARN does not open it.
		moved := *bk
		moved.KeyARN = testARN("1234abcd-12ab-34cd-56ef-1234567890ab")
		if _, err := b.Sign(ctx, &moved, tc.alg, "", msg); err == nil || keyhold.ErrorCode(err) != keyhold.ErrCodeInternal {
			t.Fatalf("%s: EKT opened for another key: %v", tc.spec, err)
		}
	}
	// Symmetric backing keys are not key pairs.
	if _, err := b.Sign(ctx, sym, "ECDSA_SHA_256", "", msg); err == nil {
		t.Fatal("signed with a symmetric backing key")
	}
	if _, err := b.GenerateKeyMaterial(ctx, testRegion, asymARN, "SYMMETRIC_DEFAULT"); err == nil {
		t.Fatal("GenerateKeyMaterial made SYMMETRIC_DEFAULT material")
	}

	// Encryption, MACs and key agreement.
	rsaKey := newKeyMaterial(t, b, "RSA_3072")
	ct, err := b.EncryptAsymmetric(ctx, rsaKey, "RSAES_OAEP_SHA_256", msg)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := b.DecryptAsymmetric(ctx, rsaKey, "RSAES_OAEP_SHA_256", ct); err != nil || !bytes.Equal(pt, msg) {
		t.Fatalf("DecryptAsymmetric: %v", err)
	}
	if _, err := b.DecryptAsymmetric(ctx, rsaKey, "RSAES_OAEP_SHA_1", ct); !errors.Is(err, hsm.ErrInvalidCiphertext) {
		t.Fatalf("wrong OAEP hash: %v", err)
	}
	hmacKey := newKeyMaterial(t, b, "HMAC_384")
	mac, err := b.GenerateMAC(ctx, hmacKey, "HMAC_SHA_384", msg)
	if err != nil || len(mac) != 48 {
		t.Fatalf("GenerateMAC: %v", err)
	}
	if err := b.VerifyMAC(ctx, hmacKey, "HMAC_SHA_384", msg, mac); err != nil {
		t.Fatal(err)
	}
	if err := b.VerifyMAC(ctx, hmacKey, "HMAC_SHA_384", []byte("x"), mac); !errors.Is(err, hsm.ErrInvalidMAC) {
		t.Fatalf("VerifyMAC of a wrong message: %v", err)
	}
	a, c := newKeyMaterial(t, b, "ECC_NIST_P384"), newKeyMaterial(t, b, "ECC_NIST_P384")
	pa, _ := b.PublicKey(ctx, a)
	pc, _ := b.PublicKey(ctx, c)
	s1, err1 := b.DeriveSharedSecret(ctx, a, "ECDH", pc)
	s2, err2 := b.DeriveSharedSecret(ctx, c, "ECDH", pa)
	if err1 != nil || err2 != nil || !bytes.Equal(s1, s2) || len(s1) != 48 {
		t.Fatalf("ECDH: %v %v", err1, err2)
	}
	if _, err := b.DeriveSharedSecret(ctx, a, "ECDH", []byte("junk")); !errors.Is(err, hsm.ErrInvalidPublicKey) {
		t.Fatalf("junk public key: %v", err)
	}

	// Data key pairs: the private key is encrypted under the symmetric key.
	pair, err := b.GenerateDataKeyPair(ctx, sym, "ECC_NIST_P256", map[string]string{"k": "v"}, true)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(pair.PrivateKeyPlaintext)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&priv.(*ecdsa.PrivateKey).PublicKey)
	if !bytes.Equal(pub, pair.PublicKey) {
		t.Fatal("data key pair: public key does not match")
	}
	if pt, err := b.Decrypt(ctx, sym, pair.PrivateKeyCiphertext, map[string]string{"k": "v"}); err != nil || !bytes.Equal(pt, pair.PrivateKeyPlaintext) {
		t.Fatalf("data key pair ciphertext: %v", err)
	}
	noPlain, err := b.GenerateDataKeyPair(ctx, sym, "RSA_2048", nil, false)
	if err != nil || noPlain.PrivateKeyPlaintext != nil || len(noPlain.PrivateKeyCiphertext) == 0 {
		t.Fatalf("without plaintext: %v", err)
	}
	if _, err := b.GenerateDataKeyPair(ctx, sym, "ML_DSA_44", nil, false); err == nil {
		t.Fatal("ML_DSA_44 is not a data key pair spec")
	}
}

// TestKeyCache checks that a loaded key is reused only for the identical
// EKT and that Close drops the cache.
func TestKeyCache(t *testing.T) {
	b, _, _ := setup(t)
	bk := newKeyMaterial(t, b, "ECC_NIST_P256")
	digest := sha256.Sum256([]byte("m"))
	if _, err := b.Sign(ctx, bk, "ECDSA_SHA_256", hsm.MessageDigest, digest[:]); err != nil {
		t.Fatal(err)
	}
	if len(b.keys.m) != 1 {
		t.Fatalf("cache holds %d keys", len(b.keys.m))
	}
	changed := *bk
	changed.EKT = bytes.Clone(bk.EKT)
	changed.EKT[len(changed.EKT)-1] ^= 1
	if _, err := b.Sign(ctx, &changed, "ECDSA_SHA_256", hsm.MessageDigest, digest[:]); err == nil {
		t.Fatal("a changed EKT was served from the cache")
	}
	b.Close()
	if b.keys.m != nil {
		t.Fatal("Close left loaded keys in the cache")
	}
	if _, err := b.Sign(ctx, bk, "ECDSA_SHA_256", hsm.MessageDigest, digest[:]); err == nil {
		t.Fatal("signed after Close")
	}
}
