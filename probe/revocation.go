package probe

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tlsdoctor/tlsdoctor/internal/certmemo"
	"github.com/tlsdoctor/tlsdoctor/internal/sigmemo"
	"golang.org/x/crypto/ocsp"
)

// Revocation modes (--revocation).
const (
	RevocationOff     = "off"
	RevocationStapled = "stapled"
	RevocationFull    = "full"
)

// RevocationOptions say how to fetch revocation information. The zero
// value fetches nothing and records nothing; RevocationOff and
// RevocationStapled fetch nothing but record the mode and the issuers.
type RevocationOptions struct {
	// Mode is RevocationOff, RevocationStapled or RevocationFull; only
	// full fetches. Empty means off.
	Mode string
	// Issuers are extra issuer candidates (the truststore's roots) for
	// certificates whose issuer the server did not send.
	Issuers []*x509.Certificate
	// Budget bounds the whole revocation phase; zero means what is left of
	// the caller's context, less a small reserve for the rest of the run.
	// The phase never outlives the caller's context.
	Budget time.Duration
	// Client makes the HTTP requests; nil means a client that honours the
	// proxy environment variables and the default FetchPolicy (Run passes
	// its own, with the options' policy).
	Client *http.Client
	// Cache, when set, shares OCSP, CRL and AIA answers with the other
	// probes of the run (see FetchCache); nil makes a cache for this probe
	// alone (a CRL shared by two certificates is still fetched once).
	Cache *FetchCache
	// scope names what the fetch policy and proxy allow (Run sets it):
	// an answer in Cache is shared only between probes of one scope, so a
	// probe never gets an answer its own policy would not have fetched.
	scope string
	// Staple is the OCSP response the server stapled for the leaf. When it
	// is usable (parses, signed by the issuer or its delegate, good or
	// revoked, current) the leaf's responder is not asked again.
	Staple []byte
}

// Size limits of fetched bodies; larger bodies are not kept, only marked
// Truncated. A CRL over maxKeptCRL is kept as a CRLSummary.
const (
	maxOCSPBody = 256 << 10
	maxCRLBody  = 16 << 20
	maxKeptCRL  = 256 << 10
	// maxURLsPerCert bounds the OCSP responders, and separately the CRL
	// distribution points, asked for one certificate: a certificate
	// listing a thousand URLs must not make a thousand requests.
	maxURLsPerCert = 4
	// ocspGetLimit is the largest encoded request sent with GET (RFC 6960
	// appendix A.1 and RFC 5019 section 5: GET when under 255 bytes).
	ocspGetLimit = 255
)

// fetchRevocation records the mode and the issuers the server did not
// send, and in full mode asks the OCSP responders and, where OCSP gave no usable
// answer, the CRL distribution points of every certificate of chain whose
// issuer is known, concurrently, within the budget. It records raw
// answers; validating them is the checks' job. The only judgement here is
// whether an OCSP answer is usable enough to skip the CRL (usableOCSP).
func fetchRevocation(ctx context.Context, o RevocationOptions, chain []Certificate) *Revocation {
	rr := startRevocation(ctx, o)
	defer rr.close()
	return rr.fetch(chain, o.Issuers, o.Staple)
}

// revocationRun is one run's revocation phase. In full mode it can begin
// before the run knows everything: prefetch, called as soon as the primary
// handshake has the server's chain, asks about every certificate whose
// issuer the server sent while the handshake finishes and the rest of the
// run goes on (the check without SNI, AIA, the truststores still loading);
// fetch then takes those answers and asks about the rest.
type revocationRun struct {
	o      RevocationOptions
	ctx    context.Context
	cancel context.CancelFunc
	budget time.Duration
	f      *fetcher
	idle   func()

	mu sync.Mutex
	// began is when the first fetch started (the phase's duration counts
	// from there).
	began time.Time
	early map[string]*earlyStatus
}

type earlyStatus struct {
	done chan struct{}
	res  []RevocationFetch
}

// startRevocation sets the budget (what is left of ctx, less a small
// reserve for the rest of the run, or o.Budget) and the fetcher; nil when
// o.Mode is empty. close releases it.
func startRevocation(ctx context.Context, o RevocationOptions) *revocationRun {
	if o.Mode == "" {
		return nil
	}
	rr := &revocationRun{o: o, early: map[string]*earlyStatus{}}
	if o.Mode != RevocationFull {
		return rr
	}
	budget := o.Budget
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		left -= min(left/10, 250*time.Millisecond)
		if budget == 0 || left < budget {
			budget = left
		}
	}
	if budget == 0 {
		budget = 10 * time.Second
	}
	rr.budget = max(budget, 0)
	if budget <= 0 {
		return rr
	}
	rr.ctx, rr.cancel = context.WithTimeout(ctx, budget)
	rr.f = &fetcher{client: o.Client, cache: o.Cache, scope: o.scope, perRequest: max(budget/2, 100*time.Millisecond)}
	if rr.f.cache == nil {
		rr.f.cache = NewFetchCache()
	}
	if rr.f.client == nil {
		// A caller without a client (tests, library use) still gets the
		// fetch policy, as for a private target.
		fc := newFetchClient(FetchPolicy{}, true, nil)
		rr.idle = fc.close
		rr.f.client = fc.Client
	}
	return rr
}

