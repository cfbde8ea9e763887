package cli_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/keyhold/keyhold/internal/audit"
	"github.com/keyhold/keyhold/internal/cli"
	"github.com/keyhold/keyhold/internal/sigv4"
)

// requestID returns the x-amzn-RequestId of an SDK call's result or error.
func requestID(md middleware.Metadata, err error) string {
	if err != nil {
		var re interface{ ServiceRequestID() string }
		if errors.As(err, &re) {
			return re.ServiceRequestID()
		}
		return ""
	}
	id, _ := awsmw.GetRequestIDMetadata(md)
	return id
}

// TestAuditEveryCall sends concurrent calls of mixed operations (including
// denied and malformed ones) and checks that each produced exactly one
// audit event with the right fields, that no plaintext, data key or secret
// reached the audit files, and that `keyhold audit verify` passes.
func TestAuditEveryCall(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	c := ts.client(region, id, secret)
	keyID := *must2(t)(c.CreateKey(ctx, &kms.CreateKeyInput{})).(*kms.CreateKeyOutput).KeyMetadata.KeyId

	type sent struct {
		op, code, reqID string
	}
	var (
		mu      sync.Mutex
		calls   []sent
		secrets = [][]byte{[]byte(secret)}
	)
	note := func(op string, md middleware.Metadata, err error) {
		code := ""
		var ae smithy.APIError
		if errors.As(err, &ae) {
			code = ae.ErrorCode()
		} else if err != nil {
			t.Errorf("%s: %v", op, err)
		}
		mu.Lock()
		calls = append(calls, sent{op, code, requestID(md, err)})
		mu.Unlock()
	}
	bad := ts.client(region, id, "wrong-secret-wrong-secret-wrong-secret-00")
	var wg sync.WaitGroup
	for i := 0; i < 48; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pt := make([]byte, 48)
			rand.Read(pt)
			mu.Lock()
			secrets = append(secrets, pt)
			mu.Unlock()
			switch i % 6 {
			case 0:
				out, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: pt, EncryptionContext: map[string]string{"n": fmt.Sprint(i)}})
				var md middleware.Metadata
				if out != nil {
					md = out.ResultMetadata
				}
				note("Encrypt", md, err)
				if err == nil {
					d, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: map[string]string{"n": fmt.Sprint(i)}})
					var md middleware.Metadata
					if d != nil {
						md = d.ResultMetadata
					}
					note("Decrypt", md, err)
				}
			case 1:
				out, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyID, KeySpec: types.DataKeySpecAes256})
				var md middleware.Metadata
				if out != nil {
					md = out.ResultMetadata
					mu.Lock()
					secrets = append(secrets, out.Plaintext)
					mu.Unlock()
				}
				note("GenerateDataKey", md, err)
			case 2:
				_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("00000000-0000-4000-8000-000000000000")})
				note("DescribeKey", middleware.Metadata{}, err)
			case 3:
				_, err := bad.ListKeys(ctx, &kms.ListKeysInput{})
				note("ListKeys", middleware.Metadata{}, err)
			case 4:
				r := ts.post(t, "TrentService.Encrypt", jsonType, []byte(`{"KeyId":`), &sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret})
				mu.Lock()
				calls = append(calls, sent{"Encrypt", r.Type, r.Header.Get("x-amzn-RequestId")})
				mu.Unlock()
			case 5:
				out, err := c.TagResource(ctx, &kms.TagResourceInput{KeyId: &keyID, Tags: []types.Tag{{TagKey: aws.String(fmt.Sprint("t", i)), TagValue: aws.String("v")}}})
				var md middleware.Metadata
				if out != nil {
					md = out.ResultMetadata
				}
				note("TagResource", md, err)
			}
		}(i)
	}
	wg.Wait()
	ts.Stop(t) // final digest

	evs, err := audit.Lookup(filepath.Join(data, "audit"), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]*audit.Event{}
	for _, ev := range evs {
		byID[ev.RequestID] = append(byID[ev.RequestID], ev)
	}
	// One more call than in `calls`: the CreateKey above.
	if len(evs) != len(calls)+1 {
		t.Errorf("%d audit events for %d calls", len(evs), len(calls)+1)
	}
	keyARN := "arn:aws:kms:us-east-1:111122223333:key/" + keyID
	for _, cl := range calls {
		got := byID[cl.reqID]
		if cl.reqID == "" || len(got) != 1 {
			t.Errorf("%s (%s): %d events for request id %q", cl.op, cl.code, len(got), cl.reqID)
			continue
		}
		ev := got[0]
		if ev.EventName != cl.op || ev.ErrorCode != cl.code || ev.EventSource != "kms.amazonaws.com" ||
			ev.EventType != "AwsApiCall" || ev.AWSRegion != region || ev.EventID == "" {
			t.Errorf("%s event: name %q code %q (want %q) source %q type %q region %q", cl.op, ev.EventName, ev.ErrorCode, cl.code, ev.EventSource, ev.EventType, ev.AWSRegion)
		}
		switch {
		case cl.code == "InvalidSignatureException":
			if ev.UserIdentity == nil || ev.UserIdentity.AccessKeyID != id {
				t.Errorf("failed authentication does not name the access key: %+v", ev.UserIdentity)
			}
		case ev.UserIdentity == nil || ev.UserIdentity.Type != "IAMUser" || ev.UserIdentity.ARN != "arn:aws:iam::111122223333:user/keyhold-admin":
			t.Errorf("%s: userIdentity %+v", cl.op, ev.UserIdentity)
		}
		if cl.code == "" && (cl.op == "Encrypt" || cl.op == "Decrypt" || cl.op == "GenerateDataKey") {
			if len(ev.Resources) != 1 || ev.Resources[0].ARN != keyARN || ev.Resources[0].Type != "AWS::KMS::Key" || !ev.ReadOnly {
				t.Errorf("%s: resources %+v readOnly %v", cl.op, ev.Resources, ev.ReadOnly)
			}
			if string(ev.ResponseElements) != "null" {
				t.Errorf("%s: responseElements %s", cl.op, ev.ResponseElements)
			}
		}
		if cl.op == "Encrypt" && cl.code == "" && !bytes.Contains(ev.RequestParameters, []byte(`"encryptionContext":{"n":`)) {
			t.Errorf("Encrypt requestParameters lack the encryption context: %s", ev.RequestParameters)
		}
	}
	// Nothing secret in the audit files.
	err = filepath.WalkDir(filepath.Join(data, "audit"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, s := range secrets {
			if bytes.Contains(b, s) {
				t.Errorf("secret #%d found in %s", i, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// keyhold audit verify passes, and fails once a record is changed.
	var out bytes.Buffer
	env := &cli.Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	if code := cli.Main(ctx, []string{"audit", "verify", filepath.Join(data, "audit")}, env); code != 0 || !strings.Contains(out.String(), "OK:") {
		t.Fatalf("audit verify: exit %d\n%s", code, out.String())
	}
	files, _ := filepath.Glob(filepath.Join(data, "audit", "audit-*.jsonl"))
	b, _ := os.ReadFile(files[0])
	os.WriteFile(files[0], bytes.Replace(b, []byte(`"eventName":"Encrypt"`), []byte(`"eventName":"Decrypt"`), 1), 0o600)
	out.Reset()
	if code := cli.Main(ctx, []string{"audit", "verify", filepath.Join(data, "audit")}, env); code == 0 || !strings.Contains(out.String(), "PROBLEM:") {
		t.Fatalf("audit verify after tampering: exit %d\n%s", code, out.String())
	}
	// lookup by key and by error code.
	out.Reset()
	if code := cli.Main(ctx, []string{"audit", "lookup", "--dir", filepath.Join(data, "audit"), "--error-code", "InvalidSignatureException", "--output", "json"}, env); code != 0 ||
		strings.Count(out.String(), `"errorCode": "InvalidSignatureException"`) != 8 {
		t.Fatalf("audit lookup --error-code: exit %d\n%s", code, out.String())
	}
}

func must2(t *testing.T) func(any, error) any {
	return func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
