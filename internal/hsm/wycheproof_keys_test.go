package hsm

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"

	"filippo.io/mldsa"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// The Wycheproof vectors below run through keyhold's own key types (the
// same verify, MAC, ECDH and RSA-OAEP code the boundary runs), not through
// the libraries directly. Every vector's expected result is honoured:
// "valid" must pass, "invalid" must fail, and the few "acceptable" ones
// (which Wycheproof lets an implementation accept or reject) are counted
// and logged with the choice keyhold makes:
//
//   - RSA PKCS#1 v1.5 "MissingNull" (a DigestInfo without the NULL
//     parameters): rejected, as Go's crypto/rsa does.
//   - ECDH "InvalidAsn", "UnnamedCurve", "UnusedParam", "ModifiedGenerator"
//     and the other public-key encoding oddities: rejected (only a DER
//     SubjectPublicKeyInfo with a named curve and an uncompressed point is
//     taken). "CompressedPublic"/"CompressedPoint": rejected, as Go's
//     x509 does. "WrongOrder", "ModifiedCofactor", "NoCofactor": rejected
//     (explicit curve parameters are not accepted at all).
//
// Vectors for parameters AWS does not use are skipped: HMAC keys outside
// the lengths AWS allows and truncated tags, RSA-OAEP with a label, ML-DSA
// with a context string.

const wycheproofDir = "../../testdata/wycheproof/"

type wycheproofFile struct {
	Algorithm  string            `json:"algorithm"`
	TestGroups []wycheproofGroup `json:"testGroups"`
}

type wycheproofGroup struct {
	PublicKeyDer    string `json:"publicKeyDer"`
	PublicKey       any    `json:"publicKey"`
	PrivateKeyPkcs8 string `json:"privateKeyPkcs8"`
	KeySize         int    `json:"keySize"`
	TagSize         int    `json:"tagSize"`
	Curve           string `json:"curve"`
	SLen            int    `json:"sLen"`
	Tests           []struct {
		TcID    int      `json:"tcId"`
		Comment string   `json:"comment"`
		Flags   []string `json:"flags"`
		Msg     string   `json:"msg"`
		Sig     string   `json:"sig"`
		Key     string   `json:"key"`
		Tag     string   `json:"tag"`
		CT      string   `json:"ct"`
		Label   string   `json:"label"`
		Public  string   `json:"public"`
		Private string   `json:"private"`
		Shared  string   `json:"shared"`
		Ctx     string   `json:"ctx"`
		Result  string   `json:"result"`
	} `json:"tests"`
}

// tally counts vector outcomes and fails the test if a file ran nothing.
type tally struct{ valid, invalid, acceptable, skipped int }

func (c *tally) done(t *testing.T, file string) {
	t.Helper()
	if c.valid == 0 || c.invalid == 0 {
		t.Fatalf("%s: ran %d valid and %d invalid vectors; the file has changed shape", file, c.valid, c.invalid)
	}
	t.Logf("%s: %d valid, %d invalid, %d acceptable (rejected), %d skipped", file, c.valid, c.invalid, c.acceptable, c.skipped)
}

// check records one outcome against the expected result.
func (c *tally) check(t *testing.T, file string, tcID int, comment, result string, ok bool) {
	t.Helper()
	switch result {
	case "valid":
		c.valid++
		if !ok {
			t.Errorf("%s tcId %d (%s): valid vector rejected", file, tcID, comment)
		}
	case "invalid":
		c.invalid++
		if ok {
			t.Errorf("%s tcId %d (%s): invalid vector accepted", file, tcID, comment)
		}
	case "acceptable":
		c.acceptable++
		if ok {
			t.Errorf("%s tcId %d (%s): keyhold documents that it rejects this acceptable vector, but accepted it", file, tcID, comment)
		}
	default:
		t.Errorf("%s tcId %d: unknown result %q", file, tcID, result)
	}
}

