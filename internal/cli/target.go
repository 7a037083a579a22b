package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/identity"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// targetOptions are the flags that say how to diagnose one target: how to
// connect, what to trust, which identity to present, what to scan. The
// same flags are given on the command line (for every target) and on a
// line of a targets file (for that target). Every per-target flag is
// registered in registerTargetFlags, and nowhere else.
type targetOptions struct {
	sni        string
	noSNI      bool
	connectTo  string
	alpn       []string
	timeout    time.Duration
	trust      trustOptions
	revocation revocationOptions
	identity   identityOptions
	scan       scanOptions
	connect    connectOptions
	// allowPrivateFetch is --allow-private-fetch (probe.FetchPolicy).
	allowPrivateFetch bool
}

// registerTargetFlags registers the per-target flags on fs. A flag added
// here is accepted on the command line and on every targets-file line.
func registerTargetFlags(fs *pflag.FlagSet, o *targetOptions) {
	fs.StringVar(&o.sni, "sni", "", "")
	fs.BoolVar(&o.noSNI, "no-sni", false, "")
	fs.StringVar(&o.connectTo, "connect-to", "", "")
	fs.StringSliceVar(&o.alpn, "alpn", nil, "")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "")
	o.trust.register(fs)
	o.revocation.register(fs)
	o.identity.register(fs)
	o.scan.register(fs)
	o.connect.register(fs)
	fs.BoolVar(&o.allowPrivateFetch, "allow-private-fetch", false, "")
}

// singleTargetFlags are per-target flags that write a file for the target:
// they make sense for one target only.
var singleTargetFlags = []string{"fix-bundle"}

// setFlag is one flag as given, in order: what a targets-file line
// inherits from the command line.
type setFlag struct {
	name, value string
	isBool      bool
}

// recordFlags wraps every flag fs has so far so that each value given is
// appended to *log, in order.
func recordFlags(fs *pflag.FlagSet, log *[]setFlag) {
	fs.VisitAll(func(f *pflag.Flag) {
		f.Value = &recordingValue{Value: f.Value, name: f.Name, log: log}
	})
}

type recordingValue struct {
	pflag.Value
	name string
	log  *[]setFlag
}

func (r *recordingValue) Set(s string) error {
	if err := r.Value.Set(s); err != nil {
		return err
	}
	*r.log = append(*r.log, setFlag{name: r.name, value: s, isBool: r.Value.Type() == "bool"})
	return nil
}

// targetSpec is one target ready to diagnose.
type targetSpec struct {
	// input is the target as given; origin says where ("" for the command
	// line, "FILE:LINE" for a targets-file line).
	input, origin string
	// key identifies the diagnosis: equal keys are probed once.
	key string
	req engine.Request
	// args are the per-target flags in force (the command line's and the
	// line's), to print the command that reproduces the diagnosis; extra
	// the run-level flags that change its verdict (--policy-file).
	args, extra []setFlag
	// timeoutSet is whether --timeout was given for this target.
	timeoutSet bool
}

// shared caches what per-target options load, so that a thousand targets
// with the same --ca-file (or none) read and parse it once.
type shared struct {
	stores     map[string]loadedStores
	identities map[string]*identity.Identity
	// loadStores, when set, replaces the truststore flags (a subcommand
	// that probes with stores of its own: inspect --java --for).
	loadStores func(Env) ([]checks.Truststore, []probe.RecordedTruststore, error)
	// lazyDefault loads the default truststores (none named by a flag)
	// while the probe runs rather than before it (engine.Request.Trust):
	// for one target, where the time shows. Files the user names are read
	// first, so that a bad path or password is said before any connection.
	lazyDefault bool
}

type loadedStores struct {
	stores   []checks.Truststore
	recorded []probe.RecordedTruststore
	anchors  [][]byte
}

func newShared() *shared {
	return &shared{stores: map[string]loadedStores{}, identities: map[string]*identity.Identity{}}
}

