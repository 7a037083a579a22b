package checks

import (
	"crypto/x509"
	"fmt"
	"net"
	"strings"
)

// name-constraint-violation: a CA on the path is constrained to some names
// (nameConstraints) and a certificate below it names something else.

func nameConstraintViolation(in *Input) []Finding {
	tr := in.Trust(0)
	g := in.GoVerify(0)
	if tr == nil {
		return nil
	}
	vs := nameConstraintViolations(tr.Path)
	goNC := goLine(g, goNameConstraint)
	if len(vs) == 0 && goNC == nil {
		return nil
	}
	anchorAt := -1
	if tr.Anchor != nil {
		anchorAt = len(tr.Path) - 1
	}
	f := Finding{
		Detail: "A CA certificate can be limited to some names (its nameConstraints extension): everything issued below it must name only hosts, addresses, mailboxes, URIs and subject distinguished names (directoryName subtrees) inside its permitted subtrees and none inside its excluded ones. Private and partner PKIs rely on this to keep one partner's CA from issuing for another's domain; verifiers refuse a path that breaks it.",
	}
	for _, v := range vs {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s (%s): %s", pathRole(in, v.CertAt), Name(v.Cert), v.String()))
	}
	seenCA := map[int]bool{}
	for _, v := range vs {
		if seenCA[v.CAAt] {
			continue
		}
		seenCA[v.CAAt] = true
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s %q: %s", pathRole(in, v.CAAt), Name(v.CA), constraintSummary(v.CA)))
	}
	if g != nil {
		f.Evidence = append(f.Evidence, describeGo(g, tr.Store.Name))
	}
	switch {
	case len(vs) > 0:
		v := vs[0]
		verb := "is outside the permitted names of"
		if v.Excluded {
			verb = "is excluded by"
		}
		f.Title = fmt.Sprintf("the %s %s %q %s %q", certWord(in, v.CertAt), v.Kind, v.Name, verb, Name(v.CA))
		if len(vs) > 1 {
			f.Detail += fmt.Sprintf(" Here %d names break it; the evidence lists each.", len(vs))
		}
	default:
		f.Title = "Go's verifier refuses the path for a name constraint: " + strings.TrimPrefix(g.PathErr.Error(), "x509: ")
		f.Detail += " tlsdoctor's own evaluator found no violation (Go also checks constraint forms it does not model), so the other clients' lines below are not measured for this case."
	}
	f.Clients = ncClients(vs, anchorAt, g)
	if len(vs) > 0 {
		f.Clients = append(f.Clients, ncGoLine(vs, goNC, g))
	}
	f.Fix = []Step{
		Say(fmt.Sprintf("Reissue the certificate with names the CA may issue for (%s), or issue it from a CA whose constraints include the name; clients cannot be told to ignore a CA's name constraints.", permittedSummary(vs))),
		Say("Check a chain before deploying it (the chain file holds the intermediates, root.pem the root):"),
		Cmd("openssl", "openssl verify -CAfile root.pem -untrusted chain.pem server.crt"),
	}
	return []Finding{f}
}

func certWord(in *Input, i int) string {
	if i == 0 {
		return "leaf's"
	}
	return pathRole(in, i) + "'s"
}

// constraintSummary lists a CA's name constraints for evidence.
func constraintSummary(c *x509.Certificate) string {
	var parts []string
	add := func(label string, vs []string) {
		if len(vs) > 0 {
			parts = append(parts, label+" "+strings.Join(vs, ", "))
		}
	}
	nets := func(ns []*net.IPNet) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n.String())
		}
		return out
	}
	add("permitted DNS", c.PermittedDNSDomains)
	add("excluded DNS", c.ExcludedDNSDomains)
	add("permitted IP", nets(c.PermittedIPRanges))
	add("excluded IP", nets(c.ExcludedIPRanges))
	add("permitted email", c.PermittedEmailAddresses)
	add("excluded email", c.ExcludedEmailAddresses)
	add("permitted URI", c.PermittedURIDomains)
	add("excluded URI", c.ExcludedURIDomains)
	if d, ok := dirNameConstraints(c); ok {
		add("permitted directoryName", dnStrings(d.Permitted))
		add("excluded directoryName", dnStrings(d.Excluded))
	}
	crit := "non-critical"
	for _, e := range c.Extensions {
		if e.Id.Equal(oidNameConstraints) && e.Critical {
			crit = "critical"
		}
	}
	return "nameConstraints (" + crit + "): " + strings.Join(parts, "; ")
}

