package checks_test

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// The commands the new path findings print run as printed, against the
// files of the fixture that produced the finding.

// sh runs a printed command line in dir with stdin, and returns its
// output; it skips when a tool the line needs is missing.
func sh(t *testing.T, dir, line, stdin string, tools ...string) string {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("%s: %v", line, err)
	}
	return string(out)
}

func caseByName(t *testing.T, name string) pathCase {
	t.Helper()
	for _, c := range append(pathCases(), anchorCases()...) {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no case %s", name)
	return pathCase{}
}

// writeCase writes root.pem, chain.pem (the intermediates as sent),
// server.crt, fullchain.pem and ca.pem (the second certificate sent) for
// a case.
func writeCase(t *testing.T, p *fixtures.PKI, c pathCase) string {
	t.Helper()
	dir := t.TempDir()
	var root, chain, full []byte
	for _, n := range c.rootNames() {
		root = append(root, p.Get(n).PEM()...)
	}
	for _, n := range c.serve[1:] {
		chain = append(chain, p.Get(n).PEM()...)
	}
	for _, n := range c.serve {
		full = append(full, p.Get(n).PEM()...)
	}
	files := map[string][]byte{"root.pem": root, "chain.pem": chain, "server.crt": p.Get(c.serve[0]).PEM(), "fullchain.pem": full}
	if len(c.serve) > 1 {
		files["ca.pem"] = p.Get(c.serve[1]).PEM() // the CA a finding names
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPathFixCommandsRun(t *testing.T) {
	for _, tc := range []struct {
		caseName, id, want string
	}{
		{"nc-int-permitted-dns", "name-constraint-violation", "permitted subtree violation"},
		{"nc-int-excluded-dns", "name-constraint-violation", "excluded subtree violation"},
		{"truncated-intermediate", "unparseable-certificate", "error loading certificates"},
		{"critical-ext-leaf", "unknown-critical-extension", "critical"},
		{"nc-dn-int-permitted-outside", "name-constraint-violation", "permitted subtree violation"},
		{"nc-dn-int-permitted-inside", "unknown-critical-extension", "DirName:C = DE, O = Partner"},
		{"aki-mismatch", "key-id-mismatch", "X509v3 Authority Key Identifier"},
	} {
		t.Run(tc.caseName, func(t *testing.T) {
			c := caseByName(t, tc.caseName)
			p := pathPKI(t, now, c)
			f := find(checks.Run(pathRecord(p, c), caseEnv(p, c)), tc.id)
			if f == nil {
				t.Fatalf("no %s", tc.id)
			}
			cmds := checks.Commands(f.Fix, "openssl")
			if len(cmds) == 0 {
				t.Fatalf("%s prints no openssl command: %+v", tc.id, f.Fix)
			}
			dir := writeCase(t, p, c)
			if out := sh(t, dir, cmds[0], "", "openssl"); !strings.Contains(out, tc.want) {
				t.Errorf("%s printed\n%s\nwhich does not say %q", cmds[0], out, tc.want)
			}
		})
	}
}

// TestKeyIDMismatchFixShowsTheChild: when the certificate whose issuer
// does not match is an intermediate, the printed openssl command shows
// that intermediate's authority key identifier, not the leaf's.
func TestKeyIDMismatchFixShowsTheChild(t *testing.T) {
	h := "host.example.com"
	c := pathCase{name: "aki-mismatch-intermediate", specs: []fixtures.CertSpec{
		caSpec("top", "root", nil),
		{Name: "top-b", Parent: "root", CommonName: "CA top", IsCA: true, KeyFrom: "top", Mutate: func(c *x509.Certificate) { c.SubjectKeyId = []byte{9, 9, 9, 9} }},
		caSpec("int", "top", nil), leafSpec("leaf", "int", h)},
		serve: []string{"leaf", "int", "top-b"}, host: h}
	p := pathPKI(t, now, c)
	f := find(checks.Run(pathRecord(p, c), caseEnv(p, c)), "key-id-mismatch")
	if f == nil {
		t.Fatal("no key-id-mismatch")
	}
	cmds := checks.Commands(f.Fix, "openssl")
	if len(cmds) != 1 {
		t.Fatalf("want one openssl command: %+v", f.Fix)
	}
	dir := writeCase(t, p, c)
	// The user saves each certificate under the name the fix gives it.
	file := strings.Fields(cmds[0])[3]
	if file != "server.crt" {
		if err := os.WriteFile(filepath.Join(dir, file), p.Get("int").PEM(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, b := range p.Get("int").Cert.AuthorityKeyId {
		want = append(want, fmt.Sprintf("%02X", b))
	}
	if out := sh(t, dir, cmds[0], "", "openssl"); !strings.Contains(out, strings.Join(want, ":")) {
		t.Errorf("%s printed\n%s\nnot the intermediate's authority key identifier %s", cmds[0], out, strings.Join(want, ":"))
	}
}

// TestCompromisedRootRemovalRuns applies the printed removal command to a
// PKCS#12 truststore (keytool) and to a PEM bundle (awk and openssl), and
// checks that the compromised root is gone and the other one stays.
func TestCompromisedRootRemovalRuns(t *testing.T) {
	p := build(t, fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "host.example.com", DNSNames: []string{"host.example.com"}})
	sf := superfish(t)
	rec := chainRecord("host.example.com", p.Get("leaf").Cert, p.Get("inter").Cert)
	command := func(ts checks.Truststore, tool string) string {
		f := find(checks.Run(rec, checks.Env{Now: now, Truststores: []checks.Truststore{ts}}), "compromised-root")
		if f == nil {
			t.Fatal("no compromised-root")
		}
		cmds := checks.Commands(f.Fix, tool)
		if len(cmds) != 1 {
			t.Fatalf("fix %+v: want one %s command", f.Fix, tool)
		}
		return cmds[0]
	}
	certs := []*x509.Certificate{p.Get("root").Cert, sf}

	t.Run("pem", func(t *testing.T) {
		dir := t.TempDir()
		bundle := append(append([]byte("# a bundle\n"), p.Get("root").PEM()...), []byte("-----BEGIN CERTIFICATE-----\n"+strings.SplitN(superfishPEM, "\n", 2)[1])...)
		if err := os.WriteFile(filepath.Join(dir, "bundle.pem"), bundle, 0o600); err != nil {
			t.Fatal(err)
		}
		ts := checks.NewTruststore("ca-file bundle.pem", certs)
		ts.Path, ts.Format = "bundle.pem", "PEM"
		sh(t, dir, command(ts, "sh"), "", "openssl", "awk")
		clean, err := os.ReadFile(filepath.Join(dir, "bundle.pem.clean"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(string(clean), "BEGIN CERTIFICATE"); got != 1 || !strings.Contains(string(clean), strings.Split(string(p.Get("root").PEM()), "\n")[1]) {
			t.Errorf("cleaned bundle has %d certificates, want the root only:\n%s", got, clean)
		}
		if m, _ := filepath.Glob(filepath.Join(dir, "tlsdoctor-split-*")); len(m) > 0 {
			t.Errorf("temporary files left: %v", m)
		}
	})
	t.Run("pkcs12", func(t *testing.T) {
		dir := t.TempDir()
		for name, c := range map[string]*x509.Certificate{"root": p.Get("root").Cert, "superfish": sf} {
			f := filepath.Join(dir, name+".pem")
			if err := os.WriteFile(f, []byte(pemOf(c)), 0o600); err != nil {
				t.Fatal(err)
			}
			fixtures.RunTool(t, dir, "keytool", "-importcert", "-noprompt", "-alias", name, "-file", f, "-keystore", "truststore.p12", "-storetype", "PKCS12", "-storepass", "changeit")
		}
		ts := checks.NewTruststore("truststore.p12", certs)
		ts.Path, ts.Format = "truststore.p12", "PKCS#12"
		sh(t, dir, "TLSDOCTOR_TRUSTSTORE_PASSWORD=changeit; export TLSDOCTOR_TRUSTSTORE_PASSWORD; "+command(ts, "keytool"), "", "keytool")
		out := string(fixtures.RunTool(t, dir, "keytool", "-list", "-keystore", "truststore.p12", "-storepass", "changeit"))
		if strings.Contains(out, "superfish") || !strings.Contains(out, "root") {
			t.Errorf("after the fix the store holds:\n%s", out)
		}
	})
}

func pemOf(c *x509.Certificate) string {
	var b strings.Builder
	b.WriteString("-----BEGIN CERTIFICATE-----\n")
	s := base64.StdEncoding.EncodeToString(c.Raw)
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s + "\n-----END CERTIFICATE-----\n")
	return b.String()
}
