package probe

import (
	"context"
	"crypto/x509"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

func aiaServer(t *testing.T) *fixtures.AIAServer {
	t.Helper()
	a, err := fixtures.NewAIAServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// TestFetchAIAFormats completes a leaf-only chain from an AIA server
// serving the intermediate as DER, PEM and PKCS#7 (.p7c).
func TestFetchAIAFormats(t *testing.T) {
	now := time.Now()
	a := aiaServer(t)
	p, err := fixtures.Build(now,
		fixtures.CertSpec{Name: "root", CommonName: "AIA Root", IsCA: true},
		fixtures.CertSpec{Name: "inter", Parent: "root", CommonName: "AIA Intermediate", IsCA: true},
	)
	if err != nil {
		t.Fatal(err)
	}
	base := a.Publish("inter", p.Get("inter").Cert, p.Get("root").Cert)
	for _, ext := range []string{"der", "pem", "p7c"} {
		t.Run(ext, func(t *testing.T) {
			leaf, err := p.Issue(fixtures.CertSpec{Name: "leaf-" + ext, Parent: "inter", CommonName: "localhost", DNSNames: []string{"localhost"},
				IssuingCertificateURL: []string{"ldap://ldap.example.test/cn=x", base + "." + ext}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			got := fetchAIA(ctx, nil, nil, "", []Certificate{{DER: leaf.Cert.Raw}}, nil)
			if len(got) != 2 {
				t.Fatalf("%d fetches recorded, want 2 (the ldap URL skipped, the http one fetched): %+v", len(got), got)
			}
			if !strings.Contains(got[0].Error, "only http") {
				t.Errorf("ldap URL: error %q, want it recorded as not fetched", got[0].Error)
			}
			f := got[1]
			wantFormat := map[string]string{"der": "der", "pem": "pem", "p7c": "pkcs7"}[ext]
			if f.Error != "" || f.Format != wantFormat || f.HTTPStatus != 200 {
				t.Fatalf("fetch = %+v, want format %s and no error", f, wantFormat)
			}
			c, err := x509.ParseCertificate(f.Certificates[0].DER)
			if err != nil || !c.Equal(p.Get("inter").Cert) {
				t.Errorf("first fetched certificate is not the intermediate (%v)", err)
			}
			if f.ForSubject != leaf.Cert.Subject.String() || len(f.ForSHA256) != 64 {
				t.Errorf("fetch names %q / %q, want the leaf", f.ForSubject, f.ForSHA256)
			}
		})
	}
}

// TestFetchAIAFailures records failed fetches and fetches each URL once.
func TestFetchAIAFailures(t *testing.T) {
	now := time.Now()
	a := aiaServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/gone.der"
	ln.Close()
	junk := a.Serve("/junk.crt", "text/html", []byte("<html>not a certificate</html>"))
	missing := a.Base + "/missing.der"
	p, err := fixtures.Build(now,
		fixtures.CertSpec{Name: "root", CommonName: "Root", IsCA: true},
		fixtures.CertSpec{Name: "inter", Parent: "root", CommonName: "Inter", IsCA: true},
		fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "localhost", IssuingCertificateURL: []string{missing, closed, junk}},
		fixtures.CertSpec{Name: "leaf2", Parent: "inter", CommonName: "other", IssuingCertificateURL: []string{missing}},
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got := fetchAIA(ctx, nil, nil, "", []Certificate{{DER: p.Get("leaf").Cert.Raw}, {DER: p.Get("leaf2").Cert.Raw}}, nil)
	if len(got) != 3 {
		t.Fatalf("%d fetches, want 3 (each URL once): %+v", len(got), got)
	}
	if got[0].HTTPStatus != 404 || !strings.Contains(got[0].Error, "404") {
		t.Errorf("missing: %+v, want HTTP 404 recorded", got[0])
	}
	if got[1].Error == "" || got[1].HTTPStatus != 0 {
		t.Errorf("closed port: %+v, want a connection error recorded", got[1])
	}
	if got[2].Error == "" || len(got[2].Certificates) != 0 {
		t.Errorf("junk body: %+v, want a parse error recorded", got[2])
	}
	if n := a.Hits("/missing.der"); n != 1 {
		t.Errorf("/missing.der fetched %d times, want once per run", n)
	}
}

// TestRunFetchesAIA runs the probe against the lab's AIA scenario and
// checks the record holds the fetched intermediate, and that NoAIA
// fetches nothing.
func TestRunFetchesAIA(t *testing.T) {
	l := fixtures.TestLab(t, time.Now())
	srv, err := l.Start("missing-intermediate-aia")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	target := Target{Input: srv.Addr, Host: "localhost", Port: srv.Port, ConnectHost: "127.0.0.1", ConnectPort: srv.Port}
	for _, noAIA := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rec, err := Run(ctx, Options{Target: target, NoAIA: noAIA,
			Revocation: RevocationOptions{Mode: RevocationFull, Issuers: []*x509.Certificate{l.PKI.Get("root").Cert}}})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if noAIA {
			if len(rec.AIA) != 0 {
				t.Errorf("NoAIA: %d fetches recorded", len(rec.AIA))
			}
			continue
		}
		if len(rec.AIA) != 1 || len(rec.AIA[0].Certificates) != 1 {
			t.Fatalf("AIA = %+v, want one fetch with the intermediate", rec.AIA)
		}
		c, _ := x509.ParseCertificate(rec.AIA[0].Certificates[0].DER)
		if c == nil || !c.Equal(l.PKI.Get("intermediate").Cert) {
			t.Error("the fetched certificate is not the lab intermediate")
		}
		// The downloaded intermediate's revocation is asked too, as the
		// certificate after the sent chain (RevocationChain).
		if len(rec.RevocationChain()) != 2 || !slices.ContainsFunc(rec.Revocation.Fetches, func(f RevocationFetch) bool {
			return f.CertIndex == 1 && f.Source == SourceOCSP && f.HTTPStatus == 200
		}) {
			t.Errorf("no OCSP fetch for the downloaded intermediate: %+v", rec.Revocation.Fetches)
		}
	}
}

func TestParseCertificateBodyRejects(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("hello"), {0x30, 0x03, 0x02, 0x01, 0x01}, []byte("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")} {
		if _, _, err := ParseCertificateBody(b); err == nil {
			t.Errorf("%q parsed as certificates", b)
		}
	}
}

// TestFetchAIASkipsKnownIssuers: no download for a certificate issued by
// a trust anchor the caller has, nor for one whose issuer was sent.
func TestFetchAIASkipsKnownIssuers(t *testing.T) {
	a := aiaServer(t)
	p, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "root", CommonName: "Root", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	url := a.Publish("root", p.Get("root").Cert) + ".der"
	inter, err := p.Issue(fixtures.CertSpec{Name: "inter", Parent: "root", CommonName: "Inter", IsCA: true, IssuingCertificateURL: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := p.Issue(fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "localhost", IssuingCertificateURL: []string{a.Base + "/inter.der"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sent := []Certificate{{DER: leaf.Cert.Raw}, {DER: inter.Cert.Raw}}
	if got := fetchAIA(ctx, nil, nil, "", sent, [][]byte{p.Get("root").Cert.RawSubject}); len(got) != 0 {
		t.Errorf("fetched %+v; the root is known and the leaf's issuer was sent", got)
	}
	if got := fetchAIA(ctx, nil, nil, "", sent, nil); len(got) != 1 || got[0].URL != url {
		t.Errorf("without known roots: %+v, want one fetch of the root", got)
	}
}

func FuzzParseCertificateBody(f *testing.F) {
	p, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "root", CommonName: "Root", IsCA: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.Get("root").Cert.Raw)
	f.Add(p.PEMBundle("root"))
	f.Add(fixtures.PKCS7(p.Get("root").Cert))
	f.Fuzz(func(t *testing.T, body []byte) {
		certs, _, err := ParseCertificateBody(body)
		if err == nil && len(certs) == 0 {
			t.Error("no error and no certificate")
		}
	})
}
