package checks

import (
	"bytes"
	"crypto/x509"
	"fmt"
)

// key-id-mismatch: the issuer is sent, its name and key sign the
// certificate below it, but its subject key identifier is not the
// authority key identifier that certificate names. OpenSSL (curl, Python)
// and GnuTLS refuse the link and report the issuer as missing; Go and Java
// link by signature and connect (measured).

// keyIDMismatchIssuer returns a sent or fetched certificate that issued c
// but whose key identifier differs from c's authority key identifier.
func keyIDMismatchIssuer(in *Input, c *x509.Certificate) *x509.Certificate {
	if len(c.AuthorityKeyId) == 0 {
		return nil
	}
	pool := append([]*x509.Certificate(nil), in.Chain...)
	for _, f := range in.Fetched() {
		pool = append(pool, f.Cert)
	}
	for _, p := range pool {
		if p != c && bytes.Equal(p.RawSubject, c.RawIssuer) && len(p.SubjectKeyId) > 0 &&
			!bytes.Equal(p.SubjectKeyId, c.AuthorityKeyId) && signatureLinks(p, c) {
			return p
		}
	}
	return nil
}

func keyIDMismatch(in *Input) []Finding {
	tr := in.Trust(0)
	if tr == nil || tr.Verdict == Trusted {
		return nil
	}
	child := tr.End()
	p := keyIDMismatchIssuer(in, child)
	if p == nil {
		return nil
	}
	f := Finding{
		Title: fmt.Sprintf("%q is sent, but its key identifier is not the one %q names as its issuer's", Name(p), Name(child)),
		Detail: fmt.Sprintf("%q signed %q, but %q's authority key identifier names another key than %q's subject key identifier: the issuer was re-issued, or the certificate was signed by a copy of the CA with other extensions. OpenSSL (curl, Python) and GnuTLS use the key identifiers to find the issuer and report it as missing; Go and Java link by name and signature, so the key identifiers alone do not stop them (each client's line below says whether it connects).",
			Name(p), Name(child), Name(child), Name(p)),
		Evidence: []string{
			fmt.Sprintf("%s: authority key identifier %X", Name(child), child.AuthorityKeyId),
			fmt.Sprintf("sent #%d %s: subject key identifier %X", in.SentPos(p), Name(p), p.SubjectKeyId),
			Describe(p),
		},
		Clients: []ClientVerdict{
			connects("java", "connects: it links the issuer by name and signature"),
			{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: unable to get local issuer certificate"},
			{Client: "openssl", Fails: true, Message: "Verification error: unable to get local issuer certificate (verify error:num=20)"},
			{Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"},
			{Client: "gnutls", Fails: true, Message: "Status: The certificate is NOT trusted. The certificate issuer is unknown."},
		},
		Fix: []Step{
			Say(fmt.Sprintf("Send the issuer certificate whose subject key identifier is %X (the one that issued %q; your CA's download page or the bundle it sent with the certificate), instead of this one.", child.AuthorityKeyId, Name(child))),
		},
	}
	// The leaf is the user's server.crt; an intermediate, the file named
	// after it (as chain-incomplete and chain-order name them).
	file := "server.crt"
	if child != tr.Path[0] {
		file = fileNames([]*x509.Certificate{child})[0]
		f.Fix = append(f.Fix, Say(fmt.Sprintf("The identifier %q names, with %q saved as %s:", Name(child), Name(child), file)))
	}
	f.Fix = append(f.Fix, Cmd("openssl", "openssl x509 -in "+file+" -noout -ext authorityKeyIdentifier"))
	if g := in.GoVerify(0); g != nil {
		if g.OK() {
			f.Clients = append(f.Clients, connects("go", "connects: crypto/x509 builds "+pathNames(g.Chains[0])))
		} else {
			f.Clients = append(f.Clients, ClientVerdict{Client: "go", Fails: true, Message: g.Message()})
		}
	}
	return []Finding{f}
}