func (rr *revocationRun) close() {
	if rr == nil {
		return
	}
	if rr.cancel != nil {
		rr.cancel()
	}
	if rr.idle != nil {
		rr.idle()
	}
}

func (rr *revocationRun) markBegin() {
	rr.mu.Lock()
	if rr.began.IsZero() {
		rr.began = time.Now()
	}
	rr.mu.Unlock()
}

// prefetch starts asking about every certificate of rawCerts (the chain as
// the server sends it) whose issuer it sent too, unless staple already
// answers for the leaf. It does not wait.
func (rr *revocationRun) prefetch(rawCerts [][]byte, staple []byte) {
	if rr == nil || rr.f == nil {
		return
	}
	certs := make([]*x509.Certificate, len(rawCerts))
	for i, der := range rawCerts {
		certs[i], _ = certmemo.Parse(der)
	}
	for _, cert := range certs {
		if cert == nil || selfIssued(cert) {
			continue
		}
		issuer, _ := IssuerOf(cert, certs, nil)
		// The staple answers for the certificate its CertID names, the
		// leaf wherever the server put it (a reversed chain sends it
		// after its intermediate): that pair needs no request.
		if issuer == nil || stapleAnswers(staple, cert, issuer) {
			continue
		}
		key := string(cert.Raw) + string(issuer.Raw)
		rr.mu.Lock()
		_, dup := rr.early[key]
		e := &earlyStatus{done: make(chan struct{})}
		if !dup {
			rr.early[key] = e
		}
		rr.mu.Unlock()
		if dup {
			continue
		}
		rr.markBegin()
		go func() {
			defer close(e.done)
			e.res = rr.f.statusOf(rr.ctx, 0, cert, issuer)
		}()
	}
}

// fetch records the mode and the issuers the server did not send (found
// among extra), and in full mode every certificate's answers: those
// prefetch started, waited for, and the others, asked now.
func (rr *revocationRun) fetch(chain []Certificate, extra []*x509.Certificate, staple []byte) *Revocation {
	if rr == nil {
		return nil
	}
	start := time.Now()
	rev := &Revocation{Mode: rr.o.Mode}
	certs := make([]*x509.Certificate, len(chain))
	for i, c := range chain {
		certs[i], _ = certmemo.Parse(c.DER) // nil when it does not parse
	}
	issuers := make([]*x509.Certificate, len(certs))
	for i, cert := range certs {
		if cert == nil || selfIssued(cert) {
			continue
		}
		issuer, fromExtra := IssuerOf(cert, certs, extra)
		if fromExtra && !hasCert(rev.Issuers, issuer) {
			rev.Issuers = append(rev.Issuers, Certificate{DER: issuer.Raw})
		}
		issuers[i] = issuer // nil: no request can be built; the checks say so
	}
	if rr.o.Mode != RevocationFull {
		return rev
	}
	rev.BudgetMS = ms(rr.budget)
	if rr.f == nil {
		rev.DurationMS = ms(time.Since(start))
		return rev
	}
	// A usable staple already answers for the leaf: asking its responder
	// too would cost a round trip to the CA on every run for the same fact.
	// The leaf is the certificate the staple's CertID names, found by
	// issuer linkage and serial, not by position: a reversed chain sends
	// [intermediate, leaf].
	stapledFor := -1
	for i, cert := range certs {
		if cert != nil && issuers[i] != nil && stapleAnswers(staple, cert, issuers[i]) {
			stapledFor, rev.LeafFromStaple = i, true
			break
		}
	}
	results := make([][]RevocationFetch, len(certs))
	var wg sync.WaitGroup
	for i, cert := range certs {
		if issuers[i] == nil || i == stapledFor {
			continue
		}
		rr.mu.Lock()
		e := rr.early[string(cert.Raw)+string(issuers[i].Raw)]
		rr.mu.Unlock()
		if e == nil {
			rr.markBegin()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if e != nil {
				<-e.done // bounded by the budget, like everything here
				for _, r := range e.res {
					r.CertIndex = i
					results[i] = append(results[i], r)
				}
				return
			}
			results[i] = rr.f.statusOf(rr.ctx, i, cert, issuers[i])
		}()
	}
	wg.Wait()
	for _, r := range results {
		rev.Fetches = append(rev.Fetches, r...)
	}
	rr.mu.Lock()
	if !rr.began.IsZero() {
		start = rr.began
	}
	rr.mu.Unlock()
	rev.DurationMS = ms(time.Since(start))
	return rev
}

