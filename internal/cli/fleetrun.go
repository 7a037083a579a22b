package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/baseline"
	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fleet"
	"github.com/tlsdoctor/tlsdoctor/report"
)

// ExitInterrupted is the exit code of a run stopped by Ctrl-C (128 +
// SIGINT, as shells report it), after printing what finished.
const ExitInterrupted = 130

// Formats of the main command: text and json for one target or many,
// jsonl, junit and markdown built for many.
var probeFormats = []string{"text", "json", "jsonl", "junit", "markdown"}

// runOptions are the flags that apply to a whole run, not to one target:
// how targets come in (--targets, --parallel) and how results go out.
type runOptions struct {
	out          outputOptions
	targetsFiles []string
	parallel     int
	details      string
	progress     bool
	output       string
	saveRecord   string
	version      bool
	policyFile   string
	ignore       []string
	baseline     string
	failOnNew    bool
}

func (r *runOptions) register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&r.targetsFiles, "targets", "f", nil, "")
	fs.IntVar(&r.parallel, "parallel", fleet.DefaultParallel, "")
	r.out.register(fs)
	fs.StringVar(&r.details, "details", string(report.DetailsFailing), "")
	fs.BoolVar(&r.progress, "progress", false, "")
	fs.StringVarP(&r.output, "output", "o", "", "")
	fs.StringVar(&r.saveRecord, "save-record", "", "")
	fs.BoolVar(&r.version, "version", false, "")
	fs.StringVar(&r.policyFile, "policy-file", "", "")
	fs.StringSliceVar(&r.ignore, "ignore", nil, "")
	fs.StringVar(&r.baseline, "baseline", "", "")
	fs.BoolVar(&r.failOnNew, "fail-on-new", false, "")
}

// verdictFlags are the run-level flags that change a target's findings,
// for the command that reproduces one target's diagnosis.
func (r *runOptions) verdictFlags() []setFlag {
	var out []setFlag
	if r.policyFile != "" {
		out = append(out, setFlag{name: "policy-file", value: r.policyFile})
	}
	if len(r.ignore) > 0 {
		out = append(out, setFlag{name: "ignore", value: strings.Join(r.ignore, ",")})
	}
	return out
}

func (r *runOptions) validate() (checks.Severity, error) {
	failOn, err := r.out.validateFormat(probeFormats)
	if err != nil {
		return 0, err
	}
	switch report.Details(r.details) {
	case report.DetailsAll, report.DetailsFailing, report.DetailsNone:
	default:
		return 0, &usageError{msg: fmt.Sprintf("--details %q is not supported", r.details), hint: "use --details all, failing or none"}
	}
	if r.parallel < 1 || r.parallel > 1024 {
		return 0, &usageError{msg: fmt.Sprintf("--parallel %d is out of range", r.parallel), hint: "from 1 to 1024; the default is 32"}
	}
	return failOn, nil
}

// isRunFlag reports whether name is a run-level flag (not allowed on a
// targets-file line).
func isRunFlag(name string) bool {
	var r runOptions
	fs := newFlagSet("run")
	r.register(fs)
	return fs.Lookup(name) != nil
}

// collectTargets builds the spec of every target of a many-target run:
// the positional targets with the command line's flags, then each
// targets-file line with the command line's flags overridden by the
// line's. Any error stops the run before anything connects.
func collectTargets(fs *pflag.FlagSet, tgt *targetOptions, given []setFlag, run *runOptions, env Env) ([]*targetSpec, error) {
	for _, n := range singleTargetFlags {
		if fs.Changed(n) {
			return nil, &usageError{msg: fmt.Sprintf("--%s writes one target's file; it takes a single target", n), hint: "run tlsdoctor TARGET --" + n + " FILE for the target you want to fix"}
		}
	}
	if run.saveRecord != "" {
		return nil, &usageError{msg: "--save-record writes one target's record; it takes a single target", hint: "--format json (or jsonl) -o FILE keeps every target's record"}
	}
	cache := newShared()
	var specs []*targetSpec
	for _, arg := range fs.Args() {
		s, err := tgt.spec(fs, arg, given, env, cache)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	for _, path := range run.targetsFiles {
		lines, err := readTargetsFile(path, env)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			s, err := lineSpec(l, given, env, cache)
			if err != nil {
				return nil, err
			}
			specs = append(specs, s)
		}
	}
	if len(specs) == 0 {
		return nil, &usageError{msg: "no target given: the targets file lists none", hint: "one target a line, with its flags: partner.example:8443 --sni api.partner.example"}
	}
	return specs, nil
}

