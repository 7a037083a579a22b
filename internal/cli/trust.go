package cli

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/truststore"
)

// Named truststores.
const (
	storeSystem  = "system"
	storeMozilla = "mozilla"
	storeJava    = "java"
)

// trustOptions are the truststore and chain flags.
type trustOptions struct {
	// stores are the --truststore and --ca-file flags in the order given:
	// the first decides the findings and the exit code.
	stores      []storeFlag
	password    string
	passwordSet bool
	passFile    string
	warnDays    int
	fixBundle   string
	noAIA       bool

	// lookPath finds `java`; nil means exec.LookPath.
	lookPath func(string) (string, error)
}

func (t *trustOptions) register(fs *pflag.FlagSet) {
	fs.Func("truststore", "", func(s string) error { t.stores = append(t.stores, storeFlag{"--truststore", s}); return nil })
	fs.Func("ca-file", "", func(s string) error { t.stores = append(t.stores, storeFlag{"--ca-file", s}); return nil })
	fs.Func("truststore-password", "", func(s string) error { t.password, t.passwordSet = s, true; return nil })
	fs.StringVar(&t.passFile, "truststore-password-file", "", "")
	fs.IntVar(&t.warnDays, "warn-days", 30, "")
	fs.StringVar(&t.fixBundle, "fix-bundle", "", "")
	fs.BoolVar(&t.noAIA, "no-aia", false, "")
}

// storeFlag is one --truststore or --ca-file flag.
type storeFlag struct{ flag, arg string }

// trustFiles names the store flags given, for errors.
func trustFiles(t trustOptions) []string {
	var out []string
	if t.passFile != "" {
		out = append(out, "--truststore-password-file "+t.passFile)
	}
	for _, s := range t.stores {
		out = append(out, s.flag+" "+s.arg)
	}
	if len(out) == 0 {
		out = []string{"the system truststores"}
	}
	return out
}

// given reports whether the user named any truststore.
func (t *trustOptions) given() bool { return len(t.stores) > 0 }

// judgement is how the checks judge with these flags and stores.
func (t *trustOptions) judgement(stores []checks.Truststore, recorded []probe.RecordedTruststore, out outputOptions) engine.Judgement {
	wd := t.warnDays
	if wd == 0 {
		wd = -1 // --warn-days 0 disables the check
	}
	return engine.Judgement{Stores: stores, Recorded: recorded, WarnDays: wd, Client: out.client, Policy: out.policy}
}

// passwordFor returns the password given by flag, file or environment.
func (t *trustOptions) passwordFor(env Env) (truststore.Password, error) {
	switch {
	case t.passwordSet && t.passFile != "":
		return truststore.Password{}, &usageError{msg: "--truststore-password and --truststore-password-file contradict each other", hint: "give the password one way"}
	case t.passwordSet:
		return truststore.Password{Value: t.password, Set: true}, nil
	case t.passFile != "":
		v, err := inputfile.ReadPassword(t.passFile)
		if err != nil {
			return truststore.Password{}, &inputError{err: fmt.Errorf("--truststore-password-file: cannot read %s: %w", t.passFile, err)}
		}
		return truststore.Password{Value: v, Set: true}, nil
	}
	if v, ok := lookupEnv(env, "TLSDOCTOR_TRUSTSTORE_PASSWORD"); ok {
		return truststore.Password{Value: v, Set: true}, nil
	}
	return truststore.Password{}, nil
}

func lookupEnv(env Env, k string) (string, bool) {
	v := env.Getenv(k)
	return v, v != ""
}

// load returns the truststores to judge against and, for a record, how to
// record them: named stores by name, files with their certificates (they
// are public) so that an offline diagnosis uses the same trust. With no
// store given it is system, plus mozilla and java (when a JDK is found)
// for the per-store verdict.
func (t *trustOptions) load(env Env) ([]checks.Truststore, []probe.RecordedTruststore, error) {
	if err := t.validate(); err != nil {
		return nil, nil, err
	}
	var stores []checks.Truststore
	var recorded []probe.RecordedTruststore
	// Stores loaded together parse a root they share once.
	parser := &truststore.Parser{}
	if !t.given() {
		// Three independent files (the embedded roots, the system bundle,
		// the JDK's cacerts): parsed at once.
		named := []string{storeSystem, storeMozilla, storeJava}
		got := make([]checks.Truststore, len(named))
		errs := make([]error, len(named))
		var wg sync.WaitGroup
		for i, n := range named {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = t.named(parser, n, env)
			}()
		}
		wg.Wait()
		if errs[0] != nil {
			return nil, nil, errs[0]
		}
		for i := range named {
			// mozilla and java are for the per-store verdict: without a
			// JDK there is no java store, and that is no error.
			if errs[i] == nil {
				stores = append(stores, got[i])
				recorded = append(recorded, probe.RecordedTruststore{Name: got[i].Name})
			}
		}
		return stores, recorded, nil
	}
	pw, err := t.passwordFor(env)
	if err != nil {
		return nil, nil, err
	}
	add := func(flag, arg string) error {
		switch arg {
		case storeSystem, storeMozilla, storeJava:
			if flag == "--truststore" {
				ts, err := t.named(parser, arg, env)
				if err != nil {
					return err
				}
				ts.Flag = flag
				stores = append(stores, ts)
				recorded = append(recorded, probe.RecordedTruststore{Name: arg})
				return nil
			}
		}
		certs, format, err := parser.Load(arg, pw)
		if err != nil {
			return storeError(flag, arg, err)
		}
		name := arg
		if flag == "--ca-file" {
			name = "ca-file " + arg
		}
		ts := checks.NewTruststore(name, certs)
		ts.Source = fmt.Sprintf("%s (%s, %d certificates)", arg, format, len(certs))
		ts.Path, ts.Format, ts.Flag = arg, string(format), flag
		stores = append(stores, ts)
		rt := probe.RecordedTruststore{Name: name}
		for _, c := range certs {
			rt.Certificates = append(rt.Certificates, probe.Certificate{DER: c.Raw})
		}
		recorded = append(recorded, rt)
		return nil
	}
	for _, f := range t.stores {
		if err := add(f.flag, f.arg); err != nil {
			return nil, nil, err
		}
	}
	return stores, recorded, nil
}