// flagsKey is the part of args that names the given flags, for a cache
// key.
func flagsKey(args []setFlag, names ...string) string {
	var b strings.Builder
	for _, a := range args {
		for _, n := range names {
			if a.name == n || strings.HasPrefix(a.name, n+"-") {
				fmt.Fprintf(&b, "%s=%q ", a.name, a.value)
			}
		}
	}
	return b.String()
}

// spec validates o (parsed into fs) for the target input and builds the
// diagnosis request. Errors are usage or input errors (exit 2).
func (o *targetOptions) spec(fs *pflag.FlagSet, input string, args []setFlag, env Env, cache *shared) (*targetSpec, error) {
	if err := o.revocation.validate(); err != nil {
		return nil, err
	}
	var out outputOptions
	var err error
	if out.client, err = o.scan.profile(); err != nil {
		return nil, err
	}
	if out.policy, err = o.scan.policyProfile(); err != nil {
		return nil, err
	}
	if o.scan.scan && !fs.Changed("timeout") {
		o.timeout = 60 * time.Second
	}
	switch {
	case o.sni != "" && o.noSNI:
		return nil, &usageError{msg: "--sni and --no-sni contradict each other", hint: "--sni NAME sends NAME; --no-sni sends none"}
	case o.timeout <= 0:
		return nil, &usageError{msg: "--timeout must be positive", hint: "for example --timeout 10s"}
	}
	if err := targetMistake(input); err != nil {
		return nil, err
	}
	target, err := probe.ParseTarget(input)
	if err != nil {
		return nil, &usageError{msg: err.Error(), hint: "examples: example.com, example.com:8443, [::1]:443, https://example.com/path"}
	}
	if o.connectTo != "" {
		h, p, err := probe.ParseConnectTo(o.connectTo, target.Port)
		if err != nil {
			return nil, &usageError{msg: "--connect-to: " + err.Error(), hint: "--connect-to 10.0.0.5:8443 or --connect-to backend.internal"}
		}
		target.ConnectHost, target.ConnectPort = h, p
	}
	target.SNI = o.sni
	target.ALPN = o.alpn
	conn, err := o.connect.options(target, env)
	if err != nil {
		return nil, err
	}

	// --timeout bounds the whole diagnosis: loading the truststores and the
	// client identity (key derivation in a PKCS#12 file) counts too, and
	// what it takes is left out of the probe's budget.
	start := time.Now()
	lctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	if err := o.trust.validate(); err != nil {
		return nil, err
	}
	lazy := cache.lazyDefault && cache.loadStores == nil && o.trust.lazy()
	tkey := flagsKey(args, "truststore", "ca-file", "warn-days")
	ls, ok := cache.stores[tkey]
	if !ok && !lazy {
		load := o.trust.load
		if cache.loadStores != nil {
			load = cache.loadStores
		}
		var stores []checks.Truststore
		var recorded []probe.RecordedTruststore
		if err := within(lctx, o.timeout, trustFiles(o.trust), func() (err error) {
			stores, recorded, err = load(env)
			return err
		}); err != nil {
			return nil, err
		}
		ls = loadedStores{stores: stores, recorded: recorded, anchors: engine.AnchorSubjects(stores)}
		cache.stores[tkey] = ls
	}
	popts := probe.Options{Target: target, NoSNI: o.noSNI, Tool: "tlsdoctor " + Version,
		Revocation: o.revocation.probeOptions(ls.stores), NoAIA: o.trust.noAIA, AIAKnownSubjects: ls.anchors,
		Connect: conn, DirectCheck: o.connect.directCheck(), FetchPolicy: probe.FetchPolicy{AllowPrivate: o.allowPrivateFetch}}
	// A named client capped below TLS 1.3 (--client java8 --tls-max 1.2):
	// the default handshake offers what it offers, so the record shows
	// what that client meets.
	popts.MinVersion, popts.MaxVersion = clientVersionCap(out.client)
	switch {
	case o.connect.noSNICheck:
		popts.SNICheck = probe.SNICheckOff
	case o.scan.scan:
		// --scan always checks whether the server needs SNI.
		popts.SNICheck = probe.SNICheckAlways
	}
	ikey := flagsKey(args, "cert", "key", "keystore", "alias")
	id, ok := cache.identities[ikey]
	if !ok {
		if err := within(lctx, o.timeout, fileFlags(fs, "cert", "key", "keystore", "key-password-file", "cert-password-file", "keystore-password-file"), func() (err error) {
			id, err = o.identity.load(fs, env)
			return err
		}); err != nil {
			return nil, err
		}
		cache.identities[ikey] = id
	}
	if id != nil {
		popts.ClientCertificate, popts.ClientSource = &id.Certificate, id.Format+" "+id.Source
		popts.ClientCertFile, popts.ClientKeyFile = id.CertFile, id.KeyFile
	}
	timeout := o.timeout - time.Since(start)
	if timeout <= 0 {
		return nil, &inputError{err: fmt.Errorf("loading the truststores and the client identity took all of --timeout %s", o.timeout), hint: "give a longer --timeout"}
	}
	req := engine.Request{Probe: popts, Timeout: timeout, Judge: o.trust.judgement(ls.stores, ls.recorded, out)}
	if lazy {
		req.Trust = func() (engine.Trust, error) {
			s, r, err := o.trust.load(env)
			return engine.Trust{Stores: s, Recorded: r}, err
		}
	}
	req.Probe.Now = env.Now
	if o.scan.scan {
		req.Scan = &probe.ScanOptions{MaxConns: o.scan.maxConns, Delay: o.scan.delay, Connect: conn}
	}
	return &targetSpec{input: input, key: diagnosisKey(target, fs), req: req, args: args, timeoutSet: fs.Changed("timeout")}, nil
}

