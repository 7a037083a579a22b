package cli

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/inspect"
	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
	"github.com/tlsdoctor/tlsdoctor/report"
)

const inspectUsage = `Usage:
  tlsdoctor inspect [flags] FILE...
  tlsdoctor inspect --keystore FILE --truststore FILE [--name HOST] [--client-keystore FILE --server-truststore FILE]
  tlsdoctor inspect --java [--java-home DIR] [--jvm-options "..."] [--for HOST[:PORT]]
  tlsdoctor inspect FILE --extract SHA256 > cert.pem

Read certificate, key and keystore files offline and say what they hold and
what is wrong with them: PEM (certificates and keys, encrypted or not), DER,
PKCS#12 (.p12/.pfx), JKS, JCEKS and Kubernetes TLS secrets (YAML or JSON;
"-" reads standard input: kubectl get secret NAME -o yaml | tlsdoctor inspect -).
The type is read from the content; when the name or --type says otherwise,
the error Java prints for it is shown.

Files:
      --password PW, --password-file FILE, --password-env VAR
                           password of the FILEs (or TLSDOCTOR_PASSWORD); when none is
                           given, Java's default "changeit" and the empty password are
                           tried, and the report says which one opened the file
      --key-password PW, --key-password-file FILE
                           password of key entries when it differs from the store's
                           (or TLSDOCTOR_KEY_PASSWORD)
      --type TYPE          the type the application opens the file as: JKS, PKCS12, JCEKS, PEM
      --alias NAME         the key entry the application uses (checked to exist)
      --name HOST          the host name key entries must cover
      --warn-days N        warn about certificates expiring within N days (default 30; 0 disables)
      --extract SHA256     write the certificate with this SHA-256 fingerprint (a prefix of
                           at least 8 hex digits, colons optional) as PEM to stdout
Alignment (would these two sides trust each other?):
      --keystore FILE      the server's keystore (the chain it presents)
      --truststore FILE    the client's truststore
      --name HOST          the name the client connects to
      --client-keystore FILE, --server-truststore FILE
                           the other direction, for mutual TLS
      --alias NAME, --client-alias NAME
                           the key entries used (default: every private key entry)
      --keystore-password[-file], --truststore-password[-file]
                           passwords (or TLSDOCTOR_KEYSTORE_PASSWORD, TLSDOCTOR_TRUSTSTORE_PASSWORD);
                           they apply to both directions' keystores and truststores
Java (which truststore a JVM really reads):
      --java               resolve it: javax.net.ssl.trustStore/Type/Password (from --jvm-options,
                           JDK_JAVA_OPTIONS, JAVA_TOOL_OPTIONS), jssecacerts before cacerts,
                           java.security keystore.type; judge with its disabledAlgorithms
      --java-home DIR      the JDK (default: JAVA_HOME, then java on PATH)
      --jvm-options "..."  the application's JVM options (-Djavax.net.ssl.trustStore=...)
      --for HOST[:PORT]    probe HOST live with exactly that truststore
      --timeout DURATION   bound on the live probe (default 10s)
Output:
      --format text|json   text (default) or JSON (docs/inspect.md)
      --color auto|always|never, --fail-on info|warning|error, -q, -v
                           as for a live run; -v lists every entry of large stores

Examples:
  tlsdoctor inspect server.p12 --password-file pw.txt
  tlsdoctor inspect keystore.jks --alias server --name api.example.com
  kubectl get secret api-tls -o yaml | tlsdoctor inspect -
  tlsdoctor inspect --keystore server.p12 --truststore client-trust.jks --name api.example.com
  tlsdoctor inspect --java --jvm-options "-Djavax.net.ssl.trustStore=/opt/app/trust.jks" --for api.example.com

Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 unreadable or invalid input.
`

type inspectOptions struct {
	out                  outputOptions
	password             pwFlags
	keyPassword          pwFlags
	ksPassword           pwFlags
	tsPassword           pwFlags
	typ                  string
	alias, clientAlias   string
	name                 string
	warnDays             int
	extract              string
	keystore, truststore string
	clientKeystore       string
	serverTruststore     string
	java                 bool
	javaHome             string
	jvmOptions           string
	forHost              string
	timeout              time.Duration
}

