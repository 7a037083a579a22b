package checks_test

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// chainRecord is a record of a successful handshake that sent certs.
func chainRecord(host string, certs ...*x509.Certificate) *probe.Record {
	a := probe.Attempt{Purpose: probe.PurposePrimary, Outcome: "ok", Version: "TLS 1.3"}
	for _, c := range certs {
		a.Certificates = append(a.Certificates, probe.Certificate{DER: c.Raw})
	}
	sni := host
	if net.ParseIP(host) != nil {
		sni = ""
	}
	return &probe.Record{
		RecordVersion: probe.RecordVersion, StartedAt: now,
		Target:   probe.Target{Input: host, Host: host, Port: 443, SNI: sni, ConnectHost: host, ConnectPort: 443},
		Attempts: []probe.Attempt{a},
	}
}

func env(roots ...*x509.Certificate) checks.Env {
	return checks.Env{Now: now, Truststores: []checks.Truststore{checks.NewTruststore("test store", roots)}}
}

func find(fs []checks.Finding, id string) *checks.Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

func build(t *testing.T, specs ...fixtures.CertSpec) *fixtures.PKI {
	t.Helper()
	p, err := fixtures.Build(now, append([]fixtures.CertSpec{
		{Name: "root", CommonName: "Test Root", IsCA: true},
		{Name: "inter", Parent: "root", CommonName: "Test Intermediate", IsCA: true},
	}, specs...)...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHostnameWildcardExplained(t *testing.T) {
	p := build(t, fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "*.example.test", DNSNames: []string{"*.example.test"}})
	for host, want := range map[string]string{
		"a.b.example.test": "covers exactly one label",
		"example.test":     "does not cover the bare domain",
	} {
		fs := checks.Run(chainRecord(host, p.Get("leaf").Cert, p.Get("inter").Cert), env(p.Get("root").Cert))
		f := find(fs, "hostname-mismatch")
		if f == nil || !strings.Contains(f.Detail, want) {
			t.Errorf("%s: finding %+v, want detail mentioning %q", host, f, want)
		}
		if f != nil && !strings.Contains(checks.FixText(f.Fix), "subjectAltName=DNS:"+host) {
			t.Errorf("%s: remediation lacks the SAN to add:\n%s", host, checks.FixText(f.Fix))
		}
	}
	// One label below the wildcard matches.
	if fs := checks.Run(chainRecord("api.example.test", p.Get("leaf").Cert, p.Get("inter").Cert), env(p.Get("root").Cert)); len(fs) != 0 {
		t.Errorf("api.example.test: %v, want no findings", fs)
	}
}

func TestHostnameIPNeedsIPSAN(t *testing.T) {
	p := build(t, fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "10.0.0.5", DNSNames: []string{"api.partner.test", "10.0.0.5"}})
	fs := checks.Run(chainRecord("10.0.0.5", p.Get("leaf").Cert, p.Get("inter").Cert), env(p.Get("root").Cert))
	f := find(fs, "hostname-mismatch")
	if f == nil {
		t.Fatal("no hostname-mismatch for an IP only present as a DNS SAN")
	}
	if !strings.Contains(f.Detail, "only an IP SAN") || !strings.Contains(checks.FixText(f.Fix), "subjectAltName=IP:10.0.0.5") {
		t.Errorf("detail/remediation do not explain IP SANs:\n%s\n%s", f.Detail, checks.FixText(f.Fix))
	}
	java := f.Clients[0]
	if java.Client != "java" || !strings.Contains(java.Message, "No subject alternative names matching IP address 10.0.0.5 found") {
		t.Errorf("java verdict = %+v", java)
	}
	// With an IP SAN it matches.
	p2 := build(t, fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "x", IPs: []net.IP{net.ParseIP("10.0.0.5")}})
	if fs := checks.Run(chainRecord("10.0.0.5", p2.Get("leaf").Cert, p2.Get("inter").Cert), env(p2.Get("root").Cert)); len(fs) != 0 {
		t.Errorf("with an IP SAN: %v", fs)
	}
}

