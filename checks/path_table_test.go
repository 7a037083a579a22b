package checks_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// pathCase is one generated chain, judged by tlsdoctor and by
// crypto/x509.Verify, so that the two cannot drift: the test asserts the
// finding IDs tlsdoctor reports, the kind of error Verify returns, and
// the invariant that tlsdoctor never reports no error while Verify fails.
type pathCase struct {
	name  string
	specs []fixtures.CertSpec
	// serve is the chain as the server sends it; fetch what AIA gave.
	serve, fetch []string
	// roots are the truststore's certificates (default "root").
	roots []string
	host  string
	// want are finding IDs that must be reported at error severity (or
	// at the severity given after a colon: "chain-order:warning"); none
	// are IDs that must not be reported at all.
	want, none []string
	// goErr is a substring of Go's error (Verify with the name), "" when
	// Go connects.
	goErr string
	// clients are expected per-client verdicts of the first wanted
	// finding: client -> fails.
	clients map[string]bool
}

func ips(s ...string) []net.IP {
	var out []net.IP
	for _, x := range s {
		out = append(out, net.ParseIP(x))
	}
	return out
}

// policyConstraints is a critical policyConstraints extension with
// requireExplicitPolicy 0.
func policyConstraints() pkix.Extension {
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 36}, Critical: true, Value: []byte{0x30, 0x03, 0x80, 0x01, 0x00}}
}

func leafSpec(name, parent string, dns ...string) fixtures.CertSpec {
	return fixtures.CertSpec{Name: name, Parent: parent, CommonName: dns[0], DNSNames: dns}
}

func caSpec(name, parent string, nc *fixtures.NameConstraints) fixtures.CertSpec {
	return fixtures.CertSpec{Name: name, Parent: parent, CommonName: "CA " + name, IsCA: true, NameConstraints: nc}
}

func permittedDNS(d ...string) *fixtures.NameConstraints {
	return &fixtures.NameConstraints{PermittedDNS: d}
}

// partnerDN is C=DE, O=org.
func partnerDN(org string) pkix.Name {
	return pkix.Name{Country: []string{"DE"}, Organization: []string{org}}
}

// permittedDN is a nameConstraints extension permitting C=DE, O=org.
func permittedDN(notCritical bool, org string) *fixtures.NameConstraints {
	return &fixtures.NameConstraints{PermittedDirNames: []pkix.Name{partnerDN(org)}, NotCritical: notCritical}
}

// dnLeaf is a leaf for host whose subject is C=DE, O=org, CN=host.
func dnLeaf(name, parent, host, org string) fixtures.CertSpec {
	s := leafSpec(name, parent, host)
	s.Mutate = func(c *x509.Certificate) { c.Subject = partnerDN(org); c.Subject.CommonName = host }
	return s
}

