package hsm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// TestXKSAAD checks the specification's AAD construction byte by byte.
func TestXKSAAD(t *testing.T) {
	got, err := XKSAAD([]byte("ab"), []byte{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 2, 'a', 'b', 3, 1, 2, 3}
	if !bytes.Equal(got, want) {
		t.Fatalf("XKSAAD = %x, want %x", got, want)
	}
	if got, _ := XKSAAD(nil, nil); !bytes.Equal(got, []byte{0, 0, 0}) {
		t.Fatalf("XKSAAD(empty) = %x", got)
	}
	if _, err := XKSAAD(make([]byte, 1<<16), nil); err == nil {
		t.Fatal("AAD of 65536 bytes accepted")
	}
}

// TestSealXKSVector pins the format: a fixed backing key and random bytes
// give a fixed output (regenerate only with a new scheme version).
func TestSealXKSVector(t *testing.T) {
	hbk := bytes.Repeat([]byte{0x42}, KeySize)
	mid := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	rnd := bytes.NewReader(bytes.Repeat([]byte{0x07}, 64))
	c, err := SealXKS(rnd, hbk, mid, []byte("Hello World!"), []byte("project=nile,department=marketing"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.IV) != 12 || len(c.Tag) != 16 || len(c.Ciphertext) != 12 || len(c.Metadata) != XKSMetadataLen {
		t.Fatalf("sizes: iv %d tag %d ct %d md %d", len(c.IV), len(c.Tag), len(c.Ciphertext), len(c.Metadata))
	}
	if want := "0107070707070707070707070707070707"; hex.EncodeToString(c.Metadata) != want {
		t.Fatalf("metadata %x, want %s", c.Metadata, want)
	}
	// Computed independently with Python's cryptography package (AESGCM)
	// and hmac for the KBKDF.
	const wantCT, wantTag = "b45cd939ae00a90033562faf", "54e32d386c94085e67c48315f8596fc2"
	if hex.EncodeToString(c.Ciphertext) != wantCT || hex.EncodeToString(c.Tag) != wantTag {
		t.Fatalf("ciphertext %x tag %x; want %s %s", c.Ciphertext, c.Tag, wantCT, wantTag)
	}
	pt, err := OpenXKS(hbk, mid, c, []byte("project=nile,department=marketing"))
	if err != nil || string(pt) != "Hello World!" {
		t.Fatalf("OpenXKS = %q, %v", pt, err)
	}
}

func TestOpenXKSRejects(t *testing.T) {
	hbk := bytes.Repeat([]byte{0x42}, KeySize)
	mid := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	aad := []byte("aad")
	good, err := SealXKS(bytes.NewReader(bytes.Repeat([]byte{9}, 64)), hbk, mid, []byte("plaintext"), aad)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	otherMID := "f0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	otherKey := bytes.Repeat([]byte{0x43}, KeySize)
	cases := []struct {
		name     string
		c        XKSCiphertext
		aad      []byte
		key, mid string
	}{
		{"wrong AAD", *good, []byte("aae"), "", ""},
		{"no AAD", *good, nil, "", ""},
		{"IV", XKSCiphertext{flip(good.IV, 0), good.Ciphertext, good.Tag, good.Metadata}, aad, "", ""},
		{"16-byte IV", XKSCiphertext{append(bytes.Clone(good.IV), 0, 0, 0, 0), good.Ciphertext, good.Tag, good.Metadata}, aad, "", ""},
		{"ciphertext", XKSCiphertext{good.IV, flip(good.Ciphertext, 3), good.Tag, good.Metadata}, aad, "", ""},
		{"tag", XKSCiphertext{good.IV, good.Ciphertext, flip(good.Tag, 15), good.Metadata}, aad, "", ""},
		{"short tag", XKSCiphertext{good.IV, good.Ciphertext, good.Tag[:15], good.Metadata}, aad, "", ""},
		{"metadata salt", XKSCiphertext{good.IV, good.Ciphertext, good.Tag, flip(good.Metadata, 5)}, aad, "", ""},
		{"metadata version", XKSCiphertext{good.IV, good.Ciphertext, good.Tag, flip(good.Metadata, 0)}, aad, "", ""},
		{"no metadata", XKSCiphertext{good.IV, good.Ciphertext, good.Tag, nil}, aad, "", ""},
		{"other material id", *good, aad, "", otherMID},
		{"other key", *good, aad, "other", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key, m := hbk, mid
			if tc.key != "" {
				key = otherKey
			}
			if tc.mid != "" {
				m = tc.mid
			}
			_, err := OpenXKS(key, m, &tc.c, tc.aad)
			if !errors.Is(err, ErrInvalidCiphertext) {
				t.Fatalf("OpenXKS: %v, want ErrInvalidCiphertext", err)
			}
		})
	}
}
