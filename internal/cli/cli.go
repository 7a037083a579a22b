// Package cli is tlsdoctor's command line: flags, subcommands, exit codes
// and the one voice errors are printed in. It wires probe -> checks ->
// report and never writes to os.Stdout or exits itself; cmd/tlsdoctor does.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/report"
)

// Version is stamped by the Makefile (-ldflags "-X ...cli.Version=...").
var Version = "dev"

// Exit codes, documented in the README.
const (
	ExitOK       = 0 // no finding at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitUsage    = 2 // usage or input error
	ExitNoProbe  = 3 // could not probe at all: DNS, refused, timeout, unreachable
)

// usageError is a bad flag or argument: exit 2 with a hint.
type usageError struct {
	msg, hint string
}

func (e *usageError) Error() string { return e.msg }

// inputError is an unusable input file: exit 2, with a hint when one
// helps.
type inputError struct {
	err  error
	hint string
}

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// Env is the process environment Run reads, injectable for tests.
type Env struct {
	Stdout, Stderr io.Writer
	// Stdin is what "-" reads (tlsdoctor inspect -, --targets -); nil
	// reads as empty.
	Stdin  io.Reader
	Getenv func(string) string
	Now    func() time.Time
}

// Run executes tlsdoctor with args (without the program name) and returns
// the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunEnv(ctx, args, Env{Stdout: stdout, Stderr: stderr, Stdin: os.Stdin, Getenv: os.Getenv, Now: time.Now})
}

// RunEnv is Run with an explicit environment.
//
// Everything written to stderr goes through report.TerminalWriter, and
// the error and hint lines are escaped one line each: a file name, a
// server's message or a record field reaches the terminal as text, never
// as control characters.
func RunEnv(ctx context.Context, args []string, env Env) int {
	env.Stderr = report.TerminalWriter(env.Stderr)
	code, err := dispatch(ctx, args, env)
	if err != nil {
		var ue *usageError
		sayError(env, err.Error())
		switch {
		case errors.As(err, &ue):
			hint := ue.hint
			if hint == "" {
				hint = "run 'tlsdoctor --help' for usage"
			}
			sayHint(env, hint)
			return ExitUsage
		}
		var ie *inputError
		if errors.As(err, &ie) {
			hint := ie.hint
			if hint == "" {
				hint = inputHint(err)
			}
			if hint != "" {
				sayHint(env, hint)
			}
			return ExitUsage
		}
		return ExitNoProbe
	}
	return code
}

// sayError and sayHint print the one voice's two lines, escaped.
func sayError(env Env, msg string) {
	fmt.Fprintf(env.Stderr, "tlsdoctor: error: %s\n", report.Escape(msg))
}
func sayHint(env Env, hint string) { fmt.Fprintf(env.Stderr, "hint: %s\n", report.Escape(hint)) }

func dispatch(ctx context.Context, args []string, env Env) (int, error) {
	if len(args) > 0 {
		switch args[0] {
		case "diagnose":
			return runDiagnose(ctx, args[1:], env)
		case "checks":
			return runChecks(args[1:], env)
		case "inspect":
			return runInspect(ctx, args[1:], env)
		case "demo":
			return runDemo(ctx, args[1:], env)
		case "serve":
			return runServe(ctx, args[1:], env)
		case "version":
			fmt.Fprintf(env.Stdout, "tlsdoctor %s\n", Version)
			return ExitOK, nil
		case "help":
			fmt.Fprint(env.Stdout, report.FoldHelp(usage, textWidth(env)))
			return ExitOK, nil
		}
	}
	return runProbe(ctx, args, env)
}

// outputOptions are the flags every reporting subcommand shares.
type outputOptions struct {
	format  string
	color   string
	failOn  string
	quiet   bool
	verbose bool
	// client is the profile --client (or --tls-min/--tls-max/--ciphers) names.
	client *checks.ClientProfile
	// policy is the --policy profile.
	policy *checks.Policy
	// noSummary leaves out the stderr error line (the demo, whose
	// scenarios fail on purpose).
	noSummary bool
}