// pathCases are shared by the table test and the real-client test.
func pathCases() []pathCase {
	day := 24 * time.Hour
	h := "host.example.com"
	std := []string{"leaf", "int"}
	return []pathCase{
		{name: "control", specs: []fixtures.CertSpec{caSpec("int", "root", nil), leafSpec("leaf", "int", h)}, serve: std, host: h,
			none: []string{"name-constraint-violation", "verifier-disagreement"}},

		// Name constraints: every form, at the root and at an intermediate.
		{name: "nc-root-permitted-dns", specs: []fixtures.CertSpec{caSpec("int", "rootnc", nil), leafSpec("leaf", "int", "host.other.test")}, serve: std, roots: []string{"rootnc"}, host: "host.other.test",
			want: []string{"name-constraint-violation"}, goErr: `DNS name "host.other.test" is not permitted`,
			clients: map[string]bool{"java": false, "curl": true, "openssl": true, "python": true, "gnutls": true, "go": true}},
		{name: "nc-int-permitted-dns", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDNS("example.com")), leafSpec("leaf", "int", "host.other.test")}, serve: std, host: "host.other.test",
			want: []string{"name-constraint-violation"}, goErr: "is not permitted by any constraint",
			clients: map[string]bool{"java": true, "curl": true, "openssl": true, "python": true, "gnutls": true, "go": true}},
		{name: "nc-int-permitted-dns-inside", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDNS("example.com")), leafSpec("leaf", "int", h)}, serve: std, host: h,
			none: []string{"name-constraint-violation"}},
		{name: "nc-int-excluded-dns", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{ExcludedDNS: []string{"example.com"}}), leafSpec("leaf", "int", h)}, serve: std, host: h,
			want: []string{"name-constraint-violation"}, goErr: `is excluded by constraint "example.com"`,
			clients: map[string]bool{"java": true, "curl": true, "openssl": true, "gnutls": true, "go": true}},
		{name: "nc-extra-san-outside", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDNS("example.com")), leafSpec("leaf", "int", h, "evil.other.test")}, serve: std, host: h,
			want: []string{"name-constraint-violation"}, goErr: `"evil.other.test" is not permitted`},
		{name: "nc-wildcard-outside", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDNS("example.com")), leafSpec("leaf", "int", "*.other.test")}, serve: std, host: "a.other.test",
			want: []string{"name-constraint-violation"}, goErr: `"*.other.test" is not permitted`},
		{name: "nc-wildcard-over-excluded", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{ExcludedDNS: []string{"a.example.com"}}), leafSpec("leaf", "int", "*.example.com")}, serve: std, host: "b.example.com",
			want: []string{"name-constraint-violation"}, goErr: `is excluded by constraint "a.example.com"`,
			clients: map[string]bool{"java": false, "curl": false, "openssl": false, "gnutls": false, "go": true}},
		{name: "nc-leading-dot", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDNS(".example.com")), leafSpec("leaf", "int", "example.com")}, serve: std, host: "example.com",
			want: []string{"name-constraint-violation"}, goErr: "not permitted"},
		{name: "nc-ip-permitted", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{PermittedIPs: []string{"10.0.0.0/8"}}), {Name: "leaf", Parent: "int", CommonName: "127.0.0.1", IPs: ips("127.0.0.1")}}, serve: std, host: "127.0.0.1",
			want: []string{"name-constraint-violation"}, goErr: `IP address "127.0.0.1" is not permitted`,
			clients: map[string]bool{"java": true, "curl": true, "openssl": true, "gnutls": true, "go": true}},
		{name: "nc-ip-excluded", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{ExcludedIPs: []string{"127.0.0.0/8"}}), {Name: "leaf", Parent: "int", CommonName: "127.0.0.1", IPs: ips("127.0.0.1")}}, serve: std, host: "127.0.0.1",
			want: []string{"name-constraint-violation"}, goErr: `excluded by constraint "127.0.0.0/8"`},
		{name: "nc-dns-vs-ip-leaf-cn", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDNS("example.com")), {Name: "leaf", Parent: "int", CommonName: "127.0.0.1", IPs: ips("127.0.0.1")}}, serve: std, host: "127.0.0.1",
			want:    []string{"name-constraint-violation"},
			clients: map[string]bool{"java": false, "curl": true, "openssl": true, "gnutls": true, "go": false}},
		{name: "nc-email-permitted", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{PermittedEmail: []string{"example.com"}}), {Name: "leaf", Parent: "int", CommonName: h, DNSNames: []string{h}, Emails: []string{"ops@other.test"}}}, serve: std, host: h,
			want: []string{"name-constraint-violation"}, goErr: `email address "ops@other.test" is not permitted`},
		{name: "nc-email-excluded", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{ExcludedEmail: []string{"other.test"}}), {Name: "leaf", Parent: "int", CommonName: h, DNSNames: []string{h}, Emails: []string{"ops@other.test"}}}, serve: std, host: h,
			want: []string{"name-constraint-violation"}, goErr: "excluded by constraint"},
		{name: "nc-uri-permitted", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{PermittedURI: []string{"example.com"}}), {Name: "leaf", Parent: "int", CommonName: h, DNSNames: []string{h}, URIs: []string{"https://other.test/x"}}}, serve: std, host: h,
			want: []string{"name-constraint-violation"}, goErr: `URI "https://other.test/x" is not permitted`,
			clients: map[string]bool{"java": true, "curl": true, "gnutls": false, "go": true}},
		{name: "nc-uri-excluded", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{ExcludedURI: []string{"other.test"}}), {Name: "leaf", Parent: "int", CommonName: h, DNSNames: []string{h}, URIs: []string{"https://other.test/x"}}}, serve: std, host: h,
			want: []string{"name-constraint-violation"}, goErr: "excluded by constraint"},
		{name: "nc-cn-only-outside", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDNS("example.com")), {Name: "leaf", Parent: "int", CommonName: "host.other.test"}}, serve: std, host: "host.other.test",
			want: []string{"name-constraint-violation", "no-san"}, goErr: "legacy Common Name",
			clients: map[string]bool{"java": true, "curl": true, "openssl": true, "gnutls": true, "go": true}},
		{name: "nc-cn-only-inside", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDNS("example.com")), {Name: "leaf", Parent: "int", CommonName: h}}, serve: std, host: h,
			want: []string{"no-san"}, none: []string{"name-constraint-violation"}, goErr: "legacy Common Name"},
		{name: "nc-cn-outside-san-inside", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDNS("example.com")), {Name: "leaf", Parent: "int", CommonName: "host.other.test", DNSNames: []string{h}}}, serve: std, host: h,
			none: []string{"name-constraint-violation"}},
		{name: "nc-not-critical", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{PermittedDNS: []string{"example.com"}, NotCritical: true}), leafSpec("leaf", "int", "host.other.test")}, serve: std, host: "host.other.test",
			want: []string{"name-constraint-violation"}, goErr: "not permitted"},

		// directoryName constraints (Go cannot read them: a critical
		// extension holding one is unhandled) and the subject's
		// emailAddress attribute (OpenSSL checks it against rfc822Name
		// subtrees; Java only without SANs; Go never).
		{name: "nc-dn-int-permitted-outside", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDN(false, "Partner")), dnLeaf("leaf", "int", h, "Other")}, serve: std, host: h,
			want: []string{"name-constraint-violation", "unknown-critical-extension"}, goErr: "unhandled critical extension",
			clients: map[string]bool{"java": true, "curl": true, "openssl": true, "python": true, "gnutls": false, "go": true}},
		{name: "nc-dn-int-permitted-inside", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDN(false, "Partner")), dnLeaf("leaf", "int", h, "Partner")}, serve: std, host: h,
			want: []string{"unknown-critical-extension"}, none: []string{"name-constraint-violation"}, goErr: "unhandled critical extension",
			clients: map[string]bool{"java": false, "curl": false, "openssl": false, "python": false, "gnutls": false, "go": true}},
		{name: "nc-dn-int-excluded", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{ExcludedDirNames: []pkix.Name{partnerDN("Partner")}}), dnLeaf("leaf", "int", h, "Partner")}, serve: std, host: h,
			want: []string{"name-constraint-violation", "unknown-critical-extension"}, goErr: "unhandled critical extension",
			clients: map[string]bool{"java": true, "curl": true, "openssl": true, "gnutls": true, "go": true}},
		{name: "nc-dn-not-critical-outside", specs: []fixtures.CertSpec{caSpec("int", "root", permittedDN(true, "Partner")), dnLeaf("leaf", "int", h, "Other")}, serve: std, host: h,
			want: []string{"name-constraint-violation"}, none: []string{"unknown-critical-extension"},
			clients: map[string]bool{"java": true, "curl": true, "openssl": true, "python": true, "gnutls": false, "go": false}},
		{name: "nc-dn-not-critical-case-folded", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{PermittedDirNames: []pkix.Name{{Country: []string{"de"}, Organization: []string{"PARTNER  GmbH"}}}, NotCritical: true}), dnLeaf("leaf", "int", h, "partner gmbh")}, serve: std, host: h,
			none: []string{"name-constraint-violation", "unknown-critical-extension", "verifier-disagreement"}},
		{name: "nc-dn-root-permitted", specs: []fixtures.CertSpec{
			{Name: "rootdn", CommonName: "Root DN", IsCA: true, KeyFrom: "root", NameConstraints: permittedDN(false, "Partner")},
			{Name: "int", Parent: "rootdn", CommonName: "CA int", IsCA: true, Mutate: func(c *x509.Certificate) { c.Subject = partnerDN("Partner"); c.Subject.CommonName = "CA int" }},
			dnLeaf("leaf", "int", h, "Other")}, serve: std, roots: []string{"rootdn"}, host: h,
			want: []string{"name-constraint-violation", "unknown-critical-extension"}, goErr: "unhandled critical extension",
			clients: map[string]bool{"java": false, "curl": true, "openssl": true, "gnutls": false, "go": true}},
		{name: "nc-subject-email-outside", specs: []fixtures.CertSpec{caSpec("int", "root", &fixtures.NameConstraints{PermittedEmail: []string{"example.com"}}),
			{Name: "leaf", Parent: "int", CommonName: h, DNSNames: []string{h}, Mutate: func(c *x509.Certificate) {
				c.Subject.ExtraNames = []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte("ops@other.test")}}}
			}}}, serve: std, host: h,
			want:    []string{"name-constraint-violation"},
			clients: map[string]bool{"java": false, "curl": true, "openssl": true, "python": true, "go": false}},

		// Unknown critical extensions.
		{name: "critical-ext-leaf", specs: []fixtures.CertSpec{caSpec("int", "root", nil), {Name: "leaf", Parent: "int", CommonName: h, DNSNames: []string{h}, Extensions: []pkix.Extension{fixtures.CriticalExtension(1)}}}, serve: std, host: h,
			want: []string{"unknown-critical-extension"}, goErr: "unhandled critical extension",
			clients: map[string]bool{"java": true, "curl": true, "openssl": true, "python": true, "gnutls": true, "go": true}},
		{name: "critical-ext-intermediate", specs: []fixtures.CertSpec{{Name: "int", Parent: "root", CommonName: "CA int", IsCA: true, Extensions: []pkix.Extension{fixtures.CriticalExtension(2)}}, leafSpec("leaf", "int", h)}, serve: std, host: h,
			want: []string{"unknown-critical-extension"}, goErr: "unhandled critical extension",
			clients: map[string]bool{"java": true, "curl": true, "openssl": true, "gnutls": true, "go": true}},
		{name: "noncritical-ext", specs: []fixtures.CertSpec{caSpec("int", "root", nil), {Name: "leaf", Parent: "int", CommonName: h, DNSNames: []string{h}, Extensions: []pkix.Extension{{Id: fixtures.CriticalExtension(3).Id, Value: []byte{0x30, 0}}}}}, serve: std, host: h,
			none: []string{"unknown-critical-extension"}},

		// Certificates that do not parse keep their positions.
		{name: "truncated-leaf", specs: []fixtures.CertSpec{caSpec("int", "root", nil), {Name: "leaf", Parent: "int", CommonName: h, DNSNames: []string{h}, DER: fixtures.Truncate}}, serve: std, host: h,
			want: []string{"unparseable-certificate"}, none: []string{"hostname-mismatch", "no-san", "chain-incomplete"}, goErr: "malformed certificate"},
		{name: "truncated-intermediate", specs: []fixtures.CertSpec{{Name: "int", Parent: "root", CommonName: "CA int", IsCA: true, DER: fixtures.Truncate}, leafSpec("leaf", "int", h)}, serve: std, host: h,
			want: []string{"unparseable-certificate"}, none: []string{"chain-incomplete", "hostname-mismatch"}, goErr: "malformed"},
		{name: "negative-serial-leaf", specs: []fixtures.CertSpec{caSpec("int", "root", nil), {Name: "leaf", Parent: "int", CommonName: h, DNSNames: []string{h}, TBS: fixtures.NegativeSerial}}, serve: std, host: h,
			want: []string{"unparseable-certificate"}, goErr: "negative serial number",
			clients: map[string]bool{"java": false, "curl": false, "openssl": false, "gnutls": false, "go": true}},
		{name: "negative-serial-intermediate", specs: []fixtures.CertSpec{{Name: "int", Parent: "root", CommonName: "CA int", IsCA: true, TBS: fixtures.NegativeSerial}, leafSpec("leaf", "int", h)}, serve: std, host: h,
			want: []string{"unparseable-certificate"}, none: []string{"chain-incomplete"}, goErr: "negative serial number",
			clients: map[string]bool{"java": false, "curl": false, "openssl": false, "go": true}},

		// Several paths: the valid one is judged, the others reported.
		{name: "two-intermediates-one-expired", specs: []fixtures.CertSpec{caSpec("int", "root", nil),
			{Name: "int-old", Parent: "root", CommonName: "CA int", IsCA: true, KeyFrom: "int", NotBefore: -400 * day, NotAfter: -day},
			leafSpec("leaf", "int", h)}, serve: []string{"leaf", "int-old", "int"}, host: h,
			want: []string{"chain-alternative-path:warning"}, none: []string{"cert-expired", "chain-extra-certs"},
			clients: map[string]bool{"java": false, "curl": false, "openssl": false, "gnutls": true, "go": false}},
		{name: "cross-signed-root", specs: []fixtures.CertSpec{
			{Name: "new-root", CommonName: "New Root", IsCA: true},
			{Name: "new-root-cross", Parent: "root", CommonName: "New Root", IsCA: true, KeyFrom: "new-root"},
			caSpec("int", "new-root", nil), leafSpec("leaf", "int", h)}, serve: []string{"leaf", "int", "new-root-cross"}, host: h,
			none: []string{"untrusted-root", "chain-incomplete", "chain-extra-certs"}},
		{name: "expired-root-copy-sent", specs: []fixtures.CertSpec{caSpec("int", "root", nil),
			{Name: "root-old", CommonName: "Root", IsCA: true, KeyFrom: "root", NotBefore: -400 * day, NotAfter: -day},
			leafSpec("leaf", "int", h)}, serve: []string{"leaf", "int", "root-old"}, host: h,
			want: []string{"chain-contains-root:warning"}, none: []string{"cert-expired"}},
		{name: "not-a-ca-twin-sent-first", specs: []fixtures.CertSpec{caSpec("int", "root", nil),
			{Name: "int-leafish", Parent: "root", CommonName: "CA int", KeyFrom: "int"},
			leafSpec("leaf", "int", h)}, serve: []string{"leaf", "int-leafish", "int"}, host: h,
			want: []string{"chain-alternative-path"}, none: []string{"ca-constraints"},
			clients: map[string]bool{"java": false, "curl": true, "openssl": true, "python": true, "gnutls": true, "go": false}},

		// Go links an issuer whose key identifier does not match the
		// child's authority key identifier; tlsdoctor, like OpenSSL, does not.
		{name: "aki-mismatch", specs: []fixtures.CertSpec{caSpec("int", "root", nil), leafSpec("leaf", "int", h),
			{Name: "int-b", Parent: "root", CommonName: "CA int", IsCA: true, KeyFrom: "int", Mutate: func(c *x509.Certificate) { c.SubjectKeyId = []byte{9, 9, 9, 9} }}},
			serve: []string{"leaf", "int-b"}, host: h, want: []string{"key-id-mismatch"}, none: []string{"chain-incomplete", "verifier-disagreement"},
			clients: map[string]bool{"java": false, "curl": true, "openssl": true, "python": true, "gnutls": true, "go": false}},

		// Path length.
		{name: "pathlen-exceeded", specs: []fixtures.CertSpec{
			{Name: "int", Parent: "root", CommonName: "CA int", IsCA: true, Mutate: func(c *x509.Certificate) { c.MaxPathLen, c.MaxPathLenZero = 0, true }},
			{Name: "int2", Parent: "int", CommonName: "CA int2", IsCA: true}, leafSpec("leaf", "int2", h)}, serve: []string{"leaf", "int2", "int"}, host: h,
			want: []string{"ca-constraints"}, goErr: "too many intermediates",
			clients: map[string]bool{"java": true, "curl": true, "openssl": true, "go": true}},
		{name: "pathlen-self-issued", specs: []fixtures.CertSpec{
			{Name: "int", Parent: "root", CommonName: "CA int", IsCA: true, Mutate: func(c *x509.Certificate) { c.MaxPathLen, c.MaxPathLenZero = 0, true }},
			{Name: "int2", Parent: "int", CommonName: "CA int", IsCA: true}, leafSpec("leaf", "int2", h)}, serve: []string{"leaf", "int2", "int"}, host: h,
			want: []string{"ca-constraints"}, goErr: "too many intermediates",
			clients: map[string]bool{"java": false, "curl": true, "openssl": true, "go": true}},

		// Policies.
		{name: "require-explicit-policy", specs: []fixtures.CertSpec{
			{Name: "int", Parent: "root", CommonName: "CA int", IsCA: true, Extensions: []pkix.Extension{policyConstraints()}}, leafSpec("leaf", "int", h)}, serve: std, host: h,
			want: []string{"cert-policy-violation"}, goErr: "invalid policies",
			clients: map[string]bool{"java": true, "curl": false, "openssl": false, "python": false, "go": true}},

		// Order (issue 10 item 2).
		{name: "reversed", specs: []fixtures.CertSpec{caSpec("int", "root", nil), leafSpec("leaf", "int", h)}, serve: []string{"int", "leaf"}, host: h,
			want: []string{"chain-order"}, none: []string{"hostname-mismatch", "no-san", "chain-extra-certs"}, goErr: "not valid for any names",
			clients: map[string]bool{"java": true, "curl": true, "openssl": true, "python": true, "gnutls": true, "go": true}},
		{name: "shuffled", specs: []fixtures.CertSpec{caSpec("int", "root", nil), leafSpec("leaf", "int", h)}, serve: []string{"leaf", "root", "int"}, host: h,
			want: []string{"chain-order:warning", "chain-contains-root:info"}, none: []string{"hostname-mismatch"}},

		// A root downloaded through AIA is not a missing intermediate
		// (issue 10 item 1).
		{name: "root-fetched-from-aia", specs: []fixtures.CertSpec{
			{Name: "corp-root", CommonName: "Corp Root CA", IsCA: true}, caSpec("int", "corp-root", nil), leafSpec("leaf", "int", h)},
			serve: std, fetch: []string{"corp-root"}, host: h,
			want: []string{"untrusted-root"}, none: []string{"chain-incomplete"}, goErr: "unknown authority"},
		{name: "intermediate-and-root-fetched", specs: []fixtures.CertSpec{
			{Name: "corp-root", CommonName: "Corp Root CA", IsCA: true}, caSpec("int", "corp-root", nil), leafSpec("leaf", "int", h)},
			serve: []string{"leaf"}, fetch: []string{"int", "corp-root"}, host: h,
			want: []string{"chain-incomplete", "untrusted-root"}, goErr: "unknown authority"},
	}
}