// lineSpec parses one targets-file line: its flags, then every flag of
// the command line it does not set itself.
func lineSpec(l targetLine, given []setFlag, env Env, cache *shared) (*targetSpec, error) {
	var o targetOptions
	fs := newFlagSet("line")
	registerTargetFlags(fs, &o)
	var log []setFlag
	recordFlags(fs, &log)
	if err := fs.Parse(l.words); err != nil {
		msg := err.Error()
		for _, w := range l.words {
			if name, ok := strings.CutPrefix(w, "--"); ok {
				name, _, _ = strings.Cut(name, "=")
				if fs.Lookup(name) == nil && isRunFlag(name) {
					return nil, &usageError{msg: fmt.Sprintf("%s: --%s applies to the whole run, not to one target", l.origin, name), hint: "give it on the command line"}
				}
			}
		}
		return nil, &usageError{msg: l.origin + ": " + msg, hint: "a line is a target and its flags: partner.example:8443 --sni api.partner.example --ca-file ca.pem"}
	}
	switch {
	case fs.NArg() == 0:
		return nil, &usageError{msg: l.origin + ": no target on the line, only flags", hint: "put the target first: partner.example:8443 --sni api.partner.example"}
	case fs.NArg() > 1:
		return nil, &usageError{msg: fmt.Sprintf("%s: one target a line, got %d: %s", l.origin, fs.NArg(), strings.Join(fs.Args(), " ")), hint: "put each target on its own line"}
	}
	for _, n := range singleTargetFlags {
		if fs.Changed(n) {
			return nil, &usageError{msg: fmt.Sprintf("%s: --%s writes one target's file; it takes a single target", l.origin, n), hint: "run tlsdoctor TARGET --" + n + " FILE for the target you want to fix"}
		}
	}
	own := append([]setFlag(nil), log...)
	set := map[string]bool{}
	for _, a := range own {
		set[a.name] = true
	}
	var args []setFlag
	for _, g := range given {
		if set[g.name] {
			continue
		}
		if err := fs.Set(g.name, g.value); err != nil {
			return nil, &usageError{msg: fmt.Sprintf("--%s: %v", g.name, err)}
		}
		args = append(args, g)
	}
	args = append(args, own...)
	s, err := o.spec(fs, fs.Arg(0), args, env, cache)
	if err != nil {
		return nil, atOrigin(l.origin, err)
	}
	s.origin = l.origin
	return s, nil
}

// atOrigin prefixes a usage or input error with the targets-file line.
func atOrigin(origin string, err error) error {
	var ue *usageError
	if errors.As(err, &ue) {
		return &usageError{msg: origin + ": " + ue.msg, hint: ue.hint}
	}
	var ie *inputError
	if errors.As(err, &ie) {
		return &inputError{err: fmt.Errorf("%s: %w", origin, ie.err)}
	}
	return fmt.Errorf("%s: %w", origin, err)
}

// runFleet diagnoses every target, at most --parallel at once, and
// renders them. The exit code is the worst across targets: 1 when a
// target is failing (an unreachable one counts, as connect-failed), 3
// only when every target failed to connect, 130 when interrupted.
//
// perHost is the command line's --max-conns: the cap on connections to
// one host across every scanning target of the run.
func runFleet(ctx context.Context, specs []*targetSpec, run *runOptions, base *baseline.Baseline, perHost int, failOn checks.Severity, env Env) (int, error) {
	jobs := make([]fleet.Job, len(specs))
	for i, s := range specs {
		jobs[i] = fleet.Job{Key: s.key, Request: s.req}
	}
	distinct := map[string]bool{}
	for _, s := range specs {
		distinct[s.key] = true
	}
	out, commit, err := openOutput(run.output, env)
	if err != nil {
		return 0, err
	}
	defer commit(false)
	prog := newProgress(env, run.progress, len(distinct))
	var streamErr error
	outcomes, interrupted := fleet.Run(ctx, jobs, fleet.Options{
		Parallel: run.parallel, MaxConnsPerHost: perHost,
		Started: func(_ string, i int) { prog.started(i, specs[i].input) },
	}, func(oc fleet.Outcome) {
		t := toTarget(specs[oc.Index], oc)
		compare(base, &t)
		prog.finished(oc.Index, t, t.Status(failOn))
		if run.out.format == "jsonl" && streamErr == nil {
			streamErr = report.JSONLine(out, t)
		}
	})
	prog.stop()
	f := report.Fleet{Asked: len(distinct), Interrupted: interrupted, FailOn: failOn, FailOnNew: run.failOnNew}
	var seen []string
	for _, oc := range outcomes {
		t := toTarget(specs[oc.Index], oc)
		compare(base, &t)
		f.Targets = append(f.Targets, t)
		seen = append(seen, t.Input)
	}
	if base != nil {
		f.Baseline = base.Path
		if !interrupted {
			f.Gone = base.Gone(seen)
		}
		if run.out.format == "jsonl" && len(f.Gone) > 0 {
			fmt.Fprintf(env.Stderr, "tlsdoctor: baseline: %d target(s) gone since %s: %s\n", len(f.Gone), base.Path, strings.Join(f.Gone, ", "))
		}
	}
	if streamErr == nil {
		streamErr = renderFleet(out, f, run, env)
	}
	if streamErr != nil {
		return ExitNoProbe, fmt.Errorf("writing the report: %w", streamErr)
	}
	if err := commit(true); err != nil {
		return 0, err
	}
	if interrupted {
		fmt.Fprintf(env.Stderr, "tlsdoctor: interrupted: %d of %d targets finished\n", len(f.Targets), f.Asked)
		return ExitInterrupted, nil
	}
	code := fleetExit(f)
	if run.failOnNew && code == ExitFindings {
		code = newFindingsExit(f, failOn)
	}
	return code, nil
}

