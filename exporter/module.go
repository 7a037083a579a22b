package exporter

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/identity"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
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
	// NoSNICheck leaves out the handshake without SNI (sni_check: false).
	NoSNICheck bool
	Stores     []checks.Truststore
	// Identity is the client certificate and key, or nil.
	Identity *identity.Identity
	// StartTLS is the protocol to upgrade before the handshake (starttls:
	// smtp, imap, ..., or auto by port); empty for TLS from the first byte.
	StartTLS string
	// Proxy is proxy_url (http:// or socks5://); the environment's proxy
	// is never used by the exporter.
	Proxy string
	// Prefer is preferred_ip_protocol; with ip_protocol_fallback false it
	// is also Family, the only family used.
	Prefer, Family dial.Family
	// AllIPs diagnoses every address the target resolves to (all_ips).
	AllIPs bool
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

func (l *loader) module(name string, y *moduleYAML) (*Module, error) {
	key := func(k string) string { return "modules." + name + "." + k }
	m := &Module{Name: name, Timeout: DefaultTimeout, Revocation: probe.RevocationFull, WarnDays: 30}

	if err := l.connect(m, y, key); err != nil {
		return nil, err
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
	if y.SNICheck.Kind != 0 {
		check, err := l.boolean(&y.SNICheck, key("sni_check"))
		if err != nil {
			return nil, err
		}
		m.NoSNICheck = !check
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

// connect reads the keys that say how to reach the target: starttls,
// proxy_url, preferred_ip_protocol, ip_protocol_fallback, all_ips.
func (l *loader) connect(m *Module, y *moduleYAML, key func(string) string) error {
	if n := &y.StartTLS; n.Kind != 0 {
		s, err := l.str(n, key("starttls"))
		if err != nil {
			return err
		}
		if s != "auto" && dial.LookupProtocol(s) == nil {
			return l.fail(n, key("starttls"), fmt.Sprintf("%q is not a protocol tlsdoctor speaks", s), "starttls: "+strings.Join(dial.ProtocolNames(), ", ")+" or auto")
		}
		m.StartTLS = s
	}
	if n := &y.ProxyURL; n.Kind != 0 {
		s, err := l.str(n, key("proxy_url"))
		if err != nil {
			return err
		}
		if _, err := dial.New(dial.Options{Proxy: s}, dial.Target{Host: "example.invalid", Port: 443}); err != nil || s == "none" {
			// The error may quote the URL: never repeat a password.
			return l.fail(n, key("proxy_url"), "is not a proxy URL tlsdoctor can use", "proxy_url: http://[user:pass@]host:port or socks5://[user:pass@]host:port")
		}
		m.Proxy = s
	}
	fallback := true // blackbox_exporter's default
	if n := &y.IPProtocolFallback; n.Kind != 0 {
		b, err := l.boolean(n, key("ip_protocol_fallback"))
		if err != nil {
			return err
		}
		fallback = b
	}
	if n := &y.PreferredIPProtocol; n.Kind != 0 {
		s, err := l.str(n, key("preferred_ip_protocol"))
		if err != nil {
			return err
		}
		switch s {
		case "ip4":
			m.Prefer = dial.IPv4
		case "ip6":
			m.Prefer = dial.IPv6
		default:
			return l.fail(n, key("preferred_ip_protocol"), fmt.Sprintf("%q is not an IP protocol", s), "preferred_ip_protocol: ip4 or ip6")
		}
		if !fallback {
			m.Family = m.Prefer
		}
	}
	var err error
	m.AllIPs, err = l.boolean(&y.AllIPs, key("all_ips"))
	return err
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
		Connect: dial.Options{StartTLS: m.StartTLS, Proxy: m.Proxy, Family: m.Family},
	}
	if m.NoSNICheck {
		popts.SNICheck = probe.SNICheckOff
	}
	if m.Identity != nil {
		popts.ClientCertificate, popts.ClientSource = &m.Identity.Certificate, m.Identity.Format+" "+m.Identity.Source
		popts.ClientCertFile, popts.ClientKeyFile = m.Identity.CertFile, m.Identity.KeyFile
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