// pathPKI builds a case's certificates over the shared roots.
func pathPKI(t testing.TB, now time.Time, c pathCase) *fixtures.PKI {
	t.Helper()
	base := []fixtures.CertSpec{{Name: "root", CommonName: "Root", IsCA: true},
		{Name: "rootnc", CommonName: "Root NC", IsCA: true, KeyFrom: "root", NameConstraints: permittedDNS("example.com")}}
	p, err := fixtures.Build(now, append(base, c.specs...)...)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return p
}

func (c pathCase) rootNames() []string {
	if len(c.roots) > 0 {
		return c.roots
	}
	return []string{"root"}
}

// pathRecord is the record a probe makes of the case's server.
func pathRecord(p *fixtures.PKI, c pathCase) *probe.Record {
	a := probe.Attempt{Purpose: probe.PurposePrimary, Outcome: "ok", Version: "TLS 1.3"}
	for _, n := range c.serve {
		a.Certificates = append(a.Certificates, probe.Certificate{DER: p.Get(n).DER})
	}
	rec := &probe.Record{RecordVersion: probe.RecordVersion, StartedAt: now,
		Target:   probe.Target{Input: c.host, Host: c.host, Port: 443, SNI: c.host, ConnectHost: "127.0.0.1", ConnectPort: 443},
		Attempts: []probe.Attempt{a}}
	if net.ParseIP(c.host) != nil {
		rec.Target.SNI = ""
	}
	if len(c.fetch) > 0 {
		f := probe.AIAFetch{URL: "http://127.0.0.1:1/ca.der", Format: "der", HTTPStatus: 200}
		for _, n := range c.fetch {
			f.Certificates = append(f.Certificates, probe.Certificate{DER: p.Get(n).DER})
		}
		rec.AIA = []probe.AIAFetch{f}
	}
	return rec
}

