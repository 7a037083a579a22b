package checks

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Name constraints (RFC 5280 4.2.1.10) as verifiers enforce them: which
// name of which certificate falls outside which CA's permitted subtrees, or
// inside its excluded ones. crypto/x509 decides Go's verdict itself (see
// verify.go); this evaluator names the constraint and the certificate for
// people, and models where OpenSSL and Java differ from Go (measured, see
// /work/shared/client-errors.md):
//   - OpenSSL (curl, Python) and Java apply DNS constraints to the subject
//     CN of a certificate without DNS SANs; Go does not (it refuses such a
//     leaf anyway, for relying on the CN), and neither do they when the
//     certificate has DNS SANs.
//   - Java ignores the constraints of the trust anchor itself.
//   - Go applies an excluded DNS constraint to a wildcard SAN whose
//     expansion could fall inside it ("*.example.com" vs excluded
//     "a.example.com"); OpenSSL and Java compare the names as strings.
//   - OpenSSL and Java check the subject DN against directoryName
//     subtrees, and OpenSSL the subject's emailAddress attribute against
//     rfc822Name subtrees; Go does neither (nameconst_dn.go).

// ncViolation is one name outside a constraint.
type ncViolation struct {
	// CA is the certificate carrying the constraint, at path index CAAt;
	// Cert the one carrying the name, at path index CertAt.
	CA, Cert     *x509.Certificate
	CAAt, CertAt int
	Kind         string // "DNS name", "IP address", "email address", "URI", "directory name"
	Name         string
	// Constraint is the excluded subtree the name falls in; empty for a
	// name outside every permitted subtree.
	Constraint string
	Excluded   bool
	// FromCN is set when the name is the subject CN of a certificate
	// without DNS SANs (OpenSSL and Java check it; Go does not).
	FromCN bool
	// FromDN is set for an email address that is an emailAddress
	// attribute of the subject DN, not a SAN (OpenSSL checks it; Java
	// only without a subjectAltName; Go never).
	FromDN bool
	// Wildcard is set when only Go's wildcard expansion makes it a
	// violation (an excluded subtree under a wildcard SAN).
	Wildcard bool
}

func (v ncViolation) String() string {
	name := v.Name
	if v.FromCN {
		name += " (the subject CN: the certificate has no DNS SAN)"
	}
	if v.FromDN {
		name += " (the emailAddress attribute of the subject)"
	}
	if v.Excluded {
		return fmt.Sprintf("%s %q is in the excluded subtree %q of %q", v.Kind, name, v.Constraint, Name(v.CA))
	}
	return fmt.Sprintf("%s %q is outside every permitted %s subtree of %q (%s)", v.Kind, name, v.Kind, Name(v.CA), strings.Join(permittedOf(v.CA, v.Kind), ", "))
}

func permittedOf(c *x509.Certificate, kind string) []string {
	switch kind {
	case "DNS name":
		return c.PermittedDNSDomains
	case "email address":
		return c.PermittedEmailAddresses
	case "URI":
		return c.PermittedURIDomains
	case "IP address":
		var out []string
		for _, n := range c.PermittedIPRanges {
			out = append(out, n.String())
		}
		return out
	case "directory name":
		d, _ := dirNameConstraints(c)
		return dnStrings(d.Permitted)
	}
	return nil
}

// goIgnores reports whether crypto/x509 does not check this kind of name
// at all: the CN, the subject DN and its emailAddress attribute.
func (v ncViolation) goIgnores() bool {
	return v.FromCN || v.FromDN || v.Kind == "directory name"
}

func hasNameConstraints(c *x509.Certificate) bool {
	return len(c.PermittedDNSDomains)+len(c.ExcludedDNSDomains)+len(c.PermittedIPRanges)+len(c.ExcludedIPRanges)+
		len(c.PermittedEmailAddresses)+len(c.ExcludedEmailAddresses)+len(c.PermittedURIDomains)+len(c.ExcludedURIDomains) > 0 ||
		hasExtension(c, oidNameConstraints)
}

// nameConstraintViolations checks every certificate of path (leaf first)
// against the constraints of every CA above it.
func nameConstraintViolations(path []*x509.Certificate) []ncViolation {
	var out []ncViolation
	for ca := 1; ca < len(path); ca++ {
		c := path[ca]
		if !hasNameConstraints(c) {
			continue
		}
		for i := 0; i < ca; i++ {
			out = append(out, checkNames(c, path[i], ca, i)...)
			out = append(out, checkSubjectNames(c, path[i], ca, i)...)
		}
	}
	return out
}

