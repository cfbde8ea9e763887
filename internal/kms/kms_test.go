package kms

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func TestValidKeyID(t *testing.T) {
	cases := map[string]bool{
		"1234abcd-12ab-34cd-56ef-1234567890ab": true,
		"mrk-1234abcd12ab34cd56ef1234567890ab": true,
		"1234ABCD-12ab-34cd-56ef-1234567890ab": false, // AWS key ids are lowercase
		"1234abcd12ab34cd56ef1234567890ab":     false,
		"1234abcd-12ab-34cd-56ef-1234567890a":  false,
		"1234abcd-12ab-34cd-56ef_1234567890ab": false,
		"mrk-1234":                             false,
		"fake-key-id":                          false,
		"":                                     false,
	}
	for id, want := range cases {
		if got := validKeyID(id); got != want {
			t.Errorf("validKeyID(%q) = %v, want %v", id, got, want)
		}
	}
	for i := 0; i < 100; i++ {
		if id := keyhold.NewUUID(); !validKeyID(id) {
			t.Fatalf("keyhold.NewUUID gave %q", id)
		}
	}
}

func TestDataKeySize(t *testing.T) {
	n := func(v int32) *int32 { return &v }
	cases := []struct {
		name string
		spec kmsapi.DataKeySpec
		n    *int32
		want int
		err  bool
	}{
		{"AES_256", kmsapi.DataKeySpecAes256, nil, 32, false},
		{"AES_128", kmsapi.DataKeySpecAes128, nil, 16, false},
		{"bytes", "", n(7), 7, false},
		{"neither", "", nil, 0, true},
		{"both", kmsapi.DataKeySpecAes256, n(32), 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dataKeySize(tc.spec, tc.n)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("dataKeySize = %d, %v", got, err)
			}
			if err != nil && keyhold.ErrorCode(err) != keyhold.ErrCodeValidation {
				t.Fatalf("error code %s", keyhold.ErrorCode(err))
			}
		})
	}
}

func TestCheckTags(t *testing.T) {
	s := func(v string) *string { return &v }
	cases := []struct {
		name string
		tags []kmsapi.Tag
		code string
	}{
		{"ok", []kmsapi.Tag{{TagKey: s("a"), TagValue: s("")}, {TagKey: s("b"), TagValue: s("x")}}, ""},
		{"aws prefix", []kmsapi.Tag{{TagKey: s("aws:x"), TagValue: s("")}}, keyhold.ErrCodeTag},
		{"AWS prefix any case", []kmsapi.Tag{{TagKey: s("AwS:x"), TagValue: s("")}}, keyhold.ErrCodeTag},
		{"duplicate", []kmsapi.Tag{{TagKey: s("a"), TagValue: s("1")}, {TagKey: s("a"), TagValue: s("2")}}, keyhold.ErrCodeTag},
		{"51 tags", make51(), keyhold.ErrCodeTag},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkTags(tc.tags)
			if tc.code == "" && err != nil || tc.code != "" && keyhold.ErrorCode(err) != tc.code {
				t.Fatalf("checkTags: %v", err)
			}
		})
	}
}

func make51() []kmsapi.Tag {
	var out []kmsapi.Tag
	for i := 0; i < 51; i++ {
		k := string(rune('A'+i%26)) + string(rune('a'+i/26))
		v := ""
		out = append(out, kmsapi.Tag{TagKey: &k, TagValue: &v})
	}
	return out
}
