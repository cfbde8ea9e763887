// Package cli holds keyhold's subcommands, one file each. It is the only
// place that wires concrete implementations (store driver, crypto boundary,
// HTTP) together.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Version is set at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env *Env) error
}

// Env is what a command may touch of the process, injectable for tests.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Listening, if set, is called with the bound addresses once the
	// server accepts connections (tests listen on port 0).
	Listening func(api, admin string)
	// XKSListening, if set, is called with the XKS proxy's bound address
	// (when --xks-listen is set) before Listening.
	XKSListening func(addr string)
}

func commands() []command {
	return []command{
		{"serve", "run the keyhold server (SigV4 authentication, data in ./keyhold-data)", runServe},
		{"dev", "run a development server: any credentials, any region, temporary data", runDev},
		{"bench", "load-test a KMS endpoint (SigV4-signed requests; HDR latency percentiles)", runBench},
		{"audit", "verify the audit trail, or look up events in it", runAudit},
		{"xks", "manage the external keys of the XKS proxy (xks key create|list|disable|enable, xks credential)", runXKS},
		{"version", "print the version", func(_ context.Context, _ []string, env *Env) error {
			fmt.Fprintln(env.Stdout, "keyhold", Version)
			return nil
		}},
	}
}

// Main runs keyhold with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, env *Env) int {
	if env == nil {
		env = &Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], env)
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			if err != nil {
				fmt.Fprintf(env.Stderr, "keyhold %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(env.Stderr, "keyhold: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("keyhold: a self-hosted key management service with the AWS KMS API\n\nUsage: keyhold <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'keyhold <command> -h' for the flags of a command.\n")
	io.WriteString(w, b.String())
}

func newLogger(c *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
