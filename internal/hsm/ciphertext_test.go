package hsm

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const ciphertextVectorsPath = "testdata/ciphertext-v1.json"

type ciphertextVectorFile struct {
	Description string             `json:"description"`
	Vectors     []ciphertextVector `json:"vectors"`
}

// ciphertextVector is one fixed-input encryption. The fields from DataKey
// on are outputs: DataKey and AAD are intermediate values for auditors
// reproducing Blob with other tools.
type ciphertextVector struct {
	Name              string            `json:"name"`
	HBK               string            `json:"hbk"`
	KeyARN            string            `json:"key_arn"`
	MaterialID        string            `json:"material_id"`
	Salt              string            `json:"salt"`
	IV                string            `json:"iv"`
	EncryptionContext map[string]string `json:"encryption_context"`
	Plaintext         string            `json:"plaintext"`

	DataKey         string `json:"data_key"`
	ContextEncoding string `json:"encryption_context_encoding"`
	AAD             string `json:"aad"`
	Blob            string `json:"blob"`
}

const (
	testARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	testHBK = "5cbf4886b6249cc87e8f2629ace368b0975a30b30a1df7b3658b5579f0ba366f"
	testMID = "b39aa73e2f96aba3dadaa2a9e92eccfd8401991c292d949383ebff6ed6dc5ae6"
)

var ciphertextInputs = []ciphertextVector{
	{Name: "empty context", HBK: testHBK, KeyARN: testARN, MaterialID: testMID,
		Salt: "14c0b4709c9e225c5f5e390f7366e47f92980825d6861721c48229228edde7db", IV: "7de762ad1ade33f8144438f6",
		EncryptionContext: map[string]string{}, Plaintext: hex.EncodeToString([]byte("Hello, keyhold!"))},
	{Name: "multi-pair context", HBK: testHBK, KeyARN: testARN, MaterialID: testMID,
		Salt: "d5cafc0f68af0248f336e94fd4627614b73ead4552bb3c27d8762d9216f990f7", IV: "f51d97ae8e549097ce494c69",
		EncryptionContext: map[string]string{"tenant": "acme", "purpose": "backup", "aws:ebs:id": "vol-0123456789abcdef0", "empty": ""},
		Plaintext:         hex.EncodeToString([]byte("secret data key material, 32 by"))},
	{Name: "unicode context", HBK: testHBK, KeyARN: testARN, MaterialID: testMID,
		Salt: "d3e255e7a99d2de22d1f9dfa61bb4eb1ddda434ec54bd76c12fbd7f860737be4", IV: "218a8988829684616c5f2489",
		EncryptionContext: map[string]string{"名前": "値", "café": "naïve", "emoji": "🔑"},
		Plaintext:         hex.EncodeToString([]byte("ünïcødé plaintext"))},
	{Name: "context {\"ab\":\"c\"}", HBK: testHBK, KeyARN: testARN, MaterialID: testMID,
		Salt: "e7361095fb1c3430b3d1f724d3f8e91638f8d9ce554ed72166c32e662d126ac7", IV: "b549040ec1ec615c73713470",
		EncryptionContext: map[string]string{"ab": "c"}, Plaintext: "00010203"},
	{Name: "context {\"a\":\"bc\"} (same salt and IV as the previous vector)", HBK: testHBK, KeyARN: testARN, MaterialID: testMID,
		Salt: "e7361095fb1c3430b3d1f724d3f8e91638f8d9ce554ed72166c32e662d126ac7", IV: "b549040ec1ec615c73713470",
		EncryptionContext: map[string]string{"a": "bc"}, Plaintext: "00010203"},
	{Name: "empty plaintext, multi-region key ARN", HBK: "8b2e52a8def9b41bc9af9a492af3b2a4ff3c6f638f2e7a0d5d84f3eaef127d0d",
		KeyARN: "arn:aws:kms:eu-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab", MaterialID: testMID,
		Salt: "8b2e52a8def9b41bc9af9a492af3b2a4ff3c6f638f2e7a0d5d84f3eaef127d0d", IV: "fc1aa45f4660cfbd2e2a13bd",
		EncryptionContext: map[string]string{"k": "v"}, Plaintext: ""},
}

