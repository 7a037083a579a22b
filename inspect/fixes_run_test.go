package inspect_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/inspect"
)

// Each test makes the store that produces a finding with keytool (or
// openssl), takes the fix `tlsdoctor inspect` prints, pastes its commands
// into sh, and inspects the result again: the finding is gone and the
// store still holds its other entries, keys and chains.

// passwordArgs are the two ways the tests give a store password: a file
// (the fix must name it) and none (Java's default changeit opens it).
var passwordArgs = []struct {
	name string
	args func(d *fixDir) []string
}{
	{"password file", func(d *fixDir) []string {
		return []string{"--password-file", d.write("store pass 'x'.txt", []byte("s3cret pass\n"))}
	}},
	{"changeit", func(*fixDir) []string { return nil }},
}

func storePass(args []string) string {
	if len(args) > 0 {
		return "s3cret pass"
	}
	return "changeit"
}

// truststore-ca-expired: keytool -delete removes the expired CA and
// leaves the current one.
func TestFixRunsExpiredAnchorDelete(t *testing.T) {
	p := fixPKI(t)
	for _, typ := range []string{"JKS", "PKCS12"} {
		for _, pa := range passwordArgs {
			t.Run(typ+" "+pa.name, func(t *testing.T) {
				d := awkwardDir(t)
				args := pa.args(d)
				pass := storePass(args)
				d.write("root.pem", p.PEMBundle("root"))
				d.write("old.pem", p.PEMBundle("old-ca"))
				ts := "trust store." + strings.ToLower(typ)
				for _, a := range []string{"root", "old"} {
					d.tool("keytool", "-importcert", "-noprompt", "-alias", a+"-ca", "-file", a+".pem", "-keystore", ts, "-storetype", typ, "-storepass", pass)
				}
				before := entrySummary(d.readStore(ts, pass))
				rep := d.inspect(append([]string{d.path(ts)}, args...)...)
				f := finding(rep.Findings, "truststore-ca-expired")
				if f == nil {
					t.Fatalf("no truststore-ca-expired: %v", findingIDs(rep.Findings))
				}
				d.runFix(f)
				rep = d.inspect(append([]string{d.path(ts)}, args...)...)
				if f := finding(rep.Findings, "truststore-ca-expired"); f != nil {
					t.Errorf("after the printed fix: %s", f.Title)
				}
				after := entrySummary(d.readStore(ts, pass))
				if _, ok := after["old-ca"]; ok || len(after) != 1 || after["root-ca"] != before["root-ca"] {
					t.Errorf("after the printed fix the store holds %v; want only %v", after, before["root-ca"])
				}
			})
		}
	}
}

