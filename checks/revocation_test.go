package checks_test

import (
	"encoding/json"
	"net"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

var revNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type revLab struct {
	p *fixtures.PKI
	r *fixtures.Responder
}

func newRevLab(t *testing.T) *revLab {
	t.Helper()
	r, err := fixtures.StartResponder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	loop := []net.IP{net.ParseIP("127.0.0.1")}
	leaf := func(name string, mutate func(*x509Cert)) fixtures.CertSpec {
		return fixtures.CertSpec{Name: name, Parent: "int", CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: loop,
			OCSPServer: []string{r.OCSPURL("int", fixtures.OCSPGood)}, CRLDistributionPoints: []string{r.CRLURL("int", false)},
			Mutate: mutate}
	}
	sct := fixtures.EmbedSCTs(2, revNow.Add(-time.Hour))
	p, err := fixtures.Build(revNow,
		fixtures.CertSpec{Name: "root", CommonName: "Test Root CA", IsCA: true},
		fixtures.CertSpec{Name: "other", CommonName: "Other CA", IsCA: true},
		fixtures.CertSpec{Name: "int", Parent: "root", CommonName: "Test Intermediate CA", IsCA: true,
			OCSPServer: []string{r.OCSPURL("root", fixtures.OCSPGood)}, CRLDistributionPoints: []string{r.CRLURL("root", false)}},
		leaf("leaf", sct),
		leaf("revoked", sct),
		leaf("must", func(c *x509Cert) { sct(c); fixtures.MustStaple(c) }),
		fixtures.CertSpec{Name: "bare", Parent: "int", CommonName: "localhost", DNSNames: []string{"localhost"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	r.Use(p)
	r.Revoke(p.Get("revoked").Cert, revNow.Add(-48*time.Hour), fixtures.ReasonKeyCompromise)
	return &revLab{p: p, r: r}
}

func (l *revLab) ocspResp(t *testing.T, cert, issuer string, mode fixtures.OCSPMode) []byte {
	t.Helper()
	b, err := l.r.Response(cert, issuer, mode)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (l *revLab) crl(t *testing.T, issuer string, stale bool) []byte {
	t.Helper()
	b, err := l.r.CRL(issuer, stale)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (l *revLab) record(staple []byte, mode string, chain []string, fetches ...probe.RevocationFetch) *probe.Record {
	a := probe.Attempt{Purpose: probe.PurposePrimary, Outcome: "ok", Version: "TLS 1.3", OCSPStaple: staple}
	for _, n := range chain {
		a.Certificates = append(a.Certificates, probe.Certificate{DER: l.p.Get(n).Cert.Raw})
	}
	rec := &probe.Record{
		RecordVersion: probe.RecordVersion, StartedAt: revNow,
		Target:   probe.Target{Input: "localhost:443", Host: "localhost", Port: 443, SNI: "localhost", ConnectHost: "127.0.0.1", ConnectPort: 443},
		Attempts: []probe.Attempt{a},
	}
	if mode != "" {
		rec.Revocation = &probe.Revocation{Mode: mode, Fetches: fetches, BudgetMS: 1000}
	}
	return rec
}

func ocspFetch(idx int, resp []byte) probe.RevocationFetch {
	return probe.RevocationFetch{CertIndex: idx, Source: probe.SourceOCSP, URL: "http://ocsp.test/", Method: "GET", HTTPStatus: 200, Response: resp}
}

func crlFetch(idx int, crl []byte) probe.RevocationFetch {
	return probe.RevocationFetch{CertIndex: idx, Source: probe.SourceCRL, URL: "http://crl.test/ca.crl", Method: "GET", HTTPStatus: 200, Response: crl}
}

func errFetch(idx int, source string, kind probe.ErrorKind) probe.RevocationFetch {
	return probe.RevocationFetch{CertIndex: idx, Source: source, URL: "http://down.test/", Method: "GET",
		Error: &probe.ProbeError{Stage: probe.StageRevocation, Kind: kind, Message: string(kind)}}
}

func sortedIDs(fs []checks.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	sort.Strings(out)
	return out
}

// TestRevocationChecks judges records made from fixture answers, offline,
// and again after a JSON round trip to show a saved record replays the
// same verdict.
func TestRevocationChecks(t *testing.T) {
	l := newRevLab(t)
	full := probe.RevocationFull
	intGood := func() probe.RevocationFetch { return ocspFetch(1, l.ocspResp(t, "int", "root", fixtures.OCSPGood)) }
	leafOCSP := func(cert string, mode fixtures.OCSPMode) probe.RevocationFetch {
		return ocspFetch(0, l.ocspResp(t, cert, "int", mode))
	}
	good := func(cert string) []byte { return l.ocspResp(t, cert, "int", fixtures.OCSPGood) }
	// wrongIssuer names "other" in the CertID but is signed by the real
	// issuer: only the CertID check catches it.
	wrongIssuer, err := ocsp.CreateResponse(l.p.Get("other").Cert, l.p.Get("int").Cert, ocsp.Response{
		Status: ocsp.Good, SerialNumber: l.p.Get("leaf").Cert.SerialNumber, ThisUpdate: revNow.Add(-time.Hour), NextUpdate: revNow.Add(time.Hour),
	}, l.p.Get("int").Key)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		rec    *probe.Record
		want   []string
		status []string // per certificate of the path
		detail []string // substrings of the findings' text
	}{
		{name: "good staple and live answers", rec: l.record(good("leaf"), full, []string{"leaf", "int"}, leafOCSP("leaf", fixtures.OCSPGood), intGood()),
			status: []string{"good", "good"}},
		{name: "revoked in staple and live OCSP", rec: l.record(l.ocspResp(t, "revoked", "int", fixtures.OCSPGood), full, []string{"revoked", "int"}, leafOCSP("revoked", fixtures.OCSPGood), intGood()),
			want: []string{"cert-revoked"}, status: []string{"revoked", "good"},
			detail: []string{"keyCompromise", "stapled OCSP and OCSP http://ocsp.test/", "KEY_COMPROMISE", "-Dcom.sun.net.ssl.checkRevocation=true", "ocsp.enable=true", "-Dcom.sun.security.enableCRLDP=true"}},
		{name: "revoked per CRL after OCSP refused", rec: l.record(nil, full, []string{"revoked", "int"}, errFetch(0, probe.SourceOCSP, probe.KindRefused), crlFetch(0, l.crl(t, "int", false)), intGood()),
			want: []string{"cert-revoked", "ocsp-stapling-missing"}, status: []string{"revoked", "good"}, detail: []string{"according to CRL http://crl.test/ca.crl", "connection refused"}},
		{name: "revoked stale answer is still revoked", rec: l.record(nil, full, []string{"revoked", "int"}, leafOCSP("revoked", fixtures.OCSPStale), intGood()),
			want: []string{"cert-revoked", "ocsp-stapling-missing"}, status: []string{"revoked", "good"}},
		{name: "responder says unknown", rec: l.record(nil, full, []string{"leaf", "int"}, leafOCSP("leaf", fixtures.OCSPUnknown), intGood()),
			want: []string{"ocsp-stapling-missing", "revocation-unknown"}, status: []string{"unknown", "good"}, detail: []string{"does not know this certificate"}},
		{name: "bad signature", rec: l.record(nil, full, []string{"leaf", "int"}, leafOCSP("leaf", fixtures.OCSPBadSig), intGood()),
			want: []string{"ocsp-stapling-missing", "revocation-unknown"}, status: []string{"unknown", "good"}, detail: []string{"signature does not verify"}},
		{name: "stale live answer", rec: l.record(nil, full, []string{"leaf", "int"}, leafOCSP("leaf", fixtures.OCSPStale), intGood()),
			want: []string{"ocsp-stapling-missing", "revocation-unknown"}, status: []string{"unknown", "good"}, detail: []string{"stale (expired 3 days ago"}},
		{name: "delegated responder with OCSPSigning", rec: l.record(good("leaf"), full, []string{"leaf", "int"}, leafOCSP("leaf", fixtures.OCSPDelegated), intGood()),
			status: []string{"good", "good"}},
		{name: "delegated responder without OCSPSigning", rec: l.record(nil, full, []string{"leaf", "int"}, leafOCSP("leaf", fixtures.OCSPDelegatedNoEKU), intGood()),
			want: []string{"ocsp-stapling-missing", "revocation-unknown"}, status: []string{"unknown", "good"}, detail: []string{"lacks the OCSPSigning extended key usage"}},
		{name: "answer about another serial", rec: l.record(nil, full, []string{"leaf", "int"}, leafOCSP("leaf", fixtures.OCSPWrongCert), intGood()),
			want: []string{"ocsp-stapling-missing", "revocation-unknown"}, status: []string{"unknown", "good"}, detail: []string{"no response matching"}},
		{name: "CertID names another issuer", rec: l.record(nil, full, []string{"leaf", "int"}, ocspFetch(0, wrongIssuer), intGood()),
			want: []string{"ocsp-stapling-missing", "revocation-unknown"}, status: []string{"unknown", "good"}, detail: []string{"names another issuer"}},
		{name: "tryLater error status", rec: l.record(nil, full, []string{"leaf", "int"}, leafOCSP("leaf", fixtures.OCSPTryLater), intGood()),
			want: []string{"ocsp-stapling-missing", "revocation-unknown"}, status: []string{"unknown", "good"}, detail: []string{`error status "try later"`}},
		{name: "HTTP error", rec: l.record(nil, full, []string{"leaf", "int"}, probe.RevocationFetch{Source: probe.SourceOCSP, URL: "http://ocsp.test/", HTTPStatus: 404}, intGood()),
			want: []string{"ocsp-stapling-missing", "revocation-unknown"}, status: []string{"unknown", "good"}, detail: []string{"HTTP status 404"}},
		{name: "timeout then stale CRL", rec: l.record(nil, full, []string{"leaf", "int"}, errFetch(0, probe.SourceOCSP, probe.KindTimeout), crlFetch(0, l.crl(t, "int", true)), intGood()),
			want: []string{"ocsp-stapling-missing", "revocation-unknown"}, status: []string{"unknown", "good"}, detail: []string{"no answer before the time limit", "CRL http://crl.test/ca.crl: stale", "Error querying OCSP responder"}},
		{name: "good CRL after OCSP failure", rec: l.record(nil, full, []string{"leaf", "int"}, errFetch(0, probe.SourceOCSP, probe.KindRefused), crlFetch(0, l.crl(t, "int", false)), intGood()),
			want: []string{"ocsp-stapling-missing"}, status: []string{"good", "good"}},
		{name: "CRL of another issuer", rec: l.record(nil, full, []string{"leaf", "int"}, crlFetch(0, l.crl(t, "root", false)), intGood()),
			want: []string{"ocsp-stapling-missing", "revocation-unknown"}, status: []string{"unknown", "good"}, detail: []string{"not by the certificate's issuer"}},
		{name: "stale staple, good live answer", rec: l.record(l.ocspResp(t, "leaf", "int", fixtures.OCSPStale), full, []string{"leaf", "int"}, leafOCSP("leaf", fixtures.OCSPGood), intGood()),
			want: []string{"ocsp-staple-stale"}, status: []string{"good", "good"}},
		{name: "badly signed staple", rec: l.record(l.ocspResp(t, "leaf", "int", fixtures.OCSPBadSig), full, []string{"leaf", "int"}, leafOCSP("leaf", fixtures.OCSPGood), intGood()),
			want: []string{"ocsp-staple-invalid"}, status: []string{"good", "good"}, detail: []string{"signature does not verify"}},
		{name: "staple says unknown", rec: l.record(l.ocspResp(t, "leaf", "int", fixtures.OCSPUnknown), full, []string{"leaf", "int"}, leafOCSP("leaf", fixtures.OCSPGood), intGood()),
			want: []string{"ocsp-staple-invalid"}, status: []string{"good", "good"}},
		{name: "must-staple without staple", rec: l.record(nil, full, []string{"must", "int"}, leafOCSP("must", fixtures.OCSPGood), intGood()),
			want: []string{"ocsp-must-staple-missing"}, status: []string{"good", "good"}, detail: []string{"status_request", "curl: (91) No OCSP response received"}},
		{name: "no revocation URLs and no SCTs", rec: l.record(nil, full, []string{"bare", "int"}, intGood()),
			want: []string{"revocation-unknown"}, status: []string{"unknown", "good"}, detail: []string{"names no OCSP responder"}},
		{name: "issuer not sent and not trusted: chain-incomplete says it, status unknown", rec: l.record(good("leaf"), full, []string{"leaf"}),
			want: []string{"chain-incomplete"}, status: []string{"unknown"}},
		{name: "stapled mode without staple", rec: l.record(nil, probe.RevocationStapled, []string{"leaf", "int"}),
			want: []string{"ocsp-stapling-missing"}, status: []string{"not checked", "not checked"}},
		{name: "off mode still reads the staple", rec: l.record(l.ocspResp(t, "revoked", "int", fixtures.OCSPGood), probe.RevocationOff, []string{"revoked", "int"}),
			want: []string{"cert-revoked"}, status: []string{"revoked", "not checked"}},
		{name: "no budget left", rec: func() *probe.Record {
			r := l.record(nil, full, []string{"leaf", "int"})
			r.Revocation.BudgetMS = 0
			return r
		}(), want: []string{"ocsp-stapling-missing", "revocation-unknown", "revocation-unknown"}, status: []string{"unknown", "unknown"}, detail: []string{"no time was left"}},
	}
	env := checks.Env{Now: revNow, Truststores: []checks.Truststore{checks.NewTruststore("test root", []*x509Cert{l.p.Get("root").Cert})}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, err := json.Marshal(tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			replayed, err := probe.DecodeRecord(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range []*probe.Record{tc.rec, replayed} {
				fs := checks.Run(rec, env)
				want := slices.Clone(tc.want)
				sort.Strings(want)
				if got := sortedIDs(fs); !slices.Equal(got, want) {
					t.Fatalf("findings = %v, want %v\n%s", got, want, dump(fs))
				}
				var status []string
				for _, cr := range checks.Revocation(rec, env) {
					status = append(status, cr.Status)
				}
				if !slices.Equal(status, tc.status) {
					t.Errorf("statuses = %v, want %v", status, tc.status)
				}
				text := dump(fs)
				for _, d := range tc.detail {
					if !strings.Contains(text, d) {
						t.Errorf("findings do not mention %q:\n%s", d, text)
					}
				}
			}
		})
	}
}

// SCTs are required only of publicly trusted certificates: the same
// SCT-less chain gives sct-missing against a public store and nothing
// against a private CA bundle.
func TestSCTMissingOnlyWhenPubliclyTrusted(t *testing.T) {
	l := newRevLab(t)
	rec := l.record(nil, probe.RevocationFull, []string{"bare", "int"},
		ocspFetch(1, l.ocspResp(t, "int", "root", fixtures.OCSPGood)))
	store := checks.NewTruststore("test root", []*x509Cert{l.p.Get("root").Cert})
	if slices.Contains(sortedIDs(checks.Run(rec, checks.Env{Now: revNow, Truststores: []checks.Truststore{store}})), "sct-missing") {
		t.Error("sct-missing for a private CA")
	}
	store.Public = true
	fs := checks.Run(rec, checks.Env{Now: revNow, Truststores: []checks.Truststore{store}})
	if !slices.Contains(sortedIDs(fs), "sct-missing") {
		t.Errorf("no sct-missing for a publicly trusted chain without SCTs: %v", sortedIDs(fs))
	}
}

func TestIntermediateRevokedByCRL(t *testing.T) {
	l := newRevLab(t)
	l.r.Revoke(l.p.Get("int").Cert, revNow.Add(-time.Hour), fixtures.ReasonSuperseded)
	rec := l.record(l.ocspResp(t, "leaf", "int", fixtures.OCSPGood), probe.RevocationFull, []string{"leaf", "int"},
		ocspFetch(0, l.ocspResp(t, "leaf", "int", fixtures.OCSPGood)),
		errFetch(1, probe.SourceOCSP, probe.KindRefused), crlFetch(1, l.crl(t, "root", false)))
	env := checks.Env{Now: revNow, Truststores: []checks.Truststore{checks.NewTruststore("test root", []*x509Cert{l.p.Get("root").Cert})}}
	fs := checks.Run(rec, env)
	if got := sortedIDs(fs); !slices.Equal(got, []string{"cert-revoked"}) {
		t.Fatalf("findings = %v, want [cert-revoked]\n%s", got, dump(fs))
	}
	if !strings.Contains(fs[0].Title, `intermediate certificate "Test Intermediate CA" is revoked (superseded`) {
		t.Errorf("title = %q", fs[0].Title)
	}
	if !strings.Contains(checks.FixText(fs[0].Fix), "intermediate CA certificate is revoked") {
		t.Errorf("remediation does not address the intermediate: %s", checks.FixText(fs[0].Fix))
	}
}

func TestSCTSources(t *testing.T) {
	l := newRevLab(t)
	rec := l.record(nil, "", []string{"bare", "int"})
	rec.Attempts[0].SCTs = [][]byte{fixtures.FixtureSCT(7, revNow), {0, 1, 2}}
	got := checks.SCTs(rec)
	if len(got) != 2 || got[0].Source != checks.SCTFromTLS || got[0].Timestamp != revNow || len(got[0].LogID) != 32 || got[0].Problem != "" {
		t.Fatalf("SCTs = %+v", got)
	}
	if got[1].Problem == "" {
		t.Errorf("a 3-byte SCT parsed without a problem: %+v", got[1])
	}
	rec = l.record(nil, "", []string{"leaf", "int"})
	got = checks.SCTs(rec)
	if len(got) != 2 || got[0].Source != checks.SCTFromCertificate || got[1].Source != checks.SCTFromCertificate {
		t.Fatalf("embedded SCTs = %+v", got)
	}
	// An SCT in the stapled OCSP response.
	staple, err := ocsp.CreateResponse(l.p.Get("int").Cert, l.p.Get("int").Cert, ocsp.Response{
		Status: ocsp.Good, SerialNumber: l.p.Get("bare").Cert.SerialNumber, ThisUpdate: revNow, NextUpdate: revNow.Add(time.Hour),
		ExtraExtensions: []pkixExt{sctOCSPExt(t)},
	}, l.p.Get("int").Key)
	if err != nil {
		t.Fatal(err)
	}
	rec = l.record(staple, "", []string{"bare", "int"})
	got = checks.SCTs(rec)
	if len(got) != 1 || got[0].Source != checks.SCTFromOCSP {
		t.Fatalf("OCSP SCTs = %+v", got)
	}
	if fs := checks.Run(rec, checks.Env{Now: revNow}); slices.Contains(sortedIDs(fs), "sct-missing") {
		t.Errorf("sct-missing despite an SCT in the staple")
	}
}

func dump(fs []checks.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.ID + ": " + f.Title + "\n" + f.Detail + "\n" + strings.Join(f.Evidence, "\n") + "\n" + checks.FixText(f.Fix) + "\n")
		for _, c := range f.Clients {
			b.WriteString(c.Client + " " + c.Message + "\n")
		}
	}
	return b.String()
}

// TestAIAIntermediateRevoked: an intermediate the server left out and the
// probe downloaded from AIA is checked like a sent one (its fetch points
// past the sent chain, into Record.RevocationChain).
func TestAIAIntermediateRevoked(t *testing.T) {
	l := newRevLab(t)
	intCert := l.p.Get("int").Cert
	l.r.Revoke(intCert, revNow.Add(-time.Hour), fixtures.ReasonKeyCompromise)
	rec := l.record(l.ocspResp(t, "leaf", "int", fixtures.OCSPGood), probe.RevocationFull, []string{"leaf"},
		ocspFetch(1, l.ocspResp(t, "int", "root", fixtures.OCSPGood)))
	rec.AIA = []probe.AIAFetch{{URL: "http://aia.test/int.der", Format: "der", HTTPStatus: 200, Certificates: []probe.Certificate{{DER: intCert.Raw}}}}
	env := checks.Env{Now: revNow, Truststores: []checks.Truststore{checks.NewTruststore("test root", []*x509Cert{l.p.Get("root").Cert})}}
	statuses := checks.Revocation(rec, env)
	if len(statuses) != 2 || !statuses[1].Fetched || statuses[1].Status != checks.RevocationRevoked || statuses[0].Status != checks.RevocationGood {
		t.Fatalf("statuses = %+v", statuses)
	}
	fs := checks.Run(rec, env)
	var revoked *checks.Finding
	for i := range fs {
		if fs[i].ID == "cert-revoked" {
			revoked = &fs[i]
		}
	}
	if revoked == nil || !strings.Contains(revoked.Title, `intermediate certificate "Test Intermediate CA" is revoked`) {
		t.Fatalf("no cert-revoked for the downloaded intermediate: %v\n%s", sortedIDs(fs), dump(fs))
	}
}
