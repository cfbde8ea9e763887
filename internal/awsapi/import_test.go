package awsapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/keyhold/keyhold/internal/awsapi"
	"github.com/keyhold/keyhold/internal/hsm"
	"github.com/keyhold/keyhold/internal/hsm/soft"
	kmssvc "github.com/keyhold/keyhold/internal/kms"
	"github.com/keyhold/keyhold/internal/store/sqlite"
)

// Tests of imported key material (issue #7): AWS's documented openssl
// procedure run for real, the key material lifecycle (expiry with a moved
// clock, deletion and re-import, rotation), every error, and durability
// across a restart.

// restartableEnv is an env whose data directory outlives the server, so a
// test can stop keyhold and start it again on the same files.
type restartableEnv struct {
	*env
	dir  string
	stop func()
}

func newRestartableEnv(t *testing.T) *restartableEnv {
	t.Helper()
	e := &restartableEnv{dir: t.TempDir()}
	e.start(t, &fakeClock{now: time.Now().UTC()})
	t.Cleanup(func() { e.stop() })
	return e
}

func (e *restartableEnv) start(t *testing.T, clock *fakeClock) {
	t.Helper()
	ctx := context.Background()
	b, err := soft.New(ctx, soft.Options{RootKeyPath: filepath.Join(e.dir, "root.key")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(e.dir, "keyhold.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := kmssvc.New(kmssvc.Config{Store: st, Boundary: b, Logger: log, Now: clock.Now})
	if err := svc.LoadDomainKeys(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(awsapi.NewHandler(svc, awsapi.NewDevAuthenticator(acct), log))
	e.env = &env{clock: clock, svc: svc, url: srv.URL}
	e.stop = func() { srv.Close(); st.Close(); b.Close() }
}

// restart stops keyhold and starts it again on the same data directory.
func (e *restartableEnv) restart(t *testing.T) {
	t.Helper()
	e.stop()
	e.start(t, e.clock)
}

// ossl runs the openssl command line in a directory of its own, as AWS's
// import procedure does.
type ossl struct {
	t   *testing.T
	dir string
}

func newOpenSSL(t *testing.T) *ossl {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("these tests run AWS's documented openssl procedure and need the openssl command line (.ci/run installs it)")
	}
	return &ossl{t: t, dir: t.TempDir()}
}

func (o *ossl) run(args ...string) []byte {
	o.t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = o.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		o.t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

func (o *ossl) write(name string, b []byte) {
	o.t.Helper()
	if err := os.WriteFile(filepath.Join(o.dir, name), b, 0o600); err != nil {
		o.t.Fatal(err)
	}
}

func (o *ossl) read(name string) []byte {
	o.t.Helper()
	b, err := os.ReadFile(filepath.Join(o.dir, name))
	if err != nil {
		o.t.Fatal(err)
	}
	return b
}

// generate writes key material of spec to PlaintextKeyMaterial.bin the way
// AWS's "Generate key material for testing" does (openssl rand for
// symmetric and HMAC keys, openssl genpkey converted to PKCS #8 DER for key
// pairs, whose private key stays in PrivateKey.pem). openssl 3.0 has no
// ML-DSA, so that material comes from keyhold's own generator.
func (o *ossl) generate(spec types.KeySpec, region string) []byte {
	o.t.Helper()
	genpkey := func(args ...string) {
		o.run(append([]string{"genpkey", "-out", "PrivateKey.pem"}, args...)...)
		o.run("pkcs8", "-topk8", "-inform", "PEM", "-outform", "DER", "-in", "PrivateKey.pem", "-out", "PlaintextKeyMaterial.bin", "-nocrypt")
		o.run("pkey", "-in", "PrivateKey.pem", "-pubout", "-out", "PublicKey.pem")
	}
	switch spec {
	case types.KeySpecSymmetricDefault:
		n := "32"
		if strings.HasPrefix(region, "cn-") {
			n = "16" // a 128-bit key in China regions
		}
		o.run("rand", "-out", "PlaintextKeyMaterial.bin", n)
	case types.KeySpecHmac224:
		o.run("rand", "-out", "PlaintextKeyMaterial.bin", "28")
	case types.KeySpecHmac256:
		o.run("rand", "-out", "PlaintextKeyMaterial.bin", "32")
	case types.KeySpecHmac384:
		o.run("rand", "-out", "PlaintextKeyMaterial.bin", "48")
	case types.KeySpecHmac512:
		o.run("rand", "-out", "PlaintextKeyMaterial.bin", "64")
	case types.KeySpecRsa2048, types.KeySpecRsa3072, types.KeySpecRsa4096:
		genpkey("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:"+strings.TrimPrefix(string(spec), "RSA_"))
	case types.KeySpecEccNistP256:
		genpkey("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
	case types.KeySpecEccNistP384:
		genpkey("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384")
	case types.KeySpecEccNistP521:
		genpkey("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521")
	case types.KeySpecEccSecgP256k1:
		genpkey("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1")
	case types.KeySpecEccNistEdwards25519:
		genpkey("-algorithm", "ED25519")
	case types.KeySpecSm2:
		genpkey("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2")
	case types.KeySpecMlDsa44:
		s, _ := hsm.LookupSpec(string(spec))
		m, err := s.Generate(rand.Reader)
		if err != nil {
			o.t.Fatal(err)
		}
		o.write("PlaintextKeyMaterial.bin", m)
	default:
		o.t.Fatalf("no test material for %s", spec)
	}
	return o.read("PlaintextKeyMaterial.bin")
}

// wrap encrypts PlaintextKeyMaterial.bin under the wrapping public key with
// alg, with the commands of AWS's procedure, and returns
// EncryptedKeyMaterial.bin.
func (o *ossl) wrap(publicKey []byte, alg types.AlgorithmSpec) []byte {
	o.t.Helper()
	o.write("WrappingPublicKey.bin", publicKey)
	oaep := func(in, out, md string) {
		o.run("pkeyutl", "-encrypt", "-in", in, "-out", out,
			"-inkey", "WrappingPublicKey.bin", "-keyform", "DER", "-pubin",
			"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:"+md, "-pkeyopt", "rsa_mgf1_md:"+md)
	}
	switch alg {
	case types.AlgorithmSpecRsaesOaepSha1:
		oaep("PlaintextKeyMaterial.bin", "EncryptedKeyMaterial.bin", "sha1")
	case types.AlgorithmSpecRsaesOaepSha256:
		oaep("PlaintextKeyMaterial.bin", "EncryptedKeyMaterial.bin", "sha256")
	case types.AlgorithmSpecRsaAesKeyWrapSha1, types.AlgorithmSpecRsaAesKeyWrapSha256:
		md := "sha256"
		if alg == types.AlgorithmSpecRsaAesKeyWrapSha1 {
			md = "sha1"
		}
		// 1. An ephemeral 256-bit AES key; 2. the material wrapped under it
		// with AES key wrap with padding (RFC 5649); 3. the AES key
		// encrypted with the wrapping public key; 4. both, concatenated.
		o.run("rand", "-out", "aes-key.bin", "32")
		o.run("enc", "-id-aes256-wrap-pad", "-K", hex.EncodeToString(o.read("aes-key.bin")), "-iv", "A65959A6",
			"-in", "PlaintextKeyMaterial.bin", "-out", "key-material-wrapped.bin")
		oaep("aes-key.bin", "aes-key-wrapped.bin", md)
		o.write("EncryptedKeyMaterial.bin", append(o.read("aes-key-wrapped.bin"), o.read("key-material-wrapped.bin")...))
	case types.AlgorithmSpecSm2pke:
		o.run("pkeyutl", "-encrypt", "-in", "PlaintextKeyMaterial.bin", "-out", "EncryptedKeyMaterial.bin",
			"-inkey", "WrappingPublicKey.bin", "-keyform", "DER", "-pubin")
	default:
		o.t.Fatalf("no wrapping procedure for %s", alg)
	}
	return o.read("EncryptedKeyMaterial.bin")
}

// importCase is one key spec imported with one wrapping algorithm.
type importCase struct {
	spec    types.KeySpec
	usage   types.KeyUsageType
	alg     types.AlgorithmSpec
	wrapKey types.WrappingKeySpec
	region  string
}

// TestImportOpenSSL follows AWS's procedure for every kind of key material:
// CreateKey with Origin EXTERNAL, GetParametersForImport, the material
// generated and wrapped with the openssl command line, ImportKeyMaterial;
// then checks with openssl that keyhold uses exactly that material.
func TestImportOpenSSL(t *testing.T) {
	cases := []importCase{
		// The developer guide's own example.
		{types.KeySpecSymmetricDefault, "", types.AlgorithmSpecRsaesOaepSha1, types.WrappingKeySpecRsa2048, ""},
		{types.KeySpecSymmetricDefault, "", types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa3072, ""},
		{types.KeySpecSymmetricDefault, "", types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa2048, ""},
		{types.KeySpecHmac224, types.KeyUsageTypeGenerateVerifyMac, types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa2048, ""},
		{types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac, types.AlgorithmSpecRsaesOaepSha1, types.WrappingKeySpecRsa2048, ""},
		{types.KeySpecHmac384, types.KeyUsageTypeGenerateVerifyMac, types.AlgorithmSpecRsaAesKeyWrapSha1, types.WrappingKeySpecRsa2048, ""},
		{types.KeySpecHmac512, types.KeyUsageTypeGenerateVerifyMac, types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa2048, ""},
		// RSA private keys need an RSA_AES algorithm.
		{types.KeySpecRsa2048, types.KeyUsageTypeSignVerify, types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa4096, ""},
		{types.KeySpecRsa3072, types.KeyUsageTypeEncryptDecrypt, types.AlgorithmSpecRsaAesKeyWrapSha1, types.WrappingKeySpecRsa2048, ""},
		{types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify, types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa2048, ""},
		{types.KeySpecEccNistP384, types.KeyUsageTypeKeyAgreement, types.AlgorithmSpecRsaesOaepSha1, types.WrappingKeySpecRsa2048, ""},
		// ECC_NIST_P521 with an RSA_2048 wrapping key needs RSA_AES.
		{types.KeySpecEccNistP521, types.KeyUsageTypeSignVerify, types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa2048, ""},
		{types.KeySpecEccSecgP256k1, types.KeyUsageTypeSignVerify, types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa2048, ""},
		{types.KeySpecEccNistEdwards25519, types.KeyUsageTypeSignVerify, types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa2048, ""},
		{types.KeySpecMlDsa44, types.KeyUsageTypeSignVerify, types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa2048, ""},
		// China regions: SM2 wrapping keys with SM2PKE, 128-bit symmetric
		// material, SM2 key pairs.
		{types.KeySpecSymmetricDefault, "", types.AlgorithmSpecSm2pke, types.WrappingKeySpecSm2, "cn-north-1"},
		{types.KeySpecSm2, types.KeyUsageTypeSignVerify, types.AlgorithmSpecSm2pke, types.WrappingKeySpecSm2, "cn-north-1"},
		{types.KeySpecSm2, types.KeyUsageTypeEncryptDecrypt, types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa2048, "cn-north-1"},
	}
	e := newEnv(t)
	for _, tc := range cases {
		region := tc.region
		if region == "" {
			region = "us-east-1"
		}
		name := strings.Join([]string{string(tc.spec), string(tc.usage), string(tc.alg), string(tc.wrapKey), tc.region}, "/")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := e.client(acct, region)
			o := newOpenSSL(t)
			ck := must(c.CreateKey(bg, &kms.CreateKeyInput{KeySpec: tc.spec, KeyUsage: tc.usage, Origin: types.OriginTypeExternal}))
			id := *ck.KeyMetadata.KeyId
			if ck.KeyMetadata.KeyState != types.KeyStatePendingImport || ck.KeyMetadata.Enabled || ck.KeyMetadata.Origin != types.OriginTypeExternal ||
				ck.KeyMetadata.ExpirationModel != "" || ck.KeyMetadata.CurrentKeyMaterialId != nil {
				t.Fatalf("CreateKey EXTERNAL: %+v", ck.KeyMetadata)
			}
			p := must(c.GetParametersForImport(bg, &kms.GetParametersForImportInput{KeyId: &id, WrappingAlgorithm: tc.alg, WrappingKeySpec: tc.wrapKey}))
			if *p.KeyId != *ck.KeyMetadata.Arn || p.ParametersValidTo.Sub(e.clock.Now().Add(24*time.Hour)).Abs() > time.Second {
				t.Fatalf("GetParametersForImport: KeyId %s ParametersValidTo %v", *p.KeyId, p.ParametersValidTo)
			}
			material := o.generate(tc.spec, region)
			wrapped := o.wrap(p.PublicKey, tc.alg)
			imp := must(c.ImportKeyMaterial(bg, &kms.ImportKeyMaterialInput{
				KeyId: &id, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapped,
				ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire,
			}))
			d := must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &id})).KeyMetadata
			if d.KeyState != types.KeyStateEnabled || !d.Enabled || d.ExpirationModel != types.ExpirationModelTypeKeyMaterialDoesNotExpire || d.ValidTo != nil {
				t.Fatalf("DescribeKey after import: %+v", d)
			}
			if tc.spec == types.KeySpecSymmetricDefault {
				if imp.KeyMaterialId == nil || aws.ToString(d.CurrentKeyMaterialId) != *imp.KeyMaterialId {
					t.Fatalf("KeyMaterialId %v, CurrentKeyMaterialId %v", imp.KeyMaterialId, d.CurrentKeyMaterialId)
				}
			} else if imp.KeyMaterialId != nil || d.CurrentKeyMaterialId != nil {
				t.Fatalf("key material id shown for a %s key: %v %v", tc.spec, imp.KeyMaterialId, d.CurrentKeyMaterialId)
			}
			checkUsesMaterial(t, c, o, tc, id, *ck.KeyMetadata.Arn, material, aws.ToString(imp.KeyMaterialId))
		})
	}
}