// store-type-mismatch: a JKS or JCEKS file named for another type is
// converted to PKCS#12 by the printed keytool -importkeystore, keeping the
// key and its chain; a PEM file named .jks becomes a truststore.
func TestFixRunsTypeConversion(t *testing.T) {
	p := fixPKI(t)
	for _, tc := range []struct{ typ, name string }{
		{"JKS", "server keystore.p12"},
		{"JCEKS", "server keystore.jks"},
	} {
		for _, pa := range passwordArgs {
			t.Run(tc.typ+" as "+tc.name+", "+pa.name, func(t *testing.T) {
				d := awkwardDir(t)
				args := pa.args(d)
				pass := storePass(args)
				d.write("leaf.pem", p.PEMBundle("leaf"))
				d.write("chain.pem", p.PEMBundle("intermediate", "root"))
				key, _ := p.KeyPEMAs("leaf", "pkcs8", "")
				d.write("leaf.key", key)
				d.tool("openssl", "pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-certfile", "chain.pem", "-name", "server", "-out", "src.p12", "-passout", "pass:"+pass)
				d.tool("keytool", "-importkeystore", "-noprompt", "-srckeystore", "src.p12", "-srcstoretype", "PKCS12", "-srcstorepass", pass,
					"-destkeystore", tc.name, "-deststoretype", tc.typ, "-deststorepass", pass, "-destkeypass", pass)
				before := entrySummary(d.readStore(tc.name, pass))
				if len(before) != 1 || !strings.Contains(before["server"], "matches:yes") {
					t.Fatalf("setup: %v", before)
				}
				rep := d.inspect(append([]string{d.path(tc.name)}, args...)...)
				f := finding(rep.Findings, "store-type-mismatch")
				if f == nil {
					t.Fatalf("no store-type-mismatch: %v", findingIDs(rep.Findings))
				}
				d.runFix(f)
				conv := d.readStore("converted.p12", pass)
				if conv.Format != inspect.FormatPKCS12 {
					t.Fatalf("converted.p12 is %s", conv.Format)
				}
				if after := entrySummary(conv); len(after) != 1 || after["server"] != before["server"] {
					t.Errorf("converted.p12 holds %v; the source held %v", after, before)
				}
				rep = d.inspect(append([]string{d.path("converted.p12")}, args...)...)
				if f := finding(rep.Findings, "store-type-mismatch"); f != nil {
					t.Errorf("converted.p12: %s", f.Title)
				}
				if tc.typ == "JCEKS" {
					if f := finding(rep.Findings, "keystore-java-compat"); f != nil && strings.Contains(f.Title, "is a JCEKS keystore") {
						t.Errorf("converted.p12: %s", f.Title)
					}
				}
			})
		}
	}
	for _, certs := range [][]string{{"root"}, {"intermediate", "root"}} {
		t.Run("PEM named .jks, "+strings.Join(certs, "+"), func(t *testing.T) {
			d := awkwardDir(t)
			d.write("trust's.jks", p.PEMBundle(certs...))
			rep := d.inspect(d.path("trust's.jks"))
			f := finding(rep.Findings, "store-type-mismatch")
			if f == nil {
				t.Fatalf("no store-type-mismatch: %v", findingIDs(rep.Findings))
			}
			d.runFix(f)
			ts := d.readStore("truststore.p12", "changeit")
			var got []string
			for _, e := range ts.Entries {
				if e.Kind == inspect.KindTrusted {
					got = append(got, inspect.SHA256Fingerprint(e.Chain[0]))
				}
			}
			var want []string
			for _, c := range certs {
				want = append(want, inspect.SHA256Fingerprint(p.Get(c).Cert))
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("truststore.p12 trusts %v; the PEM file held %v", got, want)
			}
		})
	}
}

// java-truststore-unreadable: the printed keytool rewrite without
// certificate encryption gives a truststore the JVM reads with no
// password.
func TestFixRunsTruststoreWithoutPassword(t *testing.T) {
	home := os.Getenv("JAVA_HOME")
	if home == "" {
		home = "/usr/lib/jvm/java-17-openjdk-amd64"
	}
	if _, err := os.Stat(home + "/lib/security/java.security"); err != nil {
		home = ""
		if _, err := os.Stat("/usr/lib/jvm/java-17-openjdk-amd64/conf/security/java.security"); err == nil {
			home = "/usr/lib/jvm/java-17-openjdk-amd64"
		}
	}
	if home == "" {
		t.Skip("no JDK found")
	}
	p := fixPKI(t)
	d := awkwardDir(t)
	d.write("root.pem", p.PEMBundle("root"))
	d.write("int.pem", p.PEMBundle("intermediate"))
	ts := "app trust.p12"
	for _, a := range []string{"root", "int"} {
		d.tool("keytool", "-importcert", "-noprompt", "-alias", a, "-file", a+".pem", "-keystore", ts, "-storetype", "PKCS12", "-storepass", "changeit")
	}
	before := entrySummary(d.readStore(ts, "changeit"))
	javaArgs := func(file string) []string {
		return []string{"--java", "--java-home", home, "--jvm-options", `-Djavax.net.ssl.trustStore="` + d.path(file) + `"`}
	}
	rep := d.inspect(javaArgs(ts)...)
	f := finding(rep.Findings, "java-truststore-unreadable")
	if f == nil {
		t.Fatalf("no java-truststore-unreadable: %v", findingIDs(rep.Findings))
	}
	d.runFix(f)
	rep = d.inspect(javaArgs("truststore-nopass.p12")...)
	if f := finding(rep.Findings, "java-truststore-unreadable"); f != nil {
		t.Errorf("after the printed fix: %s", f.Title)
	}
	if rep.Java == nil || !strings.HasPrefix(rep.Java.JavaSees, "2 trust anchor") {
		t.Errorf("after the printed fix the JVM sees %+v", rep.Java)
	}
	if after := entrySummary(d.readStore("truststore-nopass.p12", "")); len(after) != 2 || after["root"] != before["root"] || after["int"] != before["int"] {
		t.Errorf("truststore-nopass.p12 holds %v; the source held %v", after, before)
	}
	if res := d.sh("keytool -list -keystore truststore-nopass.p12 -storetype PKCS12 </dev/null", nil); !strings.Contains(res.out, "2 entries") {
		t.Errorf("keytool without a password:\n%s", res.out)
	}
}

// The alignment fixes: the root a keystore carries is extracted and
// appended to a PEM truststore (cat >>) or imported into a PKCS#12 or
// JCEKS one; a root only its owner has (ca.pem, given by the test) is
// imported the same way; a keystore missing its intermediate is
// completed.
func TestFixRunsAlignment(t *testing.T) {
	p := fixPKI(t)
	for _, tc := range []struct {
		name    string
		ksChain []string // what the server keystore holds
		ts      string   // the truststore's type
		trusted string   // what it trusts before
		fixes   string   // the finding the fix is on
		given   map[string][]string
	}{
		{"root in keystore, PEM truststore", []string{"leaf", "intermediate", "root"}, "PEM", "other", "untrusted-root", nil},
		{"root in keystore, PKCS12 truststore", []string{"leaf", "intermediate", "root"}, "PKCS12", "other", "untrusted-root", nil},
		{"root in keystore, JCEKS truststore", []string{"leaf", "intermediate", "root"}, "JCEKS", "other", "untrusted-root", nil},
		{"root from its owner, PEM truststore", []string{"leaf", "intermediate"}, "PEM", "other", "untrusted-root", map[string][]string{"ca.pem": {"root"}}},
		{"root from its owner, JKS truststore", []string{"leaf", "intermediate"}, "JKS", "other", "untrusted-root", map[string][]string{"ca.pem": {"root"}}},
		{"keystore without its intermediate", []string{"leaf"}, "JKS", "root", "chain-incomplete", map[string][]string{"chain.pem": {"leaf", "intermediate"}}},
	} {
		for _, pa := range passwordArgs {
			t.Run(tc.name+", "+pa.name, func(t *testing.T) {
				d := awkwardDir(t)
				args := pa.args(d)
				pass := storePass(args)
				d.write("leaf.pem", p.PEMBundle("leaf"))
				key, _ := p.KeyPEMAs("leaf", "pkcs8", "")
				d.write("leaf.key", key)
				osslArgs := []string{"pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-name", "server", "-out", "src.p12", "-passout", "pass:" + pass}
				if len(tc.ksChain) > 1 {
					d.write("chain-in.pem", p.PEMBundle(tc.ksChain[1:]...))
					osslArgs = append(osslArgs, "-certfile", "chain-in.pem")
				}
				d.tool("openssl", osslArgs...)
				ks := "server keystore.jks"
				d.tool("keytool", "-importkeystore", "-noprompt", "-srckeystore", "src.p12", "-srcstoretype", "PKCS12", "-srcstorepass", pass,
					"-destkeystore", ks, "-deststoretype", "JKS", "-deststorepass", pass, "-destkeypass", pass)
				ts := "client trust." + strings.ToLower(tc.ts)
				if tc.ts == "PEM" {
					d.write(ts, p.PEMBundle(tc.trusted))
				} else {
					d.write("trusted.pem", p.PEMBundle(tc.trusted))
					d.tool("keytool", "-importcert", "-noprompt", "-alias", "trusted", "-file", "trusted.pem", "-keystore", ts, "-storetype", tc.ts, "-storepass", pass)
				}
				for name, certs := range tc.given {
					d.write(name, p.PEMBundle(certs...))
				}
				pw := []string{}
				if len(args) > 0 {
					pw = []string{"--keystore-password-file", args[1], "--truststore-password-file", args[1]}
				}
				alignArgs := append([]string{"--keystore", d.path(ks), "--truststore", d.path(ts), "--name", "api.example.test"}, pw...)
				rep := d.inspect(alignArgs...)
				if len(rep.Alignment) != 1 || rep.Alignment[0].OK {
					t.Fatalf("alignment before the fix: %+v", rep.Alignment)
				}
				f := finding(rep.Alignment[0].Findings, tc.fixes)
				if f == nil {
					t.Fatalf("no %s: %v", tc.fixes, findingIDs(rep.Alignment[0].Findings))
				}
				t.Logf("fix: %s", checks.FixText(f.Fix))
				d.runFix(f)
				rep = d.inspect(alignArgs...)
				if !rep.Alignment[0].OK {
					t.Errorf("after the printed fix: %+v", rep.Alignment[0])
				}
				// The truststore still trusts what it did.
				tsPass := ""
				if tc.ts != "PEM" {
					tsPass = pass
				}
				trusted := map[string]bool{}
				for _, e := range d.readStore(ts, tsPass).Entries {
					trusted[inspect.SHA256Fingerprint(e.Chain[0])] = true
				}
				if !trusted[inspect.SHA256Fingerprint(p.Get(tc.trusted).Cert)] {
					t.Errorf("after the printed fix %s no longer holds %s", ts, tc.trusted)
				}
				if s := entrySummary(d.readStore(ks, pass)); !strings.Contains(s["server"], "matches:yes") {
					t.Errorf("after the printed fix the keystore holds %v", s)
				}
			})
		}
	}
}