func renderFleet(w io.Writer, f report.Fleet, run *runOptions, env Env) error {
	switch run.out.format {
	case "jsonl":
		return nil // streamed
	case "json":
		return report.FleetJSON(w, f)
	case "junit":
		return report.JUnit(w, f)
	case "markdown":
		return report.Markdown(w, f, report.Details(run.details))
	}
	o := report.FleetTextOptions{
		TextOptions: report.TextOptions{Color: run.out.useColor(Env{Stdout: w, Getenv: env.Getenv}), Quiet: run.out.quiet, Verbose: run.out.verbose},
		Details:     report.Details(run.details),
		Width:       terminalWidth(env, w),
	}
	if run.out.quiet {
		return report.FleetQuiet(w, f, o.TextOptions)
	}
	return report.FleetText(w, f, o)
}

func fleetExit(f report.Fleet) int {
	unreached, failing := 0, false
	for _, t := range f.Targets {
		if t.Unreached {
			unreached++
		}
		if t.Failing(f.FailOn) {
			failing = true
		}
	}
	switch {
	case len(f.Targets) > 0 && unreached == len(f.Targets):
		return ExitNoProbe
	case failing:
		return ExitFindings
	}
	return ExitOK
}

func toTarget(s *targetSpec, oc fleet.Outcome) report.Target {
	t := report.Target{Input: s.input, Duration: oc.Duration, Command: s.command(s.extra)}
	if oc.Err != nil {
		t.Err = oc.Err.Error()
		return t
	}
	res := oc.Result
	t.Report = report.Report{Record: res.Record, Findings: res.Findings, Truststores: storeNames(res.Env.Truststores), Now: res.Env.Now, Trust: res.Trust, Ignored: res.Ignored}
	t.Unreached = res.CouldNotProbe()
	return t
}

// openOutput returns where the report goes: stdout, or with -o FILE a
// temporary file beside FILE that commit(true) renames over it, so that a
// crash or an error leaves no half-written report (commit(false) removes
// it).
func openOutput(path string, env Env) (io.Writer, func(ok bool) error, error) {
	if path == "" || path == "-" {
		return env.Stdout, func(bool) error { return nil }, nil
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, nil, &inputError{err: fmt.Errorf("-o: cannot write %s: %w", path, unwrapPath(err))}
	}
	done := false
	commit := func(ok bool) error {
		if done {
			return nil
		}
		done = true
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
			return nil
		}
		if err := tmp.Chmod(0o644); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return &inputError{err: fmt.Errorf("-o: cannot write %s: %w", path, unwrapPath(err))}
		}
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return &inputError{err: fmt.Errorf("-o: cannot write %s: %w", path, unwrapPath(err))}
		}
		if err := tmp.Close(); err != nil {
			os.Remove(tmp.Name())
			return &inputError{err: fmt.Errorf("-o: cannot write %s: %w", path, unwrapPath(err))}
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			os.Remove(tmp.Name())
			return &inputError{err: fmt.Errorf("-o: cannot write %s: %w", path, unwrapPath(err))}
		}
		return nil
	}
	return tmp, commit, nil
}
