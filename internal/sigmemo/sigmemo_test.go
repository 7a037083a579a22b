package sigmemo

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// The memo gives the same answer as the verification itself, for a good
// signature, a wrong key and a tampered certificate, and remembers it.
func TestSignedMatchesCheckSignature(t *testing.T) {
	p, err := fixtures.Build(time.Now(),
		fixtures.CertSpec{Name: "root", CommonName: "Memo Root", IsCA: true},
		fixtures.CertSpec{Name: "other", CommonName: "Other Root", IsCA: true},
		fixtures.CertSpec{Name: "leaf", Parent: "root", CommonName: "memo.test", DNSNames: []string{"memo.test"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	root, other, leaf := p.Get("root").Cert, p.Get("other").Cert, p.Get("leaf").Cert
	tampered := *leaf
	tampered.Signature = append([]byte(nil), leaf.Signature...)
	tampered.Signature[len(tampered.Signature)-1] ^= 1
	for i := 0; i < 2; i++ { // the second round answers from the memo
		for _, c := range []struct {
			parent, child *x509.Certificate
			ok            bool
		}{{root, leaf, true}, {other, leaf, false}, {root, &tampered, false}} {
			got := Signed(c.parent, c.child)
			want := c.parent.CheckSignature(c.child.SignatureAlgorithm, c.child.RawTBSCertificate, c.child.Signature)
			if (got == nil) != c.ok || (want == nil) != c.ok {
				t.Errorf("round %d: %s by %s: memo %v, direct %v, want ok=%v", i, c.child.Subject, c.parent.Subject, got, want, c.ok)
			}
		}
	}
	memo.Lock()
	n := len(memo.m)
	memo.Unlock()
	if n != 3 {
		t.Errorf("%d entries remembered, want 3", n)
	}
}
