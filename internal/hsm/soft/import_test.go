package soft

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
)

const importARN = "arn:aws:kms:us-east-1:111122223333:key/0b0b0b0b-1111-4222-8333-444444444444"

// wrapOAEP256 wraps material under a GenerateImportParameters public key.
func wrapOAEP256(t *testing.T, pub, material []byte) []byte {
	t.Helper()
	k, err := x509.ParsePKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, k.(*rsa.PublicKey), material, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func importParams(t *testing.T, b *Boundary, arn string, validTo time.Time) *hsm.GeneratedImportParameters {
	t.Helper()
	gp, err := b.GenerateImportParameters(ctx, testRegion, arn, hsm.WrappingRSAESOAEPSHA256, "RSA_2048", validTo)
	if err != nil {
		t.Fatal(err)
	}
	p := gp.Parameters
	if p.KeyARN != arn || len(p.TokenID) != 32 || !p.ValidTo.Equal(validTo) || len(p.SealedWrappingKey) == 0 {
		t.Fatalf("parameters %+v", p)
	}
	return gp
}

// TestImportKeyMaterial imports symmetric and EC material and uses it:
// the symmetric backing key is the imported 32 bytes, the EC key signs
// verifiably with the imported private key.
func TestImportKeyMaterial(t *testing.T) {
	b, _, _ := setup(t)
	material := bytes.Repeat([]byte{0x42}, 32)
	gp := importParams(t, b, importARN, time.Now().Add(time.Hour))
	req := &hsm.ImportRequest{Region: testRegion, KeyARN: importARN, KeySpec: "SYMMETRIC_DEFAULT",
		ImportToken: gp.ImportToken, Parameters: gp.Parameters, EncryptedKeyMaterial: wrapOAEP256(t, gp.PublicKey, material)}
	bk, err := b.ImportKeyMaterial(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if bk.EKT[0] != 1 || bk.KeyARN != importARN || bk.MaterialID != hsm.ImportedMaterialID(importARN, "SYMMETRIC_DEFAULT", material) {
		t.Fatalf("backing key %+v", bk)
	}
	blob := mustEncrypt(t, b, bk, []byte("secret"), nil)
	if pt, err := hsm.OpenCiphertext(material, importARN, bk.MaterialID, blob, nil); err != nil || string(pt) != "secret" {
		t.Fatalf("the ciphertext does not open with the imported material: %v", err)
	}
	if bytes.Contains(bk.EKT, material) {
		t.Fatal("the EKT shows the material")
	}
	// The same material under new parameters: the same id.
	gp2 := importParams(t, b, importARN, time.Now().Add(time.Hour))
	bk2, err := b.ImportKeyMaterial(ctx, &hsm.ImportRequest{Region: testRegion, KeyARN: importARN, KeySpec: "SYMMETRIC_DEFAULT",
		ImportToken: gp2.ImportToken, Parameters: gp2.Parameters, EncryptedKeyMaterial: wrapOAEP256(t, gp2.PublicKey, material)})
	if err != nil || bk2.MaterialID != bk.MaterialID {
		t.Fatalf("re-import: %v, id %s", err, bk2.MaterialID)
	}

	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(priv)
	gp3 := importParams(t, b, importARN, time.Now().Add(time.Hour))
	ebk, err := b.ImportKeyMaterial(ctx, &hsm.ImportRequest{Region: testRegion, KeyARN: importARN, KeySpec: "ECC_NIST_P256",
		ImportToken: gp3.ImportToken, Parameters: gp3.Parameters, EncryptedKeyMaterial: wrapOAEP256(t, gp3.PublicKey, pkcs8)})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := b.Sign(ctx, ebk, "ECDSA_SHA_256", "", []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("m"))
	if !ecdsa.VerifyASN1(&priv.PublicKey, digest[:], sig) {
		t.Fatal("the signature is not the imported key's")
	}
}

// TestImportKeyMaterialErrors checks each refusal of the boundary.
func TestImportKeyMaterialErrors(t *testing.T) {
	b, _, _ := setup(t)
	material := bytes.Repeat([]byte{0x42}, 32)
	valid := func() *hsm.ImportRequest {
		gp := importParams(t, b, importARN, time.Now().Add(time.Hour))
		return &hsm.ImportRequest{Region: testRegion, KeyARN: importARN, KeySpec: "SYMMETRIC_DEFAULT",
			ImportToken: gp.ImportToken, Parameters: gp.Parameters, EncryptedKeyMaterial: wrapOAEP256(t, gp.PublicKey, material)}
	}
	other := testARN("0c0c0c0c-1111-4222-8333-444444444444")
	for name, tc := range map[string]struct {
		edit func(r *hsm.ImportRequest)
		want error
		code string
	}{
		"another key's token": {func(r *hsm.ImportRequest) {
			r.ImportToken = importParams(t, b, other, time.Now().Add(time.Hour)).ImportToken
		}, hsm.ErrInvalidImportToken, ""},
		"another token's parameters": {func(r *hsm.ImportRequest) {
			r.Parameters = importParams(t, b, importARN, time.Now().Add(time.Hour)).Parameters
		}, hsm.ErrInvalidImportToken, ""},
		"the key of other parameters": {func(r *hsm.ImportRequest) {
			gp := importParams(t, b, importARN, time.Now().Add(time.Hour))
			r.EncryptedKeyMaterial = wrapOAEP256(t, gp.PublicKey, material)
		}, hsm.ErrInvalidCiphertext, ""},
		"expired": {func(r *hsm.ImportRequest) {
			gp := importParams(t, b, importARN, time.Now().Add(-time.Second))
			r.ImportToken, r.Parameters = gp.ImportToken, gp.Parameters
			r.EncryptedKeyMaterial = wrapOAEP256(t, gp.PublicKey, material)
		}, hsm.ErrExpiredImportToken, ""},
		"garbage token":  {func(r *hsm.ImportRequest) { r.ImportToken = []byte{1, 4, 'd', 'k', '-', '1'} }, hsm.ErrInvalidImportToken, ""},
		"wrong length":   {func(r *hsm.ImportRequest) { r.KeySpec = "HMAC_512" }, nil, keyhold.ErrCodeIncorrectKeyMaterial},
		"wrong key type": {func(r *hsm.ImportRequest) { r.KeySpec = "ECC_NIST_P256" }, nil, keyhold.ErrCodeIncorrectKeyMaterial},
		"tampered sealed wrapping key": {func(r *hsm.ImportRequest) {
			p := *r.Parameters
			p.SealedWrappingKey = bytes.Clone(p.SealedWrappingKey)
			p.SealedWrappingKey[len(p.SealedWrappingKey)-1] ^= 1
			r.Parameters = &p
		}, nil, keyhold.ErrCodeInternal},
	} {
		r := valid()
		tc.edit(r)
		_, err := b.ImportKeyMaterial(ctx, r)
		switch {
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		case tc.code != "" && keyhold.ErrorCode(err) != tc.code:
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
	// A domain key of another region does not open the token.
	if _, err := b.CreateDomainKey(ctx, "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	r := valid()
	if _, err := b.OpenImportToken(ctx, "eu-west-1", importARN, r.ImportToken); !errors.Is(err, hsm.ErrInvalidImportToken) {
		t.Errorf("token opened in another region: %v", err)
	}
	b.Close()
	if _, err := b.ImportKeyMaterial(ctx, r); err == nil {
		t.Error("imported after Close")
	}
	if _, err := b.GenerateImportParameters(ctx, testRegion, importARN, hsm.WrappingRSAESOAEPSHA256, "RSA_2048", time.Now()); err == nil {
		t.Error("generated parameters after Close")
	}
}

// TestImportTokenAfterRestart: parameters made before a restart import
// after it (the wrapping key is sealed under a stored domain key).
func TestImportTokenAfterRestart(t *testing.T) {
	b, path := newBoundary(t)
	dk, err := b.CreateDomainKey(ctx, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	gp := importParams(t, b, importARN, time.Now().Add(time.Hour))
	b.Close()
	b2, err := New(ctx, Options{RootKeyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if err := b2.LoadDomainKeys(ctx, []*keyhold.DomainKey{dk}); err != nil {
		t.Fatal(err)
	}
	if _, err := b2.ImportKeyMaterial(ctx, &hsm.ImportRequest{Region: testRegion, KeyARN: importARN, KeySpec: "HMAC_256",
		ImportToken: gp.ImportToken, Parameters: gp.Parameters, EncryptedKeyMaterial: wrapOAEP256(t, gp.PublicKey, make([]byte, 40))}); err != nil {
		t.Fatal(err)
	}
}

// TestGenerateImportParametersConcurrent runs the boundary's import calls
// in parallel, for the race detector.
func TestGenerateImportParametersConcurrent(t *testing.T) {
	b, _, _ := setup(t)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gp, err := b.GenerateImportParameters(ctx, testRegion, importARN, hsm.WrappingSM2PKE, "SM2", time.Now().Add(time.Hour))
			if err == nil {
				t.Errorf("SM2 wrapping outside China: %+v", gp)
			}
			gp, err = b.GenerateImportParameters(ctx, testRegion, importARN, hsm.WrappingRSAAESKeyWrapSHA1, "RSA_2048", time.Now().Add(time.Hour))
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := b.OpenImportToken(ctx, testRegion, importARN, gp.ImportToken); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
