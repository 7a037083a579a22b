package checks

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"reflect"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// directoryName constraints, and rfc822Name constraints on the
// emailAddress attribute of a subject (RFC 5280 4.2.1.10): what OpenSSL
// and Java enforce and crypto/x509 does not. Measured (Go 1.26, OpenSSL
// 3.0, Java 17; checks/path_real_test.go re-measures it):
//   - Go does not read directoryName subtrees. A critical nameConstraints
//     extension holding one stays in UnhandledCriticalExtensions, so Verify
//     refuses every chain below that CA ("x509: unhandled critical
//     extension"), inside the subtree or not; a non-critical one is
//     ignored (its other subtrees still apply). Go never checks a
//     subject's emailAddress attribute.
//   - OpenSSL (curl, Python) checks the subject DN of every certificate
//     below the CA except self-issued intermediates: a subtree's RDNs must
//     be the subject's first RDNs, compared after folding case and white
//     space. It checks every emailAddress attribute of such a subject
//     against the rfc822Name subtrees, whether or not it has SANs.
//   - Java applies the same DN rule (not to a trust anchor's own
//     constraints) and the emailAddress attribute only when the
//     certificate has no subjectAltName extension.

var (
	oidNameConstraints = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidSubjectAltName  = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidEmailAddress    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// maxDirSubtrees bounds the directoryName subtrees read from one
// certificate (a hostile CA could list thousands).
const maxDirSubtrees = 64

// dirConstraints are the directoryName subtrees of a CA's nameConstraints.
type dirConstraints struct {
	Permitted, Excluded []pkix.RDNSequence
	Critical            bool
}

// dirNameConstraints reads the directoryName subtrees of c's
// nameConstraints extension; ok is false when there are none (or the
// extension does not parse: crypto/x509 refused the certificate then).
func dirNameConstraints(c *x509.Certificate) (d dirConstraints, ok bool) {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidNameConstraints) {
			continue
		}
		d.Critical = e.Critical
		in := cryptobyte.String(e.Value)
		var seq cryptobyte.String
		if !in.ReadASN1(&seq, cbasn1.SEQUENCE) {
			return dirConstraints{}, false
		}
		for _, part := range []struct {
			tag cbasn1.Tag
			out *[]pkix.RDNSequence
		}{{cbasn1.Tag(0).ContextSpecific().Constructed(), &d.Permitted}, {cbasn1.Tag(1).ContextSpecific().Constructed(), &d.Excluded}} {
			var subtrees cryptobyte.String
			var present bool
			if !seq.ReadOptionalASN1(&subtrees, &present, part.tag) {
				return dirConstraints{}, false
			}
			for !subtrees.Empty() {
				var st, base cryptobyte.String
				var tag cbasn1.Tag
				if !subtrees.ReadASN1(&st, cbasn1.SEQUENCE) || !st.ReadAnyASN1(&base, &tag) {
					return dirConstraints{}, false
				}
				if tag != cbasn1.Tag(4).ContextSpecific().Constructed() {
					continue
				}
				var rdns pkix.RDNSequence
				if rest, err := asn1.Unmarshal(base, &rdns); err != nil || len(rest) > 0 {
					return dirConstraints{}, false
				}
				if len(*part.out) < maxDirSubtrees {
					*part.out = append(*part.out, rdns)
				}
			}
		}
		return d, len(d.Permitted)+len(d.Excluded) > 0
	}
	return dirConstraints{}, false
}

func hasExtension(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return true
		}
	}
	return false
}

// subjectRDNs is c's subject as sent (nil when it does not parse).
func subjectRDNs(c *x509.Certificate) pkix.RDNSequence {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(c.RawSubject, &rdns); err != nil || len(rest) > 0 {
		return nil
	}
	return rdns
}

// dnWithin reports whether subject is in the subtree of base: base's RDNs
// are subject's first RDNs.
func dnWithin(subject, base pkix.RDNSequence) bool {
	if len(base) > len(subject) {
		return false
	}
	for i := range base {
		if !rdnEqual(subject[i], base[i]) {
			return false
		}
	}
	return true
}

func rdnEqual(a, b pkix.RelativeDistinguishedNameSET) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
next:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && x.Type.Equal(y.Type) && attrValueEqual(x.Value, y.Value) {
				used[j] = true
				continue next
			}
		}
		return false
	}
	return true
}

// attrValueEqual compares two attribute values as OpenSSL's canonical
// form does: strings with ASCII case and runs of white space folded,
// anything else as it is.
func attrValueEqual(x, y any) bool {
	xs, ok1 := x.(string)
	ys, ok2 := y.(string)
	if ok1 && ok2 {
		return canonAttr(xs) == canonAttr(ys)
	}
	return reflect.DeepEqual(x, y)
}

func canonAttr(s string) string {
	b := []byte(strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v' }), " "))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func dnStrings(ns []pkix.RDNSequence) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.String())
	}
	return out
}

// checkSubjectNames checks cert's subject DN against ca's directoryName
// subtrees and its emailAddress attributes against ca's rfc822Name
// subtrees, as OpenSSL does.
func checkSubjectNames(ca, cert *x509.Certificate, caAt, certAt int) []ncViolation {
	if certAt > 0 && bytes.Equal(cert.RawSubject, cert.RawIssuer) {
		return nil // self-issued intermediates are not checked
	}
	subject := subjectRDNs(cert)
	if len(subject) == 0 {
		return nil
	}
	var out []ncViolation
	add := func(kind, name, constraint string, excluded, fromDN bool) {
		out = append(out, ncViolation{CA: ca, Cert: cert, CAAt: caAt, CertAt: certAt, Kind: kind, Name: name, Constraint: constraint, Excluded: excluded, FromDN: fromDN})
	}
	if d, ok := dirNameConstraints(ca); ok {
		if len(d.Permitted) > 0 && !anyRDN(d.Permitted, subject) {
			add("directory name", subject.String(), "", false, false)
		}
		for _, e := range d.Excluded {
			if dnWithin(subject, e) {
				add("directory name", subject.String(), e.String(), true, false)
			}
		}
	}
	if len(ca.PermittedEmailAddresses)+len(ca.ExcludedEmailAddresses) == 0 {
		return out
	}
	for _, rdn := range subject {
		for _, atv := range rdn {
			addr, isString := atv.Value.(string)
			if !atv.Type.Equal(oidEmailAddress) || !isString {
				continue
			}
			if len(ca.PermittedEmailAddresses) > 0 && !anyMatch(ca.PermittedEmailAddresses, func(c string) bool { return emailWithin(addr, c) }) {
				add("email address", addr, "", false, true)
			}
			for _, c := range ca.ExcludedEmailAddresses {
				if emailWithin(addr, c) {
					add("email address", addr, c, true, true)
				}
			}
		}
	}
	return out
}

func anyRDN(bases []pkix.RDNSequence, subject pkix.RDNSequence) bool {
	for _, b := range bases {
		if dnWithin(subject, b) {
			return true
		}
	}
	return false
}
