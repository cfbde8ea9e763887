package hsm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/keyhold/keyhold"
)

// agreeingSpecs are the specs whose keys take a peer public key from the
// caller in DeriveSharedSecret; the fuzzers pick one by index.
var agreeingSpecs = []string{"ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "SM2"}

// fixedKeys are one loaded key per spec, made once from deterministic
// randomness (RSA and EC generation use Go's own DRBG, which is fine for a
// fuzzer's fixed keys).
var fixedKeys = sync.OnceValues(func() (map[string]Key, error) {
	keys := map[string]Key{}
	for _, name := range []string{"RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
		"ECC_NIST_EDWARDS25519", "ML_DSA_44", "SM2", "HMAC_256"} {
		s := specs[name]
		m, err := s.Generate(testRand())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if keys[name], err = s.Load(m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return keys, nil
})

// peerSPKI returns a valid peer public key on the curve of spec, from a
// fixed scalar.
func peerSPKI(t testing.TB, spec string) []byte {
	t.Helper()
	scalar := bytes.Repeat([]byte{0x42}, 32)
	if spec == "SM2" {
		priv, err := sm2.NewPrivateKey(scalar)
		if err != nil {
			t.Fatal(err)
		}
		der, err := smx509.MarshalPKIXPublicKey(&priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	curve := specs[spec].kind.(ecdsaKind).curve
	b := make([]byte, (curve.Params().BitSize+7)/8)
	copy(b[len(b)-32:], scalar)
	priv, err := ecdsa.ParseRawPrivateKey(curve, b)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

type peerSeed struct {
	name string
	spec byte
	der  []byte
}

// peerSeeds are the seeds of FuzzPeerPublicKey: a valid key of each curve,
// each given to every other curve too, and damaged encodings.
func peerSeeds(t testing.TB) []peerSeed {
	var seeds []peerSeed
	for i, name := range agreeingSpecs {
		der := peerSPKI(t, name)
		for j := range agreeingSpecs {
			seeds = append(seeds, peerSeed{fmt.Sprintf("%s-to-%s", name, agreeingSpecs[j]), byte(j), der})
		}
		point := der[len(der)-(len(der)-1)/2*2-1:] // 04 || X || Y
		seeds = append(seeds,
			peerSeed{name + "-truncated", byte(i), der[:len(der)-1]},
			peerSeed{name + "-trailing", byte(i), append(bytes.Clone(der), 0)},
			peerSeed{name + "-point-only", byte(i), point},
			peerSeed{name + "-not-on-curve", byte(i), append(bytes.Clone(der[:len(der)-1]), der[len(der)-1]^1)},
		)
	}
	return append(seeds,
		peerSeed{"empty", 0, nil},
		peerSeed{"aws-recorded-invalid", 0, []byte("InvalidPublicKey")},
	)
}

// FuzzPeerPublicKey fuzzes the DER public key DeriveSharedSecret takes
// from the caller. Nothing may panic, every rejection is
// ErrInvalidPublicKey, and a key that is accepted is canonical DER and
// yields a shared secret of the curve's coordinate size.
func FuzzPeerPublicKey(f *testing.F) {
	for _, s := range peerSeeds(f) {
		f.Add(s.spec, s.der)
	}
	keys, err := fixedKeys()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which byte, der []byte) {
		name := agreeingSpecs[int(which)%len(agreeingSpecs)]
		spec := specs[name]
		err := spec.CheckPeerPublicKey(der)
		if err != nil {
			if err != ErrInvalidPublicKey {
				t.Fatalf("%s: error %v is not ErrInvalidPublicKey", name, err)
			}
			if _, err := DeriveSharedSecret(keys[name], KeyAgreementECDH, der); err != ErrInvalidPublicKey {
				t.Fatalf("%s: CheckPeerPublicKey rejects, DeriveSharedSecret says %v", name, err)
			}
			return
		}
		shared, err := DeriveSharedSecret(keys[name], KeyAgreementECDH, der)
		if err != nil {
			t.Fatalf("%s: accepted key does not agree: %v", name, err)
		}
		if want := 32; name != "ECC_NIST_P384" && name != "ECC_NIST_P521" && len(shared) != want {
			t.Fatalf("%s: shared secret of %d bytes", name, len(shared))
		}
	})
}

// FuzzSignVerify fuzzes the Sign and Verify inputs a caller controls: the
// algorithm, the message type, the message (a digest or an external μ of
// any length) and the signature, against one key of each signing spec.
// Nothing may panic; every error is an AWS error (*keyhold.Error); a
// signature keyhold makes verifies.
func FuzzSignVerify(f *testing.F) {
	for _, s := range signSeeds() {
		f.Add(s.spec, s.alg, s.messageType, s.msg, s.sig)
	}
	keys, err := fixedKeys()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, spec, alg, messageType string, msg, sig []byte) {
		k, ok := keys[spec]
		if !ok || len(msg) > 4096 {
			return
		}
		isAWSError := func(err error) bool {
			_, ok := keyhold.AsError(err)
			return ok
		}
		if err := Verify(k, alg, messageType, msg, sig); err != nil && !isAWSError(err) && !errors.Is(err, errOperation) {
			t.Fatalf("Verify: %v", err)
		}
		got, err := Sign(testRand(), k, alg, messageType, msg)
		if err != nil {
			if !isAWSError(err) && !errors.Is(err, errOperation) {
				t.Fatalf("Sign: %v", err)
			}
			return
		}
		if messageType == MessageExternalMu {
			return // keyhold cannot verify an external μ (ErrVerifyExternalMu)
		}
		if err := Verify(k, alg, messageType, msg, got); err != nil {
			t.Fatalf("Verify of keyhold's own %s signature: %v", alg, err)
		}
	})
}

type signSeed struct {
	name                   string
	spec, alg, messageType string
	msg, sig               []byte
}

func signSeeds() []signSeed {
	digest32, digest64 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 64)
	var seeds []signSeed
	for _, s := range []signSeed{
		{spec: "RSA_2048", alg: "RSASSA_PSS_SHA_256"},
		{spec: "RSA_2048", alg: "RSASSA_PKCS1_V1_5_SHA_512"},
		{spec: "ECC_NIST_P256", alg: "ECDSA_SHA_256"},
		{spec: "ECC_NIST_P384", alg: "ECDSA_SHA_384"},
		{spec: "ECC_NIST_P521", alg: "ECDSA_SHA_512"},
		{spec: "ECC_SECG_P256K1", alg: "ECDSA_SHA_256"},
		{spec: "ECC_NIST_EDWARDS25519", alg: "ED25519_SHA_512"},
		{spec: "ECC_NIST_EDWARDS25519", alg: "ED25519_PH_SHA_512"},
		{spec: "ML_DSA_44", alg: "ML_DSA_SHAKE_256"},
		{spec: "SM2", alg: "SM2DSA"},
	} {
		for _, m := range []struct {
			mt  string
			msg []byte
		}{{MessageRaw, []byte("message")}, {MessageDigest, digest32}, {MessageDigest, digest64}, {MessageExternalMu, digest64}, {"", nil}} {
			s.name = fmt.Sprintf("%s-%s-%s-%d", s.spec, s.alg, m.mt, len(m.msg))
			s.messageType, s.msg, s.sig = m.mt, m.msg, []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}
			seeds = append(seeds, s)
		}
	}
	return append(seeds, signSeed{name: "wrong-alg", spec: "ECC_NIST_P256", alg: "RSASSA_PSS_SHA_256", messageType: MessageRaw, msg: []byte("m")})
}

