package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/fleet"
	"github.com/tlsdoctor/tlsdoctor/policy"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/report"
)

const usage = `tlsdoctor: connect to a TLS server, explain every problem, print the fix.

Usage:
  tlsdoctor [flags] TARGET              diagnose a live server
  tlsdoctor [flags] TARGET...           diagnose many servers at once
  tlsdoctor [flags] -f FILE             the targets listed in FILE (see "Many targets")
  tlsdoctor diagnose --record FILE      diagnose a saved record, offline
  tlsdoctor inspect FILE...             keystores, truststores, PEM and Kubernetes secrets, offline
                                        (and --keystore/--truststore alignment, --java: see inspect -h)
  tlsdoctor checks                      list every check
  tlsdoctor demo [SCENARIO...]          run the built-in fault servers (no network needed)
  tlsdoctor serve [--config FILE]       a Prometheus exporter (docs/monitoring.md)
  tlsdoctor version

TARGET is host, host:port, [ipv6]:port or https://host:port/path (port 443 by default).

Connection:
      --sni NAME           send NAME as SNI and check the certificate against it
      --no-sni             send no SNI
      --connect-to H[:P]   connect to H:P instead of the target's address (the name is still checked)
      --alpn LIST          offer these ALPN protocols, comma-separated (e.g. h2,http/1.1)
      --timeout DURATION   bound on the whole run (default 10s)
` + connectHelp + revocationHelp + `Trust:
      --truststore FILE|system|mozilla|java
                           judge trust against this store (repeatable): a PEM, DER, PKCS#12 or JKS file
                           (format read from the content), or a named store; default: system, and
                           mozilla and java are reported too. With several, the first one given decides
                           the findings and the exit code; the others get a verdict in the header
      --ca-file FILE       same as --truststore FILE (repeatable)
      --truststore-password PASS, --truststore-password-file FILE
                           password of PKCS#12/JKS truststores (or TLSDOCTOR_TRUSTSTORE_PASSWORD);
                           Java's own cacerts uses "changeit" unless one is given
      --warn-days N        warn about certificates expiring within N days (default 30; 0 disables)
      --fix-bundle FILE    write the corrected full chain (leaf, then intermediates; PEM) to FILE
      --no-aia             do not download missing intermediates from AIA caIssuers URLs
      --export-truststore FILE
                           write the CA certificates of the server's path (sent, fetched from AIA, or the
                           judging store's root) as a truststore: .jks, .p12/.pfx or .pem, by the name
      --export-password-file FILE
                           its password (default "changeit"); --include-leaf adds the leaf (pinning)
      --allow-private-fetch
                           let AIA, OCSP and CRL URLs from the server's certificates reach loopback and
                           private addresses even when the target is public (link-local, where cloud
                           metadata lives, is never fetched)
Client identity (mutual TLS):
      --cert FILE          client certificate: PEM (leaf first, then its intermediates; may hold the key too),
                           DER, or a PKCS#12 file (.p12/.pfx) holding key and chain
      --key FILE           private key for a PEM/DER --cert: PKCS#1, PKCS#8, EC, encrypted PKCS#8 or legacy encrypted PEM
      --key-password-file FILE, --key-password PW
                           password of an encrypted --key (or env TLSDOCTOR_KEY_PASSWORD)
      --cert-password-file FILE, --cert-password PW
                           password of a PKCS#12 --cert (or env TLSDOCTOR_CERT_PASSWORD)
      --keystore FILE      Java keystore (JKS, or PKCS#12) holding a PrivateKeyEntry with its chain
      --keystore-password-file FILE, --keystore-password PW
                           keystore password (or env TLSDOCTOR_KEYSTORE_PASSWORD); the entry's key password
                           defaults to it, --key-password overrides
      --alias NAME         keystore entry to use (default: the only private key entry)
                           Passwords given as flags are visible to other users in ps: prefer the -file
                           flags or the environment. Passwords are never printed or recorded.
Output:
      --format text|json|jsonl|junit|markdown
                           output format (default text); JSON is {"record":…, "findings":[…]}
  -o, --output FILE        write the report to FILE (atomically: no half-written file) instead of stdout
      --color auto|always|never
                           colour (default auto: only on a terminal, never with NO_COLOR)
      --fail-on info|warning|error
                           exit 1 when a finding is at least this severe (default error)
      --save-record FILE   also write the raw record to FILE, to diagnose elsewhere
  -q, --quiet              print only the findings, one line each
  -v, --verbose            print every handshake attempt; progress on stderr
  -h, --help               this help
      --version            print the version

Examples:
  tlsdoctor example.com
  tlsdoctor good.internal:8443 --ca-file ca.pem
  tlsdoctor 10.0.0.5:443 --sni api.partner.com
  tlsdoctor api.partner.com --connect-to 10.0.0.5:8443
  tlsdoctor https://api.partner.com:8443/health --format json > diag.json
  tlsdoctor api.partner.com --save-record rec.json && tlsdoctor diagnose --record rec.json
  tlsdoctor partner.example:8443 --cert client.crt --key client.key --ca-file ca.pem
  tlsdoctor partner.example:8443 --keystore client.jks --keystore-password-file pw.txt --alias client
  tlsdoctor mail.partner.example:25 --starttls smtp
  tlsdoctor api.partner.com --proxy http://proxy.corp.example:3128 --all-ips

Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on (a target that could not be reached counts, as connect-failed,
     when other targets were probed)
  2  usage or input error (bad flag, unreadable file, bad targets-file line or policy file)
  3  could not probe at all (DNS failure, connection refused, timeout): every target failed to connect
  130 interrupted (Ctrl-C): what finished is printed first
  With many targets the code is the worst across them.
`

