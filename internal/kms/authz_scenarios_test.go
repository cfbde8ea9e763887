package kms

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
	"github.com/keyhold/keyhold/internal/policy"
)

// The evaluation scenarios below are taken from AWS's documented examples;
// each names its source: a page of the AWS KMS Developer Guide (2023 copy
// in shared/reference/aws-kms-developer-guide-2023/doc_source) and its
// section.

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

var (
	keyARNA  = keyhold.KeyARN("us-east-1", acctA, "1234abcd-12ab-34cd-56ef-1234567890ab")
	aliceARN = "arn:aws:iam::" + acctA + ":user/alice"
	roleARN  = "arn:aws:iam::" + acctA + ":role/app"
	sessARN  = "arn:aws:sts::" + acctA + ":assumed-role/app/s1"
	bobBARN  = "arn:aws:iam::" + acctB + ":user/bob"
)

// authzStore is the part of the store the decision reads.
type authzStore struct {
	keyhold.Store
	tags    []keyhold.Tag
	aliases []string
	grants  []*keyhold.Grant
}

func (f *authzStore) ListTags(context.Context, string) ([]keyhold.Tag, error) { return f.tags, nil }
func (f *authzStore) ListAliases(_ context.Context, account, region, keyARN, _ string, _ int) ([]*keyhold.Alias, error) {
	var out []*keyhold.Alias
	for _, a := range f.aliases {
		out = append(out, &keyhold.Alias{Name: a, TargetKeyARN: keyARN})
	}
	return out, nil
}
func (f *authzStore) ListGrants(context.Context, string, string, int) ([]*keyhold.Grant, error) {
	return f.grants, nil
}
func (f *authzStore) GetGrant(_ context.Context, _, id string) (*keyhold.Grant, error) {
	for _, g := range f.grants {
		if g.GrantID == id {
			return g, nil
		}
	}
	return nil, keyhold.ErrNotFound
}

func principal(arn string, tags ...keyhold.Tag) *keyhold.Principal {
	a, _ := keyhold.ParseARN(arn)
	p := &keyhold.Principal{Account: a.Account, ARN: arn, EntityARN: arn, UserID: "AIDAEXAMPLE", Tags: tags}
	switch {
	case strings.HasSuffix(arn, ":root"):
		p.Type, p.UserID = keyhold.PrincipalAccount, a.Account
	case strings.Contains(arn, ":user/"):
		p.Type, p.Name = keyhold.PrincipalUser, arn[strings.LastIndexByte(arn, '/')+1:]
	case strings.Contains(arn, ":assumed-role/"):
		p.Type, p.EntityARN, p.Name = keyhold.PrincipalAssumedRole, roleARN, "app"
	}
	return p
}

type scenario struct {
	name, source string
	keyPolicy    string            // "" is the default key policy
	identity     map[string]string // entity ARN → identity policy
	caller       *keyhold.Principal
	action       string
	in           kmsapi.Input
	key          *keyhold.Key // nil: keyA, a symmetric key of account A
	tags         []keyhold.Tag
	aliases      []string
	grants       []*keyhold.Grant
	// want: "allow", or the end of the AccessDenied message.
	want string
	ip   string // the caller's address
}

const (
	noResource = "because no resource-based policy allows"
	noIdentity = "because no identity-based policy allows"
	denyRes    = "with an explicit deny in a resource-based policy"
	denyID     = "with an explicit deny in an identity-based policy"
)

func stmts(s ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(s, ",") + `]}`
}

func allowP(principal, actions, cond string) string {
	s := `{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":` + actions + `,"Resource":"*"`
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + "}"
}

func denyP(principal, actions, cond string) string {
	return strings.Replace(allowP(principal, actions, cond), `"Allow"`, `"Deny"`, 1)
}

func idPolicy(effect, actions, resource, cond string) string {
	s := `{"Effect":"` + effect + `","Action":` + actions + `,"Resource":"` + resource + `"`
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + "}"
}

var rootA = allowP("arn:aws:iam::"+acctA+":root", `"kms:*"`, "")

