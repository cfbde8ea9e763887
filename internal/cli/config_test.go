package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestLoadConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keyhold.yaml")
	if err := os.WriteFile(file, []byte("listen: 127.0.0.1:7000\nadmin_listen: 127.0.0.1:7001\naccount_id: \"123456789012\"\nregions: [eu-west-1]\nlog_format: json\naudit_sync_delay: 5ms\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"KEYHOLD_CONFIG":                     file,
		"KEYHOLD_LISTEN":                     "127.0.0.1:7100", // env beats the file
		"KEYHOLD_LOG_LEVEL":                  "debug",
		"KEYHOLD_ACCOUNT_ID":                 "",
		"KEYHOLD_AUDIT_SYNC_DELAY_IN_FLIGHT": "8",
	}
	getenv := func(k string) string { return env[k] }
	got, err := loadConfig("serve", []string{"--listen", "127.0.0.1:7200", "--regions", "us-east-1, us-west-2"}, false, getenv)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Listen:      "127.0.0.1:7200", // flag beats env
		AdminListen: "127.0.0.1:7001", // file
		Data:        "keyhold-data",   // default
		AccountID:   "123456789012",
		Regions:     []string{"us-east-1", "us-west-2"},
		LogLevel:    "debug",
		LogFormat:   "json",
		// file and env
		AuditSyncDelay:         "5ms",
		AuditSyncDelayInFlight: 8,
	}
	// Unexported fields (the file's path, kept for reloads) are not settings.
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Config{})); diff != "" {
		t.Fatalf("config (-want +got):\n%s", diff)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	got, err := loadConfig("serve", nil, false, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{Listen: "127.0.0.1:4599", AdminListen: "127.0.0.1:4598", Data: "keyhold-data", AccountID: "111122223333", LogLevel: "info", LogFormat: "text",
		AuditSyncDelay: "2ms", AuditSyncDelayInFlight: 16}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Config{})); diff != "" {
		t.Fatalf("defaults (-want +got):\n%s", diff)
	}
	dev, err := loadConfig("dev", nil, true, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if dev.Data != "" {
		t.Errorf("dev data defaults to %q, want a temporary directory (empty)", dev.Data)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	none := func(string) string { return "" }
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("lisen: 127.0.0.1:1\n"), 0o600)
	cases := []struct {
		name string
		dev  bool
		args []string
		want []string // substrings of the error
	}{
		{"bad account", false, []string{"--account-id", "12"}, []string{`account-id: "12" is not a 12-digit account id`}},
		{"bad listen", false, []string{"--listen", "nope"}, []string{`listen: "nope" is not host:port`}},
		{"bad region", false, []string{"--regions", "us-east-1,Mars"}, []string{`regions: "Mars"`}},
		{"bad level and format together", false, []string{"--log-level", "loud", "--log-format", "xml"}, []string{"log-level", "log-format"}},
		{"unknown YAML key", false, []string{"--config", typo}, []string{"lisen"}},
		{"missing config file", false, []string{"--config", filepath.Join(dir, "absent.yaml")}, []string{"reading config file"}},
		{"dev refuses a non-loopback address", true, []string{"--listen", "0.0.0.0:4599"}, []string{"not a loopback address", "--allow-remote"}},
		{"extra argument", false, []string{"oops"}, []string{`unexpected argument "oops"`}},
		{"bad audit sync delay", false, []string{"--audit-sync-delay", "-1ms", "--audit-sync-delay-in-flight", "-3"}, []string{`audit-sync-delay: "-1ms"`, "audit-sync-delay-in-flight: -3"}},
		{"audit sync delay not a duration", false, []string{"--audit-sync-delay", "2"}, []string{`audit-sync-delay: "2" is not a duration`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig("x", tc.args, tc.dev, none)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// 0 turns the audit sync delay off.
	if c, err := loadConfig("serve", []string{"--audit-sync-delay", "0"}, false, none); err != nil || c.AuditSyncDelay != "0" {
		t.Fatalf("--audit-sync-delay 0: %v %+v", err, c)
	}
	// With --allow-remote the same address is accepted.
	c, err := loadConfig("dev", []string{"--listen", "0.0.0.0:4599", "--allow-remote"}, true, none)
	if err != nil || !c.AllowRemote {
		t.Fatalf("--allow-remote: %v %+v", err, c)
	}
	// serve has no --allow-remote.
	if _, err := loadConfig("serve", []string{"--allow-remote"}, false, none); err == nil {
		t.Fatal("serve accepted --allow-remote")
	}
}
