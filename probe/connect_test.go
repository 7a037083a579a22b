package probe_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// testResolver answers A and AAAA queries for names from an in-process
// DNS server (over a pipe, in the DNS-over-TCP framing the Go resolver
// uses for stream connections). Other names do not exist.
func testResolver(names map[string][]net.IP) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		client, server := net.Pipe()
		go serveDNS(server, names)
		return client, nil
	}}
}

func serveDNS(c net.Conn, names map[string][]net.IP) {
	defer c.Close()
	for {
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(q)
		if err != nil {
			return
		}
		question, err := p.Question()
		if err != nil {
			return
		}
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
		b.EnableCompression()
		_ = b.StartQuestions()
		_ = b.Question(question)
		_ = b.StartAnswers()
		ips, ok := names[strings.TrimSuffix(question.Name.String(), ".")]
		for _, ip := range ips {
			rh := dnsmessage.ResourceHeader{Name: question.Name, Class: dnsmessage.ClassINET, TTL: 60}
			if v4 := ip.To4(); v4 != nil && question.Type == dnsmessage.TypeA {
				_ = b.AResource(rh, dnsmessage.AResource{A: [4]byte(v4)})
			} else if v4 == nil && question.Type == dnsmessage.TypeAAAA {
				_ = b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: [16]byte(ip.To16())})
			}
		}
		msg, _ := b.Finish()
		if !ok {
			msg[3] |= 3 // NXDOMAIN
		}
		out := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
		if _, err := c.Write(append(out, msg...)); err != nil {
			return
		}
	}
}

// samePort listens on every address with one port, retrying until a
// port is free on all of them; addresses that cannot listen at all (no
// IPv6) are left out.
func samePort(t *testing.T, addrs ...string) (int, []net.Listener) {
	t.Helper()
	for try := 0; try < 20; try++ {
		first, err := net.Listen("tcp", net.JoinHostPort(addrs[0], "0"))
		if err != nil {
			t.Fatal(err)
		}
		p := first.Addr().(*net.TCPAddr).Port
		lns := []net.Listener{first}
		ok := true
		for _, a := range addrs[1:] {
			ln, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(p)))
			if err != nil {
				if errors.Is(err, syscall.EADDRINUSE) {
					ok = false
					break
				}
				continue // this family is not available here
			}
			lns = append(lns, ln)
		}
		if ok {
			for _, ln := range lns {
				t.Cleanup(func() { ln.Close() })
			}
			return p, lns
		}
		for _, ln := range lns {
			ln.Close()
		}
	}
	t.Fatal("no port free on every address")
	return 0, nil
}

