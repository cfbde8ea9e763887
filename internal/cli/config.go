package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/store/sqlite"
)

// Config is keyhold's configuration. Precedence, highest first: command-line
// flags, KEYHOLD_* environment variables, the YAML file named by --config
// (or KEYHOLD_CONFIG), defaults. The zero value of every field is replaced
// by a safe default. docs/configuration.md lists every setting.
type Config struct {
	// Listen is the address of the KMS API listener.
	Listen string `yaml:"listen"`
	// AdminListen is the address of the admin listener (/healthz, /readyz).
	AdminListen string `yaml:"admin_listen"`
	// Data is the data directory (created 0700).
	Data string `yaml:"data"`
	// AccountID is the account created on first start.
	AccountID string `yaml:"account_id"`
	// Regions restricts the regions served; empty means any region.
	Regions []string `yaml:"regions"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`
	// AllowRemote lets `keyhold dev` listen on a non-loopback address.
	AllowRemote bool `yaml:"allow_remote"`
	// NoAudit turns the audit trail off; only `keyhold dev` accepts it.
	NoAudit bool `yaml:"-"`
	// AuditStdout also writes every audit record to standard output.
	AuditStdout bool `yaml:"audit_stdout"`
	// AuditFailOpenReads keeps serving read-only KMS calls while the audit
	// log cannot be written (docs/audit.md).
	AuditFailOpenReads bool `yaml:"audit_fail_open_reads"`
	// AuditSyncDelay is how long the audit writer may wait for more events
	// before an fsync while the server is busy (a duration; "0" turns it
	// off; default 2ms; docs/audit.md).
	AuditSyncDelay string `yaml:"audit_sync_delay"`
	// AuditSyncDelayInFlight is how many requests in flight make the server
	// busy for AuditSyncDelay (default 16).
	AuditSyncDelayInFlight int `yaml:"audit_sync_delay_in_flight"`
	// XKS configures the XKS proxy and client (xks.go).
	XKS XKSConfig `yaml:"xks"`

	// source is the configuration file read, "" for none (for reloads).
	source string
	// wrapStore, if set, wraps the store the KMS service uses (keyhold
	// bench seed batches CreateKey through it); never set by serve or dev.
	wrapStore func(*sqlite.Store) keyhold.Store
}

const (
	defaultListen      = "127.0.0.1:4599"
	defaultAdminListen = "127.0.0.1:4598"
	defaultData        = "keyhold-data"
	// The audit writer's wait for fuller fsyncs while busy (docs/audit.md).
	defaultAuditSyncDelay         = "2ms"
	defaultAuditSyncDelayInFlight = 16
	defaultAccountID              = "111122223333"
)

// setting describes one configuration setting for flags and environment.
type setting struct {
	name    string // flag name; env is KEYHOLD_ + upper(name with - → _)
	usage   string
	set     func(c *Config, v string) error
	boolean bool // a flag without a value
}

func settings(dev bool) []setting {
	s := []setting{
		{name: "listen", usage: "address of the KMS API listener (default " + defaultListen + ")", set: func(c *Config, v string) error { c.Listen = v; return nil }},
		{name: "admin-listen", usage: "address of the admin listener serving /healthz and /readyz (default " + defaultAdminListen + ")", set: func(c *Config, v string) error { c.AdminListen = v; return nil }},
		{name: "data", usage: "data directory (default ./" + defaultData + "; for dev a temporary directory)", set: func(c *Config, v string) error { c.Data = v; return nil }},
		{name: "account-id", usage: "12-digit account id created on first start (default " + defaultAccountID + ")", set: func(c *Config, v string) error { c.AccountID = v; return nil }},
		{name: "regions", usage: "comma-separated regions to serve (default: any)", set: func(c *Config, v string) error { c.Regions = splitList(v); return nil }},
		{name: "log-level", usage: "log level: debug, info, warn, error (default info)", set: func(c *Config, v string) error { c.LogLevel = v; return nil }},
		{name: "log-format", usage: "log format: text or json (default text)", set: func(c *Config, v string) error { c.LogFormat = v; return nil }},
		{name: "xks-listen", usage: "address of the XKS proxy listener (default: none; TLS required outside loopback, see docs/xks.md)", set: func(c *Config, v string) error { c.XKS.Listen = v; return nil }},
		boolSetting("audit-stdout", "also write every audit record to standard output (for container log collectors)", func(c *Config, b bool) { c.AuditStdout = b }),
		{name: "audit-sync-delay", usage: "while the server is busy, how long the audit writer may wait for more events before an fsync: fewer, fuller fsyncs leave more CPU for requests (default " + defaultAuditSyncDelay + "; 0: off)", set: func(c *Config, v string) error { c.AuditSyncDelay = v; return nil }},
		{name: "audit-sync-delay-in-flight", usage: "requests in flight from which the server counts as busy for --audit-sync-delay (default " + strconv.Itoa(defaultAuditSyncDelayInFlight) + ")", set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("audit-sync-delay-in-flight: %q is not a number", v)
			}
			c.AuditSyncDelayInFlight = n
			return nil
		}},
		boolSetting("audit-fail-open-reads", "keep serving read-only KMS calls while the audit log cannot be written (default: refuse every call)", func(c *Config, b bool) { c.AuditFailOpenReads = b }),
	}
	if dev {
		s = append(s, boolSetting("allow-remote", "let dev listen on a non-loopback address (no authentication: never on a shared network)", func(c *Config, b bool) { c.AllowRemote = b }),
			boolSetting("no-audit", "dev only: do not write the audit trail (to measure what auditing costs)", func(c *Config, b bool) { c.NoAudit = b }))
	}
	return s
}

