package checks

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

func TestSameNameAcrossStringTypes(t *testing.T) {
	printable, err := asn1.Marshal(pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "Example Root CA"}}})
	if err != nil {
		t.Fatal(err)
	}
	// The same name with the value as UTF8String (tag 12) instead of
	// PrintableString (tag 19).
	utf8 := append([]byte(nil), printable...)
	for i := range utf8 {
		if utf8[i] == 0x13 && i+1 < len(utf8) && int(utf8[i+1]) == len("Example Root CA") {
			utf8[i] = 0x0c
		}
	}
	if string(utf8) == string(printable) {
		t.Fatal("test bug: the two encodings are identical")
	}
	if !sameName(printable, utf8) {
		t.Error("the same name in PrintableString and UTF8String must match")
	}
	other, _ := asn1.Marshal(pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "Other Root CA"}}})
	if sameName(printable, other) {
		t.Error("different names matched")
	}
}

func TestMatchCAAndChainShape(t *testing.T) {
	l := fixtures.TestLab(t, time.Now())
	dn := func(name string) probe.DistinguishedName {
		c := l.PKI.Get(name).Cert
		return probe.DistinguishedName{DER: c.RawSubject, Text: c.Subject.String()}
	}
	certs := func(names ...string) []*x509.Certificate {
		var out []*x509.Certificate
		for _, n := range names {
			out = append(out, l.PKI.Get(n).Cert)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		chain    []string
		cas      []string
		match    bool
		complete bool
	}{
		{"root listed, leaf+intermediate", []string{"client", "intermediate"}, []string{"root"}, true, true},
		{"root listed, leaf only", []string{"client"}, []string{"root"}, false, false},
		{"intermediate listed, leaf only", []string{"client"}, []string{"intermediate"}, true, false},
		{"other root listed", []string{"client", "intermediate"}, []string{"other-root"}, false, true},
		{"deep chain reaches root", []string{"client-deep", "issuing", "intermediate"}, []string{"root"}, true, true},
		{"deep chain missing the middle", []string{"client-deep", "intermediate"}, []string{"root"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dns []probe.DistinguishedName
			for _, n := range tc.cas {
				dns = append(dns, dn(n))
			}
			ch := certs(tc.chain...)
			if got := matchCA(linkChain(ch, newLinker(maxSigChecks)), dns) != nil; got != tc.match {
				t.Errorf("matchCA = %v, want %v", got, tc.match)
			}
			m := &mtls{chain: ch, linked: linkChain(ch, newLinker(maxSigChecks))}
			if got := m.chainComplete(); got != tc.complete {
				t.Errorf("chainComplete = %v, want %v", got, tc.complete)
			}
		})
	}
}

func TestClientAuthEKU(t *testing.T) {
	for _, tc := range []struct {
		eku  []x509.ExtKeyUsage
		want bool
	}{
		{nil, true},
		{[]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, true},
		{[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, true},
		{[]x509.ExtKeyUsage{x509.ExtKeyUsageAny}, true},
		{[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, false},
		{[]x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}, false},
	} {
		if got := hasClientAuthEKU(&x509.Certificate{ExtKeyUsage: tc.eku}); got != tc.want {
			t.Errorf("hasClientAuthEKU(%v) = %v, want %v", tc.eku, got, tc.want)
		}
	}
}
