package checks_test

import (
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// The differential test: random mutations of a valid chain (extensions,
// constraints, names, dates, key usage, order) judged by tlsdoctor and by
// crypto/x509.Verify as a Go client runs it (the first certificate sent
// is the leaf, the others intermediates, the name checked). tlsdoctor must
// never report no error when Verify fails. It uses only CertSpec.Mutate so
// that it also runs on older trees (to count what they got wrong).

// diffCase is a chain decoded from fuzz bytes.
type diffCase struct {
	specs []fixtures.CertSpec
	serve []string
	host  string
	root  string
	desc  []string
}

type bits struct {
	b []byte
	i int
}

func (r *bits) next(n int) int {
	if len(r.b) == 0 {
		return 0
	}
	v := int(r.b[r.i%len(r.b)])
	r.i++
	return v % n
}

func decodeDiff(data []byte) diffCase {
	r := &bits{b: data}
	day := 24 * time.Hour
	c := diffCase{host: []string{"host.example.com", "a.example.com", "host.other.test", "127.0.0.1"}[r.next(4)], root: "root"}
	var muts [3][]func(*x509.Certificate)
	add := func(who int, what string, f func(*x509.Certificate)) {
		muts[who] = append(muts[who], f)
		c.desc = append(c.desc, []string{"root", "int", "leaf"}[who]+": "+what)
	}
	for k, n := 0, r.next(4)+1; k < n; k++ {
		who := r.next(3)
		switch r.next(16) {
		case 0:
			add(who, "expired", func(x *x509.Certificate) { x.NotBefore, x.NotAfter = now.Add(-60*day), now.Add(-day) })
		case 1:
			add(who, "not yet valid", func(x *x509.Certificate) { x.NotBefore = now.Add(2 * day) })
		case 2:
			add(who, "CA:FALSE", func(x *x509.Certificate) { x.IsCA = false })
		case 3:
			add(who, "no keyCertSign", func(x *x509.Certificate) { x.KeyUsage = x509.KeyUsageDigitalSignature })
		case 4:
			add(who, "pathlen 0", func(x *x509.Certificate) { x.MaxPathLen, x.MaxPathLenZero = 0, true })
		case 5:
			add(who, "EKU clientAuth", func(x *x509.Certificate) { x.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} })
		case 6:
			add(who, "permitted DNS example.com", func(x *x509.Certificate) { x.PermittedDNSDomains = []string{"example.com"} })
		case 7:
			add(who, "excluded DNS a.example.com", func(x *x509.Certificate) { x.ExcludedDNSDomains = []string{"a.example.com"} })
		case 8:
			add(who, "permitted IP 10/8", func(x *x509.Certificate) {
				_, n, _ := net.ParseCIDR("10.0.0.0/8")
				x.PermittedIPRanges = []*net.IPNet{n}
			})
		case 9:
			add(who, "unknown critical extension", func(x *x509.Certificate) {
				x.ExtraExtensions = append(x.ExtraExtensions, pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 9}, Critical: true, Value: []byte{0x30, 0}})
			})
		case 10:
			add(who, "names *.example.com", func(x *x509.Certificate) { x.DNSNames = []string{"*.example.com"} })
		case 11:
			add(who, "no SAN", func(x *x509.Certificate) { x.DNSNames, x.IPAddresses = nil, nil })
		case 12:
			add(who, "names host.other.test", func(x *x509.Certificate) { x.DNSNames = append(x.DNSNames, "host.other.test") })
		case 13:
			add(who, "requireExplicitPolicy 0", func(x *x509.Certificate) {
				x.ExtraExtensions = append(x.ExtraExtensions, pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 36}, Critical: true, Value: []byte{0x30, 0x03, 0x80, 0x01, 0x00}})
			})
		case 14:
			add(who, "EKU codeSigning", func(x *x509.Certificate) { x.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning} })
		case 15:
			add(who, "names 127.0.0.1", func(x *x509.Certificate) { x.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")} })
		}
	}
	chainMut := func(fs []func(*x509.Certificate)) func(*x509.Certificate) {
		return func(x *x509.Certificate) {
			for _, f := range fs {
				f(x)
			}
		}
	}
	c.specs = []fixtures.CertSpec{
		{Name: "root", CommonName: "Diff Root", IsCA: true, Mutate: chainMut(muts[0])},
		{Name: "other", CommonName: "Diff Other Root", IsCA: true},
		{Name: "int", Parent: "root", CommonName: "Diff Intermediate", IsCA: true, Mutate: chainMut(muts[1])},
		{Name: "leaf", Parent: "int", CommonName: "host.example.com", DNSNames: []string{"host.example.com", "a.example.com"}, Mutate: chainMut(muts[2])},
	}
	switch r.next(6) {
	case 0:
		c.serve = []string{"leaf"}
		c.desc = append(c.desc, "sent: leaf only")
	case 1:
		c.serve = []string{"leaf", "int", "root"}
		c.desc = append(c.desc, "sent: with the root")
	case 2:
		c.serve = []string{"int", "leaf"}
		c.desc = append(c.desc, "sent: reversed")
	default:
		c.serve = []string{"leaf", "int"}
	}
	if r.next(8) == 0 {
		c.root = "other"
		c.desc = append(c.desc, "store: another root")
	}
	return c
}

