package probe

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// maxBackendConns bounds how many addresses --all-ips probes at once.
const maxBackendConns = 4

// everyAddress makes the primary handshake to every address of s at once
// (at most maxBackendConns in flight). The primary attempt is the first
// address, in resolver order, that took a TCP connection (the first
// address when none did); the others are returned as backends, in
// resolver order, with Purpose PurposeBackend.
func everyAddress(ctx context.Context, s attemptSpec) (Attempt, []Attempt) {
	out := make([]Attempt, len(s.addrs))
	sem := make(chan struct{}, maxBackendConns)
	var wg sync.WaitGroup
	for i, addr := range s.addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = Attempt{Purpose: s.purpose, Outcome: "failed", Address: addr, Error: classify(StageConnect, ctx.Err(), nil)}
				return
			}
			defer func() { <-sem }()
			one := s
			one.addrs = []string{addr}
			if i > 0 {
				// The record keeps the revocation of the primary's chain,
				// which is the first address's unless it takes no
				// connection (then fetch asks after the handshakes): the
				// other addresses start no request that nothing would use.
				one.onChain = nil
			}
			out[i] = attempt(ctx, one)
		}()
	}
	wg.Wait()
	p := 0
	for i := range out {
		if e := out[i].Error; e == nil || e.Stage != StageConnect {
			p = i
			break
		}
	}
	var backends []Attempt
	for i := range out {
		if i != p {
			out[i].Purpose = PurposeBackend
			backends = append(backends, out[i])
		}
	}
	return out[p], backends
}

// wantSNICheck says whether to make the handshake without SNI: only when
// SNI is sent, and by default only when the target is a name (an IP
// target sends a name only when --sni asks for it; --scan checks then too).
func wantSNICheck(opts Options, t Target) bool {
	if t.SNI == "" || opts.NoSNI {
		return false
	}
	switch opts.SNICheck {
	case SNICheckOff:
		return false
	case SNICheckAlways:
		return true
	}
	return !IsIP(t.Host)
}

// sniCheckTurnedOff says whether SNICheckOff left out the check a run
// by name would otherwise have made.
func sniCheckTurnedOff(opts Options, t Target) bool {
	return opts.SNICheck == SNICheckOff && t.SNI != "" && !opts.NoSNI && !IsIP(t.Host)
}

// dialBounded dials addr for an attempt, within s.connectTimeout when set.
func dialBounded(ctx context.Context, s attemptSpec, addr string) (net.Conn, *dial.Log, error) {
	if s.connectTimeout <= 0 {
		return s.dialer.Dial(ctx, addr)
	}
	dctx, cancel := context.WithTimeout(ctx, s.connectTimeout)
	defer cancel()
	c, log, err := s.dialer.Dial(dctx, addr)
	if err == nil {
		// Dial left dctx's deadline on the connection; the handshake runs
		// under ctx.
		if dl, ok := ctx.Deadline(); ok {
			_ = c.SetDeadline(dl)
		} else {
			_ = c.SetDeadline(time.Time{})
		}
	}
	return c, log, err
}

// directAttempt is the primary handshake made around the proxy: the name
// resolved here (the proxy resolved it for the primary), the connection
// direct, with the same STARTTLS exchange, SNI and ALPN, and no client
// certificate. A network that blocks direct egress makes it fail (within
// directConnectTimeout), which only means there is no second path.
func directAttempt(ctx context.Context, opts Options, primary attemptSpec) *Attempt {
	conn := opts.Connect
	conn.Proxy, conn.Env = "none", nil
	d, err := newDialer(conn, opts.Resolver, primary.target)
	if err != nil {
		return &Attempt{Purpose: PurposeDirect, Outcome: "failed", Error: &ProbeError{Stage: StageConnect, Kind: KindOther, Message: err.Error()}}
	}
	rctx, cancel := context.WithTimeout(ctx, directConnectTimeout)
	res := d.Resolve(rctx)
	cancel()
	if res.Err != nil {
		return &Attempt{Purpose: PurposeDirect, Outcome: "failed", Error: classify(StageDNS, res.Err, nil)}
	}
	s := primary
	s.purpose, s.dialer, s.addrs = PurposeDirect, d, res.Dests
	s.cert, s.noCertReason, s.noVerdictWait = nil, ReasonWithheld, true
	s.connectTimeout = directConnectTimeout
	s.onChain = nil // the proxied chain is the one whose revocation is recorded
	a := attempt(ctx, s)
	return &a
}

// ScanEveryAddress is RunScan for the primary address and, with
// --all-ips, for every backend address that took a connection
// (rec.BackendScans), all at once: at most maxBackendConns addresses are
// scanned at a time, each under opts' own limits (connections at once,
// delay), since each address is a server of its own. The wall time is
// about one scan's; the handshakes are one scan's per address.
func ScanEveryAddress(ctx context.Context, rec *Record, opts ScanOptions) {
	var todo []int
	for i, b := range rec.Backends {
		if b.Address != "" && (b.Error == nil || b.Error.Stage != StageConnect) {
			todo = append(todo, i)
		}
	}
	scans := make([]BackendScan, len(todo))
	sem := make(chan struct{}, maxBackendConns)
	var wg sync.WaitGroup
	for k, i := range todo {
		b := rec.Backends[i]
		scans[k].Address = b.Address
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				scans[k].Scan = &Scan{Incomplete: true, Errors: []string{"not scanned: " + ctx.Err().Error()}}
				return
			}
			defer func() { <-sem }()
			// RunScan scans the primary attempt's address: give it a record
			// whose primary is this backend.
			b.Purpose = PurposePrimary
			sub := &Record{Target: rec.Target, Attempts: []Attempt{b}}
			RunScan(ctx, sub, opts)
			scans[k].Scan = sub.Scan
		}()
	}
	RunScan(ctx, rec, opts)
	wg.Wait()
	if len(scans) > 0 {
		rec.BackendScans = scans
	}
}