func checkNames(ca, cert *x509.Certificate, caAt, certAt int) []ncViolation {
	var out []ncViolation
	add := func(kind, name, constraint string, excluded, fromCN, wildcard bool) {
		out = append(out, ncViolation{CA: ca, Cert: cert, CAAt: caAt, CertAt: certAt, Kind: kind, Name: name, Constraint: constraint, Excluded: excluded, FromCN: fromCN, Wildcard: wildcard})
	}
	dns := cert.DNSNames
	fromCN := false
	if len(dns) == 0 && certAt == 0 && looksLikeHostname(cert.Subject.CommonName) {
		dns, fromCN = []string{cert.Subject.CommonName}, true
	}
	for _, d := range dns {
		if len(ca.PermittedDNSDomains) > 0 && !anyMatch(ca.PermittedDNSDomains, func(c string) bool { return dnsWithin(d, c) }) {
			add("DNS name", d, "", false, fromCN, false)
		}
		for _, c := range ca.ExcludedDNSDomains {
			switch {
			case dnsWithin(d, c):
				add("DNS name", d, c, true, fromCN, false)
			case strings.HasPrefix(d, "*.") && dnsWithin(c, d[2:]) && strings.Count(strings.TrimPrefix(c, "."), ".") == strings.Count(d, "."):
				add("DNS name", d, c, true, fromCN, true)
			}
		}
	}
	for _, ip := range cert.IPAddresses {
		if len(ca.PermittedIPRanges) > 0 && !anyNet(ca.PermittedIPRanges, ip) {
			add("IP address", ip.String(), "", false, false, false)
		}
		for _, n := range ca.ExcludedIPRanges {
			if n.Contains(ip) {
				add("IP address", ip.String(), n.String(), true, false, false)
			}
		}
	}
	for _, e := range cert.EmailAddresses {
		if len(ca.PermittedEmailAddresses) > 0 && !anyMatch(ca.PermittedEmailAddresses, func(c string) bool { return emailWithin(e, c) }) {
			add("email address", e, "", false, false, false)
		}
		for _, c := range ca.ExcludedEmailAddresses {
			if emailWithin(e, c) {
				add("email address", e, c, true, false, false)
			}
		}
	}
	for _, u := range cert.URIs {
		host := uriHost(u)
		if len(ca.PermittedURIDomains) > 0 && !anyMatch(ca.PermittedURIDomains, func(c string) bool { return dnsWithin(host, c) }) {
			add("URI", u.String(), "", false, false, false)
		}
		for _, c := range ca.ExcludedURIDomains {
			if dnsWithin(host, c) {
				add("URI", u.String(), c, true, false, false)
			}
		}
	}
	return out
}

func anyMatch(cs []string, f func(string) bool) bool {
	for _, c := range cs {
		if f(c) {
			return true
		}
	}
	return false
}

func anyNet(ns []*net.IPNet, ip net.IP) bool {
	for _, n := range ns {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// dnsWithin reports whether name is in the subtree of constraint: equal,
// or a subdomain; a constraint with a leading period matches subdomains
// only.
func dnsWithin(name, constraint string) bool {
	name, constraint = strings.ToLower(strings.TrimSuffix(name, ".")), strings.ToLower(strings.TrimSuffix(constraint, "."))
	if constraint == "" {
		return true
	}
	if strings.HasPrefix(constraint, ".") {
		return strings.HasSuffix(name, constraint)
	}
	return name == constraint || strings.HasSuffix(name, "."+constraint)
}

func emailWithin(addr, constraint string) bool {
	if strings.Contains(constraint, "@") {
		return strings.EqualFold(addr, constraint)
	}
	_, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return false
	}
	if strings.HasPrefix(constraint, ".") {
		return dnsWithin(domain, constraint)
	}
	return strings.EqualFold(domain, constraint)
}

func uriHost(u *url.URL) string {
	h := u.Hostname()
	if h == "" {
		h = u.Host
	}
	return h
}

// looksLikeHostname is OpenSSL's test for checking a CN against DNS
// constraints: letters, digits, hyphens and dots, with at least one dot.
func looksLikeHostname(s string) bool {
	if !strings.Contains(s, ".") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '*') {
			return false
		}
	}
	return true
}