// publicOnly returns a Key of spec that holds only the public key in der,
// the way the vectors give it.
func publicOnly(t *testing.T, spec string, der []byte) Key {
	t.Helper()
	s := specs[spec]
	switch kind := s.kind.(type) {
	case rsaKind:
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			t.Fatal(err)
		}
		return &rsaKey{spec: s, pub: pub.(*rsa.PublicKey)}
	case ecdsaKind:
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			t.Fatal(err)
		}
		return &ecdsaKey{spec: s, pub: pub.(*ecdsa.PublicKey)}
	case ed25519Kind:
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			t.Fatal(err)
		}
		return &ed25519Key{pub: pub.(ed25519.PublicKey)}
	case secp256k1Kind:
		var spki subjectPublicKeyInfo
		if _, err := asn1.Unmarshal(der, &spki); err != nil {
			t.Fatal(err)
		}
		pub, err := secp256k1.ParsePubKey(spki.PublicKey.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return &secp256k1Key{pub: pub}
	case mldsaKind:
		pub, err := mldsa.NewPublicKey(kind.params, der)
		if err != nil {
			return nil // an invalid public key: every signature fails
		}
		return &mldsaKey{spec: s, pub: pub}
	}
	t.Fatalf("no public-only key for %s", spec)
	return nil
}

func TestWycheproofSignatures(t *testing.T) {
	for _, tc := range []struct{ file, spec, alg string }{
		{"ecdsa_secp256r1_sha256_test", "ECC_NIST_P256", "ECDSA_SHA_256"},
		{"ecdsa_secp384r1_sha384_test", "ECC_NIST_P384", "ECDSA_SHA_384"},
		{"ecdsa_secp521r1_sha512_test", "ECC_NIST_P521", "ECDSA_SHA_512"},
		{"ecdsa_secp256k1_sha256_test", "ECC_SECG_P256K1", "ECDSA_SHA_256"},
		{"ed25519_test", "ECC_NIST_EDWARDS25519", "ED25519_SHA_512"},
		{"rsa_signature_2048_sha256_test", "RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"},
		{"rsa_signature_3072_sha384_test", "RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384"},
		{"rsa_signature_4096_sha512_test", "RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512"},
		{"rsa_pss_2048_sha256_mgf1_32_test", "RSA_2048", "RSASSA_PSS_SHA_256"},
		{"rsa_pss_2048_sha384_mgf1_48_test", "RSA_2048", "RSASSA_PSS_SHA_384"},
		{"rsa_pss_4096_sha512_mgf1_64_test", "RSA_4096", "RSASSA_PSS_SHA_512"},
		{"mldsa_44_verify_test", "ML_DSA_44", "ML_DSA_SHAKE_256"},
		{"mldsa_65_verify_test", "ML_DSA_65", "ML_DSA_SHAKE_256"},
		{"mldsa_87_verify_test", "ML_DSA_87", "ML_DSA_SHAKE_256"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var f wycheproofFile
			readJSON(t, wycheproofDir+tc.file+".json", &f)
			var c tally
			for _, g := range f.TestGroups {
				var k Key
				if strings.HasPrefix(tc.spec, "ML_DSA") {
					raw, _ := g.PublicKey.(string)
					k = publicOnly(t, tc.spec, mustHex(t, raw))
				} else {
					k = publicOnly(t, tc.spec, mustHex(t, g.PublicKeyDer))
				}
				for _, v := range g.Tests {
					if v.Ctx != "" {
						c.skipped++ // AWS signs with an empty context
						continue
					}
					ok := k != nil && Verify(k, tc.alg, MessageRaw, mustHex(t, v.Msg), mustHex(t, v.Sig)) == nil
					c.check(t, tc.file, v.TcID, v.Comment, v.Result, ok)
				}
			}
			c.done(t, tc.file)
		})
	}
}

