// Package engine runs one diagnosis of one target: the probe (handshakes,
// AIA downloads, revocation fetches), the scan when one is asked for, and
// the checks, and returns the record with its findings and trust verdicts.
//
// The command line, the many-target mode and the exporter all diagnose
// through Diagnose; they differ only in how targets come in and how results
// go out. The engine reads no flags and no files, prints nothing, writes
// nothing and holds no state between calls: the caller loads truststores
// and identities, and renders the Result.
package engine

import (
	"context"
	"crypto/x509"
	"errors"
	"sort"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/policy"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Request is one diagnosis to run.
type Request struct {
	// Probe says what to connect to and how. Probe.Target is required;
	// Probe.Now, when nil, is time.Now.
	Probe probe.Options
	// Scan, when set, enumerates protocols and ciphers after the default
	// run (--scan, --client, --policy).
	Scan *probe.ScanOptions
	// Timeout bounds the whole diagnosis (probe, scan, fetches); zero
	// leaves the caller's context as the only bound.
	Timeout time.Duration
	// Judge says how to judge the record.
	Judge Judgement
	// Trust, when set, loads the truststores while the probe runs, so
	// that the handshake does not wait for them: Diagnose calls it at
	// once in a goroutine of its own and waits for it only where stores
	// are needed (as trust anchors once the handshakes are over, and to
	// judge). What it returns replaces Judge.Stores and Judge.Recorded;
	// its error is Diagnose's, returned when the probe is done.
	Trust func() (Trust, error)
	// Progress, when set, is told what the diagnosis is doing, for a
	// verbose run; it must not block.
	Progress func(Event)
}

// Judgement is what the checks need besides the record.
type Judgement struct {
	// Stores are the truststores to judge against, the first being the one
	// the user's client is taken to use.
	Stores []checks.Truststore
	// Recorded is how Stores are written into the record, so that an
	// offline diagnosis judges with the same trust (named stores by name,
	// files with their certificates).
	Recorded []probe.RecordedTruststore
	// WarnDays is the expiry warning window (0 means 30, negative off).
	WarnDays int
	// Client and Policy are --client / --policy, or nil.
	Client *checks.ClientProfile
	Policy *checks.Policy
	// Name overrides the name the certificate must cover (empty: the SNI
	// sent, else the target host).
	Name string
	// Rules is the --policy-file (and --ignore) policy, or nil: its rules
	// add policy-violation findings, its ignores take findings out.
	Rules *policy.Policy
}

// Trust is what Request.Trust loads.
type Trust struct {
	Stores   []checks.Truststore
	Recorded []probe.RecordedTruststore
}

// Env is the checks' environment for judging at now.
func (j Judgement) Env(now time.Time) checks.Env {
	return checks.Env{Now: now, Truststores: j.Stores, Name: j.Name, WarnDays: j.WarnDays, Client: j.Client, Policy: j.Policy}
}

// Event is a step of a diagnosis, for progress output.
type Event struct {
	// Stage is "probe", "scan" or "judge"; Done is false when the stage
	// starts and true when it ends.
	Stage string
	Done  bool
	// Record is the record so far (nil when the probe starts).
	Record *probe.Record
}

// Result is a finished diagnosis.
type Result struct {
	Record   *probe.Record
	Findings []checks.Finding
	// Trust is the chain's verdict per truststore.
	Trust []checks.StoreVerdict
	// Env is the environment the checks judged with (its Now is the
	// clock of the judgement).
	Env checks.Env
	// Ignored are the findings the policy's ignores accepted: not in
	// Findings, not in the exit code, still reported.
	Ignored []policy.Ignored
	// Input is what the checks computed on the way (the parsed chain, the
	// trust paths, the revocation verdicts), for callers that report more
	// than the findings (the exporter's metrics) without computing it
	// again. It is not safe for concurrent use.
	Input *checks.Input
}

// Worst is the highest severity among the findings, or 0.
func (r *Result) Worst() checks.Severity { return checks.Worst(r.Findings) }

// CouldNotProbe is true when no TCP connection was made at all: the name
// did not resolve, every connection attempt failed, or the proxy gave no
// tunnel.
func (r *Result) CouldNotProbe() bool {
	rec := r.Record
	if rec.DNS.Error != nil {
		return true
	}
	a := rec.Primary()
	return a == nil || (a.Error != nil && (a.Error.Stage == probe.StageConnect || a.Error.Stage == probe.StageProxy))
}

// Diagnose probes the target, scans it when asked, and judges the record.
// It returns a Result in every case the options allow (a server that
// cannot be reached is a finding, not an error); err is non-nil only for
// unusable options.
func Diagnose(ctx context.Context, req Request) (*Result, error) {
	if req.Probe.Target.Host == "" {
		return nil, errors.New("engine: no target host")
	}
	now := req.Probe.Now
	if now == nil {
		now = time.Now
	}
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.Timeout)
		defer cancel()
	}
	progress := req.Progress
	if progress == nil {
		progress = func(Event) {}
	}
	popts := req.Probe
	popts.Now = now
	var trust Trust
	var trustErr error
	trustDone := make(chan struct{})
	if req.Trust == nil {
		close(trustDone)
	} else {
		go func() {
			defer close(trustDone)
			trust, trustErr = req.Trust()
		}()
		given := popts.Anchors
		popts.Anchors = func(ctx context.Context) []*x509.Certificate {
			var out []*x509.Certificate
			if given != nil {
				out = given(ctx)
			}
			select {
			case <-trustDone:
			case <-ctx.Done():
				return out
			}
			for _, s := range trust.Stores {
				out = append(out, s.Certs...)
			}
			return out
		}
	}
	progress(Event{Stage: "probe"})
	rec, err := probe.Run(ctx, popts)
	if err != nil {
		return nil, err
	}
	<-trustDone
	if trustErr != nil {
		return nil, trustErr
	}
	if req.Trust != nil {
		req.Judge.Stores, req.Judge.Recorded = trust.Stores, trust.Recorded
	}
	progress(Event{Stage: "probe", Done: true, Record: rec})
	if req.Scan != nil {
		progress(Event{Stage: "scan", Record: rec})
		probe.ScanEveryAddress(ctx, rec, *req.Scan)
		progress(Event{Stage: "scan", Done: true, Record: rec})
	}
	rec.Truststores = req.Judge.Recorded
	return Judge(rec, req.Judge, now()), nil
}

