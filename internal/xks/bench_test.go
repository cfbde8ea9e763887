package xks

import (
	"crypto/rand"
	"encoding/base64"
	"testing"
)

func BenchmarkParseRequestEncrypt(b *testing.B) {
	pt := make([]byte, 200)
	aad := make([]byte, 108)
	rand.Read(pt)
	rand.Read(aad)
	body := []byte(`{"requestMetadata":{"awsPrincipalArn":"arn:aws:iam::123456789012:user/Alice","kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab","kmsOperation":"Encrypt","kmsRequestId":"4112f4d6-db54-4af4-ae30-c55a22a8dfae","kmsViaService":"ebs"},"plaintext":"` + base64.StdEncoding.EncodeToString(pt) + `","encryptionAlgorithm":"AES_GCM","additionalAuthenticatedData":"` + base64.StdEncoding.EncodeToString(aad) + `","ciphertextDataIntegrityValueAlgorithm":"SHA_256"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(OpEncrypt, body); err != nil {
			b.Fatal(err)
		}
	}
}
