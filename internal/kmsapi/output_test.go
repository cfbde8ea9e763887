package kmsapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOutputEncoding(t *testing.T) {
	created := time.Date(2023, 11, 14, 22, 13, 20, 123000000, time.UTC) // 1700000000.123
	tests := []struct {
		name string
		out  any
		want string
	}{
		{
			name: "key metadata with epoch timestamps",
			out: &DescribeKeyOutput{KeyMetadata: &KeyMetadata{
				KeyId:                new("1234abcd-12ab-34cd-56ef-1234567890ab"),
				CreationDate:         NewTimestamp(created),
				DeletionDate:         NewTimestamp(time.Unix(1700000000, 0)),
				Enabled:              new(true),
				Description:          new(""),
				KeySpec:              new(KeySpecSymmetricDefault),
				EncryptionAlgorithms: []EncryptionAlgorithmSpec{EncryptionAlgorithmSpecSymmetricDefault},
				MultiRegion:          new(false),
			}},
			want: `{"KeyMetadata":{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","CreationDate":1700000000.123,"Enabled":true,"Description":"",` +
				`"DeletionDate":1700000000,"KeySpec":"SYMMETRIC_DEFAULT","EncryptionAlgorithms":["SYMMETRIC_DEFAULT"],"MultiRegion":false}}`,
		},
		{"nil members are left out", &EncryptOutput{}, `{}`},
		{"output without members", &DisableKeyOutput{}, `{}`},
		{"present empty list stays", &ListAliasesOutput{Aliases: []AliasListEntry{}, Truncated: new(false)}, `{"Aliases":[],"Truncated":false}`},
		{"blobs are standard base64", &GenerateDataKeyOutput{CiphertextBlob: []byte{0xfb, 0xff}, Plaintext: SensitiveBytes("secret")},
			`{"CiphertextBlob":"+/8=","Plaintext":"c2VjcmV0"}`},
		{"shared output shape", &ListRetirableGrantsOutput{Grants: []GrantListEntry{{GrantId: new("g"), Operations: []GrantOperation{GrantOperationDecrypt}}}},
			`{"Grants":[{"GrantId":"g","Operations":["Decrypt"]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustMarshal(t, tt.out); got != tt.want {
				t.Errorf("json:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestTimestampJSON(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"whole seconds", time.Unix(1700000000, 0), "1700000000"},
		{"milliseconds", time.Unix(1700000000, 123000000), "1700000000.123"},
		{"nanoseconds", time.Unix(1700000000, 1), "1700000000.000000001"},
		{"epoch", time.Unix(0, 0), "0"},
		{"before the epoch", time.Unix(-2, 500000000), "-1.5"},
		{"just before the epoch", time.Unix(-1, 500000000), "-0.5"},
		{"year 1", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "-62135596800"},
		{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), "253402300799"},
		{"monotonic reading and zone are dropped", time.Now().In(time.FixedZone("x", 3600)).Truncate(time.Second), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTimestamp(tt.t)
			got := mustMarshal(t, ts)
			if tt.want != "" && got != tt.want {
				t.Errorf("marshal = %s, want %s", got, tt.want)
			}
			var back Timestamp
			if err := json.Unmarshal([]byte(got), &back); err != nil {
				t.Fatal(err)
			}
			if !back.Equal(*ts) || back != *ts {
				t.Errorf("round trip: %v, want %v", back, *ts)
			}
		})
	}
}

func TestTimestampUnmarshal(t *testing.T) {
	want := NewTimestamp(time.Unix(1700000000, 123000000))
	for _, in := range []string{"1700000000.123", "1.700000000123E9", "1.700000000123e+9", "17000000001230e-4", " 1700000000.1230 "} {
		var got Timestamp
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got != *want {
			t.Errorf("%s: got %v, want %v", in, got, want)
		}
	}
	for _, in := range []string{`"2023-11-14T22:13:20Z"`, "1e20", "-1e20", "253402300800", "true", "1 2"} {
		var got Timestamp
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("%s: decoded to %v, want an error", in, got)
		}
	}
}

// TestSensitiveRedacted: printing a request or response with fmt, in any
// verb, must not show sensitive values.
func TestSensitiveRedacted(t *testing.T) {
	in := &EncryptInput{KeyId: new("k"), Plaintext: SensitiveBytes("TOPSECRETPLAINTEXT")}
	out := &DecryptOutput{Plaintext: SensitiveBytes("TOPSECRETPLAINTEXT")}
	cks := &CreateCustomKeyStoreInput{KeyStorePassword: new(SensitiveString("TOPSECRETPLAINTEXT"))}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%c", "%U"} {
		for _, v := range []any{in, *in, out, *out, in.Plaintext, *cks.KeyStorePassword, cks} {
			s := fmt.Sprintf(verb, v)
			for _, leak := range []string{"TOPSECRET", "544f50534543524554", "84 79 80", "VE9QU0VDUkVU"} {
				if strings.Contains(s, leak) {
					t.Errorf("fmt.Sprintf(%q, %T) = %s: shows the secret", verb, v, s)
				}
			}
		}
	}
	if got := mustMarshal(t, in); !strings.Contains(got, `"Plaintext":"VE9QU0VDUkVUUExBSU5URVhU"`) {
		t.Errorf("JSON lost the plaintext: %s", got)
	}
	var b []byte = in.Plaintext // assignable without conversion
	if string(b) != "TOPSECRETPLAINTEXT" {
		t.Error("SensitiveBytes does not hold the bytes")
	}
}
