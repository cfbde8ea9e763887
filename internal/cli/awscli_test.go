package cli_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// awsCLI finds the AWS CLI. In CI it must be there (it is part of the
// machine image); elsewhere the test is skipped without it.
func awsCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("aws")
	if err != nil {
		if home, herr := os.UserHomeDir(); herr == nil {
			if _, serr := os.Stat(filepath.Join(home, ".pyenv/shims/aws")); serr == nil {
				return filepath.Join(home, ".pyenv/shims/aws")
			}
		}
		if os.Getenv("CI") != "" {
			t.Fatal("the AWS CLI (aws) is not on PATH; CI needs it")
		}
		t.Skip("the AWS CLI (aws) is not installed")
	}
	return p
}

// TestAWSCLI runs the README's session with the real AWS CLI: the endpoint
// from AWS_ENDPOINT_URL_KMS and the credentials file keyhold wrote.
func TestAWSCLI(t *testing.T) {
	aws := awsCLI(t)
	data := filepath.Join(t.TempDir(), "keyhold-data")
	ts := startServer(t, "serve", data)
	env := append(os.Environ(),
		"AWS_ENDPOINT_URL_KMS=http://"+ts.API,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(data, "credentials"),
		"AWS_PROFILE=keyhold",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(t.TempDir(), "none"),
		"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=",
	)
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(aws, append([]string{"kms"}, args...)...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws kms %v: %v\n%s", args, err, stderr.Bytes())
		}
		return out
	}
	var ck struct {
		KeyMetadata struct{ KeyId, Arn, KeyState string }
	}
	if err := json.Unmarshal(run("create-key", "--description", "from the AWS CLI", "--output", "json"), &ck); err != nil {
		t.Fatal(err)
	}
	if ck.KeyMetadata.KeyState != "Enabled" {
		t.Fatalf("create-key: %+v", ck)
	}
	pt := filepath.Join(t.TempDir(), "plain.txt")
	if err := os.WriteFile(pt, []byte("hello, keyhold"), 0o600); err != nil {
		t.Fatal(err)
	}
	blob := run("encrypt", "--key-id", ck.KeyMetadata.KeyId, "--plaintext", "fileb://"+pt,
		"--encryption-context", "app=readme", "--query", "CiphertextBlob", "--output", "text")
	ct := filepath.Join(t.TempDir(), "blob")
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(blob)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ct, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out := run("decrypt", "--ciphertext-blob", "fileb://"+ct, "--encryption-context", "app=readme",
		"--query", "Plaintext", "--output", "text")
	got, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(out)))
	if err != nil || string(got) != "hello, keyhold" {
		t.Fatalf("decrypt gave %q (%v)", got, err)
	}
	var lk struct{ Keys []struct{ KeyId string } }
	if err := json.Unmarshal(run("list-keys", "--output", "json"), &lk); err != nil || len(lk.Keys) != 1 || lk.Keys[0].KeyId != ck.KeyMetadata.KeyId {
		t.Fatalf("list-keys: %+v %v", lk, err)
	}
}
