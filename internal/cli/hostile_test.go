package cli

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// evil is what a hostile certificate puts in its text fields: clear the
// screen, retitle the window, ring the bell, return to the line start,
// reverse the text, C1 CSI, DEL.
const evil = "x\x1b[2J\x1b]0;pwned\x07\r\u202egnp.exe\u2066\u0085\u009b31m\x7f"

// evilASCII is the same for fields that must be ASCII (DNS names, URLs).
const evilASCII = "x\x1b[2J\x1b]0;pwned\x07\r\x7f"

// rawControlByte finds a control or bidi character a terminal would act
// on in s.
func rawControlByte(s string) string {
	for i, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == utf8.RuneError {
			return s[max(0, i-30):min(len(s), i+30)]
		}
	}
	return ""
}

// A server whose every certificate field and URL, client-CA name and
// HTTP status line carries terminal control and bidi characters: nothing
// of it reaches stdout or stderr raw, in any output mode.
func TestHostileCertificateFields(t *testing.T) {
	now := time.Now()
	ocsp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/\x1b[31mocsp")
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(ocsp.Close)
	mutate := func(c *x509.Certificate) {
		c.Subject.Organization = []string{evil}
		c.Subject.OrganizationalUnit = []string{evil}
		c.DNSNames = append(c.DNSNames, "a"+evilASCII+".example")
		c.OCSPServer = []string{ocsp.URL + "/" + evilASCII}
		c.CRLDistributionPoints = []string{ocsp.URL + "/crl" + evilASCII}
		c.IssuingCertificateURL = []string{ocsp.URL + "/aia" + evilASCII}
		c.EmailAddresses = []string{"a" + evilASCII + "@example"}
	}
	p, err := fixtures.Build(now,
		fixtures.CertSpec{Name: "root", CommonName: "Root " + evil, IsCA: true, Mutate: func(c *x509.Certificate) { c.Subject.Organization = []string{evil} }},
		fixtures.CertSpec{Name: "int", Parent: "root", CommonName: "Int " + evil, IsCA: true, Mutate: mutate},
		fixtures.CertSpec{Name: "leaf", Parent: "int", CommonName: "leaf " + evil, DNSNames: []string{"localhost"}, Mutate: mutate},
		fixtures.CertSpec{Name: "clientca", CommonName: "Client CA " + evil, IsCA: true},
	)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.Get("clientca").Cert)
	// The leaf without its intermediate: the AIA URL is fetched too.
	cfg := &tls.Config{Certificates: []tls.Certificate{p.TLSCert("leaf")}, ClientAuth: tls.RequestClientCert, ClientCAs: pool}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
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
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if c.(*tls.Conn).Handshake() != nil {
					return
				}
				_, _ = c.Write([]byte("HTTP/1.1 400 " + evil + "\r\n\r\n"))
			}()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	ca := writeFile(t, t.TempDir(), "ca.pem", p.PEMBundle("root"))
	target := "https://localhost:" + itoaPort(port) + "/x%1b%5b2J%07%0d%e2%80%ae"
	for _, args := range [][]string{
		{"--connect-to", "127.0.0.1", "--ca-file", ca, target},
		{"--connect-to", "127.0.0.1", "--ca-file", ca, "-v", "--color", "always", target},
		{"--connect-to", "127.0.0.1", "--ca-file", ca, "-q", target},
		{"--connect-to", "127.0.0.1", "--ca-file", ca, "--format", "json", target},
	} {
		for _, cols := range []string{"80", "1000"} {
			r := invoke(t, map[string]string{"COLUMNS": cols}, args...)
			out := r.stdout
			if strings.Contains(strings.Join(args, " "), "always") {
				out = sgrRE.ReplaceAllString(out, "") // colour codes are ours
			}
			if s := rawControlByte(out); s != "" {
				t.Errorf("%v: raw control character on stdout near %q", args, s)
			}
			if s := rawControlByte(r.stderr); s != "" {
				t.Errorf("%v: raw control character on stderr near %q", args, s)
			}
			if r.code != 1 || strings.Contains(r.stderr, "panic") {
				t.Errorf("%v: exit %d, stderr %s", args, r.code, r.stderr)
			}
			if len(args) == 5 && cols == "80" && !strings.Contains(r.stdout, `\x1b[2J\x1b]0;pwned\x07\r\u202egnp.exe`) {
				t.Errorf("the hostile subject is not shown escaped:\n%s", r.stdout)
			}
		}
	}
}

var sgrRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

func itoaPort(p int) string { return strconv.Itoa(p) }
