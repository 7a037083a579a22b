package cli

// Every printed mTLS fix runs as printed: the client identity the fix
// builds (PEM chain, PKCS#12, JKS) is accepted by the server it was for,
// through tlsdoctor, curl and a real Java client; the client-CA truststore
// it builds makes a real JSSE server accept our certificate.

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// startMTLS runs a lab mutual-TLS server.
func startMTLS(t *testing.T, l *fixtures.Lab, s fixtures.MTLSSpec) *fixtures.Server {
	t.Helper()
	srv, err := l.StartMTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// labTruststore writes a PKCS#12 truststore with the lab root into dir
// (what the Java client trusts the server with).
func labTruststore(t *testing.T, l *fixtures.Lab, dir string) string {
	t.Helper()
	writeFile(t, dir, "lab-root.pem", l.RootPEM())
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "lab", "-file", "lab-root.pem", "-keystore", "lab-ts.p12", "-storepass", storePass, "-storetype", "PKCS12")
	return "-Djavax.net.ssl.trustStore=lab-ts.p12 -Djavax.net.ssl.trustStorePassword=" + storePass
}

// TestFixClientCertificate: for a server that requires a client
// certificate, and for a client that sends its leaf without the
// intermediate, the printed tlsdoctor and curl commands connect with the
// user's files, and the PKCS#12 and JKS keystores the printed openssl
// and keytool commands build get a real Java client in with the printed
// -D settings.
func TestFixClientCertificate(t *testing.T) {
	bin := buildTlsdoctor(t)
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "ca.pem", l.RootPEM())
	for _, tc := range []struct {
		id       string
		leafOnly bool // we give tlsdoctor the leaf without its intermediate
	}{
		{"client-cert-required", false},
		{"client-chain-incomplete", true},
	} {
		t.Run(tc.id, func(t *testing.T) {
			srv := startMTLS(t, l, fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}})
			r := newFixRun(t, bin)
			// The user's files: the certificate with its intermediate, the
			// leaf alone, the key, and the CA's chain file.
			r.file("ca-chain.pem", labCert(l, "intermediate"))
			r.file("intermediate.crt", labCert(l, "intermediate"))
			flags := []string{"--ca-file", ca}
			if tc.leafOnly {
				// The fix must name the files the user gave, not
				// client.crt and client.key.
				leafOnly := r.file("my leaf.pem", labCert(l, "client"))
				flags = append(flags, "--cert", leafOnly, "--key", r.file("my.key", labKey(l, "client")))
			} else {
				r.file("client.crt", append(labCert(l, "client"), labCert(l, "intermediate")...))
				r.file("client.key", labKey(l, "client"))
			}
			f := findingByID(t, diagnoseJSON(t, nil, srv.Port, flags...), tc.id)
			for line, res := range r.runFix(f) {
				if strings.HasPrefix(line, "curl ") && !strings.Contains(res.out, "ok") {
					t.Errorf("%s did not get the page:\n%s", line, res.out)
				}
			}
			r.mustHaveRun("tlsdoctor ")
			r.mustHaveRun("curl ")
			r.mustHaveRun("openssl pkcs12 -export")
			r.mustHaveRun("keytool -importkeystore")
			trust := labTruststore(t, l, r.dir)
			if got := javaConnects(t, r.dir, settingOr(f, "java", "-Djavax.net.ssl.keyStore=client.p12 -Djavax.net.ssl.keyStoreType=PKCS12 -Djavax.net.ssl.keyStorePassword=PASSWORD")+" "+trust, srv.Port); !strings.HasSuffix(got, " OK") {
				t.Errorf("java with client.p12: %s", got)
			}
			if got := javaConnects(t, r.dir, "-Djavax.net.ssl.keyStore=client.jks -Djavax.net.ssl.keyStoreType=JKS -Djavax.net.ssl.keyStorePassword=PASSWORD "+trust, srv.Port); !strings.HasSuffix(got, " OK") {
				t.Errorf("java with client.jks: %s", got)
			}
		})
	}
}

// settingOr is the program's setting in the fix, or def when the fix has
// none (client-chain-incomplete names no Java flags).
func settingOr(f checks.Finding, program, def string) string {
	for _, s := range f.Fix {
		if s.Kind == checks.StepConfig && s.For == program {
			return s.Text
		}
	}
	return def
}