// fixedRand returns a reader that yields salt then IV, as SealCiphertext
// reads them.
func fixedRand(t testing.TB, v ciphertextVector) io.Reader {
	return bytes.NewReader(append(mustHex(t, v.Salt), mustHex(t, v.IV)...))
}

func TestCiphertextVectors(t *testing.T) {
	if *update {
		f := ciphertextVectorFile{Description: "keyhold ciphertext blob format v1 (docs/ciphertext-format.md). Inputs: hbk, key_arn, material_id, salt, iv, encryption_context, plaintext. Outputs: data_key = KBKDF(hbk, \"keyhold/v1/encrypt\", salt || material_id, 32); encryption_context_encoding; aad = blob header || encryption_context_encoding; blob. Byte strings are hex."}
		for _, v := range ciphertextInputs {
			v.DataKey = hex.EncodeToString(mustKBKDF(t, mustHex(t, v.HBK), labelEncrypt, append(mustHex(t, v.Salt), mustHex(t, v.MaterialID)...), 32))
			enc, err := AppendEncryptionContext(nil, v.EncryptionContext)
			if err != nil {
				t.Fatal(err)
			}
			v.ContextEncoding = hex.EncodeToString(enc)
			blob, err := SealCiphertext(fixedRand(t, v), mustHex(t, v.HBK), v.KeyARN, v.MaterialID, mustHex(t, v.Plaintext), v.EncryptionContext)
			if err != nil {
				t.Fatal(err)
			}
			v.Blob = hex.EncodeToString(blob)
			hdr := blob[:len(blob)-len(mustHex(t, v.Plaintext))-TagSize]
			v.AAD = hex.EncodeToString(append(bytes.Clone(hdr), enc...))
			f.Vectors = append(f.Vectors, v)
		}
		writeJSON(t, ciphertextVectorsPath, f)
	}

	var f ciphertextVectorFile
	readJSON(t, ciphertextVectorsPath, &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			hbk, pt, want := mustHex(t, v.HBK), mustHex(t, v.Plaintext), mustHex(t, v.Blob)

			dataKey := mustKBKDF(t, hbk, labelEncrypt, append(mustHex(t, v.Salt), mustHex(t, v.MaterialID)...), 32)
			if got := hex.EncodeToString(dataKey); got != v.DataKey {
				t.Errorf("data key = %s, want %s", got, v.DataKey)
			}
			enc, err := AppendEncryptionContext(nil, v.EncryptionContext)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(enc); got != v.ContextEncoding {
				t.Errorf("context encoding = %s, want %s", got, v.ContextEncoding)
			}

			blob, err := SealCiphertext(fixedRand(t, v), hbk, v.KeyARN, v.MaterialID, pt, v.EncryptionContext)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(blob, want) {
				t.Fatalf("blob =\n%x\nwant\n%x", blob, want)
			}

			// The AAD and the data key alone reproduce the blob with plain
			// AES-256-GCM, as an auditor would check it.
			aead, err := NewAEAD(dataKey)
			if err != nil {
				t.Fatal(err)
			}
			hdrLen := len(want) - len(pt) - TagSize
			if got := hex.EncodeToString(append(bytes.Clone(want[:hdrLen]), enc...)); got != v.AAD {
				t.Errorf("aad = %s, want %s", got, v.AAD)
			}
			if got := aead.Seal(bytes.Clone(want[:hdrLen]), mustHex(t, v.IV), pt, mustHex(t, v.AAD)); !bytes.Equal(got, want) {
				t.Errorf("AES-GCM(data key, aad) does not reproduce the blob")
			}

			got, err := OpenCiphertext(hbk, v.KeyARN, v.MaterialID, want, v.EncryptionContext)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, pt) {
				t.Errorf("OpenCiphertext = %x, want %x", got, pt)
			}
			h, err := ParseCiphertext(want)
			if err != nil {
				t.Fatal(err)
			}
			if h.KeyARN != v.KeyARN || h.MaterialID != v.MaterialID || hex.EncodeToString(h.Salt[:]) != v.Salt || hex.EncodeToString(h.IV[:]) != v.IV {
				t.Errorf("ParseCiphertext = %+v", h)
			}
		})
	}
}

