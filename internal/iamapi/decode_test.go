package iamapi

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keyhold/keyhold"
)

func decodeString(t *testing.T, service, body string) (Input, error) {
	t.Helper()
	v, err := ParseForm([]byte(body))
	if err != nil {
		t.Fatalf("ParseForm(%q): %v", body, err)
	}
	return Decode(service, v)
}

func TestDecode(t *testing.T) {
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	tests := []struct {
		name    string
		service string
		body    string
		want    Input
	}{
		{"CreateUser", ServiceIAM, "Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fa%2Fb%2F&Tags.member.1.Key=team&Tags.member.1.Value=pay+ments&Tags.member.2.Key=empty&Tags.member.2.Value=",
			&CreateUserInput{UserName: "alice", Path: str("/a/b/"), Tags: []Tag{{"team", "pay ments"}, {"empty", ""}}}},
		{"no Version is fine", ServiceIAM, "Action=GetUser", &GetUserInput{}},
		{"empty list", ServiceIAM, "Action=CreateUser&UserName=a&Tags=", &CreateUserInput{UserName: "a", Tags: []Tag{}}},
		{"list stops at a gap", ServiceIAM, "Action=UntagUser&UserName=a&TagKeys.member.1=x&TagKeys.member.3=z",
			&UntagUserInput{UserName: "a", TagKeys: []string{"x"}}},
		{"paging", ServiceIAM, "Action=ListRoles&MaxItems=5&Marker=abc&PathPrefix=%2F",
			&ListRolesInput{PathPrefix: str("/"), Paging: Paging{Marker: str("abc"), MaxItems: num(5)}}},
		{"role policy", ServiceIAM, "Action=PutRolePolicy&RoleName=r&PolicyName=p&PolicyDocument=%7B%7D",
			&PutEntityPolicyInput{Entity: EntityRole, EntityName: "r", PolicyName: "p", PolicyDocument: "{}"}},
		{"ListPolicies", ServiceIAM, "Action=ListPolicies&Scope=Local&OnlyAttached=true",
			&ListPoliciesInput{Scope: str("Local"), OnlyAttached: true}},
		{"AssumeRole", ServiceSTS, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=s1&DurationSeconds=900&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnly&ExternalId=ext-1&TransitiveTagKeys.member.1=k&Tags.member.1.Key=k&Tags.member.1.Value=v",
			&AssumeRoleInput{RoleArn: "arn:aws:iam::111122223333:role/r", RoleSessionName: "s1", DurationSeconds: num(900),
				PolicyArns: []string{"arn:aws:iam::aws:policy/ReadOnly"}, ExternalID: str("ext-1"),
				TransitiveTagKeys: []string{"k"}, Tags: []Tag{{"k", "v"}}}},
		{"GetCallerIdentity", ServiceSTS, "Action=GetCallerIdentity&Version=2011-06-15", &GetCallerIdentityInput{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeString(t, tt.service, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name          string
		service, body string
		code, msg     string
	}{
		{"no action", ServiceIAM, "Version=2010-05-08", ErrCodeMissingAction, "Missing Action"},
		{"unknown action", ServiceIAM, "Action=CreateGroup&Version=2010-05-08", ErrCodeInvalidAction, "Could not find operation CreateGroup for version 2010-05-08"},
		{"other service's action", ServiceIAM, "Action=AssumeRole", ErrCodeInvalidAction, "Could not find operation AssumeRole for version 2010-05-08"},
		{"wrong version", ServiceSTS, "Action=GetCallerIdentity&Version=2010-05-08", ErrCodeInvalidAction, "Could not find operation GetCallerIdentity for version 2010-05-08"},
		{"required", ServiceIAM, "Action=CreateUser", ErrCodeValidationError,
			"1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		{"pattern", ServiceIAM, "Action=CreateUser&UserName=a+b", ErrCodeValidationError,
			`1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"too long", ServiceIAM, "Action=CreateUser&UserName=" + strings.Repeat("a", 65), ErrCodeValidationError,
			"1 validation error detected: Value '" + strings.Repeat("a", 65) + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"bad path", ServiceIAM, "Action=CreateUser&UserName=a&Path=a%2F", ErrCodeValidationError,
			`1 validation error detected: Value 'a/' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`},
		{"two faults", ServiceIAM, "Action=ListUsers&MaxItems=0&Marker=", ErrCodeValidationError,
			"2 validation errors detected: Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"not an integer", ServiceIAM, "Action=ListUsers&MaxItems=ten", ErrCodeValidationError,
			"1 validation error detected: Value 'ten' at 'maxItems' failed to satisfy constraint: Member must be an integer"},
		{"enum", ServiceIAM, "Action=UpdateAccessKey&AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=On", ErrCodeValidationError,
			"1 validation error detected: Value 'On' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"},
		{"bool", ServiceIAM, "Action=ListPolicies&OnlyAttached=yes", ErrCodeValidationError,
			"1 validation error detected: Value 'yes' at 'onlyAttached' failed to satisfy constraint: Member must be true or false"},
		{"tag key", ServiceIAM, "Action=TagUser&UserName=a&Tags.member.1.Key=a*b&Tags.member.1.Value=x", ErrCodeValidationError,
			`1 validation error detected: Value 'a*b' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
		{"tag without value", ServiceIAM, "Action=TagUser&UserName=a&Tags.member.1.Key=k", ErrCodeValidationError,
			"1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"},
		{"too many tags", ServiceIAM, "Action=TagUser&UserName=a" + manyTags(51), ErrCodeValidationError,
			"1 validation error detected: Value '51 items' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"duration", ServiceSTS, "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=s1&DurationSeconds=899", ErrCodeValidationError,
			"1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"session name", ServiceSTS, "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=a+b", ErrCodeValidationError,
			`1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"policy arn", ServiceSTS, "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=ab&PolicyArns.member.1.arn=short", ErrCodeValidationError,
			"1 validation error detected: Value 'short' at 'policyArns.1.member.arn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := decodeString(t, tt.service, tt.body)
			e, ok := keyhold.AsError(err)
			if !ok {
				t.Fatalf("Decode = %+v, %v; want %s", in, err, tt.code)
			}
			if e.Code != tt.code || e.Message != tt.msg {
				t.Errorf("got %s %q\nwant %s %q", e.Code, e.Message, tt.code, tt.msg)
			}
		})
	}
	// A huge value is echoed only in part.
	_, err := decodeString(t, ServiceIAM, "Action=CreateUser&UserName="+strings.Repeat("a", 10000))
	if e, _ := keyhold.AsError(err); e == nil || len(e.Message) > 400 {
		t.Errorf("error for a huge value: %v", err)
	}
}

func manyTags(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("&Tags.member." + itoa(i) + ".Key=k" + itoa(i) + "&Tags.member." + itoa(i) + ".Value=v")
	}
	return b.String()
}

func TestMarshalResponse(t *testing.T) {
	created := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("X", 3600))
	out := &GetRoleOutput{Role: Role{
		Path: "/", RoleName: "r", RoleID: "AROAEXAMPLE", Arn: "arn:aws:iam::111122223333:role/r",
		CreateDate: Timestamp(created), AssumeRolePolicyDocument: ptr(PolicyDocument(`{"a": "b<&>"}`)),
		Tags: []Tag{{"k", "v&"}}, MaxSessionDuration: 3600,
	}}
	b, err := MarshalResponse(ServiceIAM, "GetRole", "req-1", out)
	if err != nil {
		t.Fatal(err)
	}
	want := xml.Header + `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>` +
		`<Path>/</Path><RoleName>r</RoleName><RoleId>AROAEXAMPLE</RoleId><Arn>arn:aws:iam::111122223333:role/r</Arn>` +
		`<CreateDate>2024-05-06T06:08:09Z</CreateDate><AssumeRolePolicyDocument>%7B%22a%22%3A%20%22b%3C%26%3E%22%7D</AssumeRolePolicyDocument>` +
		`<MaxSessionDuration>3600</MaxSessionDuration><Tags><member><Key>k</Key><Value>v&amp;</Value></member></Tags></Role></GetRoleResult>` +
		`<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetRoleResponse>`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	b, err = MarshalResponse(ServiceSTS, "DeleteUser", "r<2>", nil)
	if err != nil || !strings.Contains(string(b), `<DeleteUserResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><ResponseMetadata><RequestId>r&lt;2&gt;</RequestId>`) {
		t.Errorf("no-output response: %s %v", b, err)
	}
	e := MarshalError(ServiceIAM, ErrCodeNoSuchEntity, "The user with name <x> cannot be found.", "req-2", true)
	wantErr := xml.Header + `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>` +
		`<Code>NoSuchEntity</Code><Message>The user with name &lt;x&gt; cannot be found.</Message></Error><RequestId>req-2</RequestId></ErrorResponse>`
	if string(e) != wantErr {
		t.Errorf("got\n%s\nwant\n%s", e, wantErr)
	}
	if e := MarshalError(ServiceSTS, "InternalFailure", "x\x00y", "r", false); !strings.Contains(string(e), "<Type>Receiver</Type>") {
		t.Errorf("server fault: %s", e)
	}
}

func ptr[T any](v T) *T { return &v }

func TestManyFaultsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("Action=UntagUser&UserName=a")
	for i := 1; i <= 900; i++ {
		b.WriteString("&TagKeys.member." + itoa(i) + "=" + strings.Repeat("%2A", 128))
	}
	_, err := decodeString(t, ServiceIAM, b.String())
	e, ok := keyhold.AsError(err)
	if !ok || e.Code != ErrCodeValidationError || !strings.HasPrefix(e.Message, "901 validation errors detected: ") || len(e.Message) > 4000 {
		t.Fatalf("%v (%d bytes)", err, len(e.Message))
	}
}