// checkUsesMaterial proves with openssl (or, for symmetric ciphertexts,
// keyhold's published blob format) that the key works with exactly the
// imported material.
func checkUsesMaterial(t *testing.T, c *kms.Client, o *ossl, tc importCase, id, arn string, material []byte, materialID string) {
	msg := []byte("imported key material, used for real")
	o.write("msg.bin", msg)
	switch {
	case tc.spec == types.KeySpecSymmetricDefault:
		ec := map[string]string{"purpose": "import-test"}
		enc := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &id, Plaintext: msg, EncryptionContext: ec}))
		dec := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}))
		if !bytes.Equal(dec.Plaintext, msg) || aws.ToString(dec.KeyMaterialId) != materialID {
			t.Fatalf("Decrypt: %q, material %v", dec.Plaintext, dec.KeyMaterialId)
		}
		if tc.region == "" {
			// The blob opens with the imported 32 bytes as its backing
			// key (docs/ciphertext-format.md).
			pt, err := hsm.OpenCiphertext(material, arn, materialID, enc.CiphertextBlob, ec)
			if err != nil || !bytes.Equal(pt, msg) {
				t.Fatalf("the ciphertext does not open with the imported material: %v", err)
			}
		}
	case tc.usage == types.KeyUsageTypeGenerateVerifyMac:
		alg := types.MacAlgorithmSpec("HMAC_SHA_" + strings.TrimPrefix(string(tc.spec), "HMAC_"))
		mac := must(c.GenerateMac(bg, &kms.GenerateMacInput{KeyId: &id, Message: msg, MacAlgorithm: alg}))
		want := strings.TrimSpace(string(o.run("mac", "-digest", "SHA"+strings.TrimPrefix(string(tc.spec), "HMAC_"),
			"-macopt", "hexkey:"+hex.EncodeToString(material), "-in", "msg.bin", "HMAC")))
		if !strings.EqualFold(hex.EncodeToString(mac.Mac), want) {
			t.Fatalf("GenerateMac = %x, openssl mac = %s", mac.Mac, want)
		}
		must(c.VerifyMac(bg, &kms.VerifyMacInput{KeyId: &id, Message: msg, MacAlgorithm: alg, Mac: mac.Mac}))
	default:
		pub := must(c.GetPublicKey(bg, &kms.GetPublicKeyInput{KeyId: &id}))
		if tc.spec == types.KeySpecMlDsa44 {
			s, _ := hsm.LookupSpec(string(tc.spec))
			k, err := s.Load(material)
			if err != nil || !bytes.Equal(k.PublicKey(), pub.PublicKey) {
				t.Fatalf("GetPublicKey is not the public key of the imported ML-DSA key (%v)", err)
			}
		} else if want := o.run("pkey", "-in", "PrivateKey.pem", "-pubout", "-outform", "DER"); !bytes.Equal(pub.PublicKey, want) {
			t.Fatalf("GetPublicKey is not the public key of the imported private key")
		}
		switch tc.usage {
		case types.KeyUsageTypeSignVerify:
			if len(pub.SigningAlgorithms) == 0 {
				t.Fatal("GetPublicKey lists no signing algorithms")
			}
			for _, alg := range pub.SigningAlgorithms {
				if alg == types.SigningAlgorithmSpecEd25519PhSha512 {
					// Ed25519ph takes a SHA-512 digest; openssl 3.0 has no
					// Ed25519ph to check it with.
					digest := sha512.Sum512(msg)
					sig := must(c.Sign(bg, &kms.SignInput{KeyId: &id, Message: digest[:], MessageType: types.MessageTypeDigest, SigningAlgorithm: alg}))
					must(c.Verify(bg, &kms.VerifyInput{KeyId: &id, Message: digest[:], MessageType: types.MessageTypeDigest, Signature: sig.Signature, SigningAlgorithm: alg}))
					continue
				}
				sig := must(c.Sign(bg, &kms.SignInput{KeyId: &id, Message: msg, SigningAlgorithm: alg}))
				must(c.Verify(bg, &kms.VerifyInput{KeyId: &id, Message: msg, Signature: sig.Signature, SigningAlgorithm: alg}))
				o.write("sig.bin", sig.Signature)
				verify := []string{"dgst", "-verify", "PublicKey.pem", "-signature", "sig.bin"}
				switch alg {
				case types.SigningAlgorithmSpecRsassaPssSha256, types.SigningAlgorithmSpecRsassaPssSha384, types.SigningAlgorithmSpecRsassaPssSha512:
					verify = append(verify, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest")
				case types.SigningAlgorithmSpecEd25519Sha512:
					verify = []string{"pkeyutl", "-verify", "-pubin", "-inkey", "PublicKey.pem", "-rawin", "-sigfile", "sig.bin"}
				case types.SigningAlgorithmSpecSm2dsa:
					verify = append(verify, "-sm3", "-sigopt", "distid:1234567812345678")
				case types.SigningAlgorithmSpecMlDsaShake256:
					continue // openssl 3.0 has no ML-DSA
				}
				if verify[0] == "pkeyutl" {
					verify = append(verify, "-in", "msg.bin")
				} else {
					if alg != types.SigningAlgorithmSpecSm2dsa {
						verify = append(verify, "-sha"+string(alg[len(alg)-3:]))
					}
					verify = append(verify, "msg.bin")
				}
				if out := o.run(verify...); !strings.Contains(string(out), "Verified") {
					t.Fatalf("openssl did not verify the %s signature: %s", alg, out)
				}
			}
		case types.KeyUsageTypeEncryptDecrypt:
			alg := types.EncryptionAlgorithmSpecRsaesOaepSha256
			enc := []string{"pkeyutl", "-encrypt", "-pubin", "-inkey", "PublicKey.pem", "-in", "msg.bin", "-out", "ct.bin",
				"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"}
			dec := []string{"pkeyutl", "-decrypt", "-inkey", "PrivateKey.pem", "-in", "ct.bin",
				"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"}
			if tc.spec == types.KeySpecSm2 {
				alg, enc, dec = types.EncryptionAlgorithmSpecSm2pke, enc[:9], dec[:6]
			}
			// openssl encrypts, keyhold decrypts ...
			o.run(enc...)
			got := must(c.Decrypt(bg, &kms.DecryptInput{KeyId: &id, CiphertextBlob: o.read("ct.bin"), EncryptionAlgorithm: alg}))
			if !bytes.Equal(got.Plaintext, msg) {
				t.Fatalf("Decrypt of openssl's ciphertext: %q", got.Plaintext)
			}
			// ... and the other way round.
			ct := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &id, Plaintext: msg, EncryptionAlgorithm: alg}))
			o.write("ct.bin", ct.CiphertextBlob)
			if pt := o.run(dec...); !bytes.Equal(pt, msg) {
				t.Fatalf("openssl decrypted keyhold's ciphertext to %q", pt)
			}
		case types.KeyUsageTypeKeyAgreement:
			o.run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:"+map[types.KeySpec]string{
				types.KeySpecEccNistP256: "P-256", types.KeySpecEccNistP384: "P-384", types.KeySpecEccNistP521: "P-521"}[tc.spec], "-out", "peer.pem")
			o.run("pkey", "-in", "peer.pem", "-pubout", "-out", "peer-pub.pem")
			peer := o.run("pkey", "-in", "peer.pem", "-pubout", "-outform", "DER")
			got := must(c.DeriveSharedSecret(bg, &kms.DeriveSharedSecretInput{KeyId: &id, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: peer}))
			if want := o.run("pkeyutl", "-derive", "-inkey", "PrivateKey.pem", "-peerkey", "peer-pub.pem"); !bytes.Equal(got.SharedSecret, want) {
				t.Fatalf("DeriveSharedSecret = %x, openssl = %x", got.SharedSecret, want)
			}
			if got.KeyOrigin != types.OriginTypeExternal {
				t.Fatalf("KeyOrigin %s", got.KeyOrigin)
			}
		}
	}
}