func mustKBKDF(t testing.TB, key, label, context []byte, n int) []byte {
	t.Helper()
	out, err := KBKDF(key, label, context, n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEncryptionContextEncoding(t *testing.T) {
	enc := func(ec map[string]string) string {
		b, err := AppendEncryptionContext(nil, ec)
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(b)
	}
	tests := []struct {
		name string
		ec   map[string]string
		want string
	}{
		{"nil", nil, "00000000"},
		{"empty", map[string]string{}, "00000000"},
		{"ab:c", map[string]string{"ab": "c"}, "00000001" + "00000002" + "6162" + "00000001" + "63"},
		{"a:bc", map[string]string{"a": "bc"}, "00000001" + "00000001" + "61" + "00000002" + "6263"},
		{"sorted by key bytes", map[string]string{"b": "", "a": "", "B": ""}, "00000003" + "00000001" + "42" + "00000000" + "00000001" + "61" + "00000000" + "00000001" + "62" + "00000000"},
		{"empty key and value", map[string]string{"": ""}, "00000001" + "00000000" + "00000000"},
		{"utf-8 bytes, no normalization", map[string]string{"é": "e\u0301"}, "00000001" + "00000002" + "c3a9" + "00000003" + "65cc81"},
	}
	for _, tt := range tests {
		if got := enc(tt.ec); got != tt.want {
			t.Errorf("%s: encoding = %s, want %s", tt.name, got, tt.want)
		}
	}
	// Insertion order does not matter.
	a := map[string]string{}
	b := map[string]string{}
	keys := []string{"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
	for i := range keys {
		a[keys[i]] = keys[len(keys)-1-i]
		b[keys[len(keys)-1-i]] = keys[i]
	}
	if enc(a) != enc(b) {
		t.Error("the same context inserted in different orders encodes differently")
	}
}

func TestCiphertextContextBinding(t *testing.T) {
	hbk := mustHex(t, testHBK)
	seal := func(ec map[string]string) []byte {
		blob, err := SealCiphertext(testRand(), hbk, testARN, testMID, []byte("plaintext"), ec)
		if err != nil {
			t.Fatal(err)
		}
		return blob
	}
	multi := map[string]string{"k1": "v1", "k2": "v2", "k3": "v3", "k4": "v4", "k5": "v5", "k6": "v6", "k7": "v7", "k8": "v8", "k9": "v9"}
	tests := []struct {
		name     string
		seal, op map[string]string
		ok       bool
	}{
		{"same", map[string]string{"ab": "c"}, map[string]string{"ab": "c"}, true},
		{"ab:c vs a:bc", map[string]string{"ab": "c"}, map[string]string{"a": "bc"}, false},
		{"a:bc vs ab:c", map[string]string{"a": "bc"}, map[string]string{"ab": "c"}, false},
		{"nil vs empty", nil, map[string]string{}, true},
		{"missing pair", map[string]string{"a": "1", "b": "2"}, map[string]string{"a": "1"}, false},
		{"extra pair", map[string]string{"a": "1"}, map[string]string{"a": "1", "b": "2"}, false},
		{"empty value vs absent", map[string]string{"a": ""}, nil, false},
		{"changed value", map[string]string{"a": "1"}, map[string]string{"a": "2"}, false},
		{"case of key", map[string]string{"a": "1"}, map[string]string{"A": "1"}, false},
		{"swapped key and value", map[string]string{"a": "b"}, map[string]string{"b": "a"}, false},
		{"many pairs, copied map", multi, copyMap(multi), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenCiphertext(hbk, testARN, testMID, seal(tt.seal), tt.op)
			if tt.ok && err != nil {
				t.Fatalf("open failed: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidCiphertext) {
				t.Fatalf("open err = %v, want ErrInvalidCiphertext", err)
			}
		})
	}
}

func copyMap(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func TestCiphertextBitFlips(t *testing.T) {
	hbk := mustHex(t, testHBK)
	ec := map[string]string{"purpose": "test"}
	blob, err := SealCiphertext(testRand(), hbk, testARN, testMID, []byte("a short plaintext"), ec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(blob) * 8 {
		flipped := bytes.Clone(blob)
		flipped[i/8] ^= 1 << (i % 8)
		if _, err := OpenCiphertext(hbk, testARN, testMID, flipped, ec); !errors.Is(err, ErrInvalidCiphertext) {
			t.Fatalf("bit %d flipped: err = %v, want ErrInvalidCiphertext", i, err)
		}
	}
}

func TestCiphertextWrongKey(t *testing.T) {
	hbk := mustHex(t, testHBK)
	blob, err := SealCiphertext(testRand(), hbk, testARN, testMID, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	otherHBK := bytes.Clone(hbk)
	otherHBK[0] ^= 1
	otherMID := "0" + testMID[1:]
	tests := []struct {
		name     string
		hbk      []byte
		arn, mid string
	}{
		{"other backing key", otherHBK, testARN, testMID},
		{"other key ARN", hbk, testARN + "0", testMID},
		{"other material id", hbk, testARN, otherMID},
	}
	for _, tt := range tests {
		if _, err := OpenCiphertext(tt.hbk, tt.arn, tt.mid, blob, nil); !errors.Is(err, ErrInvalidCiphertext) {
			t.Errorf("%s: err = %v, want ErrInvalidCiphertext", tt.name, err)
		}
	}
	// A blob re-labelled to name another material id, with the right
	// backing key, still fails: the header is authenticated and the
	// material id is a KDF input.
	h, _ := ParseCiphertext(blob)
	h.MaterialID = otherMID
	relabelled, _ := h.MarshalBinary()
	if _, err := OpenCiphertext(hbk, testARN, otherMID, relabelled, nil); !errors.Is(err, ErrInvalidCiphertext) {
		t.Errorf("relabelled blob: err = %v, want ErrInvalidCiphertext", err)
	}
}

func TestParseCiphertextStrict(t *testing.T) {
	valid, err := SealCiphertext(testRand(), mustHex(t, testHBK), testARN, testMID, []byte("plaintext"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCiphertext(valid); err != nil {
		t.Fatal(err)
	}
	arnLenOff, ctLenOff := 3, ctPrefixLen+len(testARN)+MaterialIDSize+SaltSize+IVSize
	with := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(valid)) }
	tests := []struct {
		name string
		blob []byte
	}{
		{"empty", nil},
		{"bad magic", with(func(b []byte) []byte { b[0] = 'k'; return b })},
		{"version 0", with(func(b []byte) []byte { b[2] = 0; return b })},
		{"version 2", with(func(b []byte) []byte { b[2] = 2; return b })},
		{"trailing byte", append(bytes.Clone(valid), 0)},
		{"trailing blob", append(bytes.Clone(valid), valid...)},
		{"ARN length 0", with(func(b []byte) []byte { b[arnLenOff], b[arnLenOff+1] = 0, 0; return b })},
		{"ARN length 257", with(func(b []byte) []byte { binary.BigEndian.PutUint16(b[arnLenOff:], 257); return b })},
		{"ARN length 65535", with(func(b []byte) []byte { binary.BigEndian.PutUint16(b[arnLenOff:], 65535); return b })},
		{"ARN not arn:", with(func(b []byte) []byte { b[5] = 'A'; return b })},
		{"ARN not UTF-8", with(func(b []byte) []byte { b[10] = 0xff; return b })},
		{"ciphertext length too large", with(func(b []byte) []byte { binary.BigEndian.PutUint32(b[ctLenOff:], MaxPlaintextLen+1); return b })},
		{"ciphertext length one more", with(func(b []byte) []byte { b[ctLenOff+3]++; return b })},
		{"ciphertext length one less", with(func(b []byte) []byte { b[ctLenOff+3]--; return b })},
		{"ciphertext length max uint32", with(func(b []byte) []byte { binary.BigEndian.PutUint32(b[ctLenOff:], 1<<32-1); return b })},
	}
	for i := range len(valid) {
		tests = append(tests, struct {
			name string
			blob []byte
		}{fmt.Sprintf("truncated to %d bytes", i), valid[:i]})
	}
	for _, tt := range tests {
		h, err := ParseCiphertext(tt.blob)
		if !errors.Is(err, ErrInvalidCiphertext) {
			t.Errorf("%s: ParseCiphertext = %+v, %v; want ErrInvalidCiphertext", tt.name, h, err)
		}
	}
}

func TestParseCiphertextRoundTrip(t *testing.T) {
	blob, err := SealCiphertext(testRand(), mustHex(t, testHBK), testARN, testMID, []byte("round trip"), map[string]string{"a": "b"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseCiphertext(blob)
	if err != nil {
		t.Fatal(err)
	}
	if h.KeyARN != testARN || h.MaterialID != testMID || len(h.Sealed) != len("round trip")+TagSize {
		t.Errorf("ParseCiphertext = %+v", h)
	}
	again, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, blob) {
		t.Error("MarshalBinary(ParseCiphertext(blob)) != blob")
	}
	for _, bad := range []CiphertextHeader{
		{KeyARN: "", MaterialID: testMID, Sealed: make([]byte, TagSize)},
		{KeyARN: testARN, MaterialID: strings.ToUpper(testMID), Sealed: make([]byte, TagSize)},
		{KeyARN: testARN, MaterialID: testMID, Sealed: make([]byte, TagSize-1)},
		{KeyARN: testARN, MaterialID: testMID, Sealed: make([]byte, MaxPlaintextLen+TagSize+1)},
	} {
		if _, err := bad.MarshalBinary(); err == nil {
			t.Errorf("MarshalBinary(%.60q...) succeeded", bad.KeyARN+" "+bad.MaterialID)
		}
	}
}

// TestCiphertextSizeBound checks the AWS limit: a 4096-byte plaintext
// under any key ARN up to MaxKeyARNLen gives at most 6144 bytes.
func TestCiphertextSizeBound(t *testing.T) {
	prefix := "arn:aws:kms:us-east-1:111122223333:key/"
	longARN := prefix + strings.Repeat("x", MaxKeyARNLen-len(prefix))
	blob, err := SealCiphertext(testRand(), mustHex(t, testHBK), longARN, testMID, make([]byte, 4096), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(blob) != CiphertextLen(MaxKeyARNLen, 4096) || len(blob) > 6144 {
		t.Fatalf("len(blob) = %d, CiphertextLen = %d, limit 6144", len(blob), CiphertextLen(MaxKeyARNLen, 4096))
	}
	if CiphertextLen(0, 0) != 101 {
		t.Errorf("overhead = %d, want 101", CiphertextLen(0, 0))
	}
	if _, err := SealCiphertext(testRand(), mustHex(t, testHBK), longARN+"x", testMID, nil, nil); err == nil {
		t.Error("257-byte ARN accepted")
	}
}

func TestSealCiphertextRejects(t *testing.T) {
	hbk := mustHex(t, testHBK)
	tests := []struct {
		name     string
		rand     io.Reader
		hbk      []byte
		arn, mid string
		pt       []byte
	}{
		{"short backing key", testRand(), hbk[:16], testARN, testMID, nil},
		{"uppercase material id", testRand(), hbk, testARN, strings.ToUpper(testMID), nil},
		{"short material id", testRand(), hbk, testARN, testMID[:62], nil},
		{"non-hex material id", testRand(), hbk, testARN, "g" + testMID[1:], nil},
		{"ARN without arn:", testRand(), hbk, "key/1234", testMID, nil},
		{"ARN not UTF-8", testRand(), hbk, "arn:\xff", testMID, nil},
		{"plaintext too long", testRand(), hbk, testARN, testMID, make([]byte, MaxPlaintextLen+1)},
		{"random source fails", iotest.ErrReader(errors.New("no entropy")), hbk, testARN, testMID, nil},
		{"random source short", bytes.NewReader(make([]byte, SaltSize)), hbk, testARN, testMID, nil},
	}
	for _, tt := range tests {
		if _, err := SealCiphertext(tt.rand, tt.hbk, tt.arn, tt.mid, tt.pt, nil); err == nil {
			t.Errorf("%s: SealCiphertext succeeded", tt.name)
		}
	}
}

// testRand is a deterministic, endless source of bytes for tests that do
// not care about the values.
func testRand() io.Reader { return &counterReader{} }

type counterReader struct{ n byte }

func (r *counterReader) Read(p []byte) (int, error) {
	for i := range p {
		r.n++
		p[i] = r.n
	}
	return len(p), nil
}
