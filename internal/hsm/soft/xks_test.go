package soft

import (
	"errors"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
)

func TestXKSRoundTrip(t *testing.T) {
	b, _ := newBoundary(t)
	if h := b.XKSHealth(ctx, testRegion); h.Status != hsm.XKSDegraded {
		t.Fatalf("health without a domain key: %+v", h)
	}
	if _, err := b.CreateDomainKey(ctx, testRegion); err != nil {
		t.Fatal(err)
	}
	if h := b.XKSHealth(ctx, testRegion); h.Status != hsm.XKSActive || h.ID == "" || h.Model == "" {
		t.Fatalf("health: %+v", h)
	}
	bk, err := b.GenerateBackingKey(ctx, testRegion, keyhold.XKSKeyARN(testRegion, "store", "foo"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := b.GenerateBackingKey(ctx, testRegion, keyhold.XKSKeyARN(testRegion, "store", "bar"))
	if err != nil {
		t.Fatal(err)
	}
	aad := []byte("aad")
	c, err := b.XKSEncrypt(ctx, bk, []byte("inner ciphertext"), aad)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := b.XKSDecrypt(ctx, bk, c, aad)
	if err != nil || string(pt) != "inner ciphertext" {
		t.Fatalf("XKSDecrypt = %q, %v", pt, err)
	}
	if _, err := b.XKSDecrypt(ctx, other, c, aad); !errors.Is(err, hsm.ErrInvalidCiphertext) {
		t.Fatalf("another key decrypted: %v", err)
	}
	// A backing key moved to another external key id does not open.
	moved := *bk
	moved.KeyARN = keyhold.XKSKeyARN(testRegion, "store", "moved")
	if _, err := b.XKSEncrypt(ctx, &moved, []byte("x"), nil); err == nil || errors.Is(err, hsm.ErrInvalidCiphertext) {
		t.Fatalf("a relabelled EKT opened: %v", err)
	}
	b.Close()
	if h := b.XKSHealth(ctx, testRegion); h.Status != hsm.XKSUnavailable {
		t.Fatalf("health after Close: %+v", h)
	}
	if _, err := b.XKSEncrypt(ctx, bk, []byte("x"), nil); err == nil {
		t.Fatal("XKSEncrypt after Close")
	}
}
