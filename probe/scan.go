package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/internal/legacytls"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// PurposeAllSuites is the default run's third attempt, made after the
// legacy-versions retry: when it failed too, one ClientHello for TLS 1.2
// offering every registered suite, including those crypto/tls cannot
// speak (DHE, CAMELLIA, ARIA, 3DES…); when it connected, the same at the
// version it got, to learn what else the server takes. The server's
// ServerHello names a suite it accepts (and, for DHE, its group); the
// handshake is not finished. Its Outcome is "server-hello".
const PurposeAllSuites = "all-suites"

// allSuitesAttempt makes the PurposeAllSuites attempt at version v.
func allSuitesAttempt(ctx context.Context, d *dial.Dialer, t Target, addr string, v uint16, hosts *Hosts) Attempt {
	a := Attempt{
		Purpose: PurposeAllSuites, Outcome: "failed", Address: addr,
		Offered: Offer{MinVersion: VersionName(v), MaxVersion: VersionName(v), SNI: t.SNI},
	}
	// Suites zcrypto can read through first, so that the answer brings
	// the chain whenever the server accepts one of them.
	suites := legacytls.Readable()
	for _, id := range ciphersuite.Scannable() {
		if !slices.Contains(ciphersuite.TLS13(), id) && !slices.Contains(suites, id) {
			suites = append(suites, id)
		}
	}
	// Every signature scheme too, so that a server that only signs with
	// SHA-1 (or DSA, MD5) answers; and every ECDHE group, so that one
	// that takes only X448 or brainpool curves does (crypto/tls offers
	// neither: otherwise its refusal looked like a refusal of everything).
	a.Offered.Groups = allSuitesGroups
	return helloAttempt(ctx, a, d, addr, legacytls.Hello{Version: v, Suites: suites, SNI: t.SNI, SigAlgs: legacytls.SigAlgs(), Groups: allSuitesGroups}, hosts)
}

// allSuitesGroups are the supported_groups of the all-suites hello:
// crypto/tls's ECDHE curves first (a server that picks by the client's
// order picks as before), then X448 and the brainpool curves. No FFDHE
// code points: an RFC 7919 server would then pick a named group for DHE
// instead of the parameters it gives other clients.
var allSuitesGroups = []uint16{29, 23, 24, 25, 30, 26, 27, 28}

// ModernSigAlgs are the TLS 1.2 signature_algorithms OpenSSL 3.0 offers at
// its default security level (measured from the ClientHello of openssl
// s_client, curl, Python and Node on OpenSSL 3.0.19), in its order. Go
// 1.26's list is a subset of it; neither offers SHA-1 or MD5.
var ModernSigAlgs = []uint16{0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602}

// PurposeModernSigAlgs is the default run's fourth attempt, made when the
// all-suites attempt got an answer signed with a legacy scheme (SHA-1,
// SHA-224, MD5): the same suite offered with only ModernSigAlgs. A refusal
// shows that the signature algorithm is what OpenSSL 3 and Go clients
// lack. Its Outcome is "server-hello" only when a signed ServerKeyExchange
// came; a server may send its ServerHello and Certificate and only then
// find nothing to sign with, which is "failed" with the alert it sent.
const PurposeModernSigAlgs = "modern-sigalgs"

func modernSigAlgsAttempt(ctx context.Context, d *dial.Dialer, t Target, addr string, suites []uint16, hosts *Hosts) Attempt {
	a := Attempt{
		Purpose: PurposeModernSigAlgs, Outcome: "failed", Address: addr,
		Offered: Offer{MinVersion: "TLS 1.2", MaxVersion: "TLS 1.2", SNI: t.SNI},
	}
	a = helloAttempt(ctx, a, d, addr, legacytls.Hello{Version: tls.VersionTLS12, Suites: suites, SNI: t.SNI, SigAlgs: ModernSigAlgs}, hosts)
	if a.Outcome == "server-hello" && a.SigAlgID == 0 {
		a.Outcome = "failed"
	}
	return a
}

// LegacySigAlg says whether a TLS 1.2 signature scheme hashes with MD5,
// SHA-1 or SHA-224 (RFC 9155 deprecates the first two; current OpenSSL
// and Go clients offer none of them).
func LegacySigAlg(id uint16) bool { return id>>8 >= 1 && id>>8 <= 3 }

