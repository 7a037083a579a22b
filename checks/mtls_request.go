package checks

// The checks on what the server asks of a client: a certificate it requires
// or only requests, the CAs it accepts, and the chain we must send.

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

func clientCertRequired(in *Input) []Finding {
	m := in.mtls()
	if m.req == nil || m.sent || len(m.chain) > 0 || !(refused(m.verdict) || m.verdict == verdictClosed) {
		return nil
	}
	a := m.primary
	f := Finding{
		Title:    "the server requires a client certificate (mutual TLS) and none was given",
		Detail:   "The server asked for a client certificate in its CertificateRequest, we had none to send, and it refused the connection. Nothing is wrong with the server's own certificate: the client must present a certificate from one of the CAs it names.",
		Evidence: append(caListEvidence(m.req), verdictEvidence(a, "without a client certificate")),
		Clients:  mtlsAlertClients(in, a),
	}
	if n := caNames(m.req); len(n) > 0 {
		f.Detail += " It accepts certificates issued by: " + strings.Join(n, "; ") + "."
	}
	if a.Purpose == probe.PurposeLegacy {
		p := in.Rec.Primary()
		f.Evidence = append([]string{fmt.Sprintf("the default handshake (%s) failed before any CertificateRequest (%s); a retry offering %s got one", versionRange(p.Offered), errText(p.Error), versionRange(a.Offered))}, f.Evidence...)
		if malformed, _ := malformedCAList(in); malformed {
			f.Detail += " The TLS 1.3 handshake hides this (see client-ca-list-empty: its CertificateRequest is malformed); the retry at " + a.Version + " shows the server refusing a client without a certificate."
			f.Clients = malformedCAListClients()
		}
	}
	if m.verdict == verdictHTTP400 {
		f.Detail = "The server asked for a client certificate and, when none came, completed the handshake but refused the request with HTTP 400: nginx with `ssl_verify_client on` does this (its page says \"No required SSL certificate was sent\")."
		f.Clients = []ClientVerdict{
			{Client: "curl", Fails: true, Message: "<head><title>400 No required SSL certificate was sent</title></head> (nginx's page; curl exits 0 unless --fail)"},
			{Client: "any", Fails: true, Message: "HTTP 400 Bad Request: the TLS handshake succeeds, the request is refused"},
		}
	}
	if m.verdict == verdictClosed {
		f.Severity = Warning
		f.Title = "the server asked for a client certificate and closed the connection when none came"
		f.Detail = "The server asked for a client certificate, we had none, and after the handshake it closed the connection without an alert or an answer. That is how some servers and load balancers refuse a missing certificate; it may also be a server that closes idle connections, so test with a certificate to be sure."
		f.Clients = nil
	}
	f.Fix = supplySteps(in)
	return []Finding{f}
}

func clientAuthOptional(in *Input) []Finding {
	m := in.mtls()
	if m.req == nil {
		return nil
	}
	var ev string
	switch {
	case len(m.chain) == 0 && !m.sent && admitted(m.verdict):
		ev = verdictEvidence(m.primary, "without a client certificate")
	case m.noCert != nil && admitted(m.noCertVerd):
		ev = verdictEvidence(m.noCert, "a second handshake without our client certificate")
	default:
		return nil
	}
	f := Finding{
		Title:    "the server requests a client certificate but does not require one",
		Detail:   "Client authentication is optional here (nginx `ssl_verify_client optional`, Spring `server.ssl.client-auth=want`, Go `VerifyClientCertIfGiven`): a client without a certificate gets in, so the application must check who the client is. If a certificate is meant to be mandatory, this is a hole.",
		Evidence: append(caListEvidence(m.req), ev),
		Fix: []Step{
			Say("If every client must authenticate, require it:"),
			Set("nginx", "ssl_verify_client on;"),
			Set("spring", "server.ssl.client-auth=need"),
			Set("apache", "SSLVerifyClient require"),
			Set("go", "tls.Config{ClientAuth: tls.RequireAndVerifyClientCert}"),
			Say("If optional is intended, make sure the application rejects requests that carry no verified certificate."),
		},
	}
	return []Finding{f}
}

