package probe_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

var (
	labOnce sync.Once
	lab     *fixtures.Lab
	labErr  error
)

// testLab is one lab shared by the whole test binary (benchmarks
// included), built on first use; it lives as long as the process.
func testLab(t testing.TB) *fixtures.Lab {
	t.Helper()
	labOnce.Do(func() { lab, labErr = fixtures.NewLab(time.Now()) })
	if labErr != nil {
		t.Fatal(labErr)
	}
	return lab
}

func start(t testing.TB, name string) *fixtures.Server {
	t.Helper()
	srv, err := testLab(t).Start(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func target(port int) probe.Target {
	return probe.Target{Input: "localhost:" + strconv.Itoa(port), Host: "localhost", Port: port, ConnectHost: "127.0.0.1", ConnectPort: port}
}

func run(t testing.TB, opts probe.Options, timeout time.Duration) *probe.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rec, err := probe.Run(ctx, opts)
	if err != nil {
		t.Fatalf("probe.Run: %v", err)
	}
	return rec
}

func TestProbeGood(t *testing.T) {
	srv := start(t, "good")
	rec := run(t, probe.Options{Target: target(srv.Port)}, 5*time.Second)
	a := rec.Primary()
	if a == nil || a.Outcome != "ok" || a.Error != nil {
		t.Fatalf("primary attempt = %+v, want ok", a)
	}
	if len(rec.Attempts) != 1 {
		t.Errorf("a good server took %d handshakes, want 1", len(rec.Attempts))
	}
	if a.Version != "TLS 1.3" || a.VersionID != tls.VersionTLS13 {
		t.Errorf("version = %q (%x), want TLS 1.3", a.Version, a.VersionID)
	}
	if a.CipherSuite == "" || a.Group == "" {
		t.Errorf("cipher %q group %q: want both recorded", a.CipherSuite, a.Group)
	}
	if rec.Target.SNI != "localhost" || a.Offered.SNI != "localhost" {
		t.Errorf("SNI = %q/%q, want localhost", rec.Target.SNI, a.Offered.SNI)
	}
	l := testLab(t).PKI
	want := [][]byte{l.Get("leaf").Cert.Raw, l.Get("intermediate").Cert.Raw}
	if len(a.Certificates) != len(want) {
		t.Fatalf("got %d certificates, want %d", len(a.Certificates), len(want))
	}
	for i := range want {
		if !bytes.Equal(a.Certificates[i].DER, want[i]) {
			t.Errorf("certificate %d differs from what the server sent", i)
		}
	}
	if a.CertificateRequest != nil || a.PostHandshake != nil {
		t.Errorf("no client certificate was requested, yet got %+v / %+v", a.CertificateRequest, a.PostHandshake)
	}
	if a.Timings.ConnectMS <= 0 || a.Timings.HandshakeMS <= 0 || rec.DurationMS <= 0 {
		t.Errorf("timings not recorded: %+v, total %v", a.Timings, rec.DurationMS)
	}
	if rec.RecordVersion != probe.RecordVersion {
		t.Errorf("record_version = %d", rec.RecordVersion)
	}
}

// The chain is recorded exactly as sent, even out of order.
func TestProbeChainAsSent(t *testing.T) {
	srv := start(t, "wrong-order")
	rec := run(t, probe.Options{Target: target(srv.Port)}, 5*time.Second)
	l := testLab(t).PKI
	want := []string{"deep-leaf", "intermediate", "issuing"}
	chain := rec.Chain()
	if len(chain) != 3 {
		t.Fatalf("got %d certs, want 3", len(chain))
	}
	for i, n := range want {
		if !bytes.Equal(chain[i].DER, l.Get(n).Cert.Raw) {
			t.Errorf("position %d is not %s", i, n)
		}
	}
}

func TestProbeClientCertRequiredTLS13(t *testing.T) {
	srv := start(t, "client-cert-required")
	rec := run(t, probe.Options{Target: target(srv.Port)}, 5*time.Second)
	a := rec.Primary()
	if a.CertificateRequest == nil {
		t.Fatal("CertificateRequest not recorded")
	}
	if got := a.CertificateRequest.AcceptableCAs; len(got) != 1 || got[0].Text != "CN=Example Root CA,O=Example" {
		t.Errorf("acceptable CAs = %+v", got)
	}
	if len(a.CertificateRequest.SignatureSchemes) == 0 {
		t.Error("signature schemes not recorded")
	}
	if a.ClientCertificateSent {
		t.Error("recorded a client certificate as sent, but none was given")
	}
	ph := a.PostHandshake
	if ph == nil || ph.Verdict != "rejected" {
		t.Fatalf("post-handshake = %+v, want rejected", ph)
	}
	if a.Outcome != "failed" || a.Error == nil || a.Error.Stage != probe.StagePostHandshake ||
		a.Error.Alert == nil || a.Error.Alert.Name != "certificate_required" || a.Error.Alert.Code != 116 {
		t.Errorf("error = %+v (alert %+v), want post-handshake alert certificate_required", a.Error, a.Error.Alert)
	}
}

// In TLS 1.2 the server's verdict on a missing client certificate comes
// during the handshake; no post-handshake wait happens.
func TestProbeClientCertRequiredTLS12(t *testing.T) {
	l := testLab(t)
	ln := listen(t)
	cfg := &tls.Config{
		Certificates: []tls.Certificate{l.PKI.TLSCert("leaf", "intermediate")},
		MaxVersion:   tls.VersionTLS12,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    l.PKI.Pool("root"),
	}
	go serveTLS(ln, cfg)
	rec := run(t, probe.Options{Target: target(port(ln))}, 5*time.Second)
	a := rec.Primary()
	if a.CertificateRequest == nil || a.PostHandshake != nil {
		t.Fatalf("cr=%v post=%v: want a request and no post-handshake wait", a.CertificateRequest, a.PostHandshake)
	}
	if a.Error == nil || a.Error.Stage != probe.StageHandshake || a.Error.Kind != probe.KindAlert {
		t.Fatalf("error = %+v, want a handshake alert", a.Error)
	}
	if len(a.Certificates) != 2 {
		t.Errorf("the server's chain must be recorded even when the handshake fails later; got %d", len(a.Certificates))
	}
	if len(rec.Attempts) != 1 {
		t.Errorf("a client-certificate rejection must not trigger the legacy retry; got %d attempts", len(rec.Attempts))
	}
}

func TestProbeOptionalClientCertNonHTTP(t *testing.T) {
	l := testLab(t)
	ln := listen(t)
	cfg := &tls.Config{
		Certificates: []tls.Certificate{l.PKI.TLSCert("leaf", "intermediate")},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    l.PKI.Pool("root"),
	}
	go serveTLS(ln, cfg) // completes the handshake, then waits for the client
	t0 := time.Now()
	rec := run(t, probe.Options{Target: target(port(ln))}, 5*time.Second)
	a := rec.Primary()
	if a.PostHandshake == nil || a.PostHandshake.Method != "read" || a.PostHandshake.Verdict != "no-answer" {
		t.Fatalf("post-handshake = %+v, want a bounded read with no answer", a.PostHandshake)
	}
	if a.Outcome != "ok" {
		t.Errorf("outcome %q: a server that did not object accepted us", a.Outcome)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("the verdict wait took %v; it must be short and bounded", d)
	}
}

func TestProbeOptionalClientCertHTTPS(t *testing.T) {
	l := testLab(t)
	ln := listen(t)
	cfg := &tls.Config{
		Certificates: []tls.Certificate{l.PKI.TLSCert("leaf", "intermediate")},
		ClientAuth:   tls.RequestClientCert,
	}
	srv := httpsServer(t, ln, cfg)
	_ = srv
	tg := target(port(ln))
	tg.Scheme, tg.Path = "https", "/health"
	rec := run(t, probe.Options{Target: tg}, 5*time.Second)
	ph := rec.Primary().PostHandshake
	if ph == nil || ph.Method != "http" || ph.Verdict != "accepted" || !strings.HasPrefix(ph.HTTPStatus, "HTTP/1.1 200") {
		t.Fatalf("post-handshake = %+v, want an HTTP request answered 200", ph)
	}
}

func TestProbeLegacyOnlyServer(t *testing.T) {
	srv := start(t, "tls10-only")
	rec := run(t, probe.Options{Target: target(srv.Port)}, 5*time.Second)
	a := rec.Primary()
	if a.Error == nil || a.Error.Kind != probe.KindAlert || a.Error.Alert.Name != "protocol_version" {
		t.Fatalf("primary error = %+v, want alert protocol_version", a.Error)
	}
	l := rec.Attempt(probe.PurposeLegacy)
	if l == nil || l.Outcome != "ok" || l.Version != "TLS 1.0" {
		t.Fatalf("legacy attempt = %+v, want TLS 1.0 ok", l)
	}
	if len(rec.Chain()) == 0 {
		t.Error("the chain from the legacy attempt must be available")
	}
}

func TestProbeNotTLS(t *testing.T) {
	srv := start(t, "plain-http")
	rec := run(t, probe.Options{Target: target(srv.Port)}, 5*time.Second)
	e := rec.Primary().Error
	if e == nil || e.Kind != probe.KindNotTLS || e.Protocol != "HTTP" || !bytes.HasPrefix(e.FirstBytes, []byte("HTTP/1.1 400")) {
		t.Fatalf("error = %+v, want not-tls HTTP with the first bytes", e)
	}
	if len(rec.Attempts) != 1 {
		t.Errorf("not-TLS must not be retried; got %d attempts", len(rec.Attempts))
	}
}

func TestProbeStallIsBoundedByTimeout(t *testing.T) {
	srv := start(t, "stall")
	t0 := time.Now()
	rec := run(t, probe.Options{Target: target(srv.Port)}, 700*time.Millisecond)
	if d := time.Since(t0); d > 1500*time.Millisecond {
		t.Errorf("took %v with a 700ms timeout", d)
	}
	e := rec.Primary().Error
	if e == nil || e.Kind != probe.KindTimeout || e.Stage != probe.StageHandshake {
		t.Fatalf("error = %+v, want handshake timeout", e)
	}
}

func TestProbeReset(t *testing.T) {
	srv := start(t, "reset")
	rec := run(t, probe.Options{Target: target(srv.Port)}, 5*time.Second)
	e := rec.Primary().Error
	if e == nil || e.Kind != probe.KindReset || e.Stage != probe.StageHandshake {
		t.Fatalf("error = %+v, want handshake reset", e)
	}
}

func TestProbeRefused(t *testing.T) {
	ln := listen(t)
	p := port(ln)
	ln.Close()
	rec := run(t, probe.Options{Target: target(p)}, 5*time.Second)
	e := rec.Primary().Error
	if e == nil || e.Kind != probe.KindRefused || e.Stage != probe.StageConnect {
		t.Fatalf("error = %+v, want connect refused", e)
	}
}

func TestProbeDNSFailure(t *testing.T) {
	// A resolver whose server is unreachable: a DNS-stage error, classified
	// by type, with no connection attempted.
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return nil, errors.New("no DNS server in this test")
	}}
	tg := probe.Target{Input: "api.example.test", Host: "api.example.test", Port: 443}
	rec := run(t, probe.Options{Target: tg, Resolver: r}, 5*time.Second)
	if rec.DNS.Error == nil || rec.DNS.Error.Stage != probe.StageDNS {
		t.Fatalf("dns = %+v, want a DNS error", rec.DNS)
	}
	if len(rec.Attempts) != 0 {
		t.Errorf("attempted %d connections after DNS failed", len(rec.Attempts))
	}
}

