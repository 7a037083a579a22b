package probe_test

import (
	"crypto/x509"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// connectProxy is a plain HTTP CONNECT proxy on 127.0.0.1 (no
// interception); it returns its URL.
func connectProxy(t *testing.T) string { return fixtures.StartProxy(t, fixtures.ProxySpec{}).URL() }

func mitmProxy(t *testing.T, caName, upstream string) (*fixtures.MITMProxy, *fixtures.Issued) {
	pki, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "ca", CommonName: caName, Organization: "Example Corp", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := fixtures.NewMITMProxy(pki.Get("ca"), upstream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, pki.Get("ca")
}

// TLS interception told by comparing paths: through an intercepting
// proxy whose CA has an ordinary name (no inspection-list match), the
// leaf differs from the one the server presents directly, and the finding
// shows both chains; through a plain proxy, or with the direct check off,
// there is no finding; a CA on the inspection list is still reported when
// the direct path fails, saying there was nothing to compare.
func TestInterceptionByPath(t *testing.T) {
	l := testLab(t)
	backend := labHTTPS(t)
	tg := probe.Target{Input: "localhost:" + strconv.Itoa(backend), Host: "localhost", Port: backend, ConnectHost: "localhost", ConnectPort: backend}
	store := checks.NewTruststore("lab root", []*x509.Certificate{l.PKI.Get("root").Cert})
	env := checks.Env{Now: time.Now(), Truststores: []checks.Truststore{store}}
	opts := func(proxy string) probe.Options {
		return probe.Options{Target: tg, Connect: dial.Options{Proxy: proxy}, SNICheck: probe.SNICheckOff, NoAIA: true, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}}
	}

	mitm, ca := mitmProxy(t, "Example Corp Proxy CA", "")
	rec := run(t, opts(mitm.URL()), 10*time.Second)
	if rec.DirectCheck == nil || rec.DirectCheck.Purpose != probe.PurposeDirect || rec.DirectCheck.Outcome != "ok" || rec.DirectCheck.Dial != nil {
		t.Fatalf("direct check = %+v, want an ok handshake without the proxy", rec.DirectCheck)
	}
	fs := checks.Run(rec, env)
	f := findingByID(fs, "tls-interception-suspected")
	if f == nil {
		t.Fatalf("findings %v, want tls-interception-suspected from the path comparison", findingIDs(fs))
	}
	ev := strings.Join(f.Evidence, "\n")
	for _, want := range []string{"through the proxy 127.0.0.1:" + strconv.Itoa(mitm.Port) + " #0: ", "directly (127.0.0.1:" + strconv.Itoa(backend) + ") #1: ", `issuer "CN=Example Corp Proxy CA,O=Example Corp"`, l.PKI.Get("intermediate").Cert.Subject.String(), "lab root: "} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if !strings.Contains(f.Title, "Example Corp Proxy CA") || strings.Contains(ev, "matched:") {
		t.Errorf("title %q / evidence: want the path signal alone", f.Title)
	}
	if fp := checks.Fingerprint(ca.Cert); !strings.Contains(checks.FixText(f.Fix), fp) {
		t.Errorf("the fix does not give the proxy CA's fingerprint %s:\n%s", fp, checks.FixText(f.Fix))
	}
	t.Logf("%s\n%s", f.Title, f.Detail)

	// The same run with the direct check off: the ordinary CA name alone
	// says nothing.
	o := opts(mitm.URL())
	o.DirectCheck = probe.DirectCheckOff
	rec = run(t, o, 10*time.Second)
	if rec.DirectCheck != nil || findingByID(checks.Run(rec, env), "tls-interception-suspected") != nil {
		t.Errorf("with the direct check off: direct %+v, or a finding", rec.DirectCheck)
	}

	// A plain proxy: both paths show the lab's chain.
	rec = run(t, opts(connectProxy(t)), 10*time.Second)
	if rec.DirectCheck == nil || rec.Primary().Outcome != "ok" {
		t.Fatalf("plain proxy: primary %+v, direct %+v", rec.Primary().Error, rec.DirectCheck)
	}
	if f := findingByID(checks.Run(rec, env), "tls-interception-suspected"); f != nil {
		t.Errorf("a plain proxy reported as intercepting: %s", f.Title)
	}

	// An inspection-list CA, and a direct path that cannot resolve the
	// name: the name signal, saying there was no second path to compare
	// name (only the proxy knows where proxy-only.test is).
	zs, _ := mitmProxy(t, "Zscaler Intermediate Root CA", "127.0.0.1:"+strconv.Itoa(backend))
	o = opts(zs.URL())
	o.Target.Host, o.Target.ConnectHost, o.Target.Input = "proxy-only.test", "proxy-only.test", "proxy-only.test:"+strconv.Itoa(backend)
	o.Resolver = testResolver(map[string][]net.IP{})
	rec = run(t, o, 10*time.Second)
	f = findingByID(checks.Run(rec, env), "tls-interception-suspected")
	if f == nil || !strings.Contains(f.Title, "Zscaler") {
		t.Fatalf("findings %v, want the Zscaler match", findingIDs(checks.Run(rec, env)))
	}
	if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, "directly: dns-failure") || !strings.Contains(ev, "no second path") {
		t.Errorf("evidence does not say the direct path failed:\n%s", ev)
	}
}
