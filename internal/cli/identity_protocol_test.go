package cli_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyhold/keyhold/internal/sigv4"
)

type xmlError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

// postForm sends a raw Query-protocol request, signed for service when
// creds is not nil.
func (ts *testServer) postForm(t *testing.T, service, contentType, body string, c *sigv4.Credentials) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+ts.API+"/", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c != nil {
		if err := sigv4.Sign(req, []byte(body), *c, "us-east-1", service, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// TestQueryProtocolErrors sends IAM and STS requests that real clients do
// not, and checks each gets IAM's XML error shape, code and status.
func TestQueryProtocolErrors(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	cr := &sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	const form = "application/x-www-form-urlencoded; charset=utf-8"
	cases := []struct {
		name, service, ct, body string
		creds                   *sigv4.Credentials
		status                  int
		code, msgRE             string
	}{
		{"unsigned IAM", "iam", form, "Action=ListUsers&Version=2010-05-08", nil, 403, "MissingAuthenticationToken", `^Missing Authentication Token$`},
		{"unsigned STS", "sts", form, "Action=GetCallerIdentity&Version=2011-06-15", nil, 403, "MissingAuthenticationToken", ``},
		{"unknown action", "iam", form, "Action=CreateGroup&Version=2010-05-08", cr, 400, "InvalidAction", `^Could not find operation CreateGroup for version 2010-05-08$`},
		{"STS action sent to IAM", "iam", form, "Action=AssumeRole&Version=2010-05-08", cr, 400, "InvalidAction", ``},
		{"missing action", "sts", form, "Version=2011-06-15", cr, 400, "MissingAction", ``},
		{"bad escape", "iam", form, "Action=ListUsers&Marker=%zz", cr, 404, "MalformedQueryString", ``},
		{"duplicate parameter", "iam", form, "Action=ListUsers&Action=ListRoles", cr, 404, "MalformedQueryString", `Action`},
		{"JSON body", "iam", "application/x-amz-json-1.1", `{"Action":"ListUsers"}`, cr, 404, "MalformedQueryString", `Content-Type`},
		{"validation", "iam", form, "Action=GetRole&RoleName=", cr, 400, "ValidationError", `^1 validation error detected: Value '' at 'roleName'`},
		{"unknown user key", "sts", form, "Action=GetCallerIdentity", &sigv4.Credentials{AccessKeyID: "AKIAAAAAAAAAAAAAAAAA", SecretAccessKey: "x"}, 403, "InvalidClientTokenId", `^The security token included in the request is invalid\.$`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := ts.postForm(t, tc.service, tc.ct, tc.body, tc.creds)
			var e xmlError
			if err := xml.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body is not XML: %v\n%s", err, body)
			}
			if status != tc.status || e.Error.Code != tc.code || !regexp.MustCompile(tc.msgRE).MatchString(e.Error.Message) {
				t.Fatalf("got %d %s %q, want %d %s /%s/", status, e.Error.Code, e.Error.Message, tc.status, tc.code, tc.msgRE)
			}
			ns := "https://iam.amazonaws.com/doc/2010-05-08/"
			if tc.service == "sts" {
				ns = "https://sts.amazonaws.com/doc/2011-06-15/"
			}
			if e.Xmlns != ns || e.Error.Type != "Sender" || !uuidRE.MatchString(e.RequestID) || e.RequestID != h.Get("x-amzn-RequestId") {
				t.Errorf("error envelope: %+v, header request id %q", e, h.Get("x-amzn-RequestId"))
			}
			if h.Get("Content-Type") != "text/xml" {
				t.Errorf("Content-Type %q", h.Get("Content-Type"))
			}
		})
	}
	// KMS keeps answering in JSON, whatever the IAM and STS APIs do.
	if r := ts.post(t, "TrentService.ListKeys", jsonType, []byte(`{}`), nil); r.Status != 403 || r.Type != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned KMS request: %d %s", r.Status, r.Type)
	}
	// A request signed for KMS but sent with a form goes to KMS.
	if status, _, body := ts.postForm(t, "kms", form, "Action=ListUsers", cr); status != 404 || !bytes.Contains(body, []byte("UnknownOperationException")) {
		t.Fatalf("form signed for kms: %d %s", status, body)
	}
	// A successful response, raw.
	status, h, body := ts.postForm(t, "sts", form, "Action=GetCallerIdentity&Version=2011-06-15", cr)
	var ok struct {
		XMLName xml.Name                              `xml:"GetCallerIdentityResponse"`
		Result  struct{ Arn, UserId, Account string } `xml:"GetCallerIdentityResult"`
		Meta    struct{ RequestId string }            `xml:"ResponseMetadata"`
	}
	if err := xml.Unmarshal(body, &ok); err != nil || status != 200 || ok.Result.Account != acct || ok.Meta.RequestId != h.Get("x-amzn-RequestId") {
		t.Fatalf("GetCallerIdentity: %d %v\n%s", status, err, body)
	}
}

