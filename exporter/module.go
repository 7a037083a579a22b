package exporter

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/identity"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/truststore"
)

// DefaultModule is the module /probe uses when the request names none,
// and the only module when no configuration file is given.
const DefaultModule = "default"

// Bounds of a module's timeout.
const (
	DefaultTimeout = 10 * time.Second
	maxTimeout     = 5 * time.Minute
)

// Config is a loaded configuration: the modules, each with its
// truststores and client identity loaded, and the allow-list. It is
// immutable once loaded; a reload builds a new one.
type Config struct {
	// File is where it was loaded from ("" for the built-in default).
	File    string
	Modules map[string]*Module
	// Names are the module names in file order.
	Names []string
	// Allow is the allowed_targets list; nil allows every target.
	Allow *AllowList
}

// Module is one set of probe options, what a /probe request names with
// module=NAME.
type Module struct {
	Name string
	// Timeout bounds a diagnosis; the scrape timeout can shorten it.
	Timeout time.Duration
	// ServerName is sent as SNI and checked against the certificate
	// (tls_config.server_name); empty means the target's host.
	ServerName string
	// MinVersion and MaxVersion bound the primary handshake (zero: TLS
	// 1.2 to 1.3).
	MinVersion, MaxVersion uint16
	Revocation             string
	// WarnDays is the cert-expiring-soon window (negative: off).
	WarnDays int
	NoAIA    bool
	Scan     bool
	Stores   []checks.Truststore
	// Identity is the client certificate and key, or nil.
	Identity *identity.Identity
}

// LoadOptions are what loading reads besides the file.
type LoadOptions struct {
	// Getenv reads the TLSDOCTOR_*_PASSWORD variables and JAVA_HOME.
	Getenv func(string) string
	// LookPath finds java for the java store; nil means exec.LookPath.
	LookPath func(string) (string, error)
}

func (o LoadOptions) getenv(k string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(k)
}

// DefaultConfig is the configuration without a file: one module,
// "default", judging against the system store (plus mozilla and java for
// the per-store verdict), full revocation checking, a 10 s timeout.
func DefaultConfig(o LoadOptions) (*Config, error) {
	l := &loader{opts: o, namedStores: map[string]checks.Truststore{}}
	m, err := l.module(DefaultModule, &moduleYAML{})
	if err != nil {
		return nil, err
	}
	return &Config{Modules: map[string]*Module{DefaultModule: m}, Names: []string{DefaultModule}}, nil
}