func TestProbeSNIAndALPN(t *testing.T) {
	l := testLab(t)
	ln := listen(t)
	var mu sync.Mutex
	var gotSNI []string
	cfg := &tls.Config{
		Certificates: []tls.Certificate{l.PKI.TLSCert("leaf", "intermediate")},
		NextProtos:   []string{"h2", "http/1.1"},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			mu.Lock()
			gotSNI = append(gotSNI, h.ServerName)
			mu.Unlock()
			return nil, nil
		},
	}
	go serveTLS(ln, cfg)
	tg := target(port(ln))
	tg.SNI, tg.ALPN = "api.partner.test", []string{"h2", "http/1.1"}
	// The SNI check's handshake (no SNI) is tested on its own.
	rec := run(t, probe.Options{Target: tg, SNICheck: probe.SNICheckOff}, 5*time.Second)
	if a := rec.Primary(); a.ALPN != "h2" {
		t.Errorf("ALPN = %q, want h2", a.ALPN)
	}
	rec = run(t, probe.Options{Target: target(port(ln)), NoSNI: true}, 5*time.Second)
	if rec.Target.SNI != "" || rec.Primary().Offered.SNI != "" {
		t.Errorf("--no-sni still recorded SNI %q", rec.Target.SNI)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(gotSNI) != 2 || gotSNI[0] != "api.partner.test" || gotSNI[1] != "" {
		t.Errorf("server saw SNI %q, want [api.partner.test, \"\"]", gotSNI)
	}
}

func TestProbeIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback on this machine:", err)
	}
	t.Cleanup(func() { ln.Close() })
	go serveTLS(ln, &tls.Config{Certificates: []tls.Certificate{testLab(t).PKI.TLSCert("leaf", "intermediate")}})
	tg, err := probe.ParseTarget("[::1]:" + strconv.Itoa(port(ln)))
	if err != nil {
		t.Fatal(err)
	}
	rec := run(t, probe.Options{Target: tg}, 5*time.Second)
	if a := rec.Primary(); a.Outcome != "ok" || rec.Target.SNI != "" {
		t.Errorf("outcome %q, SNI %q: want ok and no SNI for an IP", a.Outcome, rec.Target.SNI)
	}
}

// A real OpenSSL server: the record must match what it sends.
func TestProbeOpenSSLServer(t *testing.T) {
	l := testLab(t)
	dir := t.TempDir()
	chain := filepath.Join(dir, "chain.pem")
	ca := filepath.Join(dir, "ca.pem")
	for f, data := range map[string][]byte{chain: l.PKI.PEMBundle("intermediate"), ca: l.RootPEM()} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv, err := fixtures.StartSServer(ctx, dir, l.PKI.Get("leaf").PEM(), l.PKI.Get("leaf").KeyPEM(),
		"-cert_chain", chain, "-verify", "1", "-CAfile", ca, "-www")
	if errors.Is(err, fixtures.ErrNoOpenSSL) {
		t.Skip("openssl not installed (.ci/run installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	p := srv.Port

	rec := run(t, probe.Options{Target: target(p)}, 5*time.Second)
	a := rec.Primary()
	if a.Outcome != "ok" || a.Version != "TLS 1.3" {
		t.Fatalf("attempt = %+v / %+v", a.Outcome, a.Error)
	}
	if len(a.Certificates) != 2 || !bytes.Equal(a.Certificates[1].DER, l.PKI.Get("intermediate").Cert.Raw) {
		t.Errorf("chain from openssl: %d certs, want leaf + intermediate", len(a.Certificates))
	}
	// -verify 1 asks for (but does not require) a client certificate and
	// names the CAs from -CAfile.
	if a.CertificateRequest == nil || len(a.CertificateRequest.AcceptableCAs) != 1 || a.CertificateRequest.AcceptableCAs[0].Text != "CN=Example Root CA,O=Example" {
		t.Errorf("certificate request from openssl = %+v", a.CertificateRequest)
	}
	if a.PostHandshake == nil || a.PostHandshake.Verdict == "rejected" {
		t.Errorf("optional client auth: post-handshake = %+v, want not rejected", a.PostHandshake)
	}
}

func TestParseTarget(t *testing.T) {
	cases := []struct {
		in         string
		host       string
		port       int
		scheme     string
		path       string
		wantErrSub string
	}{
		{in: "example.com", host: "example.com", port: 443},
		{in: "Example.COM.", host: "example.com", port: 443},
		{in: "example.com:8443", host: "example.com", port: 8443},
		{in: "[::1]:443", host: "::1", port: 443},
		{in: "::1", host: "::1", port: 443},
		{in: "10.0.0.5", host: "10.0.0.5", port: 443},
		{in: "https://api.partner.com:8443/health?x=1", host: "api.partner.com", port: 8443, scheme: "https", path: "/health?x=1"},
		{in: "https://api.partner.com", host: "api.partner.com", port: 443, scheme: "https", path: "/"},
		{in: "http://example.com", wantErrSub: "plain http://"},
		{in: "example.com:99999", wantErrSub: "port"},
		{in: "example.com:https", wantErrSub: "port"},
		{in: "", wantErrSub: "empty"},
		{in: "exa mple.com", wantErrSub: "not a host"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := probe.ParseTarget(c.in)
			if c.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErrSub) {
					t.Fatalf("err = %v, want it to mention %q", err, c.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Host != c.host || got.Port != c.port || got.Scheme != c.scheme || got.Path != c.path {
				t.Errorf("got %+v", got)
			}
			if got.ConnectHost != got.Host || got.ConnectPort != got.Port {
				t.Errorf("connect address %s:%d, want the target's", got.ConnectHost, got.ConnectPort)
			}
		})
	}
}

func TestParseConnectTo(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.5:8443":                     "10.0.0.5 8443",
		"10.0.0.5":                          "10.0.0.5 443",
		"[::1]:9443":                        "::1 9443",
		"backend.internal":                  "backend.internal 443",
		"api.partner.com:443:10.0.0.7:8443": "10.0.0.7 8443",
	} {
		h, p, err := probe.ParseConnectTo(in, 443)
		if err != nil || h+" "+strconv.Itoa(p) != want {
			t.Errorf("ParseConnectTo(%q) = %s %d, %v; want %s", in, h, p, err, want)
		}
	}
	if _, _, err := probe.ParseConnectTo("host:0", 443); err == nil {
		t.Error("port 0 accepted")
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{`:            "not valid JSON",
		`[]`:           "not a tlsdoctor record",
		`{"tool":"x"}`: "record_version is missing",
		`{"record_version":99,"target":{"host":"a"}}`: "unsupported record_version 99",
		`{"record_version":1}`:                        "target.host is missing",
	} {
		_, err := probe.DecodeRecord([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("DecodeRecord(%s) = %v, want %q", in, err, want)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/records/*.json")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"record_version":1,"target":{"host":"a"},"attempts":[{"certificates":[{"der":"AAAA"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := probe.DecodeRecord(data)
		if err == nil && rec.Target.Host == "" {
			t.Fatal("accepted a record without a host")
		}
	})
}

// helpers

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// serveTLS completes handshakes and then holds the connection open
// without writing, until the client goes away.
func serveTLS(ln net.Listener, cfg *tls.Config) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			tc := tls.Server(c, cfg)
			if tc.Handshake() != nil {
				return
			}
			buf := make([]byte, 1024)
			for {
				if _, err := tc.Read(buf); err != nil {
					return
				}
			}
		}()
	}
}

// Every fixture scenario gives a record with the expected shape.
func TestProbeEveryScenario(t *testing.T) {
	want := map[string]struct {
		outcome string
		certs   int
		kind    probe.ErrorKind
	}{
		"good":                     {"ok", 2, ""},
		"wrong-host":               {"ok", 2, ""},
		"expired":                  {"ok", 2, ""},
		"not-yet-valid":            {"ok", 2, ""},
		"self-signed":              {"ok", 1, ""},
		"untrusted-root":           {"ok", 2, ""},
		"missing-intermediate":     {"ok", 1, ""},
		"wrong-order":              {"ok", 3, ""},
		"client-cert-required":     {"failed", 2, probe.KindAlert},
		"tls10-only":               {"failed", 2, probe.KindAlert}, // the chain comes from the retry
		"sha1-signatures":          {"failed", 2, probe.KindAlert}, // the chain comes from the all-suites hello
		"plain-http":               {"failed", 0, probe.KindNotTLS},
		"stall":                    {"failed", 0, probe.KindTimeout},
		"reset":                    {"failed", 0, probe.KindReset},
		"garbage":                  {"failed", 0, probe.KindNotTLS},
		"revoked":                  {"ok", 2, ""},
		"stale-staple":             {"ok", 2, ""},
		"must-staple-missing":      {"ok", 2, ""},
		"revocation-unknown":       {"ok", 2, ""},
		"client-auth-optional":     {"ok", 2, ""},
		"missing-intermediate-aia": {"ok", 1, ""},
		"root-in-chain":            {"ok", 3, ""},
		"extra-cert":               {"ok", 3, ""},
		"expired-intermediate":     {"ok", 2, ""},
		"expiring-soon":            {"ok", 2, ""},
		"weak-key":                 {"ok", 2, ""},
		"sha1":                     {"ok", 2, ""},
		"no-san":                   {"ok", 2, ""},
		"eku-client-only":          {"ok", 2, ""},
		"not-a-ca":                 {"ok", 3, ""},
		"ca-false":                 {"ok", 3, ""},
		"path-length":              {"ok", 3, ""},
		"cbc-rsa-only":             {"failed", 2, probe.KindAlert}, // the chain comes from the retry
		"dhe-1024":                 {"failed", 2, probe.KindAlert}, // the chain comes from the all-suites hello
		"dh-composite":             {"failed", 2, probe.KindAlert},
		"dh-small-subgroup":        {"failed", 2, probe.KindAlert},
		"client-cert-http400":      {"ok", 2, ""}, // the handshake succeeds; HTTP says 400
		"name-constraints":         {"ok", 2, ""},
		"critical-extension":       {"ok", 2, ""},
		"negative-serial":          {"failed", 2, probe.KindLocal}, // crypto/tls refuses the leaf; the chain comes from the TLS 1.2 retry's bytes
		"reversed-chain":           {"failed", 2, probe.KindLocal}, // signed with the leaf's key, checked with #0's
		"root-via-aia":             {"ok", 2, ""},
		"chain-too-large":          {"ok", 11, ""},
	}
	for _, name := range fixtures.ScenarioNames() {
		w, ok := want[name]
		if !ok {
			t.Errorf("scenario %s has no expectation here", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, name)
			rec := run(t, probe.Options{Target: target(srv.Port)}, time.Second)
			a := rec.Primary()
			if a.Outcome != w.outcome || len(rec.Chain()) != w.certs {
				t.Errorf("outcome %s with %d certs, want %s with %d", a.Outcome, len(rec.Chain()), w.outcome, w.certs)
			}
			if w.kind == "" && a.Error != nil || w.kind != "" && (a.Error == nil || a.Error.Kind != w.kind) {
				t.Errorf("error = %+v, want kind %q", a.Error, w.kind)
			}
			if _, err := json.Marshal(rec); err != nil {
				t.Errorf("record does not serialise: %v", err)
			}
		})
	}
}
