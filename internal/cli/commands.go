package cli

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

const usage = `tlsdoctor: connect to a TLS server, explain every problem, print the fix.

Usage:
  tlsdoctor [flags] TARGET              diagnose a live server
  tlsdoctor diagnose --record FILE      diagnose a saved record, offline
  tlsdoctor checks                      list every check
  tlsdoctor demo [SCENARIO...]          run the built-in fault servers (no network needed)
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
                           mozilla and java are reported too
      --ca-file FILE       same as --truststore FILE (repeatable)
      --truststore-password PASS, --truststore-password-file FILE
                           password of PKCS#12/JKS truststores (or TLSDOCTOR_TRUSTSTORE_PASSWORD);
                           Java's own cacerts uses "changeit" unless one is given
      --warn-days N        warn about certificates expiring within N days (default 30; 0 disables)
      --fix-bundle FILE    write the corrected full chain (leaf, then intermediates; PEM) to FILE
      --no-aia             do not download missing intermediates from AIA caIssuers URLs
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
      --format text|json   output format (default text); JSON is {"record":…, "findings":[…]}
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
  1  findings at or above --fail-on
  2  usage or input error (bad flag, unreadable file)
  3  could not probe at all (DNS failure, connection refused, timeout)
`

type probeOptions struct {
	out        outputOptions
	trust      trustOptions
	sni        string
	noSNI      bool
	connectTo  string
	alpn       []string
	timeout    time.Duration
	saveRecord string
	version    bool
	revocation revocationOptions
	identity   identityOptions
	scan       scanOptions
	connect    connectOptions
}

func runProbe(ctx context.Context, args []string, env Env) (int, error) {
	var o probeOptions
	fs := newFlagSet("tlsdoctor")
	fs.StringVar(&o.sni, "sni", "", "")
	fs.BoolVar(&o.noSNI, "no-sni", false, "")
	fs.StringVar(&o.connectTo, "connect-to", "", "")
	fs.StringSliceVar(&o.alpn, "alpn", nil, "")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "")
	fs.StringVar(&o.saveRecord, "save-record", "", "")
	fs.BoolVar(&o.version, "version", false, "")
	o.trust.register(fs)
	o.revocation.register(fs)
	o.identity.register(fs)
	o.out.register(fs)
	o.scan.register(fs)
	o.connect.register(fs)
	if help, err := parseFlags(fs, args, env, usage+fmt.Sprintf(scanUsage, strings.Join(checks.ClientProfileNames(), ", "))); help || err != nil {
		return ExitOK, err
	}
	if o.version {
		fmt.Fprintf(env.Stdout, "tlsdoctor %s\n", Version)
		return ExitOK, nil
	}
	failOn, err := o.out.validate()
	if err != nil {
		return 0, err
	}
	if err := o.revocation.validate(); err != nil {
		return 0, err
	}
	if o.out.client, err = o.scan.profile(); err != nil {
		return 0, err
	}
	if o.out.policy, err = o.scan.policyProfile(); err != nil {
		return 0, err
	}
	if o.scan.scan && !fs.Changed("timeout") {
		o.timeout = 60 * time.Second
	}
	switch {
	case fs.NArg() == 0:
		return 0, &usageError{msg: "no target given", hint: "tlsdoctor example.com, or 'tlsdoctor demo' to try it without network"}
	case fs.NArg() > 1:
		return 0, &usageError{msg: fmt.Sprintf("one target at a time, got %d: %s", fs.NArg(), strings.Join(fs.Args(), " ")), hint: "flags may come before or after the target"}
	case o.sni != "" && o.noSNI:
		return 0, &usageError{msg: "--sni and --no-sni contradict each other", hint: "--sni NAME sends NAME; --no-sni sends none"}
	case o.timeout <= 0:
		return 0, &usageError{msg: "--timeout must be positive", hint: "for example --timeout 10s"}
	}
	target, err := probe.ParseTarget(fs.Arg(0))
	if err != nil {
		return 0, &usageError{msg: err.Error(), hint: "examples: example.com, example.com:8443, [::1]:443, https://example.com/path"}
	}
	if o.connectTo != "" {
		h, p, err := probe.ParseConnectTo(o.connectTo, target.Port)
		if err != nil {
			return 0, &usageError{msg: "--connect-to: " + err.Error(), hint: "--connect-to 10.0.0.5:8443 or --connect-to backend.internal"}
		}
		target.ConnectHost, target.ConnectPort = h, p
	}
	target.SNI = o.sni
	target.ALPN = o.alpn
	conn, err := o.connect.options(target, env)
	if err != nil {
		return 0, err
	}
	// The default truststores load while the handshake runs (see
	// engine.Request.Trust); stores named by flag load first.
	var stores []checks.Truststore
	var recorded []probe.RecordedTruststore
	if err := o.trust.validate(); err != nil {
		return 0, err
	}
	if !o.trust.lazy() {
		if stores, recorded, err = o.trust.load(env); err != nil {
			return 0, err
		}
	}
	popts := probe.Options{Target: target, NoSNI: o.noSNI, Tool: "tlsdoctor " + Version,
		Revocation: o.revocation.probeOptions(stores), NoAIA: o.trust.noAIA, AIAKnownSubjects: engine.AnchorSubjects(stores),
		Connect: conn}
	if o.scan.scan {
		// --scan always checks whether the server needs SNI.
		popts.SNICheck = probe.SNICheckAlways
	}
	if id, err := o.identity.load(fs, env); err != nil {
		return 0, err
	} else if id != nil {
		popts.ClientCertificate, popts.ClientSource = &id.Certificate, id.Format+" "+id.Source
	}
	req := engine.Request{Probe: popts, Timeout: o.timeout, Judge: o.trust.judgement(stores, recorded, o.out)}
	if o.trust.lazy() {
		req.Trust = func() (engine.Trust, error) {
			s, r, err := o.trust.load(env)
			return engine.Trust{Stores: s, Recorded: r}, err
		}
	}
	req.Probe.Now = env.Now
	if o.scan.scan {
		req.Scan = &probe.ScanOptions{MaxConns: o.scan.maxConns, Delay: o.scan.delay, Connect: conn}
	}
	if o.out.verbose {
		req.Progress = verboseProgress(env.Stderr, target, o.timeout, req.Scan)
	}
	res, err := engine.Diagnose(ctx, req)
	if err != nil {
		return 0, err
	}
	if o.saveRecord != "" {
		if err := writeRecord(o.saveRecord, res.Record); err != nil {
			return 0, err
		}
	}
	return render(res, o.trust.fixBundle, o.out, failOn, env)
}

