package kmsapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
)

// encryptBody is a typical Encrypt request: 1 KiB of plaintext and an
// encryption context of two pairs.
func encryptBody(b *testing.B) []byte {
	plaintext := make([]byte, 1024)
	if _, err := rand.Read(plaintext); err != nil {
		b.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{
		"KeyId":             "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"Plaintext":         base64.StdEncoding.EncodeToString(plaintext),
		"EncryptionContext": map[string]string{"department": "finance", "purpose": "payroll"},
	})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func BenchmarkDecodeValidateEncrypt(b *testing.B) {
	body := encryptBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		in, err := DecodeInput("Encrypt", body)
		if err != nil {
			b.Fatal(err)
		}
		if err := in.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateEncrypt(b *testing.B) {
	in, err := DecodeInput("Encrypt", encryptBody(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := in.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodingJSONEncrypt is the same decoding with encoding/json, for
// comparison only.
func BenchmarkEncodingJSONEncrypt(b *testing.B) {
	body := encryptBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var in EncryptInput
		if err := json.Unmarshal(body, &in); err != nil {
			b.Fatal(err)
		}
	}
}
