package cli

// The printed fixes of the connection findings, run against the fixtures
// that produced them: sni-required (curl --resolve, s_client -servername),
// starttls-unsupported (s_client -starttls), proxy-refused (curl through
// the proxy with credentials, curl -v, tlsdoctor --proxy none, tlsdoctor
// --starttls --proxy with credentials) and tls-interception-suspected
// (s_client -proxy -showcerts, the CA's fingerprint, keytool into the
// JVM's cacerts, curl --cacert through the proxy).

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// sniServer serves HTTPS on 127.0.0.1 with the lab's leaf for clients
// that send SNI; without SNI it presents the wrong-host certificate, or
// (refuse) answers unrecognized_name.
func sniServer(t *testing.T, l *fixtures.Lab, refuse bool) int {
	t.Helper()
	named := &tls.Config{Certificates: []tls.Certificate{l.PKI.TLSCert("leaf", "intermediate")}}
	other := &tls.Config{Certificates: []tls.Certificate{l.PKI.TLSCert("wrong-host", "intermediate")}}
	if refuse {
		other = &tls.Config{} // no certificate: crypto/tls answers unrecognized_name
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		if h.ServerName == "" {
			return other, nil
		}
		return named, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") }),
		ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

func TestFixSNIRequired(t *testing.T) {
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refuse=%v", refuse), func(t *testing.T) {
			port := sniServer(t, l, refuse)
			f := findingByID(t, diagnoseJSON(t, nil, port, "--ca-file", ca), "sni-required")
			r := newFixRun(t, "")
			for line, res := range r.runFix(f) {
				switch {
				case strings.HasPrefix(line, "curl ") && !strings.Contains(res.out, "ok"):
					t.Errorf("%s did not get the page:\n%s", line, res.out)
				case strings.HasPrefix(line, "openssl ") && !strings.Contains(res.out, "Verify return code: 0 (ok)"):
					t.Errorf("%s did not verify:\n%s", line, res.out)
				}
			}
			r.mustHaveRun(fmt.Sprintf("curl --cacert %s --resolve localhost:%d:127.0.0.1 https://localhost:%d/", ca, port, port))
			r.mustHaveRun(fmt.Sprintf("openssl s_client -connect 127.0.0.1:%d -servername localhost -CAfile %s", port, ca))
		})
	}
}

// smtpServer is an in-process SMTP server on 127.0.0.1: with tlsCert it
// offers STARTTLS and upgrades; without, STARTTLS is neither offered nor
// understood.
func smtpServer(t *testing.T, tlsCert *tls.Certificate) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				_, _ = io.WriteString(c, "220 fake.test ESMTP\r\n")
				for {
					l, err := br.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(l)); {
					case strings.HasPrefix(cmd, "EHLO"):
						caps := "250-fake.test\r\n250 8BITMIME\r\n"
						if tlsCert != nil {
							caps = "250-fake.test\r\n250-8BITMIME\r\n250 STARTTLS\r\n"
						}
						_, _ = io.WriteString(c, caps)
					case cmd == "STARTTLS" && tlsCert != nil:
						_, _ = io.WriteString(c, "220 2.0.0 Ready to start TLS\r\n")
						tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{*tlsCert}})
						if tc.Handshake() == nil {
							_, _ = tc.Read(make([]byte, 1))
						}
						return
					case cmd == "QUIT":
						_, _ = io.WriteString(c, "221 bye\r\n")
						return
					default:
						_, _ = io.WriteString(c, "502 5.5.1 command not recognized\r\n")
					}
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// The s_client line printed for an SMTP server without STARTTLS shows
// the same thing (OpenSSL finds no STARTTLS and its handshake fails);
// pointed at the server once it offers STARTTLS, the same line upgrades
// and verifies.
func TestFixStartTLSUnsupported(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	plain := smtpServer(t, nil)
	f := findingByID(t, diagnoseJSON(t, nil, plain, "--starttls", "smtp", "--ca-file", ca), "starttls-unsupported")
	r := newFixRun(t, "")
	var line string
	for l, res := range r.runFix(f, "openssl") {
		if strings.HasPrefix(l, "openssl s_client") {
			line = l
			if res.code == 0 || !strings.Contains(res.out, "Didn't find STARTTLS in server response") {
				t.Errorf("%s: exit %d, want OpenSSL to find no STARTTLS:\n%s", l, res.code, res.out)
			}
		}
	}
	want := fmt.Sprintf("openssl s_client -connect 127.0.0.1:%d -starttls smtp", plain)
	if !strings.HasPrefix(line, want) {
		t.Fatalf("printed s_client %q, want it to start with %q", line, want)
	}
	cert := l.PKI.TLSCert("leaf", "intermediate")
	fixed := smtpServer(t, &cert)
	res := r.sh(strings.Replace(line, ":"+strconv.Itoa(plain), ":"+strconv.Itoa(fixed), 1) + " -CAfile " + ca + " -verify_return_error")
	if res.code != 0 || !strings.Contains(res.out, "Verify return code: 0 (ok)") {
		t.Errorf("the same s_client against a server with STARTTLS: exit %d\n%s", res.code, res.out)
	}
}