// pwFlags are one password's flag, file flag and environment variable.
type pwFlags struct {
	flag, env string
	value     string
	set       bool
	file      string
	envFlag   string // --password-env VAR
}

func (p *pwFlags) register(fs *pflag.FlagSet, name, env string) {
	p.flag, p.env = name, env
	fs.Func(name, "", func(s string) error { p.value, p.set = s, true; return nil })
	fs.StringVar(&p.file, name+"-file", "", "")
}

// resolve returns the password given by flag, file or environment, with
// where it came from (never the value).
func (p *pwFlags) resolve(env Env) (inspect.Password, error) {
	n := 0
	for _, b := range []bool{p.set, p.file != "", p.envFlag != ""} {
		if b {
			n++
		}
	}
	switch {
	case n > 1:
		return inspect.Password{}, &usageError{msg: fmt.Sprintf("--%s, --%s-file and --%s-env contradict each other", p.flag, p.flag, p.flag), hint: "give the password one way"}
	case p.set:
		return inspect.Password{Value: p.value, Set: true, Source: "--" + p.flag}, nil
	case p.file != "":
		v, err := inputfile.ReadPassword(p.file)
		if err != nil {
			return inspect.Password{}, &inputError{err: fmt.Errorf("--%s-file: cannot read %s: %w", p.flag, p.file, err)}
		}
		return inspect.Password{Value: v, Set: true, Source: "--" + p.flag + "-file " + p.file, File: p.file}, nil
	case p.envFlag != "":
		v, ok := lookupEnv(env, p.envFlag)
		if !ok {
			return inspect.Password{}, &usageError{msg: fmt.Sprintf("--%s-env %s: the variable is not set", p.flag, p.envFlag), hint: "export it first"}
		}
		return inspect.Password{Value: v, Set: true, Source: p.envFlag, Env: p.envFlag}, nil
	}
	if v, ok := lookupEnv(env, p.env); ok {
		return inspect.Password{Value: v, Set: true, Source: p.env, Env: p.env}, nil
	}
	return inspect.Password{}, nil
}

