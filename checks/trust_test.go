package checks

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testLab(t *testing.T) *fixtures.Lab {
	t.Helper()
	l := fixtures.TestLab(t, testNow)
	return l
}

// record makes a record as the probe would for a server sending certs.
func record(certs ...*x509.Certificate) *probe.Record {
	a := probe.Attempt{Purpose: probe.PurposePrimary, Outcome: "ok", Version: "TLS 1.3"}
	for _, c := range certs {
		a.Certificates = append(a.Certificates, probe.Certificate{DER: c.Raw})
	}
	return &probe.Record{RecordVersion: 1, StartedAt: testNow,
		Target:   probe.Target{Input: "localhost:8443", Host: "localhost", Port: 8443, SNI: "localhost", ConnectHost: "127.0.0.1", ConnectPort: 8443},
		Attempts: []probe.Attempt{a}}
}

// ids are the sorted finding IDs, without ocsp-stapling-missing: the lab's
// leaves name OCSP responders and these synthetic records carry no staple;
// stapling is judged in revocation_test.go.
func ids(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.ID != "ocsp-stapling-missing" {
			out = append(out, f.ID)
		}
	}
	slices.Sort(out)
	return out
}

func find(fs []Finding, id string) *Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

// fetched is a record's AIA download of url that produced cs.
func fetched(url string, cs ...*x509.Certificate) []probe.AIAFetch {
	f := probe.AIAFetch{URL: url, Format: "der", HTTPStatus: 200}
	for _, c := range cs {
		f.Certificates = append(f.Certificates, probe.Certificate{DER: c.Raw})
	}
	return []probe.AIAFetch{f}
}