func (o *outputOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.format, "format", "text", "output format")
	fs.StringVar(&o.color, "color", "auto", "colour: auto, always or never (NO_COLOR is honoured)")
	fs.StringVar(&o.failOn, "fail-on", "error", "exit 1 when a finding is at least this severe: info, warning or error")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only the findings, one line each")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "print every handshake attempt and progress on stderr")
}

func (o *outputOptions) validate() (checks.Severity, error) {
	return o.validateFormat([]string{"text", "json"})
}

// validateFormat validates the flags, with --format one of formats.
func (o *outputOptions) validateFormat(formats []string) (checks.Severity, error) {
	if !contains(formats, o.format) {
		hint := "use --format " + strings.Join(formats[:len(formats)-1], ", ") + " or " + formats[len(formats)-1]
		if len(formats) == 2 {
			hint = "use --format " + formats[0] + " or --format " + formats[1]
		}
		return 0, &usageError{msg: fmt.Sprintf("--format %q is not supported", o.format), hint: hint}
	}
	switch o.color {
	case "auto", "always", "never":
	default:
		return 0, &usageError{msg: fmt.Sprintf("--color %q is not supported", o.color), hint: "use --color auto, always or never"}
	}
	sev, err := checks.ParseSeverity(o.failOn)
	if err != nil {
		return 0, &usageError{msg: "--fail-on: " + err.Error()}
	}
	return sev, nil
}

func (o *outputOptions) useColor(env Env) bool {
	switch o.color {
	case "always":
		return true
	case "never":
		return false
	}
	if env.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := env.Stdout.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// newFlagSet makes a FlagSet whose errors come back to us instead of
// being printed by pflag.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	return fs
}

func parseFlags(fs *pflag.FlagSet, args []string, env Env, text string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(env.Stdout, report.FoldHelp(text, textWidth(env)))
			return true, nil
		}
		return false, &usageError{msg: err.Error()}
	}
	return false, nil
}

func storeNames(ts []checks.Truststore) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// render writes a diagnosis in the chosen format (and the --fix-bundle
// file) and returns the exit code.
func render(res *engine.Result, fixBundle string, o outputOptions, failOn checks.Severity, env Env) (int, error) {
	if err := writeFixBundle(fixBundle, res, env); err != nil {
		return 0, err
	}
	r := report.Report{Record: res.Record, Findings: res.Findings, Truststores: storeNames(res.Env.Truststores), Now: res.Env.Now, Trust: res.Trust, Ignored: res.Ignored}
	var err error
	if o.format == "json" {
		err = report.JSON(env.Stdout, r)
	} else {
		err = report.Text(env.Stdout, r, report.TextOptions{Color: o.useColor(env), Quiet: o.quiet, Verbose: o.verbose, Width: textWidth(env)})
	}
	if err != nil {
		return ExitNoProbe, fmt.Errorf("writing the report: %w", err)
	}
	if !o.noSummary {
		sayFailure(env, res.Record, res.Findings)
	}
	return exitCode(res, failOn), nil
}

// sayFailure prints one "tlsdoctor: error:" line on stderr, with its
// hint, when a finding is an error: a client would fail (no TLS session,
// or one it would refuse: an untrusted root, an expired certificate), so
// scripts and people reading only stderr see the cause (the report on
// stdout has the details and the fix). It is the first error finding:
// the findings come most severe first, in check order, and the checks
// that explain a failed connection or trust come first.
func sayFailure(env Env, rec *probe.Record, fs []checks.Finding) {
	for _, f := range fs {
		if f.Severity == checks.Error {
			sayError(env, f.Title+" ("+f.ID+")")
			if hint := checks.Hint(f.Fix); hint != "" {
				sayHint(env, hint)
			}
			return
		}
	}
}

func exitCode(res *engine.Result, failOn checks.Severity) int {
	if res.CouldNotProbe() {
		return ExitNoProbe
	}
	if res.Worst() >= failOn {
		return ExitFindings
	}
	return ExitOK
}

func writeRecord(path string, rec *probe.Record) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return &inputError{err: fmt.Errorf("--save-record: cannot write %s: %w", path, unwrapPath(err))}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
