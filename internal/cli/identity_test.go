package cli_test

import (
	"bytes"
	"errors"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

const acct = "111122223333"

// wantStatus checks the HTTP status of an SDK error.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want an HTTP response error, got %v", err)
	}
	if re.HTTPStatusCode() != status {
		t.Fatalf("status %d, want %d (%v)", re.HTTPStatusCode(), status, err)
	}
}

// TestIdentityEndToEnd drives IAM, STS and KMS with aws-sdk-go-v2 against
// `keyhold serve`: the first-start admin creates a user and an access key;
// the user's credentials authenticate KMS and STS calls; a user without a
// policy may not mint principals; deactivating a key stops it at once;
// deleting a user ends its keys.
func TestIdentityEndToEnd(t *testing.T) {
	defer catch(t)
	data := filepath.Join(t.TempDir(), "keyhold-data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	admin := awsCreds{id: id, secret: secret}
	adminIAM, adminSTS := ts.iam(admin), ts.sts(admin)

	who := must(adminSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(who.Arn) != "arn:aws:iam::"+acct+":user/keyhold-admin" || aws.ToString(who.Account) != acct ||
		!regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`).MatchString(aws.ToString(who.UserId)) {
		t.Fatalf("admin GetCallerIdentity = %s %s %s", aws.ToString(who.Arn), aws.ToString(who.Account), aws.ToString(who.UserId))
	}
	attached := must(adminIAM.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("keyhold-admin")}))
	if len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyArn) != "arn:aws:iam::aws:policy/AdministratorAccess" {
		t.Fatalf("the admin's policies: %+v", attached.AttachedPolicies)
	}

	// A user with tags and a path.
	before := time.Now().Add(-time.Second)
	cu := must(adminIAM.CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String("alice"), Path: aws.String("/engineering/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}},
	}))
	u := cu.User
	if aws.ToString(u.Arn) != "arn:aws:iam::"+acct+":user/engineering/alice" || aws.ToString(u.Path) != "/engineering/" ||
		!regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`).MatchString(aws.ToString(u.UserId)) ||
		u.CreateDate.Before(before) || len(u.Tags) != 1 {
		t.Fatalf("CreateUser = %+v", u)
	}
	_, err := adminIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	wantAPIError(t, err, "EntityAlreadyExists", "User with name ALICE already exists.")
	wantStatus(t, err, http.StatusConflict)
	if got := must(adminIAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("Alice")})); aws.ToString(got.User.UserId) != aws.ToString(u.UserId) {
		t.Fatalf("GetUser is not case-insensitive: %+v", got.User)
	}
	_, err = adminIAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantAPIError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
	wantStatus(t, err, http.StatusNotFound)

	// Alice's access key: shown once, 40 characters.
	ck := must(adminIAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	ak := ck.AccessKey
	if !regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`).MatchString(aws.ToString(ak.AccessKeyId)) || len(aws.ToString(ak.SecretAccessKey)) != 40 ||
		ak.Status != iamtypes.StatusTypeActive || aws.ToString(ak.UserName) != "alice" {
		t.Fatalf("CreateAccessKey = %+v", ak)
	}
	if bytes.Contains(ts.Log.Bytes(), []byte(aws.ToString(ak.SecretAccessKey))) {
		t.Fatal("the server log contains a secret access key")
	}
	alice := awsCreds{id: aws.ToString(ak.AccessKeyId), secret: aws.ToString(ak.SecretAccessKey)}
	aliceIAM, aliceSTS, aliceKMS := ts.iam(alice), ts.sts(alice), ts.kms(alice)

	// Alice's credentials authenticate STS and KMS.
	if who := must(aliceSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})); aws.ToString(who.Arn) != aws.ToString(u.Arn) ||
		aws.ToString(who.UserId) != aws.ToString(u.UserId) {
		t.Fatalf("alice's GetCallerIdentity = %s %s", aws.ToString(who.Arn), aws.ToString(who.UserId))
	}
	// KMS calls need permission too (docs/authorization.md).
	_, err = aliceKMS.CreateKey(ctx, &kms.CreateKeyInput{})
	wantAPIError(t, err, "AccessDeniedException", "User: arn:aws:iam::"+acct+":user/engineering/alice is not authorized to perform: kms:CreateKey on resource: * because no identity-based policy allows the kms:CreateKey action")
	must(adminIAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("kms"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)}))
	key := must(aliceKMS.CreateKey(ctx, &kms.CreateKeyInput{}))
	enc := must(aliceKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("alice's secret")}))

	// Without a policy, alice may not create users.
	_, err = aliceIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::"+acct+":user/engineering/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::"+acct+":user/bob because no identity-based policy allows the iam:CreateUser action")
	wantStatus(t, err, http.StatusForbidden)
	_, err = aliceIAM.ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", "")

	// With one, she may; an explicit deny still wins.
	must(adminIAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{
		UserName: aws.String("alice"), PolicyName: aws.String("create-users"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["iam:CreateUser","iam:GetUser","iam:CreateAccessKey"],"Resource":"arn:aws:iam::*:user/*"},
			{"Effect":"Deny","Action":"iam:CreateUser","Resource":"arn:aws:iam::*:user/mallory"},
			{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::*:user/*/${aws:username}"}]}`),
	}))
	must(aliceIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	_, err = aliceIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::"+acct+":user/engineering/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::"+acct+":user/mallory with an explicit deny in an identity-based policy")
	// A policy variable: alice lists her own keys, not the admin's.
	if got := must(aliceIAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})); len(got.AccessKeyMetadata) != 1 ||
		aws.ToString(got.AccessKeyMetadata[0].AccessKeyId) != alice.id {
		t.Fatalf("alice's ListAccessKeys = %+v", got.AccessKeyMetadata)
	}
	_, err = aliceIAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("keyhold-admin")})
	wantAPIError(t, err, "AccessDenied", "")
	doc := must(adminIAM.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("create-users")}))
	if !strings.Contains(decodeDocument(t, doc.PolicyDocument), `"Resource":"arn:aws:iam::*:user/mallory"`) {
		t.Fatalf("GetUserPolicy document %q", decodeDocument(t, doc.PolicyDocument))
	}

	// Deactivating alice's key stops it at once, for every API.
	must(adminIAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(alice.id), Status: iamtypes.StatusTypeInactive}))
	_, err = aliceKMS.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantAPIError(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
	_, err = aliceSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	wantStatus(t, err, http.StatusForbidden)
	must(adminIAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(alice.id), Status: iamtypes.StatusTypeActive}))
	if dec := must(aliceKMS.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})); string(dec.Plaintext) != "alice's secret" {
		t.Fatalf("Decrypt after reactivation: %q", dec.Plaintext)
	}
	lu := must(adminIAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(alice.id)}))
	if aws.ToString(lu.UserName) != "alice" || lu.AccessKeyLastUsed.LastUsedDate == nil ||
		aws.ToString(lu.AccessKeyLastUsed.Region) != region || aws.ToString(lu.AccessKeyLastUsed.ServiceName) == "N/A" {
		t.Fatalf("GetAccessKeyLastUsed = %+v", lu.AccessKeyLastUsed)
	}

	// A wrong secret is a signature mismatch, in each API's words.
	bad := awsCreds{id: alice.id, secret: "x" + alice.secret[1:]}
	_, err = ts.sts(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", "")
	_, err = ts.kms(bad).ListKeys(ctx, &kms.ListKeysInput{})
	wantAPIError(t, err, "InvalidSignatureException", "")

	// Deleting alice: keys and policies go first; then her credentials
	// stop.
	_, err = adminIAM.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must delete access keys first.")
	wantStatus(t, err, http.StatusConflict)
	keys := must(adminIAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")}))
	for _, k := range keys.AccessKeyMetadata {
		must(adminIAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k.AccessKeyId}))
	}
	_, err = aliceSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "")
	_, err = adminIAM.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	must(adminIAM.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("create-users")}))
	must(adminIAM.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("kms")}))
	must(adminIAM.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}))
	_, err = adminIAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "NoSuchEntity", "")
}

