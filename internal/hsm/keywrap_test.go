package hsm

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

type keywrapVectors struct {
	Algorithm  string `json:"algorithm"`
	TestGroups []struct {
		KeySize int `json:"keySize"`
		Tests   []struct {
			TcID    int      `json:"tcId"`
			Comment string   `json:"comment"`
			Flags   []string `json:"flags"`
			Key     string   `json:"key"`
			Msg     string   `json:"msg"`
			CT      string   `json:"ct"`
			Result  string   `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// runKeywrapVectors checks wrap and unwrap against a Wycheproof file: a
// valid vector wraps to its ciphertext and unwraps back, an invalid one
// neither unwraps nor is produced by wrapping, an acceptable one may go
// either way but must be consistent.
func runKeywrapVectors(t *testing.T, path, algorithm string, wrap, unwrap func(kek, in []byte) ([]byte, error)) {
	var f keywrapVectors
	readJSON(t, path, &f)
	if f.Algorithm != algorithm {
		t.Fatalf("algorithm %q, want %q", f.Algorithm, algorithm)
	}
	counts := map[string]int{}
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			counts[tc.Result]++
			key, msg, ct := mustHex(t, tc.Key), mustHex(t, tc.Msg), mustHex(t, tc.CT)
			wrapped, wrapErr := wrap(key, msg)
			opened, openErr := unwrap(key, ct)
			if openErr != nil && !errors.Is(openErr, ErrKeyWrap) {
				t.Errorf("tcId %d: unwrap error %v is not ErrKeyWrap", tc.TcID, openErr)
			}
			switch tc.Result {
			case "valid":
				if wrapErr != nil || !bytes.Equal(wrapped, ct) {
					t.Errorf("tcId %d (%s %v): wrap = %x, %v; want %x", tc.TcID, tc.Comment, tc.Flags, wrapped, wrapErr, ct)
				}
				if openErr != nil || !bytes.Equal(opened, msg) {
					t.Errorf("tcId %d (%s %v): unwrap = %x, %v; want %x", tc.TcID, tc.Comment, tc.Flags, opened, openErr, msg)
				}
			case "invalid":
				if openErr == nil {
					t.Errorf("tcId %d (%s %v): invalid ciphertext unwrapped to %x", tc.TcID, tc.Comment, tc.Flags, opened)
				}
				if wrapErr == nil && bytes.Equal(wrapped, ct) {
					t.Errorf("tcId %d (%s %v): wrap produced the invalid ciphertext", tc.TcID, tc.Comment, tc.Flags)
				}
			case "acceptable":
				if (wrapErr == nil) != (openErr == nil) {
					t.Errorf("tcId %d (%s %v): wrap error %v but unwrap error %v", tc.TcID, tc.Comment, tc.Flags, wrapErr, openErr)
				}
			default:
				t.Errorf("tcId %d: unexpected result %q", tc.TcID, tc.Result)
			}
		}
	}
	if counts["valid"] == 0 || counts["invalid"] == 0 {
		t.Fatalf("ran %v; the file has changed shape", counts)
	}
	t.Logf("%v", counts)
}

func TestWycheproofAESKW(t *testing.T) {
	runKeywrapVectors(t, "../../testdata/wycheproof/aes_wrap_test.json", "AES-WRAP", WrapKey, UnwrapKey)
}

func TestWycheproofAESKWP(t *testing.T) {
	runKeywrapVectors(t, "../../testdata/wycheproof/aes_kwp_test.json", "AES-KWP", WrapKeyWithPadding, UnwrapKeyWithPadding)
}

// TestKWPRFC5649 runs the two examples of RFC 5649, section 6.
func TestKWPRFC5649(t *testing.T) {
	kek := mustHex(t, "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")
	for _, tc := range []struct{ msg, ct string }{
		{"c37b7e6492584340bed12207808941155068f738", "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"},
		{"466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"},
	} {
		got, err := WrapKeyWithPadding(kek, mustHex(t, tc.msg))
		if err != nil || !bytes.Equal(got, mustHex(t, tc.ct)) {
			t.Errorf("wrap %s = %x, %v; want %s", tc.msg, got, err, tc.ct)
		}
		pt, err := UnwrapKeyWithPadding(kek, mustHex(t, tc.ct))
		if err != nil || !bytes.Equal(pt, mustHex(t, tc.msg)) {
			t.Errorf("unwrap %s = %x, %v", tc.ct, pt, err)
		}
	}
}

// TestKWPRoundTrip wraps every length up to a few blocks past the
// single-block case and flips every bit of one ciphertext.
func TestKWPRoundTrip(t *testing.T) {
	kek := make([]byte, 32)
	rand.Read(kek)
	for n := 1; n <= 80; n++ {
		msg := make([]byte, n)
		rand.Read(msg)
		ct, err := WrapKeyWithPadding(kek, msg)
		if err != nil {
			t.Fatal(err)
		}
		if want := 8 + (n+7)/8*8; len(ct) != want {
			t.Fatalf("len %d: ciphertext %d bytes, want %d", n, len(ct), want)
		}
		pt, err := UnwrapKeyWithPadding(kek, ct)
		if err != nil || !bytes.Equal(pt, msg) {
			t.Fatalf("len %d: round trip %x, %v", n, pt, err)
		}
		if n == 45 {
			for i := 0; i < len(ct)*8; i++ {
				bad := bytes.Clone(ct)
				bad[i/8] ^= 1 << (i % 8)
				if _, err := UnwrapKeyWithPadding(kek, bad); !errors.Is(err, ErrKeyWrap) {
					t.Fatalf("bit %d flipped: unwrap error %v", i, err)
				}
			}
		}
	}
	if _, err := WrapKeyWithPadding(kek, nil); err == nil {
		t.Fatal("wrapped an empty key")
	}
	for _, bad := range [][]byte{nil, make([]byte, 8), make([]byte, 17), make([]byte, 24)} {
		if _, err := UnwrapKeyWithPadding(kek, bad); !errors.Is(err, ErrKeyWrap) {
			t.Fatalf("unwrap of %d bytes: %v", len(bad), err)
		}
	}
}