// goVerify is what a Go client does: parse every certificate, verify
// with the name.
func goVerify(p *fixtures.PKI, c pathCase, at time.Time) error {
	var certs []*x509.Certificate
	for _, n := range c.serve {
		cert, err := x509.ParseCertificate(p.Get(n).DER)
		if err != nil {
			return err
		}
		certs = append(certs, cert)
	}
	roots := x509.NewCertPool()
	for _, n := range c.rootNames() {
		roots.AddCert(p.Get(n).Cert)
	}
	inter := x509.NewCertPool()
	for _, x := range certs[1:] {
		inter.AddCert(x)
	}
	for _, n := range c.fetch {
		inter.AddCert(p.Get(n).Cert)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: c.host, CurrentTime: at})
	return err
}

func caseEnv(p *fixtures.PKI, c pathCase) checks.Env {
	var roots []*x509.Certificate
	for _, n := range c.rootNames() {
		roots = append(roots, p.Get(n).Cert)
	}
	return checks.Env{Now: now, Truststores: []checks.Truststore{checks.NewTruststore("test store", roots)}}
}

func severityOf(s string) (string, checks.Severity) {
	id, sev, ok := strings.Cut(s, ":")
	if !ok {
		return id, checks.Error
	}
	v, _ := checks.ParseSeverity(sev)
	return id, v
}

