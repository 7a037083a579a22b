package checks

import (
	"bytes"
	"crypto/dsa" //nolint:staticcheck // to recognise DSA keys, not to use them
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
)

// noSAN fires for a leaf with no subjectAltName: modern clients ignore
// the CN.
func noSAN(in *Input) []Finding {
	leaf := in.Leaf()
	if leaf == nil || len(leaf.DNSNames) > 0 || len(leaf.IPAddresses) > 0 || len(leaf.EmailAddresses) > 0 || len(leaf.URIs) > 0 {
		return nil
	}
	if isSelfSigned(leaf) && leaf.IsCA {
		return nil
	}
	name := in.ExpectedName()
	cn := leaf.Subject.CommonName
	return []Finding{{
		Title: fmt.Sprintf("the certificate has no subjectAltName, only the CN %q", cn),
		Detail: "Since RFC 2818 (and the CA/Browser Forum rules) the server name must be in the subjectAltName extension. Go, browsers and other modern clients ignore the CN and refuse the certificate; " +
			"OpenSSL, curl and Java still fall back to the CN, so the failure depends on the client.",
		Evidence: []string{"subject: " + leaf.Subject.String(), "subjectAltName: (none)", "leaf: " + Describe(leaf)},
		Fix:      append([]Step{Say("Reissue the certificate with the name in subjectAltName.")}, sanRequestSteps([]string{name})...),
		Clients:  clients("no-san", "HOST", name),
	}}
}

// weakKey fires for RSA keys under 2048 bits, EC keys under 256 bits and
// any DSA key on the path.
func weakKey(in *Input) []Finding {
	var out []Finding
	for i, c := range pathCerts(in) {
		if compromisedKeyOf(c) != nil {
			continue // a published key: compromised-root says what to do
		}
		var desc string
		switch k := c.PublicKey.(type) {
		case *rsa.PublicKey:
			if n := k.N.BitLen(); n < 2048 {
				desc = fmt.Sprintf("RSA %d bits (minimum 2048)", n)
			}
		case *ecdsa.PublicKey:
			if n := k.Curve.Params().BitSize; n < 256 {
				desc = fmt.Sprintf("EC %d bits (minimum 256)", n)
			}
		case *dsa.PublicKey:
			desc = fmt.Sprintf("DSA %d bits (DSA is no longer accepted for TLS certificates)", k.P.BitLen())
		}
		if desc == "" {
			continue
		}
		role := pathRole(in, i)
		key := "weak-key-ee"
		fix := []Step{Say("The CA must replace this CA certificate with one with an RSA 2048+ or ECDSA P-256 key; use the current intermediate your CA provides.")}
		if i > 0 {
			key = "weak-key-ca"
		} else {
			fix = append([]Step{Say("Generate a new key (RSA 3072 here; ECDSA P-256 with -newkey ec -pkeyopt ec_paramgen_curve:P-256) and have the certificate reissued for it.")},
				requestSteps(leafNames(in, c), "-newkey rsa:3072")...)
		}
		out = append(out, Finding{
			Title:    fmt.Sprintf("the %s certificate %q has a weak key: %s", role, Name(c), desc),
			Detail:   "OpenSSL 3 (and so curl, Python, nginx as a client) refuses keys below 112-bit security at its default security level 1+; CAs may not issue them since 2013. Java and Go still accept RSA 1024.",
			Evidence: []string{role + ": " + Describe(c), "key: " + desc},
			Fix:      fix,
			Clients:  clients(key),
		})
	}
	return out
}

// weakSignature fires for MD5 or SHA-1 signatures on any certificate of
// the path except the trust anchor (whose signature nobody checks).
func weakSignature(in *Input) []Finding {
	var out []Finding
	path := pathCerts(in)
	tr := in.Trust(0)
	for i, c := range path {
		if i == len(path)-1 && (isSelfSigned(c) || (tr != nil && tr.Anchor != nil && tr.Anchor.Equal(c))) && i > 0 {
			continue
		}
		if compromisedKeyOf(c) != nil {
			continue // a published key: compromised-root says what to do
		}
		switch c.SignatureAlgorithm {
		case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		default:
			continue
		}
		role := pathRole(in, i)
		fix := []Step{Say("Have the CA reissue the certificate signed with SHA-256 or better (openssl ca: -md sha256).")}
		if i == 0 {
			fix = append(fix,
				Say("With your own CA (ca.crt, ca.key), sign the request again (server.csr, for the same names) with SHA-256:"),
				Cmd("openssl", "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -sha256 -copy_extensions copy -days 365 -out server.crt"))
		}
		out = append(out, Finding{
			Title:    fmt.Sprintf("the %s certificate %q is signed with %s", role, Name(c), c.SignatureAlgorithm),
			Detail:   "MD5 and SHA-1 signatures can be forged (SHA-1 chosen-prefix collisions are practical since 2020). Go, browsers and OpenSSL 3 at its default security level refuse them; Java 17 still accepts SHA-1 on server certificates.",
			Evidence: []string{role + ": " + Describe(c), "signature algorithm: " + c.SignatureAlgorithm.String()},
			Fix:      fix,
			Clients:  clients("weak-signature", "NAME", Name(path[min(i+1, len(path)-1)])),
		})
	}
	return out
}

