package checks_test

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// CRL extensions x509.CreateRevocationList does not write.

// idpExt is an issuingDistributionPoint extension (critical, as RFC 5280
// requires): a fullName of URIs, then the flags in tag order [1]
// onlyContainsUserCerts, [2] onlyContainsCACerts, [3] onlySomeReasons
// (keyCompromise), [4] indirectCRL, [5] onlyContainsAttributeCerts.
func idpExt(uris []string, flags ...int) pkix.Extension {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if len(uris) > 0 {
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
					for _, u := range uris {
						b.AddASN1(cbasn1.Tag(6).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte(u)) })
					}
				})
			})
		}
		for _, f := range flags {
			b.AddASN1(cbasn1.Tag(f).ContextSpecific(), func(b *cryptobyte.Builder) {
				if f == 3 {
					b.AddBytes([]byte{0x06, 0x40}) // BIT STRING: keyCompromise
				} else {
					b.AddUint8(0xff)
				}
			})
		}
	})
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 28}, Critical: true, Value: b.BytesOrPanic()}
}

// deltaExt is a deltaCRLIndicator naming base CRL number 1.
func deltaExt() pkix.Extension {
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 27}, Critical: true, Value: []byte{0x02, 0x01, 0x01}}
}

func unknownExt(critical bool) pkix.Extension {
	e := fixtures.CriticalExtension(9)
	e.Critical = critical
	return e
}

// crlLab is a CA whose keyUsage allows cRLSign, one whose keyUsage does
// not, and a leaf under each, naming http://crl.test/ca.crl.
type crlLab struct {
	p   *fixtures.PKI
	env checks.Env
}

const crlURL = "http://crl.test/ca.crl"

func newCRLLab(t *testing.T) *crlLab {
	t.Helper()
	p, err := fixtures.Build(revNow,
		fixtures.CertSpec{Name: "root", CommonName: "CRL Root", IsCA: true},
		fixtures.CertSpec{Name: "int", Parent: "root", CommonName: "CRL Int", IsCA: true, CRLDistributionPoints: []string{"http://crl.test/root.crl"}},
		fixtures.CertSpec{Name: "int-nosign", Parent: "root", CommonName: "CRL Int No Sign", IsCA: true,
			Mutate: func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature }},
		fixtures.CertSpec{Name: "leaf", Parent: "int", CommonName: "localhost", DNSNames: []string{"localhost"}, CRLDistributionPoints: []string{crlURL}},
		fixtures.CertSpec{Name: "leaf-nosign", Parent: "int-nosign", CommonName: "localhost", DNSNames: []string{"localhost"}, CRLDistributionPoints: []string{crlURL}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return &crlLab{p: p, env: checks.Env{Now: revNow, Truststores: []checks.Truststore{checks.NewTruststore("crl root", []*x509.Certificate{p.Get("root").Cert})}}}
}

// crlSpec describes a CRL: who signs it, its dates (offsets from revNow),
// whether it lists the certificate judged, and extensions.
type crlSpec struct {
	signer           string
	thisUpdate, next time.Duration
	revoke           *x509.Certificate
	ext              []pkix.Extension
	entryExt         []pkix.Extension // on an entry for another serial
	entries          int
}

// make signs the CRL. x509.CreateRevocationList refuses an issuer
// without cRLSign; the signature does not depend on the keyUsage, so a
// copy that has it signs for the one that does not.
func (l *crlLab) make(t testing.TB, s crlSpec) []byte {
	t.Helper()
	if s.signer == "" {
		s.signer = "int"
	}
	if s.thisUpdate == 0 {
		s.thisUpdate = -time.Hour
	}
	if s.next == 0 {
		s.next = 24 * time.Hour
	}
	tmpl := &x509.RevocationList{Number: big.NewInt(2), ThisUpdate: revNow.Add(s.thisUpdate), NextUpdate: revNow.Add(s.next), ExtraExtensions: s.ext}
	tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: big.NewInt(4242), RevocationTime: revNow.Add(-2 * time.Hour), ExtraExtensions: s.entryExt})
	for i := 0; i < s.entries; i++ {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: big.NewInt(int64(5000 + i)), RevocationTime: revNow.Add(-time.Hour)})
	}
	if s.revoke != nil {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: s.revoke.SerialNumber, RevocationTime: revNow.Add(-3 * time.Hour), ReasonCode: 1})
	}
	iss := l.p.Get(s.signer)
	signer := *iss.Cert
	signer.KeyUsage |= x509.KeyUsageCRLSign
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, &signer, iss.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// judge is the status of the certificate at idx of chain, from crl.
func (l *crlLab) judge(chain []string, idx int, crl []byte) checks.CertRevocation {
	for _, cr := range checks.Revocation(l.record(chain, idx, crl), l.env) {
		if cr.Index == idx {
			return cr
		}
	}
	return checks.CertRevocation{}
}