func TestPathTable(t *testing.T) {
	for _, c := range append(pathCases(), anchorCases()...) {
		t.Run(c.name, func(t *testing.T) {
			p := pathPKI(t, now, c)
			fs := checks.Run(pathRecord(p, c), caseEnv(p, c))
			var got []string
			for _, f := range fs {
				got = append(got, f.ID+":"+f.Severity.String())
			}
			for _, w := range c.want {
				id, sev := severityOf(w)
				f := find(fs, id)
				if f == nil || f.Severity != sev {
					t.Errorf("want %s (%s); got %v", id, sev, got)
				}
			}
			for _, n := range c.none {
				if find(fs, n) != nil {
					t.Errorf("unwanted %s; got %v", n, got)
				}
			}
			gerr := goVerify(p, c, now)
			switch {
			case c.goErr == "" && gerr != nil:
				t.Errorf("x509.Verify: %v, want it to connect", gerr)
			case c.goErr != "" && (gerr == nil || !strings.Contains(gerr.Error(), c.goErr)):
				t.Errorf("x509.Verify: %v, want an error containing %q", gerr, c.goErr)
			}
			// The invariant: never no error while Verify fails.
			if gerr != nil && checks.Worst(fs) != checks.Error {
				t.Errorf("x509.Verify fails (%v) but tlsdoctor reports no error: %v", gerr, got)
			}
			if len(c.clients) > 0 {
				id, _ := severityOf(c.want[0])
				f := find(fs, id)
				if f == nil {
					return
				}
				for client, fails := range c.clients {
					v := clientVerdict(f, client)
					if v == nil {
						t.Errorf("%s: no %s verdict; have %+v", id, client, f.Clients)
						continue
					}
					if v.Fails != fails {
						t.Errorf("%s: %s fails=%v, want %v (%s)", id, client, v.Fails, fails, v.Message)
					}
				}
				// Go's line is Go's real error.
				if v := clientVerdict(f, "go"); v != nil && v.Fails && gerr != nil && c.clients["go"] && !strings.Contains(v.Message, firstLine(gerr.Error())) {
					t.Errorf("%s: go line %q does not quote Verify's error %q", id, v.Message, gerr)
				}
			}
		})
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, " (possibly because")
	return s
}