// TestFixClientCANotAccepted: the server-side half of the fix (a
// client-CA truststore made with the printed keytool command, named in
// server.ssl.trust-store) makes a real JSSE server that requires client
// certificates accept ours; the client-side half rebuilds the keystore.
func TestFixClientCANotAccepted(t *testing.T) {
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "ca.pem", l.RootPEM())
	srv := startMTLS(t, l, fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"other-root"}})
	r := newFixRun(t, "")
	chain := r.file("client-chain.pem", append(labCert(l, "client"), labCert(l, "intermediate")...))
	key := r.file("client.key", labKey(l, "client"))
	r.file("client.crt", labCert(l, "client"))
	r.file("ca-chain.pem", labCert(l, "intermediate"))
	r.file("client-ca.pem", l.RootPEM()) // our CA, sent to the server's operator
	f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca, "--cert", chain, "--key", key), "client-cert-ca-not-accepted")
	r.runFix(f)
	r.mustHaveRun("openssl pkcs12 -export -in client.crt -inkey client.key -certfile ca-chain.pem")
	r.mustHaveRun("keytool -importcert -trustcacerts -alias client-ca -file client-ca.pem -keystore client-truststore.p12")
	spring := settingFor(t, f, "spring")
	if !strings.Contains(spring, "server.ssl.client-auth=need") || !strings.Contains(spring, "server.ssl.trust-store=file:client-truststore.p12") {
		t.Fatalf("the server-side Spring setting: %s", spring)
	}
	// A JSSE server with its own keystore and the printed client-CA store.
	r.file("server.pem", append(labCert(l, "leaf"), labCert(l, "intermediate")...))
	r.file("server.key", labKey(l, "leaf"))
	if res := r.sh("openssl pkcs12 -export -in server.pem -inkey server.key -name server -out server.p12"); res.code != 0 {
		t.Fatal(res.out)
	}
	port := startJSSE(t, r.dir, []string{"-Djavax.net.ssl.keyStore=server.p12", "-Djavax.net.ssl.keyStoreType=PKCS12", "-Djavax.net.ssl.keyStorePassword=" + storePass,
		"-Djavax.net.ssl.trustStore=client-truststore.p12", "-Djavax.net.ssl.trustStoreType=PKCS12", "-Djavax.net.ssl.trustStorePassword=" + storePass}, "need")
	fs := diagnoseJSON(t, nil, port, "--ca-file", ca, "--cert", chain, "--key", key)
	for _, id := range []string{"client-cert-ca-not-accepted", "client-cert-rejected", "client-cert-required"} {
		if hasID(fs, id) {
			t.Errorf("the JSSE server with the printed client-CA truststore: still %s", id)
		}
	}
	if checks.Worst(fs) >= checks.Error {
		t.Errorf("errors remain: %v", findingIDs(jsonOut{Findings: fs}))
	}
}

// TestFixClientIdentityChecks: the openssl commands printed for our own
// client certificate (expired, no clientAuth, weak key) run and make what
// they say.
func TestFixClientIdentityChecks(t *testing.T) {
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "ca.pem", l.RootPEM())
	srv := startMTLS(t, l, fixtures.MTLSSpec{ClientAuth: tls.RequireAnyClientCert, ClientCAs: []string{"root"}})
	for _, tc := range []struct{ id, cert string }{
		{"client-cert-expired", "client-expired"},
		{"client-eku-missing", "client-noeku"},
		{"client-key-weak", "client-weak"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			r := newFixRun(t, "")
			chain := r.file("client.crt", labCert(l, tc.cert))
			key := r.file("client.key", labKey(l, tc.cert))
			r.file("ca-chain.pem", labCert(l, "intermediate"))
			r.file("ca.crt", labCert(l, "intermediate"))
			r.file("ca.key", labKey(l, "intermediate"))
			f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca, "--cert", chain, "--key", key), tc.id)
			if tc.id == "client-eku-missing" {
				if res := r.sh("openssl req -new -key client.key -subj /CN=noeku.client.example.test -out client.csr"); res.code != 0 {
					t.Fatal(res.out)
				}
				r.file("client-ext.cnf", []byte(settingFor(t, f, "openssl.cnf")+"\n"))
			}
			r.runFix(f)
			if len(r.ran) == 0 {
				t.Fatalf("%s: no command run", tc.id)
			}
			switch tc.id {
			case "client-eku-missing":
				c := pemCerts(t, r.read("client.crt"))[0]
				if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != 2 /* clientAuth */ {
					t.Errorf("the reissued certificate has EKU %v, want clientAuth", c.ExtKeyUsage)
				}
			case "client-key-weak":
				if !strings.Contains(string(r.read("client.key")), "PRIVATE KEY") || len(r.read("client.csr")) == 0 {
					t.Error("no new key and request")
				}
				res := r.sh("openssl req -in client.csr -noout -subject -text")
				if !strings.Contains(res.out, "weak.client.example.test") || !strings.Contains(res.out, "3072 bit") {
					t.Errorf("the request is not for the same subject with a 3072-bit key:\n%s", res.out)
				}
			case "client-cert-expired":
				r.read("client.p12")
			}
		})
	}
}

// TestFixClientCertRejected: the commands printed to check what we send
// and to test by hand show what the server refused (curl fails with the
// server's alert, as the fix says it will), and the keystore rebuild runs.
func TestFixClientCertRejected(t *testing.T) {
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "ca.pem", l.RootPEM())
	srv := startMTLS(t, l, fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}, MaxVersion: tls.VersionTLS12})
	r := newFixRun(t, "")
	chain := r.file("client.crt", append(labCert(l, "client-expired"), labCert(l, "intermediate")...))
	key := r.file("client.key", labKey(l, "client-expired"))
	r.file("ca-chain.pem", labCert(l, "intermediate"))
	f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca, "--cert", chain, "--key", key), "client-cert-rejected")
	for line, res := range r.runFix(f, "curl") {
		switch {
		case strings.HasPrefix(line, "openssl x509") && !strings.Contains(res.out, "notAfter="):
			t.Errorf("%s does not show the dates:\n%s", line, res.out)
		case strings.HasPrefix(line, "curl ") && (res.code == 0 || !strings.Contains(res.out, "alert")):
			t.Errorf("%s should show the server's refusal (exit %d):\n%s", line, res.code, res.out)
		}
	}
	// The user's own files, as given.
	r.mustHaveRun("curl -v --cert " + chain + " --key " + key)
	r.mustHaveRun("openssl pkcs12 -export")
}