// Load reads, validates and loads a configuration file: every module's
// truststores and client identity are read now, so that a mistake is
// found at start (or at reload), with its line, and not at the first
// scrape. Errors are *ConfigError.
func Load(path string, o LoadOptions) (*Config, error) {
	top, raw, order, err := parseFile(path)
	if err != nil {
		return nil, err
	}
	l := &loader{file: path, dir: filepath.Dir(path), opts: o, namedStores: map[string]checks.Truststore{}}
	cfg := &Config{File: path, Modules: map[string]*Module{}, Names: order}
	for _, name := range order {
		m, err := l.module(name, raw[name])
		if err != nil {
			return nil, err
		}
		cfg.Modules[name] = m
	}
	if top.AllowedTargets.Kind != 0 {
		if cfg.Allow, err = l.allowList(&top.AllowedTargets); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// loader turns the YAML of each module into a Module, loading files
// relative to the configuration file's directory, as Prometheus does.
type loader struct {
	file, dir string
	opts      LoadOptions
	// named are the named stores loaded so far, shared by the modules.
	namedStores map[string]checks.Truststore
}

func (l *loader) fail(n *yaml.Node, key, msg, hint string) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &ConfigError{File: l.file, Line: line, Key: key, Msg: msg, Hint: hint}
}

func (l *loader) path(p string) string {
	if p == "" || filepath.IsAbs(p) || l.dir == "" {
		return p
	}
	return filepath.Join(l.dir, p)
}

// Keys the connection layer does not offer in this build: refused at
// start so a module never silently probes differently from what it says.
var unavailable = []struct {
	key  string
	node func(*moduleYAML) *yaml.Node
}{
	{"starttls", func(m *moduleYAML) *yaml.Node { return &m.StartTLS }},
	{"proxy_url", func(m *moduleYAML) *yaml.Node { return &m.ProxyURL }},
	{"preferred_ip_protocol", func(m *moduleYAML) *yaml.Node { return &m.PreferredIPProtocol }},
	{"ip_protocol_fallback", func(m *moduleYAML) *yaml.Node { return &m.IPProtocolFallback }},
	{"all_ips", func(m *moduleYAML) *yaml.Node { return &m.AllIPs }},
}

func (l *loader) module(name string, y *moduleYAML) (*Module, error) {
	key := func(k string) string { return "modules." + name + "." + k }
	m := &Module{Name: name, Timeout: DefaultTimeout, Revocation: probe.RevocationFull, WarnDays: 30}

	for _, u := range unavailable {
		n := u.node(y)
		if n.Kind == 0 {
			continue
		}
		if err := l.validateUnavailable(u.key, n, key(u.key)); err != nil {
			return nil, err
		}
		return nil, l.fail(n, key(u.key), u.key+" is not available in this build", "remove it from the module; this tlsdoctor cannot probe that way yet")
	}

	if n := &y.Prober; n.Kind != 0 {
		s, err := l.str(n, key("prober"))
		if err != nil {
			return nil, err
		}
		switch s {
		case "tcp", "tls", "https", "http":
			// blackbox_exporter's and ssl_exporter's probers: every module
			// runs one full diagnosis, whatever the name.
		default:
			return nil, l.fail(n, key("prober"), fmt.Sprintf("prober %q is not supported", s), "tlsdoctor modules run one TLS diagnosis; use prober: tcp (or leave it out)")
		}
	}
	if n := &y.Timeout; n.Kind != 0 {
		s, err := l.str(n, key("timeout"))
		if err != nil {
			return nil, err
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > maxTimeout {
			return nil, l.fail(n, key("timeout"), fmt.Sprintf("%q is not a duration between 0 and %s", s, maxTimeout), "for example timeout: 10s")
		}
		m.Timeout = d
	}
	if n := &y.Revocation; n.Kind != 0 {
		s, err := l.str(n, key("revocation"))
		if err != nil {
			return nil, err
		}
		switch s {
		case probe.RevocationOff, probe.RevocationStapled, probe.RevocationFull:
			m.Revocation = s
		default:
			return nil, l.fail(n, key("revocation"), fmt.Sprintf("%q is not a revocation mode", s), "revocation: off, stapled or full")
		}
	}
	if n := &y.WarnDays; n.Kind != 0 {
		d, err := strconv.Atoi(n.Value)
		if err != nil || n.Kind != yaml.ScalarNode || d < 0 || d > 3650 {
			return nil, l.fail(n, key("warn_days"), fmt.Sprintf("%q is not a number of days", n.Value), "warn_days: 30, or 0 to disable the warning")
		}
		m.WarnDays = d
		if d == 0 {
			m.WarnDays = -1
		}
	}
	var err error
	if m.NoAIA, err = l.boolean(&y.NoAIA, key("no_aia")); err != nil {
		return nil, err
	}
	if m.Scan, err = l.boolean(&y.Scan, key("scan")); err != nil {
		return nil, err
	}
	if t := y.TLSConfig; t != nil {
		if err := l.tlsConfig(m, t, key("tls_config")); err != nil {
			return nil, err
		}
	}
	if m.Stores, err = l.stores(y, key); err != nil {
		return nil, err
	}
	if m.Identity, err = l.identity(y, key); err != nil {
		return nil, err
	}
	return m, nil
}

// validateUnavailable checks the value of a key this build refuses, so
// that a typo in it is reported as such.
func (l *loader) validateUnavailable(name string, n *yaml.Node, key string) error {
	switch name {
	case "preferred_ip_protocol":
		if s, err := l.str(n, key); err != nil {
			return err
		} else if s != "ip4" && s != "ip6" {
			return l.fail(n, key, fmt.Sprintf("%q is not an IP protocol", s), "preferred_ip_protocol: ip4 or ip6")
		}
	case "all_ips", "ip_protocol_fallback":
		if _, err := l.boolean(n, key); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) tlsConfig(m *Module, t *tlsYAML, key string) error {
	k := func(s string) string { return key + "." + s }
	if n := &t.InsecureSkipVerify; n.Kind != 0 {
		skip, err := l.boolean(n, k("insecure_skip_verify"))
		if err != nil {
			return err
		}
		if skip {
			return l.fail(n, k("insecure_skip_verify"), "is not supported", "tlsdoctor never refuses a certificate in order to measure it: an untrusted or expired endpoint still has its metrics, and probe_success says whether a verifying client connects; remove the key")
		}
	}
	if n := &t.ServerName; n.Kind != 0 {
		s, err := l.str(n, k("server_name"))
		if err != nil {
			return err
		}
		if s == "" || strings.ContainsAny(s, " /:\x00") {
			return l.fail(n, k("server_name"), fmt.Sprintf("%q is not a host name", s), "server_name: api.example.com")
		}
		m.ServerName = s
	}
	for _, v := range []struct {
		n   *yaml.Node
		key string
		dst *uint16
	}{{&t.MinVersion, "min_version", &m.MinVersion}, {&t.MaxVersion, "max_version", &m.MaxVersion}} {
		if v.n.Kind == 0 {
			continue
		}
		s, err := l.str(v.n, k(v.key))
		if err != nil {
			return err
		}
		id, ok := tlsVersion(s)
		if !ok {
			return l.fail(v.n, k(v.key), fmt.Sprintf("%q is not a TLS version", s), v.key+": TLS12 (one of TLS10, TLS11, TLS12, TLS13)")
		}
		*v.dst = id
	}
	if m.MinVersion != 0 && m.MaxVersion != 0 && m.MinVersion > m.MaxVersion {
		return l.fail(&t.MaxVersion, k("max_version"), "is below min_version", "for example min_version: TLS12, max_version: TLS13")
	}
	return nil
}

// tlsVersion reads blackbox_exporter's spelling (TLS12) and ours (1.2).
func tlsVersion(s string) (uint16, bool) {
	switch strings.TrimPrefix(strings.ToUpper(strings.ReplaceAll(s, " ", "")), "TLSV") {
	case "TLS10", "1.0", "TLS1.0":
		return tls.VersionTLS10, true
	case "TLS11", "1.1", "TLS1.1":
		return tls.VersionTLS11, true
	case "TLS12", "1.2", "TLS1.2":
		return tls.VersionTLS12, true
	case "TLS13", "1.3", "TLS1.3":
		return tls.VersionTLS13, true
	}
	return 0, false
}

// Named truststores, as on the command line.
const (
	storeSystem  = "system"
	storeMozilla = "mozilla"
	storeJava    = "java"
)

// stores loads truststore (one name or file, or a list) and
// tls_config.ca_file, in that order, as the CLI does with --truststore
// and --ca-file. With neither it is system, plus mozilla and java (when a
// JDK is found) for the per-store verdict.
func (l *loader) stores(y *moduleYAML, key func(string) string) ([]checks.Truststore, error) {
	var entries []*yaml.Node
	switch n := &y.Truststore; n.Kind {
	case 0:
	case yaml.ScalarNode:
		entries = append(entries, n)
	case yaml.SequenceNode:
		entries = append(entries, n.Content...)
	default:
		return nil, l.fail(n, key("truststore"), "must be a name or file, or a list of them", "truststore: [system, /etc/ssl/partner-ca.pem]")
	}
	var caFile *yaml.Node
	if y.TLSConfig != nil && y.TLSConfig.CAFile.Kind != 0 {
		caFile = &y.TLSConfig.CAFile
	}
	pw, err := l.password(&y.TruststorePassword, key("truststore_password_file"), "TLSDOCTOR_TRUSTSTORE_PASSWORD")
	if err != nil {
		return nil, err
	}
	tsPW := truststore.Password{}
	if pw != nil {
		tsPW = truststore.Password{Value: *pw, Set: true}
	}
	if len(entries) == 0 && caFile == nil {
		if y.TruststorePassword.Kind != 0 {
			return nil, l.fail(&y.TruststorePassword, key("truststore_password_file"), "given without truststore", "add truststore: FILE (a PKCS#12 or JKS truststore)")
		}
		sys, err := l.named(storeSystem, nil, key("truststore"), tsPW)
		if err != nil {
			return nil, err
		}
		out := []checks.Truststore{sys}
		if moz, err := l.named(storeMozilla, nil, key("truststore"), tsPW); err == nil {
			out = append(out, moz)
		}
		if jv, err := l.named(storeJava, nil, key("truststore"), tsPW); err == nil {
			out = append(out, jv)
		}
		return out, nil
	}
	var out []checks.Truststore
	for _, n := range entries {
		s, err := l.str(n, key("truststore"))
		if err != nil {
			return nil, err
		}
		switch s {
		case storeSystem, storeMozilla, storeJava:
			ts, err := l.named(s, n, key("truststore"), tsPW)
			if err != nil {
				return nil, err
			}
			out = append(out, ts)
			continue
		}
		ts, err := l.storeFile(n, key("truststore"), s, s, tsPW)
		if err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	if caFile != nil {
		s, err := l.str(caFile, key("tls_config.ca_file"))
		if err != nil {
			return nil, err
		}
		ts, err := l.storeFile(caFile, key("tls_config.ca_file"), s, "ca-file "+s, tsPW)
		if err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	return out, nil
}

func (l *loader) storeFile(n *yaml.Node, key, file, name string, pw truststore.Password) (checks.Truststore, error) {
	certs, format, err := truststore.Load(l.path(file), pw)
	if err != nil {
		return checks.Truststore{}, l.storeError(n, key, file, err)
	}
	ts := checks.NewTruststore(name, certs)
	ts.Source = fmt.Sprintf("%s (%s, %d certificates)", file, format, len(certs))
	return ts, nil
}

func (l *loader) storeError(n *yaml.Node, key, file string, err error) error {
	hint := ""
	switch {
	case errors.Is(err, truststore.ErrWrongPassword):
		hint = "check the password in truststore_password_file (or TLSDOCTOR_TRUSTSTORE_PASSWORD) with: keytool -list -keystore " + file
	case errors.Is(err, truststore.ErrPasswordNeeded):
		hint = "give it with truststore_password_file: FILE or the TLSDOCTOR_TRUSTSTORE_PASSWORD environment variable"
	case errors.Is(err, truststore.ErrNoCertificates):
		hint = "a truststore holds CA certificates: a PEM bundle, a DER certificate, a PKCS#12 or a JKS file"
	case errors.Is(err, truststore.ErrUnsupported):
		hint = "convert it to PKCS#12: keytool -importkeystore -srckeystore " + file + " -destkeystore truststore.p12 -deststoretype PKCS12"
	}
	return l.fail(n, key, pathErr(err).Error(), hint)
}

// named loads system, mozilla or java once per configuration.
func (l *loader) named(name string, n *yaml.Node, key string, pw truststore.Password) (checks.Truststore, error) {
	if ts, ok := l.namedStores[name]; ok {
		return ts, nil
	}
	var ts checks.Truststore
	switch name {
	case storeSystem:
		certs, err := truststore.System()
		if err != nil {
			return ts, l.fail(n, key, err.Error(), "install the ca-certificates package, or name a truststore file")
		}
		ts = checks.NewTruststore(storeSystem, certs)
		ts.Source = "system roots"
	case storeMozilla:
		certs, err := truststore.Mozilla()
		if err != nil {
			return ts, l.fail(n, key, err.Error(), "")
		}
		ts = checks.NewTruststore(storeMozilla, certs)
		ts.Source, ts.Public = "Mozilla roots embedded in tlsdoctor", true
	case storeJava:
		lp := l.opts.LookPath
		if lp == nil {
			lp = exec.LookPath
		}
		path, err := truststore.JavaCacerts(l.opts.getenv, lp)
		if err != nil {
			return ts, l.fail(n, key, "java: "+err.Error(), "set JAVA_HOME for the exporter to the JDK your application runs on, or name its cacerts file")
		}
		certs, err := truststore.Java(path, pw)
		if err != nil {
			return ts, l.storeError(n, key, path, err)
		}
		ts = checks.NewTruststore(storeJava, certs)
		ts.Source = path
	}
	l.namedStores[name] = ts
	return ts, nil
}

// identity loads the client identity: tls_config.cert_file (with
// key_file, or a PKCS#12 alone) or keystore (with keystore_alias).
func (l *loader) identity(y *moduleYAML, key func(string) string) (*identity.Identity, error) {
	var o identity.Options
	nodes := map[string]*yaml.Node{}
	var err error
	if t := y.TLSConfig; t != nil {
		if t.CertFile.Kind != 0 {
			if o.CertFile, err = l.str(&t.CertFile, key("tls_config.cert_file")); err != nil {
				return nil, err
			}
			o.CertFile, nodes["--cert"] = l.path(o.CertFile), &t.CertFile
		}
		if t.KeyFile.Kind != 0 {
			if o.KeyFile, err = l.str(&t.KeyFile, key("tls_config.key_file")); err != nil {
				return nil, err
			}
			o.KeyFile, nodes["--key"] = l.path(o.KeyFile), &t.KeyFile
		}
	}
	if y.Keystore.Kind != 0 {
		if o.Keystore, err = l.str(&y.Keystore, key("keystore")); err != nil {
			return nil, err
		}
		o.Keystore, nodes["--keystore"] = l.path(o.Keystore), &y.Keystore
	}
	if y.KeystoreAlias.Kind != 0 {
		if o.Alias, err = l.str(&y.KeystoreAlias, key("keystore_alias")); err != nil {
			return nil, err
		}
		nodes["--alias"] = &y.KeystoreAlias
		if o.Keystore == "" {
			return nil, l.fail(&y.KeystoreAlias, key("keystore_alias"), "given without keystore", "keystore: client.jks")
		}
	}
	for _, p := range []struct {
		n        *yaml.Node
		key, env string
		dst      **string
		needs    string
	}{
		{&y.KeyPassword, "key_password_file", "TLSDOCTOR_KEY_PASSWORD", &o.KeyPassword, ""},
		{&y.CertPassword, "cert_password_file", "TLSDOCTOR_CERT_PASSWORD", &o.CertPassword, o.CertFile},
		{&y.KeystorePassword, "keystore_password_file", "TLSDOCTOR_KEYSTORE_PASSWORD", &o.KeystorePassword, o.Keystore},
	} {
		if p.n.Kind != 0 && p.key != "key_password_file" && p.needs == "" {
			return nil, l.fail(p.n, key(p.key), "given without the file it opens", "cert_password_file goes with tls_config.cert_file, keystore_password_file with keystore")
		}
		if *p.dst, err = l.password(p.n, key(p.key), p.env); err != nil {
			return nil, err
		}
	}
	if o.CertFile == "" && o.Keystore == "" && o.KeyFile == "" {
		return nil, nil
	}
	id, err := identity.Load(o)
	if err != nil {
		var ie *identity.Error
		if !errors.As(err, &ie) {
			return nil, l.fail(nil, key("tls_config"), err.Error(), "")
		}
		n := nodes[ie.Flag]
		k := configKey(ie.Flag)
		msg := ie.Msg
		if ie.File != "" {
			msg = ie.File + ": " + msg
		}
		return nil, l.fail(n, key(k), configKeys.Replace(msg), configKeys.Replace(ie.Hint))
	}
	return id, nil
}

// configKeys rewrites the identity package's flag names into this file's
// keys, for its messages and hints.
var configKeys = strings.NewReplacer(
	"--keystore-password-file", "keystore_password_file",
	"--keystore-password", "keystore_password_file",
	"--key-password-file", "key_password_file",
	"--key-password", "key_password_file",
	"--cert-password-file", "cert_password_file",
	"--cert-password", "cert_password_file",
	"--keystore", "keystore",
	"--cert", "tls_config.cert_file",
	"--key", "tls_config.key_file",
	"--alias", "keystore_alias",
)

func configKey(flag string) string {
	switch flag {
	case "--cert":
		return "tls_config.cert_file"
	case "--key":
		return "tls_config.key_file"
	case "--keystore":
		return "keystore"
	case "--alias":
		return "keystore_alias"
	}
	return strings.ReplaceAll(strings.TrimPrefix(flag, "--"), "-", "_")
}

// password reads a *_password_file, else its environment variable; nil
// when neither is given. The password itself never appears in an error.
func (l *loader) password(n *yaml.Node, key, env string) (*string, error) {
	if n.Kind != 0 {
		file, err := l.str(n, key)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(l.path(file))
		if err != nil {
			return nil, l.fail(n, key, "cannot read "+file+": "+pathErr(err).Error(), "the file holds the password on its first line")
		}
		v := strings.TrimRight(string(data), "\r\n")
		return &v, nil
	}
	if v := l.opts.getenv(env); v != "" {
		return &v, nil
	}
	return nil, nil
}

func (l *loader) str(n *yaml.Node, key string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", l.fail(n, key, "must be a single value", "")
	}
	return n.Value, nil
}

func (l *loader) boolean(n *yaml.Node, key string) (bool, error) {
	if n.Kind == 0 {
		return false, nil
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		return false, l.fail(n, key, fmt.Sprintf("%q is not true or false", n.Value), key[strings.LastIndex(key, ".")+1:]+": true")
	}
	return b, nil
}

// Request is the diagnosis this module runs for target, bounded by
// timeout.
func (m *Module) Request(target probe.Target, timeout time.Duration, tool string) engine.Request {
	target.SNI = m.ServerName
	popts := probe.Options{
		Target: target, Tool: tool,
		MinVersion: m.MinVersion, MaxVersion: m.MaxVersion,
		Revocation: engine.Revocation(m.Revocation, m.Stores),
		NoAIA:      m.NoAIA, AIAKnownSubjects: engine.AnchorSubjects(m.Stores),
	}
	if m.Identity != nil {
		popts.ClientCertificate, popts.ClientSource = &m.Identity.Certificate, m.Identity.Format+" "+m.Identity.Source
	}
	req := engine.Request{
		Probe:   popts,
		Timeout: timeout,
		Judge:   engine.Judgement{Stores: m.Stores, WarnDays: m.WarnDays},
	}
	if m.Scan {
		req.Scan = &probe.ScanOptions{MaxConns: 4}
	}
	return req
}