// helloAttempt sends one zcrypto hello for an attempt on a connection
// from d to addr and records the server's answer: its ServerHello fields,
// or how it refused.
// timedHello runs one hello to addr within the per-host cap and 5
// seconds, recording its time in a; false (with a.Error set) when the
// run ended before a connection slot was free.
func timedHello(ctx context.Context, a *Attempt, addr string, hosts *Hosts, hello func(context.Context) legacytls.Result) (legacytls.Result, bool) {
	release := hosts.acquire(ctx, addr, false)
	if release == nil {
		a.Error = classify(StageConnect, ctx.Err(), nil)
		return legacytls.Result{}, false
	}
	defer release()
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	t0 := time.Now()
	r := hello(hctx)
	a.Timings.HandshakeMS = ms(time.Since(t0))
	return r, true
}

func helloAttempt(ctx context.Context, a Attempt, d *dial.Dialer, addr string, h legacytls.Hello, hosts *Hosts) Attempt {
	a.Offered.SigAlgs = nil
	a.Offered.Suites = h.Suites
	for _, id := range h.SigAlgs {
		a.Offered.SigAlgs = append(a.Offered.SigAlgs, SigAlgName(id))
	}
	r, ok := timedHello(ctx, &a, addr, hosts, func(hctx context.Context) legacytls.Result {
		return legacytls.Send(hctx, connector(d, addr, &a.Dial), h)
	})
	if !ok {
		return a
	}
	if r.AlertSeen {
		// Instead of a ServerHello, or after the first messages: for
		// example with no signature scheme to sign the key exchange with.
		a.Error = &ProbeError{Stage: StageHandshake, Kind: KindAlert, Message: "remote error: " + AlertName(r.Alert),
			Alert: &Alert{Code: r.Alert, Name: AlertName(r.Alert), Direction: "received"}}
	}
	switch {
	case r.Answered:
		a.Outcome = "server-hello"
		a.Version, a.VersionID = VersionName(r.Version), r.Version
		a.CipherSuite, a.CipherID = ciphersuite.Name(r.Suite), r.Suite
		if r.Group != 0 {
			a.Group, a.GroupID = GroupName(r.Group), r.Group
		}
		if r.SigAlg != 0 {
			a.SigAlg, a.SigAlgID = SigAlgName(r.SigAlg), r.SigAlg
		}
		a.DH = NewDHParams(r.DHBits, r.DHGroup, r.DHPrime, r.DHGenerator)
		// The chain as sent, DER: the checks parse it with crypto/x509.
		// For a server crypto/tls cannot talk to (DHE-only, CAMELLIA...)
		// this is the only chain the record gets.
		for _, c := range r.Certificates {
			a.Certificates = append(a.Certificates, Certificate{DER: append([]byte(nil), c...)})
		}
	case !r.AlertSeen:
		a.Error = classify(StageHandshake, r.Err, nil)
	}
	return a
}

// ScanOptions bound how hard --scan may push a server.
type ScanOptions struct {
	// MaxConns is the most connections open at once; 0 means 4.
	MaxConns int
	// Delay is the least time between two connection starts.
	Delay time.Duration
	// HandshakeTimeout bounds each connection; 0 means 5s. The caller's
	// context bounds the whole scan.
	HandshakeTimeout time.Duration
	// Hosts, when set, caps the connections to the scanned host together
	// with every other probe and scan sharing it, on top of MaxConns (see
	// Hosts): the many-target runner's per-host cap.
	Hosts *Hosts
	// NoHalfClose keeps every scan connection open until the server's
	// answer is read. By default the scan half-closes right after its
	// ClientHello (see legacytls.Hello.HalfClose), and falls back to this
	// for the rest of the scan as soon as a server answers a half-closed
	// hello with silence.
	NoHalfClose bool
	// Connect is how to reach the server, as for the default run: every
	// scan connection goes through the same proxy and STARTTLS exchange.
	Connect dial.Options
}

// ScanVersions are the versions --scan tests, oldest first.
var ScanVersions = []uint16{legacytls.VersionSSL30, tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13}

// VersionName names a protocol version as the record does ("TLS 1.2",
// "SSL 3.0").
func VersionName(v uint16) string {
	if v == legacytls.VersionSSL30 {
		return "SSL 3.0"
	}
	return tls.VersionName(v)
}

