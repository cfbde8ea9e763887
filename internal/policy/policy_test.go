package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	tests := []struct {
		name string
		kind Kind
		doc  string
		msg  string // want a SyntaxError containing this
	}{
		{"not JSON", KindIdentity, `{"Version":`, "Syntax errors in policy."},
		{"trailing garbage", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`) + `x`, "Syntax errors in policy."},
		{"two documents", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`) + `{}`, "Syntax errors in policy."},
		{"array", KindIdentity, `[]`, "Syntax errors in policy."},
		{"string", KindIdentity, `"x"`, "Syntax errors in policy."},
		{"empty", KindIdentity, ``, "Syntax errors in policy."},
		{"invalid UTF-8", KindIdentity, stmt(`{"Sid":"` + "\xff" + `","Effect":"Allow","Action":"*","Resource":"*"}`), "Syntax errors in policy."},
		{"no statement", KindIdentity, `{"Version":"2012-10-17"}`, "Missing required field Statement"},
		{"unknown top-level key", KindIdentity, `{"Version":"2012-10-17","Statement":[],"Extra":1}`, "Syntax errors in policy."},
		{"lower-case key", KindIdentity, `{"version":"2012-10-17","Statement":[]}`, "Syntax errors in policy."},
		{"bad version", KindIdentity, `{"Version":"2012-10-18","Statement":[]}`, "unsupported Version"},
		{"duplicate key", KindIdentity, stmt(`{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}`), "Duplicate key"},
		{"duplicate top key", KindIdentity, `{"Statement":[],"Statement":[]}`, "Duplicate key"},
		{"statement is a string", KindIdentity, `{"Statement":"x"}`, "Syntax errors in policy."},
		{"unknown statement key", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Foo":1}`), "Syntax errors in policy."},
		{"lower-case effect key", KindIdentity, stmt(`{"effect":"Allow","Action":"*","Resource":"*"}`), "Syntax errors in policy."},
		{"no effect", KindIdentity, stmt(`{"Action":"*","Resource":"*"}`), "Missing required field Effect"},
		{"bad effect", KindIdentity, stmt(`{"Effect":"allow","Action":"*","Resource":"*"}`), "Invalid effect"},
		{"no action", KindIdentity, stmt(`{"Effect":"Allow","Resource":"*"}`), "Policy statement must contain actions."},
		{"empty action list", KindIdentity, stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "Policy statement must contain actions."},
		{"Action and NotAction", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","NotAction":"iam:*","Resource":"*"}`), "Syntax errors in policy."},
		{"action without vendor", KindIdentity, stmt(`{"Effect":"Allow","Action":"CreateUser","Resource":"*"}`), "must be prefaced by a vendor"},
		{"action with space", KindIdentity, stmt(`{"Effect":"Allow","Action":"iam:Create User","Resource":"*"}`), "must be prefaced by a vendor"},
		{"action number", KindIdentity, stmt(`{"Effect":"Allow","Action":1,"Resource":"*"}`), "Syntax errors in policy."},
		{"action list with number", KindIdentity, stmt(`{"Effect":"Allow","Action":["iam:*",1],"Resource":"*"}`), "Syntax errors in policy."},
		{"identity without resource", KindIdentity, stmt(`{"Effect":"Allow","Action":"*"}`), "Policy statement must contain resources."},
		{"identity with principal", KindIdentity, stmt(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), "should not specify a principal"},
		{"resource not an ARN", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"bucket"}`), "must be in ARN format"},
		{"Resource and NotResource", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}`), "Syntax errors in policy."},
		{"bad sid", KindIdentity, stmt(`{"Sid":"a b","Effect":"Allow","Action":"*","Resource":"*"}`), "alpha-numeric"},
		{"duplicate sid", KindIdentity, stmt(`{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"*","Resource":"*"}`), "must be unique"},
		{"trust without principal", KindTrust, stmt(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), "invalid principal"},
		{"trust with resource", KindTrust, stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}`), "Has prohibited field Resource"},
		{"principal string not *", KindTrust, stmt(`{"Effect":"Allow","Principal":"alice","Action":"sts:AssumeRole"}`), "Invalid principal"},
		{"principal unknown type", KindTrust, stmt(`{"Effect":"Allow","Principal":{"Person":"x"},"Action":"sts:AssumeRole"}`), "Invalid principal"},
		{"principal empty object", KindTrust, stmt(`{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}`), "Invalid principal"},
		{"principal bad AWS value", KindTrust, stmt(`{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"sts:AssumeRole"}`), "Invalid principal"},
		{"principal wildcard ARN", KindTrust, stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"sts:AssumeRole"}`), "Invalid principal"},
		{"principal short account", KindTrust, stmt(`{"Effect":"Allow","Principal":{"AWS":"1111"},"Action":"sts:AssumeRole"}`), "Invalid principal"},
		{"principal empty list", KindTrust, stmt(`{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}`), "Invalid principal"},
		{"resource policy without principal", KindResource, stmt(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`), "must contain a principal"},
		{"resource policy without resource", KindResource, stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:*"}`), "must contain resources"},
		{"unknown condition operator", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringFuzzy":{"a:b":"c"}}}`), "Invalid Condition type"},
		{"Null with IfExists", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"a:b":"true"}}}`), "Invalid Condition type"},
		{"ForAnyValue:Null", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:Null":{"a:b":"true"}}}`), "Invalid Condition type"},
		{"bad number", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"a:b":"ten"}}}`), "Invalid value"},
		{"NaN", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"a:b":"NaN"}}}`), "Invalid value"},
		{"bad date", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}`), "Invalid value"},
		{"bad bool", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}`), "Invalid value"},
		{"bad ip", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}`), "Invalid value"},
		{"bad base64", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"BinaryEquals":{"a:b":"!!"}}}`), "Invalid value"},
		{"object condition value", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":{"c":"d"}}}}`), "Syntax errors in policy."},
		{"empty condition values", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":[]}}}`), "has no values"},
		{"condition not an object", KindIdentity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":"x"}`), "Syntax errors in policy."},
		{"too deep", KindIdentity, strings.Repeat("[", 40) + strings.Repeat("]", 40), "Syntax errors in policy."},
		{"too large", KindIdentity, `{"Id":"` + strings.Repeat("a", MaxDocumentBytes) + `"}`, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.doc, tt.kind)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse = %+v, %v; want a SyntaxError", p, err)
			}
			if !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", se.Msg, tt.msg)
			}
			if len(se.Msg) > 400 {
				t.Errorf("message is %d bytes long", len(se.Msg))
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
	}{
		{"single statement object, no version", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}`},
		{"whitespace", KindIdentity, " \n{ \"Version\" : \"2012-10-17\" , \"Statement\" : [ ] } \n"},
		{"2008 version and Id", KindIdentity, `{"Version":"2008-10-17","Id":"x","Statement":[]}`},
		{"lists and NotAction/NotResource", KindIdentity, `{"Version":"2012-10-17","Statement":[{"Sid":"A1","Effect":"Deny","NotAction":["iam:Get*","iam:List*"],"NotResource":["arn:aws:iam::*:user/${aws:username}"]}]}`},
		{"trust policy", KindTrust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/a/b","arn:aws:iam::111122223333:role/r","arn:aws:sts::111122223333:assumed-role/r/s"],"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`},
		{"trust NotPrincipal", KindTrust, `{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`},
		{"key policy", KindResource, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`},
		{"conditions of every kind", KindIdentity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"Bool":{"aws:SecureTransport":false},"NumericLessThanEquals":{"a:n":[1,"2.5"]},"DateGreaterThan":{"aws:CurrentTime":["2020-01-01T00:00:00Z","1700000000","2020-01-01"]},
			"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"ForAllValues:StringLikeIfExists":{"aws:TagKeys":"a*"},"Null":{"aws:x":"True"},"BinaryEquals":{"a:b":"aGk="},
			"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.doc, tt.kind); err != nil {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

func mustParse(t testing.TB, doc string, kind Kind) *Policy {
	t.Helper()
	p, err := Parse(doc, kind)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

func TestEvaluateIdentity(t *testing.T) {
	const acct = "111122223333"
	alice := "arn:aws:iam::" + acct + ":user/alice"
	ctx := Context{}
	ctx.Set("aws:username", "alice")
	ctx.Set("aws:PrincipalTag/team", "payments")
	ctx.Set("aws:TagKeys", "env", "team")
	ctx.Set("aws:CurrentTime", "2024-05-06T07:08:09Z")
	ctx.Set("aws:SourceIp", "10.1.2.3")
	ctx.Set("aws:SecureTransport", "false")
	doc := func(stmts string) string { return `{"Version":"2012-10-17","Statement":[` + stmts + `]}` }
	tests := []struct {
		name     string
		policy   string
		action   string
		resource string
		want     Decision
	}{
		{"allow all", doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`), "iam:CreateUser", alice, Allowed},
		{"nothing", doc(``), "iam:CreateUser", alice, NotApplicable},
		{"action case-insensitive", doc(`{"Effect":"Allow","Action":"IAM:createuser","Resource":"*"}`), "iam:CreateUser", alice, Allowed},
		{"action wildcard", doc(`{"Effect":"Allow","Action":"iam:Create*","Resource":"*"}`), "iam:CreateUser", alice, Allowed},
		{"action ?", doc(`{"Effect":"Allow","Action":"iam:?etUser","Resource":"*"}`), "iam:GetUser", alice, Allowed},
		{"other action", doc(`{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}`), "iam:CreateUser", alice, NotApplicable},
		{"other service", doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`), "iam:CreateUser", alice, NotApplicable},
		{"prefix is not a match", doc(`{"Effect":"Allow","Action":"iam:Create","Resource":"*"}`), "iam:CreateUser", alice, NotApplicable},
		{"NotAction", doc(`{"Effect":"Allow","NotAction":"iam:Delete*","Resource":"*"}`), "iam:CreateUser", alice, Allowed},
		{"NotAction excludes", doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`), "iam:CreateUser", alice, NotApplicable},
		{"deny wins", doc(`{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}`), "iam:CreateUser", alice, Denied},
		{"deny first", doc(`{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}`), "iam:CreateUser", alice, Denied},
		{"resource exact", doc(`{"Effect":"Allow","Action":"*","Resource":"` + alice + `"}`), "iam:GetUser", alice, Allowed},
		{"resource case-sensitive", doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::111122223333:user/Alice"}`), "iam:GetUser", alice, NotApplicable},
		{"resource wildcard", doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user/*"}`), "iam:GetUser", alice, Allowed},
		{"resource wildcard stays in its part", doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user"}`), "iam:GetUser", alice, NotApplicable},
		{"resource wildcard in the region part", doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam:*:*:user/alice"}`), "iam:GetUser", alice, Allowed},
		{"short ARN pattern matches as a whole", doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*"}`), "iam:GetUser", alice, Allowed},
		{"resource wildcard in resource part crosses slashes", doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::111122223333:user/*"}`), "iam:GetUser", "arn:aws:iam::111122223333:user/a/b/c", Allowed},
		{"resource other account", doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::444455556666:user/*"}`), "iam:GetUser", alice, NotApplicable},
		{"NotResource", doc(`{"Effect":"Allow","Action":"*","NotResource":"arn:aws:iam::*:role/*"}`), "iam:GetUser", alice, Allowed},
		{"NotResource excludes", doc(`{"Effect":"Allow","Action":"*","NotResource":"arn:aws:iam::*:user/*"}`), "iam:GetUser", alice, NotApplicable},
		{"variable", doc(`{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::*:user/${aws:username}"}`), "iam:CreateAccessKey", alice, Allowed},
		{"variable other user", doc(`{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::*:user/${aws:username}"}`), "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/bob", NotApplicable},
		{"variable key case-insensitive", doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user/${AWS:UserName}"}`), "iam:GetUser", alice, Allowed},
		{"missing variable matches nothing", doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user/${aws:nope}"}`), "iam:GetUser", alice, NotApplicable},
		{"variable default", doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user/${aws:nope, 'alice'}"}`), "iam:GetUser", alice, Allowed},
		{"escaped star is literal", doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user/${*}"}`), "iam:GetUser", alice, NotApplicable},
		{"variables need 2012-10-17", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`, "iam:GetUser", alice, NotApplicable},
		{"StringEquals", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":["x","payments"]}}}`), "iam:GetUser", alice, Allowed},
		{"StringEquals no wildcards", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"pay*"}}}`), "iam:GetUser", alice, NotApplicable},
		{"StringLike", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalTag/team":"pay*"}}}`), "iam:GetUser", alice, Allowed},
		{"StringNotEquals", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"payments"}}}`), "iam:GetUser", alice, NotApplicable},
		{"StringNotEquals of a missing key holds", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:nope":"x"}}}`), "iam:GetUser", alice, Allowed},
		{"StringEquals of a missing key fails", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:nope":"x"}}}`), "iam:GetUser", alice, NotApplicable},
		{"IfExists of a missing key holds", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:nope":"x"}}}`), "iam:GetUser", alice, Allowed},
		{"IfExists of a present key tests", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:username":"bob"}}}`), "iam:GetUser", alice, NotApplicable},
		{"IgnoreCase", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}}`), "iam:GetUser", alice, Allowed},
		{"variable in condition", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"${aws:PrincipalTag/team}"}}}`), "iam:GetUser", alice, Allowed},
		{"all conditions must hold", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"x"}}}`), "iam:GetUser", alice, NotApplicable},
		{"ForAllValues", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team","cost"]}}}`), "iam:TagUser", alice, Allowed},
		{"ForAllValues fails", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}}`), "iam:TagUser", alice, NotApplicable},
		{"ForAllValues of a missing key holds", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:nope":["env"]}}}`), "iam:TagUser", alice, Allowed},
		{"ForAnyValue", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}}`), "iam:TagUser", alice, Allowed},
		{"ForAnyValue of a missing key fails", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:nope":["team"]}}}`), "iam:TagUser", alice, NotApplicable},
		{"ForAnyValue:StringNotEquals", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}}`), "iam:TagUser", alice, Allowed},
		{"multi-valued negated needs none", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:TagKeys":["team"]}}}`), "iam:TagUser", alice, NotApplicable},
		{"Null true on missing", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:nope":"true"}}}`), "iam:GetUser", alice, Allowed},
		{"Null false on present", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:username":"false"}}}`), "iam:GetUser", alice, Allowed},
		{"Null true on present", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:username":"true"}}}`), "iam:GetUser", alice, NotApplicable},
		{"Bool", doc(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}`), "iam:GetUser", alice, Denied},
		{"Date", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}}`), "iam:GetUser", alice, Allowed},
		{"Date epoch", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"1893456000"}}}`), "iam:GetUser", alice, NotApplicable},
		{"Numeric", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericGreaterThan":{"aws:PrincipalTag/team":1}}}`), "iam:GetUser", alice, NotApplicable},
		{"IpAddress", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`), "iam:GetUser", alice, Allowed},
		{"NotIpAddress", doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.1.2.3"}}}`), "iam:GetUser", alice, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.policy, KindIdentity)
			got := p.Evaluate(&Request{Action: tt.action, Resource: tt.resource, Context: ctx})
			if got != tt.want {
				t.Errorf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluateTrust(t *testing.T) {
	const acct, other = "111122223333", "444455556666"
	user := &Principal{Account: acct, ARNs: []string{"arn:aws:iam::" + acct + ":user/alice"}}
	session := &Principal{Account: acct, ARNs: []string{"arn:aws:sts::" + acct + ":assumed-role/ops/s1", "arn:aws:iam::" + acct + ":role/ops"}}
	foreign := &Principal{Account: other, ARNs: []string{"arn:aws:iam::" + other + ":user/alice"}}
	trust := func(principal string) *Policy {
		return mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":`+principal+`,"Action":"sts:AssumeRole"}]}`, KindTrust)
	}
	tests := []struct {
		name   string
		policy *Policy
		who    *Principal
		want   Decision
	}{
		{"star", trust(`"*"`), foreign, Allowed},
		{"AWS star", trust(`{"AWS":"*"}`), foreign, Allowed},
		{"account id", trust(`{"AWS":"` + acct + `"}`), user, Allowed},
		{"account root ARN", trust(`{"AWS":"arn:aws:iam::` + acct + `:root"}`), session, Allowed},
		{"account root ARN, other account", trust(`{"AWS":"arn:aws:iam::` + acct + `:root"}`), foreign, NotApplicable},
		{"user ARN", trust(`{"AWS":"arn:aws:iam::` + acct + `:user/alice"}`), user, Allowed},
		{"user ARN of another account", trust(`{"AWS":"arn:aws:iam::` + acct + `:user/alice"}`), foreign, NotApplicable},
		{"role ARN names its sessions", trust(`{"AWS":"arn:aws:iam::` + acct + `:role/ops"}`), session, Allowed},
		{"session ARN", trust(`{"AWS":["arn:aws:sts::` + acct + `:assumed-role/ops/s1"]}`), session, Allowed},
		{"other session", trust(`{"AWS":["arn:aws:sts::` + acct + `:assumed-role/ops/s2"]}`), session, NotApplicable},
		{"service", trust(`{"Service":"ec2.amazonaws.com"}`), user, NotApplicable},
		{"nil principal", trust(`{"AWS":"*"}`), nil, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::" + acct + ":role/ops", Principal: tt.who}
			if got := tt.policy.Evaluate(r); got != tt.want {
				t.Errorf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
	// NotPrincipal with Deny: everyone but alice is denied.
	p := mustParse(t, `{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::`+acct+`:user/alice"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"`+acct+`"},"Action":"sts:AssumeRole"}]}`, KindTrust)
	if got := p.Evaluate(&Request{Action: "sts:AssumeRole", Principal: user}); got != Allowed {
		t.Errorf("NotPrincipal: alice %v", got)
	}
	if got := p.Evaluate(&Request{Action: "sts:AssumeRole", Principal: session}); got != Denied {
		t.Errorf("NotPrincipal: session %v", got)
	}
	// External id.
	ext := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+other+`"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}}]}`, KindTrust)
	c := Context{}
	if got := ext.Evaluate(&Request{Action: "sts:AssumeRole", Principal: foreign, Context: c}); got != NotApplicable {
		t.Errorf("without external id: %v", got)
	}
	c.Set("sts:ExternalId", "s3cr3t")
	if got := ext.Evaluate(&Request{Action: "sts:AssumeRole", Principal: foreign, Context: c}); got != Allowed {
		t.Errorf("with external id: %v", got)
	}
	if got := p.AWSPrincipals(); len(got) != 2 {
		t.Errorf("AWSPrincipals = %v", got)
	}
}

func TestEvaluateSeveral(t *testing.T) {
	allow := mustParse(t, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, KindIdentity)
	deny := mustParse(t, `{"Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, KindIdentity)
	none := mustParse(t, `{"Statement":[]}`, KindIdentity)
	r := &Request{Action: "iam:GetUser", Resource: "*"}
	for _, tt := range []struct {
		ps   []*Policy
		want Decision
	}{
		{nil, NotApplicable},
		{[]*Policy{none}, NotApplicable},
		{[]*Policy{none, allow}, Allowed},
		{[]*Policy{allow, deny}, Denied},
		{[]*Policy{deny, allow}, Denied},
	} {
		if got := Evaluate(r, tt.ps...); got != tt.want {
			t.Errorf("Evaluate(%d policies) = %v, want %v", len(tt.ps), got, tt.want)
		}
	}
	if Denied.String() != "Denied" || Allowed.String() != "Allowed" || NotApplicable.String() != "NotApplicable" {
		t.Error("Decision.String")
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "a", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"?", "é", true}, // one character, two bytes
		{"*a*a*a*a*a*b", strings.Repeat("a", 200), false},
		{"**", "x", true},
		{"a", "A", false},
	}
	for _, tt := range tests {
		p := compile(tt.pattern, true, false)
		if got := glob(p.lit, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
