package iam

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm/soft"
	"github.com/keyhold/keyhold/internal/iamapi"
	"github.com/keyhold/keyhold/internal/policy"
	"github.com/keyhold/keyhold/internal/store/sqlite"
)

const account = "111122223333"

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

type env struct {
	s     *Service
	store keyhold.Store
	clock *clock
	admin *Caller
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	b, err := soft.New(ctx, soft.Options{RootKeyPath: filepath.Join(dir, "root.key")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "keyhold.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); b.Close() })
	c := &clock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := New(Config{Store: st, Sealer: b, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: c.Now, ManagementAccount: account})
	if err := s.Init(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := s.Bootstrap(ctx, account)
	if err != nil || a == nil {
		t.Fatalf("Bootstrap = %+v, %v", a, err)
	}
	cred, err := s.LookupCredentials(ctx, a.AccessKeyID, "")
	if err != nil {
		t.Fatal(err)
	}
	return &env{s: s, store: st, clock: c, admin: &Caller{Principal: cred.Principal, Region: "us-east-1"}}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	e, ok := keyhold.AsError(err)
	if !ok || e.Code != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

// user creates a user with an access key and returns its caller.
func (e *env) user(t *testing.T, name string, policies ...string) *Caller {
	t.Helper()
	ctx := context.Background()
	if _, err := e.s.CreateUser(ctx, e.admin, &iamapi.CreateUserInput{UserName: name}); err != nil {
		t.Fatal(err)
	}
	for i, p := range policies {
		in := &iamapi.PutEntityPolicyInput{Entity: iamapi.EntityUser, EntityName: name, PolicyName: "p" + string(rune('0'+i)), PolicyDocument: p}
		if err := e.s.PutEntityPolicy(ctx, e.admin, in); err != nil {
			t.Fatal(err)
		}
	}
	k, err := e.s.CreateAccessKey(ctx, e.admin, &iamapi.CreateAccessKeyInput{UserName: &name})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := e.s.LookupCredentials(ctx, k.AccessKey.AccessKeyID, "")
	if err != nil {
		t.Fatal(err)
	}
	return &Caller{Principal: cred.Principal, Region: "eu-west-1"}
}

func TestEvaluateIdentity(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.user(t, "alice",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}},
		 {"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}`)
	key := "arn:aws:kms:eu-west-1:" + account + ":key/k"
	tests := []struct {
		action string
		region string
		want   policy.Decision
		reason string
	}{
		{"kms:Encrypt", "eu-west-1", policy.Allowed, ""},
		{"kms:Encrypt", "us-east-1", policy.NotApplicable, "because no identity-based policy allows the kms:Encrypt action"},
		{"kms:ScheduleKeyDeletion", "eu-west-1", policy.Denied, "with an explicit deny in an identity-based policy"},
		{"iam:GetUser", "eu-west-1", policy.NotApplicable, "because no identity-based policy allows the iam:GetUser action"},
	}
	for _, tt := range tests {
		c := *alice
		c.Region = tt.region
		d, err := e.s.EvaluateIdentity(ctx, c.Principal, &policy.Request{Action: tt.action, Resource: key, Context: RequestContext(&c, e.clock.Now())})
		if err != nil {
			t.Fatal(err)
		}
		if d.Decision != tt.want || d.Reason != tt.reason {
			t.Errorf("%s in %s = %v %q, want %v %q", tt.action, tt.region, d.Decision, d.Reason, tt.want, tt.reason)
		}
	}
	// The root may do anything in its own account, nothing elsewhere.
	root := RootPrincipal(account)
	for res, want := range map[string]policy.Decision{key: policy.Allowed, "*": policy.Allowed, "arn:aws:kms:eu-west-1:444455556666:key/k": policy.NotApplicable} {
		if d, _ := e.s.EvaluateIdentity(ctx, root, &policy.Request{Action: "kms:Decrypt", Resource: res}); d.Decision != want {
			t.Errorf("root on %s: %v", res, d.Decision)
		}
	}
	// A policy change takes effect at once.
	if err := e.s.DeleteEntityPolicy(ctx, e.admin, &iamapi.DeleteEntityPolicyInput{Entity: iamapi.EntityUser, EntityName: "alice", PolicyName: "p0"}); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.s.EvaluateIdentity(ctx, alice.Principal, &policy.Request{Action: "kms:Encrypt", Resource: key, Context: RequestContext(alice, e.clock.Now())}); d.Decision != policy.NotApplicable {
		t.Errorf("after deleting the policy: %v", d.Decision)
	}
}

func TestCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.user(t, "alice")
	id := alice.Principal.AccessKeyID
	if alice.Principal.Type != keyhold.PrincipalUser || alice.Principal.ARN != "arn:aws:iam::"+account+":user/alice" || alice.Principal.Name != "alice" {
		t.Fatalf("principal %+v", alice.Principal)
	}
	for name, err := range map[string]error{
		"unknown":       func() error { _, err := e.s.LookupCredentials(ctx, "AKIANOTAKEY", ""); return err }(),
		"token on AKIA": func() error { _, err := e.s.LookupCredentials(ctx, id, "token"); return err }(),
		"unknown ASIA":  func() error { _, err := e.s.LookupCredentials(ctx, "ASIANOTAKEY", "t"); return err }(),
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, err, keyhold.ErrCodeUnrecognizedClient) })
	}
	// Deactivation is seen at once, despite the cache.
	if err := e.s.UpdateAccessKey(ctx, e.admin, &iamapi.UpdateAccessKeyInput{UserName: ptr("alice"), AccessKeyID: id, Status: "Inactive"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.LookupCredentials(ctx, id, "")
	wantCode(t, err, keyhold.ErrCodeUnrecognizedClient)
	wantCode(t, e.s.UpdateAccessKey(ctx, e.admin, &iamapi.UpdateAccessKeyInput{UserName: ptr("alice"), AccessKeyID: id, Status: "Expired"}), iamapi.ErrCodeInvalidInput)

	// Sessions expire by the service's clock.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:user/bob"},"Action":"sts:AssumeRole"}]}`
	bob := e.user(t, "bob")
	if _, err := e.s.CreateRole(ctx, e.admin, &iamapi.CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: trust}); err != nil {
		t.Fatal(err)
	}
	out, err := e.s.AssumeRole(ctx, bob, &iamapi.AssumeRoleInput{RoleArn: "arn:aws:iam::" + account + ":role/r", RoleSessionName: "s1", DurationSeconds: ptr(900)})
	if err != nil {
		t.Fatal(err)
	}
	cr := out.Credentials
	cred, err := e.s.LookupCredentials(ctx, cr.AccessKeyID, cr.SessionToken)
	if err != nil || string(cred.Secret) != cr.SecretAccessKey || cred.Principal.Type != keyhold.PrincipalAssumedRole ||
		cred.Principal.ARN != "arn:aws:sts::"+account+":assumed-role/r/s1" || cred.Principal.EntityARN != "arn:aws:iam::"+account+":role/r" {
		t.Fatalf("session credential %+v, %v", cred, err)
	}
	_, err = e.s.LookupCredentials(ctx, cr.AccessKeyID, cr.SessionToken+"x")
	wantCode(t, err, keyhold.ErrCodeUnrecognizedClient)
	e.clock.advance(899 * time.Second)
	if _, err := e.s.LookupCredentials(ctx, cr.AccessKeyID, cr.SessionToken); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	e.clock.advance(time.Second)
	_, err = e.s.LookupCredentials(ctx, cr.AccessKeyID, cr.SessionToken)
	wantCode(t, err, keyhold.ErrCodeExpiredToken)

	// The secret is stored sealed, never in plaintext.
	ss, err := e.store.GetSession(ctx, cr.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if string(ss.SealedSecret) == cr.SecretAccessKey || len(ss.TokenHash) != 32 {
		t.Fatalf("stored session: sealed %d bytes, token hash %d bytes", len(ss.SealedSecret), len(ss.TokenHash))
	}
}

func TestRecordUse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.user(t, "alice")
	id := alice.Principal.AccessKeyID
	e.s.RecordUse(ctx, id, "kms", "eu-west-1")
	e.clock.advance(30 * time.Second)
	e.s.RecordUse(ctx, id, "iam", "us-east-1") // within the minute: not written
	ak, _ := e.store.GetAccessKey(ctx, id)
	if ak.LastUsedService != "kms" || ak.LastUsedRegion != "eu-west-1" {
		t.Fatalf("last use %+v", ak)
	}
	e.clock.advance(31 * time.Second)
	e.s.RecordUse(ctx, id, "iam", "us-east-1")
	ak, _ = e.store.GetAccessKey(ctx, id)
	if ak.LastUsedService != "iam" || !ak.LastUsedDate.Equal(e.clock.Now()) {
		t.Fatalf("last use %+v", ak)
	}
}

func TestAccounts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if a, err := e.s.Bootstrap(ctx, account); a != nil || err != nil {
		t.Fatalf("second Bootstrap = %+v, %v", a, err)
	}
	na, err := e.s.CreateAccount(ctx, e.admin, "444455556666", "team b")
	if err != nil {
		t.Fatal(err)
	}
	if na.Account.ID != "444455556666" || na.Account.Name != "team b" || na.User.ARN != "arn:aws:iam::444455556666:user/keyhold-admin" || len(na.SecretAccessKey) != 40 {
		t.Fatalf("CreateAccount = %+v", na)
	}
	_, err = e.s.CreateAccount(ctx, e.admin, "444455556666", "")
	wantCode(t, err, iamapi.ErrCodeEntityAlreadyExists)
	// The new account's admin may not manage accounts; neither may a user
	// of the management account without a policy.
	cred, err := e.s.LookupCredentials(ctx, na.AccessKeyID, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.CreateAccount(ctx, &Caller{Principal: cred.Principal}, "777777777777", "")
	wantCode(t, err, iamapi.ErrCodeAccessDenied)
	_, err = e.s.ListAccounts(ctx, e.user(t, "nobody"))
	wantCode(t, err, iamapi.ErrCodeAccessDenied)
	as, err := e.s.ListAccounts(ctx, e.admin)
	if err != nil || len(as) != 2 {
		t.Fatalf("ListAccounts = %v, %v", as, err)
	}

	// A data directory from before users existed: an access key of the
	// admin, no user record. Bootstrap creates the record.
	const legacy = "999988887777"
	if _, err := e.s.EnsureAccount(ctx, legacy, ""); err != nil {
		t.Fatal(err)
	}
	sealed, _ := e.s.sealer.SealSecret(ctx, secretLabel("AKIALEGACYLEGACY0001"), []byte("secret"))
	if err := e.store.CreateAccessKey(ctx, &keyhold.AccessKey{ID: "AKIALEGACYLEGACY0001", Account: legacy, UserName: AdminUserName,
		PrincipalARN: keyhold.UserARN(legacy, "/", AdminUserName), SealedSecret: sealed, Status: keyhold.AccessKeyActive}); !errors.Is(err, keyhold.ErrNotFound) {
		t.Fatalf("the store let a key name a missing user: %v", err)
	}
	if err := e.store.CreateAccessKey(ctx, &keyhold.AccessKey{ID: "AKIALEGACYLEGACY0001", Account: legacy,
		PrincipalARN: keyhold.UserARN(legacy, "/", AdminUserName), SealedSecret: sealed, Status: keyhold.AccessKeyActive}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.LookupCredentials(ctx, "AKIALEGACYLEGACY0001", ""); err == nil {
		t.Fatal("a key without a user authenticated")
	}
}

func TestTrustDecisions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.user(t, "alice")
	roleARN := "arn:aws:iam::" + account + ":role/"
	mk := func(name, trust string) {
		t.Helper()
		if _, err := e.s.CreateRole(ctx, e.admin, &iamapi.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: trust}); err != nil {
			t.Fatal(err)
		}
	}
	stmt := func(principal, extra string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]` + extra + `}]}`
	}
	mk("named", stmt(`{"AWS":"arn:aws:iam::`+account+`:user/alice"}`, ""))
	mk("everyone", stmt(`"*"`, ""))
	mk("account", stmt(`{"AWS":"`+account+`"}`, ""))
	mk("other-account", stmt(`{"AWS":"444455556666"}`, ""))
	mk("no-tags", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+account+`:user/alice"},"Action":"sts:AssumeRole"}]}`)
	tests := []struct {
		role string
		in   iamapi.AssumeRoleInput
		code string // "" for success
	}{
		{"named", iamapi.AssumeRoleInput{}, ""},
		{"everyone", iamapi.AssumeRoleInput{}, ""},
		{"account", iamapi.AssumeRoleInput{}, iamapi.ErrCodeAccessDenied},
		{"other-account", iamapi.AssumeRoleInput{}, iamapi.ErrCodeAccessDenied},
		{"named", iamapi.AssumeRoleInput{Tags: []iamapi.Tag{{Key: "k", Value: "v"}}, TransitiveTagKeys: []string{"k"}}, ""},
		{"no-tags", iamapi.AssumeRoleInput{Tags: []iamapi.Tag{{Key: "k", Value: "v"}}}, iamapi.ErrCodeAccessDenied},
		{"no-tags", iamapi.AssumeRoleInput{SourceIdentity: ptr("alice")}, iamapi.ErrCodeAccessDenied},
		{"named", iamapi.AssumeRoleInput{SourceIdentity: ptr("alice")}, ""},
		{"named", iamapi.AssumeRoleInput{TransitiveTagKeys: []string{"k"}}, iamapi.ErrCodeInvalidParameterValue},
		{"named", iamapi.AssumeRoleInput{Tags: []iamapi.Tag{{Key: "aws:k", Value: "v"}}}, iamapi.ErrCodeInvalidParameterValue},
		{"named", iamapi.AssumeRoleInput{SerialNumber: ptr("arn:aws:iam::1:mfa/x"), TokenCode: ptr("123456")}, iamapi.ErrCodeInvalidParameterValue},
		{"named", iamapi.AssumeRoleInput{ProvidedContexts: 1}, iamapi.ErrCodeInvalidParameterValue},
		{"named", iamapi.AssumeRoleInput{Policy: ptr(`{"Statement":[{"Effect":"Allow","Action":"*"}]}`)}, iamapi.ErrCodeMalformedPolicyDocument},
		{"named", iamapi.AssumeRoleInput{PolicyArns: []string{"arn:aws:iam::aws:policy/Nope"}}, iamapi.ErrCodeMalformedPolicyDocument},
		{"named", iamapi.AssumeRoleInput{Policy: ptr(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::` + longName(2100) + `"}]}`)}, iamapi.ErrCodePackedPolicyTooLarge},
	}
	for i, tt := range tests {
		in := tt.in
		in.RoleArn, in.RoleSessionName = roleARN+tt.role, "s"+string(rune('a'+i))
		out, err := e.s.AssumeRole(ctx, alice, &in)
		if tt.code == "" {
			if err != nil {
				t.Errorf("%d %s: %v", i, tt.role, err)
			} else if in.SourceIdentity != nil && out.SourceIdentity != *in.SourceIdentity {
				t.Errorf("%d: SourceIdentity %q", i, out.SourceIdentity)
			}
			continue
		}
		e, ok := keyhold.AsError(err)
		if !ok || e.Code != tt.code {
			t.Errorf("%d %s: %v, want %s", i, tt.role, err, tt.code)
		}
	}
	// Root credentials may not assume roles outside dev.
	_, err := e.s.AssumeRole(ctx, &Caller{Principal: RootPrincipal(account)}, &iamapi.AssumeRoleInput{RoleArn: roleARN + "everyone", RoleSessionName: "root"})
	wantCode(t, err, iamapi.ErrCodeAccessDenied)
}

func longName(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }
