// Package probe talks to the network and records what happened. It owns
// dialing, the TLS handshakes and the post-handshake wait; it produces a
// Record and never judges what it saw: no verification, no findings, no
// output. Every network operation is bounded by the caller's context.
package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// Options say how to probe. The zero value of every field is a sensible
// default except Target, which ParseTarget fills.
type Options struct {
	Target Target
	// NoSNI sends no server_name extension even for a DNS name.
	NoSNI bool
	// ClientCertificate is offered when the server asks for one. It is used
	// only for the handshake and never recorded beyond its chain.
	ClientCertificate *tls.Certificate
	// ClientSource says where ClientCertificate was loaded from, for the
	// record.
	ClientSource string
	// ClientCertFile and ClientKeyFile are the PEM/DER files it was read
	// from (--cert, --key), for the record; empty for PKCS#12/keystores.
	ClientCertFile, ClientKeyFile string
	// Resolver resolves Target.ConnectHost; nil means Connect.Resolver,
	// else net.DefaultResolver.
	Resolver *net.Resolver
	// Connect says how to reach the server: address family, every
	// address, proxy, STARTTLS (the dial layer, probe/dial).
	Connect dial.Options
	// SNICheck says when to make one more handshake without SNI, next to
	// the primary one, to tell whether the server needs SNI.
	SNICheck SNICheckMode
	// DirectCheck says whether a proxied run also makes the primary
	// handshake without the proxy, to compare the paths.
	DirectCheck DirectCheckMode
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Tool names the program in the record ("tlsdoctor 1.2.3").
	Tool string
	// MinVersion and MaxVersion bound the primary attempt; zero means TLS
	// 1.2 to TLS 1.3, what current clients offer.
	MinVersion, MaxVersion uint16
	// NoFallback disables the extra attempt made to explain a failed
	// primary handshake.
	NoFallback bool
	// Revocation says whether and how to fetch OCSP and CRL answers.
	Revocation RevocationOptions
	// NoAIA disables downloading missing issuers from AIA caIssuers URLs;
	// AIAClient, when set, is the HTTP client used for them (as is: the
	// fetch policy is the caller's then).
	NoAIA     bool
	AIAClient *http.Client
	// FetchPolicy says where the AIA, OCSP and CRL URLs of the server's
	// certificates may lead (fetch.go): never link-local, and loopback or
	// private addresses only for a target at one, unless AllowPrivate.
	FetchPolicy FetchPolicy
	// AIAKnownSubjects are the raw subjects of the caller's trust anchors;
	// no download is made for a certificate one of them issued.
	AIAKnownSubjects [][]byte
	// Hosts, when set, caps the connections open at once to the target's
	// host together with every other probe and scan sharing it (see
	// Hosts); nil leaves the probe's own handshakes, made one at a time,
	// unbounded by others.
	Hosts *Hosts
	// Anchors, when set, gives more trust anchors, asked for only once
	// the handshakes are over (the caller may still be loading them while
	// they run): they count as AIAKnownSubjects and as
	// Revocation.Issuers. It must return by the time ctx ends.
	Anchors func(ctx context.Context) []*x509.Certificate
}

// Purposes of handshake attempts, as recorded.
const (
	PurposePrimary = "primary"
	// PurposeLegacy retries a failed handshake offering TLS 1.0 to 1.2 and
	// every cipher suite crypto/tls speaks, to tell a version or cipher
	// mismatch from other failures.
	PurposeLegacy = "legacy-versions"
)

