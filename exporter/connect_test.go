package exporter

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// twoBackends listens on 127.0.0.1 and 127.0.0.2 with one port: the first
// serves the lab's good leaf, the second its expired one.
func twoBackends(t *testing.T, e *testEnv) int {
	t.Helper()
	for try := 0; try < 20; try++ {
		a, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := a.Addr().(*net.TCPAddr).Port
		b, err := net.Listen("tcp", "127.0.0.2:"+strconv.Itoa(port))
		if errors.Is(err, syscall.EADDRINUSE) {
			a.Close()
			continue
		}
		if err != nil {
			a.Close()
			t.Skipf("cannot listen on 127.0.0.2: %v", err)
		}
		for ln, leaf := range map[net.Listener]string{a: "leaf", b: "expired"} {
			cfg := &tls.Config{Certificates: []tls.Certificate{e.lab.PKI.TLSCert(leaf, "intermediate")}}
			srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), ReadHeaderTimeout: 5 * time.Second}
			go func() { _ = srv.Serve(tls.NewListener(ln, cfg)) }()
			t.Cleanup(func() { srv.Close() })
		}
		return port
	}
	t.Fatal("no port free on both addresses")
	return 0
}

// multiResolver resolves every name to 127.0.0.1 and 127.0.0.2.
type multiResolver struct{}

func (multiResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")}, nil
}

// TestAllIPsModule: a module with all_ips diagnoses each address the name
// resolves to, labels every series with its ip, and says the backends
// differ when one serves an expired certificate.
func TestAllIPsModule(t *testing.T) {
	e := newTestEnv(t)
	port := twoBackends(t, e)
	cfg := e.load(t, "modules:\n  every:\n    timeout: 5s\n    revocation: off\n    all_ips: true\n    tls_config:\n      ca_file: ca.pem\n")
	_, base, c := serve(t, cfg, Options{Resolver: multiResolver{}})
	r := get(t, c, base, q("localhost:"+strconv.Itoa(port), "every"), "")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	for _, want := range []string{
		`probe_success{ip="127.0.0.1"} 1`,
		`probe_success{ip="127.0.0.2"} 0`,
		`tlsdoctor_finding{id="cert-expired",ip="127.0.0.2",severity="error"} 1`,
		"tlsdoctor_backend_inconsistent 1",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("no %q in\n%s", want, r.body)
		}
	}
	if strings.Contains(r.body, `tlsdoctor_finding{id="cert-expired",ip="127.0.0.1"`) {
		t.Error("the good backend is said to be expired")
	}
}

// TestProxyModule: a module with proxy_url reaches the target through
// the proxy (every handshake is a tunnel there), and a proxy that refuses
// is a handshake failure with its reason, not a silent success.
func TestProxyModule(t *testing.T) {
	e := newTestEnv(t)
	target := e.start(t, "good")
	px := fixtures.StartProxy(t, fixtures.ProxySpec{})
	proxy, tunnels := px.URL(), &px.Tunnels
	cfg := e.load(t, "modules:\n  proxied:\n    timeout: 5s\n    revocation: off\n    proxy_url: "+proxy+"\n    tls_config:\n      ca_file: ca.pem\n      server_name: localhost\n"+
		"  refused:\n    timeout: 5s\n    revocation: off\n    proxy_url: http://127.0.0.1:1\n")
	_, base, c := serve(t, cfg, Options{})
	r := get(t, c, base, q(target, "proxied"), "")
	if !strings.Contains(r.body, "probe_success 1") || tunnels.Load() == 0 {
		t.Errorf("through the proxy: %d tunnels, body\n%s", tunnels.Load(), r.body)
	}
	r = get(t, c, base, q(target, "refused"), "")
	if !strings.Contains(r.body, "probe_success 0") || !strings.Contains(r.body, `reason="proxy-refused"`) {
		t.Errorf("a proxy nobody answers: body\n%s", r.body)
	}
}