// ekuMissing fires when a certificate on the path restricts its extended
// key usage and serverAuth is not among them.
func ekuMissing(in *Input) []Finding {
	var out []Finding
	path := pathCerts(in)
	for i, c := range path {
		if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
			continue
		}
		anchor := i > 0 && i == len(path)-1
		if anchor && in.goKind() != goEKU {
			continue // an anchor's EKU matters only where Go refuses it (OpenSSL too; Java and GnuTLS ignore it)
		}
		ok := false
		var have []string
		for _, u := range c.ExtKeyUsage {
			if u == x509.ExtKeyUsageServerAuth || u == x509.ExtKeyUsageAny {
				ok = true
			}
			have = append(have, ekuName(u))
		}
		for _, u := range c.UnknownExtKeyUsage {
			have = append(have, u.String())
		}
		if ok {
			continue
		}
		role := pathRole(in, i)
		fix := []Step{Say("Have the CA reissue it as a server certificate (its \"web server\" profile), with serverAuth in extendedKeyUsage; add clientAuth too if the same certificate is also used for mutual TLS.")}
		if i == 0 {
			fix = append(fix,
				Say("With your own CA (ca.crt, ca.key): save this extension section as server-ext.cnf"),
				Set("openssl.cnf", "[server_ext]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth"),
				Say("and sign the request (server.csr, for the same names) with it:"),
				Cmd("openssl", "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -copy_extensions copy -extfile server-ext.cnf -extensions server_ext -days 365 -out server.crt"))
		}
		out = append(out, Finding{
			Title:    fmt.Sprintf("the %s certificate %q is not valid for TLS servers (no serverAuth extended key usage)", role, Name(c)),
			Detail:   "The certificate lists the purposes it may be used for, and TLS server authentication (serverAuth, 1.3.6.1.5.5.7.3.1) is not among them; it was probably issued as a client or code-signing certificate. Clients refuse it.",
			Evidence: []string{role + ": " + Describe(c), "extendedKeyUsage: " + strings.Join(have, ", ")},
			Fix:      fix,
			Clients:  clients("eku-missing"),
		})
		if i > 0 {
			out[len(out)-1].Clients = caEKUClients(in, anchor)
		}
	}
	return out
}

// caEKUClients are the measured verdicts for a CA certificate on the path
// whose EKU excludes serverAuth: Go (nested EKU) and OpenSSL refuse it,
// Java does not check a CA's EKU, GnuTLS checks intermediates but not the
// trust anchor.
func caEKUClients(in *Input, anchor bool) []ClientVerdict {
	out := []ClientVerdict{
		connects("java", "connects: Java checks the extended key usage of the leaf only"),
		pathClient("curl-eku-ca"), pathClient("openssl-eku-ca"), pathClient("python-eku-ca"),
	}
	if anchor {
		out = append(out, connects("gnutls", "connects: gnutls-cli does not check the trust anchor's extended key usage"))
	} else {
		out = append(out, pathClient("gnutls-eku-ca"))
	}
	if gl := goLine(in.GoVerify(0), goEKU); gl != nil {
		return append(out, *gl)
	}
	return append(out, ClientVerdict{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate specifies an incompatible key usage"})
}

func ekuName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageEmailProtection:
		return "emailProtection"
	case x509.ExtKeyUsageTimeStamping:
		return "timeStamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	case x509.ExtKeyUsageAny:
		return "anyExtendedKeyUsage"
	}
	return fmt.Sprintf("EKU(%d)", int(u))
}