// wrapGo wraps material as openssl would, in Go, for the tests that are
// not about the procedure itself.
func wrapGo(t *testing.T, publicKey []byte, alg types.AlgorithmSpec, material []byte) []byte {
	t.Helper()
	k, err := x509.ParsePKIXPublicKey(publicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := k.(*rsa.PublicKey)
	switch alg {
	case types.AlgorithmSpecRsaesOaepSha1:
		return must(rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, material, nil))
	case types.AlgorithmSpecRsaesOaepSha256:
		return must(rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, material, nil))
	case types.AlgorithmSpecRsaAesKeyWrapSha256:
		aesKey := make([]byte, 32)
		rand.Read(aesKey)
		head := must(rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, aesKey, nil))
		return append(head, must(hsm.WrapKeyWithPadding(aesKey, material))...)
	}
	t.Fatalf("wrapGo: %s", alg)
	return nil
}

// importer drives imports into one key with Go-side wrapping.
type importer struct {
	t  *testing.T
	c  *kms.Client
	id string
}

func (im *importer) params(alg types.AlgorithmSpec) *kms.GetParametersForImportOutput {
	im.t.Helper()
	return must(im.c.GetParametersForImport(bg, &kms.GetParametersForImportInput{KeyId: &im.id, WrappingAlgorithm: alg, WrappingKeySpec: types.WrappingKeySpecRsa2048}))
}

