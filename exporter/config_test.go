package exporter

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

func TestLoadGood(t *testing.T) {
	e := newTestEnv(t)
	jks, err := e.lab.PKI.JKS("storepass", fixtures.JKSEntry{Alias: "client", Chain: []string{"client", "intermediate"}})
	if err != nil {
		t.Fatal(err)
	}
	e.write(t, "client.jks", jks)
	e.write(t, "ks.pw", []byte("storepass\n"))
	cfg := e.load(t, `# a comment
modules:
  default:
    prober: tcp
    timeout: 7s
    revocation: stapled
    warn_days: 21
    tls_config:
      ca_file: ca.pem
      server_name: api.example.test
      min_version: TLS12
      max_version: "1.3"
      insecure_skip_verify: false
  both:
    truststore: [system, ca.pem]
    no_aia: true
    scan: true
    sni_check: false
  jks:
    truststore: ca.pem
    keystore: client.jks
    keystore_alias: client
    keystore_password_file: ks.pw
    warn_days: 0
  empty:
allowed_targets: ["*.example.test", 127.0.0.0/8]
`)
	if got := strings.Join(cfg.Names, ","); got != "default,both,jks,empty" {
		t.Errorf("module order %q", got)
	}
	d := cfg.Modules["default"]
	if d.Timeout != 7*time.Second || d.Revocation != probe.RevocationStapled || d.WarnDays != 21 || d.ServerName != "api.example.test" ||
		d.MinVersion != tls.VersionTLS12 || d.MaxVersion != tls.VersionTLS13 {
		t.Errorf("default module: %+v", d)
	}
	if len(d.Stores) != 1 || d.Stores[0].Name != "ca-file ca.pem" || len(d.Stores[0].Certs) != 1 {
		t.Errorf("default stores: %+v", d.Stores)
	}
	b := cfg.Modules["both"]
	if len(b.Stores) != 2 || b.Stores[0].Name != "system" || b.Stores[1].Name != "ca.pem" || !b.NoAIA || !b.Scan {
		t.Errorf("both: %+v", b)
	}
	j := cfg.Modules["jks"]
	if j.Identity == nil || j.Identity.Chain[0].Subject.CommonName != "client.example.test" || j.WarnDays != -1 {
		t.Errorf("jks identity: %+v", j.Identity)
	}
	em := cfg.Modules["empty"]
	if em.Timeout != DefaultTimeout || em.Revocation != probe.RevocationFull || len(em.Stores) == 0 || em.Stores[0].Name != "system" {
		t.Errorf("empty module defaults: %+v", em)
	}
	if cfg.Allow.Len() != 2 {
		t.Errorf("allow-list: %d entries", cfg.Allow.Len())
	}
	// The request a module makes carries its options.
	tg, _ := probe.ParseTarget("10.0.0.1:8443")
	req := d.Request(tg, time.Second, "t")
	if req.Probe.Target.SNI != "api.example.test" || req.Probe.Revocation.Mode != probe.RevocationStapled || req.Judge.WarnDays != 21 || req.Scan != nil {
		t.Errorf("request: %+v", req)
	}
	if d.NoSNICheck || req.Probe.SNICheck != probe.SNICheckAuto {
		t.Errorf("default module: the check without SNI is off (%v, %v)", d.NoSNICheck, req.Probe.SNICheck)
	}
	if r := b.Request(tg, time.Second, "t"); !b.NoSNICheck || r.Probe.SNICheck != probe.SNICheckOff {
		t.Errorf("sni_check: false: the request still makes the check without SNI (%v)", r.Probe.SNICheck)
	}
	if r := j.Request(tg, time.Second, "t"); r.Probe.ClientCertificate == nil || !strings.Contains(r.Probe.ClientSource, "client.jks") {
		t.Errorf("jks request has no client certificate: %+v", r.Probe)
	}
}