// TestChainFindings runs every check on records built from the lab PKI and
// asserts the exact set of findings per fault.
func TestChainFindings(t *testing.T) {
	l := testLab(t)
	g := func(n string) *x509.Certificate { return l.PKI.Get(n).Cert }
	root := NewTruststore("lab root", []*x509.Certificate{g("root")})
	publicRoot := NewTruststore("mozilla", []*x509.Certificate{g("root")})
	publicRoot.Public = true
	longLeaf, err := l.PKI.Issue(fixtures.CertSpec{Name: "long", Parent: "intermediate", CommonName: "localhost", DNSNames: []string{"localhost"}, NotAfter: 800 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// A path length violation: intermediate2 has pathlen 0 and issues
	// another CA that issues the leaf.
	if _, err := l.PKI.Issue(fixtures.CertSpec{Name: "pl0", Parent: "root", CommonName: "PathLen0 CA", IsCA: true, Mutate: func(c *x509.Certificate) { c.MaxPathLen, c.MaxPathLenZero = 0, true }}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.PKI.Issue(fixtures.CertSpec{Name: "under-pl0", Parent: "pl0", CommonName: "Sub CA", IsCA: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.PKI.Issue(fixtures.CertSpec{Name: "pl-leaf", Parent: "under-pl0", CommonName: "localhost", DNSNames: []string{"localhost"}}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		chain  []string
		aia    []probe.AIAFetch
		stores []Truststore
		warn   int
		want   []string
	}{
		{name: "good", chain: []string{"leaf", "intermediate"}, want: nil},
		{name: "self-signed", chain: []string{"self-signed"}, want: []string{"self-signed"}},
		{name: "leaf only, no AIA", chain: []string{"leaf"}, want: []string{"chain-incomplete"}},
		{name: "leaf only, fetched", chain: []string{"leaf"}, aia: fetched("http://127.0.0.1:1/i.der", g("intermediate")), want: []string{"chain-incomplete"}},
		{name: "leaf only, fetched up to an untrusted root", chain: []string{"other-leaf"}, aia: fetched("http://127.0.0.1:1/o.p7c", g("other-intermediate"), g("other-root")), want: []string{"chain-incomplete", "untrusted-root"}},
		{name: "wrong order", chain: []string{"deep-leaf", "intermediate", "issuing"}, want: []string{"chain-order"}},
		{name: "root sent", chain: []string{"leaf", "intermediate", "root"}, want: []string{"chain-contains-root"}},
		{name: "extra cert", chain: []string{"leaf", "intermediate", "other-intermediate"}, want: []string{"chain-extra-certs"}},
		{name: "untrusted root", chain: []string{"other-leaf", "other-intermediate"}, want: []string{"untrusted-root"}},
		{name: "untrusted root sent", chain: []string{"other-leaf", "other-intermediate", "other-root"}, want: []string{"chain-contains-root", "untrusted-root"}},
		{name: "expired leaf", chain: []string{"expired", "intermediate"}, want: []string{"cert-expired"}},
		{name: "expired intermediate", chain: []string{"leaf-under-expired", "expired-intermediate"}, want: []string{"cert-expired"}},
		{name: "not yet valid", chain: []string{"not-yet-valid", "intermediate"}, want: []string{"cert-not-yet-valid"}},
		{name: "expiring soon", chain: []string{"expiring-soon", "intermediate"}, want: []string{"cert-expiring-soon"}},
		{name: "expiring soon, disabled", chain: []string{"expiring-soon", "intermediate"}, warn: -1, want: nil},
		{name: "expiring soon, 5 days", chain: []string{"expiring-soon", "intermediate"}, warn: 5, want: nil},
		{name: "wrong host", chain: []string{"wrong-host", "intermediate"}, want: []string{"hostname-mismatch"}},
		{name: "no SAN", chain: []string{"no-san", "intermediate"}, want: []string{"no-san"}},
		{name: "weak key", chain: []string{"weak-key", "intermediate"}, want: []string{"weak-key"}},
		{name: "SHA-1", chain: []string{"sha1-leaf", "rsa-intermediate"}, want: []string{"weak-signature"}},
		{name: "client EKU", chain: []string{"eku-client-only", "intermediate"}, want: []string{"eku-missing"}},
		{name: "not a CA", chain: []string{"leaf-under-not-a-ca", "not-a-ca", "intermediate"}, want: []string{"ca-constraints"}},
		{name: "path length", chain: []string{"pl-leaf", "under-pl0", "pl0"}, want: []string{"ca-constraints"}},
		{name: "too long, public", chain: []string{"long", "intermediate"}, stores: []Truststore{publicRoot}, want: []string{"sct-missing", "validity-too-long"}},
		{name: "too long, private", chain: []string{"long", "intermediate"}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var certs []*x509.Certificate
			for _, n := range tc.chain {
				certs = append(certs, g(n))
			}
			rec := record(certs...)
			rec.AIA = tc.aia
			stores := tc.stores
			if stores == nil {
				stores = []Truststore{root}
			}
			fs := Run(rec, Env{Now: testNow, Truststores: stores, WarnDays: tc.warn})
			if got := ids(fs); !slices.Equal(got, tc.want) {
				for _, f := range fs {
					t.Logf("%s: %s", f.ID, f.Title)
				}
				t.Fatalf("findings %v, want %v", got, tc.want)
			}
		})
	}
	_ = longLeaf
}

// TestFindingDetails checks that findings name what the issue asks for.
func TestFindingDetails(t *testing.T) {
	l := testLab(t)
	g := func(n string) *x509.Certificate { return l.PKI.Get(n).Cert }
	root := NewTruststore("lab root", []*x509.Certificate{g("root")})
	env := Env{Now: testNow, Truststores: []Truststore{root}}

	t.Run("chain-incomplete names the fetched intermediate and its URL", func(t *testing.T) {
		rec := record(g("leaf"))
		rec.AIA = []probe.AIAFetch{{URL: "http://aia.example.test/i.p7c", Format: "pkcs7", Certificates: []probe.Certificate{{DER: g("intermediate").Raw}}}}
		f := find(Run(rec, env), "chain-incomplete")
		ev := strings.Join(f.Evidence, "\n")
		for _, want := range []string{"http://aia.example.test/i.p7c", "PKCS7", Fingerprint(g("intermediate")), SerialHex(g("intermediate")), "Example Intermediate CA"} {
			if !strings.Contains(ev, want) {
				t.Errorf("evidence lacks %q:\n%s", want, ev)
			}
		}
		var browsers, javaAIA bool
		for _, c := range f.Clients {
			browsers = browsers || (c.Client == "browsers" && !c.Fails)
			javaAIA = javaAIA || (c.Client == "java-aia" && !c.Fails)
		}
		if !browsers || !javaAIA {
			t.Errorf("clients %+v: browsers and java with AIA fetching should cope", f.Clients)
		}
		got, err := FixBundle(NewInput(rec, env))
		if err != nil || len(got) != 2 || !got[0].Equal(g("leaf")) || !got[1].Equal(g("intermediate")) {
			t.Errorf("FixBundle = %v, %v; want leaf, intermediate", got, err)
		}
	})
	t.Run("chain-incomplete says a failed fetch", func(t *testing.T) {
		leafAIA, err := l.PKI.Issue(fixtures.CertSpec{Name: "aia-leaf", Parent: "intermediate", CommonName: "localhost", DNSNames: []string{"localhost"}, IssuingCertificateURL: []string{"http://127.0.0.1:1/x.der"}})
		if err != nil {
			t.Fatal(err)
		}
		rec := record(leafAIA.Cert)
		rec.AIA = []probe.AIAFetch{{URL: "http://127.0.0.1:1/x.der", Error: "connection refused"}}
		f := find(Run(rec, env), "chain-incomplete")
		if f == nil || !strings.Contains(strings.Join(f.Evidence, "\n"), "could not be fetched: connection refused") {
			t.Fatalf("finding %+v does not say the fetch failed", f)
		}
		if _, err := FixBundle(NewInput(rec, env)); err == nil {
			t.Error("FixBundle built a chain without the intermediate")
		}
	})
	t.Run("chain-order shows both orders and the fix bundle is ordered", func(t *testing.T) {
		rec := record(g("deep-leaf"), g("intermediate"), g("issuing"))
		f := find(Run(rec, env), "chain-order")
		if !strings.Contains(f.Evidence[0], "#0 localhost → #1 Example Intermediate CA → #2 Example Issuing CA") ||
			!strings.Contains(f.Evidence[1], "#0 localhost → #2 Example Issuing CA → #1 Example Intermediate CA") {
			t.Errorf("evidence %q", f.Evidence)
		}
		got, err := FixBundle(NewInput(rec, env))
		if err != nil || len(got) != 3 || !got[1].Equal(g("issuing")) || !got[2].Equal(g("intermediate")) {
			t.Errorf("FixBundle = %v, %v", got, err)
		}
	})
	t.Run("chain-order's cat line leaves out the root, as --fix-bundle does", func(t *testing.T) {
		// openssl s_server -cert leaf -cert_chain root+intermediate: the
		// bundle has no root (chain-contains-root says to drop it); the
		// cat line built the file with it.
		rec := record(g("leaf"), g("root"), g("intermediate"))
		fs := Run(rec, env)
		f := find(fs, "chain-order")
		if f == nil || find(fs, "chain-contains-root") == nil {
			t.Fatalf("findings %v, want chain-order and chain-contains-root", ids(fs))
		}
		if fix := FixText(f.Fix); !strings.Contains(fix, "cat server.crt example-intermediate-ca.crt > fullchain.pem") {
			t.Errorf("fix:\n%s\nwant the cat line without the root", fix)
		}
	})
	t.Run("expired intermediate is named as such", func(t *testing.T) {
		f := find(Run(record(g("leaf-under-expired"), g("expired-intermediate")), env), "cert-expired")
		if !strings.Contains(f.Title, `intermediate certificate "Example Old Intermediate CA"`) {
			t.Errorf("title %q", f.Title)
		}
	})
	t.Run("not yet valid by minutes hints at the clock", func(t *testing.T) {
		c, err := l.PKI.Issue(fixtures.CertSpec{Name: "soon", Parent: "intermediate", CommonName: "localhost", DNSNames: []string{"localhost"}, NotBefore: 20 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		f := find(Run(record(c.Cert, g("intermediate")), env), "cert-not-yet-valid")
		if !strings.Contains(FixText(f.Fix), "timedatectl") {
			t.Errorf("remediation %q lacks the clock hint", FixText(f.Fix))
		}
	})
	t.Run("untrusted root gives the import command and settings", func(t *testing.T) {
		f := find(Run(record(g("other-leaf"), g("other-intermediate"), g("other-root")), env), "untrusted-root")
		for _, want := range []string{"keytool -importcert -trustcacerts -alias other-root-ca -file root.pem -keystore truststore.p12 -storetype PKCS12", "-Djavax.net.ssl.trustStore=truststore.p12", "spring.ssl.bundle.jks.partner.truststore.location=file:truststore.p12", "MuleSoft", "curl --cacert root.pem --connect-to localhost:8443:127.0.0.1:8443 https://localhost:8443/", Fingerprint(g("other-root"))} {
			if !strings.Contains(FixText(f.Fix)+strings.Join(f.Evidence, "\n"), want) {
				t.Errorf("untrusted-root lacks %q", want)
			}
		}
		// The client's trust is not the embedded server's: server.ssl.*
		// would configure Spring's own server, not its clients.
		if strings.Contains(FixText(f.Fix), "server.ssl.trust-store=") {
			t.Errorf("untrusted-root tells a client to set the server's trust store:\n%s", FixText(f.Fix))
		}
	})
	t.Run("hostname-mismatch lists names and the SAN config", func(t *testing.T) {
		f := find(Run(record(g("wrong-host"), g("intermediate")), env), "hostname-mismatch")
		if !strings.Contains(f.Evidence[1], "www.example.test, example.test") || !strings.Contains(FixText(f.Fix), "-subj /CN=localhost -addext subjectAltName=DNS:localhost,DNS:www.example.test,DNS:example.test") {
			t.Errorf("evidence %q remediation %q", f.Evidence, FixText(f.Fix))
		}
	})
}

// TestGoMessages checks the Go client messages we quote against what
// crypto/x509 really says for the same certificates.
func TestGoMessages(t *testing.T) {
	l := testLab(t)
	g := func(n string) *x509.Certificate { return l.PKI.Get(n).Cert }
	if _, err := l.PKI.Issue(fixtures.CertSpec{Name: "pl0", Parent: "root", CommonName: "PathLen0 CA", IsCA: true, Mutate: func(c *x509.Certificate) { c.MaxPathLen, c.MaxPathLenZero = 0, true }}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.PKI.Issue(fixtures.CertSpec{Name: "under-pl0", Parent: "pl0", CommonName: "Sub CA", IsCA: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.PKI.Issue(fixtures.CertSpec{Name: "pl-leaf", Parent: "under-pl0", CommonName: "localhost", DNSNames: []string{"localhost"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key   string
		chain []string
	}{
		{"ca-no-certsign", []string{"leaf-under-not-a-ca", "not-a-ca", "intermediate"}},
		{"ca-not-ca", []string{"leaf-under-ca-false", "ca-false-signer", "intermediate"}},
		{"ca-pathlen", []string{"pl-leaf", "under-pl0", "pl0"}},
		{"eku-missing", []string{"eku-client-only", "intermediate"}},
		{"no-san", []string{"no-san", "intermediate"}},
		{"weak-signature", []string{"sha1-leaf", "rsa-intermediate"}},
	} {
		inter := x509.NewCertPool()
		for _, n := range tc.chain[1:] {
			inter.AddCert(g(n))
		}
		_, err := g(tc.chain[0]).Verify(x509.VerifyOptions{Roots: l.PKI.Pool("root"), Intermediates: inter, DNSName: "localhost", CurrentTime: testNow})
		if err == nil {
			t.Errorf("%s: Go verified the chain", tc.key)
			continue
		}
		var msg string
		for _, c := range clients(tc.key) {
			if c.Client == "go" {
				msg = c.Message
			}
		}
		// Compare the stable part: up to the first placeholder or ellipsis.
		stable := strings.TrimPrefix(msg, "tls: failed to verify certificate: ")
		if i := strings.Index(stable, "..."); i > 0 {
			stable = stable[:i]
		}
		if i := strings.Index(stable, "NAME"); i > 0 {
			stable = stable[:i]
		}
		if !strings.Contains(err.Error(), stable) {
			t.Errorf("%s: Go says %q; we quote %q", tc.key, err, stable)
		}
	}
}

// TestStoreVerdicts judges one chain against several stores.
func TestStoreVerdicts(t *testing.T) {
	l := testLab(t)
	g := func(n string) *x509.Certificate { return l.PKI.Get(n).Cert }
	env := Env{Now: testNow, Truststores: []Truststore{
		NewTruststore("system", []*x509.Certificate{g("other-root")}),
		NewTruststore("mozilla", []*x509.Certificate{g("root"), g("other-root")}),
		NewTruststore("java", nil),
	}}
	in := NewInput(record(g("leaf"), g("intermediate")), env)
	vs := StoreVerdicts(in)
	if len(vs) != 3 || vs[0].Trusted || !vs[1].Trusted || vs[2].Trusted {
		t.Fatalf("verdicts %+v", vs)
	}
	if !strings.Contains(vs[2].Reason, `missing root "Example Root CA"`) {
		t.Errorf("java reason %q", vs[2].Reason)
	}
	f := find(Run(in.Rec, env), "untrusted-root")
	if f == nil || !strings.Contains(strings.Join(f.Evidence, "\n"), "trusted by mozilla") {
		t.Errorf("untrusted-root should say which other store trusts the chain: %+v", f)
	}
}

// TestAnchorMatchedByKey: a store holding a re-issued root (same name and
// key, different certificate) still anchors the path, as in Java and
// OpenSSL.
func TestAnchorMatchedByKey(t *testing.T) {
	l := testLab(t)
	root := l.PKI.Get("root")
	tmpl := *root.Cert
	tmpl.SerialNumber = big.NewInt(999)
	tmpl.Subject = pkix.Name{}
	tmpl.RawSubject = root.Cert.RawSubject
	tmpl.NotAfter = testNow.Add(20 * 365 * 24 * time.Hour)
	der, err := x509.CreateCertificate(nil, &tmpl, &tmpl, root.Key.Public(), root.Key)
	if err != nil {
		t.Fatal(err)
	}
	reissued, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Now: testNow, Truststores: []Truststore{NewTruststore("reissued", []*x509.Certificate{reissued})}}
	if got := ids(Run(record(l.PKI.Get("leaf").Cert, l.PKI.Get("intermediate").Cert), env)); len(got) != 0 {
		t.Errorf("findings %v, want none", got)
	}
}

// TestExpiredCrossSign: the server sends an expired cross-sign of a root.
// A client with the new root builds the short path and only gets the
// warning; a client with only the old root goes through the expired
// cross-sign.
func TestExpiredCrossSign(t *testing.T) {
	l := testLab(t)
	for _, s := range []fixtures.CertSpec{
		{Name: "new-root", CommonName: "Example New Root CA", IsCA: true},
		{Name: "new-root-cross", Parent: "root", KeyFrom: "new-root", CommonName: "Example New Root CA", IsCA: true, NotBefore: -400 * 24 * time.Hour, NotAfter: -24 * time.Hour},
		{Name: "new-inter", Parent: "new-root", CommonName: "Example New Intermediate", IsCA: true},
		{Name: "new-leaf", Parent: "new-inter", CommonName: "localhost", DNSNames: []string{"localhost"}},
	} {
		if _, err := l.PKI.Issue(s); err != nil {
			t.Fatal(err)
		}
	}
	g := func(n string) *x509.Certificate { return l.PKI.Get(n).Cert }
	rec := record(g("new-leaf"), g("new-inter"), g("new-root-cross"))
	both := Env{Now: testNow, Truststores: []Truststore{NewTruststore("new", []*x509.Certificate{g("root"), g("new-root")})}}
	fs := Run(rec, both)
	if got := ids(fs); !slices.Equal(got, []string{"chain-contains-root"}) {
		t.Fatalf("with the new root: findings %v, want [chain-contains-root]", got)
	}
	if fs[0].Severity != Warning || !strings.Contains(fs[0].Title, "cross-signed root") || !strings.Contains(fs[0].Detail, "expired") {
		t.Errorf("finding %+v, want a warning naming the expired cross-signed root", fs[0])
	}
	old := Env{Now: testNow, Truststores: []Truststore{NewTruststore("old", []*x509.Certificate{g("root")})}}
	fs = Run(rec, old)
	f := find(fs, "cert-expired")
	if f == nil || !strings.Contains(f.Title, `"Example New Root CA" expired`) {
		t.Errorf("with the old root only: findings %v, want cert-expired on the cross-sign", ids(fs))
	}
}

func TestStoreVerdictExpiredPath(t *testing.T) {
	l := testLab(t)
	g := func(n string) *x509.Certificate { return l.PKI.Get(n).Cert }
	env := Env{Now: testNow, Truststores: []Truststore{NewTruststore("lab", []*x509.Certificate{g("root")})}}
	vs := StoreVerdicts(NewInput(record(g("leaf-under-expired"), g("expired-intermediate")), env))
	if len(vs) != 1 || !vs[0].Trusted || !strings.Contains(vs[0].Reason, `but "Example Old Intermediate CA" on the path expired`) {
		t.Errorf("verdicts %+v", vs)
	}
}

// chain-incomplete offers --fix-bundle only when it can write the chain
// (the intermediate was fetched); otherwise it says where to get it.
func TestChainIncompleteFixBundleOnlyWhenBuildable(t *testing.T) {
	l := testLab(t)
	g := func(n string) *x509.Certificate { return l.PKI.Get(n).Cert }
	root := NewTruststore("lab root", []*x509.Certificate{g("root")})
	rem := func(rec *probe.Record) string {
		f := find(Run(rec, Env{Now: testNow, Truststores: []Truststore{root}}), "chain-incomplete")
		if f == nil {
			t.Fatal("no chain-incomplete")
		}
		return FixText(f.Fix)
	}
	bare := rem(record(g("leaf")))
	if strings.Contains(bare, "--fix-bundle") || !strings.Contains(bare, `Get the intermediate "CN=Example Intermediate CA,O=Example"`) {
		t.Errorf("nothing fetched, yet:\n%s", bare)
	}
	rec := record(g("leaf"))
	rec.AIA = fetched("http://127.0.0.1:1/i.der", g("intermediate"))
	if got := rem(rec); !strings.Contains(got, "--fix-bundle fullchain.pem") {
		t.Errorf("fetched, but no --fix-bundle:\n%s", got)
	}
}

// TestCurrentCrossSignKept: a current cross-sign of the trust anchor is
// what clients that trust only the old root connect through (measured:
// openssl s_server sending leaf, intermediate, cross-sign; curl, Go and
// Python trusting only the old root connect). The fix must not tell the
// operator to remove it without saying who then fails.
func TestCurrentCrossSignKept(t *testing.T) {
	l := testLab(t)
	for _, s := range []fixtures.CertSpec{
		{Name: "new-root", CommonName: "Example New Root CA", IsCA: true},
		{Name: "new-root-cross", Parent: "root", KeyFrom: "new-root", CommonName: "Example New Root CA", IsCA: true},
		{Name: "new-inter", Parent: "new-root", CommonName: "Example New Intermediate", IsCA: true},
		{Name: "new-leaf", Parent: "new-inter", CommonName: "localhost", DNSNames: []string{"localhost"}},
	} {
		if _, err := l.PKI.Issue(s); err != nil {
			t.Fatal(err)
		}
	}
	g := func(n string) *x509.Certificate { return l.PKI.Get(n).Cert }
	rec := record(g("new-leaf"), g("new-inter"), g("new-root-cross"))
	f := find(Run(rec, Env{Now: testNow, Truststores: []Truststore{NewTruststore("new", []*x509.Certificate{g("new-root")})}}), "chain-contains-root")
	if f == nil {
		t.Fatal("no chain-contains-root for the cross-sign")
	}
	fix := FixText(f.Fix)
	if strings.Contains(fix, "Remove the root from the chain file") || !strings.Contains(fix, `only "Example Root CA"`) {
		t.Errorf("fix for a current cross-sign:\n%s\nwant it kept for clients that trust only the old root, naming it", fix)
	}
	// Clients with only the old root connect through it: no finding that
	// says otherwise.
	if fs := Run(rec, Env{Now: testNow, Truststores: []Truststore{NewTruststore("old", []*x509.Certificate{g("root")})}}); len(fs) != 0 {
		t.Errorf("with the old root only: %v, want none", ids(fs))
	}
}
