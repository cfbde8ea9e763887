package soft

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"testing"
)

func TestAuditSigningKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "root.key")
	b1, err := New(ctx, Options{RootKeyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := b1.PublicKeyPEM()
	sig, err := b1.SignAuditDigest(ctx, []byte("digest"))
	if err != nil {
		t.Fatal(err)
	}
	b1.Close()
	// The same root key gives the same audit key after a restart.
	b2, err := New(ctx, Options{RootKeyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	p2, _ := b2.PublicKeyPEM()
	if !bytes.Equal(p1, p2) {
		t.Fatal("the audit public key changed across a restart")
	}
	blk, _ := pem.Decode(p2)
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ek := pub.(*ecdsa.PublicKey)
	if ek.Curve.Params().BitSize != 384 {
		t.Fatalf("curve %d bits, want P-384", ek.Curve.Params().BitSize)
	}
	h := crypto.SHA384.New()
	h.Write([]byte("digest"))
	if !ecdsa.VerifyASN1(ek, h.Sum(nil), sig) {
		t.Fatal("signature does not verify with the exported public key")
	}
	// Another root key, another audit key.
	b3, _ := New(ctx, Options{RootKeyPath: filepath.Join(t.TempDir(), "root.key")})
	defer b3.Close()
	p3, _ := b3.PublicKeyPEM()
	if bytes.Equal(p1, p3) {
		t.Fatal("two root keys gave the same audit key")
	}
}
