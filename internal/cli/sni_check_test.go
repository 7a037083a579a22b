package cli

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// TestNoSNICheck: --no-sni-check (on the command line and on a
// targets-file line) makes no handshake without SNI, so no sni-required,
// and says so: in the record, the text header and the JUnit case. Without
// it the same server gets both handshakes and the finding.
func TestNoSNICheck(t *testing.T) {
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	var named, unnamed atomic.Int32
	named0 := &tls.Config{Certificates: []tls.Certificate{l.PKI.TLSCert("leaf", "intermediate")}}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		if h.ServerName == "" {
			unnamed.Add(1)
			return &tls.Config{}, nil // unrecognized_name
		}
		named.Add(1)
		return named0, nil
	}})
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
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	base := append(target(port), "--ca-file", ca, "--revocation", "off")
	count := func() (int32, int32) { return named.Swap(0), unnamed.Swap(0) }

	if !hasID(diagnoseJSON(t, nil, port, "--ca-file", ca, "--revocation", "off"), "sni-required") {
		t.Fatal("without --no-sni-check: no sni-required against a server that refuses clients without SNI")
	}
	if n, u := count(); n != 1 || u != 1 {
		t.Fatalf("without --no-sni-check: %d handshakes with SNI, %d without; want 1 and 1", n, u)
	}

	res := invoke(t, nil, append(append([]string{}, base...), "--no-sni-check", "--format", "json")...)
	var out struct {
		Findings []struct{ ID string } `json:"findings"`
		Record   probe.Record          `json:"record"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("%v\n%s\n%s", err, res.stdout, res.stderr)
	}
	for _, f := range out.Findings {
		if f.ID == "sni-required" {
			t.Error("--no-sni-check: sni-required reported")
		}
	}
	if !out.Record.SNICheckOff || out.Record.SNICheck != nil {
		t.Errorf("--no-sni-check: record sni_check_off = %v, sni_check = %+v", out.Record.SNICheckOff, out.Record.SNICheck)
	}
	if n, u := count(); n != 1 || u != 0 {
		t.Errorf("--no-sni-check: %d handshakes with SNI, %d without; want 1 and 0", n, u)
	}

	res = invoke(t, nil, append(append([]string{}, base...), "--no-sni-check")...)
	if !strings.Contains(res.stdout, "without SNI: not checked (--no-sni-check)") {
		t.Errorf("text report does not say the check without SNI was left out:\n%s", res.stdout)
	}
	count()

	// A targets-file line, with JUnit: the sni-required case is skipped,
	// and says why; the line without the flag (another spelling of the
	// target, so another diagnosis) still gets the finding.
	dir := t.TempDir()
	file := writeFile(t, dir, "targets.txt", []byte(fmt.Sprintf("localhost:%d --connect-to 127.0.0.1:%d --no-sni-check\nlocalhost:%d --connect-to 127.0.0.1\n", port, port, port)))
	res = invoke(t, nil, "--targets", file, "--ca-file", ca, "--revocation", "off", "--format", "junit")
	var skipped, found int
	for _, c := range strings.Split(res.stdout, "<testcase ") {
		if !strings.Contains(c, `name="sni-required"`) {
			continue
		}
		if strings.Contains(c, `<skipped message="needs the handshake without SNI (--no-sni-check was given)">`) {
			skipped++
		}
		if strings.Contains(c, "the server needs SNI") {
			found++
		}
	}
	if skipped != 1 || found != 1 {
		t.Errorf("JUnit: sni-required skipped %d times and found %d times; want 1 and 1:\n%s", skipped, found, res.stdout)
	}
	if _, u := count(); u != 1 {
		t.Errorf("targets file: %d handshakes without SNI; want 1 (the line without --no-sni-check)", u)
	}
}
