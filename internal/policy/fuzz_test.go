package policy

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary documents to Parse as every kind of policy and
// evaluates whatever parses. Parse may only fail with a *SyntaxError with a
// bounded message; evaluation must not panic and must be deterministic;
// adding a deny-everything policy must always give Denied.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		`{"Statement":{"Effect":"Deny","NotAction":["iam:Get*"],"NotResource":"arn:aws:iam::*:user/${aws:username}"}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:sts::111122223333:assumed-role/r/s"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*","?b"]},"Null":{"x:y":true},"NumericLessThan":{"a:n":1e3},"IpAddress":{"aws:SourceIp":"::1/128"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}],"Statement":[]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::*:user/${aws:nope, 'd'}${*}${"}]}`,
		`[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]`,
		`{"Version":`,
	}
	for i, s := range seeds {
		f.Add(s, uint8(i%3))
	}
	deny := mustParse(f, `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, KindIdentity)
	ctx := Context{}
	ctx.Set("aws:username", "alice")
	ctx.Set("aws:TagKeys", "a", "b")
	ctx.Set("aws:CurrentTime", "2024-01-01T00:00:00Z")
	ctx.Set("aws:SourceIp", "127.0.0.1")
	ctx.Set("sts:ExternalId", "x")
	requests := []*Request{
		{Action: "iam:CreateUser", Resource: "arn:aws:iam::111122223333:user/alice", Context: ctx},
		{Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/r", Context: ctx,
			Principal: &Principal{Account: "111122223333", ARNs: []string{"arn:aws:iam::111122223333:user/alice"}}},
		{Action: "", Resource: "", Context: nil},
	}
	f.Fuzz(func(t *testing.T, doc string, kind uint8) {
		p, err := Parse(doc, Kind(kind%3))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse error is not a SyntaxError: %T %v", err, err)
			}
			if len(se.Msg) > 512 {
				t.Fatalf("error message of %d bytes", len(se.Msg))
			}
			return
		}
		for _, r := range requests {
			d1 := p.Evaluate(r)
			if d2 := p.Evaluate(r); d1 != d2 {
				t.Fatalf("Evaluate is not deterministic: %v then %v", d1, d2)
			}
			if d := Evaluate(r, p, deny); d != Denied {
				t.Fatalf("with a deny-all policy: %v", d)
			}
		}
	})
}
