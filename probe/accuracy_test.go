package probe_test

import (
	"bytes"
	"crypto/tls"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// The all-suites hello records the server's DH parameters (p, g) from its
// ServerKeyExchange, so that the checks can judge the group.
func TestProbeRecordsDHParams(t *testing.T) {
	for name, grp := range map[string]func() fixtures.DHGroup{"dh-composite": fixtures.CompositeDHGroup, "dhe-1024": fixtures.WeakDHGroup} {
		t.Run(name, func(t *testing.T) {
			srv := start(t, name)
			rec := run(t, probe.Options{Target: target(srv.Port)}, 10*time.Second)
			a := rec.Attempt(probe.PurposeAllSuites)
			if a == nil || a.Outcome != "server-hello" || a.DH == nil {
				t.Fatalf("all-suites attempt = %+v, want a DHE answer with its group", a)
			}
			g := grp()
			if a.DH.Bits != g.P.BitLen() || !bytes.Equal(a.DH.Prime, g.P.Bytes()) || new(big.Int).SetBytes(a.DH.Generator).Cmp(g.G) != 0 {
				t.Errorf("recorded group %d bits, p %x…, g %x; want the server's", a.DH.Bits, a.DH.Prime[:8], a.DH.Generator)
			}
			if len(a.Offered.Suites) == 0 {
				t.Error("the all-suites attempt does not record what it offered")
			}
		})
	}
}

// When the legacy retry connects with a suite the primary attempt did not
// offer, one all-suites hello at that version tells what else the server
// takes; its offer is recorded.
func TestProbeAllSuitesAfterLegacyRetry(t *testing.T) {
	srv := start(t, "cbc-rsa-only")
	rec := run(t, probe.Options{Target: target(srv.Port)}, 10*time.Second)
	l := rec.Attempt(probe.PurposeLegacy)
	if l == nil || l.Outcome != "ok" || len(l.Offered.Suites) == 0 {
		t.Fatalf("legacy attempt = %+v, want a success that records its suites", l)
	}
	a := rec.Attempt(probe.PurposeAllSuites)
	if a == nil || a.Outcome != "server-hello" || a.Offered.MaxVersion != l.Version {
		t.Fatalf("all-suites attempt = %+v, want an answer at %s", a, l.Version)
	}
	if n := len(rec.Attempts); n != 3 {
		t.Errorf("%d attempts, want primary, legacy and all-suites", n)
	}
}

// An HTTP server that judges the client certificate in its HTTP layer
// (nginx ssl_verify_client on) is asked on any port: its 400 is recorded
// whether ALPN, the scheme and the port said HTTP or not (issue 10, item 5).
func TestProbeAsksHTTPOnAnyPort(t *testing.T) {
	srv := start(t, "client-cert-http400")
	for _, v := range []struct {
		name string
		max  uint16
	}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}} {
		t.Run(v.name, func(t *testing.T) {
			tg := target(srv.Port) // localhost:PORT, no scheme, no ALPN
			rec := run(t, probe.Options{Target: tg, MaxVersion: v.max}, 10*time.Second)
			ph := rec.Primary().PostHandshake
			if ph == nil || !strings.Contains(ph.HTTPStatus, " 400") || !ph.HTTPProbe {
				t.Fatalf("post-handshake = %+v, want the HTTP 400 found by an HTTP probe", ph)
			}
		})
	}
	t.Run("ALPN h2", func(t *testing.T) {
		tg := target(srv.Port)
		tg.ALPN = []string{"h2", "http/1.1"}
		rec := run(t, probe.Options{Target: tg}, 10*time.Second)
		a := rec.Primary()
		if a.ALPN != "h2" || a.PostHandshake == nil || a.PostHandshake.HTTPStatus != "HTTP/2.0 400 Bad Request" {
			t.Fatalf("ALPN %q, post-handshake = %+v, want an HTTP/2 request answered 400", a.ALPN, a.PostHandshake)
		}
	})
}

// A TLS 1.2 service that is not HTTP gets one probing request; no HTTP
// answer is "not-http", never a verdict on the certificate.
func TestProbeHTTPProbeOnNonHTTPService(t *testing.T) {
	l := testLab(t)
	ln := listen(t)
	cfg := &tls.Config{
		Certificates: []tls.Certificate{l.PKI.TLSCert("leaf", "intermediate")},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    l.PKI.Pool("root"),
		MaxVersion:   tls.VersionTLS12,
	}
	go serveTLS(ln, cfg)
	rec := run(t, probe.Options{Target: target(port(ln))}, 5*time.Second)
	a := rec.Primary()
	if a.Outcome != "ok" || a.PostHandshake == nil || a.PostHandshake.Verdict != "not-http" || !a.PostHandshake.HTTPProbe {
		t.Fatalf("outcome %s, post-handshake %+v: want ok and not-http", a.Outcome, a.PostHandshake)
	}
}