// keystore-chain-incomplete, truststore-holds-leaf and
// keystore-alias-ambiguous: the keytool imports and deletes, and the
// tlsdoctor inspect that checks the result, which must open the store
// with the password the user gave (exit 2 would be "wrong password").
func TestFixRunsKeystoreEntries(t *testing.T) {
	p := fixPKI(t)
	for _, typ := range []string{"JKS", "PKCS12"} {
		for _, pa := range passwordArgs {
			t.Run(typ+" "+pa.name, func(t *testing.T) {
				d := awkwardDir(t)
				args := pa.args(d)
				pass := storePass(args)
				d.write("leaf.pem", p.PEMBundle("leaf"))
				key, _ := p.KeyPEMAs("leaf", "pkcs8", "")
				d.write("leaf.key", key)
				d.tool("openssl", "pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-name", "server", "-out", "src.p12", "-passout", "pass:"+pass)
				ks := "leaf only." + strings.ToLower(typ)
				d.tool("keytool", "-importkeystore", "-noprompt", "-srckeystore", "src.p12", "-srcstoretype", "PKCS12", "-srcstorepass", pass,
					"-destkeystore", ks, "-deststoretype", typ, "-deststorepass", pass, "-destkeypass", pass)
				// A second key entry makes the alias ambiguous.
				d.tool("keytool", "-genkeypair", "-noprompt", "-alias", "other", "-keyalg", "EC", "-dname", "CN=other.example.test",
					"-keystore", ks, "-storetype", typ, "-storepass", pass, "-keypass", pass)
				rep := d.inspect(append([]string{d.path(ks)}, args...)...)
				amb := finding(rep.Findings, "keystore-alias-ambiguous")
				if amb == nil {
					t.Fatalf("no keystore-alias-ambiguous: %v", findingIDs(rep.Findings))
				}
				d.runFix(amb)
				rep = d.inspect(append([]string{d.path(ks), "--alias", "server"}, args...)...)
				f := finding(rep.Findings, "keystore-chain-incomplete")
				if f == nil || finding(rep.Findings, "keystore-alias-ambiguous") != nil {
					t.Fatalf("with --alias server: %v", findingIDs(rep.Findings))
				}
				d.write("chain.pem", p.PEMBundle("leaf", "intermediate"))
				d.runFix(f)
				rep = d.inspect(append([]string{d.path(ks), "--alias", "server"}, args...)...)
				if f := finding(rep.Findings, "keystore-chain-incomplete"); f != nil {
					t.Errorf("after the printed fix: %s", f.Title)
				}
				s := entrySummary(d.readStore(ks, pass))
				want := "PrivateKeyEntry key:RSA 2048 matches:yes " + inspect.SHA256Fingerprint(p.Get("leaf").Cert) + " " + inspect.SHA256Fingerprint(p.Get("intermediate").Cert)
				if s["server"] != want || !strings.Contains(s["other"], "matches:yes") {
					t.Errorf("after the printed fix the keystore holds %v; want server %s", s, want)
				}
			})
			t.Run(typ+" truststore with a leaf, "+pa.name, func(t *testing.T) {
				d := awkwardDir(t)
				args := pa.args(d)
				pass := storePass(args)
				d.write("leaf.pem", p.PEMBundle("leaf"))
				ts := "pinned trust." + strings.ToLower(typ)
				d.tool("keytool", "-importcert", "-noprompt", "-alias", "api", "-file", "leaf.pem", "-keystore", ts, "-storetype", typ, "-storepass", pass)
				rep := d.inspect(append([]string{d.path(ts)}, args...)...)
				f := finding(rep.Findings, "truststore-holds-leaf")
				if f == nil {
					t.Fatalf("no truststore-holds-leaf: %v", findingIDs(rep.Findings))
				}
				d.write("ca.pem", p.PEMBundle("intermediate"))
				d.runFix(f)
				rep = d.inspect(append([]string{d.path(ts)}, args...)...)
				if f := finding(rep.Findings, "truststore-holds-leaf"); f != nil {
					t.Errorf("after the printed fix: %s", f.Title)
				}
				s := entrySummary(d.readStore(ts, pass))
				if len(s) != 1 || s["issuing-ca"] != "trustedCertEntry "+inspect.SHA256Fingerprint(p.Get("intermediate").Cert) {
					t.Errorf("after the printed fix the truststore holds %v", s)
				}
			})
		}
	}
}

