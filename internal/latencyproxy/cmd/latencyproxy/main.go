// Command latencyproxy runs a latencyproxy.Proxy for scripts/bench-scan.sh:
//
//	latencyproxy -backend 127.0.0.1:4433 -delay 25ms -addr-file proxy.addr -count-file proxy.count
//
// It writes its address to -addr-file once listening, and the number of
// connections accepted so far to -count-file after each one, and runs
// until killed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/tlsdoctor/tlsdoctor/internal/latencyproxy"
)

func main() {
	backend := flag.String("backend", "", "host:port to forward to")
	delay := flag.Duration("delay", 25*time.Millisecond, "one-way delay")
	connectDelay := flag.Duration("connect-delay", 0, "hold the client's first bytes this long after accepting (2×delay models a TCP handshake)")
	addrFile := flag.String("addr-file", "", "write the listening address here")
	countFile := flag.String("count-file", "", "write the connection count here, every 100ms")
	flag.Parse()
	if *backend == "" {
		fmt.Fprintln(os.Stderr, "latencyproxy: error: -backend is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := latencyproxy.Start(ctx, *backend, *delay, *connectDelay)
	if err != nil {
		fmt.Fprintln(os.Stderr, "latencyproxy: error:", err)
		os.Exit(1)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(p.Addr()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "latencyproxy: error:", err)
			os.Exit(1)
		}
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if *countFile != "" {
				// Write then rename, so a reader never sees the file empty
				// half-way through a rewrite.
				tmp := *countFile + ".tmp"
				if os.WriteFile(tmp, []byte(strconv.FormatInt(p.Conns(), 10)), 0o644) == nil {
					_ = os.Rename(tmp, *countFile)
				}
			}
		}
	}
}
