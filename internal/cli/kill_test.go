package cli_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/keyhold/keyhold/internal/audit"
)

// buildKeyhold builds the keyhold binary once per test run.
var buildOnce struct {
	sync.Once
	path string
	err  error
}

func keyholdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "keyhold-bin-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "keyhold")
		out, err := exec.Command("go", "build", "-o", buildOnce.path, "../../cmd/keyhold").CombinedOutput()
		if err != nil {
			buildOnce.err = err
			t.Logf("%s", out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.path
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProcess runs `keyhold serve` as a separate process and waits until
// its API answers.
func startProcess(t *testing.T, data string) (*exec.Cmd, *testServer, *bytes.Buffer) {
	t.Helper()
	api, admin := freeAddr(t), freeAddr(t)
	var log bytes.Buffer
	cmd := exec.Command(keyholdBinary(t), "serve", "--data", data, "--listen", api, "--admin-listen", admin)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.Dial("tcp", api); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("keyhold did not start:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cmd, &testServer{API: api, Admin: admin, Data: data}, &log
}

// TestKill9KeepsEveryAcknowledgedEvent kills the server with SIGKILL while
// it serves a steady load; after a restart every request that was answered
// has its audit event, and the trail verifies.
func TestKill9KeepsEveryAcknowledgedEvent(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	cmd, ts, log := startProcess(t, data)
	id, secret := creds(t, data)
	c := ts.client(region, id, secret)
	keyID := *must2(t)(c.CreateKey(ctx, &kms.CreateKeyInput{})).(*kms.CreateKeyOutput).KeyMetadata.KeyId

	var (
		mu    sync.Mutex
		acked []string
	)
	lctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lctx.Err() == nil {
				out, err := c.Encrypt(lctx, &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: []byte("steady load")})
				if err != nil {
					continue // the kill: unanswered requests need no event
				}
				mu.Lock()
				acked = append(acked, requestID(out.ResultMetadata, nil))
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	stop()
	wg.Wait()
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	if n < 50 {
		t.Fatalf("only %d requests answered before the kill; log:\n%s", n, log.String())
	}

	// Restart, then stop cleanly.
	cmd2, _, log2 := startProcess(t, data)
	cmd2.Process.Signal(syscall.SIGTERM)
	if err := cmd2.Wait(); err != nil {
		t.Fatalf("second run: %v\n%s", err, log2.String())
	}

	evs, err := audit.Lookup(filepath.Join(data, "audit"), audit.Filter{EventName: "Encrypt"})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, ev := range evs {
		have[ev.RequestID] = true
	}
	missing := 0
	for _, rid := range acked {
		if !have[rid] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged requests have no audit event", missing, n)
	}
	pem, _ := os.ReadFile(filepath.Join(data, "audit", audit.PublicKeyFile))
	r, err := audit.Verify(filepath.Join(data, "audit"), pem)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("verify after kill -9: %s", strings.Join(r.Problems, "\n"))
	}
	t.Logf("%d acknowledged requests before SIGKILL, all audited; %d records, %d not yet under a digest", n, r.Records, r.Uncovered)
}
