package hsm

import (
	"bytes"
	"testing"
)

// TestWycheproofAESGCM runs the Wycheproof AES-GCM vectors for the only
// parameters keyhold uses (256-bit key, 96-bit IV, 128-bit tag) through
// NewAEAD, the constructor every format in this package uses.
func TestWycheproofAESGCM(t *testing.T) {
	var f struct {
		Algorithm  string `json:"algorithm"`
		TestGroups []struct {
			KeySize int `json:"keySize"`
			IVSize  int `json:"ivSize"`
			TagSize int `json:"tagSize"`
			Tests   []struct {
				TcID    int      `json:"tcId"`
				Comment string   `json:"comment"`
				Flags   []string `json:"flags"`
				Key     string   `json:"key"`
				IV      string   `json:"iv"`
				AAD     string   `json:"aad"`
				Msg     string   `json:"msg"`
				CT      string   `json:"ct"`
				Tag     string   `json:"tag"`
				Result  string   `json:"result"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	readJSON(t, "../../testdata/wycheproof/aes_gcm_test.json", &f)
	if f.Algorithm != "AES-GCM" {
		t.Fatalf("algorithm %q", f.Algorithm)
	}
	var valid, invalid int
	for _, g := range f.TestGroups {
		if g.KeySize != 256 || g.IVSize != 96 || g.TagSize != 128 {
			continue
		}
		for _, tc := range g.Tests {
			aead, err := NewAEAD(mustHex(t, tc.Key))
			if err != nil {
				t.Fatalf("tcId %d: %v", tc.TcID, err)
			}
			iv, aad, msg := mustHex(t, tc.IV), mustHex(t, tc.AAD), mustHex(t, tc.Msg)
			sealed := append(mustHex(t, tc.CT), mustHex(t, tc.Tag)...)
			opened, openErr := aead.Open(nil, iv, sealed, aad)
			switch tc.Result {
			case "valid":
				valid++
				if got := aead.Seal(nil, iv, msg, aad); !bytes.Equal(got, sealed) {
					t.Errorf("tcId %d (%s): Seal = %x, want %x", tc.TcID, tc.Comment, got, sealed)
				}
				if openErr != nil || !bytes.Equal(opened, msg) {
					t.Errorf("tcId %d (%s): Open = %x, %v; want %x", tc.TcID, tc.Comment, opened, openErr, msg)
				}
			case "invalid":
				invalid++
				if openErr == nil {
					t.Errorf("tcId %d (%s): invalid ciphertext opened", tc.TcID, tc.Comment)
				}
			default:
				t.Errorf("tcId %d: unexpected result %q", tc.TcID, tc.Result)
			}
		}
	}
	if valid == 0 || invalid == 0 {
		t.Fatalf("ran %d valid and %d invalid vectors; the file has changed shape", valid, invalid)
	}
	t.Logf("%d valid, %d invalid vectors", valid, invalid)
}