const fleetUsage = `
Many targets:
  -f, --targets FILE       read targets from FILE ("-": stdin), one a line with its own flags, spelled as
                           on the command line ("partner.example:8443 --sni api.partner.example --cert
                           partner.p12"); '#' comments and blank lines are skipped. A line's flag replaces
                           the command line's; the command line's flags apply to every target
      --parallel N         diagnose at most N targets at once (default 32); with --scan, --max-conns still
                           caps the connections to one host across all its targets
      --details all|failing|none
                           text and markdown: after the summary table, the full report of every target,
                           of those at or above --fail-on (default), or of none
      --progress           progress on stderr as one line per target (on a terminal a live line is shown
                           anyway; never on stdout)
      --policy-file FILE   what every target must meet (YAML or JSON: docs/policy.md); a broken rule is a
                           policy-violation finding naming the rule and its line
      --ignore ID[,ID]     accept these findings on every target (they are listed, not counted)
      --baseline FILE      compare with an earlier run's --format json or jsonl output: what is new or gone
      --fail-on-new        with --baseline, exit 1 only for findings the baseline did not have
  A target given twice is diagnosed once. --format jsonl writes one --format json object per target as
  each finishes; --format json one document {"targets":[…]}; junit one testsuite per target.
  e.g. tlsdoctor a.example b.example:8443 https://c.example/health
       tlsdoctor -f targets.txt --format junit -o tlsdoctor.xml
`

func runProbe(ctx context.Context, args []string, env Env) (int, error) {
	return runProbeWith(ctx, args, env, probeHook{})
}

// probeHook lets another subcommand run a live probe with its own
// truststores (inspect --java --for probes with the JVM's store) and see
// the record (to judge it further).
type probeHook struct {
	stores func(Env) ([]checks.Truststore, []probe.RecordedTruststore, error)
	record func(*probe.Record, []checks.Truststore)
}

func runProbeWith(ctx context.Context, args []string, env Env, hook probeHook) (int, error) {
	var tgt targetOptions
	var export exportOptions
	var run runOptions
	fs := newFlagSet("tlsdoctor")
	registerTargetFlags(fs, &tgt)
	var given []setFlag
	recordFlags(fs, &given)
	run.register(fs)
	export.register(fs)
	if help, err := parseFlags(fs, args, env, usage+fmt.Sprintf(scanUsage, strings.Join(checks.ClientProfileNames(), ", "))+fleetUsage); help || err != nil {
		return ExitOK, err
	}
	if run.version {
		fmt.Fprintf(env.Stdout, "tlsdoctor %s\n", Version)
		return ExitOK, nil
	}
	failOn, err := run.validate()
	if err != nil {
		return 0, err
	}
	switch {
	case fs.NArg() == 0 && len(run.targetsFiles) == 0:
		return 0, &usageError{msg: "no target given", hint: "tlsdoctor example.com, or 'tlsdoctor demo' to try it without network"}
	}
	pol, err := run.loadPolicy()
	if err != nil {
		return 0, err
	}
	base, err := run.loadBaseline()
	if err != nil {
		return 0, err
	}
	if fs.NArg() == 1 && len(run.targetsFiles) == 0 && base == nil {
		return runSingle(ctx, fs, &tgt, given, &run, pol, failOn, env, hook, &export)
	}
	if export.file != "" {
		return 0, &usageError{msg: "--export-truststore writes the truststore of one target, got several", hint: "run it for the one server whose CA certificates you want"}
	}
	specs, err := collectTargets(fs, &tgt, given, &run, env)
	if err != nil {
		return 0, err
	}
	if err := tgt.scan.validateConns(); err != nil {
		return 0, err
	}
	for _, s := range specs {
		if err := applyPolicy(s, pol, tgt.scan.maxConns); err != nil {
			return 0, err
		}
		s.extra = run.verdictFlags()
	}
	return runFleet(ctx, specs, &run, base, tgt.scan.maxConns, failOn, env)
}

