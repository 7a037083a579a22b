package cli

// Every printed fix runs as printed: for each finding whose fix holds an
// openssl, keytool, curl or tlsdoctor command, diagnose the fixture server
// that produces it, run the commands (fixrun_test.go), and show that the
// finding is gone once the server or client gets what they made.

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// pemCerts parses every certificate of a PEM file.
func pemCerts(t *testing.T, b []byte) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
}

// noFindingOn diagnoses the server on port and fails when id is among the
// findings, or when any error remains.
func noFindingOn(t *testing.T, port int, id string, flags ...string) {
	t.Helper()
	fs := diagnoseJSON(t, nil, port, flags...)
	if hasID(fs, id) || checks.Worst(fs) >= checks.Error {
		var lines []string
		for _, f := range fs {
			lines = append(lines, f.Severity.String()+" "+f.ID+": "+f.Title)
		}
		t.Errorf("after the fix, the server still has:\n%s", strings.Join(lines, "\n"))
	}
}

// TestFixChainIncomplete: the chain the fix builds (tlsdoctor --fix-bundle
// from AIA, or cat with the intermediate from the CA) served by Go and by
// nginx, and the PKCS#12 the printed openssl pkcs12 makes from it, listed
// by keytool and served by a real JSSE server: chain-incomplete is gone.
// (The old -chain -CAfile command failed on OpenSSL 3.)
func TestFixChainIncomplete(t *testing.T) {
	bin := buildTlsdoctor(t)
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	for _, sc := range []string{"missing-intermediate-aia", "missing-intermediate"} {
		t.Run(sc, func(t *testing.T) {
			srv := startScenario(t, l, sc)
			leaf := "leaf"
			if sc == "missing-intermediate-aia" {
				leaf = fmt.Sprintf("aia-leaf-%d", srv.Port)
			}
			f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "chain-incomplete")
			r := newFixRun(t, bin)
			r.file("server.key", labKey(l, leaf))
			r.file("server.crt", labCert(l, leaf))
			r.file("intermediate.crt", labCert(l, "intermediate"))
			r.runFix(f, "tlsdoctor") // tlsdoctor exits 1: the server still has the finding
			if sc == "missing-intermediate-aia" {
				r.mustHaveRun("tlsdoctor localhost:")
			} else {
				r.mustHaveRun("cat server.crt intermediate.crt > fullchain.pem")
			}
			r.mustHaveRun("openssl pkcs12 -export")
			chain := r.read("fullchain.pem")
			if cs := pemCerts(t, chain); len(cs) != 2 || cs[0].Subject.CommonName != "localhost" || cs[1].Subject.CommonName != "Example Intermediate CA" {
				t.Fatalf("fullchain.pem holds %d certificates, want the leaf then the intermediate", len(cs))
			}
			noFindingOn(t, serveFiles(t, chain, labKey(l, leaf)), "chain-incomplete", "--ca-file", ca)

			// keytool sees the key entry with the whole chain.
			res := r.sh("keytool -list -v -storetype PKCS12 -keystore server.p12")
			if res.code != 0 || !strings.Contains(res.out, "Certificate chain length: 2") {
				t.Fatalf("keytool -list on the printed pkcs12: exit %d\n%s", res.code, res.out)
			}
			// The Spring setting names the keystore the command made; a
			// JSSE server given it sends the full chain.
			spring := settingFor(t, f, "spring")
			if !strings.Contains(spring, "server.ssl.key-store=file:server.p12") {
				t.Fatalf("the Spring setting does not name server.p12:\n%s", spring)
			}
			t.Run("jsse", func(t *testing.T) {
				port := startJSSE(t, r.dir, []string{"-Djavax.net.ssl.keyStore=server.p12", "-Djavax.net.ssl.keyStoreType=PKCS12", "-Djavax.net.ssl.keyStorePassword=" + storePass})
				noFindingOn(t, port, "chain-incomplete", "--ca-file", ca)
			})
			t.Run("nginx", func(t *testing.T) {
				if !strings.Contains(settingFor(t, f, "nginx"), "ssl_certificate /etc/nginx/fullchain.pem;") {
					t.Fatal("the nginx setting does not name fullchain.pem")
				}
				ports := nginxServe(t, [][2][]byte{{chain, labKey(l, leaf)}})
				noFindingOn(t, ports[0], "chain-incomplete", "--ca-file", ca)
			})
		})
	}
}

// TestFixChainOrder: the chain tlsdoctor --fix-bundle writes, and the one
// cat builds from the files named after their subjects, are in order.
func TestFixChainOrder(t *testing.T) {
	bin := buildTlsdoctor(t)
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	srv := startScenario(t, l, "wrong-order")
	f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "chain-order")
	r := newFixRun(t, bin)
	r.file("server.crt", labCert(l, "deep-leaf"))
	r.file("example-issuing-ca.crt", labCert(l, "issuing"))
	r.file("example-intermediate-ca.crt", labCert(l, "intermediate"))
	r.runFix(f, "tlsdoctor")
	r.mustHaveRun("cat server.crt example-issuing-ca.crt example-intermediate-ca.crt > fullchain.pem")
	noFindingOn(t, serveFiles(t, r.read("fullchain.pem"), labKey(l, "deep-leaf")), "chain-order", "--ca-file", ca)
	// The bundle tlsdoctor wrote first was overwritten by cat: write it again.
	r.sh(r.ran[0])
	noFindingOn(t, serveFiles(t, r.read("fullchain.pem"), labKey(l, "deep-leaf")), "chain-order", "--ca-file", ca)
}

// TestFixChainExtraCerts: --fix-bundle drops the left-over certificate.
func TestFixChainExtraCerts(t *testing.T) {
	bin := buildTlsdoctor(t)
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	srv := startScenario(t, l, "extra-cert")
	f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "chain-extra-certs")
	r := newFixRun(t, bin)
	r.runFix(f, "tlsdoctor")
	r.mustHaveRun("tlsdoctor ")
	port := serveFiles(t, r.read("fullchain.pem"), labKey(l, "leaf"))
	if fs := diagnoseJSON(t, nil, port, "--ca-file", ca); hasID(fs, "chain-extra-certs") {
		t.Errorf("the bundle still has the extra certificate")
	}
}

