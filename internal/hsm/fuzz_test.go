package hsm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

const fuzzCorpusDir = "testdata/fuzz/FuzzParseCiphertext"

// FuzzParseCiphertext checks that no input makes the parser (or a
// decryption attempt) panic, that every error is ErrInvalidCiphertext, and
// that a blob that parses marshals back to the same bytes, so the format has
// exactly one encoding of each header.
func FuzzParseCiphertext(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed.blob)
	}
	hbk := mustHex(f, testHBK)
	f.Fuzz(func(t *testing.T, blob []byte) {
		h, err := ParseCiphertext(blob)
		if err != nil {
			if !errors.Is(err, ErrInvalidCiphertext) {
				t.Fatalf("ParseCiphertext error %v is not ErrInvalidCiphertext", err)
			}
			if _, err := OpenCiphertext(hbk, testARN, testMID, blob, nil); !errors.Is(err, ErrInvalidCiphertext) {
				t.Fatalf("OpenCiphertext of an unparsable blob: %v", err)
			}
			return
		}
		again, err := h.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary of a parsed blob: %v", err)
		}
		if !bytes.Equal(again, blob) {
			t.Fatalf("round trip changed the blob:\n in %x\nout %x", blob, again)
		}
		if _, err := OpenCiphertext(hbk, h.KeyARN, h.MaterialID, blob, nil); err != nil && !errors.Is(err, ErrInvalidCiphertext) {
			t.Fatalf("OpenCiphertext: %v", err)
		}
	})
}

type fuzzSeed struct {
	name string
	blob []byte
}

// fuzzSeeds are the seeds of FuzzParseCiphertext; -update writes them to
// testdata/fuzz/FuzzParseCiphertext as well.
func fuzzSeeds(t testing.TB) []fuzzSeed {
	var f ciphertextVectorFile
	readJSON(t, ciphertextVectorsPath, &f)
	var seeds []fuzzSeed
	for i, v := range f.Vectors {
		seeds = append(seeds, fuzzSeed{fmt.Sprintf("vector-%d", i), mustHex(t, v.Blob)})
	}
	valid := mustHex(t, f.Vectors[0].Blob)
	edit := func(name string, fn func(b []byte) []byte) {
		seeds = append(seeds, fuzzSeed{name, fn(bytes.Clone(valid))})
	}
	edit("truncated-header", func(b []byte) []byte { return b[:40] })
	edit("truncated-tag", func(b []byte) []byte { return b[:len(b)-1] })
	edit("trailing-byte", func(b []byte) []byte { return append(b, 0) })
	edit("version-2", func(b []byte) []byte { b[2] = 2; return b })
	edit("arn-length-257", func(b []byte) []byte { binary.BigEndian.PutUint16(b[3:], 257); return b })
	edit("ciphertext-length-max", func(b []byte) []byte {
		off := ctPrefixLen + int(binary.BigEndian.Uint16(b[3:])) + MaterialIDSize + SaltSize + IVSize
		binary.BigEndian.PutUint32(b[off:], 1<<32-1)
		return b
	})
	seeds = append(seeds,
		fuzzSeed{"empty", []byte{}},
		fuzzSeed{"magic-only", []byte("KH\x01")},
	)
	return seeds
}

func TestWriteFuzzCorpus(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite " + fuzzCorpusDir)
	}
	if err := os.MkdirAll(fuzzCorpusDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range fuzzSeeds(t) {
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.blob)
		if err := os.WriteFile(filepath.Join(fuzzCorpusDir, "seed-"+s.name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzOpenEKT checks that no stored EKT, however damaged, makes OpenEKT
// panic, and that only the genuine one opens.
func FuzzOpenEKT(f *testing.F) {
	dk := testAEAD(f, 1)
	b := EKTBinding{Region: "us-east-1", DomainKeyID: "dk-1", KeyARN: testARN, MaterialID: testMID}
	hbk := bytes.Repeat([]byte{9}, KeySize)
	genuine, err := SealEKT(testRand(), dk, b, hbk)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine)
	f.Add(genuine[:2])
	f.Add([]byte{1, 255})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, ekt []byte) {
		got, err := OpenEKT(dk, b, ekt)
		if err == nil && (!bytes.Equal(ekt, genuine) || !bytes.Equal(got, hbk)) {
			t.Fatalf("OpenEKT accepted %x", ekt)
		}
		EKTDomainKeyID(ekt)
	})
}