// input returns an ImportKeyMaterial request for material under fresh
// parameters, not expiring unless the caller changes it.
func (im *importer) input(material []byte) *kms.ImportKeyMaterialInput {
	im.t.Helper()
	p := im.params(types.AlgorithmSpecRsaesOaepSha256)
	return &kms.ImportKeyMaterialInput{
		KeyId: &im.id, ImportToken: p.ImportToken,
		EncryptedKeyMaterial: wrapGo(im.t, p.PublicKey, types.AlgorithmSpecRsaesOaepSha256, material),
		ExpirationModel:      types.ExpirationModelTypeKeyMaterialDoesNotExpire,
	}
}

func (im *importer) describe() *types.KeyMetadata {
	im.t.Helper()
	return must(im.c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &im.id})).KeyMetadata
}

func (im *importer) state(want types.KeyState) {
	im.t.Helper()
	if got := im.describe().KeyState; got != want {
		im.t.Fatalf("key state %s, want %s", got, want)
	}
}

func newSymmetricImport(t *testing.T, c *kms.Client) *importer {
	ck := must(c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternal, Description: aws.String("imported")}))
	return &importer{t: t, c: c, id: *ck.KeyMetadata.KeyId}
}

func randomKey(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestImportExpiryAndDeletion moves the clock past ValidTo: the worker
// deletes the material, the key goes to PendingImport, and ciphertexts made
// under the material decrypt again once the same material is re-imported.
// DeleteImportedKeyMaterial does the same at once.
func TestImportExpiryAndDeletion(t *testing.T) {
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	im := newSymmetricImport(t, c)
	arn := arnOf(im.id)
	material := randomKey(32)

	// The recorded ValidationException for KEY_MATERIAL_EXPIRES (the
	// default) without ValidTo.
	in := im.input(material)
	in.ExpirationModel = ""
	_, err := c.ImportKeyMaterial(bg, in)
	wantErr(t, err, "ValidationException", "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
	im.state(types.KeyStatePendingImport)

	validTo := e.clock.Now().Add(48 * time.Hour).Truncate(time.Second)
	in.ValidTo = aws.Time(validTo)
	imp := must(c.ImportKeyMaterial(bg, in))
	mid := *imp.KeyMaterialId
	d := im.describe()
	if d.KeyState != types.KeyStateEnabled || d.ExpirationModel != types.ExpirationModelTypeKeyMaterialExpires || !d.ValidTo.Equal(validTo) {
		t.Fatalf("after import: %+v", d)
	}
	enc := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &im.id, Plaintext: []byte("before expiry")}))
	dk := must(c.GenerateDataKey(bg, &kms.GenerateDataKeyInput{KeyId: &im.id, KeySpec: types.DataKeySpecAes256}))

	e.clock.Advance(48*time.Hour - time.Minute)
	e.svc.RunWorkersOnce(bg)
	im.state(types.KeyStateEnabled)
	e.clock.Advance(time.Minute)
	e.svc.RunWorkersOnce(bg)
	d = im.describe()
	if d.KeyState != types.KeyStatePendingImport || d.Enabled || d.ExpirationModel != "" || d.ValidTo != nil || aws.ToString(d.CurrentKeyMaterialId) != mid {
		t.Fatalf("after expiry: %+v", d)
	}
	_, err = c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantErr(t, err, "KMSInvalidStateException", arn+" is pending import.")
	_, err = c.Encrypt(bg, &kms.EncryptInput{KeyId: &im.id, Plaintext: []byte("x")})
	wantErr(t, err, "KMSInvalidStateException", arn+" is pending import.")
	lr := must(c.ListKeyRotations(bg, &kms.ListKeyRotationsInput{KeyId: &im.id, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial}))
	if len(lr.Rotations) != 1 || lr.Rotations[0].ImportState != types.ImportStatePendingImport || lr.Rotations[0].KeyMaterialState != types.KeyMaterialStateCurrent {
		t.Fatalf("ListKeyRotations after expiry: %+v", lr.Rotations)
	}

	// Other material is refused; the same material is accepted (the
	// default import type is now EXISTING_KEY_MATERIAL) and old
	// ciphertexts decrypt again.
	_, err = c.ImportKeyMaterial(bg, im.input(randomKey(32)))
	wantErr(t, err, "IncorrectKeyMaterialException", "")
	im.state(types.KeyStatePendingImport)
	again := must(c.ImportKeyMaterial(bg, im.input(material)))
	if *again.KeyMaterialId != mid {
		t.Fatalf("re-import gave material id %s, want %s", *again.KeyMaterialId, mid)
	}
	im.state(types.KeyStateEnabled)
	if got := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})); string(got.Plaintext) != "before expiry" {
		t.Fatalf("Decrypt after re-import: %q", got.Plaintext)
	}
	if got := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob})); !bytes.Equal(got.Plaintext, dk.Plaintext) {
		t.Fatal("data key after re-import")
	}
	// Material that does not expire is not touched by the worker.
	e.clock.Advance(400 * 24 * time.Hour)
	e.svc.RunWorkersOnce(bg)
	im.state(types.KeyStateEnabled)

	// DeleteImportedKeyMaterial: PendingImport at once, and no effect the
	// second time.
	del := must(c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: &im.id}))
	if *del.KeyId != arn || aws.ToString(del.KeyMaterialId) != mid {
		t.Fatalf("DeleteImportedKeyMaterial: %+v", del)
	}
	im.state(types.KeyStatePendingImport)
	must(c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: &im.id, KeyMaterialId: &mid}))
	im.state(types.KeyStatePendingImport)
	_, err = c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: &im.id, KeyMaterialId: aws.String(strings.Repeat("ab", 32))})
	wantErr(t, err, "NotFoundException", "")

	// While pending deletion, deletion keeps the state; cancelling the
	// deletion of a key without material leaves it PendingImport (it
	// could not be enabled), with material Disabled.
	must(c.ImportKeyMaterial(bg, im.input(material)))
	must(c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &im.id}))
	_, err = c.GetParametersForImport(bg, &kms.GetParametersForImportInput{KeyId: &im.id, WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	wantErr(t, err, "KMSInvalidStateException", arn+" is pending deletion.")
	must(c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: &im.id}))
	im.state(types.KeyStatePendingDeletion)
	must(c.CancelKeyDeletion(bg, &kms.CancelKeyDeletionInput{KeyId: &im.id}))
	im.state(types.KeyStatePendingImport)
	_, err = c.EnableKey(bg, &kms.EnableKeyInput{KeyId: &im.id})
	wantErr(t, err, "KMSInvalidStateException", arn+" is pending import.")
	must(c.ImportKeyMaterial(bg, im.input(material)))
	must(c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &im.id}))
	must(c.CancelKeyDeletion(bg, &kms.CancelKeyDeletionInput{KeyId: &im.id}))
	im.state(types.KeyStateDisabled)
	// A disabled key's material can be deleted and re-imported; the
	// import enables it, as AWS's PendingImport -> Enabled transition says.
	must(c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: &im.id}))
	im.state(types.KeyStatePendingImport)
	must(c.ImportKeyMaterial(bg, im.input(material)))
	im.state(types.KeyStateEnabled)

	// An asymmetric key: expiry, and re-import of the same private key.
	ck := must(c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternal, KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeSignVerify}))
	ec := &importer{t: t, c: c, id: *ck.KeyMetadata.KeyId}
	s, _ := hsm.LookupSpec("ECC_NIST_P256")
	priv := must(s.Generate(rand.Reader))
	in = ec.input(priv)
	in.ExpirationModel, in.ValidTo = types.ExpirationModelTypeKeyMaterialExpires, aws.Time(e.clock.Now().Add(time.Hour))
	must(c.ImportKeyMaterial(bg, in))
	sig := must(c.Sign(bg, &kms.SignInput{KeyId: &ec.id, Message: []byte("m"), SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256}))
	e.clock.Advance(time.Hour)
	e.svc.RunWorkersOnce(bg)
	ec.state(types.KeyStatePendingImport)
	_, err = c.Verify(bg, &kms.VerifyInput{KeyId: &ec.id, Message: []byte("m"), Signature: sig.Signature, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	wantErr(t, err, "KMSInvalidStateException", arnOf(ec.id)+" is pending import.")
	other := must(s.Generate(rand.Reader))
	_, err = c.ImportKeyMaterial(bg, ec.input(other))
	wantErr(t, err, "IncorrectKeyMaterialException", "")
	must(c.ImportKeyMaterial(bg, ec.input(priv)))
	must(c.Verify(bg, &kms.VerifyInput{KeyId: &ec.id, Message: []byte("m"), Signature: sig.Signature, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256}))
}

// TestImportRotation imports new key material into an EXTERNAL symmetric
// key and rotates to it on demand, as the recorded AWS responses do.
func TestImportRotation(t *testing.T) {
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	im := newSymmetricImport(t, c)
	arn := arnOf(im.id)

	// No material: the recorded answer is the state error.
	_, err := c.RotateKeyOnDemand(bg, &kms.RotateKeyOnDemandInput{KeyId: &im.id})
	wantErr(t, err, "KMSInvalidStateException", arn+" is pending import.")

	first, second, third := randomKey(32), randomKey(32), randomKey(32)
	in := im.input(first)
	in.KeyMaterialDescription = aws.String("first material")
	id1 := *must(c.ImportKeyMaterial(bg, in)).KeyMaterialId
	old := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &im.id, Plaintext: []byte("old")})).CiphertextBlob

	// Nothing imported to rotate to: the recorded answer.
	_, err = c.RotateKeyOnDemand(bg, &kms.RotateKeyOnDemandInput{KeyId: &im.id})
	wantErr(t, err, "UnsupportedOperationException", arn+" origin is EXTERNAL which is not valid for this operation.")
	for _, op := range []func() error{
		func() error {
			_, err := c.EnableKeyRotation(bg, &kms.EnableKeyRotationInput{KeyId: &im.id})
			return err
		},
		func() error {
			_, err := c.GetKeyRotationStatus(bg, &kms.GetKeyRotationStatusInput{KeyId: &im.id})
			return err
		},
	} {
		wantErr(t, op(), "UnsupportedOperationException", arn+" origin is EXTERNAL which is not valid for this operation.")
	}

	// Importing the current material as new is refused.
	in = im.input(first)
	in.ImportType = types.ImportTypeNewKeyMaterial
	_, err = c.ImportKeyMaterial(bg, in)
	wantErr(t, err, "IncorrectKeyMaterialException", "")

	in = im.input(second)
	in.ImportType = types.ImportTypeNewKeyMaterial
	id2 := *must(c.ImportKeyMaterial(bg, in)).KeyMaterialId
	if id2 == id1 {
		t.Fatal("different material, same id")
	}
	// Pending rotation: not current yet (as recorded).
	if cur := aws.ToString(im.describe().CurrentKeyMaterialId); cur != id1 {
		t.Fatalf("current material %s after importing new material, want %s", cur, id1)
	}
	lr := must(c.ListKeyRotations(bg, &kms.ListKeyRotationsInput{KeyId: &im.id, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial}))
	if len(lr.Rotations) != 2 ||
		lr.Rotations[0].KeyMaterialState != types.KeyMaterialStateCurrent || lr.Rotations[0].ImportState != types.ImportStateImported ||
		aws.ToString(lr.Rotations[0].KeyMaterialDescription) != "first material" || lr.Rotations[0].RotationDate != nil ||
		lr.Rotations[1].KeyMaterialState != types.KeyMaterialStatePendingRotation || *lr.Rotations[1].KeyMaterialId != id2 ||
		lr.Rotations[1].ExpirationModel != types.ExpirationModelTypeKeyMaterialDoesNotExpire || lr.Rotations[1].RotationType != "" {
		t.Fatalf("ListKeyRotations with material pending rotation: %+v", lr.Rotations)
	}
	if only := must(c.ListKeyRotations(bg, &kms.ListKeyRotationsInput{KeyId: &im.id})); len(only.Rotations) != 0 {
		t.Fatalf("ROTATIONS_ONLY lists %d entries before any rotation", len(only.Rotations))
	}

	// A second new material while one is pending: the recorded error.
	in = im.input(third)
	in.ImportType = types.ImportTypeNewKeyMaterial
	_, err = c.ImportKeyMaterial(bg, in)
	id3 := hsm.ImportedMaterialID(arn, "SYMMETRIC_DEFAULT", third)
	wantErr(t, err, "KMSInvalidStateException",
		"New key material (id: "+id3+") cannot be imported into KMS key "+arn+", because another key material (id: "+id2+") is pending rotation.")

	// Material pending rotation can be deleted (it is not bound to the
	// key yet) and other material imported in its place; the key stays
	// Enabled.
	must(c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: &im.id, KeyMaterialId: &id2}))
	im.state(types.KeyStateEnabled)
	in = im.input(third)
	in.ImportType = types.ImportTypeNewKeyMaterial
	if got := *must(c.ImportKeyMaterial(bg, in)).KeyMaterialId; got != id3 {
		t.Fatalf("material id %s, want %s", got, id3)
	}

	rot := must(c.RotateKeyOnDemand(bg, &kms.RotateKeyOnDemandInput{KeyId: &im.id}))
	if *rot.KeyId != arn {
		t.Fatalf("RotateKeyOnDemand KeyId %s", *rot.KeyId)
	}
	if cur := aws.ToString(im.describe().CurrentKeyMaterialId); cur != id3 {
		t.Fatalf("current material %s after rotation, want %s", cur, id3)
	}
	newer := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &im.id, Plaintext: []byte("new")}))
	if d := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: newer.CiphertextBlob})); *d.KeyMaterialId != id3 {
		t.Fatalf("new ciphertext under %s", *d.KeyMaterialId)
	}
	if d := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: old})); string(d.Plaintext) != "old" || *d.KeyMaterialId != id1 {
		t.Fatalf("old ciphertext after rotation: %q under %s", d.Plaintext, *d.KeyMaterialId)
	}
	lr = must(c.ListKeyRotations(bg, &kms.ListKeyRotationsInput{KeyId: &im.id}))
	if len(lr.Rotations) != 1 || *lr.Rotations[0].KeyMaterialId != id3 || lr.Rotations[0].RotationType != types.RotationTypeOnDemand ||
		lr.Rotations[0].KeyMaterialState != types.KeyMaterialStateCurrent || lr.Rotations[0].RotationDate == nil ||
		lr.Rotations[0].ImportState != types.ImportStateImported {
		t.Fatalf("ListKeyRotations after rotation: %+v", lr.Rotations)
	}

	// Deleting the non-current material makes the key PendingImport: all
	// material must be imported for it to be usable.
	must(c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: &im.id, KeyMaterialId: &id1}))
	im.state(types.KeyStatePendingImport)
	lr = must(c.ListKeyRotations(bg, &kms.ListKeyRotationsInput{KeyId: &im.id, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial}))
	if lr.Rotations[0].ImportState != types.ImportStatePendingImport || lr.Rotations[0].KeyMaterialState != types.KeyMaterialStateNonCurrent ||
		lr.Rotations[1].ImportState != types.ImportStateImported {
		t.Fatalf("ListKeyRotations after deleting old material: %+v", lr.Rotations)
	}
	// KeyMaterialId must name the material being imported.
	in = im.input(first)
	in.KeyMaterialId = &id3
	_, err = c.ImportKeyMaterial(bg, in)
	wantErr(t, err, "IncorrectKeyMaterialException", "")
	in = im.input(first)
	in.KeyMaterialId = &id1
	in.ImportType = types.ImportTypeExistingKeyMaterial
	must(c.ImportKeyMaterial(bg, in))
	im.state(types.KeyStateEnabled)
	if d := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: old})); string(d.Plaintext) != "old" {
		t.Fatal("old ciphertext after re-importing old material")
	}
	// The description was kept.
	lr = must(c.ListKeyRotations(bg, &kms.ListKeyRotationsInput{KeyId: &im.id, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial}))
	if aws.ToString(lr.Rotations[0].KeyMaterialDescription) != "first material" {
		t.Fatalf("description after re-import: %+v", lr.Rotations[0])
	}
}