func clientVerdict(f *checks.Finding, client string) *checks.ClientVerdict {
	for i := range f.Clients {
		if f.Clients[i].Client == client {
			return &f.Clients[i]
		}
	}
	return nil
}

// TestUnparseableKeepsPositions: the certificates after one that does not
// parse keep their sent positions in the evidence and the chain table.
func TestUnparseableKeepsPositions(t *testing.T) {
	var c pathCase
	for _, x := range pathCases() {
		if x.name == "truncated-intermediate" {
			c = x
		}
	}
	c.serve = []string{"leaf", "int", "root"}
	p := pathPKI(t, now, c)
	rec := pathRecord(p, c)
	in := checks.NewInput(rec, caseEnv(p, c))
	if len(in.Sent) != 3 || in.Sent[1].Cert != nil || in.SentPos(p.Get("root").Cert) != 2 {
		t.Fatalf("sent %+v: want 3 positions, #1 unparsed, the root at #2", in.Sent)
	}
	roles := checks.SentRoles(rec, caseEnv(p, c))
	if want := []string{"leaf", "?", "root"}; !slices.Equal(roles, want) {
		t.Errorf("roles %v, want %v", roles, want)
	}
	f := find(checks.Run(rec, caseEnv(p, c)), "unparseable-certificate")
	if f == nil || !strings.Contains(f.Title, "#1") {
		t.Fatalf("finding %+v: want one naming #1", f)
	}
}

