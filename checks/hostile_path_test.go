package checks_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// TestSameSubjectChainBounded: a chain of 1,300 certificates sharing one
// subject used to make the path checks quadratic in signature checks
// (over 500 s). Every check together must now finish in well under a
// second or two, with bounded memory.
func TestSameSubjectChainBounded(t *testing.T) {
	chain, _, err := fixtures.SameSubjectChain(now, 1300, "host.example.com")
	if err != nil {
		t.Fatal(err)
	}
	a := probe.Attempt{Purpose: probe.PurposePrimary, Outcome: "ok", Version: "TLS 1.3"}
	for _, der := range chain {
		a.Certificates = append(a.Certificates, probe.Certificate{DER: der})
	}
	rec := &probe.Record{RecordVersion: probe.RecordVersion, StartedAt: now,
		Target:   probe.Target{Input: "host.example.com", Host: "host.example.com", Port: 443, SNI: "host.example.com", ConnectHost: "127.0.0.1", ConnectPort: 443},
		Attempts: []probe.Attempt{a}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	fs := checks.Run(rec, env())
	checks.StoreVerdicts(checks.NewInput(rec, env()))
	elapsed := time.Since(t0)
	runtime.ReadMemStats(&after)
	if elapsed > 3*time.Second {
		t.Errorf("checks took %v on a 1,300-certificate chain, want < 3s", elapsed)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
		t.Errorf("checks allocated %d MiB, want < 256 MiB", alloc>>20)
	}
	if find(fs, "chain-too-large") == nil {
		t.Errorf("no chain-too-large finding for 1,301 certificates: %v", fs)
	}
	t.Logf("1,301-certificate chain: %v, %d findings", elapsed, len(fs))
}