// caConstraints fires when a certificate that issued another on the path
// is not a CA (no basicConstraints CA:TRUE, or no keyCertSign) or when a
// path length constraint is exceeded.
func caConstraints(in *Input) []Finding {
	var out []Finding
	path := pathCerts(in)
	for i := 1; i < len(path); i++ {
		c := path[i]
		role := pathRole(in, i)
		var problems []string
		if !c.BasicConstraintsValid || !c.IsCA {
			problems = append(problems, "it is not a CA certificate (basicConstraints CA:TRUE is missing)")
		}
		if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
			problems = append(problems, "its keyUsage lacks keyCertSign")
		}
		below := i - 1 // CA certificates between it and the leaf
		if c.BasicConstraintsValid && c.IsCA && (c.MaxPathLen > 0 || c.MaxPathLenZero) && below > c.MaxPathLen {
			problems = append(problems, fmt.Sprintf("its pathLenConstraint is %d but %d CA certificate(s) follow it", c.MaxPathLen, below))
		}
		if len(problems) == 0 {
			continue
		}
		// Java names the first check that fails: key usage, then basic
		// constraints, then path length; the others say the same for all.
		key := "ca-pathlen"
		switch {
		case c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0:
			key = "ca-no-certsign"
		case !c.BasicConstraintsValid || !c.IsCA:
			key = "ca-not-ca"
		}
		out = append(out, Finding{
			Title:    fmt.Sprintf("the %s %q may not issue certificates: %s", role, Name(c), problems[0]),
			Detail:   fmt.Sprintf("%q issued %q, but %s. Clients refuse a path through a certificate that is not allowed to act as a CA.", Name(c), Name(path[i-1]), strings.Join(problems, "; ")),
			Evidence: []string{role + ": " + Describe(c), fmt.Sprintf("basicConstraints: valid=%t CA=%t pathlen=%d", c.BasicConstraintsValid, c.IsCA, c.MaxPathLen)},
			Fix: []Step{
				Say("Issue from a proper CA certificate, or use the intermediate your CA provides: a leaf certificate cannot sign other certificates. A CA certificate of your own needs this extension section (save it as ca-ext.cnf; pathlen counts the CA certificates allowed below it):"),
				Set("openssl.cnf", "[ca_ext]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign"),
				Say("and is signed with it by its parent CA (parent.crt, parent.key), from the CA's request (ca.csr):"),
				Cmd("openssl", "openssl x509 -req -in ca.csr -CA parent.crt -CAkey parent.key -extfile ca-ext.cnf -extensions ca_ext -days 1825 -out ca.crt"),
			},
			Clients: clients(key),
		})
		if key == "ca-pathlen" && selfIssuedExceedsOnly(path, i) {
			f := &out[len(out)-1]
			f.Detail += " Only a self-issued intermediate (same subject and issuer, another key: a CA key rollover) makes the count exceed it; RFC 5280 does not count those, and Java does not, but Go does, and OpenSSL stops at it as if it were a root."
			f.Clients = selfIssuedPathLenClients(in)
		}
	}
	return out
}

// selfIssuedExceedsOnly reports whether path[i]'s pathLenConstraint holds
// once self-issued intermediates below it are not counted (RFC 5280
// 6.1.4(l)).
func selfIssuedExceedsOnly(path []*x509.Certificate, i int) bool {
	n := 0
	for _, c := range path[1:i] {
		if !bytes.Equal(c.RawSubject, c.RawIssuer) {
			n++
		}
	}
	return n <= path[i].MaxPathLen
}

// selfIssuedPathLenClients are the measured verdicts for a path length
// exceeded only by a self-issued intermediate; Go's from its verifier.
func selfIssuedPathLenClients(in *Input) []ClientVerdict {
	out := []ClientVerdict{pathClient("java-pathlen-self-issued"), pathClient("curl-pathlen-self-issued"), pathClient("openssl-pathlen-self-issued")}
	if gl := goLine(in.GoVerify(0), goPathLen, goUnknownAuthority); gl != nil {
		return append(out, *gl)
	}
	return append(out, ClientVerdict{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: too many intermediates for path length constraint"})
}

// validityTooLong fires (info) for a leaf valid for more than 398 days
// whose path ends at a publicly trusted root: browsers refuse those
// issued since 2020-09-01.
func validityTooLong(in *Input) []Finding {
	leaf := in.Leaf()
	if leaf == nil {
		return nil
	}
	days := int(leaf.NotAfter.Sub(leaf.NotBefore).Hours() / 24)
	if days <= 398 {
		return nil
	}
	var public string
	for i, ts := range in.Env.Truststores {
		if tr := in.Trust(i); ts.Public && tr != nil && tr.Anchor != nil {
			public = ts.Name
			break
		}
	}
	if public == "" {
		return nil
	}
	return []Finding{{
		Title:    fmt.Sprintf("the leaf is valid for %d days, more than the 398 allowed for publicly trusted certificates", days),
		Detail:   fmt.Sprintf("The chain ends at a root in %s (publicly trusted). Safari and Chrome refuse publicly trusted leaves issued after 2020-09-01 with a validity over 398 days; CAs may not issue them.", public),
		Evidence: []string{fmt.Sprintf("leaf: not before %s, not after %s (%d days)", leaf.NotBefore.UTC().Format("2006-01-02"), leaf.NotAfter.UTC().Format("2006-01-02"), days), "leaf: " + Describe(leaf)},
		Fix:      []Step{Say("Reissue with a validity of at most 398 days (90 with ACME is the norm) and automate renewal.")},
	}}
}

func isIPName(s string) bool {
	return strings.Count(s, ":") >= 2 || (strings.Trim(s, "0123456789.") == "" && strings.Count(s, ".") == 3)
}

// leafNames are the names a replacement for leaf c must cover: its own
// DNS and IP SANs, else the name checked.
func leafNames(in *Input, c *x509.Certificate) []string {
	if n := coveredNames(c); len(n) > 0 {
		return n
	}
	return []string{in.ExpectedName()}
}
