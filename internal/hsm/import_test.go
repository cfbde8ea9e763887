package hsm

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

func TestCheckWrapping(t *testing.T) {
	for _, tc := range []struct {
		region, alg, spec string
		code              string // "" for accepted
	}{
		{"us-east-1", "RSAES_OAEP_SHA_1", "RSA_2048", ""},
		{"us-east-1", "RSAES_OAEP_SHA_256", "RSA_4096", ""},
		{"us-east-1", "RSA_AES_KEY_WRAP_SHA_1", "RSA_3072", ""},
		{"us-east-1", "RSA_AES_KEY_WRAP_SHA_256", "RSA_2048", ""},
		{"cn-north-1", "SM2PKE", "SM2", ""},
		{"cn-north-1", "RSAES_OAEP_SHA_256", "RSA_2048", ""},
		{"us-east-1", "RSAES_PKCS1_V1_5", "RSA_2048", keyhold.ErrCodeUnsupportedOperation},
		{"cn-north-1", "RSAES_PKCS1_V1_5", "SM2", keyhold.ErrCodeUnsupportedOperation},
		{"us-east-1", "SM2PKE", "SM2", keyhold.ErrCodeValidation},
		{"cn-north-1", "RSA_AES_KEY_WRAP_SHA_256", "RSA_2048", keyhold.ErrCodeValidation},
		{"cn-north-1", "SM2PKE", "RSA_2048", keyhold.ErrCodeValidation},
		{"cn-north-1", "RSAES_OAEP_SHA_1", "SM2", keyhold.ErrCodeValidation},
		{"us-east-1", "RSAES_OAEP_SHA_384", "RSA_2048", keyhold.ErrCodeValidation},
		{"us-east-1", "RSAES_OAEP_SHA_1", "RSA_1024", keyhold.ErrCodeValidation},
	} {
		err := CheckWrapping(tc.region, tc.alg, tc.spec)
		if tc.code == "" && err != nil || tc.code != "" && keyhold.ErrorCode(err) != tc.code {
			t.Errorf("CheckWrapping(%s, %s, %s) = %v, want %q", tc.region, tc.alg, tc.spec, err, tc.code)
		}
	}
}

func testToken(t *testing.T, pub []byte) *ImportToken {
	t.Helper()
	id, err := NewImportTokenID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &ImportToken{ID: id, DomainKeyID: "dk-1", ValidTo: time.Unix(1900000000, 123456789).UTC(),
		WrappingAlgorithm: WrappingRSAESOAEPSHA256, WrappingKeySpec: "RSA_2048", PublicKeyHash: sha256.Sum256(pub)}
}