// reissue runs the fix of a finding about the leaf that has the user
// sign a new request with their own CA (the lab CA that issued the leaf,
// as ca.crt and ca.key), then serves the new certificate with its chain
// and checks the finding is gone.
func reissue(t *testing.T, l *fixtures.Lab, scenario, id, leaf, issuer string, prepare func(r *fixRun)) *fixRun {
	t.Helper()
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	srv := startScenario(t, l, scenario)
	f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), id)
	r := newFixRun(t, "")
	r.file("server.key", labKey(l, leaf))
	r.file("ca.crt", labCert(l, issuer))
	r.file("ca.key", labKey(l, issuer))
	if prepare != nil {
		prepare(r)
	}
	r.runFix(f)
	r.mustHaveRun("openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key")
	chain := append(r.read("server.crt"), labCert(l, issuer)...)
	key, err := os.ReadFile(filepath.Join(r.dir, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	noFindingOn(t, serveFiles(t, chain, key), id, "--ca-file", ca)
	return r
}

// userCSR is the request a user already has for the leaf's key and names.
func userCSR(r *fixRun) {
	r.t.Helper()
	if res := r.sh("openssl req -new -key server.key -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -out server.csr"); res.code != 0 {
		r.t.Fatalf("making the user's CSR: %s", res.out)
	}
}

// TestFixReissue: the openssl req and openssl x509 -req commands printed
// for a wrong name, a missing SAN, a weak key, a SHA-1 signature and a
// missing serverAuth make a certificate that no longer has the fault.
// (The old subjectAltName config failed: "No objects specified in config
// file" without -subj or a [dn] section.)
func TestFixReissue(t *testing.T) {
	if _, err := os.Stat("/usr/bin/openssl"); err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	l := newLab(t)
	t.Run("hostname-mismatch", func(t *testing.T) {
		r := reissue(t, l, "wrong-host", "hostname-mismatch", "wrong-host", "intermediate", nil)
		r.mustHaveRun("openssl req -new -key server.key -subj /CN=localhost -addext subjectAltName=DNS:localhost,DNS:www.example.test,DNS:example.test -out server.csr")
	})
	t.Run("no-san", func(t *testing.T) {
		reissue(t, l, "no-san", "no-san", "no-san", "intermediate", nil)
	})
	t.Run("weak-key", func(t *testing.T) {
		r := reissue(t, l, "weak-key", "weak-key", "weak-key", "intermediate", nil)
		r.mustHaveRun("openssl req -new -newkey rsa:3072 -nodes -keyout server.key")
	})
	t.Run("weak-signature", func(t *testing.T) {
		reissue(t, l, "sha1", "weak-signature", "sha1-leaf", "rsa-intermediate", userCSR)
	})
	t.Run("eku-missing", func(t *testing.T) {
		ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
		srv := startScenario(t, l, "eku-client-only")
		f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "eku-missing")
		reissue(t, l, "eku-client-only", "eku-missing", "eku-client-only", "intermediate", func(r *fixRun) {
			userCSR(r)
			// The prose names the file the extension section goes in.
			r.file("server-ext.cnf", []byte(settingFor(t, f, "openssl.cnf")+"\n"))
		})
	})
}

// lastPEM is the last certificate block of s_client -showcerts output:
// what the fix asks the user to copy to root.pem.
func lastPEM(t *testing.T, out string) []byte {
	t.Helper()
	i := strings.LastIndex(out, "-----BEGIN CERTIFICATE-----")
	j := strings.LastIndex(out, "-----END CERTIFICATE-----")
	if i < 0 || j < i {
		t.Fatalf("no certificate in the output:\n%s", out)
	}
	return []byte(out[i:j+len("-----END CERTIFICATE-----")] + "\n")
}

// javaConnects runs a real Java client with the printed java setting
// (PASSWORD filled in) against localhost:port and returns what it printed.
func javaConnects(t *testing.T, dir, setting string, port int) string {
	t.Helper()
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("java not installed (apt-get install -y default-jdk-headless)")
	}
	args := append(append([]string{"-cp", javaClasses(t)}, javaProps(t, setting)...), "TlsClient", fmt.Sprintf("localhost:%d", port))
	line := "java"
	for _, a := range args {
		line += " " + checks.ShellQuote(a)
	}
	res := runShell(t, dir, line, "", 2*time.Minute, nil)
	return strings.TrimSpace(res.out)
}

