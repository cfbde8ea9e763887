package awsapi_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/awsapi"
	"github.com/keyhold/keyhold/internal/iam"
	"github.com/keyhold/keyhold/internal/kms"
	"github.com/keyhold/keyhold/internal/sigv4"
)

// newIdentityHandler wires the whole listener with IAM and STS: SQLite,
// the software boundary, dev authentication that knows minted credentials.
func newIdentityHandler(tb testing.TB) http.Handler {
	tb.Helper()
	ctx := context.Background()
	b, st := openParts(tb)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := kms.New(kms.Config{Store: st, Boundary: b, Logger: log})
	ids := iam.New(iam.Config{Store: st, Sealer: b, Logger: log, ManagementAccount: "111122223333", Dev: true})
	if err := ids.Init(ctx); err != nil {
		tb.Fatal(err)
	}
	auth := awsapi.NewDevAuthenticator("111122223333", awsapi.DevKnownCredentials(ids))
	return awsapi.NewHandler(svc, auth, log, awsapi.WithIdentity(ids))
}

func postQuery(tb testing.TB, h http.Handler, service string, body []byte, sign bool) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4599/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if sign {
		if err := sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: "111122223333", SecretAccessKey: "x"}, "us-east-1", service, time.Now()); err != nil {
			tb.Fatal(err)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// FuzzQueryHandler sends arbitrary form bodies to the IAM and STS APIs
// through the whole stack. Nothing may cause a panic or a 5xx, and every
// error is an IAM-shaped XML error.
func FuzzQueryHandler(f *testing.F) {
	h := newIdentityHandler(f)
	seeds := []string{
		"Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fa%2F&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Action=CreateAccessKey&UserName=alice",
		"Action=PutUserPolicy&UserName=alice&PolicyName=p&PolicyDocument=%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D",
		"Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%22*%22%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=s1&Policy=%7B%7D",
		"Action=ListPolicies&Scope=AWS&MaxItems=1",
		"Action=ListUsers&Marker=%2F%2F%2F",
		"Action=GetCallerIdentity",
		"Action=TagRole&RoleName=r&Tags.member.1.Key=aws%3Ax&Tags.member.1.Value=",
		"Action=AttachUserPolicy&UserName=alice&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAdministratorAccess",
		"Action=DeleteUser&UserName=alice",
		"Action=%zz",
		"",
	}
	for _, s := range seeds {
		for i := range 2 {
			f.Add(uint8(i), []byte(s))
		}
		// The seeds also set up state for the fuzzer to work against.
		postQuery(f, h, "iam", []byte(s), true)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		service := "iam"
		if which%2 == 1 {
			service = "sts"
		}
		w := postQuery(t, h, service, body, which%4 < 2)
		if w.Code >= 500 {
			t.Fatalf("%s %q: status %d %s", service, body, w.Code, w.Body.Bytes())
		}
		if w.Code != 200 {
			var e struct {
				XMLName xml.Name `xml:"ErrorResponse"`
				Error   struct{ Type, Code, Message string }
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/xml" {
				// Unsigned bodies that are no IAM or STS action go to KMS,
				// which answers in JSON; that is covered by FuzzHandler.
				if which%4 >= 2 {
					return
				}
				t.Fatalf("%s: Content-Type %q: %s", service, ct, w.Body.Bytes())
			}
			if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Type != "Sender" {
				t.Fatalf("%s: error body not IAM-shaped (%v): %s", service, err, w.Body.Bytes())
			}
		}
	})
}
