package report

import (
	"bytes"
	"context"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// TestRevocationSection renders a live record of the lab's good server
// with each --revocation mode.
func TestRevocationSection(t *testing.T) {
	now := time.Now()
	lab := fixtures.TestLab(t, now)
	srv, err := lab.Start("good")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		mode string
		want []string
	}{
		{probe.RevocationOff, []string{"Revocation (--revocation off)", `#0 leaf "localhost": good`, "stapled OCSP: good, signed by the issuer Example Intermediate CA",
			`#1 intermediate "Example Intermediate CA": not checked — revocation checking is off (--revocation off)`}},
		{probe.RevocationFull, []string{"Revocation (--revocation full: 1 fetch(es)", "the leaf's responder not asked: the staple answers for it", `#0 leaf "localhost": good`, `#1 intermediate "Example Intermediate CA": good`, "OCSP " + lab.Responder.OCSPURL("root", fixtures.OCSPGood) + ": good, signed by the issuer Example Root CA"}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rec, err := probe.Run(ctx, probe.Options{
			Target:     probe.Target{Input: "localhost", Host: "localhost", Port: srv.Port, ConnectHost: "127.0.0.1", ConnectPort: srv.Port},
			Revocation: probe.RevocationOptions{Mode: tc.mode, Issuers: []*x509.Certificate{lab.PKI.Get("root").Cert}},
		})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := Text(&b, Report{Record: rec, Now: now}, TextOptions{Width: -1}); err != nil {
			t.Fatal(err)
		}
		want := append(tc.want, "SCTs: 2 (2 from the certificate; parsed, not verified: no log list)", "    - log ")
		for _, w := range want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: the report does not contain %q:\n%s", tc.mode, w, b.String())
			}
		}
	}
}
