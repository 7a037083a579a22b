package probe_test

import (
	"context"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// TestHostsCapHoldsAcrossScans: three scans of three ports on one host,
// each allowed four connections, share a Hosts of two: the listeners never
// see more than two open at once (one more for the moment a close takes to
// reach the server). Without the shared Hosts they see many more.
func TestHostsCapHoldsAcrossScans(t *testing.T) {
	for _, tt := range []struct {
		name  string
		hosts *probe.Hosts
		ok    func(peak int) bool
	}{
		// The listener counts a connection until it notices our close, so a
		// capped run may show one or two more than the cap (as in fleet).
		{"shared", probe.NewHosts(2), func(p int) bool { return p <= 4 }},
		{"unshared", nil, func(p int) bool { return p > 4 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lab := fixtures.TestLab(t, time.Now())
			var c fixtures.ConnCounter
			var wg sync.WaitGroup
			for range 3 {
				srv, err := lab.StartCounted("good", &c)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(srv.Close)
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					target := probe.Target{Input: srv.Addr, Host: "localhost", Port: srv.Port, ConnectHost: "127.0.0.1", ConnectPort: srv.Port}
					rec, err := probe.Run(ctx, probe.Options{Target: target, Hosts: tt.hosts})
					if err != nil {
						t.Error(err)
						return
					}
					probe.RunScan(ctx, rec, probe.ScanOptions{MaxConns: 4, Hosts: tt.hosts})
					if rec.Scan.Incomplete {
						t.Errorf("scan incomplete: %v", rec.Scan.Errors)
					}
				}()
			}
			wg.Wait()
			t.Logf("peak %d of %d connections", c.Peak(), c.Total())
			if !tt.ok(c.Peak()) {
				t.Errorf("peak %d connections open at once over %d", c.Peak(), c.Total())
			}
		})
	}
}

// TestFetchCacheSharedAcrossProbes: two probes of servers under the same
// intermediate, sharing a FetchCache, ask the intermediate's responder
// once; the second records the answer as cached. A probe whose context
// ended leaves nothing in the cache.
func TestFetchCacheSharedAcrossProbes(t *testing.T) {
	lab := fixtures.TestLab(t, time.Now())
	cache := probe.NewFetchCache()
	var recs []*probe.Record
	for range 2 {
		srv, err := lab.Start("good")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		target := probe.Target{Input: srv.Addr, Host: "localhost", Port: srv.Port, ConnectHost: "127.0.0.1", ConnectPort: srv.Port}
		before := lab.Responder.Requests()
		rec, err := probe.Run(ctx, probe.Options{Target: target, Revocation: probe.RevocationOptions{Mode: probe.RevocationFull, Issuers: []*x509.Certificate{lab.PKI.Get("root").Cert}, Cache: cache}})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		rec.DurationMS = float64(lab.Responder.Requests() - before) // requests this probe caused
		recs = append(recs, rec)
	}
	if recs[0].DurationMS == 0 {
		t.Fatalf("the first probe asked no responder: %+v", recs[0].Revocation)
	}
	if recs[1].DurationMS != 0 {
		t.Errorf("the second probe made %v responder requests, want 0 (all cached)", recs[1].DurationMS)
	}
	fetches := recs[1].Revocation.Fetches
	if len(fetches) == 0 {
		t.Fatal("the second probe recorded no fetch")
	}
	for _, f := range fetches {
		if !f.Cached {
			t.Errorf("fetch %s %s not marked cached", f.Source, f.URL)
		}
	}
}