// Judge runs the checks on a record, live or saved, at now.
func Judge(rec *probe.Record, j Judgement, now time.Time) *Result {
	env := j.Env(now)
	in := checks.NewInput(rec, env)
	res := &Result{
		Record:   rec,
		Findings: checks.RunInput(in),
		Trust:    checks.StoreVerdicts(in),
		Env:      env,
		Input:    in,
	}
	if j.Rules != nil {
		fs := append(res.Findings, j.Rules.Check(in, res.Findings)...)
		res.Findings, res.Ignored = j.Rules.Apply(fs, rec.Target, now)
		sort.SliceStable(res.Findings, func(a, b int) bool { return res.Findings[a].Severity > res.Findings[b].Severity })
	}
	return res
}

// AnchorSubjects are the raw subjects of every store's certificates, so
// that the probe does not download issuers the client already has.
func AnchorSubjects(stores []checks.Truststore) [][]byte {
	var out [][]byte
	for _, s := range stores {
		for _, c := range s.Certs {
			out = append(out, c.RawSubject)
		}
	}
	return out
}

// Revocation is the probe's revocation setting for mode, with the stores'
// certificates offered as issuers of certificates whose issuer the server
// does not send.
func Revocation(mode string, stores []checks.Truststore) probe.RevocationOptions {
	o := probe.RevocationOptions{Mode: mode}
	for _, s := range stores {
		o.Issuers = append(o.Issuers, s.Certs...)
	}
	return o
}