// record is a record of chain whose certificate idx was checked with crl.
func (l *crlLab) record(chain []string, idx int, crl []byte) *probe.Record {
	rec := &probe.Record{RecordVersion: probe.RecordVersion, StartedAt: revNow,
		Target:   probe.Target{Input: "localhost:443", Host: "localhost", Port: 443, SNI: "localhost", ConnectHost: "127.0.0.1", ConnectPort: 443},
		Attempts: []probe.Attempt{{Purpose: probe.PurposePrimary, Outcome: "ok", Version: "TLS 1.3"}}}
	for _, n := range chain {
		rec.Attempts[0].Certificates = append(rec.Attempts[0].Certificates, probe.Certificate{DER: l.p.Get(n).Cert.Raw})
	}
	url := crlURL
	if idx > 0 {
		url = "http://crl.test/root.crl"
	}
	rec.Revocation = &probe.Revocation{Mode: probe.RevocationFull, BudgetMS: 1000,
		Fetches: []probe.RevocationFetch{{CertIndex: idx, Source: probe.SourceCRL, URL: url, Method: "GET", HTTPStatus: 200, Response: crl}}}
	return rec
}

// TestCRLUnusableFinding: revocation-unknown says why the CRL cannot be
// used, quotes openssl -crl_check, and tells the CA what to publish.
func TestCRLUnusableFinding(t *testing.T) {
	l := newCRLLab(t)
	crl := l.make(t, crlSpec{ext: []pkix.Extension{unknownExt(true)}, revoke: l.p.Get("leaf").Cert})
	fs := checks.Run(l.record([]string{"leaf", "int"}, 0, crl), l.env)
	f := find(fs, "revocation-unknown")
	if f == nil || find(fs, "cert-revoked") != nil {
		t.Fatalf("want revocation-unknown and no cert-revoked: %v", sortedIDs(fs))
	}
	text := dump([]checks.Finding{*f})
	for _, want := range []string{"critical extension 1.3.6.1.4.1.32473.9", "openssl-crl Verification error: unhandled critical CRL extension (verify error:num=36)", "without critical extensions verifiers do not implement"} {
		if !strings.Contains(text, want) {
			t.Errorf("finding does not say %q:\n%s", want, text)
		}
	}
}