func multiPKI(t *testing.T) *fixtures.PKI {
	p, err := fixtures.Build(time.Now(),
		fixtures.CertSpec{Name: "root", CommonName: "Multi Root CA", IsCA: true},
		fixtures.CertSpec{Name: "a", Parent: "root", CommonName: "multi.test", DNSNames: []string{"multi.test"}},
		fixtures.CertSpec{Name: "b", Parent: "root", CommonName: "multi.test (old)", DNSNames: []string{"multi.test"}, NotAfter: 2 * time.Hour},
		fixtures.CertSpec{Name: "default", Parent: "root", CommonName: "default.test", DNSNames: []string{"default.test"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAllIPs(t *testing.T) {
	pki := multiPKI(t)
	p, lns := samePort(t, "127.0.0.1", "127.0.0.2", "::1")
	for i, ln := range lns {
		cert := pki.TLSCert("a", "root")
		if i == 1 {
			cert = pki.TLSCert("b", "root") // 127.0.0.2 serves another certificate
		}
		go serveTLS(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("127.0.0.2")}
	if len(lns) == 3 {
		ips = append(ips, net.ParseIP("::1"))
	}
	// A fourth address where nothing listens: it fails.
	ips = append(ips, net.ParseIP("127.0.0.3"))
	r := testResolver(map[string][]net.IP{"multi.test": ips})
	tg := probe.Target{Input: "multi.test:" + strconv.Itoa(p), Host: "multi.test", Port: p}
	rec := run(t, probe.Options{Target: tg, Resolver: r, Connect: dial.Options{AllIPs: true}, SNICheck: probe.SNICheckOff}, 10*time.Second)
	// The primary is the first address in the resolver's order (Go sorts
	// them by RFC 6724: ::1 may come first).
	if a := rec.Primary(); a.Outcome != "ok" || a.Address != net.JoinHostPort(rec.DNS.Addresses[0], strconv.Itoa(p)) {
		t.Fatalf("primary = %s %+v, addresses %v", a.Address, a.Error, rec.DNS.Addresses)
	}
	if len(rec.Backends) != len(ips)-1 {
		t.Fatalf("%d backends, want %d", len(rec.Backends), len(ips)-1)
	}
	for _, b := range rec.Backends {
		if b.Purpose != probe.PurposeBackend {
			t.Errorf("backend purpose %q", b.Purpose)
		}
	}
	store := checks.NewTruststore("multi root", []*x509.Certificate{pki.Get("root").Cert})
	fs := checks.Run(rec, checks.Env{Now: time.Now(), Truststores: []checks.Truststore{store}})
	f := findingByID(fs, "backend-inconsistent")
	if f == nil {
		t.Fatalf("findings %v, want backend-inconsistent", findingIDs(fs))
	}
	ev := strings.Join(f.Evidence, "\n")
	if !strings.Contains(ev, "127.0.0.2:"+strconv.Itoa(p)+": sends another certificate") || !strings.Contains(ev, "127.0.0.3:"+strconv.Itoa(p)+": fails") {
		t.Errorf("evidence does not name the odd backends:\n%s", ev)
	}
	if strings.Contains(ev, "127.0.0.1:"+strconv.Itoa(p)+":") || strings.Contains(ev, "[::1]:"+strconv.Itoa(p)+":") {
		t.Errorf("evidence names a backend that behaves like the primary:\n%s", ev)
	}
	if f.Severity != checks.Error {
		t.Errorf("severity %s, want error (a backend fails)", f.Severity)
	}

	// -4 keeps the IPv4 addresses only; -6 the IPv6 one.
	rec = run(t, probe.Options{Target: tg, Resolver: r, Connect: dial.Options{Family: dial.IPv4}, SNICheck: probe.SNICheckOff}, 10*time.Second)
	if slices.ContainsFunc(rec.DNS.Addresses, func(a string) bool { return strings.Contains(a, ":") }) {
		t.Errorf("-4 kept %v", rec.DNS.Addresses)
	}
	if len(lns) == 3 {
		rec = run(t, probe.Options{Target: tg, Resolver: r, Connect: dial.Options{Family: dial.IPv6}, SNICheck: probe.SNICheckOff}, 10*time.Second)
		if a := rec.Primary(); rec.DNS.Addresses[0] != "::1" || a.Outcome != "ok" {
			t.Errorf("-6: addresses %v, primary %s %+v", rec.DNS.Addresses, a.Address, a.Error)
		}
	}
	// A name with no address of the family asked for is a DNS failure.
	r4 := testResolver(map[string][]net.IP{"v4only.test": {net.ParseIP("127.0.0.1")}})
	rec = run(t, probe.Options{Target: probe.Target{Input: "v4only.test", Host: "v4only.test", Port: p}, Resolver: r4, Connect: dial.Options{Family: dial.IPv6}}, 5*time.Second)
	if rec.DNS.Error == nil || !strings.Contains(rec.DNS.Error.Message, "no IPv6 address") {
		t.Errorf("dns = %+v, want no IPv6 address", rec.DNS)
	}
}

func TestSNIRequired(t *testing.T) {
	pki := multiPKI(t)
	mk := func(noSNI func() (*tls.Config, error)) int {
		ln := listen(t)
		named := &tls.Config{Certificates: []tls.Certificate{pki.TLSCert("a", "root")}}
		go serveTLS(ln, &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			if h.ServerName == "" {
				return noSNI()
			}
			return named, nil
		}})
		return port(ln)
	}
	other := mk(func() (*tls.Config, error) {
		return &tls.Config{Certificates: []tls.Certificate{pki.TLSCert("default", "root")}}, nil
	})
	// A config without certificates makes crypto/tls answer
	// unrecognized_name, as nginx's ssl_reject_handshake does.
	refuse := mk(func() (*tls.Config, error) { return &tls.Config{}, nil })
	same := mk(func() (*tls.Config, error) {
		return &tls.Config{Certificates: []tls.Certificate{pki.TLSCert("a", "root")}}, nil
	})
	r := testResolver(map[string][]net.IP{"multi.test": {net.ParseIP("127.0.0.1")}})
	for _, c := range []struct {
		name string
		port int
		want bool
	}{{"another certificate", other, true}, {"refused", refuse, true}, {"same certificate", same, false}} {
		t.Run(c.name, func(t *testing.T) {
			tg := probe.Target{Input: "multi.test", Host: "multi.test", Port: c.port}
			rec := run(t, probe.Options{Target: tg, Resolver: r}, 5*time.Second)
			if rec.SNICheck == nil || rec.SNICheck.Purpose != probe.PurposeNoSNI || rec.SNICheck.Offered.SNI != "" {
				t.Fatalf("sni check = %+v", rec.SNICheck)
			}
			fs := checks.Run(rec, checks.Env{Now: time.Now()})
			f := findingByID(fs, "sni-required")
			if (f != nil) != c.want {
				t.Fatalf("sni-required = %v, want %v (findings %v)", f != nil, c.want, findingIDs(fs))
			}
			if f != nil {
				t.Logf("%s: %s", f.Title, f.Detail)
			}
		})
	}
	// An IP target sends no SNI: no check, unless --scan asks (with --sni).
	rec := run(t, probe.Options{Target: probe.Target{Input: "127.0.0.1", Host: "127.0.0.1", Port: other}}, 5*time.Second)
	if rec.SNICheck != nil {
		t.Error("an IP target got an SNI check")
	}
	tg := probe.Target{Input: "127.0.0.1", Host: "127.0.0.1", Port: other, SNI: "multi.test"}
	if rec := run(t, probe.Options{Target: tg}, 5*time.Second); rec.SNICheck != nil {
		t.Error("an IP target with --sni got an SNI check without --scan")
	}
	if rec := run(t, probe.Options{Target: tg, SNICheck: probe.SNICheckAlways}, 5*time.Second); rec.SNICheck == nil {
		t.Error("SNICheckAlways made no SNI check")
	}
}

// A server that answers every ClientHello with handshake_failure, with
// SNI and without, at every version: handshake-failed points at its
// keystore.
func TestRefusesEveryHandshake(t *testing.T) {
	ln := listen(t)
	var mu sync.Mutex
	conns := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns++
			mu.Unlock()
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				_, _ = c.Read(make([]byte, 4096))
				_, _ = c.Write([]byte{21, 3, 3, 0, 2, 2, 40}) // fatal handshake_failure
			}()
		}
	}()
	rec := run(t, probe.Options{Target: target(port(ln))}, 10*time.Second)
	fs := checks.Run(rec, checks.Env{Now: time.Now()})
	f := findingByID(fs, "handshake-failed")
	if f == nil || !strings.Contains(f.Title, "keystore") || len(f.Fix) == 0 {
		t.Fatalf("handshake-failed = %+v, want the keystore diagnosis", f)
	}
	if cmds := checks.Commands(f.Fix, "keytool"); len(cmds) == 0 || !strings.HasPrefix(cmds[0], "keytool -list -v") {
		t.Errorf("keytool commands = %q", cmds)
	}
	// Refused only without SNI is not this.
	if findingByID(fs, "sni-required") != nil {
		t.Error("sni-required for a server that refuses with SNI too")
	}
}