// verboseProgress tells a -v run on stderr what the diagnosis is doing.
func verboseProgress(w io.Writer, t probe.Target, timeout time.Duration, scan *probe.ScanOptions) func(engine.Event) {
	return func(e engine.Event) {
		switch {
		case e.Stage == "probe" && !e.Done:
			fmt.Fprintf(w, "tlsdoctor: probing %s:%d (timeout %s)\n", t.ConnectHost, t.ConnectPort, timeout)
		case e.Stage == "probe":
			if how := describeConnect(e.Record); how != "" {
				fmt.Fprintf(w, "tlsdoctor: connected %s\n", how)
			}
			revocationProgress(w, e.Record)
		case e.Stage == "scan" && !e.Done:
			fmt.Fprintf(w, "tlsdoctor: scanning %s (max %d connections, delay %s)\n", e.Record.Target.Input, scan.MaxConns, scan.Delay)
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
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, &inputError{err: fmt.Errorf("--record: cannot read %s: %w", path, unwrapPath(err))}
	}
	rec, err := probe.DecodeRecord(data)
	if err != nil {
		return 0, &inputError{err: fmt.Errorf("--record: %s is %w", path, err)}
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
	tbl := tablewriter.NewTable(env.Stdout,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeader([]string{"ID", "Severity", "Looks for"}),
		tablewriter.WithHeaderAutoFormat(tw.Off),
	)
	for _, r := range rows {
		_ = tbl.Append([]string{r.ID, r.Severity, r.Title})
	}
	return ExitOK, tbl.Render()
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
			fmt.Fprintf(env.Stdout, "════ demo %d/%d: %s — %s ════\n", i+1, len(names), n, description(n))
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