// crlRuleCases are CRLs verifiers refuse to use for the certificate (or
// use), after PKITS 4.4 and 4.14; shared with the OpenSSL test.
func crlRuleCases(l *crlLab) []struct {
	name    string
	chain   []string
	idx     int
	spec    crlSpec
	verdict string
	problem string
} {
	leaf, int_ := l.p.Get("leaf").Cert, l.p.Get("int").Cert
	std := []string{"leaf", "int"}
	return []struct {
		name    string
		chain   []string
		idx     int
		spec    crlSpec
		verdict string
		problem string
	}{
		{"good", std, 0, crlSpec{}, checks.AnswerGood, ""},
		{"revoked", std, 0, crlSpec{revoke: leaf}, checks.AnswerRevoked, ""},
		{"issuer without cRLSign", []string{"leaf-nosign", "int-nosign"}, 0, crlSpec{signer: "int-nosign"}, checks.AnswerInvalid, "keyUsage lacks cRLSign"},
		{"revoked by an issuer without cRLSign", []string{"leaf-nosign", "int-nosign"}, 0, crlSpec{signer: "int-nosign", revoke: l.p.Get("leaf-nosign").Cert}, checks.AnswerInvalid, "keyUsage lacks cRLSign"},
		{"unknown critical CRL extension", std, 0, crlSpec{ext: []pkix.Extension{unknownExt(true)}}, checks.AnswerInvalid, "critical extension 1.3.6.1.4.1.32473.9"},
		{"unknown critical CRL extension hides a revocation", std, 0, crlSpec{ext: []pkix.Extension{unknownExt(true)}, revoke: leaf}, checks.AnswerInvalid, "must not be used"},
		{"unknown non-critical CRL extension", std, 0, crlSpec{ext: []pkix.Extension{unknownExt(false)}}, checks.AnswerGood, ""},
		{"critical entry extension", std, 0, crlSpec{entryExt: []pkix.Extension{unknownExt(true)}}, checks.AnswerInvalid, "entries of it carry the critical extension 1.3.6.1.4.1.32473.9"},
		{"non-critical entry extension", std, 0, crlSpec{entryExt: []pkix.Extension{unknownExt(false)}}, checks.AnswerGood, ""},
		{"delta CRL", std, 0, crlSpec{ext: []pkix.Extension{deltaExt()}}, checks.AnswerInvalid, "delta CRL"},
		{"IDP onlyContainsCACerts, end-entity certificate", std, 0, crlSpec{ext: []pkix.Extension{idpExt(nil, 2)}}, checks.AnswerInvalid, "onlyContainsCACerts"},
		{"IDP onlyContainsUserCerts, end-entity certificate", std, 0, crlSpec{ext: []pkix.Extension{idpExt(nil, 1)}}, checks.AnswerGood, ""},
		{"IDP onlyContainsUserCerts, intermediate", std, 1, crlSpec{signer: "root", ext: []pkix.Extension{idpExt(nil, 1)}}, checks.AnswerInvalid, "onlyContainsUserCerts"},
		{"IDP onlyContainsCACerts, intermediate", std, 1, crlSpec{signer: "root", ext: []pkix.Extension{idpExt(nil, 2)}}, checks.AnswerGood, ""},
		{"intermediate revoked on the root's CRL", std, 1, crlSpec{signer: "root", revoke: int_}, checks.AnswerRevoked, ""},
		{"IDP onlySomeReasons", std, 0, crlSpec{ext: []pkix.Extension{idpExt(nil, 3)}}, checks.AnswerInvalid, "onlySomeReasons"},
		{"IDP indirectCRL", std, 0, crlSpec{ext: []pkix.Extension{idpExt(nil, 4)}}, checks.AnswerInvalid, "indirect CRL"},
		{"IDP onlyContainsAttributeCerts", std, 0, crlSpec{ext: []pkix.Extension{idpExt(nil, 5)}}, checks.AnswerInvalid, "attribute certificates"},
		{"IDP names another distribution point", std, 0, crlSpec{ext: []pkix.Extension{idpExt([]string{"http://crl.test/partition2.crl"})}}, checks.AnswerInvalid, "http://crl.test/partition2.crl, which is none of the certificate's CRL distribution points"},
		{"IDP names the certificate's distribution point", std, 0, crlSpec{ext: []pkix.Extension{idpExt([]string{"http://crl.test/partition2.crl", crlURL})}}, checks.AnswerGood, ""},
		{"thisUpdate in the future", std, 0, crlSpec{thisUpdate: 2 * time.Hour}, checks.AnswerInvalid, "thisUpdate is in the future"},
		{"nextUpdate passed", std, 0, crlSpec{thisUpdate: -48 * time.Hour, next: -time.Hour}, checks.AnswerStale, "nextUpdate passed"},
	}
}