// superfishPEM is the Superfish root certificate (public; its key was
// published in 2015), as served at superfish.badssl.com.
const superfishPEM = `-----BEGIN CERTIFICATE-----
MIIC9TCCAl6gAwIBAgIJANL8E4epRNznMA0GCSqGSIb3DQEBBQUAMFsxGDAWBgNV
BAoTD1N1cGVyZmlzaCwgSW5jLjELMAkGA1UEBxMCU0YxCzAJBgNVBAgTAkNBMQsw
CQYDVQQGEwJVUzEYMBYGA1UEAxMPU3VwZXJmaXNoLCBJbmMuMB4XDTE0MDUxMjE2
MjUyNloXDTM0MDUwNzE2MjUyNlowWzEYMBYGA1UEChMPU3VwZXJmaXNoLCBJbmMu
MQswCQYDVQQHEwJTRjELMAkGA1UECBMCQ0ExCzAJBgNVBAYTAlVTMRgwFgYDVQQD
Ew9TdXBlcmZpc2gsIEluYy4wgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBAOjz
Shh2Xxk/sc9Y6X9DBwmVgDXFD/5xMSeBmRImIKXfj2r8QlU57gk4idngNsSsAYJb
1Tnm+Y8HiN/+7vahFM6pdEXY/fAXVyqC4XouEpNarIrXFWPRt5tVgA9YvBxJ7SBi
3bZMpTrrHD2g/3pxptMQeDOuS8Ic/ZJKocPnQaQtAgMBAAGjgcAwgb0wDAYDVR0T
BAUwAwEB/zAdBgNVHQ4EFgQU+5izU38URC7o7tUJml4OVoaoNYgwgY0GA1UdIwSB
hTCBgoAU+5izU38URC7o7tUJml4OVoaoNYihX6RdMFsxGDAWBgNVBAoTD1N1cGVy
ZmlzaCwgSW5jLjELMAkGA1UEBxMCU0YxCzAJBgNVBAgTAkNBMQswCQYDVQQGEwJV
UzEYMBYGA1UEAxMPU3VwZXJmaXNoLCBJbmMuggkA0vwTh6lE3OcwDQYJKoZIhvcN
AQEFBQADgYEApHyg7ApKx3DEcWjzOyLi3JyN0JL+c35yK1VEmxu0Qusfr76645Oj
1IsYwpTws6a9ZTRMzST4GQvFFQra81eLqYbPbMPuhC+FCxkUF5i0DNSWi+kczJXJ
TtCqSwGl9t9JEoFqvtW+znZ9TqyLiOMw7TGEUI+88VAqW0qmXnwPcfo=
-----END CERTIFICATE-----
`

