package awsapi_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/keyhold/keyhold/internal/audit"
	"github.com/keyhold/keyhold/internal/awsapi"
)

// fakeAuditor records events in memory and can be made to fail.
type fakeAuditor struct {
	mu     sync.Mutex
	events []*audit.Event
	broken atomic.Bool
}

func (f *fakeAuditor) Record(_ context.Context, ev *audit.Event) error {
	if f.broken.Load() {
		return audit.ErrUnavailable
	}
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.mu.Unlock()
	return nil
}

func (f *fakeAuditor) Healthy() bool { return !f.broken.Load() }

func (f *fakeAuditor) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

// TestAuditFailsClosed: while the audit log cannot be written every call
// is refused with a clear error; with fail-open reads, read-only calls are
// still served; once the log works again, everything is served.
func TestAuditFailsClosed(t *testing.T) {
	for _, failOpenReads := range []bool{false, true} {
		name := "fail closed"
		if failOpenReads {
			name = "fail open for reads"
		}
		t.Run(name, func(t *testing.T) {
			a := &fakeAuditor{}
			e := newEnvWith(t, awsapi.WithAudit(a, failOpenReads))
			c := e.client(acct, "us-east-1")
			id := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
			if a.count() != 1 {
				t.Fatalf("%d events after one call", a.count())
			}
			// A call naming the key by id lists its ARN as the resource.
			must(c.GetKeyPolicy(bg, &kms.GetKeyPolicyInput{KeyId: &id}))
			a.mu.Lock()
			ev := a.events[len(a.events)-1]
			a.mu.Unlock()
			if len(ev.Resources) != 1 || ev.Resources[0].ARN != arnOf(id) || ev.EventName != "GetKeyPolicy" {
				t.Fatalf("GetKeyPolicy event resources %+v", ev.Resources)
			}
			a.broken.Store(true)
			_, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("x")})
			wantErr(t, err, "KMSInternalException", "")
			if !strings.Contains(err.Error(), "audit log cannot be written") {
				t.Fatalf("the error does not say why: %v", err)
			}
			_, err = c.CreateKey(bg, &kms.CreateKeyInput{})
			wantErr(t, err, "KMSInternalException", "")
			_, err = c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String(id)})
			if failOpenReads {
				if err != nil {
					t.Fatalf("read-only call refused with fail-open reads: %v", err)
				}
			} else {
				wantErr(t, err, "KMSInternalException", "")
			}
			a.broken.Store(false)
			must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("x")}))
		})
	}
}
