package cli_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

const region = "us-east-1"

var ctx = context.Background()

// TestServeSymmetricKeys drives every operation of the foundation through
// aws-sdk-go-v2 against `keyhold serve`, then restarts the server on the
// same data directory and decrypts the old ciphertexts.
func TestServeSymmetricKeys(t *testing.T) {
	data := filepath.Join(t.TempDir(), "keyhold-data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	c := ts.client(region, id, secret)

	// Files are private.
	for name, want := range map[string]os.FileMode{".": 0o700, "root.key": 0o600, "keyhold.db": 0o600, "credentials": 0o600} {
		fi, err := os.Stat(filepath.Join(data, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", name, got, want)
		}
	}
	if bytes.Contains(ts.Log.Bytes(), []byte(secret)) {
		t.Fatal("the server log contains the admin secret")
	}
	if !bytes.Contains(ts.Log.Bytes(), []byte(filepath.Join(data, "credentials"))) {
		t.Errorf("the first-start log line does not name the credentials path:\n%s", ts.Log.Bytes())
	}

	before := time.Now().Add(-time.Second)
	ck, err := c.CreateKey(ctx, &kms.CreateKeyInput{
		Description: aws.String("test key 123"),
		Tags:        []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("payments")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	md := ck.KeyMetadata
	keyID := aws.ToString(md.KeyId)
	keyARN := "arn:aws:kms:us-east-1:111122223333:key/" + keyID
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(keyID) {
		t.Errorf("key id %q is not a UUID", keyID)
	}

	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		t.Fatal(err)
	}
	m := d.KeyMetadata
	checks := []struct {
		name      string
		got, want any
	}{
		{"AWSAccountId", aws.ToString(m.AWSAccountId), "111122223333"},
		{"Arn", aws.ToString(m.Arn), keyARN},
		{"Description", aws.ToString(m.Description), "test key 123"},
		{"Enabled", m.Enabled, true},
		{"KeyState", m.KeyState, types.KeyStateEnabled},
		{"KeyUsage", m.KeyUsage, types.KeyUsageTypeEncryptDecrypt},
		{"KeySpec", m.KeySpec, types.KeySpecSymmetricDefault},
		{"CustomerMasterKeySpec", m.CustomerMasterKeySpec, types.CustomerMasterKeySpecSymmetricDefault},
		{"KeyManager", m.KeyManager, types.KeyManagerTypeCustomer},
		{"Origin", m.Origin, types.OriginTypeAwsKms},
		{"MultiRegion", aws.ToBool(m.MultiRegion), false},
		{"EncryptionAlgorithms", fmt.Sprint(m.EncryptionAlgorithms), "[SYMMETRIC_DEFAULT]"},
		{"CurrentKeyMaterialId is 64 hex", regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(aws.ToString(m.CurrentKeyMaterialId)), true},
		{"CreationDate recent", m.CreationDate.After(before) && m.CreationDate.Before(time.Now().Add(time.Second)), true},
		{"no DeletionDate", m.DeletionDate == nil, true},
	}
	for _, ch := range checks {
		if fmt.Sprint(ch.got) != fmt.Sprint(ch.want) {
			t.Errorf("DescribeKey %s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	// By ARN too.
	if d2, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyARN)}); err != nil || aws.ToString(d2.KeyMetadata.KeyId) != keyID {
		t.Fatalf("DescribeKey by ARN: %v", err)
	}

	// Encrypt / Decrypt with an encryption context.
	ec := map[string]string{"purpose": "test", "tenant": "a"}
	plaintext := []byte("attack at dawn")
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: plaintext, EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(enc.KeyId) != keyARN || enc.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
		t.Errorf("Encrypt returned KeyId %q alg %q", aws.ToString(enc.KeyId), enc.EncryptionAlgorithm)
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec.Plaintext, plaintext) || aws.ToString(dec.KeyId) != keyARN || aws.ToString(dec.KeyMaterialId) != aws.ToString(m.CurrentKeyMaterialId) {
		t.Errorf("Decrypt = %q key %q material %q", dec.Plaintext, aws.ToString(dec.KeyId), aws.ToString(dec.KeyMaterialId))
	}

	// A 4096-byte plaintext fits in a 6144-byte ciphertext.
	big := bytes.Repeat([]byte{0xA5}, 4096)
	encBig, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: big, EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(encBig.CiphertextBlob); n > 6144 {
		t.Errorf("4096-byte plaintext gave a %d-byte ciphertext", n)
	}
	if got, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: encBig.CiphertextBlob, EncryptionContext: ec, KeyId: aws.String(keyID)}); err != nil || !bytes.Equal(got.Plaintext, big) {
		t.Fatalf("Decrypt 4096 bytes: %v", err)
	}

	// A second key for IncorrectKeyException and ReEncrypt.
	ck2, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	key2 := aws.ToString(ck2.KeyMetadata.KeyId)

	t.Run("errors", func(t *testing.T) {
		_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, KeyId: aws.String(key2)})
		wantAPIError(t, err, "IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
		_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
		wantAPIError(t, err, "InvalidCiphertextException", "")
		_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "test", "tenant": "b"}})
		wantAPIError(t, err, "InvalidCiphertextException", "")
		tampered := bytes.Clone(enc.CiphertextBlob)
		tampered[len(tampered)-1] ^= 1
		_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: tampered, EncryptionContext: ec})
		wantAPIError(t, err, "InvalidCiphertextException", "")
		_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: []byte("not a keyhold ciphertext at all")})
		wantAPIError(t, err, "InvalidCiphertextException", "")

		_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("fake-key-id")})
		wantAPIError(t, err, "NotFoundException", "Invalid keyId 'fake-key-id'")
		_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("134f2428cec14b25a1ae9048164dba47")})
		wantAPIError(t, err, "NotFoundException", "Invalid keyId '134f2428cec14b25a1ae9048164dba47'")
		missing := "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000"
		_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("00000000-0000-4000-8000-000000000000")})
		wantAPIError(t, err, "NotFoundException", "Key '"+missing+"' does not exist")
		_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(missing), Plaintext: []byte("x")})
		wantAPIError(t, err, "NotFoundException", "Key '"+missing+"' does not exist")

		_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: make([]byte, 4097)})
		wantAPIError(t, err, "ValidationException", "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096")
		_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: []byte("x"), DryRun: aws.Bool(true)})
		wantAPIError(t, err, "DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")

		_, err = c.GenerateRandom(ctx, &kms.GenerateRandomInput{})
		wantAPIError(t, err, "ValidationException", "NumberOfBytes is required.")
		_, err = c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(1025)})
		wantAPIError(t, err, "ValidationException", "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024")
		_, err = c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(0)})
		wantAPIError(t, err, "ValidationException", "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1")

		_, err = c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(keyID)})
		wantAPIError(t, err, "ValidationException", "Please specify either number of bytes or key spec.")
		_, err = c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(keyID), KeySpec: types.DataKeySpecAes256, NumberOfBytes: aws.Int32(32)})
		wantAPIError(t, err, "ValidationException", "Please specify either number of bytes or key spec.")

		_, err = c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: "FOO"})
		wantAPIError(t, err, "ValidationException", "")

		// The default key policy, in the text AWS returns (GetKeyPolicy example).
		gp, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyID)})
		if err != nil || aws.ToString(gp.PolicyName) != "default" ||
			!strings.Contains(aws.ToString(gp.Policy), "\"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::") {
			t.Fatalf("GetKeyPolicy = %+v, %v", gp, err)
		}
	})

	t.Run("ReEncrypt", func(t *testing.T) {
		re, err := c.ReEncrypt(ctx, &kms.ReEncryptInput{
			CiphertextBlob:               enc.CiphertextBlob,
			SourceEncryptionContext:      ec,
			DestinationKeyId:             aws.String(key2),
			DestinationEncryptionContext: map[string]string{"moved": "yes"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(re.SourceKeyId) != keyARN || aws.ToString(re.KeyId) != aws.ToString(ck2.KeyMetadata.Arn) ||
			re.SourceEncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault ||
			re.DestinationEncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault ||
			aws.ToString(re.SourceKeyMaterialId) != aws.ToString(m.CurrentKeyMaterialId) ||
			aws.ToString(re.DestinationKeyMaterialId) != aws.ToString(ck2.KeyMetadata.CurrentKeyMaterialId) {
			t.Errorf("ReEncrypt response: %+v", re)
		}
		got, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: re.CiphertextBlob, EncryptionContext: map[string]string{"moved": "yes"}})
		if err != nil || !bytes.Equal(got.Plaintext, plaintext) || aws.ToString(got.KeyId) != aws.ToString(ck2.KeyMetadata.Arn) {
			t.Fatalf("Decrypt after ReEncrypt: %v", err)
		}
		_, err = c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: ec, SourceKeyId: aws.String(key2), DestinationKeyId: aws.String(key2)})
		wantAPIError(t, err, "IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
	})

	t.Run("GenerateDataKey", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			in   kms.GenerateDataKeyInput
			size int
		}{
			{"AES_256", kms.GenerateDataKeyInput{KeySpec: types.DataKeySpecAes256}, 32},
			{"AES_128", kms.GenerateDataKeyInput{KeySpec: types.DataKeySpecAes128}, 16},
			{"1 byte", kms.GenerateDataKeyInput{NumberOfBytes: aws.Int32(1)}, 1},
			{"1024 bytes", kms.GenerateDataKeyInput{NumberOfBytes: aws.Int32(1024)}, 1024},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				in.KeyId = aws.String(keyID)
				in.EncryptionContext = ec
				out, err := c.GenerateDataKey(ctx, &in)
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Plaintext) != tc.size || aws.ToString(out.KeyId) != keyARN || aws.ToString(out.KeyMaterialId) == "" {
					t.Fatalf("GenerateDataKey: %d bytes, key %q", len(out.Plaintext), aws.ToString(out.KeyId))
				}
				got, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: ec})
				if err != nil || !bytes.Equal(got.Plaintext, out.Plaintext) {
					t.Fatalf("Decrypt data key: %v", err)
				}
			})
		}
		wp, err := c.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(keyID), KeySpec: types.DataKeySpecAes256})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: wp.CiphertextBlob})
		if err != nil || len(got.Plaintext) != 32 || aws.ToString(wp.KeyId) != keyARN {
			t.Fatalf("Decrypt GenerateDataKeyWithoutPlaintext: %v", err)
		}
	})

	t.Run("GenerateRandom", func(t *testing.T) {
		for _, n := range []int32{1, 12, 1024} {
			out, err := c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(n)})
			if err != nil || len(out.Plaintext) != int(n) {
				t.Fatalf("GenerateRandom(%d): %v", n, err)
			}
		}
		a, _ := c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(32)})
		b, _ := c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(32)})
		if bytes.Equal(a.Plaintext, b.Plaintext) {
			t.Fatal("two GenerateRandom calls returned the same bytes")
		}
	})

	t.Run("ListKeys", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			if _, err := c.CreateKey(ctx, &kms.CreateKeyInput{}); err != nil {
				t.Fatal(err)
			}
		}
		var all []string
		var marker *string
		pages := 0
		for {
			out, err := c.ListKeys(ctx, &kms.ListKeysInput{Limit: aws.Int32(2), Marker: marker})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, k := range out.Keys {
				all = append(all, aws.ToString(k.KeyId))
				if aws.ToString(k.KeyArn) != "arn:aws:kms:us-east-1:111122223333:key/"+aws.ToString(k.KeyId) {
					t.Errorf("ListKeys KeyArn %q", aws.ToString(k.KeyArn))
				}
			}
			if !out.Truncated {
				if out.NextMarker != nil {
					t.Error("NextMarker on the last page")
				}
				break
			}
			marker = out.NextMarker
		}
		if len(all) != 5 || pages != 3 {
			t.Fatalf("ListKeys: %d keys in %d pages, want 5 in 3: %v", len(all), pages, all)
		}
		seen := map[string]bool{}
		for _, k := range all {
			if seen[k] {
				t.Fatalf("ListKeys returned %s twice", k)
			}
			seen[k] = true
		}
		if !seen[keyID] || !seen[key2] {
			t.Fatal("ListKeys misses a created key")
		}
		_, err := c.ListKeys(ctx, &kms.ListKeysInput{Marker: aws.String("garbage")})
		wantAPIError(t, err, "InvalidMarkerException", "")
	})

	t.Run("regions are isolated", func(t *testing.T) {
		west := ts.client("us-west-2", id, secret)
		_, err := west.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
		wantAPIError(t, err, "NotFoundException", "Key 'arn:aws:kms:us-west-2:111122223333:key/"+keyID+"' does not exist")
		_, err = west.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyARN)})
		wantAPIError(t, err, "NotFoundException", "Invalid arn us-west-2")
		_, err = west.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
		wantAPIError(t, err, "InvalidCiphertextException", "")
		out, err := west.ListKeys(ctx, &kms.ListKeysInput{})
		if err != nil || len(out.Keys) != 0 {
			t.Fatalf("us-west-2 ListKeys: %v %v", out, err)
		}
	})

	t.Run("authentication", func(t *testing.T) {
		_, err := ts.client(region, "AKIAIOSFODNN7EXAMPLE", secret).ListKeys(ctx, &kms.ListKeysInput{})
		wantAPIError(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
		_, err = ts.client(region, id, "wrong"+secret[5:]).ListKeys(ctx, &kms.ListKeysInput{})
		wantAPIError(t, err, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	})

	// Restart on the same data directory: the old ciphertexts decrypt and
	// the credentials still work.
	ts.Stop(t)
	if !bytes.Contains(ts.Log.Bytes(), []byte("keyhold stopped")) {
		t.Errorf("no clean shutdown in the log:\n%s", ts.Log.Bytes())
	}
	credBefore, _ := os.ReadFile(filepath.Join(data, "credentials"))
	ts2 := startServer(t, "serve", data)
	c2 := ts2.client(region, id, secret)
	got, err := c2.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	if err != nil || !bytes.Equal(got.Plaintext, plaintext) {
		t.Fatalf("Decrypt after restart: %v", err)
	}
	if d, err := c2.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)}); err != nil || aws.ToString(d.KeyMetadata.Description) != "test key 123" {
		t.Fatalf("DescribeKey after restart: %v", err)
	}
	credAfter, _ := os.ReadFile(filepath.Join(data, "credentials"))
	if !bytes.Equal(credBefore, credAfter) {
		t.Error("the credentials file was rewritten on restart")
	}
	_ = hex.EncodeToString
}