// Run probes the target and returns its record. It returns a record in
// every case; err is non-nil only when the options are unusable.
func Run(ctx context.Context, opts Options) (*Record, error) {
	if opts.Target.Host == "" {
		return nil, errors.New("probe: no target host")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := time.Now()
	rec := &Record{
		RecordVersion:  RecordVersion,
		Tool:           opts.Tool,
		StartedAt:      now().UTC().Truncate(time.Second),
		Target:         opts.Target,
		ClientIdentity: recordClientIdentity(opts.ClientCertificate, opts.ClientSource, opts.ClientCertFile, opts.ClientKeyFile),
	}
	if rec.Target.ConnectHost == "" {
		rec.Target.ConnectHost = rec.Target.Host
	}
	if rec.Target.ConnectPort == 0 {
		rec.Target.ConnectPort = rec.Target.Port
	}
	if rec.Target.SNI == "" && !opts.NoSNI && !IsIP(rec.Target.Host) {
		rec.Target.SNI = rec.Target.Host
	}
	if opts.NoSNI {
		rec.Target.SNI = ""
	}
	defer func() {
		rec.DurationMS = ms(time.Since(start))
		clampStrings(reflect.ValueOf(rec))
	}()

	d, err := newDialer(opts.Connect, opts.Resolver, rec.Target)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	// The run's HTTP fetches (AIA, OCSP, CRL) go through the same proxy:
	// see dial.HTTPProxy.
	proxyFunc, err := dial.HTTPProxy(opts.Connect)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	rec.Connection = d.Info()
	if p := d.Protocol(); p != nil && len(p.ALPN) > 0 && len(rec.Target.ALPN) == 0 {
		rec.Target.ALPN = p.ALPN
	}

	addrs := resolve(ctx, d, rec)
	if len(addrs) == 0 {
		return rec, nil
	}

	minV, maxV := opts.MinVersion, opts.MaxVersion
	if minV == 0 {
		minV = tls.VersionTLS12
	}
	if maxV == 0 {
		maxV = tls.VersionTLS13
	}
	// Every URL fetched from here on came from the server's certificates:
	// the fetch policy applies, judged from the address the target
	// resolved to.
	fc := newFetchClient(opts.FetchPolicy, targetIsPrivate(rec), proxyFunc)
	defer fc.close()
	scope := fetchScope(opts, targetIsPrivate(rec))
	rev := opts.Revocation
	rev.scope = scope
	if rev.Client == nil {
		rev.Client = fc.Client
	}
	// In full mode the OCSP and CRL requests for what the primary
	// handshake's chain already says start as soon as the chain arrives.
	rr := startRevocation(ctx, rev)
	defer rr.close()
	spec := attemptSpec{
		purpose: PurposePrimary, target: rec.Target, dialer: d, addrs: addrs, hosts: opts.Hosts,
		minV: minV, maxV: maxV, cert: opts.ClientCertificate, onChain: rr.prefetch,
	}
	var primary Attempt
	var wg sync.WaitGroup
	rec.SNICheckOff = sniCheckTurnedOff(opts, rec.Target)
	if wantSNICheck(opts, rec.Target) {
		// The primary connects first: a server that serves one
		// connection at a time (openssl s_server) then serves it first,
		// and the early revocation request, which waits for its chain,
		// does not wait for this check's handshake too. The check starts
		// a millisecond after the primary's connection is made (a proxy
		// or load balancer in between has then passed it on), or 3 ms
		// after the primary started when connecting takes longer (a real
		// network: the SYNs still leave in order). A server that serves
		// both at once still answers both at once.
		primaryDialed := make(chan struct{})
		var once sync.Once
		spec.dialed = func() { once.Do(func() { close(primaryDialed) }) }
		ns := spec
		ns.purpose, ns.target.SNI, ns.cert, ns.noCertReason, ns.noVerdictWait = PurposeNoSNI, "", nil, ReasonWithheld, true
		// Its chain is not the one whose revocation is recorded: it
		// starts no revocation request.
		ns.onChain, ns.dialed = nil, nil
		// Next to the primary, on its own connection: whether the server
		// presents another certificate, or refuses, without SNI.
		wg.Add(1)
		go func() {
			defer wg.Done()
			staggerAfter(ctx, primaryDialed)
			a := attempt(ctx, ns)
			rec.SNICheck = &a
		}()
	}
	if opts.Connect.AllIPs && len(addrs) > 1 {
		primary, rec.Backends = everyAddress(ctx, spec)
	} else {
		primary = attempt(ctx, spec)
	}
	wg.Wait()
	rec.Attempts = append(rec.Attempts, primary)
	var direct sync.WaitGroup
	if d.Proxied() && opts.DirectCheck == DirectCheckAuto && len(primary.Certificates) > 0 && ctx.Err() == nil {
		// The same handshake around the proxy, when the proxied one
		// brought a chain to compare, next to the retries and fetches.
		direct.Add(1)
		go func() {
			defer direct.Done()
			rec.DirectCheck = directAttempt(ctx, opts, spec)
		}()
	}
	defer direct.Wait()

	if !opts.NoFallback && needsLegacyRetry(&primary) && minV > tls.VersionTLS10 && ctx.Err() == nil {
		rec.Attempts = append(rec.Attempts, attempt(ctx, attemptSpec{
			purpose: PurposeLegacy, target: rec.Target, dialer: d, addrs: []string{primary.Address}, hosts: opts.Hosts,
			minV: tls.VersionTLS10, maxV: tls.VersionTLS12, cert: opts.ClientCertificate,
			allSuites: true,
		}))
		switch l := rec.Attempts[len(rec.Attempts)-1]; {
		case needsLegacyRetry(&l) && ctx.Err() == nil:
			all := allSuitesAttempt(ctx, d, rec.Target, l.Address, tls.VersionTLS12, opts.Hosts)
			rec.Attempts = append(rec.Attempts, all)
			if all.Outcome == "server-hello" && LegacySigAlg(all.SigAlgID) && ctx.Err() == nil {
				rec.Attempts = append(rec.Attempts, modernSigAlgsAttempt(ctx, d, rec.Target, l.Address, []uint16{all.CipherID}, opts.Hosts))
			}
		case l.Outcome == "ok" && ctx.Err() == nil:
			// The retry connected with what the primary attempt did not
			// offer. One hello with every registered suite at that version
			// says what else the server takes (DHE and its group, which
			// crypto/tls never offers), so that each client can be judged
			// from the record, not only Go.
			rec.Attempts = append(rec.Attempts, allSuitesAttempt(ctx, d, rec.Target, l.Address, l.VersionID, opts.Hosts))
		}
	}
	// Refused with an alert before any certificate, and no older version
	// or other suite answered: two wide TLS 1.3 hellos tell a refusal of
	// crypto/tls's parameters from a refusal of every hello (checks:
	// handshake-failed).
	if !opts.NoFallback && needsWide13(&primary, maxV) && !anyAnswered(rec.Attempts) && ctx.Err() == nil {
		rec.Attempts = append(rec.Attempts, wide13Attempts(ctx, d, rec.Target, primary.Address, opts.Hosts)...)
	}
	if !opts.NoFallback && opts.ClientCertificate != nil && needsNoClientCertAttempt(&primary) && ctx.Err() == nil {
		rec.Attempts = append(rec.Attempts, attempt(ctx, attemptSpec{
			purpose: PurposeNoClientCert, target: rec.Target, dialer: d, addrs: []string{primary.Address}, hosts: opts.Hosts,
			minV: minV, maxV: maxV, noCertReason: ReasonWithheld,
		}))
	}
	known, issuers := opts.AIAKnownSubjects, slices.Clone(rev.Issuers)
	if opts.Anchors != nil {
		for _, c := range opts.Anchors(ctx) {
			known = append(known, c.RawSubject)
			issuers = append(issuers, c)
		}
	}
	if !opts.NoAIA && ctx.Err() == nil {
		client := opts.AIAClient
		if client == nil {
			client = fc.Client
		}
		aiaScope := scope
		if opts.AIAClient != nil {
			aiaScope = "caller's client"
		}
		rec.AIA = fetchAIA(ctx, client, opts.Revocation.Cache, aiaScope, rec.Chain(), known)
	}
	// The rest of revocation runs after AIA so that fetched intermediates
	// can serve as issuers of the certificates whose issuer the server
	// did not send.
	issuers = append(issuers, aiaCertificates(rec.AIA)...)
	var staple []byte
	if a := rec.chainAttempt(); a != nil {
		staple = a.OCSPStaple
	}
	rec.Revocation = rr.fetch(rec.RevocationChain(), issuers, staple)
	return rec, nil
}

// needsLegacyRetry reports whether a failed primary attempt looks like the
// server refused our versions or suites: it failed in the handshake before
// sending any certificate, with an alert or a dropped connection.
func needsLegacyRetry(a *Attempt) bool {
	if a.Error == nil || a.Error.Stage != StageHandshake || len(a.Certificates) > 0 {
		return false
	}
	switch a.Error.Kind {
	case KindLocal, KindClosed, KindReset:
		return true
	case KindAlert:
		switch a.Error.Alert.Name {
		case "protocol_version", "handshake_failure", "insufficient_security", "illegal_parameter":
			return true
		}
	}
	return false
}

// resolve finds where to connect and records it in rec.DNS.
func resolve(ctx context.Context, d *dial.Dialer, rec *Record) []string {
	res := d.Resolve(ctx)
	rec.DNS.DurationMS = ms(res.Duration)
	rec.DNS.ByProxy = res.ByProxy
	rec.DNS.Addresses = res.Addresses
	if res.Err != nil {
		rec.DNS.Error = classify(StageDNS, res.Err, nil)
		return nil
	}
	return res.Dests
}

// staggerAfter returns a millisecond after ahead is closed, at the
// latest 3 ms after it was called, or when ctx ends.
func staggerAfter(ctx context.Context, ahead <-chan struct{}) {
	limit := time.NewTimer(3 * time.Millisecond)
	defer limit.Stop()
	select {
	case <-ahead:
	case <-limit.C:
		return
	case <-ctx.Done():
		return
	}
	after := time.NewTimer(time.Millisecond)
	defer after.Stop()
	select {
	case <-after.C:
	case <-limit.C:
	case <-ctx.Done():
	}
}

type attemptSpec struct {
	purpose    string
	target     Target
	dialer     *dial.Dialer
	addrs      []string
	minV, maxV uint16
	cert       *tls.Certificate
	allSuites  bool
	// noCertReason is recorded when a certificate is requested and cert
	// is nil; empty means ReasonNoIdentity.
	noCertReason string
	// noVerdictWait skips the wait for a post-handshake verdict.
	noVerdictWait bool
	// hosts, when set, is waited on before each connection.
	hosts *Hosts
	// connectTimeout, when set, bounds the connection (proxy, STARTTLS
	// exchange included) apart from the handshake.
	connectTimeout time.Duration
	// onChain, when set, is told the server's chain and stapled OCSP
	// response as soon as the handshake has them; it must not block.
	onChain func(rawCerts [][]byte, staple []byte)
	// dialed, when set, is called once the first connection attempt
	// returned (connected or not); it must not block.
	dialed func()
}

// attempt makes one connection through the dial layer (trying each
// address until one accepts the TCP connection) and one TLS handshake,
// and records everything it saw.
func attempt(ctx context.Context, s attemptSpec) Attempt {
	a := Attempt{
		Purpose: s.purpose,
		Outcome: "failed",
		Offered: Offer{
			MinVersion: tls.VersionName(s.minV), MaxVersion: tls.VersionName(s.maxV),
			SNI: s.target.SNI, ALPN: s.target.ALPN,
		},
	}
	var raw net.Conn
	var log *dial.Log
	var err error
	t0 := time.Now()
	for _, addr := range s.addrs {
		a.Address = addr
		release := s.hosts.acquire(ctx, addr, false)
		if release == nil {
			err = ctx.Err()
			break
		}
		raw, log, err = dialBounded(ctx, s, addr)
		if s.dialed != nil {
			s.dialed()
		}
		if log != nil && (log.Proxy != nil || log.StartTLS != nil) {
			a.Dial = log
		}
		if err == nil {
			defer release()
			break
		}
		release()
		// Another address only helps when this one took no TCP
		// connection; a proxy or a STARTTLS server that answered has
		// spoken for the target.
		var de *dial.Error
		if !errors.As(err, &de) || de.Stage != dial.StageConnect {
			break
		}
	}
	connect := time.Since(t0)
	if log != nil {
		connect = time.Duration(log.ConnectMS * float64(time.Millisecond))
	}
	if err != nil {
		a.Error = classify(StageConnect, err, nil)
		return a
	}
	a.Timings.ConnectMS = ms(connect)
	rc := &recordingConn{Conn: raw, capture: newCertCapture()}
	defer rc.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = rc.SetDeadline(dl)
	}

	var mu sync.Mutex // the callbacks run on the handshake goroutine; be explicit anyway
	cfg := &tls.Config{
		ServerName: s.target.SNI,
		// The probe never verifies: it records the chain and the checks
		// judge it against each truststore.
		InsecureSkipVerify: true,
		MinVersion:         s.minV,
		MaxVersion:         s.maxV,
		NextProtos:         s.target.ALPN,
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range rawCerts {
				a.Certificates = append(a.Certificates, Certificate{DER: append([]byte(nil), c...)})
			}
			return nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			mu.Lock()
			a.OCSPStaple = cs.OCSPResponse
			a.SCTs = cs.SignedCertificateTimestamps
			mu.Unlock()
			if s.onChain != nil {
				raw := make([][]byte, len(cs.PeerCertificates))
				for i, c := range cs.PeerCertificates {
					raw[i] = c.Raw
				}
				s.onChain(raw, cs.OCSPResponse)
			}
			return nil
		},
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			mu.Lock()
			defer mu.Unlock()
			a.CertificateRequest = certificateRequest(cri)
			if s.cert != nil {
				a.ClientCertificateSent = true
				return s.cert, nil
			}
			a.NoClientCertificateReason = s.noCertReason
			if a.NoClientCertificateReason == "" {
				a.NoClientCertificateReason = ReasonNoIdentity
			}
			return &tls.Certificate{}, nil
		},
	}
	if s.allSuites {
		for _, cs := range tls.CipherSuites() {
			cfg.CipherSuites = append(cfg.CipherSuites, cs.ID)
		}
		for _, cs := range tls.InsecureCipherSuites() {
			cfg.CipherSuites = append(cfg.CipherSuites, cs.ID)
		}
		a.Offered.Suites = cfg.CipherSuites
	}
	conn := tls.Client(rc, cfg)
	t1 := time.Now()
	err = conn.HandshakeContext(ctx)
	a.Timings.HandshakeMS = ms(time.Since(t1))
	if err != nil {
		a.Error = classify(StageHandshake, err, rc.first())
		if a.Error.Kind == KindLocal {
			rc.recordRefusedCertificates(&a)
		}
		if a.Error.Kind == KindTimeout && len(rc.first()) == 0 {
			a.Error.Message = "the server accepted the TCP connection but sent nothing within the timeout"
		}
		return a
	}
	st := conn.ConnectionState()
	a.Version, a.VersionID = tls.VersionName(st.Version), st.Version
	a.CipherSuite, a.CipherID = tls.CipherSuiteName(st.CipherSuite), st.CipherSuite
	if st.CurveID != 0 {
		a.Group, a.GroupID = st.CurveID.String(), uint16(st.CurveID)
	}
	a.ALPN = st.NegotiatedProtocol
	a.Resumed = st.DidResume
	a.Outcome = "ok"

	// In TLS 1.3 the server judges our certificate (or its absence) after
	// its Finished; the verdict arrives with the first read. Wait for it
	// only when a certificate was requested (and, for HTTP servers such as
	// nginx that answer 400 instead of an alert, in TLS 1.2 too).
	// After STARTTLS the protocol is not HTTP, whatever the port.
	vt := s.target
	if s.dialer.Protocol() != nil {
		vt.Scheme, vt.Port = schemeNotHTTP, 0
	}
	if a.CertificateRequest != nil && !s.noVerdictWait && wantsVerdict(st.Version, vt, st.NegotiatedProtocol) {
		t2 := time.Now()
		a.PostHandshake = waitVerdict(ctx, conn, vt, st.NegotiatedProtocol, connect, st.Version)
		a.Timings.PostHandshakeMS = ms(time.Since(t2))
		if a.PostHandshake.Verdict == "rejected" {
			a.Outcome = "failed"
			a.Error = a.PostHandshake.Error
		}
	}
	return a
}