// TestImportToken checks the token's round trip, its length, and that it
// opens only under its domain key, for its region and key, unchanged.
func TestImportToken(t *testing.T) {
	dk := testAEAD(t, 1)
	tok := testToken(t, []byte("public key"))
	b, err := SealImportToken(testRand(), dk, "us-east-1", testARN, tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 88+len("dk-1") {
		t.Fatalf("token is %d bytes", len(b))
	}
	if bytes.Contains(b, mustHex(t, tok.ID)) || bytes.Contains(b, tok.PublicKeyHash[:]) {
		t.Fatal("the token shows its body in the clear")
	}
	got, err := OpenImportToken(dk, "us-east-1", testARN, b)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *tok {
		t.Fatalf("OpenImportToken = %+v, want %+v", got, tok)
	}
	if id, err := ImportTokenDomainKeyID(b); err != nil || id != "dk-1" {
		t.Fatalf("ImportTokenDomainKeyID = %q, %v", id, err)
	}
	other := strings.Replace(testARN, "1234abcd", "1234abce", 1)
	for name, open := range map[string]func() (*ImportToken, error){
		"other key":        func() (*ImportToken, error) { return OpenImportToken(dk, "us-east-1", other, b) },
		"other region":     func() (*ImportToken, error) { return OpenImportToken(dk, "us-west-2", testARN, b) },
		"other domain key": func() (*ImportToken, error) { return OpenImportToken(testAEAD(t, 2), "us-east-1", testARN, b) },
		"truncated":        func() (*ImportToken, error) { return OpenImportToken(dk, "us-east-1", testARN, b[:len(b)-1]) },
		"extended": func() (*ImportToken, error) {
			return OpenImportToken(dk, "us-east-1", testARN, append(bytes.Clone(b), 0))
		},
	} {
		if _, err := open(); !errors.Is(err, ErrInvalidImportToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for i := range b {
		bad := bytes.Clone(b)
		bad[i] ^= 0x40
		if _, err := OpenImportToken(dk, "us-east-1", testARN, bad); !errors.Is(err, ErrInvalidImportToken) {
			t.Fatalf("byte %d changed: %v", i, err)
		}
	}
	tok.ID = "not hex"
	if _, err := SealImportToken(testRand(), dk, "us-east-1", testARN, tok); err == nil {
		t.Fatal("sealed a token with a malformed id")
	}
}

// TestWrappingKey checks that a sealed wrapping key opens only with its
// own token and key, and only if its public key is the token's.
func TestWrappingKey(t *testing.T) {
	rsaKey, sm2Key := loadImportFuzzKeys(t)
	pub, err := wrappingPublicKey("RSA_2048", rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	dk := testAEAD(t, 1)
	tok := testToken(t, pub)
	sealed, err := SealWrappingKey(testRand(), dk, "us-east-1", testARN, tok, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, rsaKey[len(rsaKey)-64:]) {
		t.Fatal("the sealed wrapping key shows the private key")
	}
	got, err := OpenWrappingKey(dk, "us-east-1", testARN, tok, sealed)
	if err != nil || !bytes.Equal(got, rsaKey) {
		t.Fatalf("OpenWrappingKey: %v", err)
	}
	otherToken := *tok
	otherToken.ID = "ffffffffffffffffffffffffffffffff"
	otherAlg := *tok
	otherAlg.WrappingAlgorithm = WrappingRSAESOAEPSHA1
	later := *tok
	later.ValidTo = later.ValidTo.Add(time.Hour)
	for name, open := range map[string]func() ([]byte, error){
		"other token":     func() ([]byte, error) { return OpenWrappingKey(dk, "us-east-1", testARN, &otherToken, sealed) },
		"other algorithm": func() ([]byte, error) { return OpenWrappingKey(dk, "us-east-1", testARN, &otherAlg, sealed) },
		"other ValidTo":   func() ([]byte, error) { return OpenWrappingKey(dk, "us-east-1", testARN, &later, sealed) },
		"other key":       func() ([]byte, error) { return OpenWrappingKey(dk, "us-east-1", testARN+"0", tok, sealed) },
		"truncated":       func() ([]byte, error) { return OpenWrappingKey(dk, "us-east-1", testARN, tok, sealed[:len(sealed)-1]) },
	} {
		if _, err := open(); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	// A token whose public key hash is not the sealed key's.
	wrongPub := *tok
	wrongPub.PublicKeyHash = sha256.Sum256([]byte("another key"))
	sealed2, err := SealWrappingKey(testRand(), dk, "us-east-1", testARN, &wrongPub, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWrappingKey(dk, "us-east-1", testARN, &wrongPub, sealed2); err == nil {
		t.Fatal("opened a wrapping key whose public key is not the token's")
	}
	// SM2 wrapping keys.
	sm2Pub, err := wrappingPublicKey("SM2", sm2Key)
	if err != nil {
		t.Fatal(err)
	}
	st := testToken(t, sm2Pub)
	st.WrappingAlgorithm, st.WrappingKeySpec = WrappingSM2PKE, "SM2"
	s3, err := SealWrappingKey(testRand(), dk, "cn-north-1", strings.Replace(testARN, "us-east-1", "cn-north-1", 1), st, sm2Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWrappingKey(dk, "cn-north-1", strings.Replace(testARN, "us-east-1", "cn-north-1", 1), st, s3); err != nil {
		t.Fatal(err)
	}
}

func TestNewWrappingKey(t *testing.T) {
	for _, spec := range []string{"RSA_2048", "SM2"} {
		priv, pub, err := NewWrappingKey(rand.Reader, spec)
		if err != nil {
			t.Fatal(err)
		}
		again, err := wrappingPublicKey(spec, priv)
		if err != nil || !bytes.Equal(again, pub) {
			t.Fatalf("%s: public key of the private key: %v", spec, err)
		}
	}
	if _, _, err := NewWrappingKey(rand.Reader, "RSA_1024"); err == nil {
		t.Fatal("made an RSA_1024 wrapping key")
	}
}

func TestUnwrapKeyMaterial(t *testing.T) {
	rsaKey, _ := loadImportFuzzKeys(t)
	k, err := x509.ParsePKCS8PrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := &k.(*rsa.PrivateKey).PublicKey
	material := bytes.Repeat([]byte{0x5a}, 45)
	oaep := func(m []byte) []byte {
		ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	kwp := func(aesKey, m []byte) []byte {
		w, err := WrapKeyWithPadding(aesKey, m)
		if err != nil {
			t.Fatal(err)
		}
		return append(oaep(aesKey), w...)
	}
	aesKey := bytes.Repeat([]byte{1}, 32)
	got, err := UnwrapKeyMaterial("RSA_2048", WrappingRSAESOAEPSHA256, rsaKey, oaep(material))
	if err != nil || !bytes.Equal(got, material) {
		t.Fatalf("RSAES_OAEP_SHA_256: %x, %v", got, err)
	}
	got, err = UnwrapKeyMaterial("RSA_2048", WrappingRSAAESKeyWrapSHA256, rsaKey, kwp(aesKey, material))
	if err != nil || !bytes.Equal(got, material) {
		t.Fatalf("RSA_AES_KEY_WRAP_SHA_256: %x, %v", got, err)
	}
	for name, tc := range map[string]struct {
		alg string
		ct  []byte
	}{
		"OAEP under the other hash": {WrappingRSAESOAEPSHA1, oaep(material)},
		"OAEP as RSA_AES":           {WrappingRSAAESKeyWrapSHA256, oaep(material)},
		"RSA_AES as OAEP":           {WrappingRSAESOAEPSHA256, kwp(aesKey, material)},
		"128-bit AES key":           {WrappingRSAAESKeyWrapSHA256, kwp(aesKey[:16], material)},
		"garbage":                   {WrappingRSAESOAEPSHA256, bytes.Repeat([]byte{0xff}, 256)},
		"empty":                     {WrappingRSAESOAEPSHA256, nil},
		"KWP damaged": {WrappingRSAAESKeyWrapSHA256, func() []byte {
			b := kwp(aesKey, material)
			b[len(b)-1] ^= 1
			return b
		}()},
	} {
		if _, err := UnwrapKeyMaterial("RSA_2048", tc.alg, rsaKey, tc.ct); !errors.Is(err, ErrInvalidCiphertext) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := UnwrapKeyMaterial("SM2", WrappingRSAESOAEPSHA256, rsaKey, oaep(material)); err == nil || errors.Is(err, ErrInvalidCiphertext) {
		t.Errorf("mismatched spec and algorithm: %v", err)
	}
}

func TestCheckImportedMaterial(t *testing.T) {
	spec := func(name string) *Spec {
		s, ok := LookupSpec(name)
		if !ok {
			t.Fatal(name)
		}
		return s
	}
	gen := func(name string) []byte {
		m, err := spec(name).Generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	cnARN := strings.Replace(testARN, "us-east-1", "cn-north-1", 1)
	p256, p384, rsa2048 := gen("ECC_NIST_P256"), gen("ECC_NIST_P384"), gen("RSA_2048")
	for _, tc := range []struct {
		spec, region, arn string
		material          []byte
		ok                bool
	}{
		{"SYMMETRIC_DEFAULT", "us-east-1", testARN, make([]byte, 32), true},
		{"SYMMETRIC_DEFAULT", "us-east-1", testARN, make([]byte, 16), false},
		{"SYMMETRIC_DEFAULT", "us-east-1", testARN, make([]byte, 33), false},
		{"SYMMETRIC_DEFAULT", "cn-north-1", cnARN, make([]byte, 16), true},
		{"SYMMETRIC_DEFAULT", "cn-north-1", cnARN, make([]byte, 32), false},
		{"HMAC_224", "us-east-1", testARN, make([]byte, 28), true},
		{"HMAC_224", "us-east-1", testARN, make([]byte, 27), false},
		{"HMAC_256", "us-east-1", testARN, make([]byte, 64), true},
		{"HMAC_256", "us-east-1", testARN, make([]byte, 65), false},
		{"HMAC_512", "us-east-1", testARN, make([]byte, 128), true},
		{"ECC_NIST_P256", "us-east-1", testARN, p256, true},
		{"ECC_NIST_P256", "us-east-1", testARN, p384, false},
		{"ECC_NIST_P384", "us-east-1", testARN, p384, true},
		{"ECC_SECG_P256K1", "us-east-1", testARN, p256, false},
		{"RSA_2048", "us-east-1", testARN, rsa2048, true},
		{"RSA_3072", "us-east-1", testARN, rsa2048, false},
		{"RSA_2048", "us-east-1", testARN, p256, false},
		{"ECC_NIST_EDWARDS25519", "us-east-1", testARN, gen("ECC_NIST_EDWARDS25519"), true},
		{"ML_DSA_65", "us-east-1", testARN, gen("ML_DSA_65"), true},
		{"ML_DSA_65", "us-east-1", testARN, gen("ML_DSA_44"), false},
		{"SM2", "cn-north-1", cnARN, gen("SM2"), true},
		{"SM2", "cn-north-1", cnARN, p256, false},
		{"ECC_NIST_P256", "us-east-1", testARN, make([]byte, 32), false},
	} {
		m, err := CheckImportedMaterial(spec(tc.spec), tc.region, tc.arn, tc.material)
		if tc.ok != (err == nil) {
			t.Errorf("%s in %s, %d bytes: %v", tc.spec, tc.region, len(tc.material), err)
			continue
		}
		if err != nil {
			if keyhold.ErrorCode(err) != keyhold.ErrCodeIncorrectKeyMaterial {
				t.Errorf("%s: error %v is not IncorrectKeyMaterialException", tc.spec, err)
			}
			continue
		}
		if spec(tc.spec).Symmetric() && len(m.Sealable) != KeySize {
			t.Errorf("%s: %d-byte backing key", tc.spec, len(m.Sealable))
		}
		if again, _ := CheckImportedMaterial(spec(tc.spec), tc.region, tc.arn, tc.material); again.MaterialID != m.MaterialID {
			t.Errorf("%s: material id not deterministic", tc.spec)
		}
	}
	// The id depends on the key and on the material.
	a := ImportedMaterialID(testARN, "SYMMETRIC_DEFAULT", make([]byte, 32))
	if a == ImportedMaterialID(cnARN, "SYMMETRIC_DEFAULT", make([]byte, 32)) ||
		a == ImportedMaterialID(testARN, "SYMMETRIC_DEFAULT", bytes.Repeat([]byte{1}, 32)) ||
		a == ImportedMaterialID(testARN, "HMAC_256", make([]byte, 32)) {
		t.Fatal("material ids collide")
	}
	if _, err := decodeMaterialID(a); err != nil {
		t.Fatalf("material id %q: %v", a, err)
	}
	// A key pair is the same material whatever its PKCS #8 carries: the
	// id follows the public key.
	k, err := x509.ParsePKCS8PrivateKey(rsa2048)
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := CheckImportedMaterial(spec("RSA_2048"), "us-east-1", testARN, rsa2048)
	pub, _ := x509.MarshalPKIXPublicKey(&k.(*rsa.PrivateKey).PublicKey)
	if m1.MaterialID != ImportedMaterialID(testARN, "RSA_2048", pub) {
		t.Fatal("key pair material id is not the public key's")
	}
}