// diffVerdict builds the chain and returns Go's error and tlsdoctor's
// findings; skip is set when the mutation made an unbuildable chain.
func diffVerdict(t testing.TB, data []byte) (c diffCase, fs []checks.Finding, skip bool, goErr error) {
	c = decodeDiff(data)
	p, err := fixtures.Build(now, c.specs...)
	if err != nil {
		return c, nil, true, nil // crypto/x509 refused to write it
	}
	var certs []*x509.Certificate
	a := probe.Attempt{Purpose: probe.PurposePrimary, Outcome: "ok", Version: "TLS 1.3"}
	for _, n := range c.serve {
		certs = append(certs, p.Get(n).Cert)
		a.Certificates = append(a.Certificates, probe.Certificate{DER: p.Get(n).Cert.Raw})
	}
	roots := x509.NewCertPool()
	roots.AddCert(p.Get(c.root).Cert)
	inter := x509.NewCertPool()
	for _, x := range certs[1:] {
		inter.AddCert(x)
	}
	_, goErr = certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: c.host, CurrentTime: now})
	rec := &probe.Record{RecordVersion: probe.RecordVersion, StartedAt: now,
		Target:   probe.Target{Input: c.host, Host: c.host, Port: 443, SNI: c.host, ConnectHost: "127.0.0.1", ConnectPort: 443},
		Attempts: []probe.Attempt{a}}
	if net.ParseIP(c.host) != nil {
		rec.Target.SNI = ""
	}
	fs = checks.Run(rec, checks.Env{Now: now, Truststores: []checks.Truststore{checks.NewTruststore("diff store", []*x509.Certificate{p.Get(c.root).Cert})}})
	return c, fs, false, goErr
}

func worst(fs []checks.Finding) checks.Severity {
	var w checks.Severity
	for _, f := range fs {
		if f.Severity > w {
			w = f.Severity
		}
	}
	return w
}

func findingIDs(fs []checks.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID+":"+f.Severity.String())
	}
	return strings.Join(out, " ")
}

func FuzzDifferential(f *testing.F) {
	for seed := 0; seed < 16; seed++ {
		f.Add(diffSeed(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, fs, skip, goErr := diffVerdict(t, data)
		if skip {
			return
		}
		if goErr != nil && worst(fs) != checks.Error {
			t.Fatalf("x509.Verify fails (%v) but tlsdoctor reports no error\nmutations: %s\nfindings: %s", goErr, strings.Join(c.desc, "; "), findingIDs(fs))
		}
	})
}

func diffSeed(seed int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	s := sha256.Sum256(b[:])
	return s[:]
}

// TestDifferentialCorpus runs a fixed corpus of mutations (1,000 chains,
// 200 with -short) through both verdicts and reports every mismatch.
func TestDifferentialCorpus(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 200
	}
	mismatches, judged := 0, 0
	for seed := 0; seed < n; seed++ {
		c, fs, skip, goErr := diffVerdict(t, diffSeed(seed))
		if skip {
			continue
		}
		judged++
		if goErr != nil && worst(fs) != checks.Error {
			mismatches++
			if mismatches <= 10 {
				t.Errorf("seed %d: x509.Verify fails (%v) but tlsdoctor reports no error\n  mutations: %s\n  findings: %s", seed, goErr, strings.Join(c.desc, "; "), findingIDs(fs))
			}
		}
	}
	t.Logf("%d chains judged, %d where tlsdoctor reported no error while x509.Verify failed", judged, mismatches)
}