func TestExpiredIntermediateNamed(t *testing.T) {
	p, err := fixtures.Build(now,
		fixtures.CertSpec{Name: "root", CommonName: "Test Root", IsCA: true, NotBefore: -800 * 24 * time.Hour},
		fixtures.CertSpec{Name: "inter", Parent: "root", CommonName: "Old Intermediate", IsCA: true, NotBefore: -700 * 24 * time.Hour, NotAfter: -3 * 24 * time.Hour},
		fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "a.test", DNSNames: []string{"a.test"}, NotBefore: -10 * 24 * time.Hour},
	)
	if err != nil {
		t.Fatal(err)
	}
	fs := checks.Run(chainRecord("a.test", p.Get("leaf").Cert, p.Get("inter").Cert), env(p.Get("root").Cert))
	if got := idsOf(fs); !slices.Equal(got, []string{"cert-expired"}) {
		t.Fatalf("findings %v, want only cert-expired (trust must be judged apart from time)", got)
	}
	f := fs[0]
	if !strings.Contains(f.Title, `intermediate certificate "Old Intermediate" expired 3 days ago`) {
		t.Errorf("title %q does not name the expired intermediate", f.Title)
	}
	if !strings.Contains(checks.FixText(f.Fix), "Replace the expired intermediate") {
		t.Errorf("remediation %q", checks.FixText(f.Fix))
	}
}

func TestNotYetValidClockSkewHint(t *testing.T) {
	p := build(t, fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "a.test", DNSNames: []string{"a.test"}, NotBefore: 20 * time.Minute})
	fs := checks.Run(chainRecord("a.test", p.Get("leaf").Cert, p.Get("inter").Cert), env(p.Get("root").Cert))
	f := find(fs, "cert-not-yet-valid")
	if f == nil || !strings.Contains(checks.FixText(f.Fix), "timedatectl") || !strings.Contains(f.Title, "in 20 minutes") {
		t.Fatalf("finding %+v: want a clock-skew hint for 20 minutes", f)
	}
	p2 := build(t, fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "a.test", DNSNames: []string{"a.test"}, NotBefore: 5 * 24 * time.Hour, NotAfter: 50 * 24 * time.Hour})
	f = find(checks.Run(chainRecord("a.test", p2.Get("leaf").Cert, p2.Get("inter").Cert), env(p2.Get("root").Cert)), "cert-not-yet-valid")
	if f == nil || strings.Contains(checks.FixText(f.Fix), "timedatectl") {
		t.Fatalf("5 days away must not blame the clock: %+v", f)
	}
}

func TestUntrustedRootSentByServer(t *testing.T) {
	p := build(t, fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "a.test", DNSNames: []string{"a.test"}})
	other := build(t)
	fs := checks.Run(chainRecord("a.test", p.Get("leaf").Cert, p.Get("inter").Cert, p.Get("root").Cert), env(other.Get("root").Cert))
	f := find(fs, "untrusted-root")
	if f == nil {
		t.Fatalf("findings %v, want untrusted-root", idsOf(fs))
	}
	if !strings.Contains(f.Title, `root "Test Root"`) || !strings.Contains(strings.Join(f.Evidence, "\n"), checks.Fingerprint(p.Get("root").Cert)) {
		t.Errorf("finding does not name the root and its fingerprint: %+v", f)
	}
	// The store has a CA with the same name but another key: say so.
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "different key") {
		t.Errorf("evidence does not mention the same-name root with another key: %v", f.Evidence)
	}
	if !strings.Contains(checks.FixText(f.Fix), "keytool -importcert -trustcacerts -alias test-root -file root.pem -keystore truststore.p12 -storetype PKCS12") {
		t.Errorf("remediation lacks the keytool import:\n%s", checks.FixText(f.Fix))
	}
}

func TestNoSANCNOnlyIsNotAMismatch(t *testing.T) {
	p := build(t, fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "legacy.test"})
	fs := checks.Run(chainRecord("legacy.test", p.Get("leaf").Cert, p.Get("inter").Cert), env(p.Get("root").Cert))
	if find(fs, "hostname-mismatch") != nil {
		t.Error("a CN-only certificate naming the host is not a hostname mismatch")
	}
}

func TestChecksListIsStable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range checks.All() {
		if seen[c.ID] {
			t.Errorf("duplicate check ID %s", c.ID)
		}
		seen[c.ID] = true
		if c.ID != strings.ToLower(c.ID) || strings.ContainsAny(c.ID, " _") || c.Title == "" || c.Run == nil || c.Severity == 0 {
			t.Errorf("check %+v: IDs are kebab-case with a title, severity and function", c.ID)
		}
	}
	for _, id := range []string{"hostname-mismatch", "cert-expired", "cert-not-yet-valid", "untrusted-root", "self-signed", "not-tls", "connect-failed", "handshake-failed"} {
		if !seen[id] {
			t.Errorf("check %s is missing: IDs are a public contract", id)
		}
	}
}