// RunScan enumerates the target's versions, suites and groups and stores
// the result in rec.Scan. It connects to the address the primary attempt
// used (or the first resolved address). It never fails: what it could not
// establish is marked Incomplete with the reason.
func RunScan(ctx context.Context, rec *Record, opts ScanOptions) {
	if opts.MaxConns <= 0 {
		opts.MaxConns = 4
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = 5 * time.Second
	}
	start := time.Now()
	sc := &Scan{MaxConns: opts.MaxConns, DelayMS: ms(opts.Delay)}
	rec.Scan = sc
	defer func() {
		sc.DurationMS = ms(time.Since(start))
		clampStrings(reflect.ValueOf(sc))
	}()
	addr := ""
	if a := rec.Primary(); a != nil && a.Address != "" && (a.Error == nil || a.Error.Stage != StageConnect) {
		addr = a.Address
	}
	if addr == "" {
		sc.Incomplete = true
		sc.Errors = append(sc.Errors, "no TCP connection could be made; nothing was scanned")
		return
	}
	d, err := newDialer(opts.Connect, nil, rec.Target)
	if err != nil {
		sc.Incomplete = true
		sc.Errors = append(sc.Errors, "nothing was scanned: "+err.Error())
		return
	}
	if d.Proxied() {
		// A FIN to the proxy ends the tunnel, not our half of it.
		opts.NoHalfClose = true
	}
	s := &scanner{dial: connector(d, addr, nil), sni: rec.Target.SNI, opts: opts, gate: newGate(opts.MaxConns), halfClose: !opts.NoHalfClose,
		up: map[uint16]*versionSignal{tls.VersionTLS12: newVersionSignal(), tls.VersionTLS13: newVersionSignal()}}
	if opts.Hosts != nil {
		s.host = opts.Hosts.gate(addr)
	}
	// The TLS 1.2 suite elimination's answers name groups and signature
	// schemes too (see dimension).
	s.groups12 = newDimension("TLS 1.2 groups", GroupName, legacytls.ECDHEGroups())
	s.sigAlgs12 = newDimension("TLS 1.2 signature algorithms", SigAlgName, legacytls.SigAlgs())
	// The default run's handshake already showed one version accepted:
	// its group test need not wait for the scan to see it again.
	if a := rec.Primary(); a != nil {
		if sig := s.up[a.VersionID]; sig != nil {
			sig.set(true)
		}
		if a.VersionID == tls.VersionTLS13 {
			// The group elimination starts at once, and its
			// HelloRetryRequests name the TLS 1.3 suites.
			s.suites13 = newDimension("TLS 1.3", ciphersuite.Name, ciphersuite.TLS13())
		}
	}
	sc.Versions = make([]ScanVersion, len(ScanVersions))
	var wg sync.WaitGroup
	for i, v := range ScanVersions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc.Versions[i] = s.version(ctx, v)
		}()
	}
	var tls13Groups, tls12Groups []ScanGroup
	var tls13Pref, tls12Pref string
	var sigAlgs []uint16
	var sigAlgsPref string
	wg.Add(3)
	go func() {
		defer wg.Done()
		if s.up[tls.VersionTLS12].wait(ctx) {
			sigAlgs, sigAlgsPref = s.sigAlgsTLS12(ctx)
		}
	}()
	// Each group test waits for its version's first answer, so a server
	// without that version costs no extra connection.
	go func() {
		defer wg.Done()
		defer s.suites13.start()
		if s.up[tls.VersionTLS13].wait(ctx) {
			tls13Groups, tls13Pref = s.groupsTLS13(ctx)
		}
	}()
	go func() {
		defer wg.Done()
		if s.up[tls.VersionTLS12].wait(ctx) {
			tls12Groups, tls12Pref = s.groupsTLS12(ctx)
		}
	}()
	wg.Wait()
	switch {
	case len(tls13Groups) > 0:
		sc.Groups, sc.GroupsVersion, sc.GroupsPreference = tls13Groups, "TLS 1.3", tls13Pref
		sc.GroupsTLS12, sc.GroupsTLS12Preference = tls12Groups, tls12Pref
	case len(tls12Groups) > 0:
		sc.Groups, sc.GroupsVersion, sc.GroupsPreference = tls12Groups, "TLS 1.2", tls12Pref
	}
	if len(tls12Groups) > 0 && (tls12Pref != "" || len(tls12Groups) == 1) {
		// A client offering our list gets this group with every ECDHE
		// suite; the suite elimination offered the groups in many
		// orders, so what each of its answers named is not that.
		for i := range sc.Versions {
			if sc.Versions[i].VersionID != tls.VersionTLS12 {
				continue
			}
			for j := range sc.Versions[i].Suites {
				if sc.Versions[i].Suites[j].Group != "" {
					sc.Versions[i].Suites[j].Group = tls12Groups[0].Name
				}
			}
		}
	}
	for _, id := range sigAlgs {
		sc.SigAlgs = append(sc.SigAlgs, ScanSigAlg{Name: SigAlgName(id), ID: id})
	}
	sc.SigAlgsPreference = sigAlgsPref
	sc.Handshakes = int(s.count.Load())
	switch {
	case s.halfCloseDropped:
		sc.HalfClose = "dropped"
	case opts.NoHalfClose:
		sc.HalfClose = "off"
	default:
		sc.HalfClose = "used"
	}
	s.mu.Lock()
	sc.Errors = append(sc.Errors, s.errs...)
	s.mu.Unlock()
	if len(sc.Errors) > 0 || ctx.Err() != nil {
		sc.Incomplete = true
		if ctx.Err() != nil {
			sc.Errors = append(sc.Errors, "the time budget (--timeout) ran out before the scan finished: what is marked not tested was not tried, and the lists may be missing entries")
		}
	}
}

