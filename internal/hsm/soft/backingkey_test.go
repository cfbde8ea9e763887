package soft

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
)

func TestEncryptDecrypt(t *testing.T) {
	b, dk, bk := setup(t)
	if bk.DomainKeyID != dk.ID || bk.KeyARN != testARN("1234abcd-12ab-34cd-56ef-1234567890ab") || len(bk.MaterialID) != 64 || bk.CreationDate.IsZero() {
		t.Errorf("backing key = %+v", bk)
	}
	for _, n := range []int{0, 1, 32, 1024, 4096} {
		pt := bytes.Repeat([]byte{0xa5}, n)
		ec := map[string]string{"n": fmt.Sprint(n)}
		blob := mustEncrypt(t, b, bk, pt, ec)
		if len(blob) > 6144 {
			t.Errorf("%d-byte plaintext gives a %d-byte blob", n, len(blob))
		}
		h, err := hsm.ParseCiphertext(blob)
		if err != nil || h.KeyARN != bk.KeyARN || h.MaterialID != bk.MaterialID {
			t.Fatalf("ParseCiphertext = %+v, %v", h, err)
		}
		got, err := b.Decrypt(ctx, bk, blob, ec)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("Decrypt gave other bytes for a %d-byte plaintext", n)
		}
	}
	// Two encryptions of the same plaintext differ (fresh salt and IV).
	if bytes.Equal(mustEncrypt(t, b, bk, []byte("x"), nil), mustEncrypt(t, b, bk, []byte("x"), nil)) {
		t.Error("two encryptions gave the same blob")
	}
}

func TestDecryptEncryptionContext(t *testing.T) {
	b, _, bk := setup(t)
	ordered := func(pairs ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(pairs); i += 2 {
			m[pairs[i]] = pairs[i+1]
		}
		return m
	}
	tests := []struct {
		name          string
		encrypt, open map[string]string
		ok            bool
	}{
		{"ab:c then a:bc", ordered("ab", "c"), ordered("a", "bc"), false},
		{"a:bc then ab:c", ordered("a", "bc"), ordered("ab", "c"), false},
		{"pair order does not matter", ordered("x", "1", "y", "2", "z", "3"), ordered("z", "3", "y", "2", "x", "1"), true},
		{"nil and empty are the same", nil, map[string]string{}, true},
		{"context required", ordered("a", "1"), nil, false},
		{"no context expected", nil, ordered("a", "1"), false},
		{"subset", ordered("a", "1", "b", "2"), ordered("a", "1"), false},
		{"unicode", ordered("名前", "値", "🔑", "é"), ordered("🔑", "é", "名前", "値"), true},
		{"unicode normalization is not applied", ordered("é", "x"), ordered("e\u0301", "x"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blob := mustEncrypt(t, b, bk, []byte("data"), tt.encrypt)
			got, err := b.Decrypt(ctx, bk, blob, tt.open)
			if tt.ok {
				if err != nil || string(got) != "data" {
					t.Fatalf("Decrypt = %q, %v", got, err)
				}
				return
			}
			if !errors.Is(err, hsm.ErrInvalidCiphertext) {
				t.Fatalf("Decrypt err = %v, want ErrInvalidCiphertext", err)
			}
			if keyhold.ErrorCode(err) != keyhold.ErrCodeInvalidCiphertext {
				t.Errorf("error code %s", keyhold.ErrorCode(err))
			}
		})
	}
}

func TestDecryptEveryBitFlip(t *testing.T) {
	b, _, bk := setup(t)
	ec := map[string]string{"k": "v"}
	blob := mustEncrypt(t, b, bk, []byte("sixteen byte msg"), ec)
	for i := range len(blob) * 8 {
		flipped := bytes.Clone(blob)
		flipped[i/8] ^= 1 << (i % 8)
		if _, err := b.Decrypt(ctx, bk, flipped, ec); !errors.Is(err, hsm.ErrInvalidCiphertext) {
			t.Fatalf("bit %d (byte %d) flipped: err = %v, want ErrInvalidCiphertext", i, i/8, err)
		}
	}
	for _, bad := range [][]byte{nil, blob[:len(blob)-1], append(bytes.Clone(blob), 0)} {
		if _, err := b.Decrypt(ctx, bk, bad, ec); !errors.Is(err, hsm.ErrInvalidCiphertext) {
			t.Errorf("malformed blob: err = %v, want ErrInvalidCiphertext", err)
		}
	}
}

