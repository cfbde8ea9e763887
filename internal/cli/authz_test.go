package cli_test

import (
	"encoding/xml"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyhold/keyhold/internal/sigv4"
)

// TestAuthorizationEndToEnd drives key policies, identity policies,
// grants and cross-account use with aws-sdk-go-v2 against `keyhold serve`,
// with users and roles in two accounts (docs/authorization.md).
func TestAuthorizationEndToEnd(t *testing.T) {
	defer catch(t)
	data := filepath.Join(t.TempDir(), "data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	admin := awsCreds{id: id, secret: secret}
	adminIAM, adminKMS := ts.iam(admin), ts.kms(admin)

	user := func(name, policy string) awsCreds {
		t.Helper()
		must(adminIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
		if policy != "" {
			must(adminIAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}))
		}
		ak := must(adminIAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})).AccessKey
		return awsCreds{id: aws.ToString(ak.AccessKeyId), secret: aws.ToString(ak.SecretAccessKey)}
	}
	alice := user("alice", "")
	bob := user("bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt","kms:RetireGrant"],"Resource":"*"}]}`)
	carol := user("carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},
		{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}]}`)
	aliceARN := "arn:aws:iam::" + acct + ":user/alice"
	bobARN := "arn:aws:iam::" + acct + ":user/bob"
	aliceKMS, bobKMS, carolKMS := ts.kms(alice), ts.kms(bob), ts.kms(carol)
	pt := []byte("secret")
	msg := func(who, action, keyARN, reason string) string {
		return "User: " + who + " is not authorized to perform: " + action + " on resource: " + keyARN + " " + reason
	}

	// The default key policy delegates to IAM: bob's identity policy
	// allows Encrypt, alice has none, carol's denies it.
	k1 := must(adminKMS.CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	k1ARN := aws.ToString(k1.Arn)
	must(bobKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k1.KeyId, Plaintext: pt}))
	_, err := aliceKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k1.KeyId, Plaintext: pt})
	wantAPIError(t, err, "AccessDeniedException", msg(aliceARN, "kms:Encrypt", k1ARN, "because no identity-based policy allows the kms:Encrypt action"))
	_, err = carolKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k1.KeyId, Plaintext: pt})
	wantAPIError(t, err, "AccessDeniedException", msg("arn:aws:iam::"+acct+":user/carol", "kms:Encrypt", k1ARN, "with an explicit deny in an identity-based policy"))
	_, err = aliceKMS.CreateKey(ctx, &kms.CreateKeyInput{})
	wantAPIError(t, err, "AccessDeniedException", msg(aliceARN, "kms:CreateKey", "*", "because no identity-based policy allows the kms:CreateKey action"))
	gp := must(adminKMS.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: k1.KeyId, PolicyName: aws.String("default")}))
	wantDefault := "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::111122223333:root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}"
	if aws.ToString(gp.Policy) != wantDefault {
		t.Fatalf("default policy:\n%s", aws.ToString(gp.Policy))
	}
	if lp := must(adminKMS.ListKeyPolicies(ctx, &kms.ListKeyPoliciesInput{KeyId: k1.KeyId})); len(lp.PolicyNames) != 1 || lp.PolicyNames[0] != "default" {
		t.Fatalf("ListKeyPolicies = %v", lp.PolicyNames)
	}

	// A key policy naming alice allows her without an identity policy;
	// an explicit deny in it wins over bob's identity policy.
	root := `{"Sid":"root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"kms:*","Resource":"*"}`
	p2 := `{"Version":"2012-10-17","Statement":[` + root + `,
		{"Sid":"alice","Effect":"Allow","Principal":{"AWS":"` + aliceARN + `"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*",
		 "Condition":{"StringEquals":{"kms:EncryptionContext:app":"x"}}},
		{"Sid":"nobob","Effect":"Deny","Principal":{"AWS":"` + bobARN + `"},"Action":"kms:Decrypt","Resource":"*"}]}`
	k2 := must(adminKMS.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(p2)})).KeyMetadata
	k2ARN := aws.ToString(k2.Arn)
	ec := map[string]string{"app": "x"}
	enc := must(aliceKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k2.KeyId, Plaintext: pt, EncryptionContext: ec}))
	must(aliceKMS.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}))
	_, err = aliceKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k2.KeyId, Plaintext: pt, EncryptionContext: map[string]string{"app": "y"}})
	wantAPIError(t, err, "AccessDeniedException", msg(aliceARN, "kms:Encrypt", k2ARN, "because no identity-based policy allows the kms:Encrypt action"))
	_, err = bobKMS.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	wantAPIError(t, err, "AccessDeniedException", msg(bobARN, "kms:Decrypt", k2ARN, "with an explicit deny in a resource-based policy"))
	if got := aws.ToString(must(adminKMS.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: k2.KeyId})).Policy); got != p2 {
		t.Fatalf("GetKeyPolicy = %s", got)
	}

	// Key policy validation and the lockout safety check.
	onlyAlice := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aliceARN + `"},"Action":"kms:*","Resource":"*"}]}`
	_, err = adminKMS.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(onlyAlice)})
	wantAPIError(t, err, "MalformedPolicyDocumentException", "The new key policy will not allow you to update the key policy in the future.")
	_, err = adminKMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: k1.KeyId, Policy: aws.String(onlyAlice)})
	wantAPIError(t, err, "MalformedPolicyDocumentException", "The new key policy will not allow you to update the key policy in the future.")
	k3 := must(adminKMS.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(onlyAlice), BypassPolicyLockoutSafetyCheck: true})).KeyMetadata
	_, err = adminKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k3.KeyId, Plaintext: pt})
	wantAPIError(t, err, "AccessDeniedException", msg("arn:aws:iam::"+acct+":user/keyhold-admin", "kms:Encrypt", aws.ToString(k3.Arn), "because no resource-based policy allows the kms:Encrypt action"))
	must(aliceKMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: k3.KeyId, Policy: aws.String(onlyAlice)}))
	_, err = adminKMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: k1.KeyId, Policy: aws.String(`{"Statement":`)})
	wantAPIError(t, err, "MalformedPolicyDocumentException", "")
	_, err = adminKMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: k1.KeyId, Policy: aws.String(strings.Replace(onlyAlice, "user/alice", "user/nobody", 1))})
	wantAPIError(t, err, "MalformedPolicyDocumentException", "Policy contains a statement with one or more invalid principals.")
	_, err = adminKMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: k1.KeyId, Policy: aws.String(strings.Replace(p2, `"root"`, `"`+strings.Repeat("x", 33000)+`"`, 1))})
	wantAPIError(t, err, "LimitExceededException", "")

	// Grants: alice may encrypt under k1 through a constrained grant; bob,
	// the retiring principal, retires it.
	g := must(adminKMS.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k1.KeyId, GranteePrincipal: aws.String(aliceARN),
		RetiringPrincipal: aws.String(bobARN), Operations: []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationDecrypt},
		Constraints: &types.GrantConstraints{EncryptionContextEquals: ec}, Name: aws.String("app-x")}))
	again := must(adminKMS.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k1.KeyId, GranteePrincipal: aws.String(aliceARN),
		RetiringPrincipal: aws.String(bobARN), Operations: []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationEncrypt},
		Constraints: &types.GrantConstraints{EncryptionContextEquals: ec}, Name: aws.String("app-x")}))
	if aws.ToString(again.GrantId) != aws.ToString(g.GrantId) {
		t.Fatal("CreateGrant with the same Name made a second grant")
	}
	enc = must(aliceKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k1.KeyId, Plaintext: pt, EncryptionContext: ec, GrantTokens: []string{aws.ToString(g.GrantToken)}}))
	must(aliceKMS.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}))
	_, err = aliceKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k1.KeyId, Plaintext: pt, EncryptionContext: map[string]string{"app": "x", "more": "1"}})
	wantAPIError(t, err, "AccessDeniedException", "")
	_, err = aliceKMS.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: k1.KeyId, KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
	wantAPIError(t, err, "AccessDeniedException", "")
	_, err = aliceKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k1.KeyId, Plaintext: pt, EncryptionContext: ec, GrantTokens: []string{"not-a-token"}})
	wantAPIError(t, err, "InvalidGrantTokenException", "Grant token is not valid.")
	lg := must(adminKMS.ListGrants(ctx, &kms.ListGrantsInput{KeyId: k1.KeyId}))
	if len(lg.Grants) != 1 || aws.ToString(lg.Grants[0].GranteePrincipal) != aliceARN || aws.ToString(lg.Grants[0].IssuingAccount) != "arn:aws:iam::"+acct+":root" ||
		lg.Grants[0].Constraints == nil || lg.Grants[0].Constraints.EncryptionContextEquals["app"] != "x" {
		t.Fatalf("ListGrants = %+v", lg.Grants)
	}
	if lr := must(adminKMS.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringPrincipal: aws.String(bobARN)})); len(lr.Grants) != 1 {
		t.Fatalf("ListRetirableGrants = %+v", lr.Grants)
	}
	_, err = aliceKMS.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: g.GrantToken})
	wantAPIError(t, err, "AccessDeniedException", "")
	must(bobKMS.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: g.GrantToken}))
	_, err = aliceKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k1.KeyId, Plaintext: pt, EncryptionContext: ec})
	wantAPIError(t, err, "AccessDeniedException", "")
	g2 := must(adminKMS.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k1.KeyId, GranteePrincipal: aws.String(aliceARN),
		Operations: []types.GrantOperation{types.GrantOperationDescribeKey}}))
	must(aliceKMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(k1ARN)}))
	_, err = bobKMS.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: k1.KeyId, GrantId: g2.GrantId})
	wantAPIError(t, err, "AccessDeniedException", msg(bobARN, "kms:RevokeGrant", k1ARN, "because no identity-based policy allows the kms:RevokeGrant action"))
	must(adminKMS.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: k1.KeyId, GrantId: g2.GrantId}))
	_, err = aliceKMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(k1ARN)})
	wantAPIError(t, err, "AccessDeniedException", "")
	// A SourceArn constraint never holds in keyhold (no AWS service acts
	// on behalf of a resource), so this grant allows alice nothing, even
	// with its token; a grant for a service principal matches no caller.
	// The retiring principal of a service-principal grant retires it.
	srcARN := "arn:aws:logs:us-east-1:" + acct + ":log-group:app"
	g3 := must(adminKMS.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k1.KeyId, GranteePrincipal: aws.String(aliceARN),
		Operations: []types.GrantOperation{types.GrantOperationDescribeKey}, Constraints: &types.GrantConstraints{SourceArn: aws.String(srcARN)}}))
	_, err = aliceKMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(k1ARN), GrantTokens: []string{aws.ToString(g3.GrantToken)}})
	wantAPIError(t, err, "AccessDeniedException", "")
	g4 := must(adminKMS.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k1.KeyId, GranteeServicePrincipal: aws.String("logs.us-east-1.amazonaws.com"),
		RetiringPrincipal: aws.String(bobARN), Operations: []types.GrantOperation{types.GrantOperationDescribeKey, types.GrantOperationEncrypt},
		Constraints: &types.GrantConstraints{SourceArn: aws.String(srcARN)}}))
	_, err = aliceKMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(k1ARN), GrantTokens: []string{aws.ToString(g4.GrantToken)}})
	wantAPIError(t, err, "AccessDeniedException", "")
	if lr := must(adminKMS.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringPrincipal: aws.String(bobARN)})); len(lr.Grants) != 1 ||
		aws.ToString(lr.Grants[0].GranteeServicePrincipal) != "logs.us-east-1.amazonaws.com" {
		t.Fatalf("ListRetirableGrants = %+v", lr.Grants)
	}
	must(bobKMS.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: g4.GrantToken}))
	must(adminKMS.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: k1.KeyId, GrantId: g3.GrantId}))
	_, err = adminKMS.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k1.KeyId, GranteePrincipal: aws.String(aliceARN),
		Operations: []types.GrantOperation{types.GrantOperationSign}})
	wantAPIError(t, err, "ValidationException", "")

	// A role session named by the key policy through its role.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"sts:AssumeRole"}]}`
	role := must(adminIAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)})).Role
	must(adminKMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: k2.KeyId, Policy: aws.String(`{"Version":"2012-10-17","Statement":[` + root + `,
		{"Effect":"Allow","Principal":{"AWS":"` + aws.ToString(role.Arn) + `"},"Action":"kms:GenerateDataKey","Resource":"*"}]}`)}))
	sess := must(ts.sts(admin).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1")}))
	sessKMS := ts.kms(fromSTS(sess.Credentials))
	must(sessKMS.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: k2.KeyId, KeySpec: types.DataKeySpecAes256}))
	_, err = sessKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k2.KeyId, Plaintext: pt})
	wantAPIError(t, err, "AccessDeniedException", msg("arn:aws:sts::"+acct+":assumed-role/app/s1", "kms:Encrypt", k2ARN, "because no identity-based policy allows the kms:Encrypt action"))

	// Cross-account: account B's admin uses k1 by its ARN once the key
	// policy allows account B.
	cr := &sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	status, _, body := ts.postForm(t, "keyhold", "application/x-www-form-urlencoded", "Action=CreateAccount&Version=2026-11-01&AccountId=444455556666", cr)
	var created struct {
		Result struct {
			AccessKey struct{ AccessKeyId, SecretAccessKey string }
		} `xml:"CreateAccountResult"`
	}
	if err := xml.Unmarshal(body, &created); err != nil || status != 200 {
		t.Fatalf("CreateAccount: %d %v\n%s", status, err, body)
	}
	other := ts.kms(awsCreds{id: created.Result.AccessKey.AccessKeyId, secret: created.Result.AccessKey.SecretAccessKey})
	otherARN := "arn:aws:iam::444455556666:user/keyhold-admin"
	_, err = other.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(k1ARN), Plaintext: pt})
	wantAPIError(t, err, "AccessDeniedException", msg(otherARN, "kms:Encrypt", k1ARN, "because no resource-based policy allows the kms:Encrypt action"))
	must(adminKMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: k1.KeyId, Policy: aws.String(`{"Version":"2012-10-17","Statement":[` + root + `,
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}]}`)}))
	enc = must(other.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(k1ARN), Plaintext: pt}))
	must(other.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}))
	_, err = other.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(k1ARN), KeySpec: types.DataKeySpecAes256})
	wantAPIError(t, err, "AccessDeniedException", msg(otherARN, "kms:GenerateDataKey", k1ARN, "because no resource-based policy allows the kms:GenerateDataKey action"))
	_, err = other.Encrypt(ctx, &kms.EncryptInput{KeyId: k1.KeyId, Plaintext: pt})
	wantAPIError(t, err, "NotFoundException", "")

	// kms:ReEncryptOnSameKey (conditions-kms.md): re-encrypting under the
	// same key is denied, under another key allowed.
	must(adminKMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: k1.KeyId, Policy: aws.String(`{"Version":"2012-10-17","Statement":[` + root + `,
		{"Effect":"Deny","Principal":"*","Action":"kms:ReEncrypt*","Resource":"*","Condition":{"Bool":{"kms:ReEncryptOnSameKey":"true"}}}]}`)}))
	c1 := must(adminKMS.Encrypt(ctx, &kms.EncryptInput{KeyId: k1.KeyId, Plaintext: pt}))
	_, err = adminKMS.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: c1.CiphertextBlob, DestinationKeyId: k1.KeyId})
	wantAPIError(t, err, "AccessDeniedException", msg("arn:aws:iam::"+acct+":user/keyhold-admin", "kms:ReEncryptTo", k1ARN, "with an explicit deny in a resource-based policy"))
	must(adminKMS.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: c1.CiphertextBlob, DestinationKeyId: k2.KeyId}))
}