// versionSignal tells, once, whether a version was accepted, to any
// number of waiters.
type versionSignal struct {
	once sync.Once
	done chan struct{}
	ok   bool
}

func newVersionSignal() *versionSignal { return &versionSignal{done: make(chan struct{})} }

func (v *versionSignal) set(ok bool) { v.once.Do(func() { v.ok = ok; close(v.done) }) }

func (v *versionSignal) wait(ctx context.Context) bool {
	select {
	case <-v.done:
		return v.ok
	case <-ctx.Done():
		return false
	}
}

type scanner struct {
	// dial opens each scan connection, ready for its ClientHello.
	dial legacytls.DialFunc
	sni  string
	// halfClose is whether hellos half-close; it turns off for good the
	// first time a half-closed hello gets no answer at all (under mu).
	halfClose bool
	// up signals, for TLS 1.2 and 1.3, whether the version was accepted.
	up map[uint16]*versionSignal
	// groups12 and sigAlgs12 learn from the TLS 1.2 suite elimination,
	// suites13 (nil unless the default run negotiated TLS 1.3) from the
	// TLS 1.3 group elimination.
	groups12, sigAlgs12, suites13 *dimension

	opts ScanOptions
	gate *gate
	// host is the gate shared with other diagnoses of the same host
	// (ScanOptions.Hosts), or nil.
	host  *gate
	count atomic.Int64

	mu               sync.Mutex
	halfCloseDropped bool
	nextStart        time.Time
	errs             []string
}

// slot waits for a free connection slot (urgent waiters first, see gate)
// and for the pacing delay; it returns a release func, or nil when ctx
// ended first.
func (s *scanner) slot(ctx context.Context, urgent bool) func() {
	if !s.gate.acquire(ctx, urgent) {
		return nil
	}
	release := s.gate.release
	if s.host != nil {
		if !s.host.acquire(ctx, urgent) {
			release()
			return nil
		}
		release = func() { s.host.release(); s.gate.release() }
	}
	if !s.pace(ctx) {
		release()
		return nil
	}
	return release
}

