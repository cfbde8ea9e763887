package kmsapi

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// knownSerializationMessages are all the messages DecodeInput may send with
// a SerializationException (plus the base64 length one, which has a
// number). None quotes the request.
func knownSerializationMessages() []string {
	msgs := []string{""}
	for _, e := range []*decodeError{errStartOfList, errStartOfStructure, errExpectedList, errExpectedMap,
		errExpectedNull, errNotBase64String, errBase64Char, errBase64LastChar, errTimestampRange} {
		msgs = append(msgs, e.message)
	}
	for _, row := range scalarMismatch {
		for _, e := range row {
			if e != nil {
				msgs = append(msgs, e.message)
			}
		}
	}
	return msgs
}

// FuzzDecodeInput decodes arbitrary bodies for every operation. It checks
// that decoding never panics, that every error is one a client may see,
// that only JSON is accepted, and that a request that decodes and validates
// encodes and decodes again to the same value, with both our decoder and
// encoding/json.
func FuzzDecodeInput(f *testing.F) {
	// The corpus is testdata/fuzz/FuzzDecodeInput (see TestFuzzSeedCorpus).
	known := knownSerializationMessages()
	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := OperationNames[int(opIndex)%len(OperationNames)]
		in, err := DecodeInput(op, body)
		if err != nil {
			e, ok := err.(*keyhold.Error)
			switch {
			case !ok:
				t.Fatalf("error %#v is not a *keyhold.Error", err)
			case e.Code == keyhold.ErrCodeSerialization:
				if !slices.Contains(known, e.Message) && !strings.HasPrefix(e.Message, "Base64 encoded length is expected a multiple of 4 bytes but found: ") {
					t.Fatalf("unexpected SerializationException message %q", e.Message)
				}
			case e.Code == keyhold.ErrCodeValidation:
				if !strings.HasPrefix(e.Message, "1 validation error detected: Value '") {
					t.Fatalf("unexpected ValidationException message %q", e.Message)
				}
			default:
				t.Fatalf("unexpected error %v", e)
			}
			return
		}
		if len(body) > 0 && !json.Valid(body) {
			t.Fatalf("accepted a body that is not JSON: %q", body)
		}
		if err := in.Validate(); err != nil {
			if e, ok := err.(*keyhold.Error); !ok || e.Code != keyhold.ErrCodeValidation || !strings.Contains(e.Message, "validation error") {
				t.Fatalf("Validate() = %#v", err)
			}
			return
		}
		enc, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := DecodeInput(op, enc)
		if err != nil {
			t.Fatalf("decoding our own encoding %s: %v", enc, err)
		}
		if !reflect.DeepEqual(in, again) {
			t.Fatalf("round trip changed the request:\n first %#v\nsecond %#v\nvia %s", in, again, enc)
		}
		if err := again.Validate(); err != nil {
			t.Fatalf("re-decoded request does not validate: %v", err)
		}
		std := NewInput(op)
		if err := json.Unmarshal(enc, std); err != nil {
			t.Fatalf("encoding/json cannot read %s: %v", enc, err)
		}
		if !reflect.DeepEqual(in, std) {
			t.Fatalf("encoding/json reads %s differently:\n ours %#v\n std  %#v", enc, in, std)
		}
	})
}

var updateSeeds = flag.Bool("update", false, "rewrite the fuzz seed corpus in testdata/fuzz/FuzzDecodeInput")

