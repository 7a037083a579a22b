package exporter

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// hostileServer serves, on 127.0.0.1, a leaf from the lab intermediate
// whose subject holds a right-to-left override, an isolate and a newline
// (CN, O, OU), with a newline in a SAN and enough SANs to pass the label
// bound. It returns the target.
func hostileServer(t *testing.T, e *testEnv) string {
	t.Helper()
	sans := []string{"localhost", "bad\nname.test"}
	for i := 0; i < 30; i++ {
		sans = append(sans, fmt.Sprintf("host-%02d.example.test", i))
	}
	is, err := e.lab.PKI.Issue(fixtures.CertSpec{
		Name: "hostile-leaf", Parent: "intermediate",
		CommonName: "evil\u202egnp.exe\nforged: 1", Organization: "org\u2066x\u2069",
		DNSNames: sans, IPs: []net.IP{net.IPv4(127, 0, 0, 1)},
		Mutate: func(c *x509.Certificate) { c.Subject.OrganizationalUnit = []string{"ou\u200b\u202e"} },
	})
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{is.DER, e.lab.PKI.Get("intermediate").Cert.Raw}, PrivateKey: is.Key}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
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
				_ = c.(*tls.Conn).Handshake()
				_, _ = c.Read(make([]byte, 1))
			}()
		}
	}()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

var labelRE = regexp.MustCompile(`([a-z_]+)="((?:[^"\\]|\\.)*)"`)

// TestProbeHostileCertificate scrapes /probe for a server whose
// certificate names hold bidi controls and newlines: every label value
// on the page is escaped as report/ prints it (no bidi, zero-width or
// control character, the CN reads evil\u202egnp.exe\nforged: 1) and
// bounded.
func TestProbeHostileCertificate(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.load(t, labConfig+"allowed_targets: [127.0.0.1]\n")
	target := hostileServer(t, e)
	_, base, c := serve(t, cfg, Options{})
	r := get(t, c, base, q(target, ""), "")
	if r.status != 200 || !strings.Contains(r.body, "\nprobe_success 1\n") {
		t.Fatalf("hostile target: %d\n%s", r.status, r.body)
	}
	if i := strings.IndexAny(r.body, "\u202e\u2066\u2069\u200b"); i >= 0 {
		t.Errorf("a bidi or zero-width character reached /metrics: %q", r.body[max(0, i-80):min(len(r.body), i+40)])
	}
	cns := 0
	for _, line := range strings.Split(r.body, "\n") {
		for _, m := range labelRE.FindAllStringSubmatch(line, -1) {
			// The exposition format escapes \ and newline in a value.
			v := strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\"`, `"`).Replace(m[2])
			if strings.ContainsAny(v, "\n\r\x1b") {
				t.Errorf("label %s holds a control character: %q", m[1], v)
			}
			if len(v) > maxLabelLen+len("…") {
				t.Errorf("label %s is %d bytes: %q", m[1], len(v), v)
			}
			if strings.HasPrefix(v, "evil") && m[1] != "subject" {
				cns++
				if v != `evil\u202egnp.exe\nforged: 1` {
					t.Errorf("label %s = %q, want the CN escaped", m[1], v)
				}
			}
		}
	}
	if cns < 3 { // ssl_cert_not_after, ssl_cert_not_before, tlsdoctor_cert_not_after_seconds
		t.Errorf("%d labels hold the CN, want 3:\n%s", cns, r.body)
	}
	for _, want := range []string{`ou="` + `,ou\\u200b\\u202e,"`, `\\u2066x\\u2069`, `,localhost,bad\\nname.test,host-00`, `…"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/metrics does not hold %s:\n%s", want, r.body)
		}
	}
}