// TestAssumeRoleEndToEnd: trust policies decide who may assume a role; an
// assumed role's temporary credentials sign KMS requests and
// GetCallerIdentity names the session; they stop at expiry (moved clock),
// with a wrong session token, and when the role is deleted.
func TestAssumeRoleEndToEnd(t *testing.T) {
	defer catch(t)
	clock := useMovableClock(t)
	data := filepath.Join(t.TempDir(), "keyhold-data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	admin := awsCreds{id: id, secret: secret}
	adminIAM := ts.iam(admin)

	newUser := func(name string) awsCreds {
		t.Helper()
		must(adminIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
		k := must(adminIAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
		return awsCreds{id: aws.ToString(k.AccessKey.AccessKeyId), secret: aws.ToString(k.AccessKey.SecretAccessKey)}
	}
	alice, bob := newUser("alice"), newUser("bob")

	// A role that trusts alice by name, with an external id.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/alice"},
		"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"ext-42"}}}]}`
	cr := must(adminIAM.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("kms-app"), Path: aws.String("/apps/"), AssumeRolePolicyDocument: aws.String(trust),
		Description: aws.String("encrypts things"), MaxSessionDuration: aws.Int32(7200),
		Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("test")}},
	}))
	roleARN := aws.ToString(cr.Role.Arn)
	if roleARN != "arn:aws:iam::"+acct+":role/apps/kms-app" || !regexp.MustCompile(`^AROA[A-Z2-7]{17}$`).MatchString(aws.ToString(cr.Role.RoleId)) {
		t.Fatalf("CreateRole = %+v", cr.Role)
	}
	gr := must(adminIAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("kms-app")}))
	if decodeDocument(t, gr.Role.AssumeRolePolicyDocument) != trust || aws.ToInt32(gr.Role.MaxSessionDuration) != 7200 ||
		aws.ToString(gr.Role.Description) != "encrypts things" {
		t.Fatalf("GetRole = %+v", gr.Role)
	}

	aliceSTS := ts.sts(alice)
	assume := func(c *sts.Client, in *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
		if in.RoleArn == nil {
			in.RoleArn = aws.String(roleARN)
		}
		if in.RoleSessionName == nil {
			in.RoleSessionName = aws.String("s1")
		}
		return c.AssumeRole(ctx, in)
	}
	_, err := assume(aliceSTS, &sts.AssumeRoleInput{})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::"+acct+":user/alice is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	_, err = assume(aliceSTS, &sts.AssumeRoleInput{ExternalId: aws.String("wrong")})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = assume(ts.sts(bob), &sts.AssumeRoleInput{ExternalId: aws.String("ext-42")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::"+acct+":user/bob is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	_, err = assume(aliceSTS, &sts.AssumeRoleInput{ExternalId: aws.String("ext-42"), RoleArn: aws.String("arn:aws:iam::" + acct + ":role/nope")})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = assume(aliceSTS, &sts.AssumeRoleInput{ExternalId: aws.String("ext-42"), DurationSeconds: aws.Int32(7201)})
	wantAPIError(t, err, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	_, err = assume(aliceSTS, &sts.AssumeRoleInput{ExternalId: aws.String("ext-42"), DurationSeconds: aws.Int32(60)})
	wantAPIError(t, err, "ValidationError", "1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")

	start := time.Now()
	ar := must(assume(aliceSTS, &sts.AssumeRoleInput{
		ExternalId: aws.String("ext-42"), DurationSeconds: aws.Int32(900), RoleSessionName: aws.String("alice@batch"),
		Tags: []ststypes.Tag{{Key: aws.String("project"), Value: aws.String("x")}},
	}))
	cred := ar.Credentials
	if !regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`).MatchString(aws.ToString(cred.AccessKeyId)) || len(aws.ToString(cred.SecretAccessKey)) != 40 ||
		aws.ToString(cred.SessionToken) == "" || cred.Expiration.Sub(start) < 899*time.Second || cred.Expiration.Sub(start) > 901*time.Second {
		t.Fatalf("AssumeRole credentials = %+v", cred)
	}
	sessionARN := "arn:aws:sts::" + acct + ":assumed-role/kms-app/alice@batch"
	if aws.ToString(ar.AssumedRoleUser.Arn) != sessionARN || aws.ToString(ar.AssumedRoleUser.AssumedRoleId) != aws.ToString(cr.Role.RoleId)+":alice@batch" ||
		ar.PackedPolicySize == nil {
		t.Fatalf("AssumedRoleUser = %+v, packed %v", ar.AssumedRoleUser, ar.PackedPolicySize)
	}

	// The session's credentials: GetCallerIdentity names the session, and
	// they sign KMS requests.
	session := fromSTS(cred)
	who := must(ts.sts(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(who.Arn) != sessionARN || aws.ToString(who.UserId) != aws.ToString(cr.Role.RoleId)+":alice@batch" || aws.ToString(who.Account) != acct {
		t.Fatalf("session GetCallerIdentity = %s %s", aws.ToString(who.Arn), aws.ToString(who.UserId))
	}
	sessionKMS := ts.kms(session)
	// The role's KMS permissions; it has no IAM ones.
	must(adminIAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("kms-app"), PolicyName: aws.String("kms"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)}))
	key := must(sessionKMS.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("made by a role session")}))
	enc := must(sessionKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("hi")}))
	if dec := must(sessionKMS.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})); string(dec.Plaintext) != "hi" {
		t.Fatalf("Decrypt %q", dec.Plaintext)
	}
	// The session has no IAM permissions: the role's policy is KMS's only.
	_, err = ts.iam(session).ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", "User: "+sessionARN+" is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::"+acct+":user/ because no identity-based policy allows the iam:ListUsers action")

	// A wrong or missing session token is refused.
	for name, c := range map[string]awsCreds{
		"wrong token":   {session.id, session.secret, session.token[:len(session.token)-4] + "AAAA"},
		"no token":      {session.id, session.secret, ""},
		"token on AKIA": {alice.id, alice.secret, session.token},
	} {
		_, err := ts.kms(c).ListKeys(ctx, &kms.ListKeysInput{})
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		wantAPIError(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
	}

	// Role chaining: the session may assume a role that trusts the role;
	// the chained session lasts at most an hour.
	must(adminIAM.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("chained"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},"Action":"sts:AssumeRole"}]}`),
		MaxSessionDuration:       aws.Int32(43200),
	}))
	_, err = ts.sts(session).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/chained"), RoleSessionName: aws.String("cc"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, err, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	chained := must(ts.sts(session).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/chained"), RoleSessionName: aws.String("cc")}))
	if got := must(ts.sts(fromSTS(chained.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})); aws.ToString(got.Arn) != "arn:aws:sts::"+acct+":assumed-role/chained/cc" {
		t.Fatalf("chained session = %s", aws.ToString(got.Arn))
	}

	// A trust policy naming the account needs an identity policy too.
	must(adminIAM.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("account-trusted"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"sts:AssumeRole"}]}`),
	}))
	acctRole := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/account-trusted"), RoleSessionName: aws.String("bb")}
	_, err = ts.sts(bob).AssumeRole(ctx, acctRole)
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::"+acct+":user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::"+acct+":role/account-trusted because no identity-based policy allows the sts:AssumeRole action")
	must(adminIAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/account-trusted"}]}`)}))
	must(ts.sts(bob).AssumeRole(ctx, acctRole))

	// Session policies narrow what the session may do.
	must(adminIAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("account-trusted"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
	narrowIn := *acctRole
	narrowIn.Policy = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)
	narrow := fromSTS(must(ts.sts(bob).AssumeRole(ctx, &narrowIn)).Credentials)
	must(ts.iam(narrow).ListRoles(ctx, &iam.ListRolesInput{}))
	_, err = ts.iam(narrow).ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:sts::"+acct+":assumed-role/account-trusted/bb is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::"+acct+":user/ because no session policy allows the iam:ListUsers action")

	// Expiry: the session works until it expires, and not after.
	clock.advance(890 * time.Second)
	must(sessionKMS.ListKeys(ctx, &kms.ListKeysInput{}))
	clock.advance(11 * time.Second)
	_, err = sessionKMS.ListKeys(ctx, &kms.ListKeysInput{})
	wantAPIError(t, err, "ExpiredTokenException", "The security token included in the request is expired")
	_, err = ts.sts(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", "The security token included in the request is expired")
	wantStatus(t, err, http.StatusForbidden)
	// Long-term keys do not expire.
	must(ts.sts(alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))

	// Deleting a role ends its sessions.
	clock.advance(-901 * time.Second)
	must(sessionKMS.ListKeys(ctx, &kms.ListKeysInput{}))
	must(adminIAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("kms-app"), PolicyName: aws.String("kms")}))
	must(adminIAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("kms-app")}))
	_, err = sessionKMS.ListKeys(ctx, &kms.ListKeysInput{})
	wantAPIError(t, err, "UnrecognizedClientException", "")
}
