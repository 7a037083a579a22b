package cli

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// TestFixClientCertRejectedUnrelatedCA: a leaf from a CA the server does
// not trust, sent without its intermediate. The record cannot tell a
// missing intermediate from an untrusted CA, and the fix says how to tell:
// the printed openssl command shows the intermediate's issuer (Other Root
// CA, not the CA the server names), and the printed commands that send
// the intermediate run; the server-side truststore command runs too.
func TestFixClientCertRejectedUnrelatedCA(t *testing.T) {
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "ca.pem", l.RootPEM())
	srv := startMTLS(t, l, fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}, MaxVersion: tls.VersionTLS12})
	r := newFixRun(t, "")
	leaf := r.file("client.crt", labCert(l, "client-other"))
	key := r.file("client.key", labKey(l, "client-other"))
	r.file("intermediate.crt", labCert(l, "other-intermediate"))
	r.file("client-ca.pem", labCert(l, "other-root"))
	f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca, "--cert", leaf, "--key", key), "client-cert-rejected")
	if !strings.Contains(f.Detail, "1. either the server does not trust our CA at all, or we sent no intermediate: tlsdoctor cannot tell which") {
		t.Fatalf("the first cause does not say the record cannot tell:\n%s", f.Detail)
	}
	for line, res := range r.runFix(f, "curl") {
		if strings.HasPrefix(line, "openssl x509 -in intermediate.crt") && !strings.Contains(res.out, "CN = Other Root CA") {
			t.Errorf("%s does not show the intermediate's issuer:\n%s", line, res.out)
		}
	}
	r.mustHaveRun("openssl x509 -in intermediate.crt -noout -subject -issuer")
	r.mustHaveRun("cat " + leaf + " intermediate.crt > client-chain.pem")
	r.mustHaveRun("openssl pkcs12 -export -in " + leaf)
	r.mustHaveRun("keytool -importcert -trustcacerts -alias client-ca -file client-ca.pem")
	if n := len(pemCerts(t, r.read("client-chain.pem"))); n != 2 {
		t.Errorf("client-chain.pem holds %d certificates, want the leaf and the intermediate", n)
	}
}
