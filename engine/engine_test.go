package engine_test

import (
	"context"
	"crypto/x509"
	"net"
	"slices"
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
