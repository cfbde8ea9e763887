package kmsapi

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// b64 is base64 of n bytes.
func b64(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }

// quoted is s as a JSON string.
func quoted(s string) string { return fmt.Sprintf("%q", s) }

const grantOperations = "[Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, Sign, Verify, GetPublicKey, CreateGrant, RetireGrant, DescribeKey, GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, DeriveSharedSecret]"

func TestValidate(t *testing.T) {
	emoji := "\U0001F511" // two UTF-16 code units
	tests := []struct {
		name string
		op   string
		body string
		want string // "" for valid
	}{
		{"valid encrypt", "Encrypt", `{"KeyId":"k","Plaintext":"` + b64(4096) + `","EncryptionContext":{"a":"b"},"GrantTokens":["t"],"EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}`, ""},
		{"optional members absent", "GenerateRandom", `{}`, ""},
		{"required member absent", "DescribeKey", `{}`,
			"1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"},
		{"required member null", "DescribeKey", `{"KeyId":null}`,
			"1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"},
		{"two errors", "Encrypt", `{}`,
			"2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'plaintext' failed to satisfy constraint: Member must not be null"},
		{"empty string too short", "DescribeKey", `{"KeyId":""}`,
			"1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"string too long", "DescribeKey", `{"KeyId":"` + strings.Repeat("k", 2049) + `"}`,
			"1 validation error detected: Value '" + strings.Repeat("k", 2049) + "' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"empty description is valid", "CreateKey", `{"Description":""}`, ""},
		{"integer too small", "GenerateRandom", `{"NumberOfBytes":0}`,
			"1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"integer too large", "ScheduleKeyDeletion", `{"KeyId":"k","PendingWindowInDays":366}`,
			"1 validation error detected: Value '366' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 365"},
		{"negative integer", "EnableKeyRotation", `{"KeyId":"k","RotationPeriodInDays":-5}`,
			"1 validation error detected: Value '-5' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90"},
		{"sensitive blob hides the value", "Encrypt", `{"KeyId":"k","Plaintext":"` + b64(4097) + `"}`,
			"1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"},
		{"empty sensitive blob", "Encrypt", `{"KeyId":"k","Plaintext":""}`,
			"1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"blob shown as a Java ByteBuffer", "Decrypt", `{"CiphertextBlob":"` + b64(6145) + `"}`,
			"1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=6145 cap=6145]' at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144"},
		{"enum", "CreateKey", `{"KeySpec":"FOO"}`,
			"1 validation error detected: Value 'FOO' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, ML_DSA_87, ECC_NIST_EDWARDS25519]"},
		{"empty enum is present", "CreateKey", `{"KeyUsage":""}`,
			"1 validation error detected: Value '' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT]"},
		{"enum is case-sensitive", "GenerateMac", `{"KeyId":"k","Message":"AA==","MacAlgorithm":"hmac_sha_256"}`,
			"1 validation error detected: Value 'hmac_sha_256' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512]"},
		{"pattern", "CreateAlias", `{"AliasName":"alias/a b","TargetKeyId":"k"}`,
			"1 validation error detected: Value 'alias/a b' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"},
		{"length and pattern of one member", "CreateAlias", `{"AliasName":"","TargetKeyId":"k"}`,
			"2 validation errors detected: Value '' at 'aliasName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"},
		{"pattern with unicode escapes", "ListKeys", `{"Marker":"\u0100"}`,
			"1 validation error detected: Value '\u0100' at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*"},
		{"pattern matches the whole value", "CreateCustomKeyStore", `{"CustomKeyStoreName":"n","XksProxyVpcEndpointServiceOwner":"1234567890123"}`,
			"2 validation errors detected: Value '1234567890123' at 'xksProxyVpcEndpointServiceOwner' failed to satisfy constraint: Member must have length less than or equal to 12; " +
				"Value '1234567890123' at 'xksProxyVpcEndpointServiceOwner' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{12}"},
		{"policy name word characters", "GetKeyPolicy", `{"KeyId":"k","PolicyName":"my-policy"}`,
			"1 validation error detected: Value 'my-policy' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+"},
		{"list too long", "Encrypt", `{"KeyId":"k","Plaintext":"AA==","GrantTokens":["a","b","c","d","e","f","g","h","i","j","k"]}`,
			"1 validation error detected: Value '[a, b, c, d, e, f, g, h, i, j, k]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10"},
		{"list element", "Encrypt", `{"KeyId":"k","Plaintext":"AA==","GrantTokens":["a",""]}`,
			"1 validation error detected: Value '' at 'grantTokens.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"enum list element", "CreateGrant", `{"KeyId":"k","Operations":["Encrypt","Bogus"]}`,
			"1 validation error detected: Value 'Bogus' at 'operations.2.member' failed to satisfy constraint: Member must satisfy enum value set: " + grantOperations},
		{"structure list element", "CreateKey", `{"Tags":[{"TagKey":"a","TagValue":"b"},{"TagKey":"k"}]}`,
			"1 validation error detected: Value null at 'tags.2.member.tagValue' failed to satisfy constraint: Member must not be null"},
		{"empty tag value is valid", "TagResource", `{"KeyId":"k","Tags":[{"TagKey":"k","TagValue":""}]}`, ""},
		{"nested structure", "CreateGrant", `{"KeyId":"k","Operations":["Encrypt"],"Constraints":{"SourceArn":"arn:aws:s3::12345678901:b"}}`,
			"1 validation error detected: Value 'arn:aws:s3::12345678901:b' at 'constraints.sourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$"},
		{"errors in model member order", "CreateGrant", `{"Name":"a b","Operations":["X"],"KeyId":""}`,
			"3 validation errors detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value 'X' at 'operations.1.member' failed to satisfy constraint: Member must satisfy enum value set: " + grantOperations + "; " +
				"Value 'a b' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"},
		{"sensitive string hides the value", "CreateCustomKeyStore", `{"CustomKeyStoreName":"n","KeyStorePassword":"secret"}`,
			"1 validation error detected: Value at 'keyStorePassword' failed to satisfy constraint: Member must have length greater than or equal to 7"},
		{"sensitive nested pattern", "UpdateCustomKeyStore",
			`{"CustomKeyStoreId":"c","XksProxyAuthenticationCredential":{"AccessKeyId":"lowercaselowercaselow","RawSecretAccessKey":"` + strings.Repeat("s", 43) + `"}}`,
			"1 validation error detected: Value at 'xksProxyAuthenticationCredential.accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[A-Z2-7]+$"},
		{"sensitive nested required", "UpdateCustomKeyStore", `{"CustomKeyStoreId":"c","XksProxyAuthenticationCredential":{}}`,
			"2 validation errors detected: Value null at 'xksProxyAuthenticationCredential.accessKeyId' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'xksProxyAuthenticationCredential.rawSecretAccessKey' failed to satisfy constraint: Member must not be null"},
		{"nested blob", "GenerateRandom", `{"Recipient":{"AttestationDocument":""}}`,
			"1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at 'recipient.attestationDocument' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"length counts UTF-16 units: 64 emoji fit 128", "TagResource",
			`{"KeyId":"k","Tags":[{"TagKey":"` + strings.Repeat(emoji, 64) + `","TagValue":""}]}`, ""},
		{"length counts UTF-16 units: 65 emoji do not", "TagResource",
			`{"KeyId":"k","Tags":[{"TagKey":"` + strings.Repeat(emoji, 65) + `","TagValue":""}]}`,
			"1 validation error detected: Value '" + strings.Repeat(emoji, 65) + "' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"length counts characters, not bytes", "TagResource",
			`{"KeyId":"k","Tags":[{"TagKey":"` + strings.Repeat("é", 128) + `","TagValue":""}]}`, ""},
		{"required blob", "ImportKeyMaterial", `{"KeyId":"k","EncryptedKeyMaterial":"AA=="}`,
			"1 validation error detected: Value null at 'importToken' failed to satisfy constraint: Member must not be null"},
		{"valid custom key store", "CreateCustomKeyStore",
			`{"CustomKeyStoreName":"n","CustomKeyStoreType":"EXTERNAL_KEY_STORE","XksProxyUriEndpoint":"https://xks.example.com","XksProxyUriPath":"/kms/xks/v1",` +
				`"XksProxyConnectivity":"PUBLIC_ENDPOINT","XksProxyAuthenticationCredential":{"AccessKeyId":"ABCDEFGHIJKLMNOPQRST","RawSecretAccessKey":"` + strings.Repeat("s", 43) + `"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := DecodeInput(tt.op, []byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeInput: %v", err)
			}
			err = in.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			wantErr(t, err, keyhold.ErrCodeValidation, tt.want)
		})
	}
}

// TestValidateDoesNotAllocate: validation runs on every request; a valid
// request must not cost an allocation.
func TestValidateDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	bodies := map[string]string{
		"Encrypt":              `{"KeyId":"alias/k","Plaintext":"` + b64(1024) + `","EncryptionContext":{"a":"b","c":"d"},"GrantTokens":["t"],"EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}`,
		"CreateKey":            `{"Description":"d","KeySpec":"SYMMETRIC_DEFAULT","KeyUsage":"ENCRYPT_DECRYPT","Tags":[{"TagKey":"k","TagValue":"v"}],"Policy":"{}"}`,
		"CreateGrant":          `{"KeyId":"k","GranteePrincipal":"arn:aws:iam::111122223333:role/r","Operations":["Encrypt","Decrypt"],"Constraints":{"SourceArn":"arn:aws:s3::111122223333:b"},"Name":"n"}`,
		"CreateCustomKeyStore": `{"CustomKeyStoreName":"n","XksProxyUriPath":"/kms/xks/v1","XksProxyAuthenticationCredential":{"AccessKeyId":"ABCDEFGHIJKLMNOPQRST","RawSecretAccessKey":"` + strings.Repeat("s", 43) + `"}}`,
	}
	for op, body := range bodies {
		in, err := DecodeInput(op, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Validate(); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = in.Validate() }); n != 0 {
			t.Errorf("%s: Validate allocates %v times per call", op, n)
		}
	}
}

func TestLenUTF16(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "é": 1, "\U0001F511": 2, "a\U0001F511é": 4, "\uFFFF": 1} {
		if got := lenUTF16(s); got != want {
			t.Errorf("lenUTF16(%q) = %d, want %d", s, got, want)
		}
	}
}