// TestFixUntrustedRoot: the root the fix has the user get (from the CA's
// owner, from the chain the server sends, or downloaded from AIA in DER
// and converted), checked by fingerprint, imported with keytool into the
// truststore the user gave (or a new one) and added to their CA file:
// curl, a real Java client with the printed -D settings, and tlsdoctor
// itself then trust the server. (The old fix used the DER download as
// PEM: curl --cacert failed with exit 77; and named truststore.jks
// whatever truststore the user had.)
func TestFixUntrustedRoot(t *testing.T) {
	bin := buildTlsdoctor(t)
	l := newLab(t)
	otherRoot := labCert(l, "other-root")
	check := func(t *testing.T, r *fixRun, f checks.Finding, port int, root []byte) {
		t.Helper()
		fp := checks.Fingerprint(pemCerts(t, root)[0])
		for line, res := range r.runFix(f, "tlsdoctor") {
			if strings.Contains(line, "-fingerprint -sha256") && !strings.Contains(res.out, fp) {
				t.Errorf("%s printed %q, the fix says the fingerprint is %s", line, res.out, fp)
			}
			if strings.HasPrefix(line, "tlsdoctor ") && res.code != 0 {
				t.Errorf("after the import, %s still fails (exit %d):\n%s", line, res.code, res.out)
			}
		}
		r.mustHaveRun("keytool -importcert -trustcacerts")
		r.mustHaveRun("curl ")
		if got := javaConnects(t, r.dir, settingFor(t, f, "java"), port); !strings.HasSuffix(got, " OK") {
			t.Errorf("java with the printed truststore setting: %s", got)
		}
	}
	t.Run("root from its owner, --ca-file", func(t *testing.T) {
		srv := startScenario(t, l, "untrusted-root")
		ca := writeFile(t, t.TempDir(), "ca.pem", l.RootPEM())
		f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "untrusted-root")
		r := newFixRun(t, bin)
		r.file("root.pem", otherRoot)
		check(t, r, f, srv.Port, otherRoot)
		r.mustHaveRun("cat root.pem >> " + ca)
		r.mustHaveRun("tlsdoctor localhost:")
	})
	t.Run("root from its owner, --truststore keystore", func(t *testing.T) {
		srv := startScenario(t, l, "untrusted-root")
		dir := t.TempDir()
		writeFile(t, dir, "lab.pem", l.RootPEM())
		keytool(t, dir, "-importcert", "-noprompt", "-alias", "lab", "-file", "lab.pem", "-keystore", "ts.p12", "-storepass", storePass, "-storetype", "PKCS12")
		ts := filepath.Join(dir, "ts.p12")
		env := map[string]string{"TLSDOCTOR_TRUSTSTORE_PASSWORD": storePass}
		f := findingByID(t, diagnoseJSON(t, env, srv.Port, "--truststore", ts), "untrusted-root")
		r := newFixRun(t, bin)
		r.env = []string{"TLSDOCTOR_TRUSTSTORE_PASSWORD=" + storePass}
		r.file("root.pem", otherRoot)
		check(t, r, f, srv.Port, otherRoot)
		r.mustHaveRun("keytool -importcert -trustcacerts -alias other-root-ca -file root.pem -keystore " + ts)
		if s := settingFor(t, f, "java"); !strings.Contains(s, "-Djavax.net.ssl.trustStore="+ts) {
			t.Errorf("the java setting does not name the truststore given: %s", s)
		}
		if s := settingFor(t, f, "spring"); !strings.Contains(s, "spring.ssl.bundle.jks.partner.truststore.location=file:"+ts) || strings.Contains(s, "server.ssl.") {
			t.Errorf("the Spring client setting: %s", s)
		}
	})
	t.Run("root sent by the server", func(t *testing.T) {
		srv := startScenario(t, l, "root-in-chain")
		ca := writeFile(t, t.TempDir(), "ca.pem", otherRoot)
		f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "untrusted-root")
		r := newFixRun(t, bin)
		// The first command shows the chain; the user copies the last
		// block to root.pem, as the fix says.
		first := checks.Commands(f.Fix, "openssl")[0]
		res := r.sh(first)
		if !strings.Contains(first, "-showcerts") || res.code != 0 {
			t.Fatalf("%s: exit %d\n%s", first, res.code, res.out)
		}
		root := lastPEM(t, res.out)
		r.file("root.pem", root)
		if !pemCerts(t, root)[0].Equal(l.PKI.Get("root").Cert) {
			t.Fatal("the last block s_client shows is not the root")
		}
		check(t, r, f, srv.Port, root)
	})
	t.Run("root downloaded from AIA (DER)", func(t *testing.T) {
		aia, err := fixtures.NewAIAServer()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(aia.Close)
		url := aia.Publish("other-root", l.PKI.Get("other-root").Cert) + ".der"
		inter, err := l.PKI.Issue(fixtures.CertSpec{Name: "aia-to-root", Parent: "other-root", CommonName: "Other AIA Intermediate CA", IsCA: true, IssuingCertificateURL: []string{url}})
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := l.PKI.Issue(fixtures.CertSpec{Name: "aia-to-root-leaf", Parent: "aia-to-root", CommonName: "localhost", DNSNames: []string{"localhost"}})
		if err != nil {
			t.Fatal(err)
		}
		port := serveFiles(t, append(leaf.PEM(), inter.PEM()...), leaf.KeyPEM())
		ca := writeFile(t, t.TempDir(), "ca.pem", l.RootPEM())
		f := findingByID(t, diagnoseJSON(t, nil, port, "--ca-file", ca), "untrusted-root")
		r := newFixRun(t, bin)
		check(t, r, f, port, otherRoot)
		r.mustHaveRun("curl -fsS -o root.der " + url)
		r.mustHaveRun("openssl x509 -inform DER -in root.der -out root.pem")
	})
	t.Run("self-signed", func(t *testing.T) {
		srv := startScenario(t, l, "self-signed")
		ca := writeFile(t, t.TempDir(), "ca.pem", l.RootPEM())
		f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "self-signed")
		r := newFixRun(t, bin)
		check(t, r, f, srv.Port, labCert(l, "self-signed"))
		r.mustHaveRun("openssl s_client -connect 127.0.0.1:")
		if !pemCerts(t, r.read("server.pem"))[0].Equal(l.PKI.Get("self-signed").Cert) {
			t.Error("server.pem is not the server's certificate")
		}
	})
}

