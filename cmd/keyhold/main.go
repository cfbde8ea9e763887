// Command keyhold is a self-hosted key management service that speaks the
// AWS KMS API. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/keyhold/keyhold/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], nil)
	stop()
	os.Exit(code)
}
