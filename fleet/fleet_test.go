package fleet_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/fleet"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

type lab struct {
	*fixtures.Lab
	t     *testing.T
	store checks.Truststore
}

func newLab(t *testing.T) *lab {
	l := fixtures.TestLab(t, time.Now())
	return &lab{Lab: l, t: t, store: checks.NewTruststore("lab", []*x509.Certificate{l.PKI.Get("root").Cert})}
}

// job starts scenario (counted by c when set) and returns a job for it.
func (l *lab) job(scenario string, c *fixtures.ConnCounter, scan bool, timeout time.Duration) fleet.Job {
	srv, err := l.StartCounted(scenario, c)
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(srv.Close)
	return l.jobAt(srv.Port, scan, timeout)
}

func (l *lab) jobAt(port int, scan bool, timeout time.Duration) fleet.Job {
	target := probe.Target{Input: fmt.Sprintf("localhost:%d", port), Host: "localhost", Port: port, ConnectHost: "127.0.0.1", ConnectPort: port}
	req := engine.Request{
		// No extra handshake without SNI: the tests count connections.
		Probe:   probe.Options{Target: target, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}, SNICheck: probe.SNICheckOff},
		Timeout: timeout,
		Judge:   engine.Judgement{Stores: []checks.Truststore{l.store}},
	}
	if scan {
		req.Scan = &probe.ScanOptions{MaxConns: 4}
	}
	return fleet.Job{Key: target.Input, Request: req}
}

// TestDuplicatesProbedOnce: a target given three times is one diagnosis,
// one connection, reported once with every position it was given at.
func TestDuplicatesProbedOnce(t *testing.T) {
	l := newLab(t)
	var c fixtures.ConnCounter
	j := l.job("good", &c, false, 5*time.Second)
	other := l.job("expired", nil, false, 5*time.Second)
	outs, interrupted := fleet.Run(context.Background(), []fleet.Job{j, other, j, j}, fleet.Options{}, nil)
	if interrupted || len(outs) != 2 {
		t.Fatalf("%d outcomes (interrupted %v), want 2", len(outs), interrupted)
	}
	if got := fmt.Sprint(outs[0].Indexes); got != "[0 2 3]" {
		t.Errorf("the duplicate's positions are %s, want [0 2 3]", got)
	}
	if c.Total() != 1 {
		t.Errorf("the server saw %d connections, want 1", c.Total())
	}
}

// TestPerHostCapAcrossTargets: five scanning targets on one host, each
// allowed --max-conns 4, with a per-host cap of 2: the listeners (counted
// together) never see more than 2 open at once, plus two for the moments
// a server takes to notice a client's close (it counts a connection until
// its own read sees the FIN, which lags the client's release under load). The same run without the shared cap
// (each target on its own) opens many more: the test can fail.
func TestPerHostCapAcrossTargets(t *testing.T) {
	l := newLab(t)
	var c fixtures.ConnCounter
	var jobs []fleet.Job
	for range 5 {
		jobs = append(jobs, l.job("good", &c, true, 30*time.Second))
	}
	outs, _ := fleet.Run(context.Background(), jobs, fleet.Options{MaxConnsPerHost: 2}, nil)
	if len(outs) != 5 {
		t.Fatalf("%d outcomes, want 5", len(outs))
	}
	for _, o := range outs {
		if sc := o.Result.Record.Scan; sc == nil || sc.Incomplete {
			t.Fatalf("%s: scan missing or incomplete: %+v", o.Key, sc)
		}
	}
	t.Logf("capped: peak %d of %d connections", c.Peak(), c.Total())
	if c.Peak() > 4 {
		t.Errorf("peak %d connections open at once on the host, want at most 2 (+2)", c.Peak())
	}

	// Control: the same load without a shared cap.
	var free fixtures.ConnCounter
	var wg sync.WaitGroup
	for range 5 {
		j := l.job("good", &free, true, 30*time.Second)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fleet.Run(context.Background(), []fleet.Job{j}, fleet.Options{MaxConnsPerHost: 16}, nil)
		}()
	}
	wg.Wait()
	t.Logf("uncapped: peak %d of %d connections", free.Peak(), free.Total())
	if free.Peak() <= 4 {
		t.Errorf("uncapped control peaked at %d: the test cannot tell a cap from none", free.Peak())
	}
}

// TestFailureDoesNotSlowOthers: targets that stall, reset, refuse or
// answer garbage do not delay the good ones: each good target finishes in
// well under the stalled one's timeout, and every target has an outcome.
func TestFailureDoesNotSlowOthers(t *testing.T) {
	l := newLab(t)
	const timeout = 3 * time.Second
	jobs := []fleet.Job{l.job("stall", nil, false, timeout), l.job("reset", nil, false, timeout), l.job("garbage", nil, false, timeout)}
	jobs = append(jobs, l.jobAt(closedPort(t), false, timeout))
	for range 4 {
		jobs = append(jobs, l.job("good", nil, false, timeout))
	}
	var mu sync.Mutex
	var order []string
	outs, _ := fleet.Run(context.Background(), jobs, fleet.Options{Parallel: 4}, func(o fleet.Outcome) {
		mu.Lock()
		order = append(order, o.Key)
		mu.Unlock()
	})
	if len(outs) != len(jobs) {
		t.Fatalf("%d outcomes for %d targets", len(outs), len(jobs))
	}
	for _, o := range outs[4:] {
		if o.Err != nil || len(o.Result.Findings) != 0 {
			t.Errorf("good target %s: err %v, findings %v", o.Key, o.Err, o.Result.Findings)
		}
		if o.Duration > timeout/2 {
			t.Errorf("good target %s took %v, as if it waited for the stalled one", o.Key, o.Duration)
		}
	}
	if stalled := outs[0]; stalled.Duration < timeout/2 || checks.Worst(stalled.Result.Findings) != checks.Error {
		t.Errorf("stalled target: %v, findings %v", stalled.Duration, stalled.Result.Findings)
	}
	if order[len(order)-1] != jobs[0].Key {
		t.Errorf("finish order %v: the stalled target should finish last", order)
	}
}

// TestInterruptReturnsWhatFinished: cancelling the run stops it at once;
// what finished before is returned, the stalled diagnosis in flight is
// dropped.
func TestInterruptReturnsWhatFinished(t *testing.T) {
	l := newLab(t)
	jobs := []fleet.Job{l.job("good", nil, false, 30*time.Second), l.job("stall", nil, false, 30*time.Second)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(500 * time.Millisecond)
		cancel()
	}()
	t0 := time.Now()
	outs, interrupted := fleet.Run(ctx, jobs, fleet.Options{}, nil)
	if took := time.Since(t0); took > 3*time.Second {
		t.Errorf("the interrupted run took %v", took)
	}
	if !interrupted || len(outs) != 1 || outs[0].Key != jobs[0].Key {
		t.Errorf("interrupted=%v, %d outcomes; want the good target alone", interrupted, len(outs))
	}
}

func closedPort(t *testing.T) int {
	t.Helper()
	s, err := fixtures.FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	var port int
	if _, err := fmt.Sscanf(s[len("127.0.0.1:"):], "%d", &port); err != nil {
		t.Fatal(err)
	}
	return port
}