func TestWycheproofHMAC(t *testing.T) {
	for _, tc := range []struct {
		file string
		kind hmacKind
	}{
		{"hmac_sha224_test", hmac224},
		{"hmac_sha256_test", hmac256},
		{"hmac_sha384_test", hmac384},
		{"hmac_sha512_test", hmac512},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var f wycheproofFile
			readJSON(t, wycheproofDir+tc.file+".json", &f)
			var c tally
			for _, g := range f.TestGroups {
				if g.KeySize/8 < tc.kind.min || g.KeySize/8 > tc.kind.max || g.TagSize != 8*tc.kind.hash.Size() {
					c.skipped += len(g.Tests)
					continue
				}
				for _, v := range g.Tests {
					k, err := tc.kind.load(mustHex(t, v.Key))
					if err != nil {
						t.Fatal(err)
					}
					ok := VerifyMAC(k, tc.kind.alg, mustHex(t, v.Msg), mustHex(t, v.Tag)) == nil
					c.check(t, tc.file, v.TcID, v.Comment, v.Result, ok)
				}
			}
			c.done(t, tc.file)
		})
	}
}

func TestWycheproofECDH(t *testing.T) {
	for _, tc := range []struct {
		file string
		kind ecdsaKind
	}{
		{"ecdh_secp256r1_test", nistP256},
		{"ecdh_secp384r1_test", nistP384},
		{"ecdh_secp521r1_test", nistP521},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var f wycheproofFile
			readJSON(t, wycheproofDir+tc.file+".json", &f)
			var c tally
			for _, g := range f.TestGroups {
				for _, v := range g.Tests {
					k, err := tc.kind.load(ecPKCS8(t, tc.kind.curve, mustHex(t, v.Private)))
					if err != nil {
						t.Fatalf("tcId %d: %v", v.TcID, err)
					}
					shared, err := DeriveSharedSecret(k, KeyAgreementECDH, mustHex(t, v.Public))
					if err != nil && !errors.Is(err, ErrInvalidPublicKey) {
						t.Errorf("tcId %d: error %v is not ErrInvalidPublicKey", v.TcID, err)
					}
					if err == nil && v.Result != "invalid" && string(shared) != string(mustHex(t, v.Shared)) {
						t.Errorf("tcId %d (%s): wrong shared secret", v.TcID, v.Comment)
					}
					c.check(t, tc.file, v.TcID, v.Comment, v.Result, err == nil)
				}
			}
			c.done(t, tc.file)
		})
	}
}

// ecPKCS8 makes the PKCS #8 material of a NIST key from a Wycheproof
// private scalar (big-endian, possibly with a sign byte).
func ecPKCS8(t *testing.T, curve elliptic.Curve, scalar []byte) []byte {
	t.Helper()
	d := new(big.Int).SetBytes(scalar)
	b := make([]byte, (curve.Params().BitSize+7)/8)
	priv, err := ecdsa.ParseRawPrivateKey(curve, d.FillBytes(b))
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestWycheproofRSAOAEP(t *testing.T) {
	for _, tc := range []struct{ file, alg string }{
		{"rsa_oaep_2048_sha1_mgf1sha1_test", "RSAES_OAEP_SHA_1"},
		{"rsa_oaep_2048_sha256_mgf1sha256_test", "RSAES_OAEP_SHA_256"},
		{"rsa_oaep_3072_sha256_mgf1sha256_test", "RSAES_OAEP_SHA_256"},
		{"rsa_oaep_4096_sha256_mgf1sha256_test", "RSAES_OAEP_SHA_256"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var f wycheproofFile
			readJSON(t, wycheproofDir+tc.file+".json", &f)
			var c tally
			for _, g := range f.TestGroups {
				k, err := rsaKind{bits: g.KeySize}.load(mustHex(t, g.PrivateKeyPkcs8))
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range g.Tests {
					if v.Label != "" {
						c.skipped++ // AWS uses the empty label
						continue
					}
					pt, err := DecryptAsymmetric(k, tc.alg, mustHex(t, v.CT))
					if err != nil && !errors.Is(err, ErrInvalidCiphertext) {
						t.Errorf("tcId %d: error %v is not ErrInvalidCiphertext", v.TcID, err)
					}
					if err == nil && v.Result == "valid" && string(pt) != string(mustHex(t, v.Msg)) {
						t.Errorf("tcId %d (%s): wrong plaintext", v.TcID, v.Comment)
					}
					c.check(t, tc.file, v.TcID, v.Comment, v.Result, err == nil)
				}
			}
			c.done(t, tc.file)
		})
	}
}