func TestDecryptWrongBackingKey(t *testing.T) {
	b, _, bk := setup(t)
	blob := mustEncrypt(t, b, bk, []byte("data"), nil)

	rotated, err := b.GenerateBackingKey(ctx, testRegion, bk.KeyARN)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := b.GenerateBackingKey(ctx, testRegion, testARN("other"))
	if err != nil {
		t.Fatal(err)
	}
	relabelled := *rotated
	relabelled.MaterialID = bk.MaterialID // right name, wrong EKT
	renamed := *bk
	renamed.KeyARN = otherKey.KeyARN // right EKT, wrong key ARN
	tests := []struct {
		name string
		bk   *keyhold.BackingKey
	}{
		{"another backing key of the same key", rotated},
		{"a backing key of another key", otherKey},
		{"material id of the blob, EKT of another backing key", &relabelled},
		{"key ARN of another key", &renamed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.Decrypt(ctx, tt.bk, blob, nil)
			if err == nil {
				t.Fatalf("Decrypt succeeded: %q", got)
			}
			if tt.bk == &relabelled {
				// The blob names this backing key, but its EKT is not
				// sealed for that material id: a corrupt record, which is
				// the service's fault.
				if errors.Is(err, hsm.ErrInvalidCiphertext) {
					t.Errorf("err = %v; a bad record should not look like a bad blob", err)
				}
				return
			}
			if !errors.Is(err, hsm.ErrInvalidCiphertext) {
				t.Errorf("err = %v, want ErrInvalidCiphertext", err)
			}
		})
	}
	// Encrypting under a record whose EKT does not match it fails too.
	if _, err := b.Encrypt(ctx, &relabelled, []byte("x"), nil); err == nil {
		t.Error("Encrypt under a mismatched record succeeded")
	}
	if _, err := b.Encrypt(ctx, nil, []byte("x"), nil); err == nil {
		t.Error("Encrypt(nil backing key) succeeded")
	}
	if _, err := b.Decrypt(ctx, nil, blob, nil); err == nil {
		t.Error("Decrypt(nil backing key) succeeded")
	}
}

func TestDomainKeyRotation(t *testing.T) {
	b, dk1, bk1 := setup(t)
	blob := mustEncrypt(t, b, bk1, []byte("old"), nil)
	dk2, err := b.CreateDomainKey(ctx, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	if dk2.ID == dk1.ID {
		t.Fatal("same domain key id twice")
	}
	bk2, err := b.GenerateBackingKey(ctx, testRegion, bk1.KeyARN)
	if err != nil {
		t.Fatal(err)
	}
	if bk2.DomainKeyID != dk2.ID {
		t.Errorf("new backing key sealed under %s, want the new domain key %s", bk2.DomainKeyID, dk2.ID)
	}
	if id, _ := hsm.EKTDomainKeyID(bk2.EKT); id != dk2.ID {
		t.Errorf("EKT names %s, want %s", id, dk2.ID)
	}
	if got, err := b.Decrypt(ctx, bk1, blob, nil); err != nil || string(got) != "old" {
		t.Errorf("backing key under the old domain key: %q, %v", got, err)
	}
}

func TestDomainKeyOfAnotherRegion(t *testing.T) {
	b, _, bk := setup(t)
	eu, err := b.CreateDomainKey(ctx, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	blob := mustEncrypt(t, b, bk, []byte("data"), nil)

	// The record names the other region's domain key: the EKT says
	// otherwise.
	moved := *bk
	moved.DomainKeyID = eu.ID
	if _, err := b.Decrypt(ctx, &moved, blob, nil); err == nil {
		t.Error("EKT opened under the record's other-region domain key id")
	}
	// The EKT itself is rewritten to name the other region's domain key
	// (ids have the same length): the GCM tag fails, because the domain
	// key, its id and its region are all bound.
	forged := moved
	forged.EKT = bytes.Clone(bk.EKT)
	copy(forged.EKT[2:], eu.ID)
	if id, _ := hsm.EKTDomainKeyID(forged.EKT); id != eu.ID {
		t.Fatalf("forging failed: EKT names %s", id)
	}
	if _, err := b.Decrypt(ctx, &forged, blob, nil); err == nil {
		t.Error("EKT opened under another region's domain key")
	}
	if _, err := b.Encrypt(ctx, &forged, []byte("x"), nil); err == nil {
		t.Error("Encrypt with an EKT forged to name another region's domain key succeeded")
	}
	// A backing key is only made under a domain key of its own region.
	if _, err := b.GenerateBackingKey(ctx, "eu-west-1", bk.KeyARN); err == nil {
		t.Error("GenerateBackingKey sealed a us-east-1 key under an eu-west-1 domain key")
	}
	if _, err := b.GenerateBackingKey(ctx, "ap-south-1", keyhold.KeyARN("ap-south-1", testAccount, "k")); err == nil {
		t.Error("GenerateBackingKey without a domain key for the region succeeded")
	}
}
