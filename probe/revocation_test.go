package probe

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"net/http"

	"golang.org/x/crypto/ocsp"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

func chainOf(p *fixtures.PKI, names ...string) []Certificate {
	var out []Certificate
	for _, n := range names {
		out = append(out, Certificate{DER: p.Get(n).Cert.Raw})
	}
	return out
}

// TestRevocationAgainstLab asks the lab's responder for real. A usable
// staple answers for the leaf, so only the intermediate is fetched; without
// a staple both are, over GET.
func TestRevocationAgainstLab(t *testing.T) {
	lab := fixtures.TestLab(t, time.Now())
	probeScenario := func(name string) *Record {
		srv, err := lab.Start(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rec, err := Run(ctx, Options{
			Target:     Target{Host: "localhost", Port: srv.Port, ConnectHost: "127.0.0.1", ConnectPort: srv.Port},
			Revocation: RevocationOptions{Mode: RevocationFull, Issuers: []*x509.Certificate{lab.PKI.Get("root").Cert}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	checkGood := func(f RevocationFetch, index int, issuer string) {
		t.Helper()
		if f.CertIndex != index || f.Source != SourceOCSP || f.Method != "GET" || f.HTTPStatus != 200 || f.Error != nil || f.DurationMS <= 0 {
			t.Fatalf("fetch = %+v, want a GET for certificate %d", f, index)
		}
		resp, err := ocsp.ParseResponse(f.Response, lab.PKI.Get(issuer).Cert)
		if err != nil || resp.Status != ocsp.Good {
			t.Errorf("fetch for certificate %d: the responder did not answer good to our GET: %v", index, err)
		}
	}

	stapled := probeScenario("good")
	if len(stapled.Attempts[0].OCSPStaple) == 0 {
		t.Fatal("the good scenario stapled nothing")
	}
	rv := stapled.Revocation
	if rv == nil || rv.Mode != RevocationFull || !rv.LeafFromStaple || len(rv.Fetches) != 1 {
		t.Fatalf("stapled: revocation = %+v, want the staple used for the leaf and one fetch (intermediate)", rv)
	}
	checkGood(rv.Fetches[0], 1, "root")
	if len(rv.Issuers) != 1 || !bytes.Equal(rv.Issuers[0].DER, lab.PKI.Get("root").Cert.Raw) {
		t.Errorf("recorded issuers = %d, want the root (not sent by the server)", len(rv.Issuers))
	}

	bare := probeScenario("must-staple-missing") // served without a staple
	rv = bare.Revocation
	if rv == nil || rv.LeafFromStaple || len(rv.Fetches) != 2 {
		t.Fatalf("unstapled: revocation = %+v, want two OCSP fetches (leaf, intermediate)", rv)
	}
	checkGood(rv.Fetches[0], 0, "intermediate")
	checkGood(rv.Fetches[1], 1, "root")
}

func TestRevocationModes(t *testing.T) {
	lab := fixtures.TestLab(t, time.Now())
	chain := chainOf(lab.PKI, "leaf", "intermediate")
	root := []*x509.Certificate{lab.PKI.Get("root").Cert}
	ctx := context.Background()
	if rv := fetchRevocation(ctx, RevocationOptions{Mode: RevocationOff, Issuers: root}, chain); rv == nil || rv.Mode != RevocationOff || len(rv.Fetches) != 0 || len(rv.Issuers) != 1 {
		t.Errorf("off = %+v, want the mode and the root recorded, no fetch", rv)
	}
	if rv := fetchRevocation(ctx, RevocationOptions{}, chain); rv != nil {
		t.Errorf("the zero value recorded %+v", rv)
	}
	rv := fetchRevocation(ctx, RevocationOptions{Mode: RevocationStapled, Issuers: root}, chain)
	if rv == nil || len(rv.Fetches) != 0 || len(rv.Issuers) != 1 {
		t.Errorf("stapled = %+v, want no fetch and the root recorded as issuer", rv)
	}
}

// revPKI is a PKI whose leaves use the given responder modes.
func revPKI(t *testing.T, specs func(r *fixtures.Responder) []fixtures.CertSpec) (*fixtures.PKI, *fixtures.Responder) {
	t.Helper()
	r, err := fixtures.StartResponder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	all := append([]fixtures.CertSpec{{Name: "root", CommonName: "Test Root CA", IsCA: true}}, specs(r)...)
	p, err := fixtures.Build(time.Now(), all...)
	if err != nil {
		t.Fatal(err)
	}
	r.Use(p)
	return p, r
}

func TestRevocationFallsBackToCRL(t *testing.T) {
	p, r := revPKI(t, func(r *fixtures.Responder) []fixtures.CertSpec {
		return []fixtures.CertSpec{
			{Name: "try-later", Parent: "root", CommonName: "a", OCSPServer: []string{r.OCSPURL("root", fixtures.OCSPTryLater)}, CRLDistributionPoints: []string{r.CRLURL("root", false)}},
			{Name: "unknown", Parent: "root", CommonName: "b", OCSPServer: []string{r.OCSPURL("root", fixtures.OCSPUnknown)}, CRLDistributionPoints: []string{r.CRLURL("root", false)}},
			{Name: "good", Parent: "root", CommonName: "c", OCSPServer: []string{r.OCSPURL("root", fixtures.OCSPGood)}, CRLDistributionPoints: []string{r.CRLURL("root", false)}},
			{Name: "stale", Parent: "root", CommonName: "d", OCSPServer: []string{r.OCSPURL("root", fixtures.OCSPStale)}, CRLDistributionPoints: []string{r.CRLURL("root", false)}},
			{Name: "badsig", Parent: "root", CommonName: "e", OCSPServer: []string{r.OCSPURL("root", fixtures.OCSPBadSig)}, CRLDistributionPoints: []string{r.CRLURL("root", false)}},
		}
	})
	_ = r
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Several "leaves" in one chain: each is fetched for, all share one
	// CRL; only a good, current, correctly signed OCSP answer spares it.
	rv := fetchRevocation(ctx, RevocationOptions{Mode: RevocationFull}, chainOf(p, "try-later", "unknown", "good", "stale", "badsig", "root"))
	var got []string
	cached := 0
	for _, f := range rv.Fetches {
		got = append(got, fmt.Sprintf("%d:%s", f.CertIndex, f.Source))
		if f.Cached {
			cached++
		}
		if f.Source == SourceCRL {
			if _, err := x509.ParseRevocationList(f.Response); err != nil || f.HTTPStatus != 200 {
				t.Errorf("CRL fetch %+v: %v", f, err)
			}
		}
	}
	want := "0:ocsp 0:crl 1:ocsp 1:crl 2:ocsp 3:ocsp 3:crl 4:ocsp 4:crl"
	if strings.Join(got, " ") != want {
		t.Fatalf("fetches = %v, want %s", got, want)
	}
	if cached != 3 {
		t.Errorf("%d fetches came from the per-run cache, want 3 (the shared CRL, fetched once)", cached)
	}
}

func TestOCSPPostForLargeRequest(t *testing.T) {
	_, r := revPKI(t, func(*fixtures.Responder) []fixtures.CertSpec { return nil })
	f := &fetcher{client: nil, cache: NewFetchCache(), perRequest: 2 * time.Second}
	f.client = newTestClient()
	small := f.ocsp(context.Background(), r.OCSPURL("root", fixtures.OCSPGood), make([]byte, 100), true)
	large := f.ocsp(context.Background(), r.OCSPURL("root", fixtures.OCSPGood), make([]byte, 300), true)
	if small.Method != "GET" || large.Method != "POST" {
		t.Errorf("methods = %s (100-byte request), %s (300-byte request); want GET, POST", small.Method, large.Method)
	}
	if large.HTTPStatus != 200 || !bytes.Equal(large.Response, ocsp.MalformedRequestErrorResponse) {
		t.Errorf("the responder did not get the POSTed body: %+v", large)
	}
}

// TestSlowResponderStaysInBudget: a responder that never answers costs
// at most the caller's deadline, and the CRL is still tried in the time
// left.
func TestSlowResponderStaysInBudget(t *testing.T) {
	p, _ := revPKI(t, func(r *fixtures.Responder) []fixtures.CertSpec {
		return []fixtures.CertSpec{{Name: "slow", Parent: "root", CommonName: "a",
			OCSPServer: []string{r.OCSPURL("root", fixtures.OCSPSlow)}, CRLDistributionPoints: []string{r.CRLURL("root", false)}}}
	})
	const limit = 800 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	rv := fetchRevocation(ctx, RevocationOptions{Mode: RevocationFull}, chainOf(p, "slow", "root"))
	if el := time.Since(start); el > limit {
		t.Fatalf("fetching took %s, past the caller's %s deadline", el, limit)
	}
	if len(rv.Fetches) != 2 || rv.Fetches[0].Error == nil || rv.Fetches[0].Error.Kind != KindTimeout {
		t.Fatalf("fetches = %+v, want a timed-out OCSP fetch then the CRL", rv.Fetches)
	}
	if rv.Fetches[1].Source != SourceCRL || rv.Fetches[1].HTTPStatus != 200 {
		t.Errorf("CRL fetch = %+v", rv.Fetches[1])
	}
	if rv.BudgetMS <= 0 || rv.BudgetMS > float64(limit.Milliseconds()) {
		t.Errorf("budget = %v ms, want within the %s deadline", rv.BudgetMS, limit)
	}
}

// TestOpenSSLResponder asks a real `openssl ocsp` responder, started with
// an index file, about a good and a revoked certificate.
func TestOpenSSLResponder(t *testing.T) {
	p := fixtures.TestOpenSSLOCSPPKI(t, time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	ca := p.Get("ca").Cert
	for _, tc := range []struct {
		name   string
		status int
	}{{"good", ocsp.Good}, {"revoked", ocsp.Revoked}} {
		fctx, fcancel := context.WithTimeout(ctx, 5*time.Second)
		rv := fetchRevocation(fctx, RevocationOptions{Mode: RevocationFull, Issuers: []*x509.Certificate{ca}}, chainOf(p, tc.name))
		fcancel()
		if len(rv.Fetches) != 1 || rv.Fetches[0].HTTPStatus != 200 || rv.Fetches[0].Method != "GET" {
			t.Fatalf("%s: fetches = %+v", tc.name, rv.Fetches)
		}
		resp, err := ocsp.ParseResponseForCert(rv.Fetches[0].Response, p.Get(tc.name).Cert, ca)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if resp.Status != tc.status {
			t.Errorf("%s: openssl answered status %d, want %d", tc.name, resp.Status, tc.status)
		}
		if tc.status == ocsp.Revoked && resp.RevocationReason != ocsp.KeyCompromise {
			t.Errorf("revoked: reason %d, want keyCompromise", resp.RevocationReason)
		}
	}
}

func newTestClient() *http.Client {
	return &http.Client{Transport: &http.Transport{}}
}
