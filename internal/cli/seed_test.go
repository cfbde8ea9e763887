package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/keyhold/keyhold/internal/store/sqlite"
)

// seedOutput is `keyhold bench seed --json`, written out here rather than
// shared with seed.go, so that a renamed JSON member fails the test.
type seedOutput struct {
	Data          string  `json:"data"`
	AccountID     string  `json:"account_id"`
	Region        string  `json:"region"`
	KeysCreated   int     `json:"keys_created"`
	Seconds       float64 `json:"seconds"`
	KeysPerSecond float64 `json:"keys_per_second"`
	KeysOut       string  `json:"keys_out"`
	Interrupted   bool    `json:"interrupted"`
}

// seedKeys runs `keyhold bench seed` and returns the ARNs it wrote to
// --keys-out.
func seedKeys(t *testing.T, data string, count int, args ...string) (seedOutput, []string) {
	t.Helper()
	keysOut := filepath.Join(t.TempDir(), "keys.txt")
	argv := append([]string{"seed", "--data", data, "--count", itoa(count), "--keys-out", keysOut, "--json"}, args...)
	code, stdout, stderr := runBench(t, nil, argv...)
	if code != 0 {
		t.Fatalf("bench seed exited %d:\n%s", code, stderr)
	}
	var out seedOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("bench seed --json printed %q: %v", stdout, err)
	}
	if out.KeysCreated != count || out.Interrupted || out.Seconds <= 0 || out.KeysPerSecond <= 0 || out.KeysOut != keysOut {
		t.Errorf("seed result %+v", out)
	}
	if strings.Contains(stderr, "\r") {
		t.Errorf("progress line written to a non-terminal:\n%q", stderr)
	}
	b, err := os.ReadFile(keysOut)
	if err != nil {
		t.Fatal(err)
	}
	arns := strings.Fields(string(b))
	if len(arns) != count {
		t.Fatalf("--keys-out has %d lines, want %d", len(arns), count)
	}
	return out, arns
}

// TestBenchSeed seeds a new data directory, starts keyhold serve on it and
// checks with the AWS SDK that the seeded keys are served exactly like
// keys made by CreateKey through the API: listed, described, usable.
func TestBenchSeed(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	const count = 2000
	// 700 does not divide 2000: the last batch is a short one.
	out, arns := seedKeys(t, data, count, "--batch", "700")
	if out.AccountID != "111122223333" || out.Region != "us-east-1" || out.Data != data {
		t.Errorf("seed result %+v", out)
	}
	seeded := map[string]bool{}
	for _, a := range arns {
		if !strings.HasPrefix(a, "arn:aws:kms:us-east-1:111122223333:key/") || seeded[a] {
			t.Fatalf("--keys-out line %q: not a new key ARN", a)
		}
		seeded[a] = true
	}
	// Seeding again adds keys (the directory is set up now).
	_, more := seedKeys(t, data, 10)
	for _, a := range more {
		seeded[a] = true
	}
	if len(seeded) != count+10 {
		t.Fatalf("%d distinct keys after two seeds, want %d", len(seeded), count+10)
	}

	ts := startServer(t, "serve", data, "--log-level", "warn")
	id, secret := creds(t, data)
	c := ts.client("us-east-1", id, secret)
	ctx := context.Background()

	listed := map[string]bool{}
	pages := 0
	for p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{Limit: aws.Int32(1000)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, k := range page.Keys {
			if listed[*k.KeyArn] {
				t.Fatalf("ListKeys returned %s twice", *k.KeyArn)
			}
			listed[*k.KeyArn] = true
		}
	}
	if !reflect.DeepEqual(listed, seeded) || pages != 3 {
		t.Fatalf("ListKeys: %d keys in %d pages, want the %d seeded in 3", len(listed), pages, len(seeded))
	}

	// A key made through the API, to compare with.
	made, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	arn := arns[rand.IntN(len(arns))]
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	got, want := *d.KeyMetadata, *made.KeyMetadata
	if *got.Arn != arn || got.KeySpec != types.KeySpecSymmetricDefault || got.KeyUsage != types.KeyUsageTypeEncryptDecrypt ||
		got.KeyState != types.KeyStateEnabled || !got.Enabled || got.KeyManager != types.KeyManagerTypeCustomer ||
		got.Origin != types.OriginTypeAwsKms {
		t.Errorf("seeded key %s: %+v", arn, got)
	}
	// Everything but the key's own id, dates and material matches.
	for _, m := range []*types.KeyMetadata{&got, &want} {
		m.KeyId, m.Arn, m.CreationDate, m.CurrentKeyMaterialId = nil, nil, nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("seeded key's metadata\n%+v\ndiffers from a created key's\n%+v", got, want)
	}
	pol := func(key string) string {
		p, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		return *p.Policy
	}
	if p, q := pol(arn), pol(*made.KeyMetadata.Arn); p != q || !strings.Contains(p, `"arn:aws:iam::111122223333:root"`) {
		t.Errorf("seeded key's policy\n%s\nis not the default policy of a created key\n%s", p, q)
	}

	plaintext := []byte("seeded key round trip")
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(arn), Plaintext: plaintext})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil {
		t.Fatal(err)
	}
	if *dec.KeyId != arn || !bytes.Equal(dec.Plaintext, plaintext) {
		t.Errorf("Decrypt: key %s, plaintext %q", *dec.KeyId, dec.Plaintext)
	}
}