// runSingle diagnoses one target given on the command line: the report
// of one target (text or json as always; jsonl, junit and markdown as a
// run of one).
func runSingle(ctx context.Context, fs *pflag.FlagSet, tgt *targetOptions, given []setFlag, run *runOptions, pol *policy.Policy, failOn checks.Severity, env Env, hook probeHook, export *exportOptions) (int, error) {
	cache := newShared()
	cache.loadStores = hook.stores
	// One target: the default truststores load while its handshake runs.
	cache.lazyDefault = true
	spec, err := tgt.spec(fs, fs.Arg(0), given, env, cache)
	if err != nil {
		return 0, err
	}
	if err := export.validate(env); err != nil {
		return 0, err
	}
	if err := applyPolicy(spec, pol, tgt.scan.maxConns); err != nil {
		return 0, err
	}
	spec.extra = run.verdictFlags()
	req := spec.req
	if run.out.verbose {
		req.Progress = verboseProgress(env.Stderr, req.Probe.Target, req.Timeout, req.Scan)
	}
	res, err := engine.Diagnose(ctx, req)
	if err != nil {
		return 0, err
	}
	if run.saveRecord != "" {
		if err := writeRecord(run.saveRecord, res.Record); err != nil {
			return 0, err
		}
	}
	if hook.record != nil {
		hook.record(res.Record, res.Env.Truststores)
	}
	if err := export.write(res.Record, res.Env.Truststores, env); err != nil {
		return 0, err
	}
	out, commit, err := openOutput(run.output, env)
	if err != nil {
		return 0, err
	}
	defer commit(false)
	oenv := env
	oenv.Stdout = out
	var code int
	switch run.out.format {
	case "text", "json":
		if code, err = render(res, tgt.trust.fixBundle, run.out, failOn, oenv); err != nil {
			return code, err
		}
	default:
		t := toTarget(spec, fleet.Outcome{Result: res})
		f := report.Fleet{Targets: []report.Target{t}, Asked: 1, FailOn: failOn}
		run.details = string(report.DetailsAll)
		if err := writeFixBundle(tgt.trust.fixBundle, res, env); err != nil {
			return 0, err
		}
		if err := renderFleet(out, f, run, env); err != nil {
			return ExitNoProbe, fmt.Errorf("writing the report: %w", err)
		}
		sayFailure(env, res.Record, res.Findings)
		code = exitCode(res, failOn)
	}
	if err := commit(true); err != nil {
		return 0, err
	}
	return code, nil
}

// verboseProgress tells a -v run on stderr what the diagnosis is doing.
func verboseProgress(w io.Writer, t probe.Target, timeout time.Duration, scan *probe.ScanOptions) func(engine.Event) {
	return func(e engine.Event) {
		switch {
		case e.Stage == "probe" && !e.Done:
			fmt.Fprintf(w, "tlsdoctor: probing %s:%d (timeout %s)\n", report.Escape(t.ConnectHost), t.ConnectPort, timeout)
		case e.Stage == "probe":
			if how := describeConnect(e.Record); how != "" {
				fmt.Fprintf(w, "tlsdoctor: connected %s\n", report.Escape(how))
			}
			revocationProgress(w, e.Record)
		case e.Stage == "scan" && !e.Done:
			fmt.Fprintf(w, "tlsdoctor: scanning %s (max %d connections, delay %s)\n", report.Escape(e.Record.Target.Input), scan.MaxConns, scan.Delay)
		case e.Stage == "scan" && e.Record.Scan != nil:
			fmt.Fprintf(w, "tlsdoctor: scan done: %d handshakes in %.0f ms\n", e.Record.Scan.Handshakes, e.Record.Scan.DurationMS)
		}
	}
}

