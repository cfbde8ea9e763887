package iamapi

import (
	"maps"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

func TestParseForm(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Values // nil: MalformedQueryString
	}{
		{"empty", "", Values{}},
		{"one", "Action=GetUser", Values{"Action": "GetUser"}},
		{"escapes", "a=%7B%22x%22%3A+1%7D&b=c%2Bd", Values{"a": `{"x": 1}`, "b": "c+d"}},
		{"lower-case hex", "a=%7b%7d", Values{"a": "{}"}},
		{"no equals", "Tags&Action=X", Values{"Tags": "", "Action": "X"}},
		{"empty value", "Tags=", Values{"Tags": ""}},
		{"empty segments", "&&a=1&&b=2&", Values{"a": "1", "b": "2"}},
		{"equals in value", "a=b=c", Values{"a": "b=c"}},
		{"utf-8", "a=%C3%A9t%C3%A9", Values{"a": "été"}},
		{"raw utf-8", "a=été", Values{"a": "été"}},
		{"semicolon is data", "a=1;b=2", Values{"a": "1;b=2"}},
		{"bad escape", "a=%zz", nil},
		{"truncated escape", "a=%4", nil},
		{"escape at end", "a=%", nil},
		{"invalid utf-8", "a=%ff", nil},
		{"empty name", "=x", nil},
		{"escaped empty name", "%20=x", Values{" ": "x"}},
		{"duplicate", "a=1&a=2", nil},
		{"duplicate after decoding", "a=1&%61=2", nil},
		{"long name", strings.Repeat("n", 257) + "=1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseForm([]byte(tt.body))
			if tt.want == nil {
				e, ok := keyhold.AsError(err)
				if !ok || e.Code != ErrCodeMalformedQueryString {
					t.Fatalf("ParseForm = %v, %v; want MalformedQueryString", got, err)
				}
				return
			}
			if err != nil || !maps.Equal(got, tt.want) {
				t.Fatalf("ParseForm = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	var b strings.Builder
	for i := range MaxParams + 1 {
		b.WriteString("p")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(itoa(i))
		b.WriteString("=1&")
	}
	if _, err := ParseForm([]byte(b.String())); err == nil {
		t.Errorf("ParseForm accepted %d parameters", MaxParams+1)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}

// FuzzParseForm: ParseForm never panics, fails only with
// MalformedQueryString, and what it parses survives EncodeForm unchanged.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"Action=CreateUser&Version=2010-05-08&UserName=alice&Tags.member.1.Key=team&Tags.member.1.Value=a%20b",
		"a=%7B%22x%22%3A+1%7D&&b",
		"a=%zz",
		"a=1&a=2",
		"%C3%A9=%C3",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := ParseForm(body)
		if err != nil {
			if e, ok := keyhold.AsError(err); !ok || e.Code != ErrCodeMalformedQueryString || len(e.Message) > 400 {
				t.Fatalf("ParseForm error %v", err)
			}
			return
		}
		again, err := ParseForm(EncodeForm(v))
		if err != nil || !maps.Equal(v, again) {
			t.Fatalf("round trip: %q -> %v -> %q -> %v, %v", body, v, EncodeForm(v), again, err)
		}
	})
}

// FuzzDecode sends arbitrary forms through Decode for both services:
// nothing may panic, and every error is an IAM error with a code of the
// Query protocol and a bounded message.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fa%2F&Tags.member.1.Key=team&Tags.member.1.Value=x",
		"Action=ListUsers&MaxItems=0&Marker=",
		"Action=UntagRole&RoleName=r&TagKeys.member.1=a&TagKeys.member.3=c",
		"Action=PutUserPolicy&UserName=a&PolicyName=p&PolicyDocument=%7B%7D",
		"Action=ListPolicies&Scope=Nope&OnlyAttached=maybe",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=s&DurationSeconds=99999999999&PolicyArns.member.1.arn=x&ProvidedContexts.member.1.ProviderArn=p",
		"Action=GetCallerIdentity&Version=2010-05-08",
		"Version=2010-05-08",
		"Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=x&MaxSessionDuration=3599&Tags=",
	} {
		f.Add([]byte(s))
	}
	codes := map[string]bool{ErrCodeMalformedQueryString: true, ErrCodeMissingAction: true, ErrCodeInvalidAction: true, ErrCodeValidationError: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := ParseForm(body)
		if err != nil {
			return
		}
		for _, svc := range []string{ServiceIAM, ServiceSTS, ServiceKeyhold} {
			in, err := Decode(svc, v)
			if err != nil {
				e, ok := keyhold.AsError(err)
				if !ok || !codes[e.Code] {
					t.Fatalf("Decode(%s) error %v", svc, err)
				}
				if len(e.Message) > 16<<10 {
					t.Fatalf("Decode(%s) error message of %d bytes", svc, len(e.Message))
				}
				continue
			}
			if in.OperationName() != v["Action"] {
				t.Fatalf("decoded %s as %s", v["Action"], in.OperationName())
			}
		}
	})
}