// FuzzOpenKeyEKT checks that no damaged v2 EKT makes OpenKeyEKT panic and
// that only the genuine one opens.
func FuzzOpenKeyEKT(f *testing.F) {
	dk := testAEAD(f, 1)
	b := EKTBinding{Region: "us-east-1", DomainKeyID: "dk-1", KeyARN: testARN, MaterialID: testMID}
	material := bytes.Repeat([]byte{7}, 100)
	genuine, err := SealKeyEKT(testRand(), dk, b, "RSA_2048", material)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine)
	f.Add(genuine[:20])
	f.Add([]byte{2, 4, 'd', 'k', '-', '1', 0})
	f.Add([]byte{2, 4, 'd', 'k', '-', '1', 255})
	f.Fuzz(func(t *testing.T, ekt []byte) {
		spec, got, err := OpenKeyEKT(dk, b, ekt)
		if err == nil && !bytes.Equal(ekt, genuine) {
			t.Fatalf("OpenKeyEKT accepted %x", ekt)
		}
		if err == nil && (spec != "RSA_2048" || !bytes.Equal(got, material)) {
			t.Fatalf("OpenKeyEKT returned %s %x", spec, got)
		}
	})
}

// TestWriteKeyFuzzCorpus writes the seeds of the fuzzers above to
// testdata/fuzz (run with -update).
func TestWriteKeyFuzzCorpus(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/fuzz/FuzzPeerPublicKey and FuzzSignVerify")
	}
	write := func(fuzzer, name, data string) {
		dir := filepath.Join("testdata/fuzz", fuzzer)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte("go test fuzz v1\n"+data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range peerSeeds(t) {
		write("FuzzPeerPublicKey", s.name, fmt.Sprintf("byte(%q)\n[]byte(%q)\n", s.spec, s.der))
	}
	for _, s := range signSeeds() {
		write("FuzzSignVerify", s.name, fmt.Sprintf("string(%q)\nstring(%q)\nstring(%q)\n[]byte(%q)\n[]byte(%q)\n", s.spec, s.alg, s.messageType, s.msg, s.sig))
	}
}
