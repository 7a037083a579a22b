package checks

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strings"
)

// unparseable-certificate and unknown-critical-extension: certificates a
// verifier refuses before judging any path.

// goOnlyParseErrors are crypto/x509 parse errors for certificates that
// OpenSSL (curl, Python), GnuTLS and Java 17 read and accept (measured);
// every other parse error is assumed to be Go's alone only when listed
// here, else the finding says which clients were measured.
var goOnlyParseErrors = []string{"x509: negative serial number"}

func unparseableCertificate(in *Input) []Finding {
	var out []Finding
	for _, s := range in.Unparsed() {
		role := fmt.Sprintf("certificate #%d", s.Pos)
		if s.Pos == 0 {
			role += " (the leaf)"
		}
		sum := sha256.Sum256(s.DER)
		f := Finding{
			Title: fmt.Sprintf("the server's %s is not a valid X.509 certificate: %v", role, s.Err),
			Evidence: []string{
				fmt.Sprintf("sent #%d of %d: %d bytes, SHA-256 %X", s.Pos, len(in.Sent), len(s.DER), sum),
				"Go crypto/x509: " + s.Err.Error(),
			},
		}
		if wireAttempt(in) {
			f.Evidence = append(f.Evidence, "crypto/tls refused the Certificate message; tlsdoctor read the certificates from the handshake bytes (TLS 1.2)")
		}
		goMsg := "tls: failed to parse certificate from server: " + s.Err.Error()
		goOnly := false
		for _, e := range goOnlyParseErrors {
			if strings.Contains(s.Err.Error(), e) {
				goOnly = true
			}
		}
		if goOnly {
			f.Detail = fmt.Sprintf("Go's parser refuses certificate #%d (%v); OpenSSL (curl, Python), GnuTLS and Java read it and go on. RFC 5280 forbids it: a CA should not issue it. Go clients (and Go-based tools: kubectl, Terraform, Docker) fail before verifying anything.", s.Pos, s.Err)
			f.Clients = []ClientVerdict{
				{Client: "go", Fails: true, Message: goMsg},
				connects("java", "parses it and goes on"), connects("curl", "parses it and goes on"),
				connects("openssl", "parses it and goes on"), connects("python", "parses it and goes on"),
				connects("gnutls", "parses it and goes on"),
			}
			f.Fix = []Step{
				Say("Have the CA reissue the certificate with a positive serial number (RFC 5280 4.1.2.2)."),
				Say("Until then, a Go program can accept it with the GODEBUG setting (Go 1.23 and later):"),
				Set("go", "GODEBUG=x509negativeserial=1"),
			}
		} else {
			f.Detail = fmt.Sprintf("Certificate #%d of the chain the server sends is not valid DER: every TLS client parses the whole Certificate message before it verifies anything, so the handshake fails for everyone (Java, curl, OpenSSL, Python, GnuTLS and Go were measured on a truncated certificate). The file the server loads is damaged: truncated, or a PEM block with a broken line.", s.Pos)
			f.Clients = []ClientVerdict{
				pathClient("java-unparseable"), pathClient("curl-unparseable"), pathClient("openssl-unparseable"),
				pathClient("python-unparseable"), pathClient("gnutls-unparseable"),
				{Client: "go", Fails: true, Message: goMsg},
			}
			f.Fix = []Step{
				Say("Check the server's chain file: openssl lists every certificate of a sound file and stops with an asn1 error on a damaged one:"),
				Cmd("openssl", "openssl crl2pkcs7 -nocrl -certfile fullchain.pem | openssl pkcs7 -print_certs -noout"),
				Say("Replace it with an intact copy from the CA (re-download the chain), then reload the server."),
			}
		}
		if s.Pos == 0 {
			f.Detail += " It is the leaf, so no other check of the server's certificate could run."
		} else {
			f.Detail += " The other certificates keep their positions in this report."
		}
		out = append(out, f)
	}
	return out
}

// wireAttempt reports whether the chain was read from the handshake bytes.
func wireAttempt(in *Input) bool {
	for _, a := range in.Rec.Attempts {
		if len(a.Certificates) > 0 {
			return a.CertificatesFromWire
		}
	}
	return false
}

// knownExtensionNames names the extensions people meet.
var knownExtensionNames = map[string]string{
	"2.16.840.1.113730.1.1": "Netscape certificate type",
	"1.3.6.1.5.5.7.1.24":    "TLS feature (OCSP must-staple)",
	"2.5.29.36":             "policy constraints",
	"2.5.29.33":             "policy mappings",
	"2.5.29.54":             "inhibit anyPolicy",
	"2.5.29.9":              "subject directory attributes",
	"1.3.6.1.4.1.311.21.7":  "Microsoft certificate template",
	"1.3.6.1.4.1.311.21.10": "Microsoft application policies",
	"2.5.29.30":             "name constraints",
}

// goOnlyCritical are critical extensions that only crypto/x509 cannot
// process: nameConstraints with a directoryName subtree (Go reads
// DNS, IP, email and URI subtrees only), which OpenSSL (curl, Python),
// GnuTLS and Java implement (measured; see nameconst_dn.go).
func goOnlyCritical(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	if !oid.Equal(oidNameConstraints) {
		return false
	}
	_, ok := dirNameConstraints(c)
	return ok
}

