package checks

// client-ca-list-empty: a CertificateRequest that names no CA, or a TLS 1.3
// one with a malformed empty certificate_authorities extension.

import (
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// malformedCAList recognises a TLS 1.3 CertificateRequest our TLS stack
// could not decode: the primary attempt (offering TLS 1.3) failed with a
// decode_error alert that we sent, before any server certificate (in TLS
// 1.3 only EncryptedExtensions and CertificateRequest precede it). It
// returns the legacy retry (nil when none was made).
func malformedCAList(in *Input) (bool, *probe.Attempt) {
	a := in.Rec.Primary()
	if a == nil || a.Error == nil || a.Error.Stage != probe.StageHandshake || a.Error.Alert == nil ||
		a.Error.Alert.Direction != "sent" || a.Error.Alert.Name != "decode_error" || len(a.Certificates) > 0 ||
		a.Offered.MaxVersion != "TLS 1.3" {
		return false, nil
	}
	return true, in.Rec.Attempt(probe.PurposeLegacy)
}

func clientCAListEmpty(in *Input) []Finding {
	if ok, l := malformedCAList(in); ok {
		f := Finding{
			Severity: Error,
			Title:    "the server's TLS 1.3 CertificateRequest is malformed: most likely an empty certificate_authorities extension",
			Detail: "Offering TLS 1.3, our TLS stack (Go crypto/tls) aborted with decode_error on the server's encrypted handshake, before the server's certificate; in TLS 1.3 only EncryptedExtensions and the CertificateRequest come before it. " +
				"The known cause is a CertificateRequest whose certificate_authorities extension is present but empty, which RFC 8446 forbids (it must name at least one CA): OpenSSL 3.0 servers send it with `-no_ca_names` (SSL_OP_DISABLE_TLSEXT_CA_NAMES; `openssl s_client -trace` shows `certificate_authorities(47), length=2`), and other stacks may when their client-CA list is empty. " +
				"Go and Java clients abort on it (Java 17: `Invalid certificate_authorities extension: insufficient data`); OpenSSL and curl tolerate it and go on.",
			Evidence: []string{fmt.Sprintf("TLS 1.3 attempt: we sent alert decode_error (%s) before receiving any server certificate", errText(in.Rec.Primary().Error))},
			Fix: []Step{
				Say("Server side: name the client CAs instead of an empty list. OpenSSL-based servers: drop -no_ca_names (SSL_OP_DISABLE_TLSEXT_CA_NAMES) and load the CA list; Java servers: put the client CA in the server's truststore."),
				Set("nginx", "ssl_client_certificate /etc/nginx/ca.pem;"),
				Set("spring", "server.ssl.trust-store=file:client-truststore.p12"),
			},
			Clients: []ClientVerdict{
				{Client: "java", Fails: true, Message: "javax.net.ssl.SSLProtocolException: Invalid certificate_authorities extension: insufficient data"},
				{Client: "go", Fails: true, Message: "local error: tls: error decoding message"},
				{Client: "openssl", Fails: false, Message: "accepts the empty extension and goes on"},
				{Client: "curl", Fails: false, Message: "accepts the empty extension and goes on"},
			},
		}
		switch {
		case l != nil && l.CertificateRequest != nil:
			names := "naming no CA"
			if n := caNames(l.CertificateRequest); len(n) > 0 {
				names = "naming " + strings.Join(n, "; ")
			}
			f.Evidence = append(f.Evidence, "TLS 1.2 retry: the server sent a CertificateRequest "+names+"; "+verdictEvidence(l, "its verdict"))
			f.Detail += " A TLS 1.2 retry confirms that the server requests client certificates (" + names + ")."
			f.Fix = append(f.Fix,
				Say("Client side stop-gap: cap the failing Go or Java client at TLS 1.2, where an empty CA list is legal and this server works:"),
				Set("java", "-Djdk.tls.client.protocols=TLSv1.2"),
				Set("go", "tls.Config{MaxVersion: tls.VersionTLS12}"))
		case l != nil && l.Error != nil:
			f.Evidence = append(f.Evidence, "TLS 1.2 retry failed: "+errText(l.Error))
			f.Detail += " The server speaks only TLS 1.3 (a TLS 1.2 retry failed), so this could not be confirmed at TLS 1.2; `openssl s_client -connect " + target(in) + " -tls1_3 -trace` shows the CertificateRequest."
			f.Fix = append(f.Fix, Say("The server speaks only TLS 1.3, so Go and Java clients have no workaround: the fix is on the server."))
		default:
			f.Detail += " `openssl s_client -connect " + target(in) + " -tls1_3 -trace` shows the CertificateRequest and its extensions."
		}
		return []Finding{f}
	}
	m := in.mtls()
	if m.req == nil || len(m.req.AcceptableCAs) > 0 {
		return nil
	}
	f := Finding{
		Severity: Info,
		Title:    "the server requests a client certificate but names no acceptable CA",
		Detail:   "The CertificateRequest lists no certificate authorities, so clients cannot choose a certificate by issuer: browsers offer every certificate they have, Java's key manager picks the first key entry of the right type, OpenSSL and curl send what they were given. Clients with several identities may send the wrong one.",
		Evidence: []string{verdictEvidence(m.reqAttempt, "the CertificateRequest ("+m.reqAttempt.Version+")") + ": no CA names"},
		Fix: []Step{
			Say("Server side, advertise the client CAs: nginx ssl_client_certificate (ssl_trusted_certificate alone is not advertised); Spring Boot server.ssl.trust-store holding the client CA; OpenSSL s_server without -no_ca_names."),
			Set("nginx", "ssl_client_certificate /etc/nginx/ca.pem;"),
			Set("spring", "server.ssl.trust-store=file:client-truststore.p12"),
		},
	}
	if len(m.chain) > 0 && refused(m.verdict) {
		f.Severity = Warning
	}
	return []Finding{f}
}
