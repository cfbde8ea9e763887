package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAWSCLIIdentity runs the identity flow with the real AWS CLI, the
// endpoints from AWS_ENDPOINT_URL_IAM / _STS / _KMS: the admin (the
// credentials file keyhold wrote) creates a user, a policy and an access
// key; the user assumes a role; the role session encrypts with KMS;
// deactivating the key stops it.
func TestAWSCLIIdentity(t *testing.T) {
	awsBin := awsCLI(t)
	data := filepath.Join(t.TempDir(), "keyhold-data")
	ts := startServer(t, "serve", data)
	base := []string{
		"AWS_ENDPOINT_URL_IAM=http://" + ts.API,
		"AWS_ENDPOINT_URL_STS=http://" + ts.API,
		"AWS_ENDPOINT_URL_KMS=http://" + ts.API,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"),
		"AWS_PAGER=",
	}
	clean := func() []string {
		var env []string
		for _, e := range os.Environ() {
			if k, _, _ := strings.Cut(e, "="); strings.HasPrefix(k, "AWS_") {
				continue
			}
			env = append(env, e)
		}
		return append(env, base...)
	}
	adminEnv := append(clean(), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(data, "credentials"), "AWS_PROFILE=keyhold")
	as := func(id, secret, token string) []string {
		env := append(clean(), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(t.TempDir(), "none"),
			"AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret)
		if token != "" {
			env = append(env, "AWS_SESSION_TOKEN="+token)
		}
		return env
	}
	run := func(env []string, wantFail bool, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(awsBin, append(args, "--output", "json")...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if wantFail {
			if err == nil {
				t.Fatalf("aws %v succeeded: %s", args, out)
			}
			return stderr.Bytes()
		}
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, stderr.Bytes())
		}
		return out
	}
	decode := func(b []byte, v any) {
		t.Helper()
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
	}

	var who struct{ Arn, Account, UserId string }
	decode(run(adminEnv, false, "sts", "get-caller-identity"), &who)
	if who.Arn != "arn:aws:iam::"+acct+":user/keyhold-admin" {
		t.Fatalf("admin: %+v", who)
	}
	var cu struct {
		User struct{ UserName, Arn string }
	}
	decode(run(adminEnv, false, "iam", "create-user", "--user-name", "cli-user", "--tags", "Key=team,Value=ops"), &cu)
	if cu.User.Arn != "arn:aws:iam::"+acct+":user/cli-user" {
		t.Fatalf("create-user: %+v", cu)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`
	run(adminEnv, false, "iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "assume", "--policy-document", policy)
	// The CLI decodes IAM's percent-encoded documents into JSON.
	var gp struct{ PolicyDocument map[string]any }
	decode(run(adminEnv, false, "iam", "get-user-policy", "--user-name", "cli-user", "--policy-name", "assume"), &gp)
	if gp.PolicyDocument["Version"] != "2012-10-17" {
		t.Fatalf("get-user-policy: %+v", gp)
	}
	var ck struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey, Status string }
	}
	decode(run(adminEnv, false, "iam", "create-access-key", "--user-name", "cli-user"), &ck)
	user := as(ck.AccessKey.AccessKeyId, ck.AccessKey.SecretAccessKey, "")
	decode(run(user, false, "sts", "get-caller-identity"), &who)
	if who.Arn != cu.User.Arn {
		t.Fatalf("user: %+v", who)
	}
	if msg := run(user, true, "iam", "create-user", "--user-name", "nope"); !bytes.Contains(msg, []byte("(AccessDenied)")) ||
		!bytes.Contains(msg, []byte("is not authorized to perform: iam:CreateUser")) {
		t.Fatalf("create-user as the user: %s", msg)
	}

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"sts:AssumeRole"}]}`
	var cr struct{ Role struct{ Arn string } }
	decode(run(adminEnv, false, "iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", trust), &cr)
	run(adminEnv, false, "iam", "put-role-policy", "--role-name", "cli-role", "--policy-name", "kms", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)
	var ar struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		AssumedRoleUser struct{ Arn string }
	}
	decode(run(user, false, "sts", "assume-role", "--role-arn", cr.Role.Arn, "--role-session-name", "cli-session", "--duration-seconds", "900"), &ar)
	if ar.AssumedRoleUser.Arn != "arn:aws:sts::"+acct+":assumed-role/cli-role/cli-session" || !strings.HasPrefix(ar.Credentials.AccessKeyId, "ASIA") {
		t.Fatalf("assume-role: %+v", ar)
	}
	session := as(ar.Credentials.AccessKeyId, ar.Credentials.SecretAccessKey, ar.Credentials.SessionToken)
	decode(run(session, false, "sts", "get-caller-identity"), &who)
	if who.Arn != ar.AssumedRoleUser.Arn {
		t.Fatalf("session: %+v", who)
	}
	var key struct{ KeyMetadata struct{ KeyId string } }
	decode(run(session, false, "kms", "create-key", "--description", "from a role session"), &key)
	run(session, false, "kms", "encrypt", "--key-id", key.KeyMetadata.KeyId, "--plaintext", "aGVsbG8=")

	// Deactivating the key stops it.
	run(adminEnv, false, "iam", "update-access-key", "--user-name", "cli-user", "--access-key-id", ck.AccessKey.AccessKeyId, "--status", "Inactive")
	if msg := run(user, true, "sts", "get-caller-identity"); !bytes.Contains(msg, []byte("(InvalidClientTokenId)")) {
		t.Fatalf("inactive key: %s", msg)
	}
	var lk struct{ AccessKeyMetadata []struct{ Status string } }
	decode(run(adminEnv, false, "iam", "list-access-keys", "--user-name", "cli-user"), &lk)
	if len(lk.AccessKeyMetadata) != 1 || lk.AccessKeyMetadata[0].Status != "Inactive" {
		t.Fatalf("list-access-keys: %+v", lk)
	}
	var lu struct{ Users []struct{ UserName string } }
	decode(run(adminEnv, false, "iam", "list-users"), &lu)
	if len(lu.Users) != 2 {
		t.Fatalf("list-users: %+v", lu)
	}
}
