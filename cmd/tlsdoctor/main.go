// Command tlsdoctor connects to a TLS server, records the handshake,
// explains every problem it finds and prints the fix. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/tlsdoctor/tlsdoctor/internal/cli"
)

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}
