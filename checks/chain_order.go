package checks

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// A chain whose first certificate is not the server's leaf ([intermediate,
// leaf], or fully reversed): every client takes certificate #0 as the
// server's certificate, so it checks the name (and the handshake
// signature) against the intermediate and fails, whatever the rest. The
// other checks judge the real leaf, which is what the server will present
// once the order is fixed.

// firstNotLeaf is chain-order's finding when the leaf is not sent first.
func firstNotLeaf(in *Input) []Finding {
	if in.leaf == 0 || len(in.Chain) == 0 {
		return nil
	}
	first, leaf := in.Chain[0], in.Leaf()
	name := in.ExpectedName()
	tr := in.Trust(0)
	var sent, want []string
	for _, s := range in.Sent {
		if s.Cert != nil {
			sent = append(sent, fmt.Sprintf("#%d %s", s.Pos, Name(s.Cert)))
		}
	}
	order := []*x509.Certificate{leaf}
	if tr != nil {
		order = nil
		for _, c := range tr.Path {
			if containsCert(in.Chain, c) {
				order = append(order, c)
			}
		}
	}
	for _, c := range order {
		want = append(want, fmt.Sprintf("#%d %s", in.SentPos(c), Name(c)))
	}
	f := Finding{
		Severity: Error,
		Title:    fmt.Sprintf("the server sends %q first, but its leaf is %q (#%d): clients take the first certificate as the server's", Name(first), Name(leaf), in.SentPos(leaf)),
		Detail: fmt.Sprintf("TLS clients treat the first certificate of the chain as the server's own: they check the name %s against %q (a CA certificate, which does not name the server) and the handshake signature against its key. Java, curl, OpenSSL, Python, GnuTLS and Go all refuse the connection (measured). The leaf %q was sent at position %d; tlsdoctor judges it as the leaf in the other findings, as it will be once the order is fixed.",
			name, Name(first), Name(leaf), in.SentPos(leaf)),
		Evidence: []string{
			"order sent:     " + strings.Join(sent, " → "),
			"order to use:   " + strings.Join(want, " → "),
			"sent #0: " + Describe(first),
			fmt.Sprintf("leaf (sent #%d): %s", in.SentPos(leaf), Describe(leaf)),
		},
		Fix: []Step{
			Say("Put the leaf first in the chain file, then each intermediate in issuing order, and make sure the key configured with it is the leaf's; then reload the server."),
			rerun(in, "--fix-bundle fullchain.pem"),
			Set("nginx", "ssl_certificate     /etc/nginx/fullchain.pem;   # leaf first\nssl_certificate_key /etc/nginx/server.key;"),
		},
	}
	sigFailed := false
	if a := in.Rec.Primary(); a != nil && a.Error != nil && a.Error.Kind == probe.KindLocal && len(a.Certificates) > 0 {
		sigFailed = true
		f.Evidence = append(f.Evidence, "our handshake failed too: "+errText(a.Error)+" (the server signs with the leaf's key, clients check #0's)")
	}
	repl := []string{"HOST", name, "NAME0", Name(first)}
	f.Clients = []ClientVerdict{pathClient("java-first-not-leaf", repl...)}
	if sigFailed {
		f.Clients = append(f.Clients, pathClient("curl-first-not-leaf-sig", repl...))
	} else {
		f.Clients = append(f.Clients, pathClient("curl-first-not-leaf", repl...))
	}
	f.Clients = append(f.Clients, pathClient("openssl-first-not-leaf", repl...), pathClient("python-first-not-leaf", repl...))
	if sigFailed && in.Rec.Primary().Offered.MaxVersion == "TLS 1.3" {
		f.Clients = append(f.Clients, pathClient("gnutls-first-not-leaf-sig", repl...))
	} else {
		f.Clients = append(f.Clients, pathClient("gnutls-first-not-leaf", repl...))
	}
	goMsg := "tls: failed to verify certificate: x509: certificate is not valid for any names, but wanted to match " + name
	if err := first.VerifyHostname(name); err != nil {
		goMsg = "tls: failed to verify certificate: " + err.Error()
	}
	f.Clients = append(f.Clients, ClientVerdict{Client: "go", Fails: true, Message: goMsg})
	return []Finding{f}
}

// chainExplainsFailure reports whether the chain itself explains why our
// own handshake failed (handshake-failed then steps back): crypto/tls
// refused the Certificate message (a certificate it cannot parse, a message
// over its size limit), or the server put a CA certificate first and
// signed with its leaf's key.
func chainExplainsFailure(in *Input) bool {
	a := in.Rec.Primary()
	if a == nil || a.Error == nil || a.Error.Kind != probe.KindLocal {
		return false
	}
	if wireAttempt(in) {
		return true
	}
	for _, x := range in.Rec.Attempts {
		if x.CertificateMessageBytes > 0 && len(x.Certificates) == 0 {
			return true // chain-too-large: crypto/tls refused to read it
		}
	}
	return in.leaf != 0 && len(a.Certificates) > 0
}

// sentEvidence describes every sent certificate at its position, with its
// role (the real leaf, not necessarily #0).
func (in *Input) sentEvidence() []string {
	var ev []string
	for _, s := range in.Sent {
		if s.Pos >= maxChainCerts {
			ev = append(ev, fmt.Sprintf("... and %d more certificate(s), not judged (tlsdoctor considers the first %d)", len(in.Sent)-maxChainCerts, maxChainCerts))
			break
		}
		if s.Cert == nil {
			ev = append(ev, fmt.Sprintf("sent #%d: does not parse (%v)", s.Pos, s.Err))
			continue
		}
		ev = append(ev, fmt.Sprintf("sent #%d (%s): subject %q, issuer %q", s.Pos, in.sentRole(s.Cert), s.Cert.Subject.String(), s.Cert.Issuer.String()))
	}
	return ev
}

func (in *Input) sentRole(c *x509.Certificate) string {
	switch {
	case c == in.Leaf():
		return "leaf"
	case in.link.selfSigned(c):
		return "root"
	}
	return "intermediate"
}

// SentRoles names each certificate of the record's chain, at its position,
// for the chain table: "leaf" for the real leaf (see chain-order), "root"
// or "intermediate" for the others, "?" for one that does not parse.
func SentRoles(rec *probe.Record, env Env) []string {
	in := NewInput(rec, env)
	out := make([]string, len(in.Sent))
	for i, s := range in.Sent {
		switch {
		case s.Cert == nil:
			out[i] = "?"
		case i >= maxChainCerts:
			out[i] = Role(i, s.Cert)
		default:
			out[i] = in.sentRole(s.Cert)
		}
	}
	return out
}