// permittedSummary lists the permitted subtrees the violations are about.
func permittedSummary(vs []ncViolation) string {
	var out []string
	seen := map[string]bool{}
	for _, v := range vs {
		for _, p := range permittedOf(v.CA, v.Kind) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		return "names outside its excluded subtrees"
	}
	return strings.Join(out, ", ")
}

// ncClients are the OpenSSL, GnuTLS and Java verdicts, from how each
// treats the violations (measured; see nameconst.go).
func ncClients(vs []ncViolation, anchorAt int, g *GoVerdict) []ClientVerdict {
	if len(vs) == 0 {
		return nil
	}
	var opensslFails, opensslExcluded, gnutlsFails, javaFails bool
	for _, v := range vs {
		hasSAN := len(v.Cert.DNSNames)+len(v.Cert.IPAddresses)+len(v.Cert.EmailAddresses)+len(v.Cert.URIs) > 0
		if v.Wildcard {
			continue
		}
		opensslFails = true
		opensslExcluded = opensslExcluded || v.Excluded
		switch {
		case v.Kind == "directory name":
			// GnuTLS applies only excluded directoryName subtrees, and
			// only to the leaf; Java's check is OpenSSL's.
			gnutlsFails = gnutlsFails || (v.Excluded && v.CertAt == 0)
			javaFails = javaFails || v.CAAt != anchorAt
		case v.FromDN:
			// GnuTLS checks the subject's emailAddress of a leaf without
			// email SANs; Java only without any subjectAltName.
			gnutlsFails = gnutlsFails || (v.CertAt == 0 && len(v.Cert.EmailAddresses) == 0)
			javaFails = javaFails || (v.CAAt != anchorAt && !hasExtension(v.Cert, oidSubjectAltName))
		default:
			if !(v.Kind == "URI" && !v.Excluded) {
				gnutlsFails = true
			}
			if v.CAAt != anchorAt && !(v.FromCN && hasSAN) {
				javaFails = true
			}
		}
	}
	var out []ClientVerdict
	if javaFails {
		out = append(out, pathClient("java-nc"))
	} else {
		out = append(out, connects("java", "connects: Java ignores a trust anchor's own name constraints, and checks the CN and the subject's emailAddress only when the certificate has no subjectAltName"))
	}
	if opensslFails {
		k := "permitted"
		if opensslExcluded {
			k = "excluded"
		}
		out = append(out, pathClient("curl-nc-"+k), pathClient("openssl-nc-"+k), pathClient("python-nc-"+k))
	} else {
		for _, c := range []string{"curl", "openssl", "python"} {
			out = append(out, connects(c, "connects: OpenSSL compares the wildcard SAN as a string, not its expansion"))
		}
	}
	if gnutlsFails {
		out = append(out, pathClient("gnutls-nc"))
	} else {
		out = append(out, connects("gnutls", "connects: gnutls-cli does not apply this constraint"))
	}
	return out
}

// ncGoLine is Go's verdict: its real error when it refused the path for a
// name constraint, else why it connects.
func ncGoLine(vs []ncViolation, goNC *ClientVerdict, g *GoVerdict) ClientVerdict {
	if goNC != nil {
		return *goNC
	}
	var cn, dn, email bool
	for _, v := range vs {
		cn = cn || v.FromCN
		dn = dn || v.Kind == "directory name"
		email = email || v.FromDN
	}
	if g != nil && !g.OK() {
		// Go refuses the chain for another reason (a CN-only leaf, a
		// critical nameConstraints extension it cannot read): say what it
		// prints.
		note := " (not for the name constraint: Go does not apply them to the CN)"
		switch {
		case dn && goErrorKind(g.Err()) == goCriticalExt:
			note = " (not for the name itself: Go cannot read directoryName subtrees, so it refuses every certificate below a CA whose critical nameConstraints extension holds one)"
		case dn || email:
			note = " (not for the name constraint: Go checks neither the subject DN against directoryName subtrees nor its emailAddress attribute)"
		}
		return ClientVerdict{Client: "go", Fails: true, Message: g.Message() + note}
	}
	for _, v := range vs {
		if !v.goIgnores() {
			// Go should have refused; the disagreement check reports it.
			return ClientVerdict{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: a root or intermediate certificate is not authorized to sign for this name"}
		}
	}
	var why []string
	if cn {
		why = append(why, "Go does not apply them to the CN (it refuses a CN-only leaf for another reason, see no-san)")
	}
	if dn {
		why = append(why, "Go ignores the directoryName subtrees of a non-critical nameConstraints extension")
	}
	if email {
		why = append(why, "Go checks rfc822Name subtrees against email SANs only, not the subject's emailAddress attribute")
	}
	return connects("go", "connects as far as name constraints go: "+strings.Join(why, "; "))
}