// fakeProxy is an HTTP CONNECT proxy on 127.0.0.1 that tunnels when the
// request carries Basic credentials user:pass, and otherwise answers
// code (407 with a Basic challenge).
// fakeProxy is a CONNECT proxy that refuses with code, unless the
// request carries user:pass (when user is set); it returns its port.
func fakeProxy(t *testing.T, code int, user, pass string) int {
	return fixtures.StartProxy(t, fixtures.ProxySpec{User: user, Password: pass, Refuse: code}).Port
}

func TestFixProxyRefused(t *testing.T) {
	bin := buildTlsdoctor(t)
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	backend := serveTLS(t, l.PKI.TLSCert("leaf", "intermediate"))
	proxyURL := func(p int) string { return "http://127.0.0.1:" + strconv.Itoa(p) }

	t.Run("407: curl with the proxy credentials", func(t *testing.T) {
		p := fakeProxy(t, 407, "USER", storePass)
		f := findingByID(t, diagnoseJSON(t, nil, backend, "--proxy", proxyURL(p), "--ca-file", ca), "proxy-refused")
		r := newFixRun(t, bin)
		for line, res := range r.runFix(f) {
			if strings.HasPrefix(line, "curl ") && !strings.Contains(res.out, "ok") {
				t.Errorf("%s did not get through the proxy:\n%s", line, res.out)
			}
		}
		r.mustHaveRun(fmt.Sprintf("curl --proxy %s --proxy-user USER --cacert %s --connect-to localhost:%d:127.0.0.1:%d https://localhost:%d/", proxyURL(p), ca, backend, backend, backend))
	})
	t.Run("407 over STARTTLS: tlsdoctor --proxy with credentials", func(t *testing.T) {
		cert := l.PKI.TLSCert("leaf", "intermediate")
		smtp := smtpServer(t, &cert)
		p := fakeProxy(t, 407, "USER", "PASSWORD")
		f := findingByID(t, diagnoseJSON(t, nil, smtp, "--starttls", "smtp", "--proxy", proxyURL(p), "--ca-file", ca), "proxy-refused")
		r := newFixRun(t, bin)
		for line, res := range r.runFix(f, "tlsdoctor") {
			if strings.HasPrefix(line, "tlsdoctor ") && (res.code == ExitNoProbe || strings.Contains(res.out, "proxy-refused")) {
				t.Errorf("%s: exit %d\n%s", line, res.code, res.out)
			}
		}
		r.mustHaveRun(fmt.Sprintf("tlsdoctor localhost:%d --connect-to 127.0.0.1:%d --ca-file %s --starttls smtp --proxy http://USER:PASSWORD@127.0.0.1:%d", smtp, smtp, ca, p))
	})
	for _, code := range []int{403, 502} {
		t.Run(fmt.Sprintf("%d: curl -v shows the proxy's answer", code), func(t *testing.T) {
			p := fakeProxy(t, code, "", "")
			f := findingByID(t, diagnoseJSON(t, nil, backend, "--proxy", proxyURL(p), "--ca-file", ca), "proxy-refused")
			r := newFixRun(t, bin)
			for line, res := range r.runFix(f, "curl") {
				if strings.HasPrefix(line, "curl ") && (res.code != 56 || !strings.Contains(res.out, fmt.Sprintf("< HTTP/1.1 %d", code))) {
					t.Errorf("%s: exit %d, want 56 with the proxy's %d:\n%s", line, res.code, code, res.out)
				}
			}
			r.mustHaveRun("curl -v --proxy " + proxyURL(p))
		})
	}
	t.Run("proxy down: tlsdoctor --proxy none", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		f := findingByID(t, diagnoseJSON(t, nil, backend, "--proxy", proxyURL(down), "--ca-file", ca), "proxy-refused")
		r := newFixRun(t, bin)
		r.runFix(f)
		r.mustHaveRun(fmt.Sprintf("tlsdoctor localhost:%d --connect-to 127.0.0.1:%d --ca-file %s --proxy none", backend, backend, ca))
	})
}