func certificateRequest(cri *tls.CertificateRequestInfo) *CertificateRequest {
	cr := &CertificateRequest{AcceptableCAs: []DistinguishedName{}}
	for _, dn := range cri.AcceptableCAs {
		cr.AcceptableCAs = append(cr.AcceptableCAs, DistinguishedName{DER: append([]byte(nil), dn...), Text: DNText(dn)})
	}
	for _, s := range cri.SignatureSchemes {
		cr.SignatureSchemes = append(cr.SignatureSchemes, s.String())
	}
	return cr
}

// DNText renders a DER distinguished name the way OpenSSL's RFC 2253 mode
// does ("CN=Example CA,O=Example,C=XX"); undecodable names are shown as hex.
func DNText(der []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) > 0 {
		return fmt.Sprintf("(undecodable name %x)", der)
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return n.String()
}

// verdictWait is how long to wait for a post-handshake alert: several
// round trips, at least half a second.
func verdictWait(rtt time.Duration) time.Duration {
	w := 4 * rtt
	if w < 500*time.Millisecond {
		w = 500 * time.Millisecond
	}
	return w
}

func waitVerdict(ctx context.Context, conn *tls.Conn, t Target, alpn string, rtt time.Duration, version uint16) *PostHandshake {
	ph := &PostHandshake{Method: "read"}
	deadlineAfter := func() time.Time {
		deadline := time.Now().Add(verdictWait(rtt))
		if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
			deadline = dl
		}
		return deadline
	}
	deadline := deadlineAfter()
	_ = conn.SetDeadline(deadline)
	switch plan := planVerdict(version, t, alpn); {
	case alpn == "h2" || plan == planHTTP:
		return httpVerdict(ctx, conn, t, alpn, deadline, false)
	case plan == planProbeHTTP:
		return httpVerdict(ctx, conn, t, alpn, deadline, true)
	}
	buf := make([]byte, 1)
	if n, err := conn.Read(buf); n > 0 || err == nil {
		ph.Verdict = "accepted"
		return ph
	} else {
		ph = verdictFromErr(ph, err)
	}
	if ph.Verdict == "no-answer" && alpn == "" && t.Scheme != schemeNotHTTP && ctx.Err() == nil {
		ph = probeHTTPAfterQuiet(conn, t, deadlineAfter(), ph)
	}
	return ph
}

func verdictFromErr(ph *PostHandshake, err error) *PostHandshake {
	pe := classify(StagePostHandshake, err, nil)
	switch pe.Kind {
	case KindAlert:
		if pe.Alert.Code == 0 { // close_notify: an orderly close, not a rejection
			ph.Verdict = "closed"
			return ph
		}
		ph.Verdict = "rejected"
		ph.Error = pe
	case KindTimeout:
		ph.Verdict = "no-answer"
	default:
		ph.Verdict = "closed"
		ph.Error = pe
	}
	return ph
}

// recordingConn keeps the first bytes the peer sent, to name the protocol
// of a peer that does not speak TLS.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
	// capture keeps the server's Certificate message while it is in the
	// clear (see capture.go).
	capture *certCapture
}

const recordBytes = 64

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		if room := recordBytes - len(c.buf); room > 0 {
			c.buf = append(c.buf, p[:min(n, room)]...)
		}
		if c.capture != nil {
			c.capture.feed(p[:n])
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *recordingConn) first() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.buf...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