// pace waits for the next start allowed by --delay and counts the
// connection about to start; false when ctx ended first. Every connection
// goes through it, retries included.
func (s *scanner) pace(ctx context.Context) bool {
	if s.opts.Delay > 0 {
		s.mu.Lock()
		now := time.Now()
		at := s.nextStart
		if at.Before(now) {
			at = now
		}
		s.nextStart = at.Add(s.opts.Delay)
		s.mu.Unlock()
		t := time.NewTimer(time.Until(at))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
	s.count.Add(1)
	return true
}

func (s *scanner) fail(format string, args ...any) {
	s.mu.Lock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func (s *scanner) hello(ctx context.Context, h legacytls.Hello, urgent bool) (legacytls.Result, bool) {
	release := s.slot(ctx, urgent)
	if release == nil {
		return legacytls.Result{}, false
	}
	defer release()
	h.SNI = s.sni
	return s.exchange(ctx, func(hctx context.Context, halfClose bool) legacytls.Result {
		h.HalfClose = halfClose
		return legacytls.Send(hctx, s.dial, h)
	}), true
}

// hello13 is a TLS 1.3 suite-elimination hello: every group a server may
// take (tls13GroupCandidates) and no key share, so the server answers
// with a HelloRetryRequest naming its suite whatever group it speaks. A
// hello with key shares for a few groups only (zcrypto's) is refused by a
// server that takes only X448 or FFDHE, which then looked as if it spoke
// no TLS 1.3 at all.
func (s *scanner) hello13(ctx context.Context, suites []uint16, urgent bool) (legacytls.Result, bool) {
	release := s.slot(ctx, urgent)
	if release == nil {
		return legacytls.Result{}, false
	}
	defer release()
	return s.exchange(ctx, func(hctx context.Context, halfClose bool) legacytls.Result {
		return legacytls.GroupHello(hctx, s.dial, s.sni, tls13GroupCandidates, suites, halfClose)
	}), true
}

// hello12 is a TLS 1.2 suite-elimination hello: it offers every group and
// signature scheme, in the order the dimensions ask for, and tells them
// what the server named.
func (s *scanner) hello12(ctx context.Context, suites []uint16, urgent bool) (legacytls.Result, bool) {
	release := s.slot(ctx, urgent)
	if release == nil {
		return legacytls.Result{}, false
	}
	defer release()
	// Built once the slot is ours, from what the answers so far taught.
	og, oa := s.groups12.next(), s.sigAlgs12.next()
	h := legacytls.Hello{Version: tls.VersionTLS12, Suites: suites, SNI: s.sni, Groups: og.list, SigAlgs: oa.list}
	r := s.exchange(ctx, func(hctx context.Context, halfClose bool) legacytls.Result {
		h.HalfClose = halfClose
		return legacytls.Send(hctx, s.dial, h)
	})
	if r.Answered && r.Version == tls.VersionTLS12 && slices.Contains(suites, r.Suite) {
		if r.Group != 0 {
			s.groups12.saw(og, r.Group, r)
		}
		if r.SigAlg != 0 {
			s.sigAlgs12.saw(oa, r.SigAlg, r)
		}
	}
	return r, true
}

// exchange runs one hello, half-closed while that works. A half-closed
// hello that gets no byte back is asked again with the connection kept
// open, and half-closing stops for the rest of the scan: silence after a
// FIN may be the server's (or a middlebox's) reaction to the FIN, and must
// never be taken for a refusal.
func (s *scanner) exchange(ctx context.Context, send func(context.Context, bool) legacytls.Result) legacytls.Result {
	s.mu.Lock()
	half := s.halfClose
	s.mu.Unlock()
	hctx, cancel := context.WithTimeout(ctx, s.opts.HandshakeTimeout)
	r := send(hctx, half)
	cancel()
	if half && r.Silent && ctx.Err() == nil {
		s.mu.Lock()
		if s.halfClose {
			s.halfClose = false
			s.halfCloseDropped = true
		}
		s.mu.Unlock()
		if !s.pace(ctx) {
			return r
		}
		hctx, cancel := context.WithTimeout(ctx, s.opts.HandshakeTimeout)
		r = send(hctx, false)
		cancel()
	}
	return r
}

// version enumerates one version by elimination.
func (s *scanner) version(ctx context.Context, v uint16) ScanVersion {
	out := ScanVersion{Version: VersionName(v), VersionID: v}
	if sig := s.up[v]; sig != nil {
		defer func() { sig.set(out.Supported) }()
	}
	var offer []uint16
	switch v {
	case tls.VersionTLS13:
		offer = ciphersuite.TLS13()
	case legacytls.VersionSSL30:
		for _, id := range ciphersuite.Scannable() {
			if id < 0x0100 {
				offer = append(offer, id)
			}
		}
	default:
		for _, id := range ciphersuite.Scannable() {
			if !slices.Contains(ciphersuite.TLS13(), id) {
				offer = append(offer, id)
			}
		}
	}
	if v == tls.VersionTLS12 {
		// Whatever happens, the groups and signature schemes get their
		// own elimination once this one is over.
		defer s.groups12.start()
		defer s.sigAlgs12.start()
	}
	ask := func(ctx context.Context, offer []uint16, urgent bool) (legacytls.Result, bool) {
		switch v {
		case tls.VersionTLS12:
			return s.hello12(ctx, offer, urgent)
		case tls.VersionTLS13:
			return s.hello13(ctx, offer, urgent)
		}
		return s.hello(ctx, legacytls.Hello{Version: v, Suites: offer}, urgent)
	}
	e := s.eliminator(out.Version, ciphersuite.Name, ask, func(r legacytls.Result) (uint16, bool) {
		return r.Suite, r.Answered && r.Version == v
	})
	e.accepted = func() {
		if sig := s.up[v]; sig != nil {
			sig.set(true)
		}
	}
	e.likelyRefused = v < tls.VersionTLS12
	e.partition, e.parts = true, suiteTiers
	if v != tls.VersionTLS13 {
		// DHE suites are where a server without DH parameters closes
		// silently (Dovecot): see eliminator.apart.
		e.apart = func(id uint16) bool { return ciphersuite.Lookup(id).KeyExchange == "DHE" }
	}
	var found elimination
	if v == tls.VersionTLS13 && s.suites13 != nil {
		found = s.dedicated(ctx, e, s.suites13, e.asker())
	} else {
		found = e.run(ctx, offer)
	}
	if len(found.IDs) == 0 {
		why, unsure := inconclusive(found.First)
		switch {
		case !unsure && (found.First.Answered || found.First.AlertSeen || found.First.Err != nil):
			out.Refusal = refusal(found.First, v)
		case budgetSpent(ctx):
			out.Untested = UntestedTimeBudget
		case why != "":
			out.Untested = why
		default:
			out.Untested = "no conclusive answer"
		}
		return out
	}
	out.Supported = true
	out.SuitesIncomplete = found.Cut
	out.Preference = found.Preference
	for _, r := range found.Answers {
		out.Suites = append(out.Suites, scanSuite(r))
		if r.DHBits > 0 && out.DHBits == 0 {
			out.DHBits, out.DHGroup = r.DHBits, r.DHGroup
			out.DH = NewDHParams(r.DHBits, r.DHGroup, r.DHPrime, r.DHGenerator)
		}
	}
	if out.DHBits == 0 && v != tls.VersionTLS13 {
		var dhe []uint16
		for _, su := range out.Suites {
			if ciphersuite.Lookup(su.ID).KeyExchange == "DHE" && slices.Contains(legacytls.DHESuites(), su.ID) {
				dhe = append(dhe, su.ID)
			}
		}
		if len(dhe) > 0 {
			if r, ok := s.hello(ctx, legacytls.Hello{Version: v, Suites: dhe}, false); ok && r.DHBits > 0 {
				out.DHBits, out.DHGroup = r.DHBits, r.DHGroup
				out.DH = NewDHParams(r.DHBits, r.DHGroup, r.DHPrime, r.DHGenerator)
				for i := range out.Suites {
					if out.Suites[i].ID == r.Suite {
						out.Suites[i].DHBits = r.DHBits
					}
				}
			}
		}
	}
	return out
}

// budgetSpent reports whether ctx has ended or reached its deadline (a
// hello cut by the deadline may return before ctx.Err is set).
func budgetSpent(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// suiteTiers cuts suites into at most k parts the way servers commonly
// rank them: forward secrecy with an AEAD cipher, other forward-secret
// suites, AEAD without forward secrecy, the rest (each in our order).
// OpenSSL's DEFAULT order, Mozilla's profiles and most hand-written lists
// put every suite of a tier above the next tier's, so a server order is
// found with parallel chains, one per tier, and one check per border (see
// eliminator.partitionMerge); any other order is still found exactly, by
// merging.
func suiteTiers(cands []uint16, k int) [][]uint16 {
	var tiers [4][]uint16
	for _, id := range cands {
		in := ciphersuite.Lookup(id)
		t := 3
		switch {
		case in.ForwardSecret() && in.AEAD():
			t = 0
		case in.ForwardSecret():
			t = 1
		case in.AEAD():
			t = 2
		}
		tiers[t] = append(tiers[t], id)
	}
	var out [][]uint16
	switch {
	case k <= 1:
		return [][]uint16{cands}
	case k == 2:
		out = [][]uint16{append(slices.Clone(tiers[0]), tiers[1]...), append(slices.Clone(tiers[2]), tiers[3]...)}
	case k == 3:
		out = [][]uint16{tiers[0], tiers[1], append(slices.Clone(tiers[2]), tiers[3]...)}
	default:
		out = tiers[:]
	}
	return slices.DeleteFunc(out, func(p []uint16) bool { return len(p) == 0 })
}

func scanSuite(r legacytls.Result) ScanSuite {
	su := ScanSuite{Name: ciphersuite.Name(r.Suite), ID: r.Suite, DHBits: r.DHBits}
	if r.Group != 0 {
		su.Group = GroupName(r.Group)
	}
	return su
}

// inconclusive says whether a failed hello tells nothing about the
// server's choice: the connection could not be made or the server never
// answered in time. A closed or reset connection after our hello, like an
// alert, is how servers refuse.
func inconclusive(r legacytls.Result) (string, bool) {
	if r.Answered || r.AlertSeen || r.Err == nil {
		return "", false
	}
	// A connection that never reached its ClientHello (proxy, STARTTLS)
	// says nothing about what the server accepts.
	var de *dial.Error
	if errors.As(r.Err, &de) {
		pe := classifyDial(de)
		return string(pe.Kind) + ": " + pe.Message, true
	}
	pe := classify(StageHandshake, r.Err, nil)
	switch pe.Kind {
	case KindTimeout, KindRefused, KindNoRoute, KindDNS, KindCancelled:
		return string(pe.Kind) + ": " + pe.Message, true
	}
	return "", false
}

func refusal(r legacytls.Result, v uint16) string {
	switch {
	case r.AlertSeen:
		return "alert " + AlertName(r.Alert)
	case r.Answered:
		return "the server answered with " + VersionName(r.Version)
	case r.Err != nil:
		pe := classify(StageHandshake, r.Err, nil)
		return string(pe.Kind) + ": " + pe.Message
	}
	return "no answer"
}

// GroupName names a named group the way crypto/tls does (X25519,
// X25519MLKEM768, CurveP256...), with IANA names for the others.
func GroupName(id uint16) string {
	switch id {
	case 256:
		return "ffdhe2048"
	case 257:
		return "ffdhe3072"
	case 258:
		return "ffdhe4096"
	case 259:
		return "ffdhe6144"
	case 260:
		return "ffdhe8192"
	case 30:
		return "X448"
	case 31:
		return "brainpoolP256r1tls13"
	case 32:
		return "brainpoolP384r1tls13"
	case 33:
		return "brainpoolP512r1tls13"
	case 512:
		return "MLKEM512"
	case 513:
		return "MLKEM768"
	case 514:
		return "MLKEM1024"
	case 4587:
		return "SecP256r1MLKEM768"
	case 4589:
		return "SecP384r1MLKEM1024"
	}
	return tls.CurveID(id).String()
}

// tls13GroupCandidates are the named groups tested in TLS 1.3, in a fixed
// order: hybrid post-quantum, elliptic curves, finite-field (RFC 7919),
// brainpool (RFC 8734), pure ML-KEM.
var tls13GroupCandidates = []uint16{
	4588, 4587, 4589, // X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024
	29, 23, 24, 25, 30, // X25519, P-256, P-384, P-521, X448
	256, 257, 258, 259, 260, // ffdhe2048..ffdhe8192
	31, 32, 33, // brainpoolP256r1tls13, brainpoolP384r1tls13, brainpoolP512r1tls13
	512, 513, 514, // MLKEM512, MLKEM768, MLKEM1024
}

// TestedGroups are the groups a scan tests for the given groups_version:
// a group not listed there is unknown, not refused.
func TestedGroups(groupsVersion string) []uint16 {
	if groupsVersion == "TLS 1.3" {
		return slices.Clone(tls13GroupCandidates)
	}
	return legacytls.ECDHEGroups()
}

// groupsTLS13 finds the TLS 1.3 groups by elimination: each ClientHello
// carries an empty key_share, so the server names the group it wants in a
// HelloRetryRequest. No key is made, so every group can be tested,
// including X25519MLKEM768 and FFDHE.
func (s *scanner) groupsTLS13(ctx context.Context) ([]ScanGroup, string) {
	e := s.eliminator("TLS 1.3 groups", GroupName, func(ctx context.Context, offer []uint16, urgent bool) (legacytls.Result, bool) {
		release := s.slot(ctx, urgent)
		if release == nil {
			return legacytls.Result{}, false
		}
		defer release()
		os := s.suites13.next()
		r := s.exchange(ctx, func(hctx context.Context, halfClose bool) legacytls.Result {
			return legacytls.GroupHello(hctx, s.dial, s.sni, offer, os.list, halfClose)
		})
		if r.Answered && r.Version == tls.VersionTLS13 && r.Suite != 0 {
			s.suites13.saw(os, r.Suite, r)
		}
		return r, true
	}, func(r legacytls.Result) (uint16, bool) {
		return r.Group, r.Answered && r.Version == tls.VersionTLS13
	})
	// One chain, not partitionMerge: measured on the bench servers, the
	// four more hellos it costs (16 instead of 12 for OpenSSL's ten
	// groups) took the slots the suite eliminations needed, and the scan
	// got no faster.
	return scanGroups(e.run(ctx, tls13GroupCandidates))
}

// groupsTLS12 finds the ECDHE groups of TLS 1.2 by elimination, offering
// the ECDHE suites whose ServerKeyExchange zcrypto reads. It runs
// alongside the suite enumeration; a server without them refuses the
// first hello.
func (s *scanner) groupsTLS12(ctx context.Context) ([]ScanGroup, string) {
	suites := legacytls.ECDHESuites()
	e := s.eliminator("TLS 1.2 groups", GroupName, func(ctx context.Context, offer []uint16, urgent bool) (legacytls.Result, bool) {
		return s.hello(ctx, legacytls.Hello{Version: tls.VersionTLS12, Suites: suites, Groups: offer}, urgent)
	}, func(r legacytls.Result) (uint16, bool) {
		return r.Group, r.Answered && r.Group != 0
	})
	return scanGroups(s.dedicated(ctx, e, s.groups12, e.asker()))
}

// sigAlgsTLS12 finds the signature schemes the server signs TLS 1.2 key
// exchanges with, by elimination over every scheme: each hello offers the
// ECDHE and DHE suites zcrypto reads and names the schemes; the server's
// ServerKeyExchange says which it used. A server with neither kind of
// suite refuses the first hello (its handshakes carry no signature).
func (s *scanner) sigAlgsTLS12(ctx context.Context) ([]uint16, string) {
	suites := append(legacytls.ECDHESuites(), legacytls.DHESuites()...)
	e := s.eliminator("TLS 1.2 signature algorithms", SigAlgName, func(ctx context.Context, offer []uint16, urgent bool) (legacytls.Result, bool) {
		return s.hello(ctx, legacytls.Hello{Version: tls.VersionTLS12, Suites: suites, SigAlgs: offer}, urgent)
	}, func(r legacytls.Result) (uint16, bool) {
		return r.SigAlg, r.Answered && r.Version == tls.VersionTLS12 && r.SigAlg != 0
	})
	found := s.dedicated(ctx, e, s.sigAlgs12, e.asker())
	return found.IDs, found.Preference
}

// dedicated finishes a dimension: once its host has taught what it could,
// e eliminates over the candidates not picked yet (one hello, refused,
// when nothing is left), and the order comes from every answer seen.
func (s *scanner) dedicated(ctx context.Context, e *eliminator, d *dimension, ask asker) elimination {
	if !d.wait(ctx) {
		return elimination{}
	}
	e.likelyRefused, e.noOrder = true, true
	if d.seen() > 0 {
		// Most of the list is known: one chain, whose only extra hello
		// is its refusal, costs fewer connections than parallel ones
		// that each end with a refusal.
		e.chains = 1
	}
	e.observe = func(offer []uint16, id uint16, r legacytls.Result) { d.record(offer, id, r) }
	rest := e.run(ctx, d.untested())
	d.finish()
	out := elimination{First: rest.First}
	out.IDs, out.Answers, out.Preference = d.settle(ctx, ask)
	return out
}

func scanGroups(found elimination) ([]ScanGroup, string) {
	var out []ScanGroup
	for _, id := range found.IDs {
		out = append(out, ScanGroup{Name: GroupName(id), ID: id})
	}
	return out, found.Preference
}

// eliminator is an elimination over this scan's connections: as many
// chains at once as --max-conns allows.
func (s *scanner) eliminator(what string, name func(uint16) string, ask func(context.Context, []uint16, bool) (legacytls.Result, bool), choice func(legacytls.Result) (uint16, bool)) *eliminator {
	return &eliminator{chains: s.opts.MaxConns, what: what, ask: ask, choice: choice, name: name, fail: s.fail}
}

// SigAlgName names a TLS signature scheme by its IANA name, as OpenSSL
// prints it and as server settings (nginx ssl_conf_command
// SignatureAlgorithms, Java jdk.tls.server.SignatureSchemes) take it.
func SigAlgName(id uint16) string {
	if n, ok := sigAlgNames[id]; ok {
		return n
	}
	return fmt.Sprintf("0x%04x", id)
}

var sigAlgNames = map[uint16]string{
	0x0101: "rsa_md5", 0x0102: "dsa_md5", 0x0103: "ecdsa_md5",
	0x0201: "rsa_pkcs1_sha1", 0x0202: "dsa_sha1", 0x0203: "ecdsa_sha1",
	0x0301: "rsa_pkcs1_sha224", 0x0302: "dsa_sha224", 0x0303: "ecdsa_sha224",
	0x0401: "rsa_pkcs1_sha256", 0x0402: "dsa_sha256", 0x0403: "ecdsa_secp256r1_sha256",
	0x0501: "rsa_pkcs1_sha384", 0x0502: "dsa_sha384", 0x0503: "ecdsa_secp384r1_sha384",
	0x0601: "rsa_pkcs1_sha512", 0x0602: "dsa_sha512", 0x0603: "ecdsa_secp521r1_sha512",
	0x0804: "rsa_pss_rsae_sha256", 0x0805: "rsa_pss_rsae_sha384", 0x0806: "rsa_pss_rsae_sha512",
	0x0807: "ed25519", 0x0808: "ed448",
	0x0809: "rsa_pss_pss_sha256", 0x080a: "rsa_pss_pss_sha384", 0x080b: "rsa_pss_pss_sha512",
}