// TestFixProtocolsAndRevocation: the client stop-gaps printed for a
// legacy-only server and for a server that signs with SHA-1 connect; the
// reissue printed for a revoked leaf makes a certificate that is not
// revoked, and curl --cert-status and openssl -status show the
// revocation as the fix says; the openssl ocsp command printed for a
// stale staple fetches a good response; the CA extension section printed
// for a leaf acting as a CA makes a CA the chain verifies through.
func TestFixProtocolsAndRevocation(t *testing.T) {
	bin := buildTlsdoctor(t)
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	t.Run("version-mismatch", func(t *testing.T) {
		srv := startScenario(t, l, "tls10-only")
		f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "version-mismatch")
		r := newFixRun(t, bin)
		for line, res := range r.runFix(f, "tlsdoctor") {
			switch {
			case strings.HasPrefix(line, "curl ") && !strings.Contains(res.out, "ok"):
				t.Errorf("%s did not connect:\n%s", line, res.out)
			case strings.HasPrefix(line, "openssl s_client") && !strings.Contains(res.out, "Protocol  : TLSv1\n"):
				t.Errorf("%s did not speak TLS 1.0:\n%s", line, res.out)
			case strings.HasPrefix(line, "tlsdoctor ") && (res.code != 1 || !strings.Contains(res.out, "Protocols")):
				t.Errorf("%s: exit %d, no scan table:\n%s", line, res.code, res.out)
			}
		}
		r.mustHaveRun("curl --tlsv1.0")
		r.mustHaveRun("tlsdoctor localhost:")
	})
	t.Run("cipher-mismatch (SHA-1 signatures)", func(t *testing.T) {
		srv := startScenario(t, l, "sha1-signatures")
		f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "cipher-mismatch")
		r := newFixRun(t, bin)
		for line, res := range r.runFix(f) {
			if strings.HasPrefix(line, "curl ") && !strings.Contains(res.out, "ok") {
				t.Errorf("%s did not connect:\n%s", line, res.out)
			}
			if strings.HasPrefix(line, "openssl s_client") && !strings.Contains(res.out, "Verify return code: 0 (ok)") {
				t.Errorf("%s did not connect and verify:\n%s", line, res.out)
			}
		}
		r.mustHaveRun("curl --ciphers 'DEFAULT:@SECLEVEL=0'")
	})
	t.Run("cert-revoked", func(t *testing.T) {
		srv := startScenario(t, l, "revoked")
		f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "cert-revoked")
		r := newFixRun(t, bin)
		r.file("ca.crt", labCert(l, "intermediate"))
		r.file("ca.key", labKey(l, "intermediate"))
		r.file("intermediate.crt", labCert(l, "intermediate"))
		for line, res := range r.runFix(f, "curl") {
			if strings.HasPrefix(line, "curl ") && (res.code != 91 || !strings.Contains(res.out, "revocation reason: keyCompromise")) {
				t.Errorf("%s does not show the revocation:\n%s", line, res.out)
			}
			if strings.HasPrefix(line, "openssl s_client") && !strings.Contains(res.out, "Cert Status: revoked") {
				t.Errorf("%s does not show the revocation:\n%s", line, res.out)
			}
		}
		r.mustHaveRun("openssl req -new -newkey rsa:3072")
		r.mustHaveRun("openssl pkcs12 -export -in fullchain.pem")
		key := r.read("server.key")
		noFindingOn(t, serveFiles(t, r.read("fullchain.pem"), key), "cert-revoked", "--ca-file", ca)
	})
	t.Run("ocsp-staple-stale", func(t *testing.T) {
		srv := startScenario(t, l, "stale-staple")
		f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "ocsp-staple-stale")
		r := newFixRun(t, bin)
		r.file("issuer.pem", labCert(l, "intermediate"))
		r.file("server.pem", labCert(l, "leaf"))
		r.file("root.pem", l.RootPEM())
		for line, res := range r.runFix(f) {
			if strings.HasPrefix(line, "openssl ocsp") && !strings.Contains(res.out, "server.pem: good") {
				t.Errorf("%s:\n%s", line, res.out)
			}
		}
		r.mustHaveRun("openssl ocsp -issuer issuer.pem -cert server.pem -CAfile root.pem -url http://127.0.0.1:")
		if len(r.read("staple.der")) == 0 {
			t.Error("staple.der is empty")
		}
	})
	t.Run("ca-constraints", func(t *testing.T) {
		srv := startScenario(t, l, "not-a-ca")
		f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "ca-constraints")
		r := newFixRun(t, bin)
		r.file("parent.crt", labCert(l, "intermediate"))
		r.file("parent.key", labKey(l, "intermediate"))
		r.file("ca.key", labKey(l, "not-a-ca"))
		r.file("ca-ext.cnf", []byte(settingFor(t, f, "openssl.cnf")+"\n"))
		// The CA's request, for the very subject the leaf names as issuer.
		nac := l.PKI.Get("not-a-ca")
		csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{RawSubject: nac.Cert.RawSubject}, nac.Key)
		if err != nil {
			t.Fatal(err)
		}
		r.file("ca.csr", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))
		r.runFix(f)
		r.mustHaveRun("openssl x509 -req -in ca.csr -CA parent.crt -CAkey parent.key -extfile ca-ext.cnf -extensions ca_ext")
		chain := append(append(labCert(l, "leaf-under-not-a-ca"), r.read("ca.crt")...), labCert(l, "intermediate")...)
		noFindingOn(t, serveFiles(t, chain, labKey(l, "leaf-under-not-a-ca")), "ca-constraints", "--ca-file", ca)
	})
	t.Run("cert-expired", func(t *testing.T) {
		srv := startScenario(t, l, "expired")
		f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), "cert-expired")
		r := newFixRun(t, bin)
		for line, res := range r.runFix(f, "tlsdoctor") {
			if strings.HasPrefix(line, "tlsdoctor ") && (res.code != 1 || !strings.Contains(res.out, "cert-expired")) {
				t.Errorf("%s: exit %d:\n%s", line, res.code, res.out)
			}
		}
		r.mustHaveRun("tlsdoctor localhost:")
	})
}
