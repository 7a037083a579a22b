package certmemo

import (
	"bytes"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"golang.org/x/crypto/ocsp"
)

// Parse gives what x509.ParseCertificate gives, the same certificate for
// the same bytes, and a certificate that does not alias the caller's
// buffer; an error is remembered as an error.
func TestParse(t *testing.T) {
	p, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "root", CommonName: "Memo Root", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	der := bytes.Clone(p.Get("root").Cert.Raw)
	a, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := x509.ParseCertificate(der)
	if !a.Equal(want) || a.Subject.String() != want.Subject.String() {
		t.Fatal("memo parse differs from x509.ParseCertificate")
	}
	b, _ := Parse(bytes.Clone(der))
	if a != b {
		t.Error("the same bytes parsed twice")
	}
	orig := bytes.Clone(der)
	der[len(der)-1] ^= 0xff // the caller reuses its buffer
	if !bytes.Equal(a.Raw, orig) {
		t.Error("the remembered certificate aliases the caller's bytes")
	}
	bad := []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	_, err1 := Parse(bad)
	_, err2 := x509.ParseCertificate(bad)
	if err1 == nil || err1.Error() != err2.Error() {
		t.Errorf("bad DER: %v, want %v", err1, err2)
	}
}

// ParseOCSPForCert answers as ocsp.ParseResponseForCert does, per
// certificate serial: the same bytes asked about another serial are not
// the remembered answer.
func TestParseOCSPForCert(t *testing.T) {
	now := time.Now()
	p, err := fixtures.Build(now,
		fixtures.CertSpec{Name: "root", CommonName: "Memo Root", IsCA: true},
		fixtures.CertSpec{Name: "a", Parent: "root", CommonName: "a.test", DNSNames: []string{"a.test"}},
		fixtures.CertSpec{Name: "b", Parent: "root", CommonName: "b.test", DNSNames: []string{"b.test"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	root, a, b := p.Get("root"), p.Get("a").Cert, p.Get("b").Cert
	raw, err := ocsp.CreateResponse(root.Cert, root.Cert, ocsp.Response{Status: ocsp.Revoked, SerialNumber: a.SerialNumber, ThisUpdate: now, NextUpdate: now.Add(time.Hour), RevokedAt: now}, root.Key)
	if err != nil {
		t.Fatal(err)
	}
	for pass := 0; pass < 2; pass++ {
		for _, c := range []*x509.Certificate{a, b} {
			got, gotErr := ParseOCSPForCert(raw, c)
			want, wantErr := ocsp.ParseResponseForCert(raw, c, nil)
			if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
				t.Fatalf("pass %d, %s: error %v, want %v", pass, c.Subject.CommonName, gotErr, wantErr)
			}
			if gotErr == nil && (got.Status != want.Status || got.SerialNumber.Cmp(want.SerialNumber) != 0) {
				t.Fatalf("pass %d, %s: status %d serial %s, want %d %s", pass, c.Subject.CommonName, got.Status, got.SerialNumber, want.Status, want.SerialNumber)
			}
		}
	}
}

// The key of a response and a serial cannot be the key of another pair:
// the response with a few bytes appended (which does not parse) asked
// about a serial made of the rest is not the first pair's answer.
func TestParseOCSPForCertKeyIsUnambiguous(t *testing.T) {
	now := time.Now()
	p, err := fixtures.Build(now, fixtures.CertSpec{Name: "root", CommonName: "Memo Root", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	root := p.Get("root")
	serial := big.NewInt(0x0102030405)
	raw, err := ocsp.CreateResponse(root.Cert, root.Cert, ocsp.Response{Status: ocsp.Good, SerialNumber: serial, ThisUpdate: now, NextUpdate: now.Add(time.Hour)}, root.Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseOCSPForCert(raw, &x509.Certificate{SerialNumber: serial}); err != nil {
		t.Fatal(err)
	}
	// raw, the sign byte (2) and the serial's first byte (1) as a longer
	// response; its second byte (2) reads as a positive sign, and the
	// rest as the other serial.
	longer := append(bytes.Clone(raw), 2, 1)
	other := big.NewInt(0x030405)
	_, wantErr := ocsp.ParseResponseForCert(longer, &x509.Certificate{SerialNumber: other}, nil)
	if _, err := ParseOCSPForCert(longer, &x509.Certificate{SerialNumber: other}); (err == nil) != (wantErr == nil) {
		t.Errorf("response with trailing bytes: error %v, want %v", err, wantErr)
	}
}