// TestImportErrors drives every error of the import operations through the
// SDK and checks that a failed import leaves the key as it was.
func TestImportErrors(t *testing.T) {
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	im := newSymmetricImport(t, c)
	arn := arnOf(im.id)
	material := randomKey(32)
	pending := func() {
		t.Helper()
		im.state(types.KeyStatePendingImport)
	}
	gp := func(id string, alg types.AlgorithmSpec, spec types.WrappingKeySpec) error {
		_, err := c.GetParametersForImport(bg, &kms.GetParametersForImportInput{KeyId: &id, WrappingAlgorithm: alg, WrappingKeySpec: spec})
		return err
	}

	// Keys whose origin is not EXTERNAL (recorded message).
	plain := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	notExternal := arnOf(plain) + " origin is AWS_KMS which is not valid for this operation."
	wantErr(t, gp(plain, types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa2048), "UnsupportedOperationException", notExternal)
	p := im.params(types.AlgorithmSpecRsaesOaepSha256)
	_, err := c.ImportKeyMaterial(bg, &kms.ImportKeyMaterialInput{KeyId: &plain, ImportToken: p.ImportToken, EncryptedKeyMaterial: []byte{1}, ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
	wantErr(t, err, "UnsupportedOperationException", notExternal)
	_, err = c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: &plain})
	wantErr(t, err, "UnsupportedOperationException", notExternal)
	// Aliases are not accepted.
	must(c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/imported"), TargetKeyId: &im.id}))
	wantErr(t, gp("alias/imported", types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa2048), "InvalidArnException", "Key Aliases are not supported for this operation.")
	_, err = c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: aws.String("alias/imported")})
	wantErr(t, err, "InvalidArnException", "Key Aliases are not supported for this operation.")
	wantErr(t, gp("0d8f4e3a-0000-4000-8000-000000000000", types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa2048),
		"NotFoundException", "Key 'arn:aws:kms:us-east-1:"+acct+":key/0d8f4e3a-0000-4000-8000-000000000000' does not exist")

	// Wrapping algorithms and key specs.
	wantErr(t, gp(im.id, types.AlgorithmSpecRsaesPkcs1V15, types.WrappingKeySpecRsa2048), "UnsupportedOperationException", "")
	wantErr(t, gp(im.id, types.AlgorithmSpecSm2pke, types.WrappingKeySpecRsa2048), "ValidationException",
		"1 validation error detected: Value 'SM2PKE' at 'wrappingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256]")
	wantErr(t, gp(im.id, types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecSm2), "ValidationException",
		"1 validation error detected: Value 'SM2' at 'wrappingKeySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096]")
	cn := e.client(acct, "cn-north-1")
	cnKey := *must(cn.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})).KeyMetadata.KeyId
	_, err = cn.GetParametersForImport(bg, &kms.GetParametersForImportInput{KeyId: &cnKey, WrappingAlgorithm: types.AlgorithmSpecRsaAesKeyWrapSha256, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	wantErr(t, err, "ValidationException",
		"1 validation error detected: Value 'RSA_AES_KEY_WRAP_SHA_256' at 'wrappingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]")
	_, err = cn.GetParametersForImport(bg, &kms.GetParametersForImportInput{KeyId: &cnKey, WrappingAlgorithm: types.AlgorithmSpecSm2pke, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	wantErr(t, err, "ValidationException", "Wrapping algorithm SM2PKE is not compatible with wrapping key spec RSA_2048.")

	imp := func(in *kms.ImportKeyMaterialInput, code, msg string) {
		t.Helper()
		_, err := c.ImportKeyMaterial(bg, in)
		wantErr(t, err, code, msg)
		pending()
	}
	// ValidTo rules.
	in := im.input(material)
	in.ExpirationModel, in.ValidTo = types.ExpirationModelTypeKeyMaterialExpires, aws.Time(e.clock.Now().Add(-time.Minute))
	imp(in, "ValidationException", "The validTo date must be in the future.")
	in.ValidTo = aws.Time(e.clock.Now().Add(366 * 24 * time.Hour))
	imp(in, "ValidationException", "The validTo date must be at most 365 days from now.")
	in.ExpirationModel, in.ValidTo = types.ExpirationModelTypeKeyMaterialDoesNotExpire, aws.Time(e.clock.Now().Add(time.Hour))
	imp(in, "ValidationException", "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE")
	in = im.input(material)
	in.ImportType, in.KeyMaterialId = types.ImportTypeNewKeyMaterial, aws.String(strings.Repeat("0", 64))
	imp(in, "ValidationException", "You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.")
	in = im.input(material)
	in.ImportType = types.ImportTypeExistingKeyMaterial
	imp(in, "IncorrectKeyMaterialException", "The key material is not key material that was previously imported into KMS key "+arn+
		". Import new key material with ImportType NEW_KEY_MATERIAL.") // nothing imported yet

	// Wrong-length material, and material of another key type.
	imp(im.input(randomKey(31)), "IncorrectKeyMaterialException",
		"The key material for a SYMMETRIC_DEFAULT KMS key must be a 256-bit symmetric key (32 bytes), not 31 bytes.")
	imp(im.input(randomKey(64)), "IncorrectKeyMaterialException", "")
	ecSpec, _ := hsm.LookupSpec("ECC_NIST_P256")
	ecKey := must(ecSpec.Generate(rand.Reader))
	imp(im.input(ecKey), "IncorrectKeyMaterialException", "")
	rsaKey := *must(c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternal, KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeSignVerify})).KeyMetadata.KeyId
	rsaImp := &importer{t: t, c: c, id: rsaKey}
	rp := rsaImp.params(types.AlgorithmSpecRsaAesKeyWrapSha256)
	_, err = c.ImportKeyMaterial(bg, &kms.ImportKeyMaterialInput{KeyId: &rsaKey, ImportToken: rp.ImportToken,
		EncryptedKeyMaterial: wrapGo(t, rp.PublicKey, types.AlgorithmSpecRsaAesKeyWrapSha256, ecKey),
		ExpirationModel:      types.ExpirationModelTypeKeyMaterialDoesNotExpire})
	wantErr(t, err, "IncorrectKeyMaterialException", "The key material for a RSA_2048 KMS key must be a PKCS #8 DER-encoded RSA_2048 private key.")
	rsaImp.state(types.KeyStatePendingImport)
	in = rsaImp.input(ecKey)
	in.ImportType = types.ImportTypeNewKeyMaterial
	_, err = c.ImportKeyMaterial(bg, in)
	wantErr(t, err, "ValidationException", "ImportType, KeyMaterialId and KeyMaterialDescription can only be used with symmetric encryption KMS keys.")
	hmacKey := *must(c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternal, KeySpec: types.KeySpecHmac256, KeyUsage: types.KeyUsageTypeGenerateVerifyMac})).KeyMetadata.KeyId
	_, err = c.ImportKeyMaterial(bg, (&importer{t: t, c: c, id: hmacKey}).input(randomKey(16)))
	wantErr(t, err, "IncorrectKeyMaterialException", "The key material for a HMAC_256 KMS key must be 32 to 64 bytes, not 16 bytes.")

	// Tokens: garbage, another key's, another wrapping key's, expired,
	// used.
	in = im.input(material)
	in.ImportToken = []byte("not a token")
	imp(in, "InvalidImportTokenException", "")
	other := newSymmetricImport(t, c)
	otherParams := other.params(types.AlgorithmSpecRsaesOaepSha256)
	in = im.input(material)
	in.ImportToken = otherParams.ImportToken
	imp(in, "InvalidImportTokenException", "")
	in = im.input(material)
	in.EncryptedKeyMaterial = wrapGo(t, otherParams.PublicKey, types.AlgorithmSpecRsaesOaepSha256, material) // the wrong public key
	imp(in, "InvalidCiphertextException", "")
	in = im.input(material)
	in.EncryptedKeyMaterial = randomKey(256)
	imp(in, "InvalidCiphertextException", "")
	in = im.input(material)
	in.EncryptedKeyMaterial = wrapGo(t, im.params(types.AlgorithmSpecRsaesOaepSha256).PublicKey, types.AlgorithmSpecRsaesOaepSha1, material)
	imp(in, "InvalidCiphertextException", "") // wrapped with another algorithm than the token's
	in = im.input(material)
	tok := bytes.Clone(in.ImportToken)
	tok[len(tok)-1] ^= 1
	in.ImportToken = tok
	imp(in, "InvalidImportTokenException", "")

	expired := im.input(material)
	e.clock.Advance(24 * time.Hour)
	imp(expired, "ExpiredImportTokenException", "")
	e.svc.RunWorkersOnce(bg) // cleans up the expired parameters; the token still says it expired
	imp(expired, "ExpiredImportTokenException", "")

	in = im.input(material)
	mid := *must(c.ImportKeyMaterial(bg, in)).KeyMaterialId
	_, err = c.ImportKeyMaterial(bg, in) // each token imports once
	wantErr(t, err, "InvalidImportTokenException", "")
	im.state(types.KeyStateEnabled)
	if aws.ToString(im.describe().CurrentKeyMaterialId) != mid {
		t.Fatal("current material changed")
	}
	// Other material into a key that has material, by default as existing
	// material.
	_, err = c.ImportKeyMaterial(bg, im.input(randomKey(32)))
	wantErr(t, err, "IncorrectKeyMaterialException", "")
	im.state(types.KeyStateEnabled)

	// Key states of the import operations (the state table's rows).
	in = other.input(material)
	must(c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &other.id}))
	_, err = c.ImportKeyMaterial(bg, in)
	wantErr(t, err, "KMSInvalidStateException", arnOf(other.id)+" is pending deletion.")
	must(c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: &other.id})) // no material: no effect
}

