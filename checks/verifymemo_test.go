package checks

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// memoVerify answers as x509.Verify does, at every time around the
// validity edges of the chain (a remembered success must not outlive the
// leaf's NotAfter, nor start before a certificate's NotBefore), and hands
// back this call's own certificates.
func TestMemoVerifyMatchesVerify(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	p, err := fixtures.Build(now,
		fixtures.CertSpec{Name: "root", CommonName: "Memo Root", IsCA: true},
		fixtures.CertSpec{Name: "inter", Parent: "root", CommonName: "Memo Intermediate", IsCA: true},
		fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "memo.test", DNSNames: []string{"memo.test"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	store := NewTruststore("test", []*x509.Certificate{p.Get("root").Cert})
	leaf, inter := p.Get("leaf").Cert, p.Get("inter").Cert
	edges := []time.Time{leaf.NotBefore, leaf.NotAfter, inter.NotBefore, inter.NotAfter, p.Get("root").Cert.NotAfter}
	var times []time.Time
	for _, e := range edges {
		times = append(times, e.Add(-time.Nanosecond), e, e.Add(time.Nanosecond), e.Add(time.Hour))
	}
	times = append(times, now)
	verify := func(at time.Time) ([][]*x509.Certificate, error) {
		pool := x509.NewCertPool()
		pool.AddCert(inter)
		return leaf.Verify(x509.VerifyOptions{Roots: store.Pool(), Intermediates: pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	}
	// Twice over, so that the second pass meets remembered answers at
	// times on either side of each edge.
	for pass := 0; pass < 2; pass++ {
		for _, at := range times {
			pool := x509.NewCertPool()
			pool.AddCert(inter)
			got, gotErr := memoVerify(leaf, []*x509.Certificate{inter}, store, x509.VerifyOptions{Roots: store.Pool(), Intermediates: pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			want, wantErr := verify(at)
			if (gotErr == nil) != (wantErr == nil) || len(got) != len(want) {
				t.Fatalf("pass %d at %s: memo %d chains, %v; Verify %d chains, %v", pass, at, len(got), gotErr, len(want), wantErr)
			}
			if gotErr != nil && gotErr.Error() != wantErr.Error() {
				t.Errorf("at %s: memo error %q, Verify %q", at, gotErr, wantErr)
			}
			for _, ch := range got {
				if ch[0] != leaf || ch[1] != inter {
					t.Errorf("at %s: the chain does not hold this call's certificates", at)
				}
			}
		}
	}
}