func runInspect(ctx context.Context, args []string, env Env) (int, error) {
	var o inspectOptions
	fs := newFlagSet("inspect")
	o.password.register(fs, "password", "TLSDOCTOR_PASSWORD")
	fs.StringVar(&o.password.envFlag, "password-env", "", "")
	o.keyPassword.register(fs, "key-password", "TLSDOCTOR_KEY_PASSWORD")
	o.ksPassword.register(fs, "keystore-password", "TLSDOCTOR_KEYSTORE_PASSWORD")
	o.tsPassword.register(fs, "truststore-password", "TLSDOCTOR_TRUSTSTORE_PASSWORD")
	fs.StringVar(&o.typ, "type", "", "")
	fs.StringVar(&o.alias, "alias", "", "")
	fs.StringVar(&o.clientAlias, "client-alias", "", "")
	fs.StringVar(&o.name, "name", "", "")
	fs.IntVar(&o.warnDays, "warn-days", 30, "")
	fs.StringVar(&o.extract, "extract", "", "")
	fs.StringVar(&o.keystore, "keystore", "", "")
	fs.StringVar(&o.truststore, "truststore", "", "")
	fs.StringVar(&o.clientKeystore, "client-keystore", "", "")
	fs.StringVar(&o.serverTruststore, "server-truststore", "", "")
	fs.BoolVar(&o.java, "java", false, "")
	fs.StringVar(&o.javaHome, "java-home", "", "")
	fs.StringVar(&o.jvmOptions, "jvm-options", "", "")
	fs.StringVar(&o.forHost, "for", "", "")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "")
	o.out.register(fs)
	if help, err := parseFlags(fs, args, env, inspectUsage); help || err != nil {
		return ExitOK, err
	}
	failOn, err := o.out.validate()
	if err != nil {
		return 0, err
	}
	if err := o.validate(fs); err != nil {
		return 0, err
	}
	now := env.Now()
	judge := inspect.Judge{Now: now, WarnDays: o.warnDays, Name: o.name, Alias: o.alias}
	if o.warnDays == 0 {
		judge.WarnDays = -1
	}
	var stores []*inspect.Store
	pw, err := o.password.resolve(env)
	if err != nil {
		return 0, err
	}
	keyPW, err := o.keyPassword.resolve(env)
	if err != nil {
		return 0, err
	}
	for _, f := range fs.Args() {
		s, err := readStore(f, inspect.Options{Name: f, Password: pw, KeyPassword: keyPW, Type: o.typ}, env)
		if err != nil {
			return 0, err
		}
		stores = append(stores, s)
	}
	if o.extract != "" {
		return extractCert(stores, o.extract, env)
	}
	r := inspect.Inspect(stores, judge)
	if err := o.align(r, judge, keyPW, env); err != nil {
		return 0, err
	}
	code := ExitOK
	if o.java {
		if code, err = o.javaTrust(ctx, r, judge, env); err != nil {
			return 0, err
		}
	}
	inspect.Sort(r.Findings)
	if o.out.format == "json" {
		err = report.InspectJSON(env.Stdout, r)
	} else {
		err = report.InspectText(env.Stdout, r, report.TextOptions{Color: o.out.useColor(env), Quiet: o.out.quiet, Verbose: o.out.verbose})
	}
	if err != nil {
		return ExitNoProbe, fmt.Errorf("writing the report: %w", err)
	}
	if checks.Worst(r.Findings) >= failOn {
		code = max(code, ExitFindings)
	}
	return code, nil
}

func (o *inspectOptions) validate(fs *pflag.FlagSet) error {
	alignment := o.keystore != "" || o.truststore != "" || o.clientKeystore != "" || o.serverTruststore != ""
	switch {
	case (o.keystore == "") != (o.truststore == ""):
		return &usageError{msg: "--keystore and --truststore go together", hint: "--keystore server.p12 --truststore client-trust.jks: would the client trust the server?"}
	case (o.clientKeystore == "") != (o.serverTruststore == ""):
		return &usageError{msg: "--client-keystore and --server-truststore go together", hint: "--client-keystore client.jks --server-truststore server-trust.jks"}
	case o.typ != "" && !inspect.ValidType(o.typ):
		return &usageError{msg: fmt.Sprintf("--type %q is not a store type", o.typ), hint: "--type JKS, PKCS12, JCEKS or PEM"}
	case o.forHost != "" && !o.java:
		return &usageError{msg: "--for needs --java", hint: "tlsdoctor inspect --java --for HOST:PORT probes HOST with the JVM's truststore"}
	case (o.javaHome != "" || o.jvmOptions != "") && !o.java:
		return &usageError{msg: "--java-home and --jvm-options need --java", hint: "tlsdoctor inspect --java --java-home DIR"}
	case o.extract != "" && fs.NArg() == 0:
		return &usageError{msg: "--extract needs the FILE to extract from", hint: "tlsdoctor inspect server.p12 --extract 3F:9A:... > ca.pem"}
	case o.warnDays < 0:
		return &usageError{msg: fmt.Sprintf("--warn-days %d must not be negative", o.warnDays), hint: "--warn-days 30, or 0 to disable the warning"}
	case o.timeout <= 0:
		return &usageError{msg: "--timeout must be positive", hint: "for example --timeout 10s"}
	case fs.NArg() == 0 && !alignment && !o.java:
		return &usageError{msg: "inspect needs a FILE, --keystore/--truststore or --java", hint: "tlsdoctor inspect keystore.p12, or tlsdoctor inspect --help"}
	}
	return nil
}