// TestBenchKeysSpreadsRequests runs `keyhold bench --keys` against keyhold
// serve with seeded keys: every request uses another key until the list is
// used up, which GetKeyLastUsage shows key by key.
func TestBenchKeysSpreadsRequests(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	const count = 300
	_, arns := seedKeys(t, data, count)
	keysFile := filepath.Join(t.TempDir(), "keys.txt")
	// Ids, not ARNs, half of them: the list takes both.
	var list strings.Builder
	for i, a := range arns {
		if i%2 == 0 {
			a = a[strings.LastIndexByte(a, '/')+1:]
		}
		list.WriteString(a + "\n")
	}
	if err := os.WriteFile(keysFile, []byte(list.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, "serve", data, "--log-level", "warn")
	env := map[string]string{"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(data, "credentials")}
	bench := func(args ...string) benchOutput {
		t.Helper()
		code, stdout, stderr := runBench(t, env, append([]string{"--endpoint", "http://" + ts.API, "--profile", "keyhold", "--json",
			"--keys", keysFile, "--warmup", "0s"}, args...)...)
		if code != 0 {
			t.Fatalf("bench exited %d:\n%s", code, stderr)
		}
		if !strings.Contains(stderr, fmt.Sprintf("keyhold bench: %d keys from %s", count, keysFile)) || strings.Contains(stderr, "created key") {
			t.Errorf("stderr:\n%s", stderr)
		}
		return decodeBench(t, stdout)
	}
	id, secret := creds(t, data)
	c := ts.client("us-east-1", id, secret)
	ctx := context.Background()
	used := func() (n int) {
		t.Helper()
		for _, a := range arns {
			u, err := c.GetKeyLastUsage(ctx, &kms.GetKeyLastUsageInput{KeyId: aws.String(a)})
			if err != nil {
				t.Fatal(err)
			}
			if u.KeyLastUsage != nil {
				n++
			}
		}
		return n
	}

	// Encrypt, closed loop: each request meets a key no request used
	// before, until the list is used up. (Prepare's DescribeKey of one key
	// is no use GetKeyLastUsage tracks.)
	out := bench("--op", "Encrypt", "--size", "64", "--concurrency", "2", "--duration", "300ms")
	checkRun(t, out, "Encrypt")
	if n, want := used(), min(count, int(out.Requests)); n != want {
		t.Errorf("%d Encrypt requests over %d keys used %d different keys, want %d", out.Requests, count, n, want)
	}

	// DescribeKey and GenerateDataKey, open loop.
	checkRun(t, bench("--op", "DescribeKey,GenerateDataKey", "--rate", "100", "--duration", "500ms"), "DescribeKey", "GenerateDataKey")

	// A list with a key the server does not have fails before the run.
	bad := filepath.Join(t.TempDir(), "bad.txt")
	if err := os.WriteFile(bad, []byte("arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runBench(t, env, "--endpoint", "http://"+ts.API, "--profile", "keyhold", "--keys", bad, "--op", "Encrypt")
	if code != 1 || !strings.Contains(stderr, "checking the key list with key arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000") ||
		!strings.Contains(stderr, "NotFoundException") {
		t.Errorf("bench with an unknown key in the list: exit %d:\n%s", code, stderr)
	}
	code, _, stderr = runBench(t, env, "--endpoint", "http://"+ts.API, "--profile", "keyhold", "--keys", keysFile, "--op", "Decrypt")
	if code != 1 || !strings.Contains(stderr, "Decrypt cannot take its key from a key list") {
		t.Errorf("bench --keys --op Decrypt: exit %d:\n%s", code, stderr)
	}
}

// TestSeedRefusesOpenDatabase: a seed refuses a data directory whose
// database another process has open, as a running keyhold serve has.
func TestSeedRefusesOpenDatabase(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	seedKeys(t, data, 1)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldDatabase$")
	cmd.Env = append(os.Environ(), "KEYHOLD_TEST_HOLD_DB="+filepath.Join(data, "keyhold.db"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "holding the database" {
				ready <- true
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("the helper process exited before it opened the database")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the helper process did not open the database")
	}

	code, _, stderr := runBench(t, nil, "seed", "--data", data, "--count", "5")
	want := fmt.Sprintf("is in use by process %d (a running keyhold serve?): stop it before seeding", cmd.Process.Pid)
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("seed while another process has the database open exited %d:\n%s\nwant %q", code, stderr, want)
	}

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v", err)
	}
	if out, _ := seedKeys(t, data, 5); out.KeysCreated != 5 {
		t.Errorf("seed after the other process closed the database: %+v", out)
	}
}

// TestHelperHoldDatabase is the other process of TestSeedRefusesOpenDatabase:
// it opens the store named by KEYHOLD_TEST_HOLD_DB and holds it until its
// standard input closes.
func TestHelperHoldDatabase(t *testing.T) {
	path := os.Getenv("KEYHOLD_TEST_HOLD_DB")
	if path == "" {
		t.Skip("helper process of TestSeedRefusesOpenDatabase")
	}
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fmt.Println("holding the database")
	io.Copy(io.Discard, os.Stdin)
}

// TestBenchSeedFlags: what the seed refuses, and says why.
func TestBenchSeedFlags(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no count", []string{"--data", data}, "count: 0 is not from 1"},
		{"bad batch", []string{"--data", data, "--count", "1", "--batch", "0"}, "batch: 0"},
		{"bad region", []string{"--data", data, "--count", "1", "--region", "mars"}, `region: "mars"`},
		{"bad account", []string{"--data", data, "--count", "1", "--account-id", "12"}, `account-id: "12"`},
		{"argument", []string{"--data", data, "--count", "1", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		code, _, stderr := runBench(t, nil, append([]string{"seed"}, tt.args...)...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant %q", tt.name, code, stderr, tt.want)
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("a refused seed touched the data directory: %v", err)
	}
	// Another account than the directory's: refused, the keys would be
	// out of its admin's reach.
	seedKeys(t, data, 1)
	code, _, stderr := runBench(t, nil, "seed", "--data", data, "--count", "1", "--account-id", "444455556666")
	if code != 1 || !strings.Contains(stderr, "account 444455556666 does not exist in "+data+" (its accounts: [111122223333])") {
		t.Errorf("seed into another account: exit %d:\n%s", code, stderr)
	}
	if code, _, stderr := runBench(t, nil, "seed", "-h"); code != 0 || !strings.Contains(stderr, "stopped keyhold serve") {
		t.Errorf("seed -h: exit %d:\n%s", code, stderr)
	}
}