// stapleAnswers reports whether staple is a usable OCSP answer for cert
// issued by issuer (see usableOCSP): its CertID names cert.
func stapleAnswers(staple []byte, cert, issuer *x509.Certificate) bool {
	return len(staple) > 0 && usableOCSP(RevocationFetch{HTTPStatus: http.StatusOK, Response: staple}, cert, issuer)
}

// IssuerOf finds the certificate that signed cert: first among the
// certificates the server sent, then among extra (the truststore, later
// also certificates fetched from AIA). extraUsed says it came from extra.
func IssuerOf(cert *x509.Certificate, sent, extra []*x509.Certificate) (issuer *x509.Certificate, extraUsed bool) {
	for _, c := range sent {
		if c != nil && c != cert && signedBy(cert, c) {
			return c, false
		}
	}
	for _, c := range extra {
		if c != nil && signedBy(cert, c) {
			return c, true
		}
	}
	return nil, false
}

func selfIssued(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && sigmemo.Signed(c, c) == nil
}

func hasCert(cs []Certificate, c *x509.Certificate) bool {
	for _, x := range cs {
		if bytes.Equal(x.DER, c.Raw) {
			return true
		}
	}
	return false
}

type fetcher struct {
	client     *http.Client
	perRequest time.Duration
	cache      *FetchCache
	scope      string
}

// statusOf fetches cert's status: each OCSP URL until one gives a usable
// answer, then, if none did, each CRL URL until one parses.
func (f *fetcher) statusOf(ctx context.Context, idx int, cert, issuer *x509.Certificate) []RevocationFetch {
	var out []RevocationFetch
	// Each request but the last may use half the budget, so that one
	// stalled URL leaves time for the next.
	ocspURLs := cert.OCSPServer[:min(len(cert.OCSPServer), maxURLsPerCert)]
	crlURLs := cert.CRLDistributionPoints[:min(len(cert.CRLDistributionPoints), maxURLsPerCert)]
	left := len(ocspURLs) + len(crlURLs)
	bounded := func() bool { left--; return left > 0 }
	if len(ocspURLs) > 0 {
		req, err := ocsp.CreateRequest(cert, issuer, nil)
		if err == nil {
			for _, u := range ocspURLs {
				r := f.ocsp(ctx, u, req, bounded())
				r.CertIndex = idx
				out = append(out, r)
				if usableOCSP(r, cert, issuer) {
					return out
				}
			}
		}
	}
	for _, u := range crlURLs {
		r := f.get(ctx, SourceCRL, u, nil, maxCRLBody, bounded())
		r.CertIndex = idx
		parsed := r.Error == nil && r.HTTPStatus == http.StatusOK && !r.Truncated && parsesAsCRL(r.Response)
		summarizeCRL(&r, cert, issuer)
		out = append(out, r)
		if parsed {
			break
		}
	}
	return out
}

func parsesAsCRL(der []byte) bool {
	_, err := x509.ParseRevocationList(der)
	return err == nil
}

// summarizeCRL replaces a CRL body too large to keep by its summary for
// cert (see CRLSummary): its size and digest, its issuer, dates and
// number of entries, cert's entry, and whether issuer's key verifies it.
func summarizeCRL(r *RevocationFetch, cert, issuer *x509.Certificate) {
	if len(r.Response) <= maxKeptCRL {
		return
	}
	sum := sha256.Sum256(r.Response)
	r.ResponseSize, r.ResponseSHA256 = len(r.Response), hex.EncodeToString(sum[:])
	s := &CRLSummary{Serial: strings.ToUpper(cert.SerialNumber.Text(16))}
	rl, err := x509.ParseRevocationList(r.Response)
	r.Response, r.CRL = nil, s
	if err != nil {
		s.ParseError = err.Error()
		return
	}
	s.RawIssuer, s.ThisUpdate, s.NextUpdate, s.Entries = rl.RawIssuer, rl.ThisUpdate, rl.NextUpdate, len(rl.RevokedCertificateEntries)
	for _, e := range rl.Extensions[:min(len(rl.Extensions), 16)] {
		v := e.Value
		if len(v) > 1024 {
			v = nil
		}
		s.Extensions = append(s.Extensions, CRLExtension{OID: e.Id.String(), Critical: e.Critical, Value: v})
	}
	seen := map[string]bool{}
	for _, e := range rl.RevokedCertificateEntries {
		if s.Entry == nil && e.SerialNumber != nil && e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			s.Entry = &CRLEntry{RevocationTime: e.RevocationTime, ReasonCode: e.ReasonCode}
		}
		for _, x := range e.Extensions {
			switch oid := x.Id.String(); {
			case oid == "2.5.29.29":
				s.CertificateIssuerEntries = true
			case x.Critical && !seen[oid] && len(s.CriticalEntryExtensions) < 16:
				seen[oid] = true
				s.CriticalEntryExtensions = append(s.CriticalEntryExtensions, oid)
			}
		}
	}
	isum := sha256.Sum256(issuer.Raw)
	s.SignatureCheckedWith = hex.EncodeToString(isum[:])
	s.SignatureValid = rl.CheckSignatureFrom(issuer) == nil
}

