package bench

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMix(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Mix
		wantErr string
	}{
		{"one operation", "Encrypt", Mix{{Encrypt, 1}}, ""},
		{"any case", "generatedatakey", Mix{{GenerateDataKey, 1}}, ""},
		{"weighted", "Encrypt=3,Decrypt=1", Mix{{Encrypt, 3}, {Decrypt, 1}}, ""},
		{"spaces", " Encrypt = 3 , Decrypt ", Mix{{Encrypt, 3}, {Decrypt, 1}}, ""},
		{"every operation", "Encrypt,Decrypt,GenerateDataKey,ReEncrypt,Sign,Verify,GenerateMac,DescribeKey,CreateKey",
			Mix{{Encrypt, 1}, {Decrypt, 1}, {GenerateDataKey, 1}, {ReEncrypt, 1}, {Sign, 1}, {Verify, 1}, {GenerateMac, 1}, {DescribeKey, 1}, {CreateKey, 1}}, ""},
		{"largest weight", "Sign=1000", Mix{{Sign, 1000}}, ""},
		{"empty", "", nil, "no operation given"},
		{"blank", "  ", nil, "no operation given"},
		{"unknown", "Encrypt,ListKeys", nil, `unknown operation "ListKeys"`},
		{"empty entry", "Encrypt,,Decrypt", nil, "empty entry"},
		{"trailing comma", "Encrypt,", nil, "empty entry"},
		{"zero weight", "Encrypt=0", nil, "not a whole number from 1 to 1000"},
		{"negative weight", "Encrypt=-1", nil, "not a whole number"},
		{"weight too large", "Encrypt=1001", nil, "not a whole number"},
		{"weight not a number", "Encrypt=x", nil, `weight of Encrypt: "x"`},
		{"empty weight", "Encrypt=", nil, "not a whole number"},
		{"twice", "Encrypt=1,encrypt=2", nil, "names Encrypt twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMix(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseMix(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseMix(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestMixString(t *testing.T) {
	for in, want := range map[string]string{
		"encrypt":                 "Encrypt",
		"Encrypt=1":               "Encrypt",
		"Encrypt=3, decrypt":      "Encrypt=3,Decrypt=1",
		"sign=2,verify=2,Encrypt": "Sign=2,Verify=2,Encrypt=1",
	} {
		m, err := ParseMix(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.String(); got != want {
			t.Errorf("ParseMix(%q).String() = %q, want %q", in, got, want)
		}
	}
}

func TestMixSequence(t *testing.T) {
	tests := []struct {
		mix  string
		want []int
	}{
		{"Encrypt", []int{0}},
		{"Encrypt=3,Decrypt=1", []int{0, 0, 1, 0}},
		// Weights are reduced by their greatest common divisor.
		{"Encrypt=4,Decrypt=2", []int{0, 1, 0}},
		{"Encrypt=1,Decrypt=1,Sign=1", []int{0, 1, 2}},
		// Interleaved, not three Encrypts then two Decrypts.
		{"Encrypt=3,Decrypt=2", []int{0, 1, 0, 1, 0}},
	}
	for _, tt := range tests {
		m, err := ParseMix(tt.mix)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, m.Sequence()); diff != "" {
			t.Errorf("%s: Sequence (-want +got):\n%s", tt.mix, diff)
		}
	}
}

func TestMixSequenceProportions(t *testing.T) {
	m := Mix{{Encrypt, 997}, {Decrypt, 13}, {Sign, 500}}
	seq := m.Sequence()
	if len(seq) != 997+13+500 {
		t.Fatalf("sequence has %d entries, want %d", len(seq), 997+13+500)
	}
	counts := make([]int, len(m))
	for _, e := range seq {
		counts[e]++
	}
	for i, w := range m {
		if counts[i] != w.Weight {
			t.Errorf("%s appears %d times, want %d", w.Op, counts[i], w.Weight)
		}
	}
}

func FuzzParseMix(f *testing.F) {
	for _, s := range []string{"Encrypt", "Encrypt=3,Decrypt=1", " sign = 2 ,verify", "Encrypt=0", "x=y,", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMix(s)
		if err != nil {
			return
		}
		// What parses prints in a form that parses to the same mix.
		again, err := ParseMix(m.String())
		if err != nil {
			t.Fatalf("ParseMix(%q).String() = %q does not parse: %v", s, m.String(), err)
		}
		if diff := cmp.Diff(m, again); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
		total := 0
		for _, w := range m {
			total += w.Weight
		}
		if n := len(m.Sequence()); n < len(m) || n > total {
			t.Fatalf("sequence of %q has %d entries", s, n)
		}
	})
}
