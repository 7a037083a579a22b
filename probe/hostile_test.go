package probe

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// heapGrowth runs f and returns the bytes it allocated, roughly.
func heapGrowth(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A server that requests a client certificate and then answers the
// verdict request with an endless status line: the probe reads at most
// MaxLine of it, records a short status, and ends in time: on port 443
// (HTTP from the start) and, in TLS 1.2 on another port, where the probe
// asks whether the service speaks HTTP.
func TestStatusLineFlood(t *testing.T) {
	t.Run("https port", func(t *testing.T) { statusLineFlood(t, 443, 0) })
	t.Run("unknown protocol", func(t *testing.T) { statusLineFlood(t, 0, tls.VersionTLS12) })
}

func statusLineFlood(t *testing.T, targetPort int, maxVersion uint16) {
	p, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "root", IsCA: true, CommonName: "Flood Root"},
		fixtures.CertSpec{Name: "leaf", Parent: "root", DNSNames: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cfg := &tls.Config{Certificates: []tls.Certificate{p.TLSCert("leaf")}, ClientAuth: tls.RequestClientCert, MaxVersion: maxVersion}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				tc := tls.Server(c, cfg)
				if tc.Handshake() != nil {
					return
				}
				chunk := []byte("HTTP/1.1 200 " + strings.Repeat("A", 64<<10))
				if _, err := tc.Write(chunk[:13]); err != nil {
					return
				}
				for {
					if _, err := tc.Write(chunk[13:]); err != nil {
						return
					}
				}
			}()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	if targetPort == 0 {
		targetPort = port
	}
	var rec *Record
	t0 := time.Now()
	grew := heapGrowth(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rec, err = Run(ctx, Options{Target: Target{Host: "localhost", Port: targetPort, ConnectHost: "127.0.0.1", ConnectPort: port}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	ph := rec.Primary().PostHandshake
	if ph == nil || !strings.HasPrefix(ph.HTTPStatus, "HTTP/1.1 200 AAAA") || len(ph.HTTPStatus) > 400 || !strings.Contains(ph.HTTPStatus, "no end of line within") {
		t.Fatalf("post-handshake status of %d bytes: %.200q", len(ph.HTTPStatus), ph.HTTPStatus)
	}
	data, _ := json.Marshal(rec)
	if len(data) > 64<<10 {
		t.Errorf("record is %d bytes", len(data))
	}
	if grew > 64<<20 {
		t.Errorf("the probe allocated %d MB against a flooding server", grew>>20)
	}
	t.Logf("flood: %s, %d KB allocated, record %d bytes", time.Since(t0).Round(time.Millisecond), grew>>10, len(data))
}

func TestReadLine(t *testing.T) {
	r := limitedReader(strings.NewReader("HTTP/1.1 400 Bad Request\r\nServer: x\r\n"), 100)
	if l, err := readLine(r, 64); l != "HTTP/1.1 400 Bad Request" || err != nil {
		t.Errorf("readLine = %q, %v", l, err)
	}
	r = limitedReader(strings.NewReader(strings.Repeat("x", 1000)), 1000)
	if l, err := readLine(r, 64); len(l) != 64 || err != ErrLineTooLong {
		t.Errorf("long line: %d bytes, %v", len(l), err)
	}
}

// A CRL too large to keep is recorded as its summary: size, digest,
// dates, entries, the certificate's entry and the signature's verdict.
func TestLargeCRLSummarised(t *testing.T) {
	now := time.Now()
	p, err := fixtures.Build(now, fixtures.CertSpec{Name: "ca", IsCA: true, CommonName: "CRL CA"},
		fixtures.CertSpec{Name: "leaf", Parent: "ca", DNSNames: []string{"localhost"}, CRLDistributionPoints: []string{"http://placeholder/"}})
	if err != nil {
		t.Fatal(err)
	}
	ca, leaf := p.Get("ca"), p.Get("leaf").Cert
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour)}
	for i := 0; i < 20000; i++ {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: big.NewInt(int64(1000 + i)), RevocationTime: now.Add(-time.Hour)})
	}
	tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: leaf.SerialNumber, RevocationTime: now.Add(-2 * time.Hour), ReasonCode: 1})
	crl, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(crl) <= maxKeptCRL {
		t.Fatalf("the CRL is only %d bytes", len(crl))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(crl) }))
	t.Cleanup(srv.Close)
	leaf.CRLDistributionPoints = []string{srv.URL + "/ca.crl"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f := &fetcher{client: newTestClient(), cache: NewFetchCache(), perRequest: time.Second}
	got := f.statusOf(ctx, 0, leaf, ca.Cert)
	if len(got) != 1 {
		t.Fatalf("fetches = %+v", got)
	}
	r := got[0]
	s := r.CRL
	if r.Response != nil || s == nil || r.ResponseSize != len(crl) || len(r.ResponseSHA256) != 64 {
		t.Fatalf("fetch = %+v, want the CRL summarised", r)
	}
	if s.Entries != 20001 || s.Entry == nil || s.Entry.ReasonCode != 1 || !s.SignatureValid || s.SignatureCheckedWith == "" || s.NextUpdate.IsZero() {
		t.Errorf("summary = %+v", s)
	}
	data, _ := json.Marshal(r)
	if len(data) > 4<<10 {
		t.Errorf("the fetch takes %d bytes in the record", len(data))
	}
}