func findingByID(fs []checks.Finding, id string) *checks.Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

func findingIDs(fs []checks.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// --all-ips --scan scans every address: two listeners behind one name
// that negotiate the same TLS 1.3 handshake, where 127.0.0.2 also accepts
// TLS 1.0 and more TLS 1.2 suites. Only the scans show the difference,
// and backend-inconsistent names it.
func TestAllIPsScan(t *testing.T) {
	pki := multiPKI(t)
	p, lns := samePort(t, "127.0.0.1", "127.0.0.2")
	if len(lns) != 2 {
		t.Skip("127.0.0.2 is not available here")
	}
	cert := pki.TLSCert("a", "root")
	go serveTLS(lns[0], &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}})
	go serveTLS(lns[1], &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}})
	r := testResolver(map[string][]net.IP{"multi.test": {net.ParseIP("127.0.0.1"), net.ParseIP("127.0.0.2")}})
	tg := probe.Target{Input: "multi.test:" + strconv.Itoa(p), Host: "multi.test", Port: p}
	conn := dial.Options{AllIPs: true, Resolver: r}
	rec := run(t, probe.Options{Target: tg, Connect: conn, SNICheck: probe.SNICheckOff, NoAIA: true, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}}, 10*time.Second)
	store := checks.NewTruststore("multi root", []*x509.Certificate{pki.Get("root").Cert})
	env := checks.Env{Now: time.Now(), Truststores: []checks.Truststore{store}}
	if f := findingByID(checks.Run(rec, env), "backend-inconsistent"); f != nil {
		t.Fatalf("before the scan the handshakes already differ: %q", f.Evidence)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	probe.ScanEveryAddress(ctx, rec, probe.ScanOptions{Connect: conn})
	if rec.Scan == nil || len(rec.BackendScans) != 1 || rec.BackendScans[0].Address != rec.Backends[0].Address || rec.BackendScans[0].Scan == nil {
		t.Fatalf("scan %v, backend scans %+v", rec.Scan != nil, rec.BackendScans)
	}
	for _, s := range append([]*probe.Scan{rec.Scan}, rec.BackendScans[0].Scan) {
		if s.Incomplete {
			t.Fatalf("scan incomplete: %q", s.Errors)
		}
	}
	f := findingByID(checks.Run(rec, env), "backend-inconsistent")
	if f == nil {
		t.Fatal("no backend-inconsistent after scanning both addresses")
	}
	ev := strings.Join(f.Evidence, "\n")
	odd, primary := "127.0.0.2:"+strconv.Itoa(p), "127.0.0.1:"+strconv.Itoa(p)
	if rec.Primary().Address != primary {
		odd, primary = primary, odd
	}
	want := []string{"accepts TLS 1.0, which " + primary + " does not", "TLS 1.2 suites: also accepts TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"}
	if odd == "127.0.0.1:"+strconv.Itoa(p) {
		want = []string{"does not accept TLS 1.0, which " + primary + " does", "TLS 1.2 suites: does not accept TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"}
	}
	for _, w := range want {
		if !strings.Contains(ev, odd+": "+w) {
			t.Errorf("evidence lacks %q:\n%s", odd+": "+w, ev)
		}
	}
	t.Logf("%s\n%s", f.Title, ev)
}