// tlsdoctor inspect -: keytool cannot open standard input ("-keystore -"
// names a file called "-"), so the fix first says to save the input to a
// file, with the command, and its commands read that file. The test does
// what the step says (the command the user piped from, with > FILE) and
// runs the rest as printed.
func TestFixRunsFromStdin(t *testing.T) {
	p := fixPKI(t)
	d := awkwardDir(t)
	d.write("root.pem", p.PEMBundle("root"))
	d.write("old.pem", p.PEMBundle("old-ca"))
	for _, a := range []string{"root", "old"} {
		d.tool("keytool", "-importcert", "-noprompt", "-alias", a+"-ca", "-file", a+".pem", "-keystore", "from k8s.jks", "-storetype", "JKS", "-storepass", "changeit")
	}
	data, err := os.ReadFile(d.path("from k8s.jks"))
	if err != nil {
		t.Fatal(err)
	}
	rep := d.inspectStdin(data, "-")
	f := finding(rep.Findings, "truststore-ca-expired")
	if f == nil {
		t.Fatalf("no truststore-ca-expired: %v", findingIDs(rep.Findings))
	}
	first := f.Fix[0]
	if first.Kind != checks.StepText || !strings.Contains(first.Text, "with > keystore.jks in place of | tlsdoctor inspect -") {
		t.Fatalf("the fix does not start by saving standard input: %+v", f.Fix)
	}
	for _, s := range f.Fix {
		if s.Kind == checks.StepCommand && strings.Contains(" "+s.Text+" ", " - ") {
			t.Errorf("a printed command reads standard input: %s", s.Text)
		}
	}
	d.sh("cat 'from k8s.jks' > keystore.jks", nil) // what the user's own command does
	d.runFix(f)
	if after := entrySummary(d.readStore("keystore.jks", "changeit")); len(after) != 1 || after["root-ca"] == "" {
		t.Errorf("keystore.jks after the printed fix: %v", after)
	}

	// The hints of an input error too: a PKCS#7 bundle on stdin.
	d.tool("openssl", "crl2pkcs7", "-nocrl", "-certfile", "root.pem", "-outform", "DER", "-out", "my bundle.p7b")
	b7, err := os.ReadFile(d.path("my bundle.p7b"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = inspect.Read(b7, inspect.Options{Name: "-"})
	var ie *inspect.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("%v, want an input error", err)
	}
	cmd, ok := strings.CutPrefix(ie.Hint, "save standard input to bundle.p7b first (run the command you piped into tlsdoctor inspect - with > bundle.p7b in place of | tlsdoctor inspect -), then extract the certificates: ")
	if !ok {
		t.Fatalf("hint %q", ie.Hint)
	}
	d.sh("cat 'my bundle.p7b' > bundle.p7b", nil)
	if res := d.sh(cmd, nil); res.code != 0 {
		t.Fatalf("%s: exit %d\n%s", cmd, res.code, res.out)
	}
	if s := d.readStore("certs.pem", ""); len(s.Entries) != 1 {
		t.Errorf("certs.pem holds %d entries", len(s.Entries))
	}
	// A wrong password: the keytool hint names the saved file.
	_, err = inspect.Read(data, inspect.Options{Name: "-", Password: inspect.Password{Value: "nope", Set: true, Source: "test"}})
	if !errors.As(err, &ie) || !strings.HasSuffix(ie.Hint, "then check it with: keytool -list -keystore keystore.jks") {
		t.Errorf("wrong password on stdin: %v, hint %q", err, ie.Hint)
	}
}

// keystore-duplicate-cert: the printed keytool -delete removes the other
// aliases of a certificate stored twice (a server key entry and a
// trusted copy, and a trusted CA under two aliases), keeping the key
// entry and the first CA alias.
func TestFixRunsDuplicateDelete(t *testing.T) {
	p := fixPKI(t)
	for _, typ := range []string{"JKS", "PKCS12"} {
		for _, pa := range passwordArgs {
			t.Run(typ+" "+pa.name, func(t *testing.T) {
				d := awkwardDir(t)
				args := pa.args(d)
				pass := storePass(args)
				d.write("leaf.pem", p.PEMBundle("leaf"))
				d.write("root.pem", p.PEMBundle("root"))
				key, _ := p.KeyPEMAs("leaf", "pkcs8", "")
				d.write("leaf.key", key)
				d.write("chain.pem", p.PEMBundle("intermediate", "root"))
				d.tool("openssl", "pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-certfile", "chain.pem", "-name", "server", "-out", "src.p12", "-passout", "pass:"+pass)
				ks := "dup's store." + strings.ToLower(typ)
				d.tool("keytool", "-importkeystore", "-noprompt", "-srckeystore", "src.p12", "-srcstoretype", "PKCS12", "-srcstorepass", pass,
					"-destkeystore", ks, "-deststoretype", typ, "-deststorepass", pass, "-destkeypass", pass)
				for _, a := range []struct{ alias, file string }{{"root ca", "root.pem"}, {"root's copy", "root.pem"}, {"server; copy", "leaf.pem"}} {
					d.tool("keytool", "-importcert", "-noprompt", "-alias", a.alias, "-file", a.file, "-keystore", ks, "-storetype", typ, "-storepass", pass)
				}
				before := entrySummary(d.readStore(ks, pass))
				rep := d.inspect(append([]string{d.path(ks)}, args...)...)
				var dups []*checks.Finding
				for i := range rep.Findings {
					if rep.Findings[i].ID == "keystore-duplicate-cert" {
						dups = append(dups, &rep.Findings[i])
					}
				}
				if len(dups) != 2 {
					t.Fatalf("%d keystore-duplicate-cert, want 2 (root, leaf): %v", len(dups), findingIDs(rep.Findings))
				}
				for _, f := range dups {
					d.runFix(f)
				}
				rep = d.inspect(append([]string{d.path(ks)}, args...)...)
				if f := finding(rep.Findings, "keystore-duplicate-cert"); f != nil {
					t.Errorf("after the printed fix: %s", f.Title)
				}
				after := entrySummary(d.readStore(ks, pass))
				if len(after) != 2 || after["server"] != before["server"] || after["root ca"] != before["root ca"] {
					t.Errorf("after the printed fix the store holds %v; want server and root ca of %v", after, before)
				}
			})
		}
	}
}
