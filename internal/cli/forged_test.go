package cli

import (
	"crypto/tls"
	"net"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// forgedLine finds a line of output that a newline in a certificate
// name started.
var forgedLine = regexp.MustCompile(`(?m)^\s*FORGED`)

// TestExportNoForgedLines: the lines --export-truststore and -v write on
// stderr name the server's certificates (subject, where each came from):
// a newline in a subject is shown as \n and cannot start a line of its
// own.
func TestExportNoForgedLines(t *testing.T) {
	p, err := fixtures.Build(time.Now(),
		fixtures.CertSpec{Name: "root", CommonName: "Root\nFORGED: verified by your CA", IsCA: true},
		fixtures.CertSpec{Name: "int", Parent: "root", CommonName: "Int\nFORGED: pinned", IsCA: true},
		fixtures.CertSpec{Name: "leaf", Parent: "int", CommonName: "localhost", DNSNames: []string{"localhost"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	leaf := p.TLSCert("leaf")
	leaf.Certificate = append(leaf.Certificate, p.Get("int").Cert.Raw)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{leaf}})
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
				_ = c.(*tls.Conn).Handshake()
				_, _ = c.Read(make([]byte, 1))
			}()
		}
	}()
	dir := t.TempDir()
	ca := writeFile(t, dir, "ca.pem", p.PEMBundle("root"))
	tg := "localhost:" + itoaPort(ln.Addr().(*net.TCPAddr).Port)
	for _, extra := range [][]string{{"-q"}, {"-v"}} {
		args := append([]string{"--connect-to", "127.0.0.1", "--ca-file", ca, "--revocation", "off", "--export-truststore", filepath.Join(dir, "out.pem")}, extra...)
		r := invoke(t, nil, append(args, tg)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", extra, r.code, r.stderr)
		}
		if m := forgedLine.FindStringIndex(r.stderr); m != nil {
			t.Errorf("%v: a certificate name forged a line on stderr:\n%s", extra, r.stderr)
		}
		if m := forgedLine.FindStringIndex(r.stdout); m != nil {
			t.Errorf("%v: a certificate name forged a line on stdout:\n%s", extra, r.stdout)
		}
	}
}