// readStore reads and parses one file; errors are one line naming the
// file (exit 2).
func readStore(path string, opts inspect.Options, env Env) (*inspect.Store, error) {
	data, err := inspect.ReadFile(path, env.Stdin)
	if err == nil {
		var s *inspect.Store
		if s, err = inspect.Read(data, opts); err == nil {
			return s, nil
		}
	}
	var ie *inspect.InputError
	if errors.As(err, &ie) && ie.Hint != "" {
		return nil, &usageError{msg: err.Error(), hint: ie.Hint}
	}
	return nil, &inputError{err: err}
}

func (o *inspectOptions) align(r *inspect.Report, j inspect.Judge, keyPW inspect.Password, env Env) error {
	ksPW, err := o.ksPassword.resolve(env)
	if err != nil {
		return err
	}
	tsPW, err := o.tsPassword.resolve(env)
	if err != nil {
		return err
	}
	for _, side := range []struct {
		dir, ks, ts, alias, name string
	}{
		{inspect.ServerToClient, o.keystore, o.truststore, o.alias, o.name},
		{inspect.ClientToServer, o.clientKeystore, o.serverTruststore, o.clientAlias, ""},
	} {
		if side.ks == "" {
			continue
		}
		ks, err := readStore(side.ks, inspect.Options{Name: side.ks, Password: ksPW, KeyPassword: keyPW}, env)
		if err != nil {
			return err
		}
		ts, err := readStore(side.ts, inspect.Options{Name: side.ts, Password: tsPW}, env)
		if err != nil {
			return err
		}
		vs, err := inspect.Align(side.dir, ks, side.alias, ts, side.name, j.Now)
		if err != nil {
			return &usageError{msg: err.Error(), hint: "name a private key entry with --alias (tlsdoctor inspect " + checks.ShellQuote(side.ks) + ksPW.ReopenOption() + " lists them)"}
		}
		sub := j
		sub.Alias = side.alias
		sub.Name = side.name
		for _, s := range []*inspect.Store{ks, ts} {
			if !hasStore(r.Stores, s.File) {
				inspect.DescribeStore(s, j.Now)
				r.Stores = append(r.Stores, s)
				r.Findings = append(r.Findings, inspect.Findings(s, sub)...)
			}
		}
		r.Alignment = append(r.Alignment, vs...)
		for _, v := range vs {
			r.Findings = append(r.Findings, v.Findings...)
		}
	}
	return nil
}

func hasStore(ss []*inspect.Store, file string) bool {
	for _, s := range ss {
		if s.File == file {
			return true
		}
	}
	return false
}

// extractCert writes the certificate whose SHA-256 starts with fp.
func extractCert(stores []*inspect.Store, fp string, env Env) (int, error) {
	want := strings.ToUpper(strings.ReplaceAll(fp, ":", ""))
	if len(want) < 8 || strings.Trim(want, "0123456789ABCDEF") != "" {
		return 0, &usageError{msg: fmt.Sprintf("--extract %q is not a SHA-256 fingerprint prefix", fp), hint: "give at least 8 hex digits, as tlsdoctor inspect prints them (colons optional)"}
	}
	var found []string
	var der []byte
	seen := map[string]bool{}
	for _, s := range stores {
		for _, e := range s.Entries {
			for _, c := range e.Chain {
				full := inspect.SHA256Fingerprint(c)
				if strings.HasPrefix(strings.ReplaceAll(full, ":", ""), want) && !seen[full] {
					seen[full] = true
					found = append(found, full)
					der = c.Raw
				}
			}
		}
	}
	switch len(found) {
	case 0:
		return 0, &usageError{msg: fmt.Sprintf("--extract: no certificate with SHA-256 %s… in %s", fp, storeFiles(stores)), hint: "tlsdoctor inspect FILE lists every certificate with its fingerprint"}
	case 1:
		return ExitOK, pem.Encode(env.Stdout, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	return 0, &usageError{msg: fmt.Sprintf("--extract %s matches %d certificates", fp, len(found)), hint: "give more digits: " + strings.Join(found, ", ")}
}

func storeFiles(ss []*inspect.Store) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.File)
	}
	return strings.Join(out, ", ")
}
