package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

const (
	modelPath = "../../../../testdata/model/kms-service-2.json"
	genPath   = "../../api_gen.go"
)

// TestGeneratedFileIsCurrent fails when api_gen.go is not what the
// generator makes from the model today, so CI catches a stale file.
func TestGeneratedFileIsCurrent(t *testing.T) {
	src, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(genPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("internal/kmsapi/api_gen.go is stale: run go generate ./internal/kmsapi")
	}
	again, err := generate(src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, want) {
		t.Fatal("generation is not deterministic")
	}
	if !regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`).Match(want) {
		t.Error("no standard generated-code header")
	}
}

func TestJavaToRE2(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		match   []string
		noMatch []string
	}{
		{
			name:    "unicode escapes",
			pattern: `[\u0020-\u00FF]*`,
			match:   []string{"", "abc ~", "\u00ff\u00e9"},
			noMatch: []string{"\t", "\u0100", "a\nb"},
		},
		{
			name:    "policy document characters",
			pattern: `[\u0009\u000A\u000D\u0020-\u00FF]+`,
			match:   []string{"{\n\t\"a\": 1\r\n}"},
			noMatch: []string{"", "\u000b", "\u2028"},
		},
		{
			name:    "java \\s includes vertical tab",
			pattern: `^[a-zA-Z0-9:/_\s.-]+$`,
			match:   []string{"a b", "a\u000bb", "x.y-z"},
			noMatch: []string{"", "a\u0085b", "a,b"},
		},
		{
			name:    "java dot excludes every line terminator",
			pattern: `^arn:aws[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$`,
			match:   []string{"arn:aws:s3::123456789012:bucket/x"},
			noMatch: []string{"arn:aws:s3::123456789012:a\rb", "arn:aws:s3::123456789012:a\u2028b", "arn:aws:s3::123456789012:\n"},
		},
		{
			name:    "dash after a range is a literal",
			pattern: `^[a-zA-Z0-9-_.]+$`,
			match:   []string{"a-b_c.d"},
			noMatch: []string{"a:b", "a/b"},
		},
		{
			name:    "whole value, not a substring",
			pattern: `[0-9]{12}`,
			match:   []string{"123456789012"},
			noMatch: []string{"1234567890123", "x123456789012", "123456789012\n"},
		},
		{
			name:    "dollar does not accept a final newline",
			pattern: `^[a-f0-9]+$`,
			match:   []string{"abc0"},
			noMatch: []string{"abc0\n", "ABC"},
		},
		{
			name:    "alternation stays anchored",
			pattern: `^(/[a-zA-Z0-9\/_-]+/kms/xks/v\d{1,2})$|^(/kms/xks/v\d{1,2})$`,
			match:   []string{"/kms/xks/v1", "/example/prefix/kms/xks/v12"},
			noMatch: []string{"/kms/xks/v123", "x/kms/xks/v1", "/kms/xks/v1/"},
		},
		{
			name:    "escaped dots and groups",
			pattern: `^([A-Za-z0-9\-]+)\.([A-Za-z0-9\-]+)(\.[A-Za-z0-9\-]+)+$`,
			match:   []string{"cloudtrail.amazonaws.com"},
			noMatch: []string{"amazonaws.com", "a.b.c."},
		},
		{
			name:    "word class",
			pattern: `[\w]+`,
			match:   []string{"default", "a_1"},
			noMatch: []string{"é", "a-b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re, err := javaToRE2(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			rx := regexp.MustCompile(re)
			for _, s := range tt.match {
				if !rx.MatchString(s) {
					t.Errorf("%s (from %s) does not match %q", re, tt.pattern, s)
				}
			}
			for _, s := range tt.noMatch {
				if rx.MatchString(s) {
					t.Errorf("%s (from %s) matches %q", re, tt.pattern, s)
				}
			}
		})
	}
}

func TestJavaToRE2Refuses(t *testing.T) {
	for _, p := range []string{`(?=a)b`, `a++`, `[a-z&&[^b]]`, `\p{Alpha}`, `\1`, `[a-`, `\Qa\E`} {
		if re, err := javaToRE2(p); err == nil {
			t.Errorf("javaToRE2(%q) = %q, want an error", p, re)
		}
	}
}

func TestEnumSuffix(t *testing.T) {
	tests := map[string]string{
		"SYMMETRIC_DEFAULT":     "SymmetricDefault",
		"RSA_2048":              "Rsa2048",
		"ECC_SECG_P256K1":       "EccSecgP256k1",
		"PendingDeletion":       "PendingDeletion",
		"GenerateDataKeyPair":   "GenerateDataKeyPair",
		"SM2PKE":                "Sm2pke",
		"ECC_NIST_EDWARDS25519": "EccNistEdwards25519",
		"AWS":                   "Aws",
	}
	for in, want := range tests {
		if got := enumSuffix(in); got != want {
			t.Errorf("enumSuffix(%q) = %q, want %q", in, got, want)
		}
	}
}

// miniModel is a small model in botocore's format, for the cases the KMS
// model does not exercise.
func miniModel(shapes string) []byte {
	return []byte(`{"version":"2.0","metadata":{"protocol":"json","jsonVersion":"1.1","uid":"x","targetPrefix":"X"},
"operations":{"Op":{"name":"Op","http":{"method":"POST","requestUri":"/"},"input":{"shape":"OpRequest"}}},
"shapes":{` + shapes + `}}`)
}

func TestGenerateRefusesUnknownTraits(t *testing.T) {
	tests := map[string]string{
		"member trait":  `"OpRequest":{"type":"structure","members":{"When":{"shape":"T","timestampFormat":"iso8601"}}},"T":{"type":"timestamp"}`,
		"shape trait":   `"OpRequest":{"type":"structure","members":{"U":{"shape":"U"}}},"U":{"type":"structure","union":true,"members":{}}`,
		"list of blobs": `"OpRequest":{"type":"structure","members":{"L":{"shape":"L"}}},"L":{"type":"list","member":{"shape":"B"}},"B":{"type":"blob"}`,
		"list length of structures": `"OpRequest":{"type":"structure","members":{"L":{"shape":"L"}}},"L":{"type":"list","member":{"shape":"S"},"max":2},
			"S":{"type":"structure","members":{}}`,
		"bad pattern": `"OpRequest":{"type":"structure","members":{"A":{"shape":"A"}}},"A":{"type":"string","pattern":"(?<=x)y"}`,
	}
	for name, shapes := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := generate(miniModel(shapes)); err == nil {
				t.Error("generate succeeded, want an error")
			}
		})
	}
}

func TestGenerateConstrainedMap(t *testing.T) {
	out, err := generate(miniModel(`"OpRequest":{"type":"structure","members":{"M":{"shape":"M"}}},
		"M":{"type":"map","key":{"shape":"K"},"value":{"shape":"V"}},
		"K":{"type":"string","min":1,"max":4},"V":{"type":"string","pattern":"[a-z]+"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"func checkM(c *validator, p *path, v map[string]string)",
		"for _, k := range slices.Sorted(maps.Keys(v))",
		"checkK(c, &ep, k)",
		"checkV(c, &ep, v[k])",
		`patternV = regexp.MustCompile(` + "`^(?:[a-z]+)$`)",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