// boolSetting is a true/false setting (a flag without a value).
func boolSetting(name, usage string, set func(*Config, bool)) setting {
	return setting{name: name, usage: usage, boolean: true, set: func(c *Config, v string) error {
		switch strings.ToLower(v) {
		case "1", "true", "yes", "on":
			set(c, true)
		case "0", "false", "no", "off", "":
			set(c, false)
		default:
			return fmt.Errorf("%s: %q is not a boolean", name, v)
		}
		return nil
	}}
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func envName(flagName string) string {
	return "KEYHOLD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// loadConfig parses args for the subcommand and returns the merged
// configuration.
func loadConfig(name string, args []string, dev bool, getenv func(string) string) (*Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	configPath := fs.String("config", "", "YAML configuration file (env KEYHOLD_CONFIG)")
	sets := settings(dev)
	for _, s := range sets {
		usage := s.usage + " (env " + envName(s.name) + ")"
		if s.boolean {
			fs.Bool(s.name, false, usage)
			continue
		}
		fs.String(s.name, "", usage)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: keyhold %s [flags]\n\nFlags:\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q; see keyhold %s -h", fs.Arg(0), name)
	}

	c := &Config{}
	path := *configPath
	if path == "" {
		path = getenv("KEYHOLD_CONFIG")
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading config file: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
		c.source = path
	}
	for _, s := range sets {
		if v := getenv(envName(s.name)); v != "" {
			if err := s.set(c, v); err != nil {
				return nil, fmt.Errorf("%s: %w", envName(s.name), err)
			}
		}
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	for _, s := range sets {
		if !explicit[s.name] {
			continue
		}
		if err := s.set(c, fs.Lookup(s.name).Value.String()); err != nil {
			return nil, err
		}
	}
	c.applyDefaults(dev)
	return c, c.Validate(dev)
}

func (c *Config) applyDefaults(dev bool) {
	if c.Listen == "" {
		c.Listen = defaultListen
	}
	if c.AdminListen == "" {
		c.AdminListen = defaultAdminListen
	}
	if c.Data == "" && !dev {
		c.Data = defaultData
	}
	if c.AccountID == "" {
		c.AccountID = defaultAccountID
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.AuditSyncDelay == "" {
		c.AuditSyncDelay = defaultAuditSyncDelay
	}
	if c.AuditSyncDelayInFlight == 0 {
		c.AuditSyncDelayInFlight = defaultAuditSyncDelayInFlight
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)

// Validate says exactly what is wrong with the configuration.
func (c *Config) Validate(dev bool) error {
	var errs []error
	for _, a := range []struct{ name, v string }{{"listen", c.Listen}, {"admin-listen", c.AdminListen}} {
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", a.name, a.v))
		}
	}
	if !keyhold.IsAccountID(c.AccountID) {
		errs = append(errs, fmt.Errorf("account-id: %q is not a 12-digit account id", c.AccountID))
	}
	for _, r := range c.Regions {
		if !regionRE.MatchString(r) {
			errs = append(errs, fmt.Errorf("regions: %q is not a region name like us-east-1", r))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level: %q is not one of debug, info, warn, error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log-format: %q is not text or json", c.LogFormat))
	}
	if dev && !c.AllowRemote {
		if !isLoopback(c.Listen) {
			errs = append(errs, fmt.Errorf("listen: %q is not a loopback address; keyhold dev accepts any credentials, so it listens only on loopback unless --allow-remote is given", c.Listen))
		}
	}
	if d, err := time.ParseDuration(c.AuditSyncDelay); err != nil || d < 0 || d > time.Second {
		errs = append(errs, fmt.Errorf("audit-sync-delay: %q is not a duration from 0 to 1s, like 2ms", c.AuditSyncDelay))
	}
	if c.AuditSyncDelayInFlight < 1 {
		errs = append(errs, fmt.Errorf("audit-sync-delay-in-flight: %d is not a positive number", c.AuditSyncDelayInFlight))
	}
	errs = append(errs, c.XKS.validate()...)
	return errors.Join(errs...)
}

// isLoopback reports whether the listen address binds only loopback.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
