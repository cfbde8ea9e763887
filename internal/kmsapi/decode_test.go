package kmsapi

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keyhold/keyhold"
)

// wantErr checks that err is a *keyhold.Error with code and message.
func wantErr(t *testing.T, err error, code, message string) {
	t.Helper()
	e, ok := err.(*keyhold.Error)
	if !ok {
		t.Fatalf("error = %#v, want a *keyhold.Error %s", err, code)
	}
	if e.Code != code || e.Message != message {
		t.Errorf("error = %s %q\nwant    %s %q", e.Code, e.Message, code, message)
	}
}

func TestDecodeInputSerializationErrors(t *testing.T) {
	const (
		ser  = keyhold.ErrCodeSerialization
		val  = keyhold.ErrCodeValidation
		list = "Start of list found where not expected"
		obj  = "Start of structure or map found where not expected."
	)
	deep := strings.Repeat(`[`, 600) + strings.Repeat(`]`, 600)
	tests := []struct {
		name    string
		op      string
		body    string
		code    string
		message string
	}{
		// Not JSON, or not an object: AWS sends no message.
		{"unterminated object", "Encrypt", `{`, ser, ""},
		{"trailing comma in object", "Encrypt", `{"KeyId":"a",}`, ser, ""},
		{"missing colon", "Encrypt", `{"KeyId" "a"}`, ser, ""},
		{"missing comma", "Encrypt", `{"KeyId":"a" "DryRun":true}`, ser, ""},
		{"trailing data", "Encrypt", `{"KeyId":"a"} {}`, ser, ""},
		{"single quotes", "Encrypt", `{'KeyId':'a'}`, ser, ""},
		{"bad escape", "Encrypt", `{"KeyId":"a\x"}`, ser, ""},
		{"short unicode escape", "Encrypt", `{"KeyId":"\u12"}`, ser, ""},
		{"raw control character", "Encrypt", "{\"KeyId\":\"a\tb\"}", ser, ""},
		{"invalid UTF-8", "Encrypt", "{\"KeyId\":\"a\xffb\"}", ser, ""},
		{"UTF-8 surrogate", "Encrypt", "{\"KeyId\":\"\xed\xa0\x80\"}", ser, ""},
		{"unterminated string", "Encrypt", `{"KeyId":"a`, ser, ""},
		{"leading zero", "ListKeys", `{"Limit":01}`, ser, ""},
		{"bare point", "ListKeys", `{"Limit":1.}`, ser, ""},
		{"bare minus", "ListKeys", `{"Limit":-}`, ser, ""},
		{"plus sign", "ListKeys", `{"Limit":+1}`, ser, ""},
		{"truncated literal", "Encrypt", `{"DryRun":tru}`, ser, ""},
		{"trailing comma in unknown list", "Encrypt", `{"Foo":[1,]}`, ser, ""},
		{"leading comma in list", "Encrypt", `{"GrantTokens":[,"a"]}`, ser, ""},
		{"too deep unknown member", "Encrypt", `{"Foo":` + deep + `}`, ser, ""},
		{"top-level null", "Encrypt", `null`, ser, ""},
		{"top-level string", "Encrypt", `"x"`, ser, ""},
		{"top-level number", "Encrypt", `1`, ser, ""},
		{"top-level true", "Encrypt", `true`, ser, ""},
		{"white space only", "Encrypt", " \n", ser, ""},
		{"top-level list", "Encrypt", `[]`, ser, list},

		// Wrong JSON type for a member.
		{"number for string", "Encrypt", `{"KeyId":1}`, ser, "NUMBER_VALUE can not be converted to a String"},
		{"decimal for string", "Encrypt", `{"KeyId":1.5}`, ser, "NUMBER_VALUE can not be converted to a String"},
		{"true for string", "Encrypt", `{"KeyId":true}`, ser, "TRUE_VALUE can not be converted to a String"},
		{"false for string", "Encrypt", `{"KeyId":false}`, ser, "FALSE_VALUE can not be converted to a String"},
		{"list for string", "Encrypt", `{"KeyId":["a"]}`, ser, list},
		{"object for string", "Encrypt", `{"KeyId":{"a":1}}`, ser, obj},
		{"number for enum", "Encrypt", `{"EncryptionAlgorithm":1}`, ser, "NUMBER_VALUE can not be converted to a String"},
		{"string for integer", "GenerateRandom", `{"NumberOfBytes":"1"}`, ser, "STRING_VALUE can not be converted to an Integer"},
		{"true for integer", "GenerateRandom", `{"NumberOfBytes":true}`, ser, "TRUE_VALUE can not be converted to an Integer"},
		{"false for integer", "GenerateRandom", `{"NumberOfBytes":false}`, ser, "FALSE_VALUE can not be converted to an Integer"},
		{"list for integer", "GenerateRandom", `{"NumberOfBytes":[1]}`, ser, list},
		{"object for integer", "GenerateRandom", `{"NumberOfBytes":{"a":1}}`, ser, obj},
		{"string for boolean", "Encrypt", `{"DryRun":"true"}`, ser, "STRING_VALUE can not be converted to a Boolean"},
		{"number for boolean", "Encrypt", `{"DryRun":1}`, ser, "NUMBER_VALUE can not be converted to a Boolean"},
		{"list for boolean", "Encrypt", `{"DryRun":[]}`, ser, list},
		{"string for timestamp", "ImportKeyMaterial", `{"ValidTo":"2030-01-01T00:00:00Z"}`, ser, "STRING_VALUE can not be converted to a Timestamp"},
		{"timestamp after 9999", "ImportKeyMaterial", `{"ValidTo":1e20}`, ser, "NUMBER_VALUE can not be converted to a Timestamp"},
		{"string for list", "Encrypt", `{"GrantTokens":"a"}`, ser, "Expected list or null"},
		{"number for list", "Encrypt", `{"GrantTokens":1}`, ser, "Expected list or null"},
		{"object for list", "Encrypt", `{"GrantTokens":{}}`, ser, obj},
		{"number in string list", "Encrypt", `{"GrantTokens":["a",1]}`, ser, "NUMBER_VALUE can not be converted to a String"},
		{"list in string list", "Encrypt", `{"GrantTokens":[["a"]]}`, ser, list},
		{"string for map", "Encrypt", `{"EncryptionContext":"a"}`, ser, "Expected map or null"},
		{"list for map", "Encrypt", `{"EncryptionContext":[]}`, ser, list},
		{"number in map", "Encrypt", `{"EncryptionContext":{"a":1}}`, ser, "NUMBER_VALUE can not be converted to a String"},
		{"string for structure", "GenerateDataKey", `{"Recipient":"x"}`, ser, "Expected null"},
		{"true for structure", "GenerateDataKey", `{"Recipient":true}`, ser, "Expected null"},
		{"list for structure", "GenerateDataKey", `{"Recipient":[]}`, ser, list},
		{"number in structure list", "CreateKey", `{"Tags":[1]}`, ser, "Expected null"},
		{"number in nested structure", "CreateKey", `{"Tags":[{"TagKey":1}]}`, ser, "NUMBER_VALUE can not be converted to a String"},
		{"number for blob", "Encrypt", `{"Plaintext":1}`, ser, "only base-64-encoded strings are convertible to bytes"},
		{"true for blob", "Encrypt", `{"Plaintext":true}`, ser, "only base-64-encoded strings are convertible to bytes"},
		{"object for blob", "Encrypt", `{"Plaintext":{}}`, ser, obj},
		{"base64 length", "Encrypt", `{"Plaintext":"c2VjcmV"}`, ser, "Base64 encoded length is expected a multiple of 4 bytes but found: 7"},
		{"base64 character", "Encrypt", `{"Plaintext":"c2Vj!mV0"}`, ser, "Invalid Base64 character"},
		{"base64 unused bits", "Encrypt", `{"Plaintext":"+/+="}`, ser, "Invalid last non-pad Base64 character dectected"},
		{"base64 padding first", "Encrypt", `{"Plaintext":"=+/="}`, ser, "Invalid last non-pad Base64 character dectected"},
		{"type error before syntax error", "GenerateRandom", `{"NumberOfBytes":"1", `, ser, "STRING_VALUE can not be converted to an Integer"},

		// A number an integer member cannot hold: AWS's range message.
		{"integer too large", "GenerateRandom", `{"NumberOfBytes":99999999999}`, val,
			"1 validation error detected: Value '99999999999' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"},
		{"integer too small", "GenerateRandom", `{"NumberOfBytes":-2147483649}`, val,
			"1 validation error detected: Value '-2147483649' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"integer exponent", "ListKeys", `{"Limit":1e400}`, val,
			"1 validation error detected: Value '1e400' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000"},

		{"unknown operation", "encrypt", `{}`, keyhold.ErrCodeUnknownOperation, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := DecodeInput(tt.op, []byte(tt.body))
			if err == nil {
				t.Fatalf("DecodeInput(%s, %q) = %+v, want an error", tt.op, tt.body, in)
			}
			wantErr(t, err, tt.code, tt.message)
		})
	}
}

