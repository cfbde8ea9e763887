package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/keyhold/keyhold/internal/sigv4"
)

func TestParseCredentialsFile(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]map[string]string
		wantErr string
	}{
		{
			name: "keyhold's own file",
			in:   "[keyhold]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = c2VjcmV0/+x=\n",
			want: map[string]map[string]string{"keyhold": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "c2VjcmV0/+x="}},
		},
		{
			name: "comments, blank lines, spacing, case, CRLF and a BOM",
			in: "\uFEFF# comment\r\n; another\r\n\r\n[ default ]\r\nAWS_Access_Key_ID=A1\r\n\taws_secret_access_key   =   s1  \r\n" +
				"aws_session_token = tok\r\n",
			want: map[string]map[string]string{"default": {"aws_access_key_id": "A1", "aws_session_token": "tok"}},
		},
		{
			name: "several profiles, nested settings skipped, later values win",
			in: "[default]\naws_access_key_id = A1\naws_secret_access_key = s1\ns3 =\n  max_concurrent_requests = 20\n" +
				"[other]\naws_access_key_id = A2\n[default]\naws_access_key_id = A3\n",
			want: map[string]map[string]string{
				"default": {"aws_access_key_id": "A3", "aws_secret_access_key": "s1", "s3": ""},
				"other":   {"aws_access_key_id": "A2"},
			},
		},
		{name: "empty file", in: "", want: map[string]map[string]string{}},
		{name: "setting before a section", in: "aws_access_key_id = A\n", wantErr: "line 1: setting before the first [section]"},
		{name: "unclosed section", in: "[default\n", wantErr: "line 1: section header without a closing ]"},
		{name: "empty section name", in: "[ ]\n", wantErr: "line 1: empty section name"},
		{name: "not key = value", in: "[default]\naws_secret_access_key SECRETVALUE\n", wantErr: "line 2: not a section"},
		{name: "setting without a name", in: "[default]\n= x\n", wantErr: "line 2: setting without a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCredentialsFile(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "SECRETVALUE") {
					t.Fatalf("error %q echoes the file's content", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "credentials")
	err := os.WriteFile(file, []byte("[default]\naws_access_key_id = DEFAULTID\naws_secret_access_key = defaultsecret\n"+
		"[keyhold]\naws_access_key_id = KEYHOLDID\naws_secret_access_key = keyholdsecret\naws_session_token = keyholdtoken\n"+
		"[broken]\naws_access_key_id = ONLYID\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte("[default]\naws_access_key_id = HOMEID\naws_secret_access_key = homesecret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	envKeys := map[string]string{"AWS_ACCESS_KEY_ID": "ENVID", "AWS_SECRET_ACCESS_KEY": "envsecret"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name       string
		env        map[string]string
		profile    string
		want       sigv4.Credentials
		wantSource string
		wantErr    string
	}{
		{"environment", envKeys, "", sigv4.Credentials{AccessKeyID: "ENVID", SecretAccessKey: "envsecret"}, "environment", ""},
		{"environment with a session token", with(envKeys, "AWS_SESSION_TOKEN", "t"), "",
			sigv4.Credentials{AccessKeyID: "ENVID", SecretAccessKey: "envsecret", SessionToken: "t"}, "environment", ""},
		{"environment beats AWS_PROFILE", with(envKeys, "AWS_SHARED_CREDENTIALS_FILE", file, "AWS_PROFILE", "keyhold"), "",
			sigv4.Credentials{AccessKeyID: "ENVID", SecretAccessKey: "envsecret"}, "environment", ""},
		{"--profile beats the environment", with(envKeys, "AWS_SHARED_CREDENTIALS_FILE", file), "keyhold",
			sigv4.Credentials{AccessKeyID: "KEYHOLDID", SecretAccessKey: "keyholdsecret", SessionToken: "keyholdtoken"}, "profile keyhold of " + file, ""},
		{"AWS_PROFILE", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "keyhold"}, "",
			sigv4.Credentials{AccessKeyID: "KEYHOLDID", SecretAccessKey: "keyholdsecret", SessionToken: "keyholdtoken"}, "profile keyhold", ""},
		{"default profile", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": file}, "",
			sigv4.Credentials{AccessKeyID: "DEFAULTID", SecretAccessKey: "defaultsecret"}, "profile default", ""},
		{"~/.aws/credentials", map[string]string{"HOME": home}, "",
			sigv4.Credentials{AccessKeyID: "HOMEID", SecretAccessKey: "homesecret"}, filepath.Join(home, ".aws", "credentials"), ""},
		{"only the key id in the environment", map[string]string{"AWS_ACCESS_KEY_ID": "X", "AWS_SHARED_CREDENTIALS_FILE": file}, "",
			sigv4.Credentials{}, "", "only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		{"unknown profile", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": file}, "nope", sigv4.Credentials{}, "", `profile "nope" is not in`},
		{"incomplete profile", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": file}, "broken", sigv4.Credentials{}, "", "lacks aws_access_key_id or aws_secret_access_key"},
		{"missing file", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none")}, "", sigv4.Credentials{}, "", "does not exist"},
		{"nothing at all", nil, "", sigv4.Credentials{}, "", "no credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, source, err := LoadCredentials(CredentialsSource{Getenv: func(k string) string { return tt.env[k] }, Profile: tt.profile})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("credentials = %+v, want %+v", got, tt.want)
			}
			if !strings.Contains(source, tt.wantSource) {
				t.Errorf("source = %q, want one containing %q", source, tt.wantSource)
			}
			if strings.Contains(source, got.SecretAccessKey) {
				t.Errorf("source %q shows the secret", source)
			}
		})
	}
}

func FuzzParseCredentialsFile(f *testing.F) {
	f.Add("[default]\naws_access_key_id = A\naws_secret_access_key = s\n")
	f.Add("# c\n[a]\nk=v\n  nested = 1\n[b\n")
	f.Fuzz(func(t *testing.T, s string) {
		profiles, err := ParseCredentialsFile(strings.NewReader(s))
		if err != nil {
			return
		}
		for name, p := range profiles {
			if name == "" || strings.TrimSpace(name) != name {
				t.Fatalf("profile name %q", name)
			}
			for k := range p {
				if k == "" || k != strings.ToLower(k) {
					t.Fatalf("key %q", k)
				}
			}
		}
	})
}
