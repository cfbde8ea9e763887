package kms

import (
	"slices"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func TestRegionSpec(t *testing.T) {
	for _, tc := range []struct {
		region, spec string
		ok           bool
	}{
		{"us-east-1", "RSA_2048", true},
		{"us-east-1", "SM2", false},
		{"cn-north-1", "SM2", true},
		{"cn-northwest-1", "HMAC_256", false},
		{"eu-west-1", "HMAC_256", true},
		{"us-east-1", "ML_DSA_87", true},
	} {
		_, err := regionSpec(tc.region, tc.spec, "keySpec", keySpecEnum)
		if (err == nil) != tc.ok {
			t.Errorf("%s in %s: %v", tc.spec, tc.region, err)
		}
		if err != nil {
			msg := err.(*keyhold.Error).Message
			if !strings.HasPrefix(msg, "1 validation error detected: Value '"+tc.spec+"' at 'keySpec'") || strings.Contains(msg, tc.spec+",") || strings.Contains(msg, tc.spec+"]") {
				t.Errorf("message %q", msg)
			}
		}
	}
}

func TestAlgorithmLists(t *testing.T) {
	enc, sig, mac, agree := algorithmLists(&keyhold.Key{KeySpec: "SM2", KeyUsage: "KEY_AGREEMENT"})
	if enc != nil || sig != nil || mac != nil || !slices.Equal(agree, []kmsapi.KeyAgreementAlgorithmSpec{"ECDH"}) {
		t.Errorf("SM2 KEY_AGREEMENT: %v %v %v %v", enc, sig, mac, agree)
	}
	enc, _, _, _ = algorithmLists(&keyhold.Key{KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT"})
	if !slices.Equal(enc, []kmsapi.EncryptionAlgorithmSpec{"SYMMETRIC_DEFAULT"}) {
		t.Errorf("SYMMETRIC_DEFAULT: %v", enc)
	}
}

func TestCheckEncryption(t *testing.T) {
	rsa := &keyhold.Key{ARN: "arn", KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT"}
	sym := &keyhold.Key{ARN: "arn", KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT"}
	for _, tc := range []struct {
		name string
		k    *keyhold.Key
		alg  kmsapi.EncryptionAlgorithmSpec
		n    int
		ec   map[string]string
		code string
	}{
		{"symmetric default", sym, "", 4096, map[string]string{"a": "b"}, ""},
		{"symmetric with RSA algorithm", sym, "RSAES_OAEP_SHA_256", 1, nil, keyhold.ErrCodeInvalidKeyUsage},
		{"RSA without algorithm", rsa, "", 1, nil, keyhold.ErrCodeInvalidKeyUsage},
		{"RSA at the limit", rsa, "RSAES_OAEP_SHA_1", 214, nil, ""},
		{"RSA over the limit", rsa, "RSAES_OAEP_SHA_1", 215, nil, keyhold.ErrCodeValidation},
		{"RSA with context", rsa, "RSAES_OAEP_SHA_256", 1, map[string]string{"a": "b"}, keyhold.ErrCodeValidation},
		{"RSA length unknown", rsa, "RSAES_OAEP_SHA_256", -1, nil, ""},
	} {
		_, err := checkEncryption(tc.k, tc.alg, tc.n, tc.ec)
		if got := errCode(err); got != tc.code {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func errCode(err error) string {
	if err == nil {
		return ""
	}
	return keyhold.ErrorCode(err)
}