const diagnoseUsage = `Usage: tlsdoctor diagnose --record FILE [flags]

Diagnose a record saved with --save-record, offline. The verdict is judged at
the time the record was made and with the truststore it recorded, so it is the
same on any machine; --now and --ca-file override them.

Flags:
      --record FILE        the record to read (required)
      --now TIME           judge validity at TIME (RFC 3339, or "now"); default: when recorded
      --truststore FILE|NAME, --ca-file FILE  judge against these stores instead of the recorded ones
      --truststore-password[-file], --warn-days N, --fix-bundle FILE  as for a live run
      --client, --tls-min, --tls-max, --ciphers, --policy
                           judge a record saved from a --scan run against a client or policy
      --format, --color, --fail-on, -q, -v  as for a live run
`

func runDiagnose(_ context.Context, args []string, env Env) (int, error) {
	var (
		out    outputOptions
		trust  trustOptions
		path   string
		nowArg string
	)
	fs := newFlagSet("diagnose")
	fs.StringVar(&path, "record", "", "")
	fs.StringVar(&nowArg, "now", "", "")
	trust.register(fs)
	out.register(fs)
	var judge scanOptions
	judge.registerJudge(fs)
	if help, err := parseFlags(fs, args, env, diagnoseUsage); help || err != nil {
		return ExitOK, err
	}
	failOn, err := out.validate()
	if err != nil {
		return 0, err
	}
	if err := judge.judge(&out); err != nil {
		return 0, err
	}
	if path == "" {
		if fs.NArg() == 1 {
			path = fs.Arg(0)
		} else {
			return 0, &usageError{msg: "diagnose needs --record FILE", hint: "tlsdoctor diagnose --record rec.json"}
		}
	}
	rec, err := loadRecord(path)
	if err != nil {
		return 0, err
	}
	now := rec.StartedAt
	switch nowArg {
	case "":
	case "now":
		now = env.Now()
	default:
		t, err := time.Parse(time.RFC3339, nowArg)
		if err != nil {
			return 0, &usageError{msg: fmt.Sprintf("--now %q is not an RFC 3339 time", nowArg), hint: "--now 2026-01-02T15:04:05Z or --now now"}
		}
		now = t
	}
	var stores []checks.Truststore
	if trust.given() {
		if stores, _, err = trust.load(env); err != nil {
			return 0, err
		}
	} else if stores, err = recordedStores(rec, path, &trust, env); err != nil {
		return 0, err
	}
	return render(engine.Judge(rec, trust.judgement(stores, rec.Truststores, out), now), trust.fixBundle, out, failOn, env)
}

// recordedStores rebuilds the truststores a record was judged with.
func recordedStores(rec *probe.Record, path string, trust *trustOptions, env Env) ([]checks.Truststore, error) {
	if len(rec.Truststores) == 0 {
		rec.Truststores = []probe.RecordedTruststore{{Name: "system"}}
	}
	var out []checks.Truststore
	for i, rt := range rec.Truststores {
		if len(rt.Certificates) == 0 {
			// A named store is this machine's version of it. The java
			// store judged alongside the first is left out on a machine
			// without a JDK.
			ts, err := trust.named(nil, rt.Name, env)
			if err != nil && i > 0 && rt.Name == storeJava {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, ts)
			continue
		}
		ts, err := checks.RecordedTruststore(rt)
		if err != nil {
			return nil, &inputError{err: fmt.Errorf("--record: %s: %w", path, err)}
		}
		out = append(out, ts)
	}
	return out, nil
}