// TestLoadErrors: every mistake is refused at start with the line, the
// key and a hint, and never with a password.
func TestLoadErrors(t *testing.T) {
	e := newTestEnv(t)
	e.write(t, "wrong.pw", []byte("not-the-password\n"))
	jks, err := e.lab.PKI.JKS("storepass", fixtures.JKSEntry{Alias: "client", Chain: []string{"client", "intermediate"}})
	if err != nil {
		t.Fatal(err)
	}
	e.write(t, "client.jks", jks)
	cases := []struct {
		name, yaml string
		line       int
		want       string // in the message
	}{
		{"syntax flow", "modules:\n  a:\n    timeout: [1s\n", 3, "YAML syntax: did not find expected ',' or ']'"},
		{"syntax indent", "modules:\n  a:\n    timeout: 1s\n   bad: x\n", 4, "did not find expected key"},
		{"syntax quote", "modules:\n  a:\n    timeout: 1s\n  b: \"x\n", 4, "unexpected end of stream"},
		{"syntax tab", "modules:\n  a:\n\tb: 1\n", 3, "cannot start any token"},
		{"syntax after a multi-line list", "allowed_targets: [a,\n  b]\nmodules:\n  a:\n    timeout: 1s\n   bad: x\n", 6, "did not find expected key"},
		{"empty", "", 0, "is empty"},
		{"no modules", "allowed_targets: []\n", 0, "modules: missing"},
		{"modules not a map", "modules: [a, b]\n", 1, "must be a mapping"},
		{"no module", "modules: {}\n", 1, "holds no module"},
		{"unknown top key", "modules:\n  a: {}\nmodule:\n  b: {}\n", 3, "module: unknown key"},
		{"unknown module key", "modules:\n  a:\n    timeout: 1s\n    tls_confg:\n      ca_file: ca.pem\n", 4, "modules.a.tls_confg: unknown key"},
		{"unknown tls key", "modules:\n  a:\n    tls_config:\n      ca: ca.pem\n", 4, "modules.a.tls_config.ca: unknown key"},
		{"duplicate key", "modules:\n  a:\n    timeout: 1s\n    timeout: 2s\n", 4, "already defined"},
		{"bad module name", "modules:\n  \"a b\": {}\n", 2, "not usable in a URL"},
		{"bad timeout", "modules:\n  a:\n    timeout: soon\n", 3, `"soon" is not a duration`},
		{"negative timeout", "modules:\n  a:\n    timeout: -1s\n", 3, "is not a duration"},
		{"bad sni_check", "modules:\n  a:\n    sni_check: no-thanks\n", 3, `"no-thanks" is not true or false`},
		{"bad prober", "modules:\n  a:\n    prober: icmp\n", 3, `prober "icmp" is not supported`},
		{"bad revocation", "modules:\n  a:\n    revocation: maybe\n", 3, "not a revocation mode"},
		{"bad warn_days", "modules:\n  a:\n    warn_days: soon\n", 3, "not a number of days"},
		{"bad bool", "modules:\n  a:\n    scan: perhaps\n", 3, "is not true or false"},
		{"bad min_version", "modules:\n  a:\n    tls_config:\n      min_version: SSL3\n", 4, `"SSL3" is not a TLS version`},
		{"min above max", "modules:\n  a:\n    tls_config:\n      min_version: TLS13\n      max_version: TLS12\n", 5, "is below min_version"},
		{"insecure", "modules:\n  a:\n    tls_config:\n      insecure_skip_verify: true\n", 4, "insecure_skip_verify: is not supported"},
		{"bad server_name", "modules:\n  a:\n    tls_config:\n      server_name: \"a b\"\n", 4, "is not a host name"},
		{"missing ca_file", "modules:\n  a:\n    tls_config:\n      ca_file: nope.pem\n", 4, "no such file"},
		{"truststore map", "modules:\n  a:\n    truststore: {a: b}\n", 3, "must be a name or file"},
		{"missing truststore", "modules:\n  a:\n    truststore: [system, gone.jks]\n", 3, "no such file"},
		{"key without cert", "modules:\n  a:\n    tls_config:\n      key_file: client.key\n", 4, "given without tls_config.cert_file"},
		{"cert not a cert", "modules:\n  a:\n    tls_config:\n      cert_file: client.key\n", 4, "holds a private key but no certificate"},
		{"alias without keystore", "modules:\n  a:\n    keystore_alias: x\n", 3, "given without keystore"},
		{"wrong keystore password", "modules:\n  a:\n    keystore: client.jks\n    keystore_password_file: wrong.pw\n", 3, "wrong keystore password"},
		{"missing password file", "modules:\n  a:\n    keystore: client.jks\n    keystore_password_file: gone.pw\n", 4, "cannot read gone.pw"},
		{"password file a device", "modules:\n  a:\n    keystore: client.jks\n    keystore_password_file: /dev/zero\n", 4, "cannot read /dev/zero: is a device"},
		{"password without keystore", "modules:\n  a:\n    keystore_password_file: wrong.pw\n", 3, "given without the file it opens"},
		{"allow not a list", "modules:\n  a: {}\nallowed_targets: 10.0.0.0/8\n", 3, "must be a list"},
		{"allow bad entry", "modules:\n  a: {}\nallowed_targets:\n  - 10.0.0.0/33\n", 4, "not a CIDR network"},
		{"allow bad port", "modules:\n  a: {}\nallowed_targets:\n  - example.test:99999\n", 4, "is not a port"},
		{"starttls unknown", "modules:\n  a:\n    timeout: 1s\n    starttls: smpt\n", 4, `"smpt" is not a protocol tlsdoctor speaks`},
		{"proxy_url not a proxy", "modules:\n  a:\n    proxy_url: ftp://u:secret@proxy:21\n", 3, "is not a proxy URL"},
		{"preferred_ip_protocol typo", "modules:\n  a:\n    preferred_ip_protocol: ipv6\n", 3, `"ipv6" is not an IP protocol`},
		{"ip_protocol_fallback not a bool", "modules:\n  a:\n    ip_protocol_fallback: maybe\n", 3, "is not true or false"},
		{"all_ips not a bool", "modules:\n  a:\n    all_ips: yes please\n", 3, "is not true or false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := e.write(t, "exporter.yaml", []byte(c.yaml))
			_, err := Load(path, LoadOptions{})
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want a *ConfigError", err)
			}
			if ce.Line != c.line {
				t.Errorf("line %d, want %d (%v)", ce.Line, c.line, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if strings.Contains(err.Error()+ce.Hint, "not-the-password") || strings.Contains(err.Error()+ce.Hint, "storepass") {
				t.Errorf("error or hint shows a password: %q / %q", err, ce.Hint)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"), LoadOptions{})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "cannot read: no such file") {
		t.Fatalf("Load = %v", err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(p, append([]byte("modules:\n  a: {}\n#"), make([]byte, maxConfigSize)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Load = %v", err)
	}
}

// TestPasswordFromEnv: with no *_password_file the TLSDOCTOR_*_PASSWORD
// variable is used, as on the command line.
func TestPasswordFromEnv(t *testing.T) {
	e := newTestEnv(t)
	jks, err := e.lab.PKI.JKS("storepass", fixtures.JKSEntry{Alias: "client", Chain: []string{"client", "intermediate"}})
	if err != nil {
		t.Fatal(err)
	}
	e.write(t, "client.jks", jks)
	p := e.write(t, "exporter.yaml", []byte("modules:\n  a:\n    truststore: ca.pem\n    keystore: client.jks\n"))
	env := map[string]string{"TLSDOCTOR_KEYSTORE_PASSWORD": "storepass"}
	cfg, err := Load(p, LoadOptions{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Modules["a"].Identity == nil {
		t.Fatal("no identity loaded")
	}
	var ce *ConfigError
	if _, err := Load(p, LoadOptions{}); !errors.As(err, &ce) || !strings.Contains(ce.Hint, "keystore_password_file") {
		t.Errorf("without the password: %v, want a hint naming keystore_password_file", err)
	}
}