// TestImportPendingImportStates checks the PendingImport column of AWS's
// key state table for an EXTERNAL key without material.
func TestImportPendingImportStates(t *testing.T) {
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	im := newSymmetricImport(t, c)
	arn := arnOf(im.id)
	pendingImport := arn + " is pending import."
	for name, call := range map[string]func() error{
		"Encrypt": func() error {
			_, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: &im.id, Plaintext: []byte("x")})
			return err
		},
		"GenerateDataKey": func() error {
			_, err := c.GenerateDataKey(bg, &kms.GenerateDataKeyInput{KeyId: &im.id, NumberOfBytes: aws.Int32(8)})
			return err
		},
		"GenerateDataKeyPair": func() error {
			_, err := c.GenerateDataKeyPair(bg, &kms.GenerateDataKeyPairInput{KeyId: &im.id, KeyPairSpec: types.DataKeyPairSpecEccNistP256})
			return err
		},
		"EnableKey": func() error { _, err := c.EnableKey(bg, &kms.EnableKeyInput{KeyId: &im.id}); return err },
		"DisableKey": func() error {
			_, err := c.DisableKey(bg, &kms.DisableKeyInput{KeyId: &im.id})
			return err
		},
		"RotateKeyOnDemand": func() error {
			_, err := c.RotateKeyOnDemand(bg, &kms.RotateKeyOnDemandInput{KeyId: &im.id})
			return err
		},
	} {
		if err := call(); err == nil {
			t.Errorf("%s on a PendingImport key succeeded", name)
		} else {
			wantErr(t, err, "KMSInvalidStateException", pendingImport)
		}
	}
	// [6]: UnsupportedOperationException for the automatic rotation
	// operations.
	_, err := c.EnableKeyRotation(bg, &kms.EnableKeyRotationInput{KeyId: &im.id})
	wantErr(t, err, "UnsupportedOperationException", arn+" origin is EXTERNAL which is not valid for this operation.")
	_, err = c.DisableKeyRotation(bg, &kms.DisableKeyRotationInput{KeyId: &im.id})
	wantErr(t, err, "UnsupportedOperationException", arn+" origin is EXTERNAL which is not valid for this operation.")
	// What succeeds: management, and DeleteImportedKeyMaterial without
	// effect.
	must(c.TagResource(bg, &kms.TagResourceInput{KeyId: &im.id, Tags: []types.Tag{{TagKey: aws.String("t"), TagValue: aws.String("v")}}}))
	must(c.UpdateKeyDescription(bg, &kms.UpdateKeyDescriptionInput{KeyId: &im.id, Description: aws.String("d")}))
	must(c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/pending"), TargetKeyId: &im.id}))
	del := must(c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: &im.id}))
	if aws.ToString(del.KeyMaterialId) != "" || *del.KeyId != arn {
		t.Fatalf("DeleteImportedKeyMaterial without material: %+v", del)
	}
	if lr := must(c.ListKeyRotations(bg, &kms.ListKeyRotationsInput{KeyId: &im.id, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial})); len(lr.Rotations) != 0 {
		t.Fatalf("ListKeyRotations without material: %+v", lr.Rotations)
	}
	must(c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &im.id}))
	must(c.CancelKeyDeletion(bg, &kms.CancelKeyDeletionInput{KeyId: &im.id}))
	im.state(types.KeyStatePendingImport)
	// The key and everything imported go with the key.
	must(c.ImportKeyMaterial(bg, im.input(randomKey(32))))
	im.params(types.AlgorithmSpecRsaesOaepSha1)
	must(c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &im.id, PendingWindowInDays: aws.Int32(7)}))
	e.clock.Advance(8 * 24 * time.Hour)
	e.svc.RunWorkersOnce(bg)
	_, err = c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &im.id})
	wantErr(t, err, "NotFoundException", "Key '"+arn+"' does not exist")
}

