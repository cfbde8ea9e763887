package kms

import (
	"bytes"
	"strings"
	"testing"
)

func testXKSBlob(t testing.TB) *xksBlob {
	prefix, err := xksBlobPrefix("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	return &xksBlob{prefix: prefix, iv: bytes.Repeat([]byte{1}, 12), metadata: []byte{1, 2, 3}, tag: bytes.Repeat([]byte{2}, 16), ciphertext: []byte("outer ciphertext")}
}

func TestXKSBlobRoundTrip(t *testing.T) {
	b := testXKSBlob(t)
	blob := b.marshal()
	if !isXKSBlob(blob) {
		t.Fatal("not recognised")
	}
	got, err := parseXKSBlob(blob)
	if err != nil {
		t.Fatal(err)
	}
	if got.keyARN != "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" || got.materialID != strings.Repeat("ab", 32) ||
		!bytes.Equal(got.marshal(), blob) {
		t.Fatalf("round trip: %+v", got)
	}
	h, err := blobHeader(blob)
	if err != nil || h.KeyARN != got.keyARN || h.MaterialID != got.materialID {
		t.Fatalf("blobHeader: %+v, %v", h, err)
	}
	for n := range len(blob) {
		if _, err := parseXKSBlob(blob[:n]); err == nil {
			t.Fatalf("a blob cut to %d bytes parsed", n)
		}
	}
	if _, err := parseXKSBlob(append(blob, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	// The AAD sent to the proxy binds the encryption context.
	a1, _ := xksAAD(b.prefix, map[string]string{"a": "1"})
	a2, _ := xksAAD(b.prefix, map[string]string{"a": "2"})
	a3, _ := xksAAD(b.prefix, nil)
	if bytes.Equal(a1, a2) || bytes.Equal(a1, a3) || !bytes.HasPrefix(a1, b.prefix) || len(a1) != len(b.prefix)+32 {
		t.Fatal("AAD does not bind the context")
	}
}

// FuzzParseXKSBlob: parsing never panics, and what parses marshals back to
// the same bytes (the format has one encoding per blob).
func FuzzParseXKSBlob(f *testing.F) {
	f.Add(testXKSBlob(f).marshal())
	f.Add([]byte("KX\x01\x00\x04arn:"))
	f.Add([]byte("KH\x01"))
	f.Fuzz(func(t *testing.T, blob []byte) {
		b, err := parseXKSBlob(blob)
		if err != nil {
			return
		}
		if !bytes.Equal(b.marshal(), blob) {
			t.Fatalf("marshal(parse(%x)) = %x", blob, b.marshal())
		}
	})
}
