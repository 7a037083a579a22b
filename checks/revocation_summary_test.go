package checks_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// A CRL too large to keep in the record (summarised by the probe) gives
// the same verdict offline as the whole CRL judged directly: revoked,
// good, stale, and a bad signature.
func TestLargeCRLSameVerdictOffline(t *testing.T) {
	now := time.Now()
	var serve atomic.Value // []byte
	crlSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(serve.Load().([]byte)) }))
	t.Cleanup(crlSrv.Close)
	p, err := fixtures.Build(now,
		fixtures.CertSpec{Name: "root", CommonName: "Big CRL Root", IsCA: true},
		fixtures.CertSpec{Name: "other", CommonName: "Big CRL Root", IsCA: true},
		fixtures.CertSpec{Name: "leaf", Parent: "root", DNSNames: []string{"localhost"}, CRLDistributionPoints: []string{crlSrv.URL + "/root.crl"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.TLSCert("leaf")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	leaf := p.Get("leaf").Cert
	bigCRL := func(signer string, next time.Time, listLeaf bool, mod ...func(*x509.RevocationList)) []byte {
		tmpl := &x509.RevocationList{Number: big.NewInt(7), ThisUpdate: now.Add(-2 * time.Hour), NextUpdate: next}
		for i := 0; i < 20000; i++ {
			tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: big.NewInt(int64(5000 + i)), RevocationTime: now.Add(-time.Hour)})
		}
		if listLeaf {
			tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: leaf.SerialNumber, RevocationTime: now.Add(-3 * time.Hour), ReasonCode: 1})
		}
		for _, m := range mod {
			m(tmpl)
		}
		s := p.Get(signer)
		der, err := x509.CreateRevocationList(rand.Reader, tmpl, s.Cert, s.Key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	roots := []checks.Truststore{checks.NewTruststore("root", []*x509.Certificate{p.Get("root").Cert})}
	for _, tc := range []struct {
		name, verdict string
		crl           []byte
	}{
		{"revoked", checks.AnswerRevoked, bigCRL("root", now.Add(24*time.Hour), true)},
		{"good", checks.AnswerGood, bigCRL("root", now.Add(24*time.Hour), false)},
		{"stale", checks.AnswerStale, bigCRL("root", now.Add(-time.Hour), false)},
		{"bad signature", checks.AnswerInvalid, bigCRL("other", now.Add(24*time.Hour), false)},
		// The CRL's scope and usability survive the summary.
		{"unknown critical extension", checks.AnswerInvalid, bigCRL("root", now.Add(24*time.Hour), true, func(rl *x509.RevocationList) {
			rl.ExtraExtensions = []pkix.Extension{unknownExt(true)}
		})},
		{"critical entry extension", checks.AnswerInvalid, bigCRL("root", now.Add(24*time.Hour), false, func(rl *x509.RevocationList) {
			rl.RevokedCertificateEntries[7].ExtraExtensions = []pkix.Extension{unknownExt(true)}
		})},
		{"another distribution point", checks.AnswerInvalid, bigCRL("root", now.Add(24*time.Hour), false, func(rl *x509.RevocationList) {
			rl.ExtraExtensions = []pkix.Extension{idpExt([]string{"http://crl.test/partition2.crl"})}
		})},
		{"its own distribution point", checks.AnswerGood, bigCRL("root", now.Add(24*time.Hour), false, func(rl *x509.RevocationList) {
			rl.ExtraExtensions = []pkix.Extension{idpExt([]string{crlSrv.URL + "/root.crl"})}
		})},
		{"delta CRL", checks.AnswerInvalid, bigCRL("root", now.Add(24*time.Hour), false, func(rl *x509.RevocationList) {
			rl.ExtraExtensions = []pkix.Extension{deltaExt()}
		})},
	} {
		serve.Store(tc.crl)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rec, err := probe.Run(ctx, probe.Options{Target: probe.Target{Host: "localhost", Port: port, ConnectHost: "127.0.0.1", ConnectPort: port},
			Revocation: probe.RevocationOptions{Mode: probe.RevocationFull, Issuers: roots[0].Certs}})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(rec)
		saved, err := probe.DecodeRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(saved.Revocation.Fetches); n != 1 || saved.Revocation.Fetches[0].CRL == nil || saved.Revocation.Fetches[0].Response != nil {
			t.Fatalf("%s: %d fetches, want one CRL, summarised", tc.name, n)
		}
		if len(data) > 32<<10 {
			t.Errorf("%s: the record is %d bytes for a %d-byte CRL", tc.name, len(data), len(tc.crl))
		}
		env := checks.Env{Now: now, Truststores: roots}
		offline := checks.Revocation(saved, env)
		// The same record with the whole CRL, as the probe kept it before.
		whole, _ := probe.DecodeRecord(data)
		f := &whole.Revocation.Fetches[0]
		f.Response, f.CRL = tc.crl, nil
		direct := checks.Revocation(whole, env)
		if len(offline) == 0 || len(direct) == 0 || len(offline[0].Answers) != 1 || len(direct[0].Answers) != 1 {
			t.Fatalf("%s: statuses %+v / %+v", tc.name, offline, direct)
		}
		o, d := offline[0].Answers[0], direct[0].Answers[0]
		if o.Verdict != tc.verdict || o.Verdict != d.Verdict || o.Problem != d.Problem || o.Reason != d.Reason || !o.RevokedAt.Equal(d.RevokedAt) || o.SignedBy != d.SignedBy || offline[0].Status != direct[0].Status {
			t.Errorf("%s: summarised %+v, whole %+v (want %s)", tc.name, o, d, tc.verdict)
		}
	}
}
