package cli

import (
	"flag"
	"fmt"
	"io"
)

// newFlagSet is the flag set of subcommand name ("audit verify"), which
// reports its errors and -h on env's standard error.
func newFlagSet(name string, env *Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parseCommand parses the flags of a subcommand that takes no arguments:
// -h prints usage and then the flags, and a stray argument is an error
// that points to -h.
func parseCommand(fs *flag.FlagSet, args []string, usage string) error {
	fs.Usage = func() {
		io.WriteString(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; see keyhold %s -h", fs.Arg(0), fs.Name())
	}
	return nil
}