// seeds are the committed fuzz corpus: an empty object for every operation,
// a valid request for the common ones, and the edge cases of decoding.
func seeds() map[string]struct{ op, body string } {
	s := map[string]struct{ op, body string }{}
	for _, op := range OperationNames {
		s[strings.ToLower(op)+"-empty"] = struct{ op, body string }{op, `{}`}
	}
	add := func(name, op, body string) { s[name] = struct{ op, body string }{op, body} }
	add("encrypt-valid", "Encrypt", `{"KeyId":"alias/app","Plaintext":"aGVsbG8=","EncryptionContext":{"purpose":"test","tenant":"a"},"GrantTokens":["t"],"EncryptionAlgorithm":"SYMMETRIC_DEFAULT","DryRun":false}`)
	add("decrypt-valid", "Decrypt", `{"CiphertextBlob":"AQIDBA==","KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","EncryptionContext":{},"DryRunModifiers":["IGNORE_CIPHERTEXT"]}`)
	add("reencrypt-valid", "ReEncrypt", `{"CiphertextBlob":"AQID","DestinationKeyId":"k2","SourceEncryptionContext":{"a":"b"},"DestinationEncryptionContext":{"a":"c"}}`)
	add("generatedatakey-valid", "GenerateDataKey", `{"KeyId":"k","KeySpec":"AES_256","Recipient":{"KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256","AttestationDocument":"AAAA"}}`)
	add("generaterandom-valid", "GenerateRandom", `{"NumberOfBytes":32}`)
	add("generaterandom-fraction", "GenerateRandom", `{"NumberOfBytes":1.5e1}`)
	add("generaterandom-huge", "GenerateRandom", `{"NumberOfBytes":99999999999999999999}`)
	add("createkey-valid", "CreateKey", `{"Description":"","KeySpec":"SYMMETRIC_DEFAULT","KeyUsage":"ENCRYPT_DECRYPT","Tags":[{"TagKey":"k","TagValue":""},null],"MultiRegion":true,"Policy":"{\"Version\":\"2012-10-17\"}"}`)
	add("createkey-invalid", "CreateKey", `{"KeySpec":"HMAC_random","Tags":[{"TagKey":""}]}`)
	add("creategrant-valid", "CreateGrant", `{"KeyId":"k","GranteePrincipal":"arn:aws:iam::111122223333:role/r","Operations":["Encrypt","Decrypt"],"Constraints":{"EncryptionContextSubset":{"a":"b"},"SourceArn":"arn:aws:s3::111122223333:b"},"Name":"n"}`)
	add("importkeymaterial-timestamp", "ImportKeyMaterial", `{"KeyId":"k","ImportToken":"AAAA","EncryptedKeyMaterial":"AAAA","ValidTo":1.700000000123E9,"ExpirationModel":"KEY_MATERIAL_EXPIRES"}`)
	add("createcustomkeystore-valid", "CreateCustomKeyStore", `{"CustomKeyStoreName":"n","CustomKeyStoreType":"EXTERNAL_KEY_STORE","XksProxyUriEndpoint":"https://xks.example.com","XksProxyUriPath":"/kms/xks/v1","XksProxyConnectivity":"PUBLIC_ENDPOINT","XksProxyAuthenticationCredential":{"AccessKeyId":"ABCDEFGHIJKLMNOPQRST","RawSecretAccessKey":"`+strings.Repeat("s", 43)+`"}}`)
	add("listkeys-marker", "ListKeys", `{"Limit":10,"Marker":"abc\u00ff"}`)
	add("escapes", "DescribeKey", `{"\u004beyId":"a\"b\\c\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800","GrantTokens":[null]}`)
	add("unknown-members", "DescribeKey", `{"Foo":{"a":[1,-2.5e-3,true,false,null,{"b":[]}]},"KeyId":"k"}`)
	add("type-errors", "Encrypt", `{"KeyId":1,"Plaintext":true}`)
	add("bad-base64", "Encrypt", `{"KeyId":"k","Plaintext":"+/+="}`)
	add("top-level-list", "Encrypt", `[]`)
	add("malformed", "Encrypt", `{"KeyId":"k",}`)
	add("empty-body", "Encrypt", ``)
	add("invalid-utf8", "Encrypt", "{\"KeyId\":\"\xff\"}")
	return s
}

// TestFuzzSeedCorpus keeps testdata/fuzz/FuzzDecodeInput equal to seeds();
// run with -update to rewrite it.
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeInput")
	want := map[string]string{}
	for name, s := range seeds() {
		idx := slices.Index(OperationNames, s.op)
		if idx < 0 {
			t.Fatalf("seed %s: unknown operation %s", name, s.op)
		}
		want[name] = fmt.Sprintf("go test fuzz v1\nuint8(%d)\n[]byte(%q)\n", idx, s.body)
	}
	if *updateSeeds {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range want {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%v (run go test -run TestFuzzSeedCorpus -update)", err)
	}
	got := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got[e.Name()] = string(b)
	}
	for name, content := range want {
		if got[name] != content {
			t.Errorf("seed %s is missing or stale (run go test -run TestFuzzSeedCorpus -update)", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("seed file %s is not in seeds() (run go test -run TestFuzzSeedCorpus -update)", name)
		}
	}
}