func TestDecodeInput(t *testing.T) {
	validTo := NewTimestamp(time.Date(2023, 11, 14, 22, 13, 20, 123000000, time.UTC))
	tests := []struct {
		name string
		op   string
		body string
		want Input
	}{
		{"empty body is {}", "ListKeys", ``, &ListKeysInput{}},
		{"empty object", "ListKeys", `{}`, &ListKeysInput{}},
		{"white space", "ListKeys", " \t\r\n{ \n} \n", &ListKeysInput{}},
		{"all member types", "Encrypt",
			`{"KeyId":"alias/a","Plaintext":"c2VjcmV0","EncryptionContext":{"k":"v","":""},"GrantTokens":["t1","t2"],"EncryptionAlgorithm":"SYMMETRIC_DEFAULT","DryRun":false}`,
			&EncryptInput{
				KeyId:               new("alias/a"),
				Plaintext:           SensitiveBytes("secret"),
				EncryptionContext:   map[string]string{"k": "v", "": ""},
				GrantTokens:         []string{"t1", "t2"},
				EncryptionAlgorithm: new(EncryptionAlgorithmSpecSymmetricDefault),
				DryRun:              new(false),
			}},
		{"unknown members are ignored", "Encrypt", `{"Foo":{"a":[1,{"b":null},"x",true,-1.5e3]},"KeyId":"k","Bar":null}`,
			&EncryptInput{KeyId: new("k")}},
		{"member names are case-sensitive", "Encrypt", `{"keyid":"k","KEYID":"k"}`, &EncryptInput{}},
		{"null is absent", "Encrypt", `{"KeyId":null,"Plaintext":null,"EncryptionContext":null,"GrantTokens":null,"DryRun":null}`, &EncryptInput{}},
		{"null list elements are dropped", "Encrypt", `{"GrantTokens":[null,"a",null]}`, &EncryptInput{GrantTokens: []string{"a"}}},
		{"null map values are dropped", "Encrypt", `{"EncryptionContext":{"a":null,"b":"c"}}`, &EncryptInput{EncryptionContext: map[string]string{"b": "c"}}},
		{"null structure elements are dropped", "CreateKey", `{"Tags":[null,{"TagKey":"k","TagValue":""}]}`,
			&CreateKeyInput{Tags: []Tag{{TagKey: new("k"), TagValue: new("")}}}},
		{"empty list stays present", "Encrypt", `{"GrantTokens":[]}`, &EncryptInput{GrantTokens: []string{}}},
		{"empty map stays present", "Encrypt", `{"EncryptionContext":{}}`, &EncryptInput{EncryptionContext: map[string]string{}}},
		{"empty blob stays present", "Encrypt", `{"Plaintext":""}`, &EncryptInput{Plaintext: SensitiveBytes{}}},
		{"empty string is a value", "CreateKey", `{"Description":""}`, &CreateKeyInput{Description: new("")}},
		{"last duplicate wins", "Encrypt", `{"KeyId":"a","KeyId":"b"}`, &EncryptInput{KeyId: new("b")}},
		{"escaped member name", "Encrypt", `{"\u004beyId":"k"}`, &EncryptInput{KeyId: new("k")}},
		{"string escapes", "Encrypt", `{"KeyId":"q\"b\\s\/\b\f\n\r\t\u00e9\ud83d\ude00"}`, &EncryptInput{KeyId: new("q\"b\\s/\b\f\n\r\t\u00e9\U0001F600")}},
		{"lone surrogate", "Encrypt", `{"KeyId":"a\ud800b\udc00"}`, &EncryptInput{KeyId: new("a\uFFFDb\uFFFD")}},
		{"UTF-8 text", "Encrypt", `{"KeyId":"é😀"}`, &EncryptInput{KeyId: new("é😀")}},
		{"fraction of an integer is cut off", "GenerateRandom", `{"NumberOfBytes":1.9}`, &GenerateRandomInput{NumberOfBytes: new(int32(1))}},
		{"integer with exponent", "GenerateRandom", `{"NumberOfBytes":1E2}`, &GenerateRandomInput{NumberOfBytes: new(int32(100))}},
		{"negative zero", "GenerateRandom", `{"NumberOfBytes":-0.0}`, &GenerateRandomInput{NumberOfBytes: new(int32(0))}},
		{"integer out of the model range still decodes", "GenerateRandom", `{"NumberOfBytes":2147483647}`, &GenerateRandomInput{NumberOfBytes: new(int32(2147483647))}},
		{"escaped base64", "Encrypt", `{"Plaintext":"\/\/\/\/"}`, &EncryptInput{Plaintext: SensitiveBytes{0xff, 0xff, 0xff}}},
		{"base64 line break", "Encrypt", `{"Plaintext":"QUJD\nREVG"}`, &EncryptInput{Plaintext: SensitiveBytes("ABCDEF")}},
		{"timestamp", "ImportKeyMaterial", `{"ValidTo":1700000000.123}`, &ImportKeyMaterialInput{ValidTo: validTo}},
		{"timestamp as AWS writes it", "ImportKeyMaterial", `{"ValidTo":1.700000000123E9}`, &ImportKeyMaterialInput{ValidTo: validTo}},
		{"unknown enum value decodes", "CreateKey", `{"KeySpec":"FOO"}`, &CreateKeyInput{KeySpec: new(KeySpec("FOO"))}},
		{"nested structures", "CreateCustomKeyStore",
			`{"CustomKeyStoreName":"n","XksProxyAuthenticationCredential":{"AccessKeyId":"AAAAAAAAAAAAAAAAAAAA","RawSecretAccessKey":"s"}}`,
			&CreateCustomKeyStoreInput{
				CustomKeyStoreName: new("n"),
				XksProxyAuthenticationCredential: &XksProxyAuthenticationCredentialType{
					AccessKeyId:        new(SensitiveString("AAAAAAAAAAAAAAAAAAAA")),
					RawSecretAccessKey: new(SensitiveString("s")),
				},
			}},
		{"list of enums", "CreateGrant", `{"Operations":["Encrypt","Nope"]}`,
			&CreateGrantInput{Operations: []GrantOperation{GrantOperationEncrypt, "Nope"}}},
		{"required member only", "DisableKey", `{"KeyId":"k"}`, &DisableKeyInput{KeyId: new("k")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeInput(tt.op, []byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeInput(%s, %q): %v", tt.op, tt.body, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeInput(%s, %q) mismatch (-want +got):\n%s", tt.op, tt.body, diff)
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	if len(OperationNames) != 54 {
		t.Errorf("%d operations, want 54", len(OperationNames))
	}
	for i, op := range OperationNames {
		if i > 0 && OperationNames[i-1] >= op {
			t.Errorf("OperationNames not sorted at %s", op)
		}
		if !IsOperation(op) {
			t.Errorf("IsOperation(%s) = false", op)
		}
		in := NewInput(op)
		if in == nil || in.OperationName() != op {
			t.Errorf("NewInput(%s) = %#v", op, in)
		}
	}
	for _, op := range []string{"", "encrypt", "ENCRYPT", "TrentService.Encrypt", "Encrypt ", "ListRetirableGrant"} {
		if IsOperation(op) || NewInput(op) != nil {
			t.Errorf("%q counts as an operation", op)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		lit         string
		intPart, ns int64
		ok          bool
	}{
		{"0", 0, 0, true},
		{"-0", 0, 0, true},
		{"12", 12, 0, true},
		{"-12.5", -12, -500000000, true},
		{"0.000000001", 0, 1, true},
		{"0.0000000009", 0, 0, true},
		{"1.2345678919", 1, 234567891, true},
		{"1e3", 1000, 0, true},
		{"1.5E+1", 15, 0, true},
		{"15e-1", 1, 500000000, true},
		{"1e-400", 0, 0, true},
		{"1e99999999999999999999", 0, 0, false},
		{"1e-99999999999999999999", 0, 0, true},
		{"999999999999999", 999999999999999, 0, true},
		{"9999999999999999", 0, 0, false},
		{"0.1e16", 0, 0, false},
		{"000", 0, 0, true},
	}
	for _, tt := range tests {
		i, ns, ok := parseDecimal([]byte(tt.lit))
		if i != tt.intPart || ns != tt.ns || ok != tt.ok {
			t.Errorf("parseDecimal(%s) = %d, %d, %v; want %d, %d, %v", tt.lit, i, ns, ok, tt.intPart, tt.ns, tt.ok)
		}
	}
}