// usableOCSP decides whether an OCSP answer makes the CRL unnecessary: it
// parses, is signed by the issuer (or a certificate the issuer signed),
// says good or revoked, and is current. The checks validate it fully.
func usableOCSP(r RevocationFetch, cert, issuer *x509.Certificate) bool {
	if r.Error != nil || r.HTTPStatus != http.StatusOK {
		return false
	}
	resp, err := certmemo.ParseOCSPForCert(r.Response, cert)
	if err != nil || resp.Status == ocsp.Unknown || issuer == nil {
		return false
	}
	// The signature, as ParseResponseForCert would check it with the
	// issuer given, through the memo: the checks verify it again.
	signer := issuer
	if rc := resp.Certificate; rc != nil && !bytes.Equal(rc.Raw, issuer.Raw) {
		if sigmemo.Signed(issuer, rc) != nil {
			return false
		}
		signer = rc
	}
	if sigmemo.CheckSignature(signer, resp.SignatureAlgorithm, resp.TBSResponseData, resp.Signature) != nil {
		return false
	}
	return resp.NextUpdate.IsZero() || time.Now().Before(resp.NextUpdate.Add(5*time.Minute))
}

func (f *fetcher) ocsp(ctx context.Context, responder string, req []byte, bounded bool) RevocationFetch {
	enc := base64.StdEncoding.EncodeToString(req)
	if len(enc) < ocspGetLimit {
		u := strings.TrimSuffix(responder, "/") + "/" + url.PathEscape(enc)
		r := f.get(ctx, SourceOCSP, u, nil, maxOCSPBody, bounded)
		r.URL = responder
		r.Request = req
		return r
	}
	r := f.get(ctx, SourceOCSP, responder, req, maxOCSPBody, bounded)
	r.Request = req
	return r
}

// get performs one request (POST when body is set) through the cache:
// identical requests are made once per run. A bounded request may take
// only the per-request share of the budget.
func (f *fetcher) get(ctx context.Context, source, u string, body []byte, limit int64, bounded bool) RevocationFetch {
	key := f.scope + "\x00" + source + " " + u + " " + string(body)
	r, cached, ok := f.cache.rev.once(ctx, key, func() RevocationFetch {
		return f.do(ctx, source, u, body, limit, bounded)
	})
	if !ok {
		return RevocationFetch{Source: source, URL: u, Method: method(body), Error: classify(StageRevocation, ctx.Err(), nil)}
	}
	r.Cached = cached
	return r
}

func method(body []byte) string {
	if body != nil {
		return http.MethodPost
	}
	return http.MethodGet
}

func (f *fetcher) do(ctx context.Context, source, u string, body []byte, limit int64, bounded bool) (r RevocationFetch) {
	r = RevocationFetch{Source: source, URL: u, Method: method(body)}
	t0 := time.Now()
	defer func() { r.DurationMS = ms(time.Since(t0)) }()
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") {
		r.Error = &ProbeError{Stage: StageRevocation, Kind: KindOther, Message: fmt.Sprintf("not an http URL; only http(s) %s URLs are fetched", strings.ToUpper(source))}
		return r
	}
	if bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.perRequest)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u, rd)
	if err != nil {
		r.Error = &ProbeError{Stage: StageRevocation, Kind: KindOther, Message: err.Error()}
		return r
	}
	req.Header.Set("User-Agent", "tlsdoctor")
	if body != nil {
		req.Header.Set("Content-Type", "application/ocsp-request")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		r.Error = classify(StageRevocation, unwrapURL(err), nil)
		return r
	}
	defer resp.Body.Close()
	r.HTTPStatus = resp.StatusCode
	r.ContentType = clamp(resp.Header.Get("Content-Type"), 256)
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if int64(len(data)) > limit {
		// Cut, it cannot be judged: keep none of it.
		r.Truncated, r.ResponseSize = true, len(data)
		data = nil
	}
	r.Response = data
	if err != nil {
		r.Error = classify(StageRevocation, unwrapURL(err), nil)
	}
	return r
}

// unwrapURL drops net/http's *url.Error wrapper, whose message repeats the
// (long, for OCSP GET) URL; the record has the URL already.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
