package hsm

import (
	"strings"
	"testing"
)

func TestSelfTest(t *testing.T) {
	if err := SelfTest(); err != nil {
		t.Fatal(err)
	}
}

// TestSelfTestDetectsWrongAnswers checks that each known-answer test fails
// when its expected value is wrong, so a broken primitive cannot pass.
func TestSelfTestDetectsWrongAnswers(t *testing.T) {
	flip := func(h string) string {
		// Change the last hex digit.
		last := h[len(h)-1]
		repl := "0"
		if last == '0' {
			repl = "1"
		}
		return h[:len(h)-1] + repl
	}
	gcmKey := "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
	tests := []struct {
		name string
		err  error
	}{
		{"gcm wrong tag", gcmKAT(gcmKey, "cafebabefacedbaddecaf888", "", "00", flip("00"+strings.Repeat("00", 16)))},
		{"gcm wrong key size", gcmKAT("00", "cafebabefacedbaddecaf888", "", "", "")},
		{"hmac", hmacKAT("4a656665", "00", flip("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))},
		{"kbkdf", kbkdfKAT("00", "", "", flip("612a63b745b2662ad2183fcf2eab89d8"))},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Errorf("%s: known-answer test passed with a wrong answer", tt.name)
		}
	}
}
