package certmemo

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
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
