package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/keyhold/keyhold/internal/cli"
)

// TestBenchXKSMode drives keyhold's XKS proxy with `keyhold bench
// --xks-path`, as AWS KMS would call it: Encrypt and Decrypt, signed for
// kms-xks-proxy with the key store's credential, an open-loop rate, and
// checks the JSON result.
func TestBenchXKSMode(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "keyhold.yaml")
	writeFile(t, config, fmt.Sprintf(`
xks:
  key_stores:
    - name: bench
      prefix: %s
      credentials:
        - access_key_id: %s
          secret_access_key: %s
      keys:
        - id: bench-key
          operations: both
`, e2ePrefix, e2eAKID, e2eSecret))
	_, xksAddr := startWithXKS(t, filepath.Join(dir, "data"), "--config", config, "--xks-listen", "127.0.0.1:0")
	if xksAddr == "" {
		t.Fatal("no XKS listener")
	}
	var out syncBuffer
	code := mainWithEnv(t, &out, map[string]string{"AWS_ACCESS_KEY_ID": e2eAKID, "AWS_SECRET_ACCESS_KEY": e2eSecret},
		"bench", "--endpoint", "http://"+xksAddr, "--region", "us-east-1", "--xks-path", e2ePrefix+"/kms/xks/v1",
		"--xks-key", "bench-key", "--op", "Encrypt=1,Decrypt=1", "--size", "32", "--rate", "200",
		"--concurrency", "8", "--warmup", "200ms", "--duration", "1s", "--json")
	if code != 0 {
		t.Fatalf("bench exited %d:\n%s", code, out.Bytes())
	}
	var res struct {
		RPS    float64        `json:"requests_per_second"`
		P50    float64        `json:"p50_ms"`
		P99    float64        `json:"p99_ms"`
		Errors map[string]int `json:"errors"`
	}
	if err := json.Unmarshal(lastJSON(out.Bytes()), &res); err != nil {
		t.Fatalf("bench output: %v\n%s", err, out.Bytes())
	}
	if res.RPS < 100 || len(res.Errors) != 0 || res.P50 <= 0 || res.P99 < res.P50 {
		t.Fatalf("XKS bench result: %+v", res)
	}
	// A wrong external key id is counted by its XKS error name.
	out = syncBuffer{}
	code = mainWithEnv(t, &out, map[string]string{"AWS_ACCESS_KEY_ID": e2eAKID, "AWS_SECRET_ACCESS_KEY": e2eSecret},
		"bench", "--endpoint", "http://"+xksAddr, "--region", "us-east-1", "--xks-path", e2ePrefix+"/kms/xks/v1",
		"--xks-key", "no-such-key", "--duration", "200ms", "--json")
	if code == 0 {
		t.Fatalf("bench against an unknown key succeeded:\n%s", out.Bytes())
	}
}

// mainWithEnv runs keyhold in-process with env as its environment.
func mainWithEnv(t *testing.T, out *syncBuffer, env map[string]string, args ...string) int {
	t.Helper()
	return cli.Main(ctx, args, &cli.Env{Stdout: out, Stderr: out, Getenv: func(k string) string { return env[k] }})
}

// lastJSON returns the last line of b that starts a JSON object.
func lastJSON(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		if bytes.HasPrefix(bytes.TrimSpace(lines[i]), []byte("{")) {
			return bytes.Join(lines[i:], []byte("\n"))
		}
	}
	return b
}
