package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/internal/latencyproxy"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// When --timeout runs out in the middle of --scan, what was never tested
// says so ("not tested (time budget)"), never "no (not accepted)", the
// scan is marked incomplete, and no check concludes from what is missing.
func TestScanTimeBudget(t *testing.T) {
	p, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "leaf", CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, Key: fixtures.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.TLSCert("leaf")}, MinVersion: tls.VersionTLS12})
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
			go func() { _ = c.SetDeadline(time.Now().Add(5 * time.Second)); _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// 150 ms each way: a handshake costs about half a second, so a 2 s
	// budget ends the scan with versions and suites untested.
	px, err := latencyproxy.Start(ctx, ln.Addr().String(), 150*time.Millisecond, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(px.Addr())
	target := "127.0.0.1:" + port
	t0 := time.Now()
	r := invoke(t, map[string]string{"COLUMNS": "100"}, "--scan", "--timeout", "2s", "--max-conns", "2", "--revocation", "off", "--ca-file", writeFile(t, t.TempDir(), "ca.pem", p.PEMBundle("leaf")), target)
	if d := time.Since(t0); d > 2*time.Second+1500*time.Millisecond {
		t.Errorf("took %s with --timeout 2s", d)
	}
	if !strings.Contains(r.stdout, "Protocols and cipher suites: INCOMPLETE") || !strings.Contains(r.stdout, "not tested (time budget)") {
		t.Fatalf("the report does not say what was not tested:\n%s", r.stdout)
	}
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.Contains(l, "not accepted") {
			t.Errorf("an untested version is reported as refused: %q", l)
		}
	}
	for _, id := range []string{"tls13-missing", "no-forward-secrecy"} {
		if strings.Contains(r.stdout, id) {
			t.Errorf("%s concluded from an incomplete scan:\n%s", id, r.stdout)
		}
	}
	// The record says the same.
	rec := invoke(t, nil, "--scan", "--timeout", "2s", "--max-conns", "2", "--revocation", "off", "--format", "json", target)
	var doc struct{ Record probe.Record }
	if err := json.Unmarshal([]byte(rec.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	sc := doc.Record.Scan
	if sc == nil || !sc.Incomplete {
		t.Fatalf("scan = %+v, want it incomplete", sc)
	}
	untested := 0
	for _, v := range sc.Versions {
		switch {
		case v.Untested == probe.UntestedTimeBudget:
			untested++
		case !v.Supported && v.Refusal == "" && v.Untested == "":
			t.Errorf("%s: neither supported, refused nor untested", v.Version)
		}
	}
	if untested == 0 {
		t.Errorf("no version marked untested (time budget): %+v", sc.Versions)
	}
	for _, v := range sc.Versions {
		t.Logf("%s supported=%v refusal=%q untested=%q suites_incomplete=%v", v.Version, v.Supported, v.Refusal, v.Untested, v.SuitesIncomplete)
	}
	t.Logf("%d of %d versions not tested in the budget; %d handshakes", untested, len(sc.Versions), sc.Handshakes)
}