// validate checks the flags that need no file read.
func (t *trustOptions) validate() error {
	if t.warnDays < 0 {
		return &usageError{msg: fmt.Sprintf("--warn-days %d must not be negative", t.warnDays), hint: "--warn-days 30, or 0 to disable the warning"}
	}
	return nil
}

// lazy says whether the stores can load while the probe runs: the default
// stores only. Files the user names are read first, so that a bad path or
// password is said before any connection is made.
func (t *trustOptions) lazy() bool { return !t.given() }

// named loads a named store: system, mozilla or java, with parser (nil:
// its own).
func (t *trustOptions) named(parser *truststore.Parser, name string, env Env) (checks.Truststore, error) {
	switch name {
	case storeSystem:
		certs, err := parser.System()
		if err != nil {
			return checks.Truststore{}, &inputError{err: err}
		}
		ts := checks.NewTruststore(storeSystem, certs)
		ts.Source = "system roots"
		return ts, nil
	case storeMozilla:
		certs, err := parser.Mozilla()
		if err != nil {
			return checks.Truststore{}, &inputError{err: err}
		}
		ts := checks.NewTruststore(storeMozilla, certs)
		ts.Source, ts.Public = "Mozilla roots embedded in tlsdoctor", true
		return ts, nil
	case storeJava:
		lp := t.lookPath
		if lp == nil {
			lp = exec.LookPath
		}
		path, err := truststore.JavaCacerts(env.Getenv, lp)
		if err != nil {
			return checks.Truststore{}, &usageError{msg: "--truststore java: " + err.Error(), hint: "set JAVA_HOME to the JDK your application runs on, or pass its cacerts as --truststore FILE"}
		}
		pw, err := t.passwordFor(env)
		if err != nil {
			return checks.Truststore{}, err
		}
		certs, err := parser.Java(path, pw)
		if err != nil {
			return checks.Truststore{}, storeError("--truststore java", path, err)
		}
		ts := checks.NewTruststore(storeJava, certs)
		ts.Source, ts.Path = path, path
		return ts, nil
	}
	return checks.Truststore{}, &inputError{err: fmt.Errorf("unknown truststore %q", name)}
}

// storeError turns a truststore load error into one line and a hint.
func storeError(flag, path string, err error) error {
	msg := flag + ": " + err.Error()
	switch {
	case errors.Is(err, truststore.ErrWrongPassword):
		return &usageError{msg: msg, hint: "check the password with: keytool -list -keystore " + checks.ShellQuote(path)}
	case errors.Is(err, truststore.ErrPasswordNeeded):
		return &usageError{msg: msg, hint: "give it with --truststore-password, TLSDOCTOR_TRUSTSTORE_PASSWORD or --truststore-password-file"}
	case errors.Is(err, truststore.ErrUnsupported):
		return &usageError{msg: msg, hint: "convert it: keytool -importkeystore -srckeystore " + checks.ShellQuote(path) + " -srcstoretype JCEKS -destkeystore truststore.p12 -deststoretype PKCS12"}
	case errors.Is(err, inputfile.ErrTooManyIterations):
		return &usageError{msg: msg, hint: "if the file is genuine, re-export it with the default iteration count: openssl pkcs12 -in " + checks.ShellQuote(path) + " -nokeys -out certs.pem, then use certs.pem"}
	case errors.Is(err, truststore.ErrNoCertificates):
		return &usageError{msg: msg, hint: "a truststore holds CA certificates: a PEM bundle, a DER certificate, a PKCS#12 or a JKS file"}
	}
	return &inputError{err: fmt.Errorf("%s: %w", flag, err)}
}

// writeFixBundle writes the corrected chain for --fix-bundle. When no
// complete chain can be built it says so on stderr and writes nothing.
func writeFixBundle(path string, res *engine.Result, env Env) error {
	if path == "" {
		return nil
	}
	certs, err := checks.FixBundle(checks.NewInput(res.Record, res.Env))
	if err != nil {
		fmt.Fprintf(env.Stderr, "tlsdoctor: --fix-bundle: %s not written: %s\n", path, err)
		return nil
	}
	var out []byte
	for _, c := range certs {
		out = append(out, []byte(fmt.Sprintf("# %s\n# issuer: %s\n", c.Subject.String(), c.Issuer.String()))...)
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return &inputError{err: fmt.Errorf("--fix-bundle: cannot write %s: %w", path, unwrapPath(err))}
	}
	fmt.Fprintf(env.Stderr, "tlsdoctor: wrote the full chain (%s) to %s\n", chainNames(certs), path)
	return nil
}

func chainNames(cs []*x509.Certificate) string {
	var ns []string
	for _, c := range cs {
		ns = append(ns, checks.Name(c))
	}
	return strings.Join(ns, " → ")
}