// jdkCopy is a private copy of the installed JDK (hard links, made in
// an instant) whose lib/security/cacerts is a file of its own: its
// bin directory first in PATH makes "keytool -cacerts" import there, not
// into the machine's JDK. The test skips where hard links cannot be made.
func jdkCopy(t *testing.T) string {
	t.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed (apt-get install -y default-jdk-headless)")
	}
	real, err := filepath.EvalSymlinks(java)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Dir(filepath.Dir(real))
	cacerts, err := os.ReadFile(filepath.Join(home, "lib", "security", "cacerts"))
	if err != nil {
		t.Skipf("no cacerts in %s: %v", home, err)
	}
	dst := filepath.Join(t.TempDir(), "jdk")
	if out, err := exec.Command("cp", "-al", home, dst).CombinedOutput(); err != nil {
		t.Skipf("cannot hard-link a copy of %s: %v %s", home, err, out)
	}
	// A file of its own, never a link to the machine's store.
	mine := filepath.Join(dst, "lib", "security", "cacerts")
	if err := os.Remove(mine); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine, cacerts, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// Through an intercepting proxy: the CA the proxy sends is what the
// printed s_client -proxy shows last, its fingerprint is the one printed,
// keytool imports it into the JVM's cacerts, and curl through the proxy
// with it connects.
func TestFixInterception(t *testing.T) {
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	pki, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "ca", CommonName: "Example Corp Proxy CA", Organization: "Example Corp", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	mitm, err := fixtures.NewMITMProxy(pki.Get("ca"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mitm.Close)
	backend := serveTLS(t, l.PKI.TLSCert("leaf", "intermediate"))
	f := findingByID(t, diagnoseJSON(t, nil, backend, "--proxy", mitm.URL(), "--ca-file", ca), "tls-interception-suspected")
	jdk := jdkCopy(t)
	before, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(mustLook(t, "java"))), "lib", "security", "cacerts"))
	if err != nil {
		t.Fatal(err)
	}
	r := newFixRun(t, filepath.Join(jdk, "bin"))
	// The user saves the last certificate s_client shows.
	var first string
	for _, s := range f.Fix {
		if s.For == "openssl" && strings.HasPrefix(s.Text, "openssl s_client -proxy") {
			first = s.Text
			break
		}
	}
	if first == "" {
		t.Fatalf("no s_client -proxy command:\n%s", checks.FixText(f.Fix))
	}
	res := r.sh(first)
	if res.code != 0 {
		t.Fatalf("%s: exit %d\n%s", first, res.code, res.out)
	}
	got := lastPEM(t, res.out)
	if c := pemCerts(t, got); len(c) != 1 || !c[0].Equal(pki.Get("ca").Cert) {
		t.Fatal("the last certificate s_client -proxy shows is not the proxy's CA")
	}
	r.file("inspection-ca.pem", got)
	fp := ""
	for line, res := range r.runFix(f) {
		switch {
		case strings.Contains(line, "-fingerprint -sha256"):
			fp = res.out
		case strings.HasPrefix(line, "curl ") && !strings.Contains(res.out, "ok"):
			t.Errorf("%s did not connect through the proxy:\n%s", line, res.out)
		}
	}
	if want := strings.ReplaceAll(checks.Fingerprint(pki.Get("ca").Cert), ":", ""); !strings.Contains(strings.ReplaceAll(fp, ":", ""), want) {
		t.Errorf("the fingerprint command printed %q, want %s", fp, want)
	}
	r.mustHaveRun("keytool -importcert -trustcacerts -cacerts -alias inspection-ca -file inspection-ca.pem")
	r.mustHaveRun(fmt.Sprintf("curl --cacert inspection-ca.pem --proxy %s --connect-to localhost:%d:127.0.0.1:%d https://localhost:%d/", mitm.URL(), backend, backend, backend))
	list := r.sh("keytool -list -alias inspection-ca -keystore " + filepath.Join(jdk, "lib", "security", "cacerts") + " -storepass changeit")
	if list.code != 0 || !strings.Contains(list.out, "trustedCertEntry") {
		t.Errorf("inspection-ca is not in the JVM's cacerts after the import:\n%s", list.out)
	}
	after, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(mustLook(t, "java"))), "lib", "security", "cacerts"))
	if err != nil || string(after) != string(before) {
		t.Errorf("the machine's cacerts changed (%v)", err)
	}
}

// mustLook is the real path of a program in PATH.
func mustLook(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skip(name + " not installed")
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return real
}