func clientCertCANotAccepted(in *Input) []Finding {
	m := in.mtls()
	if m.req == nil || len(m.chain) == 0 || len(m.req.AcceptableCAs) == 0 || m.match != nil || !m.chainComplete() {
		return nil
	}
	root := m.rootName()
	rootID := root
	if rc := m.rootCert(); rc != nil {
		rootID = fmt.Sprintf("%s, SHA-256 %s", root, Fingerprint(rc))
	}
	f := Finding{
		Severity: Error,
		Title:    fmt.Sprintf("our client certificate chains to %q, which is not among the CAs the server accepts", root),
		Detail: fmt.Sprintf("The server named the CAs it accepts client certificates from (%s); no certificate of our chain was issued by any of them, up to our root %q. OpenSSL and curl send the certificate anyway and the server refuses it (usually unknown_ca); Java's key manager and Go's crypto/tls only offer a certificate whose chain matches a listed CA, so they send none at all.",
			strings.Join(caNames(m.req), "; "), root),
		Evidence: append(append(caListEvidence(m.req), m.chainEvidence()...), verdictEvidence(m.primary, "with our certificate")),
		Fix: append([]Step{
			Say("Client side: get a client certificate issued by one of the listed CAs (" + strings.Join(caNames(m.req), "; ") + "), then rebuild the keystore with its chain (openssl asks for an export password):"),
			rebuildKeystore(),
			Say("Or server side: add our CA (" + rootID + ") to the server's client-CA truststore (send its operator the CA's PEM, client-ca.pem, and its fingerprint):"),
		}, trustOnServerSteps("client-ca.pem")...),
	}
	if rc := m.rootCert(); rc != nil && !containsCert(m.chain, rc) {
		f.Evidence = append(f.Evidence, "our root (not sent: a server holds the roots it trusts): "+Describe(rc))
	}
	if admitted(m.verdict) {
		f.Severity = Warning
		f.Detail += " This server accepted our certificate anyway (it trusts more than it advertises), but Java and Go clients using the same certificate will not send it."
	}
	f.Clients = javaFiltersClients(m, in)
	return []Finding{f}
}