func runChecks(args []string, env Env) (int, error) {
	var format string
	fs := newFlagSet("checks")
	fs.StringVar(&format, "format", "text", "")
	fs.Bool("list", true, "")
	if help, err := parseFlags(fs, args, env, "Usage: tlsdoctor checks [--format text|json]\n\nList every check: id, severity and what it looks for, in the order they run.\n"); help || err != nil {
		return ExitOK, err
	}
	type row struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Title    string `json:"title"`
	}
	var rows []row
	for _, c := range checks.All() {
		rows = append(rows, row{c.ID, c.Severity.String(), c.Title})
	}
	switch format {
	case "json":
		return ExitOK, writeJSON(env.Stdout, rows)
	case "text":
	default:
		return 0, &usageError{msg: fmt.Sprintf("--format %q is not supported", format), hint: "use --format text or --format json"}
	}
	return ExitOK, report.CheckList(env.Stdout, checks.All(), report.TextOptions{Width: textWidth(env)})
}

const demoUsage = `Usage: tlsdoctor demo [flags] [SCENARIO...]

Start the built-in fault servers on 127.0.0.1, diagnose each one and print
the reports. Needs no network. The demo CA ("Example Root CA") is the
truststore. Scenarios: %s.

Flags:
      --timeout DURATION   bound on each diagnosis (default 3s)
      --revocation, --format, --color, -q, -v  as for a live run
`

func runDemo(ctx context.Context, args []string, env Env) (int, error) {
	var out outputOptions
	var timeout time.Duration
	var rev revocationOptions
	fs := newFlagSet("demo")
	fs.DurationVar(&timeout, "timeout", 3*time.Second, "")
	rev.register(fs)
	out.register(fs)
	if help, err := parseFlags(fs, args, env, fmt.Sprintf(demoUsage, strings.Join(fixtures.ScenarioNames(), ", "))); help || err != nil {
		return ExitOK, err
	}
	if _, err := out.validate(); err != nil {
		return 0, err
	}
	if err := rev.validate(); err != nil {
		return 0, err
	}
	names := fs.Args()
	if len(names) == 0 {
		names = fixtures.ScenarioNames()
	}
	for _, n := range names {
		if !contains(fixtures.ScenarioNames(), n) {
			return 0, &usageError{msg: fmt.Sprintf("no demo scenario %q", n), hint: "scenarios: " + strings.Join(fixtures.ScenarioNames(), ", ")}
		}
	}
	now := env.Now()
	lab, err := fixtures.NewLab(now)
	if err != nil {
		return 0, err
	}
	defer lab.Close()
	store := checks.NewTruststore("demo CA (Example Root CA)", []*x509.Certificate{lab.PKI.Get("root").Cert})
	for i, n := range names {
		srv, err := lab.Start(n)
		if err != nil {
			return 0, err
		}
		if out.format == "text" {
			if i > 0 {
				fmt.Fprintln(env.Stdout)
			}
			_ = report.Banner(env.Stdout, fmt.Sprintf("demo %d/%d: %s", i+1, len(names), n), description(n), report.TextOptions{Width: textWidth(env)})
		}
		target := probe.Target{Input: fmt.Sprintf("%s:%d", fixtures.Host, srv.Port), Host: fixtures.Host, Port: srv.Port, ConnectHost: "127.0.0.1", ConnectPort: srv.Port}
		stores := []checks.Truststore{store}
		res, err := engine.Diagnose(ctx, engine.Request{
			Probe: probe.Options{Target: target, Now: env.Now, Tool: "tlsdoctor " + Version,
				Revocation: rev.probeOptions(stores), AIAKnownSubjects: engine.AnchorSubjects(stores)},
			Timeout: timeout,
			Judge:   engine.Judgement{Stores: stores},
		})
		srv.Close()
		if err != nil {
			return 0, err
		}
		out.noSummary = true
		if _, err := render(res, "", out, checks.Error, env); err != nil {
			return 0, err
		}
	}
	return ExitOK, nil
}

func description(name string) string {
	for _, s := range fixtures.Scenarios() {
		if s.Name == name {
			return s.Description
		}
	}
	return ""
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// clientVersionCap bounds the default run's handshake to what a client
// named with --client or --tls-max speaks when it stops below TLS 1.3, so
// that the record shows what that client gets (a TLS 1.2 client meets a
// client-certificate refusal during the handshake, not after it); zero
// values keep the probe's defaults.
func clientVersionCap(c *checks.ClientProfile) (lo, hi uint16) {
	if c == nil || len(c.Versions) == 0 {
		return 0, 0
	}
	hi = slices.Max(c.Versions)
	if hi >= tls.VersionTLS13 {
		return 0, 0
	}
	return min(hi, tls.VersionTLS12), hi
}