// TestCRLRules: a CRL that does not cover the certificate, that must not
// be used, or whose signer may not sign CRLs, never makes it good.
func TestCRLRules(t *testing.T) {
	l := newCRLLab(t)
	for _, tc := range crlRuleCases(l) {
		t.Run(tc.name, func(t *testing.T) {
			cr := l.judge(tc.chain, tc.idx, l.make(t, tc.spec))
			if len(cr.Answers) != 1 {
				t.Fatalf("answers %+v", cr.Answers)
			}
			a := cr.Answers[0]
			if a.Verdict != tc.verdict || !strings.Contains(a.Problem, tc.problem) {
				t.Errorf("verdict %s (%s), want %s with %q", a.Verdict, a.Problem, tc.verdict, tc.problem)
			}
			if tc.verdict != checks.AnswerGood && cr.Status == checks.RevocationGood {
				t.Errorf("status good from an unusable CRL: %+v", a)
			}
		})
	}
}

// TestCRLRulesOpenSSL measures each CRL with the real OpenSSL (openssl
// verify -crl_check, -crl_check_all for an intermediate): tlsdoctor
// calls a CRL good exactly when OpenSSL accepts it, and a revocation
// revoked only when OpenSSL says "certificate revoked".
func TestCRLRulesOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	l := newCRLLab(t)
	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	for _, tc := range crlRuleCases(l) {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			crl := l.make(t, tc.spec)
			crls := pemOf("X509 CRL", crl)
			flag := "-crl_check"
			if tc.idx > 0 {
				// The leaf's own CRL is good; the one judged is the root's.
				flag = "-crl_check_all"
				crls = append(crls, pemOf("X509 CRL", l.make(t, crlSpec{}))...)
			}
			files := map[string][]byte{"root.pem": l.p.Get("root").PEM(), "int.pem": l.p.Get(tc.chain[1]).PEM(), "leaf.pem": l.p.Get(tc.chain[0]).PEM(), "crl.pem": crls}
			for n, b := range files {
				if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("openssl", "verify", flag, "-attime", fmt.Sprint(revNow.Unix()), "-CAfile", "root.pem", "-untrusted", "int.pem", "-CRLfile", "crl.pem", "leaf.pem")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			msg := strings.TrimSpace(string(out))
			t.Logf("openssl verify %s: %s", flag, strings.ReplaceAll(msg, "\n", " | "))
			// OpenSSL uses a delta CRL as if complete; tlsdoctor, which
			// does not apply deltas, is unsure (never more lenient).
			wantOK := tc.verdict == checks.AnswerGood || tc.name == "delta CRL"
			if ok := err == nil; ok != wantOK {
				t.Errorf("openssl ok=%v, tlsdoctor says %s", ok, tc.verdict)
			}
			// The OpenSSL error tlsdoctor quotes is the one it prints.
			cr := l.judge(tc.chain, tc.idx, crl)
			if o := cr.Answers[0].OpenSSL; o != "" {
				text, num, _ := strings.Cut(strings.TrimSuffix(o, ")"), " (verify error:num=")
				if !strings.Contains(msg, "error "+num+" at ") || !strings.Contains(msg, text) {
					t.Errorf("tlsdoctor quotes openssl %q; it printed %s", o, msg)
				}
			}
			if o := cr.Answers[0].OpenSSL; o == "" && err != nil && tc.verdict != checks.AnswerRevoked {
				t.Errorf("openssl fails (%s) but tlsdoctor quotes no openssl error", msg)
			}
			if tc.verdict == checks.AnswerRevoked && !strings.Contains(msg, "certificate revoked") {
				t.Errorf("tlsdoctor says revoked, openssl: %s", msg)
			}
		})
	}
}
