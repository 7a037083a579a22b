// Package fleet runs many diagnoses at once: the many-target mode of the
// command line (and anything else that has a list of targets). It owns
// the concurrency across targets (at most Options.Parallel diagnoses at
// once), deduplication (jobs with the same key are diagnosed once), the
// resources a run shares between its diagnoses (one per-host connection
// cap for every scan of the same host, one cache of OCSP/CRL/AIA
// answers), cancellation (an interrupted run returns what finished), and
// the stream of results as each diagnosis finishes.
//
// Each diagnosis is an engine.Diagnose, isolated from the others: its own
// timeout, its own failure. fleet reads no flags and no files, prints
// nothing and judges nothing: the caller builds the requests (one per
// target, with its own options) and renders the outcomes.
package fleet

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// DefaultParallel is how many diagnoses run at once by default: sized for
// a laptop on a far-away network, where a diagnosis is mostly waiting.
const DefaultParallel = 32

// DefaultMaxConnsPerHost is the per-host connection cap of scanning
// diagnoses when Options.MaxConnsPerHost is zero: --scan's --max-conns
// default.
const DefaultMaxConnsPerHost = 4

// Job is one diagnosis to run.
type Job struct {
	// Key identifies the diagnosis: jobs with equal keys are diagnosed
	// once and share the outcome (a target given twice is probed once).
	// The caller builds it from the target and every option that changes
	// the diagnosis.
	Key     string
	Request engine.Request
}

// Options say how to run the jobs.
type Options struct {
	// Parallel is the most diagnoses running at once; 0 means
	// DefaultParallel.
	Parallel int
	// MaxConnsPerHost caps the connections open at once to one host (an
	// IP address) across every scanning diagnosis of the run; 0 means
	// DefaultMaxConnsPerHost. Diagnoses without a scan make one
	// connection at a time and are not capped.
	MaxConnsPerHost int
	// Started, when set, is told when a diagnosis starts (key, position
	// of its first job). It is called from the diagnosis's goroutine and
	// must not block.
	Started func(key string, index int)
}

// Outcome is a finished diagnosis.
type Outcome struct {
	// Index is the position of the first job with this key; Indexes are
	// the positions of every job with it, in order.
	Index   int
	Indexes []int
	Key     string
	// Result is the diagnosis; nil when Err is set.
	Result *engine.Result
	// Err is set when the diagnosis could not run: unusable options, or
	// an internal error (a panic, reported here instead of stopping the
	// run).
	Err error
	// Duration is the wall time of the diagnosis.
	Duration time.Duration
}

// Run diagnoses the jobs, at most Options.Parallel at once, and calls
// done (when set) with each outcome as it finishes, one call at a time,
// in the order they finish. It returns the outcomes that finished, in the
// order of the jobs' first appearance.
//
// When ctx ends, no diagnosis is started, those in flight are cancelled,
// and their outcomes are dropped: Run returns only what finished before,
// and interrupted is true.
func Run(ctx context.Context, jobs []Job, o Options, done func(Outcome)) (outcomes []Outcome, interrupted bool) {
	parallel := o.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	perHost := o.MaxConnsPerHost
	if perHost <= 0 {
		perHost = DefaultMaxConnsPerHost
	}
	hosts := probe.NewHosts(perHost)
	cache := probe.NewFetchCache()
	// Each diagnosis keeps its own HTTP client for OCSP, CRL and AIA
	// fetches: the probe's, which applies the fetch policy for URLs taken
	// from certificates and the target's proxy. The answers are shared
	// through the cache, so a responder is still asked once per run.

	// Group jobs by key, in order of first appearance.
	var uniq []*Outcome
	reqs := map[string]engine.Request{}
	byKey := map[string]*Outcome{}
	for i, j := range jobs {
		if oc := byKey[j.Key]; oc != nil {
			oc.Indexes = append(oc.Indexes, i)
			continue
		}
		oc := &Outcome{Index: i, Indexes: []int{i}, Key: j.Key}
		byKey[j.Key] = oc
		uniq = append(uniq, oc)
		reqs[j.Key] = share(j.Request, hosts, cache)
	}

	finished := make([]bool, len(uniq))
	var mu sync.Mutex // serialises done and finished
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, oc := range uniq {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if o.Started != nil {
				o.Started(oc.Key, oc.Index)
			}
			t0 := time.Now()
			oc.Result, oc.Err = diagnose(ctx, reqs[oc.Key])
			oc.Duration = time.Since(t0)
			if ctx.Err() != nil {
				return // cut short by the interrupt: not finished
			}
			mu.Lock()
			defer mu.Unlock()
			finished[i] = true
			if done != nil {
				done(*oc)
			}
		}()
	}
	wg.Wait()
	for i, oc := range uniq {
		if finished[i] {
			outcomes = append(outcomes, *oc)
		}
	}
	return outcomes, ctx.Err() != nil
}

// share gives a request the run's shared resources: the revocation and
// AIA cache always, the per-host cap when it scans.
func share(req engine.Request, hosts *probe.Hosts, cache *probe.FetchCache) engine.Request {
	if req.Probe.Revocation.Cache == nil {
		req.Probe.Revocation.Cache = cache
	}
	if req.Scan != nil {
		sc := *req.Scan
		if sc.Hosts == nil {
			sc.Hosts = hosts
		}
		req.Scan = &sc
		if req.Probe.Hosts == nil {
			req.Probe.Hosts = sc.Hosts
		}
	}
	return req
}

// diagnose runs one diagnosis; a panic becomes this target's error, not
// the run's end.
func diagnose(ctx context.Context, req engine.Request) (res *engine.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("internal error diagnosing %s (please report it): %v\n%s", req.Probe.Target.Input, p, debug.Stack())
		}
	}()
	return engine.Diagnose(ctx, req)
}
