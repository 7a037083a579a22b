package probe_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/internal/latencyproxy"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// slowFinish holds every server write after the first flight: in TLS 1.2
// the server's Finished comes a while after the client has the chain.
type slowFinish struct {
	net.Conn
	hold   time.Duration
	writes int
}

func (c *slowFinish) Write(p []byte) (int, error) {
	c.writes++
	if c.writes > 1 {
		time.Sleep(c.hold)
	}
	return c.Conn.Write(p)
}

type firstRequest struct {
	mu sync.Mutex
	at time.Time
}

func (f *firstRequest) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	if f.at.IsZero() {
		f.at = time.Now()
	}
	f.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// The OCSP request for the leaf goes out as soon as the handshake has the
// chain (and no staple), not once the handshake is over.
func TestRevocationStartsWithTheChain(t *testing.T) {
	lab := testLab(t)
	const hold = 400 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := &tls.Config{Certificates: []tls.Certificate{lab.PKI.TLSCert("leaf", "intermediate")}, MaxVersion: tls.VersionTLS12}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s := tls.Server(&slowFinish{Conn: c, hold: hold}, cfg)
				_ = s.Handshake()
				time.Sleep(100 * time.Millisecond)
			}()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	fr := &firstRequest{}
	t0 := time.Now()
	rec := run(t, probe.Options{
		Target:     probe.Target{Input: fixtures.Host, Host: fixtures.Host, Port: port, ConnectHost: "127.0.0.1", ConnectPort: port},
		NoSNI:      true,
		Revocation: probe.RevocationOptions{Mode: probe.RevocationFull, Client: &http.Client{Transport: fr}},
	}, 10*time.Second)
	a := rec.Primary()
	if a == nil || a.Outcome != "ok" {
		t.Fatalf("primary = %+v", a)
	}
	done := t0.Add(time.Duration((a.Timings.ConnectMS + a.Timings.HandshakeMS) * float64(time.Millisecond)))
	if fr.at.IsZero() {
		t.Fatal("no revocation request was made")
	}
	if !fr.at.Before(done.Add(-hold / 2)) {
		t.Errorf("the first OCSP request went out %v after the handshake began, the handshake ended at %v: want it while the server held its Finished",
			fr.at.Sub(t0).Round(time.Millisecond), done.Sub(t0).Round(time.Millisecond))
	}
	if rec.Revocation == nil || len(rec.Revocation.Fetches) == 0 || rec.Revocation.Fetches[0].CertIndex != 0 {
		t.Errorf("revocation = %+v, want the leaf's fetch recorded", rec.Revocation)
	}
}