func superfish(t testing.TB) *x509.Certificate {
	b, _ := pem.Decode([]byte(superfishPEM))
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCompromisedRoot: a store that trusts Superfish is named as such,
// with a removal command for its type, and weak-key does not advise to
// "generate a new key" for it.
func TestCompromisedRoot(t *testing.T) {
	p := build(t, fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "host.example.com", DNSNames: []string{"host.example.com"}})
	for _, tc := range []struct {
		name, format, path, cmd string
	}{
		{"java", "", "/usr/lib/jvm/x/lib/security/cacerts", "keytool -delete -keystore /usr/lib/jvm/x/lib/security/cacerts -storepass:env TLSDOCTOR_TRUSTSTORE_PASSWORD -alias"},
		{"truststore.p12", "PKCS#12", "truststore.p12", "keytool -delete -keystore truststore.p12"},
		{"ca-file bundle.pem", "PEM", "bundle.pem", "awk "},
		{"system", "", "", "update-ca-certificates --fresh"},
	} {
		ts := checks.NewTruststore(tc.name, []*x509.Certificate{p.Get("root").Cert, superfish(t)})
		ts.Format, ts.Path = tc.format, tc.path
		fs := checks.Run(chainRecord("host.example.com", p.Get("leaf").Cert, p.Get("inter").Cert), checks.Env{Now: now, Truststores: []checks.Truststore{ts}})
		f := find(fs, "compromised-root")
		if f == nil || f.Severity != checks.Error || !strings.Contains(f.Title, "Superfish") {
			t.Fatalf("%s: finding %+v", tc.name, f)
		}
		if cmds := checks.Commands(f.Fix, ""); len(cmds) == 0 || !strings.Contains(cmds[0], tc.cmd) {
			t.Errorf("%s: fix commands %q, want one with %q", tc.name, cmds, tc.cmd)
		}
		if !strings.Contains(fmt.Sprint(f.Evidence), "badssl.com") {
			t.Errorf("%s: no source in the evidence: %v", tc.name, f.Evidence)
		}
	}
	// A chain that leads to Superfish: weak-key and weak-signature step back.
	ts := checks.NewTruststore("test", []*x509.Certificate{superfish(t)})
	rec := chainRecord("host.example.com", p.Get("leaf").Cert)
	rec.Attempts[0].Certificates = append(rec.Attempts[0].Certificates, probe.Certificate{DER: superfish(t).Raw})
	for _, f := range checks.Run(rec, checks.Env{Now: now, Truststores: []checks.Truststore{ts}}) {
		if (f.ID == "weak-key" || f.ID == "weak-signature") && strings.Contains(f.Title, "Superfish") {
			t.Errorf("%s about Superfish: %s", f.ID, f.Title)
		}
	}
}

// anchorCases are faults in the trust anchor itself: Go and OpenSSL judge
// its extensions, Java does not (measured).
func anchorCases() []pathCase {
	h := "host.example.com"
	return []pathCase{
		{name: "root-eku-clientauth", specs: []fixtures.CertSpec{
			{Name: "rooteku", CommonName: "Root EKU", IsCA: true, KeyFrom: "root", Mutate: func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }},
			caSpec("int", "rooteku", nil), leafSpec("leaf", "int", h)}, serve: []string{"leaf", "int"}, roots: []string{"rooteku"}, host: h,
			want: []string{"eku-missing"}, goErr: "incompatible key usage",
			clients: map[string]bool{"java": false, "curl": true, "openssl": true, "python": true, "gnutls": false, "go": true}},
		{name: "intermediate-eku-codesigning", specs: []fixtures.CertSpec{
			{Name: "int", Parent: "root", CommonName: "CA int", IsCA: true, Mutate: func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning} }},
			leafSpec("leaf", "int", h)}, serve: []string{"leaf", "int"}, host: h,
			want: []string{"eku-missing"}, goErr: "incompatible key usage",
			clients: map[string]bool{"java": false, "curl": true, "openssl": true, "gnutls": true, "go": true}},
		{name: "root-critical-ext", specs: []fixtures.CertSpec{
			{Name: "rootcrit", CommonName: "Root Crit", IsCA: true, KeyFrom: "root", Extensions: []pkix.Extension{fixtures.CriticalExtension(7)}},
			caSpec("int", "rootcrit", nil), leafSpec("leaf", "int", h)}, serve: []string{"leaf", "int"}, roots: []string{"rootcrit"}, host: h,
			want: []string{"unknown-critical-extension"}, goErr: "unhandled critical extension",
			clients: map[string]bool{"java": false, "curl": true, "openssl": true, "gnutls": true, "go": true}},
	}
}