// diagnosisKey identifies what a diagnosis does: where it connects, what
// it asks and every per-target flag in force. Two targets with the same
// key are one diagnosis.
func diagnosisKey(t probe.Target, fs *pflag.FlagSet) string {
	parts := []string{fmt.Sprintf("%s:%d %s:%d %s", strings.ToLower(t.Host), t.Port, strings.ToLower(t.ConnectHost), t.ConnectPort, t.Path)}
	var o targetOptions
	own := newFlagSet("target")
	registerTargetFlags(own, &o)
	var flags []string
	fs.Visit(func(f *pflag.Flag) {
		if own.Lookup(f.Name) == nil {
			return // a run-level flag: the same for every target
		}
		v := f.Value
		if r, ok := v.(*recordingValue); ok {
			v = r.Value
		}
		flags = append(flags, f.Name+"="+v.String())
	})
	sort.Strings(flags)
	return strings.Join(append(parts, flags...), "\x00")
}

// command is the tlsdoctor command line that diagnoses this target alone
// with the same options, each word shell-quoted; extra are run-level
// flags that change the verdict (--policy-file, --ignore). Passwords are
// left out (the command reads them from the TLSDOCTOR_*_PASSWORD
// variables or a -file flag instead).
func (s *targetSpec) command(extra []setFlag) string {
	parts := []string{"tlsdoctor", checks.ShellQuote(s.input)}
	for _, a := range append(append([]setFlag(nil), s.args...), extra...) {
		switch {
		case strings.Contains(a.name, "password") && !strings.HasSuffix(a.name, "-file"):
			continue
		case a.isBool && a.value == "true":
			parts = append(parts, "--"+a.name)
		case a.isBool:
			parts = append(parts, "--"+a.name+"="+checks.ShellQuote(a.value))
		default:
			parts = append(parts, "--"+a.name, checks.ShellQuote(a.value))
		}
	}
	return strings.Join(parts, " ")
}
