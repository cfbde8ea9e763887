package hsm

import (
	"bytes"
	"crypto/cipher"
	"encoding/hex"
	"strings"
	"testing"
)

func testAEAD(t testing.TB, b byte) cipher.AEAD {
	t.Helper()
	aead, err := NewAEAD(bytes.Repeat([]byte{b}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return aead
}

func TestEKTRoundTrip(t *testing.T) {
	dk := testAEAD(t, 1)
	hbk := bytes.Repeat([]byte{9}, KeySize)
	b := EKTBinding{Region: "us-east-1", DomainKeyID: "dk-1", KeyARN: testARN, MaterialID: testMID}
	ekt, err := SealEKT(testRand(), dk, b, hbk)
	if err != nil {
		t.Fatal(err)
	}
	if len(ekt) != 62+len(b.DomainKeyID) {
		t.Errorf("len(ekt) = %d, want %d", len(ekt), 62+len(b.DomainKeyID))
	}
	if id, err := EKTDomainKeyID(ekt); err != nil || id != "dk-1" {
		t.Errorf("EKTDomainKeyID = %q, %v", id, err)
	}
	got, err := OpenEKT(dk, b, ekt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, hbk) {
		t.Error("OpenEKT returned other bytes")
	}

	// Everything the EKT is bound to must match.
	otherRegion := b
	otherRegion.Region = "us-west-2"
	otherID := b
	otherID.DomainKeyID = "dk-2"
	otherARN := b
	otherARN.KeyARN = strings.Replace(testARN, "1234abcd", "5678abcd", 1)
	otherMID := b
	otherMID.MaterialID = "0" + testMID[1:]
	tests := []struct {
		name string
		dk   cipher.AEAD
		b    EKTBinding
		ekt  []byte
	}{
		{"domain key of another region", testAEAD(t, 2), b, ekt},
		{"region", dk, otherRegion, ekt},
		{"domain key id", dk, otherID, ekt},
		{"key ARN", dk, otherARN, ekt},
		{"material id", dk, otherMID, ekt},
		{"truncated", dk, b, ekt[:len(ekt)-1]},
		{"extended", dk, b, append(bytes.Clone(ekt), 0)},
		{"empty", dk, b, nil},
	}
	for i := range len(ekt) * 8 {
		flipped := bytes.Clone(ekt)
		flipped[i/8] ^= 1 << (i % 8)
		tests = append(tests, struct {
			name string
			dk   cipher.AEAD
			b    EKTBinding
			ekt  []byte
		}{"bit flip", dk, b, flipped})
	}
	for _, tt := range tests {
		if got, err := OpenEKT(tt.dk, tt.b, tt.ekt); err == nil {
			t.Errorf("%s: OpenEKT succeeded (%x)", tt.name, got)
		}
	}
}

func TestSealEKTRejects(t *testing.T) {
	dk := testAEAD(t, 1)
	good := EKTBinding{Region: "us-east-1", DomainKeyID: "dk-1", KeyARN: testARN, MaterialID: testMID}
	hbk := make([]byte, KeySize)
	tests := []struct {
		name string
		edit func(*EKTBinding)
		hbk  []byte
	}{
		{"region not the ARN's", func(b *EKTBinding) { b.Region = "eu-west-1" }, hbk},
		{"empty region", func(b *EKTBinding) { b.Region = "" }, hbk},
		{"domain key id with space", func(b *EKTBinding) { b.DomainKeyID = "dk 1" }, hbk},
		{"domain key id too long", func(b *EKTBinding) { b.DomainKeyID = strings.Repeat("d", 256) }, hbk},
		{"bad ARN", func(b *EKTBinding) { b.KeyARN = "key/1" }, hbk},
		{"bad material id", func(b *EKTBinding) { b.MaterialID = "00" }, hbk},
		{"short backing key", func(*EKTBinding) {}, hbk[:31]},
	}
	for _, tt := range tests {
		b := good
		tt.edit(&b)
		if _, err := SealEKT(testRand(), dk, b, tt.hbk); err == nil {
			t.Errorf("%s: SealEKT succeeded", tt.name)
		}
	}
	b := good
	b.DomainKeyID = strings.Repeat("d", 255)
	if _, err := SealEKT(testRand(), dk, b, hbk); err != nil {
		t.Errorf("255-byte domain key id: %v", err)
	}
}

func TestNewMaterialID(t *testing.T) {
	a, err := NewMaterialID(testRand())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeMaterialID(a); err != nil {
		t.Errorf("NewMaterialID = %q: %v", a, err)
	}
	if a != "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20" {
		t.Errorf("NewMaterialID did not use the given random source: %s", a)
	}
}

func TestDomainKeyWrap(t *testing.T) {
	root := testAEAD(t, 7)
	key := bytes.Repeat([]byte{3}, KeySize)
	w, err := WrapDomainKey(testRand(), root, "us-east-1", "dk-1", key)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != wrappedDomainKeyLen {
		t.Errorf("len = %d, want %d", len(w), wrappedDomainKeyLen)
	}
	got, err := UnwrapDomainKey(root, "us-east-1", "dk-1", w)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("UnwrapDomainKey = %x, %v", got, err)
	}
	tests := []struct {
		name       string
		root       cipher.AEAD
		region, id string
		w          []byte
	}{
		{"other root key", testAEAD(t, 8), "us-east-1", "dk-1", w},
		{"other region", root, "us-east-2", "dk-1", w},
		{"other id", root, "us-east-1", "dk-2", w},
		{"truncated", root, "us-east-1", "dk-1", w[:len(w)-1]},
		{"bad region", root, "", "dk-1", w},
	}
	for i := range len(w) * 8 {
		flipped := bytes.Clone(w)
		flipped[i/8] ^= 1 << (i % 8)
		tests = append(tests, struct {
			name       string
			root       cipher.AEAD
			region, id string
			w          []byte
		}{"bit flip", root, "us-east-1", "dk-1", flipped})
	}
	for _, tt := range tests {
		if _, err := UnwrapDomainKey(tt.root, tt.region, tt.id, tt.w); err == nil {
			t.Errorf("%s: UnwrapDomainKey succeeded", tt.name)
		}
	}
	if _, err := WrapDomainKey(testRand(), root, "us-east-1", "dk-1", key[:16]); err == nil {
		t.Error("wrapped a 16-byte domain key")
	}
}

func TestSealedSecret(t *testing.T) {
	k := testAEAD(t, 5)
	sealed, err := SealSecret(testRand(), k, "AKIAEXAMPLE", []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenSecret(k, "AKIAEXAMPLE", sealed)
	if err != nil || string(got) != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" {
		t.Fatalf("OpenSecret = %q, %v", got, err)
	}
	for _, tt := range []struct {
		name   string
		k      cipher.AEAD
		label  string
		sealed []byte
	}{
		{"other label", k, "AKIAOTHER", sealed},
		{"empty label", k, "", sealed},
		{"other key", testAEAD(t, 6), "AKIAEXAMPLE", sealed},
		{"truncated", k, "AKIAEXAMPLE", sealed[:len(sealed)-1]},
		{"too short", k, "AKIAEXAMPLE", sealed[:1+IVSize+TagSize-1]},
		{"version", k, "AKIAEXAMPLE", append([]byte{2}, sealed[1:]...)},
	} {
		if _, err := OpenSecret(tt.k, tt.label, tt.sealed); err == nil {
			t.Errorf("%s: OpenSecret succeeded", tt.name)
		}
	}
	// An empty secret round-trips.
	sealed, err = SealSecret(testRand(), k, "l", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenSecret(k, "l", sealed); err != nil || len(got) != 0 {
		t.Errorf("empty secret: %q, %v", got, err)
	}
	if _, err := SealSecret(testRand(), k, "l", make([]byte, MaxSecretLen+1)); err == nil {
		t.Error("oversize secret sealed")
	}
}

func TestArnRegion(t *testing.T) {
	for s, want := range map[string]string{
		testARN:                     "us-east-1",
		"arn:aws:kms::1:key/x":      "",
		"arn:aws:kms":               "",
		"arn:aws-cn:kms:cn-north-1": "",
		"arn:a:b:r:acct:res":        "r",
	} {
		if got := arnRegion(s); got != want {
			t.Errorf("arnRegion(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestAADLayouts pins the AADs of the internal formats to the layouts in
// docs/ciphertext-format.md.
func TestAADLayouts(t *testing.T) {
	hx := func(s string) string { return hex.EncodeToString([]byte(s)) }
	b := EKTBinding{Region: "us-east-1", DomainKeyID: "dk-1", KeyARN: testARN, MaterialID: testMID}
	mid := mustHex(t, testMID)
	header := append([]byte{ektVersion, 4}, "dk-1"...)
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"EKT", ektAAD(header, b, mid),
			"000e" + hx("keyhold/v1/ekt") + "0104" + hx("dk-1") + "0009" + hx("us-east-1") + "004b" + hx(testARN) + testMID},
		{"wrapped domain key", domainKeyAAD("us-east-1", "dk-1"),
			"0015" + hx("keyhold/v1/domain-key") + "01" + "0009" + hx("us-east-1") + "0004" + hx("dk-1")},
		{"sealed secret", secretAAD("AKIA1"),
			"0011" + hx("keyhold/v1/secret") + "01" + "00000005" + hx("AKIA1")},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(tt.got); got != tt.want {
			t.Errorf("%s AAD =\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}