// TestImportRestart: a data key made with imported material decrypts after
// keyhold restarts, an import token survives the restart, and the
// imported material is nowhere on disk in plaintext.
func TestImportRestart(t *testing.T) {
	e := newRestartableEnv(t)
	c := e.client(acct, "us-east-1")
	im := newSymmetricImport(t, c)
	material := randomKey(32)
	must(c.ImportKeyMaterial(bg, im.input(material)))
	dk := must(c.GenerateDataKey(bg, &kms.GenerateDataKeyInput{KeyId: &im.id, KeySpec: types.DataKeySpecAes256}))
	hmacMaterial := randomKey(48)
	hk := *must(c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternal, KeySpec: types.KeySpecHmac384, KeyUsage: types.KeyUsageTypeGenerateVerifyMac})).KeyMetadata.KeyId
	hi := &importer{t: t, c: c, id: hk}
	must(c.ImportKeyMaterial(bg, hi.input(hmacMaterial)))
	mac := must(c.GenerateMac(bg, &kms.GenerateMacInput{KeyId: &hk, Message: []byte("m"), MacAlgorithm: types.MacAlgorithmSpecHmacSha384})).Mac
	pending := newSymmetricImport(t, c)
	later := pending.input(material) // parameters issued before the restart

	e.restart(t)
	c = e.client(acct, "us-east-1")
	got := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob}))
	if !bytes.Equal(got.Plaintext, dk.Plaintext) {
		t.Fatal("data key after restart")
	}
	must(c.VerifyMac(bg, &kms.VerifyMacInput{KeyId: &hk, Message: []byte("m"), MacAlgorithm: types.MacAlgorithmSpecHmacSha384, Mac: mac}))
	must(c.ImportKeyMaterial(bg, later))
	(&importer{t: t, c: c, id: pending.id}).state(types.KeyStateEnabled)

	// Close everything so the WAL is checkpointed, then look at every
	// file keyhold wrote.
	e.stop()
	e.stop = func() {}
	entries, err := os.ReadDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range entries {
		b, err := os.ReadFile(filepath.Join(e.dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range [][]byte{material, hmacMaterial, dk.Plaintext} {
			if bytes.Contains(b, m) {
				t.Errorf("%s contains imported key material or a data key in plaintext", f.Name())
			}
		}
	}
	if len(entries) < 2 {
		t.Fatalf("expected the root key file and the database, found %d files", len(entries))
	}
}
