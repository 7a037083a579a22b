package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/tlsdoctor/tlsdoctor/exporter"
)

const serveUsage = `Usage: tlsdoctor serve [--listen ADDR] [--config FILE] [flags]

Run a Prometheus exporter: GET /probe?target=HOST:PORT&module=NAME runs one
diagnosis of the target with the module's options and answers with its
metrics; /metrics has the exporter's own. Without --config there is one
module, "default" (system truststore, full revocation checking, 10s). The
configuration is checked at start and reloaded on SIGHUP; a reload that
fails keeps the previous one. See docs/monitoring.md.

Flags:
      --listen ADDR        address to serve on (default 127.0.0.1:9219:
                           this machine only)
      --config FILE        the modules, in YAML (blackbox_exporter's keys
                           where it has them)
      --max-concurrent N   at most N diagnoses at once (default 256)
      --min-interval D     diagnose a target (per module) at most once per D
                           and answer scrapes in between from the cache, so
                           several Prometheus servers do not multiply the
                           load (default 30s; 0: every scrape)
      --timeout-margin D   taken off Prometheus' scrape timeout (default 500ms)
      --fetch-cache D      reuse an OCSP, CRL or AIA answer for D across
                           diagnoses, so targets under one CA ask its
                           responder once per D, not once per scrape; a
                           revocation shows at most D late (default 5m;
                           0: fetch on every diagnosis)
  -h, --help               this help

Examples:
  tlsdoctor serve
  tlsdoctor serve --config exporter.yaml
  curl 'http://127.0.0.1:9219/probe?target=example.com:443&module=default'
`

func runServe(ctx context.Context, args []string, env Env) (int, error) {
	var (
		listen, config      string
		o                   exporter.Options
		minInterval, margin time.Duration
		fetchCache          time.Duration
	)
	fs := newFlagSet("serve")
	fs.StringVar(&listen, "listen", "127.0.0.1:9219", "")
	fs.StringVar(&config, "config", "", "")
	fs.IntVar(&o.MaxConcurrent, "max-concurrent", exporter.DefaultMaxConcurrent, "")
	fs.DurationVar(&minInterval, "min-interval", exporter.DefaultMinInterval, "")
	fs.DurationVar(&margin, "timeout-margin", exporter.DefaultTimeoutMargin, "")
	fs.DurationVar(&fetchCache, "fetch-cache", exporter.DefaultFetchCache, "")
	if help, err := parseFlags(fs, args, env, serveUsage); help || err != nil {
		return ExitOK, err
	}
	switch {
	case fs.NArg() > 0:
		return 0, &usageError{msg: fmt.Sprintf("serve takes no argument, got %q", fs.Arg(0)), hint: "targets come with each request: /probe?target=HOST:PORT"}
	case o.MaxConcurrent < 1 || o.MaxConcurrent > 10000:
		return 0, &usageError{msg: fmt.Sprintf("--max-concurrent %d is not between 1 and 10000", o.MaxConcurrent), hint: "the default, 256, suits most fleets"}
	case minInterval < 0:
		return 0, &usageError{msg: "--min-interval must not be negative", hint: "--min-interval 30s, or 0 to diagnose on every scrape"}
	case fetchCache < 0 || fetchCache > 24*time.Hour:
		return 0, &usageError{msg: fmt.Sprintf("--fetch-cache %s is not between 0 and 24h", fetchCache), hint: "--fetch-cache 5m, or 0 to fetch on every diagnosis"}
	case margin <= 0:
		return 0, &usageError{msg: "--timeout-margin must be positive", hint: "for example --timeout-margin 500ms"}
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return 0, &usageError{msg: fmt.Sprintf("--listen %q is not HOST:PORT", listen), hint: "--listen 127.0.0.1:9219, or --listen :9219 for every interface"}
	}
	o.MinInterval, o.TimeoutMargin, o.FetchCache = minInterval, margin, fetchCache
	o.Tool = "tlsdoctor " + Version
	o.Now = env.Now
	o.Logger = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	load := func() (*exporter.Config, error) {
		lo := exporter.LoadOptions{Getenv: env.Getenv, LookPath: exec.LookPath}
		if config == "" {
			return exporter.DefaultConfig(lo)
		}
		return exporter.Load(config, lo)
	}
	cfg, err := load()
	if err != nil {
		return 0, configError(err)
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return 0, &usageError{msg: fmt.Sprintf("--listen %s: %v", listen, unwrapListen(err)), hint: "is another exporter running there? choose another address with --listen"}
	}
	defer ln.Close()
	srv := exporter.New(cfg, o)
	fmt.Fprintf(env.Stderr, "tlsdoctor: serving /probe and /metrics on http://%s (%d module(s): %v)\n", ln.Addr(), len(cfg.Modules), cfg.Names)
	if !loopback(host) {
		fmt.Fprintf(env.Stderr, "tlsdoctor: %s is reachable from other machines\n", ln.Addr())
		if cfg.Allow == nil {
			fmt.Fprintf(env.Stderr, "hint: without allowed_targets in --config, anyone who reaches it can make it connect to any host and port; list the targets (docs/monitoring.md)\n")
		}
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	sweepCtx, endSweep := context.WithCancel(ctx)
	defer endSweep()
	go srv.Run(sweepCtx)
	for {
		select {
		case <-hup:
			srv.Reload(load())
		case err := <-served:
			return 0, &inputError{err: fmt.Errorf("serving on %s: %w", ln.Addr(), err)}
		case <-ctx.Done():
			// Let running diagnoses finish (they are bounded by their
			// scrape timeouts), then stop.
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = hs.Shutdown(sctx)
			fmt.Fprintln(env.Stderr, "tlsdoctor: exporter stopped")
			return ExitOK, nil
		}
	}
}

// configError is a configuration that does not load, with its hint.
func configError(err error) error {
	var ce *exporter.ConfigError
	if errors.As(err, &ce) {
		return &usageError{msg: "--config " + ce.Error(), hint: orDefault(ce.Hint, "see docs/monitoring.md for the configuration file")}
	}
	return &inputError{err: err}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func unwrapListen(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