// A CRL beyond maxCRLBody is cut and nothing of it kept.
func TestTruncatedCRLKeepsNothing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		buf := make([]byte, 1<<20)
		for i := 0; i < 20; i++ {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	f := &fetcher{client: newTestClient(), cache: NewFetchCache(), perRequest: 5 * time.Second}
	r := f.get(context.Background(), SourceCRL, srv.URL, nil, maxCRLBody, false)
	if !r.Truncated || r.Response != nil || r.ResponseSize != maxCRLBody+1 {
		t.Errorf("fetch = truncated %v, %d bytes kept, size %d", r.Truncated, len(r.Response), r.ResponseSize)
	}
}

func TestFetchPolicy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/to-metadata" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			return
		}
		_, _ = w.Write([]byte("not a certificate"))
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	ctx := context.Background()
	fetch := func(p FetchPolicy, targetPrivate bool, u string) AIAFetch {
		fc := newFetchClient(p, targetPrivate, nil)
		defer fc.close()
		return fetchOne(ctx, fc.Client, u)
	}
	for _, tc := range []struct {
		name          string
		policy        FetchPolicy
		targetPrivate bool
		url           string
		refused       string // "" when allowed
	}{
		{"loopback for a loopback target", FetchPolicy{}, true, srv.URL + "/ca.crt", ""},
		{"loopback for a public target", FetchPolicy{}, false, srv.URL + "/ca.crt", "a loopback or private address and the target is public"},
		{"a name resolving to loopback for a public target", FetchPolicy{}, false, "http://localhost:" + port + "/ca.crt", "a loopback or private address"},
		{"loopback for a public target, allowed", FetchPolicy{AllowPrivate: true}, false, srv.URL + "/ca.crt", ""},
		{"cloud metadata", FetchPolicy{}, true, "http://169.254.169.254/latest/meta-data/", "link-local"},
		{"cloud metadata, even with --allow-private-fetch", FetchPolicy{AllowPrivate: true}, false, "http://169.254.169.254/", "link-local"},
		{"IPv6 link-local", FetchPolicy{}, true, "http://[fe80::1]:80/", "link-local"},
		{"a redirect to cloud metadata", FetchPolicy{}, true, srv.URL + "/to-metadata", "link-local"},
		{"unspecified", FetchPolicy{}, true, "http://0.0.0.0:" + port + "/", "not a unicast address"},
	} {
		f := fetch(tc.policy, tc.targetPrivate, tc.url)
		switch {
		case tc.refused == "" && (f.HTTPStatus != 200 || strings.Contains(f.Error, "not fetched")):
			t.Errorf("%s: %+v, want it fetched", tc.name, f)
		case tc.refused != "" && (f.HTTPStatus != 0 || !strings.Contains(f.Error, tc.refused)):
			t.Errorf("%s: error %q (HTTP %d), want it refused: %s", tc.name, f.Error, f.HTTPStatus, tc.refused)
		}
	}
	// Revocation fetches record the refusal as its own kind.
	fc := newFetchClient(FetchPolicy{}, false, nil)
	defer fc.close()
	fr := &fetcher{client: fc.Client, cache: NewFetchCache(), perRequest: time.Second}
	r := fr.get(ctx, SourceOCSP, srv.URL+"/ocsp", nil, maxOCSPBody, false)
	if r.Error == nil || r.Error.Kind != KindPolicy || !strings.HasPrefix(r.Error.Message, "not fetched: 127.0.0.1 is a loopback or private address") {
		t.Errorf("revocation fetch error = %+v, want kind %s", r.Error, KindPolicy)
	}
}
