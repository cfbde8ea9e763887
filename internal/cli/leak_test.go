package cli_test

import (
	"bytes"
	"crypto/rand"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/keyhold/keyhold/internal/hsm"
	"github.com/keyhold/keyhold/internal/store/sqlite"
)

// TestNoPlaintextAtRest encrypts known plaintexts and makes data keys, then
// scans every file in the data directory (SQLite database, WAL, everything)
// and the server's debug log for those plaintexts, the data keys and the
// backing keys. It finds the backing keys the way an auditor would: by
// opening the root key file and the stored EKTs with the formats that
// docs/ciphertext-format.md describes.
func TestNoPlaintextAtRest(t *testing.T) {
	data := filepath.Join(t.TempDir(), "keyhold-data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	c := ts.client(region, id, secret)

	var secrets [][]byte // everything that must not be found
	var keyARNs []string
	for i := 0; i < 3; i++ {
		ck, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("scan")})
		if err != nil {
			t.Fatal(err)
		}
		keyARNs = append(keyARNs, aws.ToString(ck.KeyMetadata.Arn))
		pt := make([]byte, 64)
		rand.Read(pt)
		secrets = append(secrets, pt)
		if _, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: ck.KeyMetadata.KeyId, Plaintext: pt}); err != nil {
			t.Fatal(err)
		}
		dk, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: ck.KeyMetadata.KeyId, KeySpec: types.DataKeySpecAes256})
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, dk.Plaintext)
		if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob}); err != nil {
			t.Fatal(err)
		}
	}
	// Read the database while the server runs too: the WAL must be clean
	// as well as the checkpointed file.
	scan := func(when string) {
		t.Helper()
		err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i, s := range secrets {
				if bytes.Contains(b, s) {
					t.Errorf("%s: secret #%d found in %s", when, i, path)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range secrets {
			if bytes.Contains(ts.Log.Bytes(), s) {
				t.Errorf("%s: secret #%d found in the server log", when, i)
			}
		}
	}
	scan("while running")
	ts.Stop(t)

	// Reconstruct the backing keys from root.key and the stored EKTs.
	rootFile, err := os.ReadFile(filepath.Join(data, "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rootFile) != 53 || string(rootFile[:4]) != "KHRK" || rootFile[4] != 1 {
		t.Fatalf("root.key does not have the documented layout (%d bytes)", len(rootFile))
	}
	root := rootFile[5:37]
	wrapKey, err := hsm.KBKDF(root, []byte("keyhold/v1/root/domain-key-wrap"), nil, 32)
	if err != nil {
		t.Fatal(err)
	}
	rootAEAD, _ := hsm.NewAEAD(wrapKey)
	st, err := sqlite.Open(ctx, filepath.Join(data, "keyhold.db"))
	if err != nil {
		t.Fatal(err)
	}
	dks, err := st.ListDomainKeys(ctx)
	if err != nil || len(dks) != 1 {
		t.Fatalf("domain keys: %d %v", len(dks), err)
	}
	dkRaw, err := hsm.UnwrapDomainKey(rootAEAD, dks[0].Region, dks[0].ID, dks[0].Wrapped)
	if err != nil {
		t.Fatalf("unwrapping the domain key as documented: %v", err)
	}
	secrets = append(secrets, root, dkRaw)
	dkAEAD, _ := hsm.NewAEAD(dkRaw)
	for _, arn := range keyARNs {
		bks, err := st.ListBackingKeys(ctx, arn)
		if err != nil || len(bks) != 1 {
			t.Fatalf("backing keys of %s: %v", arn, err)
		}
		hbk, err := hsm.OpenEKT(dkAEAD, hsm.EKTBinding{Region: region, DomainKeyID: bks[0].DomainKeyID, KeyARN: arn, MaterialID: bks[0].MaterialID}, bks[0].EKT)
		if err != nil {
			t.Fatalf("opening the EKT as documented: %v", err)
		}
		secrets = append(secrets, hbk)
	}
	st.Close()

	// root.key holds the root key by design: leave it out of the scan, but
	// nothing else may contain the root key, the domain key, a backing key,
	// a plaintext or a data key.
	if err := os.Rename(filepath.Join(data, "root.key"), filepath.Join(t.TempDir(), "root.key")); err != nil {
		t.Fatal(err)
	}
	scan("after shutdown")
}