// TestDevAccountsAreIsolated: in dev mode a 12-digit access key id selects
// the account, and one account cannot see or use another's keys.
func TestDevAccountsAreIsolated(t *testing.T) {
	ts := startServer(t, "dev", "")
	a := ts.client(region, "111111111111", "anything")
	b := ts.client(region, "222222222222", "whatever")
	ck, err := a.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(ck.KeyMetadata.AWSAccountId); got != "111111111111" {
		t.Fatalf("account %s", got)
	}
	arn := aws.ToString(ck.KeyMetadata.Arn)
	enc, err := a.Encrypt(ctx, &kms.EncryptInput{KeyId: ck.KeyMetadata.KeyId, Plaintext: []byte("secret")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: ck.KeyMetadata.KeyId})
	wantAPIError(t, err, "NotFoundException", "Key 'arn:aws:kms:us-east-1:222222222222:key/"+aws.ToString(ck.KeyMetadata.KeyId)+"' does not exist")
	_, err = b.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(arn), Plaintext: []byte("x")})
	wantAPIError(t, err, "AccessDeniedException", "")
	_, err = b.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantAPIError(t, err, "AccessDeniedException", "")
	if out, err := b.ListKeys(ctx, &kms.ListKeysInput{}); err != nil || len(out.Keys) != 0 {
		t.Fatalf("account b sees keys: %v %v", out, err)
	}
	// Any non-numeric access key id uses --account-id (default 111122223333).
	o := ts.client("eu-central-1", "AKIADEVDEVDEVDEVDEV1", "x")
	ck2, err := o.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(ck2.KeyMetadata.Arn); got != "arn:aws:kms:eu-central-1:111122223333:key/"+aws.ToString(ck2.KeyMetadata.KeyId) {
		t.Fatalf("dev ARN %s", got)
	}
}
