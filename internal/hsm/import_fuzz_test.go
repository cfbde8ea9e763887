package hsm

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/keyhold/keyhold"
)

// The fuzz target of the import path: whatever a caller sends as import
// token and encrypted key material, the boundary neither panics nor
// accepts a forged token, every unwrap failure is InvalidCiphertext, and
// whatever unwraps is either accepted as material of a spec (with a stable
// material id) or refused with IncorrectKeyMaterialException.

const importFuzzKeysPath = "testdata/import-fuzz-keys.json"

// importFuzzKeys are fixed wrapping keys, so that the committed seeds
// (wrapped under them) stay meaningful. Test keys only.
type importFuzzKeys struct {
	RSA2048 string `json:"rsa_2048_pkcs8"`
	SM2     string `json:"sm2_pkcs8"`
}

func loadImportFuzzKeys(t testing.TB) (rsaKey, sm2Key []byte) {
	var k importFuzzKeys
	readJSON(t, importFuzzKeysPath, &k)
	return mustHex(t, k.RSA2048), mustHex(t, k.SM2)
}

// importCombos are the (wrapping key spec, algorithm) pairs the fuzzer's
// first byte selects.
var importCombos = []struct{ spec, alg string }{
	{"RSA_2048", WrappingRSAESOAEPSHA1},
	{"RSA_2048", WrappingRSAESOAEPSHA256},
	{"RSA_2048", WrappingRSAAESKeyWrapSHA1},
	{"RSA_2048", WrappingRSAAESKeyWrapSHA256},
	{"SM2", WrappingSM2PKE},
}

// fuzzToken is the one genuine import token of the fuzzer, for testARN.
func fuzzToken(t testing.TB, pub []byte) ([]byte, *ImportToken) {
	tok := &ImportToken{
		ID:                "00112233445566778899aabbccddeeff",
		DomainKeyID:       "dk-1",
		ValidTo:           time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC),
		WrappingAlgorithm: WrappingRSAAESKeyWrapSHA256,
		WrappingKeySpec:   "RSA_2048",
		PublicKeyHash:     sha256.Sum256(pub),
	}
	b, err := SealImportToken(testRand(), testAEAD(t, 1), "us-east-1", testARN, tok)
	if err != nil {
		t.Fatal(err)
	}
	return b, tok
}

var allSpecNames = []string{"SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384",
	"ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "SM2",
	"HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"}

func FuzzUnwrapKeyMaterial(f *testing.F) {
	rsaKey, sm2Key := loadImportFuzzKeys(f)
	rsaPub, err := wrappingPublicKey("RSA_2048", rsaKey)
	if err != nil {
		f.Fatal(err)
	}
	genuine, tok := fuzzToken(f, rsaPub)
	dk := testAEAD(f, 1)
	f.Add(byte(0), genuine, []byte{})
	f.Add(byte(3), genuine[:len(genuine)-1], bytes.Repeat([]byte{0xa6}, 300))
	f.Add(byte(4), []byte{}, []byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, sel byte, token, ciphertext []byte) {
		got, err := OpenImportToken(dk, "us-east-1", testARN, token)
		switch {
		case err == nil && !bytes.Equal(token, genuine):
			t.Fatalf("a forged import token opened: %x", token)
		case err == nil && (got.ID != tok.ID || !got.ValidTo.Equal(tok.ValidTo) || got.PublicKeyHash != tok.PublicKeyHash):
			t.Fatalf("the genuine token opened as %+v", got)
		case err != nil && !errors.Is(err, ErrInvalidImportToken):
			t.Fatalf("OpenImportToken error %v is not ErrInvalidImportToken", err)
		}
		if _, err := OpenImportToken(dk, "us-east-1", testARN+"0", token); err == nil {
			t.Fatal("a token opened for another key")
		}

		c := importCombos[int(sel)%len(importCombos)]
		key := rsaKey
		if c.spec == "SM2" {
			key = sm2Key
		}
		material, err := UnwrapKeyMaterial(c.spec, c.alg, key, ciphertext)
		if err != nil {
			if !errors.Is(err, ErrInvalidCiphertext) {
				t.Fatalf("UnwrapKeyMaterial error %v is not ErrInvalidCiphertext", err)
			}
			return
		}
		if len(material) == 0 || len(material) > maxImportedMaterial {
			t.Fatalf("unwrapped %d bytes", len(material))
		}
		for _, name := range allSpecNames {
			spec, _ := LookupSpec(name)
			for _, region := range []string{"us-east-1", "cn-north-1"} {
				arn := "arn:aws:kms:" + region + ":111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
				m, err := CheckImportedMaterial(spec, region, arn, material)
				if err != nil {
					if e, ok := keyhold.AsError(err); !ok || e.Code != keyhold.ErrCodeIncorrectKeyMaterial {
						t.Fatalf("%s: CheckImportedMaterial error %v is not IncorrectKeyMaterialException", name, err)
					}
					continue
				}
				again, err := CheckImportedMaterial(spec, region, arn, material)
				if err != nil || again.MaterialID != m.MaterialID || len(m.MaterialID) != 64 || len(m.Sealable) == 0 {
					t.Fatalf("%s: material accepted inconsistently: %v", name, err)
				}
				if spec.Symmetric() && len(m.Sealable) != KeySize {
					t.Fatalf("%s: %d-byte backing key", name, len(m.Sealable))
				}
			}
		}
	})
}