// javaFiltersClients describes a client whose certificate is not from a
// listed CA. Java's key manager and Go's crypto/tls (with
// tls.Config.Certificates) offer only a certificate whose chain matches
// the server's CA list, so they send none and get what our no-certificate
// handshake got; OpenSSL and curl send it and get the primary verdict.
func javaFiltersClients(m *mtls, in *Input) []ClientVerdict {
	var out []ClientVerdict
	switch {
	case m.noCert != nil && m.noCertVerd == verdictRejected:
		name := m.noCert.Error.Alert.Name
		out = append(out, ClientVerdict{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: Received fatal alert: " + name + " (Java sent no certificate: none in its keystore is from a listed CA)"})
		if t, ok := goAlertText[name]; ok {
			out = append(out, ClientVerdict{Client: "go", Fails: true, Message: "remote error: tls: " + t + " (Go sent no certificate: its chain matches no listed CA)"})
		}
	case m.noCert != nil && m.noCertVerd == verdictHTTP400:
		out = append(out,
			ClientVerdict{Client: "java", Fails: true, Message: "HTTP 400 \"No required SSL certificate was sent\" (Java sent no certificate: none in its keystore is from a listed CA)"},
			ClientVerdict{Client: "go", Fails: true, Message: "HTTP 400 \"No required SSL certificate was sent\" (Go sent no certificate: its chain matches no listed CA)"})
	case m.noCert != nil && admitted(m.noCertVerd):
		out = append(out,
			ClientVerdict{Client: "java", Fails: false, Message: "connects without a client certificate (none in its keystore is from a listed CA), then is treated as anonymous"},
			ClientVerdict{Client: "go", Fails: false, Message: "connects without a client certificate (its chain matches no listed CA), then is treated as anonymous"})
	}
	for _, v := range mtlsAlertClients(in, m.primary) {
		if v.Client != "java" && v.Client != "go" {
			out = append(out, v)
		}
	}
	if m.verdict == verdictHTTP400 {
		out = append(out, ClientVerdict{Client: "curl", Fails: true, Message: "<head><title>400 The SSL certificate error</title></head> (nginx's page; curl exits 0 unless --fail)"})
	}
	return out
}

// clientFiles are the certificate and key files the user gave (--cert,
// --key), for fixes that rebuild them; client.crt and client.key, names
// the fix suggests, when the identity came from a PKCS#12 or keystore.
func clientFiles(in *Input) (cert, key any) {
	cert, key = "client.crt", "client.key"
	if ci := in.Rec.ClientIdentity; ci != nil && ci.CertFile != "" {
		cert = fileArg(ci.CertFile)
		if ci.KeyFile != "" {
			key = fileArg(ci.KeyFile)
		}
	}
	return cert, key
}

func clientChainIncomplete(in *Input) []Finding {
	m := in.mtls()
	if len(m.chain) == 0 || m.chainComplete() || m.req == nil || m.match != nil {
		return nil
	}
	if len(m.req.AcceptableCAs) == 0 && !refused(m.verdict) {
		return nil
	}
	top := m.linked[len(m.linked)-1]
	cert, key := clientFiles(in)
	f := Finding{
		Severity: Error,
		Title:    fmt.Sprintf("we did not send the intermediate %q that our client certificate needs", top.Issuer.CommonName),
		Detail: fmt.Sprintf("The client identity holds %d certificate(s); %q was issued by %q, which is not in the file, so the server cannot build a path from our certificate to a CA it trusts. Servers usually hold only the root in their client truststore and expect the client to send the intermediate.",
			len(m.chain), top.Subject.String(), top.Issuer.String()),
		Evidence: append(append(caListEvidence(m.req), m.chainEvidence()...), "missing issuer: "+top.Issuer.String()+clientAIAHint(top), verdictEvidence(m.primary, "with our certificate")),
		Fix: []Step{
			Say("Put the intermediate(s) in the client identity, leaf first (intermediate.crt is the issuer named above):"),
			command("cat", "cat", cert, "intermediate.crt > client-chain.pem"),
			rerun(in, "--cert client-chain.pem --key", key),
			curlCmd(in, "--cert client-chain.pem --key", key),
			Say("A PKCS#12 keystore for Java (openssl asks for an export password), and JKS from it for Java 8 and older:"),
			command("openssl", "openssl pkcs12 -export -in", cert, "-inkey", key, "-certfile intermediate.crt -name client -out client.p12"),
			Cmd("keytool", "keytool -importkeystore -srckeystore client.p12 -srcstoretype PKCS12 -destkeystore client.jks -deststoretype JKS"),
			Say("Or, server side, add the intermediate to the client-CA file (nginx ssl_client_certificate, Spring Boot server.ssl.trust-store)."),
		},
	}
	if len(m.req.AcceptableCAs) > 0 {
		f.Detail += fmt.Sprintf(" The server accepts %s; if %q is issued by one of them, sending it fixes this; if not, our CA is not accepted at all.", strings.Join(caNames(m.req), "; "), top.Issuer.String())
	}
	if admitted(m.verdict) {
		f.Severity = Warning
		f.Detail += " This server accepted the certificate anyway: it holds the intermediate itself, or it does not enforce client-certificate verification (the handshake cannot tell which); servers that hold only the root and verify, and Java clients that pick a certificate by issuer, will not."
	}
	f.Clients = mtlsAlertClients(in, m.primary)
	return []Finding{f}
}

// clientAIAHint says where the missing issuer of our client certificate can
// be downloaded from, when the certificate names an AIA caIssuers URL.
func clientAIAHint(c *x509.Certificate) string {
	if len(c.IssuingCertificateURL) == 0 {
		return ""
	}
	return " (download it from its AIA caIssuers URL: " + strings.Join(c.IssuingCertificateURL, ", ") + ")"
}
