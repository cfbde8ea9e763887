package hsm

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func TestKeyEKTRoundTrip(t *testing.T) {
	dk := testAEAD(t, 1)
	b := EKTBinding{Region: "us-east-1", DomainKeyID: "dk-1", KeyARN: testARN, MaterialID: testMID}
	material := bytes.Repeat([]byte{0xab}, 1217)
	ekt, err := SealKeyEKT(testRand(), dk, b, "RSA_2048", material)
	if err != nil {
		t.Fatal(err)
	}
	// Layout: 02 || n || id || m || spec || IV || sealed || tag.
	if ekt[0] != 2 || ekt[1] != 4 || string(ekt[2:6]) != "dk-1" || ekt[6] != 8 || string(ekt[7:15]) != "RSA_2048" ||
		len(ekt) != 15+IVSize+len(material)+TagSize {
		t.Fatalf("layout: %x", ekt[:16])
	}
	if id, err := EKTDomainKeyID(ekt); err != nil || id != "dk-1" {
		t.Fatalf("EKTDomainKeyID = %q, %v", id, err)
	}
	spec, got, err := OpenKeyEKT(dk, b, ekt)
	if err != nil || spec != "RSA_2048" || !bytes.Equal(got, material) {
		t.Fatalf("OpenKeyEKT = %s, %v", spec, err)
	}
	// A v2 EKT is not a symmetric backing key.
	if _, err := OpenEKT(dk, b, ekt); err == nil {
		t.Fatal("OpenEKT opened a v2 EKT")
	}

	relabelled := bytes.Clone(ekt)
	copy(relabelled[7:15], "RSA_3072")
	otherMID := b
	otherMID.MaterialID = hex.EncodeToString(bytes.Repeat([]byte{1}, 32))
	otherARN := b
	otherARN.KeyARN = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000"
	for _, tt := range []struct {
		name string
		b    EKTBinding
		ekt  []byte
	}{
		{"spec relabelled", b, relabelled},
		{"other material id", otherMID, ekt},
		{"other key", otherARN, ekt},
		{"truncated", b, ekt[:len(ekt)-1]},
		{"tag flipped", b, append(bytes.Clone(ekt[:len(ekt)-1]), ekt[len(ekt)-1]^1)},
		{"header only", b, ekt[:15]},
	} {
		if _, _, err := OpenKeyEKT(dk, tt.b, tt.ekt); err == nil {
			t.Errorf("%s: opened", tt.name)
		}
	}
	if _, _, err := OpenKeyEKT(testAEAD(t, 2), b, ekt); err == nil {
		t.Error("opened under another domain key")
	}
}

// TestKeyEKTReadsV1 holds the compatibility promise: EKTs written before
// v2 existed open through OpenKeyEKT as SYMMETRIC_DEFAULT material.
func TestKeyEKTReadsV1(t *testing.T) {
	dk := testAEAD(t, 1)
	b := EKTBinding{Region: "us-east-1", DomainKeyID: "dk-1", KeyARN: testARN, MaterialID: testMID}
	hbk := bytes.Repeat([]byte{9}, KeySize)
	v1, err := SealEKT(testRand(), dk, b, hbk)
	if err != nil {
		t.Fatal(err)
	}
	spec, got, err := OpenKeyEKT(dk, b, v1)
	if err != nil || spec != "SYMMETRIC_DEFAULT" || !bytes.Equal(got, hbk) {
		t.Fatalf("OpenKeyEKT(v1) = %s, %v", spec, err)
	}
}

func TestSealKeyEKTRejects(t *testing.T) {
	dk := testAEAD(t, 1)
	b := EKTBinding{Region: "us-east-1", DomainKeyID: "dk-1", KeyARN: testARN, MaterialID: testMID}
	for name, tt := range map[string]struct {
		spec     string
		material []byte
	}{
		"empty material":  {"HMAC_256", nil},
		"huge material":   {"HMAC_256", make([]byte, maxMaterialLen+1)},
		"empty spec":      {"", []byte{1}},
		"spec with space": {"RSA 2048", []byte{1}},
	} {
		if _, err := SealKeyEKT(testRand(), dk, b, tt.spec, tt.material); err == nil {
			t.Errorf("%s: sealed", name)
		}
	}
	wrongRegion := b
	wrongRegion.Region = "eu-west-1"
	if _, err := SealKeyEKT(testRand(), dk, wrongRegion, "HMAC_256", []byte{1}); err == nil {
		t.Error("sealed a key of another region")
	}
}