// FuzzUnwrapKeyWithPadding checks AES-KWP: no panic, one error, and
// whatever unwraps wraps back to the same bytes (the construction is
// deterministic, so there is exactly one ciphertext per key and input).
func FuzzUnwrapKeyWithPadding(f *testing.F) {
	kek := bytes.Repeat([]byte{7}, 32)
	for _, n := range []int{1, 8, 9, 45} {
		ct, err := WrapKeyWithPadding(kek, bytes.Repeat([]byte{byte(n)}, n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, ct []byte) {
		pt, err := UnwrapKeyWithPadding(kek, ct)
		if err != nil {
			if !errors.Is(err, ErrKeyWrap) {
				t.Fatalf("error %v", err)
			}
			return
		}
		again, err := WrapKeyWithPadding(kek, pt)
		if err != nil || !bytes.Equal(again, ct) {
			t.Fatalf("round trip: %x -> %x -> %x (%v)", ct, pt, again, err)
		}
	})
}

// TestWriteImportFuzzCorpus writes testdata/import-fuzz-keys.json (new test
// wrapping keys) and the seeds of FuzzUnwrapKeyMaterial, genuine wrapped
// material of every kind under those keys and damaged copies (run with
// -update).
func TestWriteImportFuzzCorpus(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite " + importFuzzKeysPath + " and testdata/fuzz/FuzzUnwrapKeyMaterial")
	}
	rsaKey, _, err := NewWrappingKey(rand.Reader, "RSA_2048")
	if err != nil {
		t.Fatal(err)
	}
	sm2Key, _, err := NewWrappingKey(rand.Reader, "SM2")
	if err != nil {
		t.Fatal(err)
	}
	writeJSON(t, importFuzzKeysPath, importFuzzKeys{RSA2048: fmt.Sprintf("%x", rsaKey), SM2: fmt.Sprintf("%x", sm2Key)})

	rsaPub, _ := wrappingPublicKey("RSA_2048", rsaKey)
	genuine, _ := fuzzToken(t, rsaPub)
	dir := "testdata/fuzz/FuzzUnwrapKeyMaterial"
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, sel byte, token, ct []byte) {
		data := fmt.Sprintf("go test fuzz v1\nbyte(%q)\n[]byte(%q)\n[]byte(%q)\n", sel, token, ct)
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	materials := map[string][]byte{
		"symmetric-32": bytes.Repeat([]byte{1}, 32),
		"symmetric-16": bytes.Repeat([]byte{2}, 16),
		"hmac-48":      bytes.Repeat([]byte{3}, 48),
	}
	for _, name := range []string{"ECC_NIST_P256", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "SM2", "RSA_2048"} {
		s, _ := LookupSpec(name)
		m, err := s.Generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		materials[name] = m
	}
	priv, err := x509.ParsePKCS8PrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPubKey := &priv.(*rsa.PrivateKey).PublicKey
	sm2Parsed, err := smx509.ParsePKCS8PrivateKey(sm2Key)
	if err != nil {
		t.Fatal(err)
	}
	sm2Pub := &sm2Parsed.(*sm2.PrivateKey).PublicKey
	oaep := func(h hash.Hash, m []byte) []byte {
		ct, err := rsa.EncryptOAEP(h, rand.Reader, rsaPubKey, m, nil)
		if err != nil {
			return nil // too long for OAEP
		}
		return ct
	}
	for i, c := range importCombos {
		for name, m := range materials {
			var ct []byte
			switch c.alg {
			case WrappingRSAESOAEPSHA1:
				ct = oaep(sha1.New(), m)
			case WrappingRSAESOAEPSHA256:
				ct = oaep(sha256.New(), m)
			case WrappingRSAAESKeyWrapSHA1, WrappingRSAAESKeyWrapSHA256:
				h := sha256.New()
				if c.alg == WrappingRSAAESKeyWrapSHA1 {
					h = sha1.New()
				}
				aesKey := bytes.Repeat([]byte{byte(i + 1)}, 32)
				w, err := WrapKeyWithPadding(aesKey, m)
				if err != nil {
					t.Fatal(err)
				}
				ct = append(oaep(h, aesKey), w...)
			case WrappingSM2PKE:
				if ct, err = sm2.EncryptASN1(rand.Reader, sm2Pub, m); err != nil {
					t.Fatal(err)
				}
			}
			if ct == nil {
				continue
			}
			base := fmt.Sprintf("%s-%s", c.alg, name)
			write(base, byte(i), genuine, ct)
			if name != "symmetric-32" {
				continue
			}
			write(base+"-truncated", byte(i), genuine[:len(genuine)-1], ct[:len(ct)-1])
			flipped := bytes.Clone(ct)
			flipped[len(flipped)-1] ^= 1
			write(base+"-flipped", byte(i), genuine, flipped)
		}
	}
	write("empty", 0, nil, nil)
}