func scenarios() []scenario {
	var sc []scenario
	add := func(s scenario) { sc = append(sc, s) }
	ops := []string{"Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
		"DescribeKey", "CreateGrant", "ListGrants", "RevokeGrant", "PutKeyPolicy", "GetKeyPolicy", "EnableKey", "DisableKey",
		"ScheduleKeyDeletion", "TagResource", "EnableKeyRotation", "GenerateDataKeyPair", "CreateAlias", "ListResourceTags"}
	kmsAll := stmts(idPolicy("Allow", `"kms:*"`, "*", ""))

	// key-policy-default.md, "Allows access to the AWS account and enables
	// IAM policies": the default policy lets IAM policies decide.
	for _, op := range ops {
		add(scenario{name: "default/iam-allows/" + op, source: "key-policy-default.md#key-policy-default-allow-root-enable-iam",
			identity: map[string]string{aliceARN: kmsAll}, caller: principal(aliceARN), action: "kms:" + op, want: "allow"})
		add(scenario{name: "default/no-iam/" + op, source: "key-policy-default.md#key-policy-default-allow-root-enable-iam",
			caller: principal(aliceARN), action: "kms:" + op, want: noIdentity})
	}
	// iam-policies.md: an IAM policy allows only the actions it names.
	encOnly := stmts(idPolicy("Allow", `["kms:Encrypt","kms:GenerateDataKey*"]`, "*", ""))
	for _, op := range ops {
		want := noIdentity
		if op == "Encrypt" || strings.HasPrefix(op, "GenerateDataKey") {
			want = "allow"
		}
		add(scenario{name: "iam-action-list/" + op, source: "iam-policies.md#iam-policy-example-encrypt-decrypt-one-account",
			identity: map[string]string{aliceARN: encOnly}, caller: principal(aliceARN), action: "kms:" + op, want: want})
	}
	// iam-policies.md, resource element: the key ARN or a wildcard.
	for _, r := range []struct{ res, want string }{
		{keyARNA, "allow"}, {"arn:aws:kms:us-east-1:" + acctA + ":key/*", "allow"}, {"arn:aws:kms:*:" + acctA + ":key/*", "allow"},
		{"arn:aws:kms:us-west-2:" + acctA + ":key/*", noIdentity}, {"arn:aws:kms:us-east-1:" + acctB + ":key/*", noIdentity},
		{"arn:aws:kms:us-east-1:" + acctA + ":alias/*", noIdentity},
	} {
		add(scenario{name: "iam-resource/" + r.res, source: "iam-policies.md#iam-policy-example-encrypt-decrypt-one-account",
			identity: map[string]string{aliceARN: stmts(idPolicy("Allow", `"kms:Encrypt"`, r.res, ""))},
			caller:   principal(aliceARN), action: "kms:Encrypt", want: r.want})
	}
	// key-policy-overview.md / key-policies.md: a key policy without the
	// account statement makes IAM policies ineffective; a statement naming
	// a principal allows it directly.
	onlyAlice := stmts(allowP(aliceARN, `["kms:Encrypt","kms:Decrypt"]`, ""))
	for _, op := range []string{"Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey", "PutKeyPolicy"} {
		want := noResource
		if op == "Encrypt" || op == "Decrypt" {
			want = "allow"
		}
		add(scenario{name: "direct-principal/" + op, source: "key-policy-overview.md#key-policy-elements",
			keyPolicy: onlyAlice, caller: principal(aliceARN), action: "kms:" + op, want: want})
		add(scenario{name: "no-root-statement-ignores-iam/" + op, source: "key-policy-default.md#key-policy-default-allow-root-enable-iam",
			keyPolicy: onlyAlice, identity: map[string]string{roleARN: kmsAll}, caller: principal(sessARN), action: "kms:" + op, want: noResource})
	}
	// determining-access-key-policy.md: role principals and sessions.
	roleUser := stmts(rootA, allowP(roleARN, `["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"]`, ""))
	for _, op := range []string{"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "DescribeKey", "ScheduleKeyDeletion", "CreateGrant"} {
		want := "allow"
		if op == "ScheduleKeyDeletion" || op == "CreateGrant" {
			want = noIdentity
		}
		add(scenario{name: "key-users-role/" + op, source: "key-policy-default.md#key-policy-default-allow-users",
			keyPolicy: roleUser, caller: principal(sessARN), action: "kms:" + op, want: want})
	}
	// key-policy-default.md, key administrators.
	admins := stmts(rootA, allowP(aliceARN, `["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:TagResource","kms:UntagResource","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"]`, ""))
	for _, r := range []struct{ op, want string }{
		{"DescribeKey", "allow"}, {"PutKeyPolicy", "allow"}, {"ScheduleKeyDeletion", "allow"}, {"CancelKeyDeletion", "allow"},
		{"EnableKeyRotation", "allow"}, {"DisableKey", "allow"}, {"TagResource", "allow"}, {"RevokeGrant", "allow"},
		{"Encrypt", noIdentity}, {"Decrypt", noIdentity}, {"GenerateDataKey", noIdentity}, {"ReEncryptFrom", noIdentity},
	} {
		add(scenario{name: "key-administrators/" + r.op, source: "key-policy-default.md#key-policy-default-allow-administrators",
			keyPolicy: admins, caller: principal(aliceARN), action: "kms:" + r.op, want: r.want})
	}
	// policy-evaluation.md: an explicit deny wins, wherever it is.
	for _, r := range []struct {
		name, kp, idp, want string
	}{
		{"key-policy-deny-over-key-allow", stmts(rootA, allowP(aliceARN, `"kms:*"`, ""), denyP(aliceARN, `"kms:Encrypt"`, "")), "", denyRes},
		{"key-policy-deny-over-iam-allow", stmts(rootA, denyP(aliceARN, `"kms:Encrypt"`, "")), kmsAll, denyRes},
		{"key-policy-deny-star", stmts(rootA, denyP("*", `"kms:Encrypt"`, "")), kmsAll, denyRes},
		{"iam-deny-over-key-allow", stmts(rootA, allowP(aliceARN, `"kms:*"`, "")), stmts(idPolicy("Deny", `"kms:Encrypt"`, "*", "")), denyID},
		{"iam-deny-over-iam-allow", "", stmts(idPolicy("Allow", `"kms:*"`, "*", ""), idPolicy("Deny", `"kms:Encrypt"`, "*", "")), denyID},
		{"iam-deny-wildcard-action", "", stmts(idPolicy("Allow", `"kms:*"`, "*", ""), idPolicy("Deny", `"kms:Enc*"`, "*", "")), denyID},
		{"iam-deny-other-action", "", stmts(idPolicy("Allow", `"kms:*"`, "*", ""), idPolicy("Deny", `"kms:Decrypt"`, "*", "")), "allow"},
		{"iam-deny-other-key", "", stmts(idPolicy("Allow", `"kms:*"`, "*", ""), idPolicy("Deny", `"kms:*"`, "arn:aws:kms:*:*:key/other", "")), "allow"},
		{"key-deny-not-matching-principal", stmts(rootA, denyP(bobBARN, `"kms:*"`, "")), kmsAll, "allow"},
		{"key-deny-notaction", stmts(rootA, `{"Effect":"Deny","Principal":"*","NotAction":"kms:Decrypt","Resource":"*"}`), kmsAll, denyRes},
		{"key-deny-notaction-exempt", stmts(rootA, `{"Effect":"Deny","Principal":"*","NotAction":"kms:Encrypt","Resource":"*"}`), kmsAll, "allow"},
		{"key-deny-notprincipal", stmts(rootA, `{"Effect":"Deny","NotPrincipal":{"AWS":"`+bobBARN+`"},"Action":"kms:*","Resource":"*"}`), kmsAll, denyRes},
		{"key-deny-notprincipal-exempt", stmts(rootA, `{"Effect":"Deny","NotPrincipal":{"AWS":"`+aliceARN+`"},"Action":"kms:*","Resource":"*"}`), kmsAll, "allow"},
	} {
		idm := map[string]string{}
		if r.idp != "" {
			idm[aliceARN] = r.idp
		}
		add(scenario{name: "deny/" + r.name, source: "policy-evaluation.md (IAM User Guide: explicit deny)",
			keyPolicy: r.kp, identity: idm, caller: principal(aliceARN), action: "kms:Encrypt", want: r.want})
	}
	// key-policy-modifying-external-accounts.md: cross-account use needs
	// the key policy and the other account's IAM policy.
	extKP := stmts(rootA, allowP("arn:aws:iam::"+acctB+":root", `["kms:Encrypt","kms:Decrypt","kms:DescribeKey"]`, ""))
	bobAll := map[string]string{bobBARN: kmsAll}
	for _, r := range []struct {
		name, kp string
		idm      map[string]string
		op, want string
	}{
		{"both-allow", extKP, bobAll, "Encrypt", "allow"},
		{"both-allow-decrypt", extKP, bobAll, "Decrypt", "allow"},
		{"key-policy-missing-action", extKP, bobAll, "GenerateDataKey", noResource},
		{"no-iam", extKP, nil, "Encrypt", noIdentity},
		{"default-policy", "", bobAll, "Encrypt", noResource},
		{"principal-named", stmts(rootA, allowP(bobBARN, `"kms:Encrypt"`, "")), bobAll, "Encrypt", "allow"},
		{"principal-named-no-iam", stmts(rootA, allowP(bobBARN, `"kms:Encrypt"`, "")), nil, "Encrypt", noIdentity},
		{"account-id-form", stmts(rootA, allowP(acctB, `"kms:Encrypt"`, "")), bobAll, "Encrypt", "allow"},
		{"iam-deny", extKP, map[string]string{bobBARN: stmts(idPolicy("Allow", `"kms:*"`, "*", ""), idPolicy("Deny", `"kms:Encrypt"`, "*", ""))}, "Encrypt", denyID},
		{"iam-wrong-key", extKP, map[string]string{bobBARN: stmts(idPolicy("Allow", `"kms:*"`, "arn:aws:kms:*:"+acctA+":key/other", ""))}, "Encrypt", noIdentity},
		{"iam-key-arn", extKP, map[string]string{bobBARN: stmts(idPolicy("Allow", `"kms:Encrypt"`, keyARNA, ""))}, "Encrypt", "allow"},
		{"caller-account-condition", stmts(rootA, allowP("*", `"kms:Encrypt"`, `{"StringEquals":{"kms:CallerAccount":"`+acctB+`"}}`)), bobAll, "Encrypt", "allow"},
		{"caller-account-condition-other", stmts(rootA, allowP("*", `"kms:Encrypt"`, `{"StringEquals":{"kms:CallerAccount":"999999999999"}}`)), bobAll, "Encrypt", noResource},
	} {
		add(scenario{name: "cross-account/" + r.name, source: "key-policy-modifying-external-accounts.md",
			keyPolicy: r.kp, identity: r.idm, caller: principal(bobBARN), action: "kms:" + r.op, want: r.want})
	}
	// conditions-kms.md, one family per condition key.
	type cond struct {
		name, source, cond, action string
		in                         kmsapi.Input
		key                        *keyhold.Key
		tags                       []keyhold.Tag
		aliases                    []string
		caller                     *keyhold.Principal
		want                       string
	}
	ec := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	enc := func(m map[string]string) kmsapi.Input { return &kmsapi.EncryptInput{EncryptionContext: m} }
	ecc := `{"StringEquals":{"kms:EncryptionContext:AppName":"ExampleApp"}}`
	rsaKey := &keyhold.Key{ARN: keyARNA, Account: acctA, Region: "us-east-1", KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY", Origin: "AWS_KMS", CreationDate: time.Unix(1, 0)}
	hmacKey := &keyhold.Key{ARN: keyARNA, Account: acctA, Region: "us-east-1", KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC", Origin: "AWS_KMS", CreationDate: time.Unix(1, 0)}
	extKey := &keyhold.Key{ARN: keyARNA, Account: acctA, Region: "us-east-1", KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT", Origin: "EXTERNAL", CreationDate: time.Unix(1, 0)}
	conds := []cond{
		{"ec-match", "conditions-kms.md#conditions-kms-encryption-context", ecc, "Encrypt", enc(ec("AppName", "ExampleApp")), nil, nil, nil, nil, "allow"},
		{"ec-extra-pair", "conditions-kms.md#conditions-kms-encryption-context", ecc, "Encrypt", enc(ec("AppName", "ExampleApp", "x", "y")), nil, nil, nil, nil, "allow"},
		{"ec-wrong-value", "conditions-kms.md#conditions-kms-encryption-context", ecc, "Encrypt", enc(ec("AppName", "Other")), nil, nil, nil, nil, noIdentity},
		{"ec-missing", "conditions-kms.md#conditions-kms-encryption-context", ecc, "Encrypt", enc(nil), nil, nil, nil, nil, noIdentity},
		{"ec-value-case", "conditions-kms.md#conditions-kms-encryption-context-case", ecc, "Encrypt", enc(ec("AppName", "exampleapp")), nil, nil, nil, nil, noIdentity},
		{"ec-key-case-insensitive", "conditions-kms.md#conditions-kms-encryption-context-case", ecc, "Encrypt", enc(ec("appname", "ExampleApp")), nil, nil, nil, nil, "allow"},
		{"ec-ignorecase", "conditions-kms.md#conditions-kms-encryption-context-case", `{"StringEqualsIgnoreCase":{"kms:EncryptionContext:AppName":"exampleapp"}}`, "Encrypt", enc(ec("AppName", "ExampleApp")), nil, nil, nil, nil, "allow"},
		{"ec-two-pairs", "conditions-kms.md#conditions-kms-encryption-context-many", `{"StringEquals":{"kms:EncryptionContext:Department":"IT","kms:EncryptionContext:Project":"Alpha"}}`, "Decrypt", &kmsapi.DecryptInput{EncryptionContext: ec("Department", "IT", "Project", "Alpha")}, nil, nil, nil, nil, "allow"},
		{"ec-two-pairs-one-missing", "conditions-kms.md#conditions-kms-encryption-context-many", `{"StringEquals":{"kms:EncryptionContext:Department":"IT","kms:EncryptionContext:Project":"Alpha"}}`, "Decrypt", &kmsapi.DecryptInput{EncryptionContext: ec("Department", "IT")}, nil, nil, nil, nil, noIdentity},
		{"ec-variable", "conditions-kms.md#conditions-kms-encryption-context-variables", `{"StringEquals":{"kms:EncryptionContext:Owner":"${aws:username}"}}`, "Encrypt", enc(ec("Owner", "alice")), nil, nil, nil, nil, "allow"},
		{"ec-variable-other", "conditions-kms.md#conditions-kms-encryption-context-variables", `{"StringEquals":{"kms:EncryptionContext:Owner":"${aws:username}"}}`, "Encrypt", enc(ec("Owner", "bob")), nil, nil, nil, nil, noIdentity},
		{"ec-keys-forallvalues", "conditions-kms.md#conditions-kms-encryption-context-keys", `{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Purpose","Department"]}}`, "Encrypt", enc(ec("Purpose", "Test")), nil, nil, nil, nil, "allow"},
		{"ec-keys-forallvalues-extra", "conditions-kms.md#conditions-kms-encryption-context-keys", `{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Purpose","Department"]}}`, "Encrypt", enc(ec("Purpose", "Test", "Other", "x")), nil, nil, nil, nil, noIdentity},
		{"ec-keys-forallvalues-empty", "conditions-kms.md#conditions-kms-encryption-context-keys", `{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Purpose"]}}`, "Encrypt", enc(nil), nil, nil, nil, nil, "allow"},
		{"ec-keys-foranyvalue", "conditions-kms.md#conditions-kms-encryption-context-keys", `{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"Purpose"}}`, "Encrypt", enc(ec("Purpose", "x", "Other", "y")), nil, nil, nil, nil, "allow"},
		{"ec-keys-foranyvalue-none", "conditions-kms.md#conditions-kms-encryption-context-keys", `{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"Purpose"}}`, "Encrypt", enc(ec("Other", "y")), nil, nil, nil, nil, noIdentity},
		{"ec-require-null-false", "conditions-kms.md#conditions-kms-encryption-context-keys", `{"Null":{"kms:EncryptionContextKeys":"false"}}`, "Encrypt", enc(ec("a", "b")), nil, nil, nil, nil, "allow"},
		{"ec-require-null-false-missing", "conditions-kms.md#conditions-kms-encryption-context-keys", `{"Null":{"kms:EncryptionContextKeys":"false"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, noIdentity},
		{"encryption-algorithm", "conditions-kms.md#conditions-kms-encryption-algorithm", `{"StringEquals":{"kms:EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, "allow"},
		{"encryption-algorithm-rsa", "conditions-kms.md#conditions-kms-encryption-algorithm", `{"StringEquals":{"kms:EncryptionAlgorithm":"RSAES_OAEP_SHA_256"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, noIdentity},
		{"encryption-algorithm-gdk", "conditions-kms.md#conditions-kms-encryption-algorithm", `{"StringEquals":{"kms:EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}}`, "GenerateDataKey", &kmsapi.GenerateDataKeyInput{}, nil, nil, nil, nil, "allow"},
		{"signing-algorithm", "conditions-kms.md#conditions-kms-signing-algorithm", `{"StringLike":{"kms:SigningAlgorithm":"RSASSA_PSS*"}}`, "Sign", &kmsapi.SignInput{SigningAlgorithm: ptr(kmsapi.SigningAlgorithmSpec("RSASSA_PSS_SHA_256"))}, rsaKey, nil, nil, nil, "allow"},
		{"signing-algorithm-other", "conditions-kms.md#conditions-kms-signing-algorithm", `{"StringLike":{"kms:SigningAlgorithm":"RSASSA_PSS*"}}`, "Sign", &kmsapi.SignInput{SigningAlgorithm: ptr(kmsapi.SigningAlgorithmSpec("RSASSA_PKCS1_V1_5_SHA_256"))}, rsaKey, nil, nil, nil, noIdentity},
		{"message-type", "conditions-kms.md#conditions-kms-message-type", `{"StringEquals":{"kms:MessageType":"DIGEST"}}`, "Sign", &kmsapi.SignInput{MessageType: ptr(kmsapi.MessageType("DIGEST"))}, rsaKey, nil, nil, nil, "allow"},
		{"message-type-raw-default", "conditions-kms.md#conditions-kms-message-type", `{"StringEquals":{"kms:MessageType":"DIGEST"}}`, "Sign", &kmsapi.SignInput{}, rsaKey, nil, nil, nil, noIdentity},
		{"mac-algorithm", "conditions-kms.md#conditions-kms-mac-algorithm", `{"StringEquals":{"kms:MacAlgorithm":"HMAC_SHA_256"}}`, "GenerateMac", &kmsapi.GenerateMacInput{MacAlgorithm: ptr(kmsapi.MacAlgorithmSpec("HMAC_SHA_256"))}, hmacKey, nil, nil, nil, "allow"},
		{"mac-algorithm-other", "conditions-kms.md#conditions-kms-mac-algorithm", `{"StringEquals":{"kms:MacAlgorithm":"HMAC_SHA_256"}}`, "VerifyMac", &kmsapi.VerifyMacInput{MacAlgorithm: ptr(kmsapi.MacAlgorithmSpec("HMAC_SHA_512"))}, hmacKey, nil, nil, nil, noIdentity},
		{"key-spec", "conditions-kms.md#conditions-kms-key-spec", `{"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, "allow"},
		{"key-spec-rsa", "conditions-kms.md#conditions-kms-key-spec", `{"StringLike":{"kms:KeySpec":"RSA_*"}}`, "Sign", &kmsapi.SignInput{}, rsaKey, nil, nil, nil, "allow"},
		{"key-spec-other", "conditions-kms.md#conditions-kms-key-spec", `{"StringLike":{"kms:KeySpec":"RSA_*"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, noIdentity},
		{"key-usage", "conditions-kms.md#conditions-kms-key-usage", `{"StringEquals":{"kms:KeyUsage":"SIGN_VERIFY"}}`, "Verify", &kmsapi.VerifyInput{}, rsaKey, nil, nil, nil, "allow"},
		{"key-usage-other", "conditions-kms.md#conditions-kms-key-usage", `{"StringEquals":{"kms:KeyUsage":"SIGN_VERIFY"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, noIdentity},
		{"customer-master-key-usage", "conditions-kms.md#conditions-kms-key-usage-replaced", `{"StringEquals":{"kms:CustomerMasterKeyUsage":"ENCRYPT_DECRYPT"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, "allow"},
		{"key-origin", "conditions-kms.md#conditions-kms-key-origin", `{"StringEquals":{"kms:KeyOrigin":"EXTERNAL"}}`, "Encrypt", enc(nil), extKey, nil, nil, nil, "allow"},
		{"key-origin-other", "conditions-kms.md#conditions-kms-key-origin", `{"StringEquals":{"kms:KeyOrigin":"EXTERNAL"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, noIdentity},
		{"caller-account", "conditions-kms.md#conditions-kms-caller-account", `{"StringEquals":{"kms:CallerAccount":"` + acctA + `"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, "allow"},
		{"via-service-absent", "conditions-kms.md#conditions-kms-via-service", `{"StringEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, noIdentity},
		{"via-service-ifexists", "conditions-kms.md#conditions-kms-via-service", `{"StringEqualsIfExists":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, "allow"},
		{"data-key-pair-spec", "conditions-kms.md#conditions-kms-data-key-spec", `{"StringLike":{"kms:DataKeyPairSpec":"RSA*"}}`, "GenerateDataKeyPair", &kmsapi.GenerateDataKeyPairInput{KeyPairSpec: ptr(kmsapi.DataKeyPairSpec("RSA_2048"))}, nil, nil, nil, nil, "allow"},
		{"data-key-pair-spec-other", "conditions-kms.md#conditions-kms-data-key-spec", `{"StringLike":{"kms:DataKeyPairSpec":"RSA*"}}`, "GenerateDataKeyPair", &kmsapi.GenerateDataKeyPairInput{KeyPairSpec: ptr(kmsapi.DataKeyPairSpec("ECC_NIST_P256"))}, nil, nil, nil, nil, noIdentity},
		{"schedule-deletion-window", "conditions-kms.md (kms:ScheduleKeyDeletionPendingWindowInDays)", `{"NumericGreaterThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"21"}}`, "ScheduleKeyDeletion", &kmsapi.ScheduleKeyDeletionInput{PendingWindowInDays: ptr(int32(30))}, nil, nil, nil, nil, "allow"},
		{"schedule-deletion-window-short", "conditions-kms.md (kms:ScheduleKeyDeletionPendingWindowInDays)", `{"NumericGreaterThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"21"}}`, "ScheduleKeyDeletion", &kmsapi.ScheduleKeyDeletionInput{PendingWindowInDays: ptr(int32(7))}, nil, nil, nil, nil, noIdentity},
		{"rotation-period", "conditions-kms.md (kms:RotationPeriodInDays)", `{"NumericLessThanEquals":{"kms:RotationPeriodInDays":"180"}}`, "EnableKeyRotation", &kmsapi.EnableKeyRotationInput{RotationPeriodInDays: ptr(int32(90))}, nil, nil, nil, nil, "allow"},
		{"rotation-period-default", "conditions-kms.md (kms:RotationPeriodInDays)", `{"NumericLessThanEquals":{"kms:RotationPeriodInDays":"180"}}`, "EnableKeyRotation", &kmsapi.EnableKeyRotationInput{}, nil, nil, nil, nil, noIdentity},
		{"bypass-lockout-false", "conditions-kms.md#conditions-kms-bypass-policy-lockout-safety-check", `{"Bool":{"kms:BypassPolicyLockoutSafetyCheck":"false"}}`, "PutKeyPolicy", &kmsapi.PutKeyPolicyInput{}, nil, nil, nil, nil, "allow"},
		{"bypass-lockout-true", "conditions-kms.md#conditions-kms-bypass-policy-lockout-safety-check", `{"Bool":{"kms:BypassPolicyLockoutSafetyCheck":"false"}}`, "PutKeyPolicy", &kmsapi.PutKeyPolicyInput{BypassPolicyLockoutSafetyCheck: ptr(true)}, nil, nil, nil, nil, noIdentity},
		{"grant-operations", "conditions-kms.md#conditions-kms-grant-operations", `{"ForAllValues:StringEquals":{"kms:GrantOperations":["Encrypt","Decrypt"]}}`, "CreateGrant", &kmsapi.CreateGrantInput{Operations: []kmsapi.GrantOperation{"Decrypt"}}, nil, nil, nil, nil, "allow"},
		{"grant-operations-extra", "conditions-kms.md#conditions-kms-grant-operations", `{"ForAllValues:StringEquals":{"kms:GrantOperations":["Encrypt","Decrypt"]}}`, "CreateGrant", &kmsapi.CreateGrantInput{Operations: []kmsapi.GrantOperation{"Decrypt", "CreateGrant"}}, nil, nil, nil, nil, noIdentity},
		{"grantee-principal", "conditions-kms.md#conditions-kms-grantee-principal", `{"StringEquals":{"kms:GranteePrincipal":"` + roleARN + `"}}`, "CreateGrant", &kmsapi.CreateGrantInput{GranteePrincipal: ptr(roleARN)}, nil, nil, nil, nil, "allow"},
		{"grantee-principal-other", "conditions-kms.md#conditions-kms-grantee-principal", `{"StringEquals":{"kms:GranteePrincipal":"` + roleARN + `"}}`, "CreateGrant", &kmsapi.CreateGrantInput{GranteePrincipal: ptr(aliceARN)}, nil, nil, nil, nil, noIdentity},
		{"retiring-principal", "conditions-kms.md#conditions-kms-retiring-principal", `{"StringEquals":{"kms:RetiringPrincipal":"` + roleARN + `"}}`, "CreateGrant", &kmsapi.CreateGrantInput{RetiringPrincipal: ptr(roleARN)}, nil, nil, nil, nil, "allow"},
		{"grant-constraint-type", "conditions-kms.md#conditions-kms-grant-constraint-type", `{"StringEquals":{"kms:GrantConstraintType":"EncryptionContextEquals"}}`, "CreateGrant", &kmsapi.CreateGrantInput{Constraints: &kmsapi.GrantConstraints{EncryptionContextEquals: ec("a", "b")}}, nil, nil, nil, nil, "allow"},
		{"grant-constraint-type-none", "conditions-kms.md#conditions-kms-grant-constraint-type", `{"StringEquals":{"kms:GrantConstraintType":"EncryptionContextEquals"}}`, "CreateGrant", &kmsapi.CreateGrantInput{}, nil, nil, nil, nil, noIdentity},
		{"grant-is-for-aws-resource", "conditions-kms.md#conditions-kms-grant-is-for-aws-resource", `{"Bool":{"kms:GrantIsForAWSResource":"true"}}`, "CreateGrant", &kmsapi.CreateGrantInput{}, nil, nil, nil, nil, noIdentity},
		{"grant-ec-condition", "conditions-kms.md#conditions-kms-encryption-context (CreateGrant)", `{"StringEquals":{"kms:EncryptionContext:Dept":"IT"}}`, "CreateGrant", &kmsapi.CreateGrantInput{Constraints: &kmsapi.GrantConstraints{EncryptionContextSubset: ec("Dept", "IT")}}, nil, nil, nil, nil, "allow"},
		{"request-alias", "conditions-kms.md#conditions-kms-request-alias", `{"StringEquals":{"kms:RequestAlias":"alias/ExampleAlias"}}`, "Encrypt", &kmsapi.EncryptInput{KeyId: ptr("alias/ExampleAlias")}, nil, nil, nil, nil, "allow"},
		{"request-alias-arn", "conditions-kms.md#conditions-kms-request-alias", `{"StringEquals":{"kms:RequestAlias":"alias/ExampleAlias"}}`, "Encrypt", &kmsapi.EncryptInput{KeyId: ptr("arn:aws:kms:us-east-1:" + acctA + ":alias/ExampleAlias")}, nil, nil, nil, nil, "allow"},
		{"request-alias-key-id", "conditions-kms.md#conditions-kms-request-alias", `{"StringEquals":{"kms:RequestAlias":"alias/ExampleAlias"}}`, "Encrypt", &kmsapi.EncryptInput{KeyId: ptr(keyARNA)}, nil, nil, nil, nil, noIdentity},
		{"resource-aliases", "conditions-kms.md#conditions-kms-resource-aliases", `{"ForAnyValue:StringLike":{"kms:ResourceAliases":"alias/ProjectAlpha*"}}`, "Encrypt", enc(nil), nil, nil, []string{"alias/ProjectAlpha-test", "alias/other"}, nil, "allow"},
		{"resource-aliases-none", "conditions-kms.md#conditions-kms-resource-aliases", `{"ForAnyValue:StringLike":{"kms:ResourceAliases":"alias/ProjectAlpha*"}}`, "Encrypt", enc(nil), nil, nil, []string{"alias/other"}, nil, noIdentity},
		{"resource-tag", "abac.md#about-abac-kms (aws:ResourceTag)", `{"StringEquals":{"aws:ResourceTag/Project":"Alpha"}}`, "Decrypt", &kmsapi.DecryptInput{}, nil, []keyhold.Tag{{Key: "Project", Value: "Alpha"}}, nil, nil, "allow"},
		{"resource-tag-other", "abac.md#access-denied-tag", `{"StringEquals":{"aws:ResourceTag/Project":"Alpha"}}`, "Decrypt", &kmsapi.DecryptInput{}, nil, []keyhold.Tag{{Key: "Project", Value: "Beta"}}, nil, nil, noIdentity},
		{"resource-tag-principal-tag", "abac.md (aws:ResourceTag matched to aws:PrincipalTag)", `{"StringEquals":{"aws:ResourceTag/Team":"${aws:PrincipalTag/Team}"}}`, "Decrypt", &kmsapi.DecryptInput{}, nil, []keyhold.Tag{{Key: "Team", Value: "blue"}}, nil, principal(aliceARN, keyhold.Tag{Key: "Team", Value: "blue"}), "allow"},
		{"resource-tag-principal-tag-other", "abac.md (aws:ResourceTag matched to aws:PrincipalTag)", `{"StringEquals":{"aws:ResourceTag/Team":"${aws:PrincipalTag/Team}"}}`, "Decrypt", &kmsapi.DecryptInput{}, nil, []keyhold.Tag{{Key: "Team", Value: "red"}}, nil, principal(aliceARN, keyhold.Tag{Key: "Team", Value: "blue"}), noIdentity},
		{"request-tag", "conditions-aws.md (aws:RequestTag)", `{"StringEquals":{"aws:RequestTag/Env":"prod"}}`, "TagResource", &kmsapi.TagResourceInput{Tags: []kmsapi.Tag{{TagKey: ptr("Env"), TagValue: ptr("prod")}}}, nil, nil, nil, nil, "allow"},
		{"tag-keys", "conditions-aws.md (aws:TagKeys)", `{"ForAllValues:StringEquals":{"aws:TagKeys":["Env"]}}`, "TagResource", &kmsapi.TagResourceInput{Tags: []kmsapi.Tag{{TagKey: ptr("Owner"), TagValue: ptr("x")}}}, nil, nil, nil, nil, noIdentity},
		{"principal-arn", "conditions-aws.md (aws:PrincipalArn)", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/ali*"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, "allow"},
		{"principal-type", "conditions-aws.md (aws:PrincipalType)", `{"StringEquals":{"aws:PrincipalType":"AssumedRole"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, noIdentity},
		{"current-time", "conditions-aws.md (aws:CurrentTime)", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, "allow"},
		{"current-time-future", "conditions-aws.md (aws:CurrentTime)", `{"DateGreaterThan":{"aws:CurrentTime":"2099-01-01T00:00:00Z"}}`, "Encrypt", enc(nil), nil, nil, nil, nil, noIdentity},
	}
	for _, c := range conds {
		// In the key policy, naming alice directly.
		add(scenario{name: "condition/key-policy/" + c.name, source: c.source, keyPolicy: stmts(allowP("*", `"kms:`+c.action+`"`, c.cond)),
			caller: c.caller, action: "kms:" + c.action, in: c.in, key: c.key, tags: c.tags, aliases: c.aliases,
			want: strings.Replace(c.want, noIdentity, noResource, 1)})
		// In an IAM policy, under the default key policy.
		add(scenario{name: "condition/iam/" + c.name, source: c.source,
			identity: map[string]string{aliceARN: stmts(idPolicy("Allow", `"kms:`+c.action+`"`, "*", c.cond))},
			caller:   c.caller, action: "kms:" + c.action, in: c.in, key: c.key, tags: c.tags, aliases: c.aliases, want: c.want})
	}
	// grants.md and create-grant-overview.md: grants allow their operations
	// to their grantee, within their constraints.
	grant := func(grantee string, ops []string, eq, sub map[string]string) *keyhold.Grant {
		return &keyhold.Grant{KeyARN: keyARNA, GrantID: strings.Repeat("a", 64), GranteePrincipal: grantee, Operations: ops,
			EncryptionContextEquals: eq, EncryptionContextSubset: sub, IssuingAccount: keyhold.RootARN(acctA)}
	}
	ed := []string{"Encrypt", "Decrypt"}
	for _, g := range []struct {
		name, source string
		grant        *keyhold.Grant
		caller       *keyhold.Principal
		action       string
		in           kmsapi.Input
		want         string
	}{
		{"grantee-op", "grants.md#terms-grant-operations", grant(aliceARN, ed, nil, nil), nil, "Encrypt", enc(nil), "allow"},
		{"grantee-other-op", "grants.md#terms-grant-operations", grant(aliceARN, ed, nil, nil), nil, "GenerateDataKey", &kmsapi.GenerateDataKeyInput{}, noIdentity},
		{"not-grantee", "grants.md#terms-grantee-principal", grant(roleARN, ed, nil, nil), nil, "Encrypt", enc(nil), noIdentity},
		{"role-grantee-session", "grants.md#terms-grantee-principal", grant(roleARN, ed, nil, nil), principal(sessARN), "Decrypt", &kmsapi.DecryptInput{}, "allow"},
		{"session-grantee", "grants.md#terms-grantee-principal", grant(sessARN, ed, nil, nil), principal(sessARN), "Decrypt", &kmsapi.DecryptInput{}, "allow"},
		{"cross-account-grantee", "grants.md (grants for principals in other accounts)", grant(bobBARN, ed, nil, nil), principal(bobBARN), "Encrypt", enc(nil), "allow"},
		{"equals-match", "create-grant-overview.md#grant-constraints", grant(aliceARN, ed, ec("Dept", "IT"), nil), nil, "Encrypt", enc(ec("Dept", "IT")), "allow"},
		{"equals-extra", "create-grant-overview.md#grant-constraints", grant(aliceARN, ed, ec("Dept", "IT"), nil), nil, "Encrypt", enc(ec("Dept", "IT", "x", "y")), noIdentity},
		{"equals-missing", "create-grant-overview.md#grant-constraints", grant(aliceARN, ed, ec("Dept", "IT"), nil), nil, "Encrypt", enc(nil), noIdentity},
		{"subset-extra", "create-grant-overview.md#grant-constraints", grant(aliceARN, ed, nil, ec("Dept", "IT")), nil, "Decrypt", &kmsapi.DecryptInput{EncryptionContext: ec("Dept", "IT", "x", "y")}, "allow"},
		{"subset-missing", "create-grant-overview.md#grant-constraints", grant(aliceARN, ed, nil, ec("Dept", "IT")), nil, "Decrypt", &kmsapi.DecryptInput{EncryptionContext: ec("x", "y")}, noIdentity},
		{"subset-empty-constraint", "create-grant-overview.md#grant-constraints", grant(aliceARN, ed, nil, ec()), nil, "Decrypt", &kmsapi.DecryptInput{}, "allow"},
		{"constraint-ignored-describe", "create-grant-overview.md#grant-constraints", grant(aliceARN, []string{"DescribeKey"}, ec("a", "b"), nil), nil, "DescribeKey", &kmsapi.DescribeKeyInput{}, "allow"},
		{"create-grant-subset", "create-grant-overview.md#grant-creategrant", grant(aliceARN, []string{"CreateGrant", "Decrypt"}, nil, nil), nil, "CreateGrant", &kmsapi.CreateGrantInput{Operations: []kmsapi.GrantOperation{"Decrypt"}}, "allow"},
		{"create-grant-escalation", "create-grant-overview.md#grant-creategrant", grant(aliceARN, []string{"CreateGrant", "Decrypt"}, nil, nil), nil, "CreateGrant", &kmsapi.CreateGrantInput{Operations: []kmsapi.GrantOperation{"Encrypt"}}, noIdentity},
		{"grant-vs-iam-deny", "policy-evaluation.md (explicit deny beats grants)", grant(aliceARN, ed, nil, nil), nil, "Encrypt", enc(nil), denyID},
	} {
		s := scenario{name: "grant/" + g.name, source: g.source, grants: []*keyhold.Grant{g.grant}, caller: g.caller,
			action: "kms:" + g.action, in: g.in, want: g.want}
		if g.want == denyID {
			s.identity = map[string]string{aliceARN: stmts(idPolicy("Deny", `"kms:*"`, "*", ""))}
		}
		if g.caller != nil && g.caller.Account == acctB {
			s.want = g.want
		}
		add(s)
	}
	// A grant does not override an explicit deny in the key policy.
	add(scenario{name: "grant/vs-key-policy-deny", source: "policy-evaluation.md (explicit deny beats grants)",
		keyPolicy: stmts(rootA, denyP(aliceARN, `"kms:Encrypt"`, "")), grants: []*keyhold.Grant{grant(aliceARN, ed, nil, nil)},
		action: "kms:Encrypt", in: enc(nil), want: denyRes})
	// A grant works even when the key policy does not delegate to IAM.
	add(scenario{name: "grant/without-root-statement", source: "determining-access-grants.md",
		keyPolicy: onlyAlice, grants: []*keyhold.Grant{grant(roleARN, []string{"GenerateDataKey"}, nil, nil)},
		caller: principal(sessARN), action: "kms:GenerateDataKey", in: &kmsapi.GenerateDataKeyInput{}, want: "allow"})
	// conditions-aws.md: aws:SourceIp and aws:SecureTransport.
	for _, r := range []struct{ name, cond, ip, want string }{
		{"source-ip-in", `{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, "192.0.2.7", "allow"},
		{"source-ip-out", `{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, "198.51.100.7", noIdentity},
		{"source-ip-unknown", `{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, "", noIdentity},
		{"not-source-ip", `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, "198.51.100.7", "allow"},
		{"secure-transport", `{"Bool":{"aws:SecureTransport":"true"}}`, "192.0.2.7", noIdentity},
	} {
		add(scenario{name: "global/" + r.name, source: "conditions-aws.md (aws:SourceIp, aws:SecureTransport)",
			identity: map[string]string{aliceARN: stmts(idPolicy("Allow", `"kms:Encrypt"`, "*", r.cond))},
			action:   "kms:Encrypt", in: enc(nil), ip: r.ip, want: r.want})
	}
	add(scenario{name: "global/deny-insecure-transport", source: "conditions-aws.md (aws:SecureTransport)",
		keyPolicy: stmts(rootA, denyP("*", `"kms:*"`, `{"Bool":{"aws:SecureTransport":"false"}}`)),
		identity:  map[string]string{aliceARN: kmsAll}, action: "kms:Encrypt", in: enc(nil), want: denyRes})
	// The account root: the default policy allows it everything.
	for _, op := range []string{"Encrypt", "PutKeyPolicy", "ScheduleKeyDeletion"} {
		add(scenario{name: "root/default/" + op, source: "key-policy-default.md#key-policy-default-allow-root-enable-iam",
			caller: principal(keyhold.RootARN(acctA)), action: "kms:" + op, want: "allow"})
		add(scenario{name: "root/no-root-statement/" + op, source: "key-policy-default.md (the root can be locked out)",
			keyPolicy: onlyAlice, caller: principal(keyhold.RootARN(acctA)), action: "kms:" + op, want: noResource})
	}
	return sc
}

func TestAuthorizationScenarios(t *testing.T) {
	all := scenarios()
	if len(all) < 150 {
		t.Fatalf("only %d scenarios", len(all))
	}
	names := map[string]bool{}
	for _, sc := range all {
		if names[sc.name] {
			t.Fatalf("duplicate scenario %s", sc.name)
		}
		names[sc.name] = true
		t.Run(sc.name, func(t *testing.T) {
			if sc.source == "" {
				t.Fatal("scenario without a source")
			}
			err := runScenario(t, sc)
			switch {
			case sc.want == "allow" && err != nil:
				t.Fatalf("denied: %v (source %s)", err, sc.source)
			case sc.want != "allow" && err == nil:
				t.Fatalf("allowed, want %q (source %s)", sc.want, sc.source)
			case sc.want != "allow":
				var ke *keyhold.Error
				if !errors.As(err, &ke) || ke.Code != keyhold.ErrCodeAccessDenied || !strings.Contains(ke.Message, sc.want) {
					t.Fatalf("error %v, want AccessDenied %q (source %s)", err, sc.want, sc.source)
				}
			}
		})
	}
}

func runScenario(t *testing.T, sc scenario) error {
	t.Helper()
	st := &authzStore{tags: sc.tags, aliases: sc.aliases, grants: sc.grants}
	s := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }})
	idp := map[string]*policy.Policy{}
	for arn, doc := range sc.identity {
		p, err := policy.Parse(doc, policy.KindIdentity)
		if err != nil {
			t.Fatalf("identity policy: %v", err)
		}
		idp[arn] = p
	}
	s.EnforceAuthorization(func(_ context.Context, p *keyhold.Principal, r *policy.Request) (policy.Decision, string, error) {
		pol := idp[p.EntityARN]
		if pol == nil {
			return policy.NotApplicable, "because no identity-based policy allows the " + r.Action + " action", nil
		}
		switch pol.Evaluate(r) {
		case policy.Denied:
			return policy.Denied, "with an explicit deny in an identity-based policy", nil
		case policy.Allowed:
			return policy.Allowed, "", nil
		}
		return policy.NotApplicable, "because no identity-based policy allows the " + r.Action + " action", nil
	})
	if sc.keyPolicy != "" {
		if _, err := policy.Parse(sc.keyPolicy, policy.KindResource); err != nil {
			t.Fatalf("key policy: %v", err)
		}
	}
	k := sc.key
	if k == nil {
		k = &keyhold.Key{ARN: keyARNA, Account: acctA, Region: "us-east-1", KeySpec: "SYMMETRIC_DEFAULT",
			KeyUsage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS", CreationDate: time.Unix(1, 0)}
	}
	kk := *k
	kk.Policy = sc.keyPolicy
	caller := sc.caller
	if caller == nil {
		caller = principal(aliceARN)
	}
	in := sc.in
	if in == nil {
		in = &kmsapi.DescribeKeyInput{}
	}
	c := NewCaller(caller, "us-east-1", "req")
	c.SourceIP = sc.ip
	a := &authzCall{c: c, op: strings.TrimPrefix(sc.action, "kms:"), in: in, action: sc.action}
	return s.decide(context.Background(), a, &kk, sc.action, nil)
}

// FuzzDecide: the decision never panics, whatever the key policy.
func FuzzDecide(f *testing.F) {
	f.Add(DefaultKeyPolicy(acctA), "kms:Encrypt", "app", "x")
	f.Add(stmts(allowP("*", `"kms:*"`, `{"ForAnyValue:StringLike":{"kms:EncryptionContextKeys":"*"}}`)), "kms:Decrypt", "", "")
	f.Fuzz(func(t *testing.T, doc, action, k, v string) {
		p, err := policy.Parse(doc, policy.KindResource)
		if err != nil {
			return
		}
		s := New(Config{Store: &authzStore{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		s.EnforceAuthorization(func(context.Context, *keyhold.Principal, *policy.Request) (policy.Decision, string, error) {
			return policy.Allowed, "", nil
		})
		c := NewCaller(principal(aliceARN), "us-east-1", "req")
		a := &authzCall{c: c, op: "Encrypt", in: &kmsapi.EncryptInput{EncryptionContext: map[string]string{k: v}}, action: action}
		key := &keyhold.Key{ARN: keyARNA, Account: acctA, Region: "us-east-1", CreationDate: time.Unix(1, 0)}
		_ = s.decide(context.Background(), a, key, action, p)
	})
}
