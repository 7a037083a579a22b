package checks

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// noSNIClients judges the certificate served without SNI by each
// client's own name rules (hostnameClients), not by fixed texts: Go at
// the address fails whenever the address is not covered (also when the
// certificate has other IP SANs), and Java falls back to the CN of a
// certificate with no DNS SAN.
func TestNoSNIClientsFollowNameRules(t *testing.T) {
	p, err := fixtures.Build(time.Now(),
		fixtures.CertSpec{Name: "root", CommonName: "Root", IsCA: true},
		fixtures.CertSpec{Name: "other-ip", Parent: "root", CommonName: "default.example", DNSNames: []string{"default.example"}, IPs: []net.IP{net.ParseIP("10.0.0.1")}},
		fixtures.CertSpec{Name: "cn-only", Parent: "root", CommonName: "localhost"},
	)
	if err != nil {
		t.Fatal(err)
	}
	verdicts := func(name string) map[string]ClientVerdict {
		a := &probe.Attempt{Certificates: []probe.Certificate{{DER: p.Get(name).Cert.Raw}}}
		m := map[string]ClientVerdict{}
		for _, v := range noSNIClients(a, "localhost", "127.0.0.1") {
			m[v.Client] = v
		}
		return m
	}
	v := verdicts("other-ip")
	if g, ok := v["go-ip"]; !ok || !g.Fails || !strings.Contains(g.Message, "10.0.0.1") {
		t.Errorf("go-ip = %+v, want Go's own error naming the certificate's IP SAN", g)
	}
	if j := v["java-nosni"]; !j.Fails || !strings.Contains(j.Message, "No subject alternative DNS name matching localhost") {
		t.Errorf("java-nosni = %+v", j)
	}
	v = verdicts("cn-only")
	if j := v["java-nosni"]; j.Fails {
		t.Errorf("java-nosni on a CN-only certificate for the name = %+v, want: falls back to the CN and connects", j)
	}
	if j := v["java-ip"]; !j.Fails || !strings.Contains(j.Message, "No subject alternative names present") {
		t.Errorf("java-ip = %+v", j)
	}
}