// requestLog records the URL of every revocation request.
type requestLog struct {
	mu   sync.Mutex
	urls []string
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.urls = append(l.urls, r.Method+" "+r.URL.String())
	l.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// Only the chain whose revocation is recorded is asked about early: the
// check without SNI (another certificate here) asks no responder, so a
// run makes the same requests with it as without it.
func TestRevocationPrefetchOnlyForThePrimaryChain(t *testing.T) {
	lab := testLab(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	named := &tls.Config{Certificates: []tls.Certificate{lab.PKI.TLSCert("leaf", "intermediate")}}
	other := &tls.Config{Certificates: []tls.Certificate{lab.PKI.TLSCert("wrong-host", "intermediate")}}
	go serveTLS(ln, &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		if h.ServerName == "" {
			return other, nil
		}
		return named, nil
	}})
	port := ln.Addr().(*net.TCPAddr).Port
	requests := func(mode probe.SNICheckMode) []string {
		l := &requestLog{}
		rec := run(t, probe.Options{
			Target:     probe.Target{Input: fixtures.Host, Host: fixtures.Host, Port: port, ConnectHost: "127.0.0.1", ConnectPort: port},
			SNICheck:   mode,
			Revocation: probe.RevocationOptions{Mode: probe.RevocationFull, Client: &http.Client{Transport: l}},
		}, 10*time.Second)
		if a := rec.Primary(); a == nil || a.Outcome != "ok" {
			t.Fatalf("primary = %+v", a)
		}
		if mode != probe.SNICheckOff && (rec.SNICheck == nil || rec.SNICheck.Outcome != "ok") {
			t.Fatalf("sni check = %+v", rec.SNICheck)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.urls
	}
	without, with := requests(probe.SNICheckOff), requests(probe.SNICheckAuto)
	if len(with) != len(without) {
		t.Errorf("with the check without SNI the run made %d revocation requests, without it %d:\nwith:    %q\nwithout: %q",
			len(with), len(without), with, without)
	}
}

// On a server that serves one connection at a time (openssl s_server),
// the primary handshake is served first and the check without SNI waits:
// the early revocation request hangs on the primary's chain, so serving
// the check first would delay it by a whole handshake.
func TestPrimaryServedFirstBySerialServer(t *testing.T) {
	lab := testLab(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var order []string
	leaf := &tls.Config{Certificates: []tls.Certificate{lab.PKI.TLSCert("leaf", "intermediate")}}
	cfg := &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		// Before the server's answer: the run cannot end before this.
		mu.Lock()
		order = append(order, h.ServerName)
		mu.Unlock()
		return leaf, nil
	}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// One at a time: the next connection is accepted when this one
			// is done, as s_server does. The listen backlog keeps the
			// kernel's order of arrival.
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			tc := tls.Server(c, cfg)
			_ = tc.Handshake() // the order is what counts
			buf := make([]byte, 1)
			_, _ = tc.Read(buf) // until the client closes
			c.Close()
		}
	}()
	// Through the benchmarks' latency proxy, which dials the server for
	// each connection it accepts, as a path forwards SYNs: the order in
	// which the two connections reach the server is the order they left.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	px, err := latencyproxy.Start(ctx, ln.Addr().String(), 2*time.Millisecond, 4*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	port := px.Addr()[strings.LastIndex(px.Addr(), ":")+1:]
	const runs = 30
	var late int
	for range runs {
		mu.Lock()
		order = nil
		mu.Unlock()
		rec := run(t, probe.Options{
			Target:     probe.Target{Input: fixtures.Host, Host: fixtures.Host, Port: atoi(t, port), ConnectHost: "127.0.0.1", ConnectPort: atoi(t, port)},
			Revocation: probe.RevocationOptions{Mode: probe.RevocationOff},
		}, 10*time.Second)
		if rec.SNICheck == nil {
			t.Fatal("no check without SNI")
		}
		mu.Lock()
		if len(order) == 0 || order[0] != fixtures.Host {
			late++
		}
		mu.Unlock()
	}
	// Under load a scheduler may still let the check connect first now
	// and then; without the stagger it does in most runs.
	if late > 2 {
		t.Errorf("the check without SNI was served before the primary handshake in %d of %d runs", late, runs)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// With --all-ips the early revocation requests are for the primary
// address's chain only: a backend serving another certificate gets no
// request for it (the record keeps the primary's revocation), so the run
// makes the requests a run of the primary alone makes.
func TestRevocationPrefetchNotForBackends(t *testing.T) {
	pki, err := fixtures.Build(time.Now(),
		fixtures.CertSpec{Name: "root", CommonName: "Backends Root CA", IsCA: true},
		fixtures.CertSpec{Name: "a", Parent: "root", CommonName: "multi.test", DNSNames: []string{"multi.test"}, OCSPServer: []string{"http://127.0.0.1:1/a"}},
		fixtures.CertSpec{Name: "b", Parent: "root", CommonName: "multi.test", DNSNames: []string{"multi.test"}, OCSPServer: []string{"http://127.0.0.1:1/b"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	p, lns := samePort(t, "127.0.0.1", "127.0.0.2")
	for i, ln := range lns {
		name := "a"
		if i == 1 {
			name = "b"
		}
		go serveTLS(ln, &tls.Config{Certificates: []tls.Certificate{pki.TLSCert(name, "root")}})
	}
	r := testResolver(map[string][]net.IP{"multi.test": {net.ParseIP("127.0.0.1"), net.ParseIP("127.0.0.2")}})
	l := &requestLog{}
	tg := probe.Target{Input: "multi.test:" + strconv.Itoa(p), Host: "multi.test", Port: p}
	rec := run(t, probe.Options{Target: tg, Resolver: r, Connect: dial.Options{AllIPs: true}, SNICheck: probe.SNICheckOff,
		Revocation: probe.RevocationOptions{Mode: probe.RevocationFull, Client: &http.Client{Transport: l}}}, 10*time.Second)
	if a := rec.Primary(); a == nil || a.Outcome != "ok" || len(rec.Backends) != 1 {
		t.Fatalf("primary %+v, %d backends", a, len(rec.Backends))
	}
	want := "/a"
	if rec.Primary().Address != net.JoinHostPort("127.0.0.1", strconv.Itoa(p)) {
		want = "/b"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, u := range l.urls {
		if !strings.Contains(u, want) {
			t.Errorf("revocation request %s is for a backend's certificate, not the primary's (%s)", u, want)
		}
	}
	if len(l.urls) == 0 {
		t.Error("no revocation request for the primary's certificate")
	}
}