func unknownCriticalExtension(in *Input) []Finding {
	var out []Finding
	path := pathCerts(in)
	g := in.GoVerify(0)
	for i, c := range path {
		if len(c.UnhandledCriticalExtensions) == 0 {
			continue
		}
		role := pathRole(in, i)
		goOnly := true
		for _, o := range c.UnhandledCriticalExtensions {
			goOnly = goOnly && goOnlyCritical(c, o)
		}
		if goOnly {
			out = append(out, goOnlyNameConstraints(in, g, c, role))
			continue
		}
		var oids []string
		for _, o := range c.UnhandledCriticalExtensions {
			s := o.String()
			if n, ok := knownExtensionNames[s]; ok {
				s += " (" + n + ")"
			}
			oids = append(oids, s)
		}
		f := Finding{
			Title:    fmt.Sprintf("the %s certificate %q has a critical extension verifiers do not know: %s", role, Name(c), strings.Join(oids, ", ")),
			Detail:   "An extension marked critical must be understood by the verifier, or the certificate must be refused (RFC 5280 4.2). Go, OpenSSL (curl, Python), GnuTLS and Java refuse a certificate with a critical extension they do not implement, anywhere on the path they build.",
			Evidence: []string{role + ": " + Describe(c), "critical extensions not understood by Go's crypto/x509: " + strings.Join(oids, ", ")},
			Clients: []ClientVerdict{
				pathClient("java-critical"), pathClient("curl-critical"), pathClient("openssl-critical"),
				pathClient("python-critical"), pathClient("gnutls-critical"),
			},
			Fix: []Step{
				Say(fmt.Sprintf("Have the %s reissued without the extension, or with it marked non-critical (drop \"critical,\" from its line in the openssl extension section); a private CA's profile that adds it must be changed, not the clients.", role)),
				Cmd("openssl", "openssl x509 -in server.crt -noout -text"),
			},
		}
		if gl := goLine(g, goCriticalExt, goUnknownAuthority); gl != nil {
			f.Clients = append(f.Clients, *gl)
		} else {
			f.Clients = append(f.Clients, ClientVerdict{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: unhandled critical extension"})
		}
		if i == len(path)-1 && i > 0 {
			f.Detail += " It is the trust anchor: Go, OpenSSL and GnuTLS check its extensions too; Java does not (measured)."
			f.Clients[0] = connects("java", "connects: Java does not check the trust anchor's extensions")
		}
		out = append(out, f)
	}
	return out
}

// goOnlyNameConstraints is unknown-critical-extension for a CA whose
// critical nameConstraints extension holds a directoryName subtree: Go
// refuses every chain below it, the other clients enforce it.
func goOnlyNameConstraints(in *Input, g *GoVerdict, c *x509.Certificate, role string) Finding {
	d, _ := dirNameConstraints(c)
	f := Finding{
		Title:  fmt.Sprintf("Go clients refuse every certificate below the %s %q: its critical nameConstraints extension holds directoryName subtrees, which Go's crypto/x509 cannot process", role, Name(c)),
		Detail: "RFC 5280 lets a CA limit the subject names below it (directoryName subtrees of nameConstraints, such as O=Partner,C=DE) and requires the extension to be critical. OpenSSL (curl, Python), GnuTLS and Java implement it; Go reads only DNS, IP, email and URI subtrees, so it treats the whole extension as an unknown critical extension and refuses the chain, whatever names the certificates below carry (Go programs: kubectl, Terraform, Docker, Prometheus). Whether the names below are inside the subtrees is name-constraint-violation's question.",
		Evidence: []string{role + ": " + Describe(c), constraintSummary(c),
			fmt.Sprintf("critical extensions not understood by Go's crypto/x509: 2.5.29.30 (name constraints: %d directoryName subtree(s))", len(d.Permitted)+len(d.Excluded))},
		Fix: []Step{
			Say(fmt.Sprintf("If Go clients must connect, have the %s reissued with name constraints Go can read: DNS, IP, email and URI subtrees only (in an openssl extension section: nameConstraints = critical,permitted;DNS:partner.example), without the dirName: subtrees. Marking the extension non-critical also makes Go connect (it then ignores the directoryName subtrees and applies the rest), but RFC 5280 requires it to be critical.", role)),
			Say("See the subtrees (ca.pem is that CA certificate):"),
			Cmd("openssl", "openssl x509 -in ca.pem -noout -ext nameConstraints"),
		},
	}
	why := "understands the directoryName subtrees and applies them (see name-constraint-violation)"
	for _, cl := range []string{"java", "curl", "openssl", "python", "gnutls"} {
		f.Clients = append(f.Clients, connects(cl, "does not refuse it for this: it "+why))
	}
	if gl := goLine(g, goCriticalExt, goUnknownAuthority); gl != nil {
		f.Clients = append(f.Clients, *gl)
	} else {
		f.Clients = append(f.Clients, ClientVerdict{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: unhandled critical extension"})
	}
	return f
}
