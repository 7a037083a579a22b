package engine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

func labTarget(port int) probe.Target {
	return probe.Target{Input: fixtures.Host, Host: fixtures.Host, Port: port, ConnectHost: "127.0.0.1", ConnectPort: port}
}

// TestDiagnose runs whole diagnoses through the engine: a good server has
// no finding and records the truststore it was judged with; an expired one
// has cert-expired; a port nobody listens on could not be probed.
func TestDiagnose(t *testing.T) {
	now := time.Now()
	lab := fixtures.TestLab(t, now)
	store := checks.NewTruststore("lab", []*x509.Certificate{lab.PKI.Get("root").Cert})
	judge := engine.Judgement{Stores: []checks.Truststore{store}, Recorded: []probe.RecordedTruststore{{Name: "lab"}}}
	diagnose := func(port int) *engine.Result {
		t.Helper()
		var stages []string
		res, err := engine.Diagnose(context.Background(), engine.Request{
			Probe:    probe.Options{Target: labTarget(port), Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}},
			Timeout:  5 * time.Second,
			Judge:    judge,
			Scan:     &probe.ScanOptions{MaxConns: 2},
			Progress: func(e engine.Event) { stages = append(stages, e.Stage) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"probe", "probe", "scan", "scan"}; !slices.Equal(stages, want) {
			t.Errorf("progress stages %v, want %v", stages, want)
		}
		return res
	}
	for name, want := range map[string]string{"good": "", "expired": "cert-expired"} {
		srv, err := lab.Start(name)
		if err != nil {
			t.Fatal(err)
		}
		res := diagnose(srv.Port)
		srv.Close()
		var ids []string
		for _, f := range res.Findings {
			if f.Severity == checks.Error {
				ids = append(ids, f.ID)
			}
		}
		if (want == "" && len(ids) > 0) || (want != "" && !slices.Contains(ids, want)) {
			t.Errorf("%s: error findings %v, want %q", name, ids, want)
		}
		if res.CouldNotProbe() || res.Record.Scan == nil || len(res.Record.Truststores) != 1 || len(res.Trust) != 1 {
			t.Errorf("%s: could-not-probe %v, scan %v, recorded stores %v, verdicts %v", name, res.CouldNotProbe(), res.Record.Scan != nil, res.Record.Truststores, res.Trust)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	if res := diagnose(port); !res.CouldNotProbe() || res.Worst() != checks.Error {
		t.Errorf("closed port: could-not-probe %v, worst %v", res.CouldNotProbe(), res.Worst())
	}
}

// askedTransport tells, once, that the first HTTP request went out.
type askedTransport struct {
	once  sync.Once
	asked chan struct{}
}

func (a *askedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	a.once.Do(func() { close(a.asked) })
	return http.DefaultTransport.RoundTrip(r)
}

// TestDiagnoseLoadsStoresWhileProbing: with Request.Trust the handshake and
// the leaf's OCSP request (its issuer was sent) go out before the stores
// have loaded; the stores then serve as the issuer of the intermediate
// (whose root the server does not send) and as the judgement's stores.
func TestDiagnoseLoadsStoresWhileProbing(t *testing.T) {
	lab := fixtures.TestLab(t, time.Now())
	// The lab's chain, without a staple, so that the leaf's responder is
	// asked.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{lab.PKI.TLSCert("leaf", "intermediate")}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
			}()
		}
	}()
	srv := struct{ Port int }{ln.Addr().(*net.TCPAddr).Port}
	tr := &askedTransport{asked: make(chan struct{})}
	probed := false
	res, err := engine.Diagnose(context.Background(), engine.Request{
		Probe: probe.Options{Target: labTarget(srv.Port),
			Revocation: probe.RevocationOptions{Mode: probe.RevocationFull, Client: &http.Client{Transport: tr}}},
		Timeout: 10 * time.Second,
		Trust: func() (engine.Trust, error) {
			select {
			case <-tr.asked:
				probed = true
			case <-time.After(5 * time.Second):
			}
			store := checks.NewTruststore("lab", []*x509.Certificate{lab.PKI.Get("root").Cert})
			return engine.Trust{Stores: []checks.Truststore{store}, Recorded: []probe.RecordedTruststore{{Name: "lab"}}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !probed {
		t.Error("no OCSP request went out while the stores were loading: the probe waited for them")
	}
	rv := res.Record.Revocation
	var idx []int
	for _, f := range rv.Fetches {
		idx = append(idx, f.CertIndex)
	}
	if !slices.Contains(idx, 0) || !slices.Contains(idx, 1) || len(rv.Issuers) != 1 {
		t.Errorf("revocation fetches for certificates %v, issuers %d: want the leaf and the intermediate, whose issuer came from the store", idx, len(rv.Issuers))
	}
	if len(res.Record.Truststores) != 1 || len(res.Trust) != 1 || len(res.Env.Truststores) != 1 {
		t.Errorf("recorded stores %v, verdicts %v: want the lab store", res.Record.Truststores, res.Trust)
	}
	for _, f := range res.Findings {
		if f.Severity == checks.Error {
			t.Errorf("finding %s: %s", f.ID, f.Title)
		}
	}
}

// A store that fails to load fails the diagnosis, as it would before it.
func TestDiagnoseTrustError(t *testing.T) {
	lab := fixtures.TestLab(t, time.Now())
	srv, err := lab.Start("good")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	_, err = engine.Diagnose(context.Background(), engine.Request{
		Probe:   probe.Options{Target: labTarget(srv.Port)},
		Timeout: 5 * time.Second,
		Trust:   func() (engine.Trust, error) { return engine.Trust{}, errors.New("no system roots") },
	})
	if err == nil || err.Error() != "no system roots" {
		t.Errorf("err = %v", err)
	}
}