func TestSeverityText(t *testing.T) {
	b, err := json.Marshal(struct{ S checks.Severity }{checks.Warning})
	if err != nil || string(b) != `{"S":"warning"}` {
		t.Errorf("marshal = %s, %v", b, err)
	}
	var v struct{ S checks.Severity }
	if err := json.Unmarshal([]byte(`{"S":"error"}`), &v); err != nil || v.S != checks.Error {
		t.Errorf("unmarshal = %v, %v", v.S, err)
	}
	if _, err := checks.ParseSeverity("fatal"); err == nil {
		t.Error("accepted an unknown severity")
	}
	if checks.Error <= checks.Warning || checks.Warning <= checks.Info {
		t.Error("severities must be ordered info < warning < error")
	}
}

func idsOf(fs []checks.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// TestReadmeListsEveryCheck: README's check table is what `tlsdoctor
// checks` prints: every ID, its severity and its title.
func TestReadmeListsEveryCheck(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks.All() {
		row := fmt.Sprintf("| `%s` | %s | %s |", c.ID, c.Severity, c.Title)
		if !strings.Contains(string(data), row) {
			t.Errorf("README.md lacks the row\n%s", row)
		}
	}
}

// What each client says on a name mismatch follows its own rules, measured
// against openssl s_server (Java 17, curl 7.88, OpenSSL 3.0, Python 3.11,
// Go 1.26): Go's message is x509.HostnameError's; Java, OpenSSL and Python
// fall back to the CN when the certificate has no DNS SAN (for a DNS
// name), curl only when it has no SAN at all.
func TestHostnameMismatchClientRules(t *testing.T) {
	ip := []net.IP{net.ParseIP("127.0.0.1")}
	for _, tc := range []struct {
		name string
		spec fixtures.CertSpec
		host string
		want map[string]string // client -> "works" or a substring of its failure
	}{
		{"IP-only SAN, CN names the host", fixtures.CertSpec{CommonName: "localhost", IPs: ip}, "localhost", map[string]string{
			"java": "works", "openssl": "works", "python": "works",
			"curl": "no alternative certificate subject name matches target host name 'localhost'",
			"go":   "x509: certificate is not valid for any names, but wanted to match localhost",
		}},
		{"IP-only SAN, CN another name", fixtures.CertSpec{CommonName: "127.0.0.1", IPs: ip}, "localhost", map[string]string{
			"java":   "SSLHandshakeException: No name matching localhost found",
			"go":     "x509: certificate is not valid for any names, but wanted to match localhost",
			"python": "Hostname mismatch, certificate is not valid for 'localhost'.",
		}},
		{"DNS SAN, connect by IP", fixtures.CertSpec{CommonName: "other.example", DNSNames: []string{"other.example"}}, "127.0.0.1", map[string]string{
			"java":   "No subject alternative names matching IP address 127.0.0.1 found",
			"go":     "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
			"python": "IP address mismatch, certificate is not valid for '127.0.0.1'.",
		}},
		{"no SAN, CN another name", fixtures.CertSpec{CommonName: "other.example"}, "localhost", map[string]string{
			"java": "No name matching localhost found",
			"curl": "curl: (60) SSL: certificate subject name 'other.example' does not match target host name 'localhost'",
			"go":   "x509: certificate is not valid for any names, but wanted to match localhost",
		}},
		{"no SAN, connect by IP", fixtures.CertSpec{CommonName: "other.example"}, "127.0.0.1", map[string]string{
			"java": "SSLHandshakeException: No subject alternative names present",
			"curl": "certificate subject name 'other.example' does not match target host name '127.0.0.1'",
			"go":   "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
		}},
		{"DNS SAN, another name", fixtures.CertSpec{CommonName: "localhost", DNSNames: []string{"other.example"}}, "localhost", map[string]string{
			"java": "No subject alternative DNS name matching localhost found.",
			"go":   "x509: certificate is valid for other.example, not localhost",
			"curl": "no alternative certificate subject name matches target host name 'localhost'",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec
			spec.Name, spec.Parent = "leaf", "inter"
			p := build(t, spec)
			f := find(checks.Run(chainRecord(tc.host, p.Get("leaf").Cert, p.Get("inter").Cert), env(p.Get("root").Cert)), "hostname-mismatch")
			if f == nil {
				t.Fatal("no hostname-mismatch")
			}
			for client, want := range tc.want {
				var got *checks.ClientVerdict
				for i := range f.Clients {
					if f.Clients[i].Client == client {
						got = &f.Clients[i]
					}
				}
				switch {
				case got == nil:
					t.Errorf("%s: no line", client)
				case want == "works" && got.Fails:
					t.Errorf("%s: says it fails (%s), but it connects", client, got.Message)
				case want != "works" && (!got.Fails || !strings.Contains(got.Message, want)):
					t.Errorf("%s: %+v, want a failure with %q", client, *got, want)
				}
			}
		})
	}
}
