package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keyhold/keyhold/internal/audit"
)

// auditDir is the audit directory inside a data directory.
const auditDir = "audit"

func runAudit(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(env.Stderr, "Usage: keyhold audit <verify|lookup> [flags]\n\n"+
			"  verify [DIR]   check the audit trail's hash chain, digests and signatures\n"+
			"  lookup         find audit events by time, key, principal, event name, error code\n")
		if len(args) == 0 {
			return errors.New("missing subcommand")
		}
		return nil
	}
	switch args[0] {
	case "verify":
		return runAuditVerify(args[1:], env)
	case "lookup":
		return runAuditLookup(args[1:], env)
	}
	return fmt.Errorf("unknown subcommand %q; use verify or lookup", args[0])
}

// errVerifyFailed makes `keyhold audit verify` exit non-zero after it has
// printed what is wrong.
var errVerifyFailed = errors.New("the audit trail is damaged (see above)")

func runAuditVerify(args []string, env *Env) error {
	fs := newFlagSet("audit verify", env)
	data := fs.String("data", defaultData, "data directory whose audit trail to verify (ignored when DIR is given)")
	pub := fs.String("public-key", "", "audit public key PEM to verify against (default DIR/"+audit.PublicKeyFile+"; use a copy kept elsewhere)")
	output := fs.String("output", "text", "text or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: keyhold audit verify [flags] [DIR]")
		fs.PrintDefaults()
	}
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	dir := filepath.Join(*data, auditDir)
	if fs.NArg() > 0 {
		dir = fs.Arg(0)
	}
	keyPath := *pub
	if keyPath == "" {
		keyPath = filepath.Join(dir, audit.PublicKeyFile)
	}
	pem, err := os.ReadFile(keyPath)
	if err != nil {
		return fmt.Errorf("reading the audit public key: %w (give it with --public-key)", err)
	}
	r, err := audit.Verify(dir, pem)
	if err != nil {
		return err
	}
	if *output == "json" {
		b, _ := json.MarshalIndent(struct {
			OK bool `json:"ok"`
			*audit.Report
		}{r.OK(), r}, "", "  ")
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		fmt.Fprintf(env.Stdout, "%d files, %d records, %d digests\n", r.Files, r.Records, r.Digests)
		for _, p := range r.Problems {
			fmt.Fprintln(env.Stdout, "PROBLEM:", p)
		}
		if r.Uncovered > 0 {
			fmt.Fprintf(env.Stdout, "%d records after the last digest are not yet covered by a signed digest (the running server writes one every few minutes and at shutdown)\n", r.Uncovered)
		}
		switch {
		case r.OK() && r.CoveredThrough > 0:
			fmt.Fprintf(env.Stdout, "OK: the hash chain is intact and every digest verifies (records 1 to %d signed)\n", r.CoveredThrough)
		case r.OK():
			fmt.Fprintln(env.Stdout, "OK: the hash chain is intact (no digest has been written yet)")
		}
	}
	if !r.OK() {
		return errVerifyFailed
	}
	return nil
}

func runAuditLookup(args []string, env *Env) error {
	fs := newFlagSet("audit lookup", env)
	data := fs.String("data", defaultData, "data directory")
	dirFlag := fs.String("dir", "", "audit directory (default DATA/audit)")
	start := fs.String("start", "", "earliest event time (RFC 3339, or a duration like 1h for that long ago)")
	end := fs.String("end", "", "latest event time (RFC 3339)")
	var f audit.Filter
	fs.StringVar(&f.Key, "key", "", "key id, key ARN or alias")
	fs.StringVar(&f.Principal, "principal", "", "principal ARN, principal id or access key id")
	fs.StringVar(&f.EventName, "event-name", "", "operation, e.g. Decrypt")
	fs.StringVar(&f.ErrorCode, "error-code", "", "error code, e.g. AccessDeniedException")
	fs.IntVar(&f.Limit, "limit", 0, "at most this many events (0: all)")
	output := fs.String("output", "text", "text or json (one JSON array)")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	var err error
	if f.Start, err = parseWhen(*start); err != nil {
		return fmt.Errorf("--start: %w", err)
	}
	if f.End, err = parseWhen(*end); err != nil {
		return fmt.Errorf("--end: %w", err)
	}
	dir := *dirFlag
	if dir == "" {
		dir = filepath.Join(*data, auditDir)
	}
	evs, err := audit.Lookup(dir, f)
	if err != nil {
		return err
	}
	if *output == "json" {
		if evs == nil {
			evs = []*audit.Event{}
		}
		b, _ := json.MarshalIndent(evs, "", "  ")
		fmt.Fprintln(env.Stdout, string(b))
		return nil
	}
	for _, ev := range evs {
		who := ""
		if ev.UserIdentity != nil {
			who = ev.UserIdentity.ARN
		}
		status := "ok"
		if ev.ErrorCode != "" {
			status = ev.ErrorCode
		}
		var keys []string
		for _, r := range ev.Resources {
			keys = append(keys, r.ARN)
		}
		fmt.Fprintf(env.Stdout, "%s  %-32s %-28s %s %s\n", ev.EventTime, ev.EventName, status, who, strings.Join(keys, ","))
	}
	return nil
}

func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	return time.Parse(time.RFC3339, s)
}

// parseInterspersed parses flags that may come after positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}