// TestDevIdentity: in `keyhold dev` any credentials act as the root of the
// selected account, IAM and STS work there, and credentials minted there
// act as their own principals.
func TestDevIdentity(t *testing.T) {
	defer catch(t)
	ts := startServer(t, "dev", "")
	root := awsCreds{id: "444455556666", secret: "anything"}
	who := must(ts.sts(root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(who.Arn) != "arn:aws:iam::444455556666:root" || aws.ToString(who.UserId) != "444455556666" {
		t.Fatalf("dev GetCallerIdentity = %s %s", aws.ToString(who.Arn), aws.ToString(who.UserId))
	}
	if got := must(ts.iam(root).GetUser(ctx, &iam.GetUserInput{})); aws.ToString(got.User.Arn) != "arn:aws:iam::444455556666:root" {
		t.Fatalf("root GetUser = %+v", got.User)
	}
	c := ts.iam(root)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev-user")}))
	k := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev-user")}))
	user := awsCreds{id: aws.ToString(k.AccessKey.AccessKeyId), secret: aws.ToString(k.AccessKey.SecretAccessKey)}
	if who := must(ts.sts(user).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})); aws.ToString(who.Arn) != "arn:aws:iam::444455556666:user/dev-user" {
		t.Fatalf("dev user = %s", aws.ToString(who.Arn))
	}
	// Known credentials are verified in full, even in dev.
	_, err := ts.sts(awsCreds{id: user.id, secret: "wrong"}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", "")
	_, err = ts.iam(user).ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", "")

	// The root may assume roles in dev (AWS refuses; test suites want it).
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"),
		AssumeRolePolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`)}))
	ar := must(ts.sts(root).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::444455556666:role/r"), RoleSessionName: aws.String("dev")}))
	session := fromSTS(ar.Credentials)
	if who := must(ts.sts(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})); aws.ToString(who.Arn) != "arn:aws:sts::444455556666:assumed-role/r/dev" {
		t.Fatalf("dev session = %s", aws.ToString(who.Arn))
	}
	ck := must(ts.kms(session).CreateKey(ctx, &kms.CreateKeyInput{}))
	if aws.ToString(ck.KeyMetadata.AWSAccountId) != "444455556666" {
		t.Fatalf("session's key in account %s", aws.ToString(ck.KeyMetadata.AWSAccountId))
	}
	// Unknown ids still act as the root.
	must(ts.kms(awsCreds{id: "AKIAANYTHINGATALL123", secret: "x"}).ListKeys(ctx, &kms.ListKeysInput{}))
}

// TestAccountAPI: the management account's admin creates another account
// through keyhold's account API (what `keyhold account create` calls); the
// new account's admin works in its own account only.
func TestAccountAPI(t *testing.T) {
	defer catch(t)
	data := filepath.Join(t.TempDir(), "data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	cr := &sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	const form = "application/x-www-form-urlencoded"
	status, _, body := ts.postForm(t, "keyhold", form, "Action=CreateAccount&Version=2026-11-01&AccountId=444455556666&AccountName=team+b", cr)
	var created struct {
		Result struct {
			Account   struct{ AccountId, AccountName string }
			User      struct{ Arn string }
			AccessKey struct{ AccessKeyId, SecretAccessKey string }
		} `xml:"CreateAccountResult"`
	}
	if err := xml.Unmarshal(body, &created); err != nil || status != 200 {
		t.Fatalf("CreateAccount: %d %v\n%s", status, err, body)
	}
	r := created.Result
	if r.Account.AccountId != "444455556666" || r.Account.AccountName != "team b" || r.User.Arn != "arn:aws:iam::444455556666:user/keyhold-admin" {
		t.Fatalf("CreateAccount = %+v", r)
	}
	other := awsCreds{id: r.AccessKey.AccessKeyId, secret: r.AccessKey.SecretAccessKey}
	if who := must(ts.sts(other).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})); aws.ToString(who.Account) != "444455556666" {
		t.Fatalf("the new admin is in %s", aws.ToString(who.Account))
	}
	key := must(ts.kms(other).CreateKey(ctx, &kms.CreateKeyInput{}))
	if aws.ToString(key.KeyMetadata.AWSAccountId) != "444455556666" {
		t.Fatalf("key in %s", aws.ToString(key.KeyMetadata.AWSAccountId))
	}
	if out := must(ts.iam(other).ListUsers(ctx, &iam.ListUsersInput{})); len(out.Users) != 1 {
		t.Fatalf("the new account has %d users", len(out.Users))
	}
	// Only the management account manages accounts.
	status, _, body = ts.postForm(t, "keyhold", form, "Action=CreateAccount&AccountId=777777777777",
		&sigv4.Credentials{AccessKeyID: other.id, SecretAccessKey: other.secret})
	if status != 403 || !bytes.Contains(body, []byte("<Code>AccessDenied</Code>")) {
		t.Fatalf("CreateAccount by another account: %d %s", status, body)
	}
	status, _, body = ts.postForm(t, "keyhold", form, "Action=CreateAccount&AccountId=444455556666", cr)
	if status != 409 || !bytes.Contains(body, []byte("<Code>EntityAlreadyExists</Code>")) {
		t.Fatalf("CreateAccount again: %d %s", status, body)
	}
	status, _, body = ts.postForm(t, "keyhold", form, "Action=ListAccounts", cr)
	if status != 200 || !bytes.Contains(body, []byte("<AccountId>111122223333</AccountId>")) || !bytes.Contains(body, []byte("<AccountId>444455556666</AccountId>")) {
		t.Fatalf("ListAccounts: %d %s", status, body)
	}
}
