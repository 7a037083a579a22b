package checks

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// The mutual-TLS checks judge the server's CertificateRequest, the client
// chain we offered (Record.ClientIdentity) and the server's verdict on it,
// from the primary attempt and the extra "no-client-cert" attempt.

// clientCertAlerts are the alerts a server sends about a client
// certificate (or its absence).
var clientCertAlerts = map[string]bool{
	"handshake_failure": true, "bad_certificate": true, "unsupported_certificate": true,
	"certificate_revoked": true, "certificate_expired": true, "certificate_unknown": true,
	"unknown_ca": true, "access_denied": true, "decrypt_error": true, "certificate_required": true,
	"no_certificate": true,
}

// Client-certificate verdicts of one attempt.
const (
	verdictAccepted = "accepted"  // the handshake finished and the server did not object
	verdictQuiet    = "quiet"     // finished; the server sent nothing and did not object in time
	verdictRejected = "rejected"  // a client-certificate alert
	verdictHTTP400  = "http-400"  // finished, but the HTTP request got 400 (nginx's ssl_verify_client)
	verdictClosed   = "closed"    // finished, then the server closed without an alert or an answer
	verdictUnknown  = "unknown"   // failed for another reason
	verdictNotAsked = "not-asked" // no CertificateRequest
)

func clientVerdict(a *probe.Attempt) string {
	if a == nil || a.CertificateRequest == nil {
		return verdictNotAsked
	}
	if e := a.Error; e != nil {
		if e.Kind == probe.KindAlert && e.Alert != nil && e.Alert.Direction == "received" && clientCertAlerts[e.Alert.Name] {
			return verdictRejected
		}
		return verdictUnknown
	}
	if ph := a.PostHandshake; ph != nil {
		switch {
		case strings.HasPrefix(ph.HTTPStatus, "HTTP/") && strings.Contains(ph.HTTPStatus, " 400"):
			return verdictHTTP400
		case ph.Verdict == "no-answer":
			return verdictQuiet
		case ph.Verdict == "closed":
			return verdictClosed
		}
	}
	return verdictAccepted
}

func refused(v string) bool  { return v == verdictRejected || v == verdictHTTP400 }
func admitted(v string) bool { return v == verdictAccepted || v == verdictQuiet }

// mtls is what the mTLS checks share, computed once per Input.
type mtls struct {
	primary *probe.Attempt
	// req is the CertificateRequest of the primary attempt, or of the
	// legacy retry when the primary attempt did not get that far.
	req        *probe.CertificateRequest
	reqAttempt *probe.Attempt
	// chain is the client chain we offered, parsed; nil without one.
	chain      []*x509.Certificate
	chainErrs  []string
	sent       bool
	verdict    string
	noCert     *probe.Attempt
	noCertVerd string
	// match is the listed CA our chain reaches, nil when none does.
	match *probe.DistinguishedName
	// linked is our chain followed by issuer links from the leaf.
	linked []*x509.Certificate
}

func (in *Input) mtls() *mtls {
	if in.mtlsCache != nil {
		return in.mtlsCache
	}
	m := &mtls{primary: in.Rec.Primary()}
	in.mtlsCache = m
	if ci := in.Rec.ClientIdentity; ci != nil {
		for i, c := range ci.Certificates {
			cert, err := x509.ParseCertificate(c.DER)
			if err != nil {
				m.chainErrs = append(m.chainErrs, fmt.Sprintf("client certificate #%d: %v", i, err))
				continue
			}
			m.chain = append(m.chain, cert)
		}
	}
	if len(m.chain) > 0 {
		m.linked = linkChain(m.chain)
	}
	if m.primary == nil {
		return m
	}
	m.req, m.reqAttempt = m.primary.CertificateRequest, m.primary
	if m.req == nil {
		if l := in.Rec.Attempt(probe.PurposeLegacy); l != nil && l.CertificateRequest != nil {
			m.req, m.reqAttempt = l.CertificateRequest, l
		}
	}
	m.sent = m.primary.ClientCertificateSent
	m.verdict = clientVerdict(m.primary)
	m.noCert = in.Rec.Attempt(probe.PurposeNoClientCert)
	m.noCertVerd = clientVerdict(m.noCert)
	if m.req != nil && len(m.chain) > 0 {
		m.match = matchCA(m.linked, m.req.AcceptableCAs)
	}
	return m
}

// matchCA returns the first CA name the server listed that our chain
// (linked from the leaf by issuer) reaches: a certificate of it was issued
// by that CA, or is it.
func matchCA(chain []*x509.Certificate, cas []probe.DistinguishedName) *probe.DistinguishedName {
	for i := range cas {
		for j, c := range chain {
			if sameName(c.RawIssuer, cas[i].DER) || (j > 0 && sameName(c.RawSubject, cas[i].DER)) {
				return &cas[i]
			}
		}
	}
	return nil
}

// sameName compares two DER names: byte-equal, or equal once decoded (the
// same name in PrintableString and UTF8String).
func sameName(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var ra, rb pkix.RDNSequence
	if _, err := asn1.Unmarshal(a, &ra); err != nil {
		return false
	}
	if _, err := asn1.Unmarshal(b, &rb); err != nil {
		return false
	}
	var na, nb pkix.Name
	na.FillFromRDNSequence(&ra)
	nb.FillFromRDNSequence(&rb)
	return na.String() == nb.String()
}

// chainComplete is false when we sent only the leaf and it is not
// self-signed: its issuer, an intermediate (CAs issue leaves from
// intermediates), is missing. A chain that reaches a CA certificate is
// complete: the root is the server's to hold.
func (m *mtls) chainComplete() bool {
	return len(m.linked) > 1 || (len(m.linked) == 1 && isSelfSigned(m.linked[0]))
}

// rootName names the root our chain leads to: the top certificate when it
// is self-signed, else its issuer.
func (m *mtls) rootName() string {
	top := m.linked[len(m.linked)-1]
	if isSelfSigned(top) {
		return top.Subject.String()
	}
	return top.Issuer.String()
}

// mtlsExplainsFailure reports whether an mTLS check explains the primary
// attempt's failure, so that handshake-failed does not repeat it.
func mtlsExplainsFailure(in *Input) bool {
	m := in.mtls()
	malformed, _ := malformedCAList(in)
	return m.verdict == verdictRejected || malformed
}

func caNames(req *probe.CertificateRequest) []string {
	var out []string
	for _, dn := range req.AcceptableCAs {
		out = append(out, dn.Text)
	}
	return out
}

func caListEvidence(req *probe.CertificateRequest) []string {
	if len(req.AcceptableCAs) == 0 {
		return []string{"the server's CertificateRequest names no CA (any issuer may be tried)"}
	}
	var out []string
	for _, dn := range req.AcceptableCAs {
		out = append(out, "server accepts client certificates issued by: "+dn.Text)
	}
	if len(req.SignatureSchemes) > 0 {
		out = append(out, "signature schemes it verifies: "+schemeNames.Replace(strings.Join(req.SignatureSchemes, ", ")))
	}
	return out
}

// schemeNames gives the IANA names of the signature schemes crypto/tls
// prints as numbers.
var schemeNames = strings.NewReplacer(
	"SignatureScheme(2056)", "ed448", "SignatureScheme(2057)", "rsa_pss_pss_sha256",
	"SignatureScheme(2058)", "rsa_pss_pss_sha384", "SignatureScheme(2059)", "rsa_pss_pss_sha512",
	"SignatureScheme(771)", "ecdsa_sha224", "SignatureScheme(769)", "rsa_pkcs1_sha224",
	"SignatureScheme(770)", "dsa_sha224", "SignatureScheme(1026)", "dsa_sha256",
	"SignatureScheme(1282)", "dsa_sha384", "SignatureScheme(1538)", "dsa_sha512",
)

func verdictEvidence(a *probe.Attempt, label string) string {
	switch v := clientVerdict(a); v {
	case verdictRejected:
		when := "during the handshake"
		if a.Error.Stage == probe.StagePostHandshake {
			when = "right after the handshake (TLS 1.3: the server judges the client certificate after its Finished)"
		}
		return fmt.Sprintf("%s: the server sent alert %s (%d) %s", label, a.Error.Alert.Name, a.Error.Alert.Code, when)
	case verdictHTTP400:
		return fmt.Sprintf("%s: the handshake finished but the server answered our HTTP request with %q (nginx answers 400 when ssl_verify_client refuses the certificate or its absence)", label, a.PostHandshake.HTTPStatus)
	case verdictAccepted:
		if a.PostHandshake != nil && a.PostHandshake.HTTPStatus != "" {
			return fmt.Sprintf("%s: accepted (%s, HTTP %q)", label, a.Version, a.PostHandshake.HTTPStatus)
		}
		return fmt.Sprintf("%s: accepted (%s handshake completed)", label, a.Version)
	case verdictQuiet:
		return fmt.Sprintf("%s: the %s handshake completed and the server did not object within %.0f ms", label, a.Version, a.Timings.PostHandshakeMS)
	case verdictClosed:
		return label + ": the handshake completed, then the server closed the connection without an alert or an answer (servers that refuse a client certificate silently do this)"
	case verdictUnknown:
		if a.Error != nil {
			return fmt.Sprintf("%s: failed (%s)", label, a.Error.Message)
		}
		return label + ": the server closed the connection after the handshake without an alert"
	}
	return label + ": no client certificate was requested"
}

func describeClient(i int, c *x509.Certificate) string {
	return fmt.Sprintf("we sent #%d (%s): subject %q, issuer %q, valid %s to %s, SHA-256 %s", i, Role(i, c), c.Subject.String(), c.Issuer.String(),
		c.NotBefore.UTC().Format("2006-01-02"), c.NotAfter.UTC().Format("2006-01-02"), Fingerprint(c))
}

func (m *mtls) chainEvidence() []string {
	var out []string
	for i, c := range m.chain {
		out = append(out, describeClient(i, c))
	}
	return append(out, m.chainErrs...)
}

func target(in *Input) string {
	return hostPort(in.Rec.Target.ConnectHost, in.Rec.Target.ConnectPort)
}

func curlURL(in *Input) string {
	t := in.Rec.Target
	host := t.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return "https://" + host + ":" + strconv.Itoa(t.Port) + "/"
}

// supplyRemediation is how to present a client certificate, in every
// client our users have.
func supplyRemediation(in *Input) string {
	t := in.Rec.Target.Input
	return "Give the client its certificate and key (with the intermediate):\n" +
		"  tlsdoctor " + t + " --cert client.crt --key client.key            (PEM; --key-password-file for an encrypted key)\n" +
		"  tlsdoctor " + t + " --cert client.p12 --cert-password-file pw.txt\n" +
		"  tlsdoctor " + t + " --keystore client.jks --keystore-password-file pw.txt [--alias NAME]\n" +
		"  curl --cert client.crt --key client.key --cacert ca.pem " + curlURL(in) + "\n" +
		"Build the keystore Java needs, chain included:\n" +
		"  openssl pkcs12 -export -in client.crt -inkey client.key -certfile ca-chain.pem -out client.p12\n" +
		"  keytool -importkeystore -srckeystore client.p12 -srcstoretype PKCS12 -destkeystore client.jks -deststoretype JKS\n" +
		"  Java:   -Djavax.net.ssl.keyStore=client.p12 -Djavax.net.ssl.keyStoreType=PKCS12 -Djavax.net.ssl.keyStorePassword=...\n" +
		"  Spring: spring.ssl.bundle.jks.partner.keystore.location=classpath:client.p12, .keystore.type=PKCS12, .keystore.password=...\n" +
		"  MuleSoft: HTTP Request configuration > TLS > Key Store: type pkcs12, path client.p12, password and keyPassword"
}

// trustOnServerRemediation is how the server side adds a client CA.
func trustOnServerRemediation(caFile string) string {
	return "  nginx:  ssl_verify_client on; ssl_client_certificate /etc/nginx/" + caFile + "; ssl_verify_depth 3;\n" +
		"  Spring: keytool -importcert -trustcacerts -alias client-ca -file " + caFile + " -keystore client-truststore.p12 -storetype PKCS12\n" +
		"          server.ssl.client-auth=need, server.ssl.trust-store=classpath:client-truststore.p12, server.ssl.trust-store-password=...\n" +
		"  Apache: SSLVerifyClient require; SSLCACertificateFile " + caFile + "; SSLVerifyDepth 3\n" +
		"  MuleSoft listener: TLS context > Trust Store with " + caFile + " (and Key Store for the server's own certificate)"
}

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
		Clients:  alertClients(a),
	}
	if n := caNames(m.req); len(n) > 0 {
		f.Detail += " It accepts certificates issued by: " + strings.Join(n, "; ") + "."
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
	f.Remediation = supplyRemediation(in)
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
		Remediation: "If every client must authenticate, require it:\n" +
			"  nginx:  ssl_verify_client on;\n" +
			"  Spring: server.ssl.client-auth=need\n" +
			"  Apache: SSLVerifyClient require\n" +
			"  Go:     tls.Config{ClientAuth: tls.RequireAndVerifyClientCert}\n" +
			"If optional is intended, make sure the application rejects requests that carry no verified certificate.",
	}
	return []Finding{f}
}

func clientCertCANotAccepted(in *Input) []Finding {
	m := in.mtls()
	if m.req == nil || len(m.chain) == 0 || len(m.req.AcceptableCAs) == 0 || m.match != nil || !m.chainComplete() {
		return nil
	}
	root := m.rootName()
	f := Finding{
		Severity: Error,
		Title:    fmt.Sprintf("our client certificate chains to %q, which is not among the CAs the server accepts", root),
		Detail: fmt.Sprintf("The server named the CAs it accepts client certificates from (%s); no certificate of our chain was issued by any of them, up to our root %q. OpenSSL and curl send the certificate anyway and the server refuses it (usually unknown_ca); Java's key manager and Go's crypto/tls only offer a certificate whose chain matches a listed CA, so they send none at all.",
			strings.Join(caNames(m.req), "; "), root),
		Evidence: append(append(caListEvidence(m.req), m.chainEvidence()...), verdictEvidence(m.primary, "with our certificate")),
		Remediation: "Two ways out:\n" +
			"1. Client side: get a client certificate issued by one of the listed CAs (" + strings.Join(caNames(m.req), "; ") + "), then rebuild the keystore with its chain:\n" +
			"  openssl pkcs12 -export -in client.crt -inkey client.key -certfile ca-chain.pem -out client.p12\n" +
			"2. Server side: add our CA (" + root + ") to the server's client-CA truststore (send them its PEM and fingerprint):\n" +
			trustOnServerRemediation("client-ca.pem"),
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
func javaFiltersClients(m *mtls, _ *Input) []ClientVerdict {
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
	for _, v := range alertClients(m.primary) {
		if v.Client != "java" && v.Client != "go" {
			out = append(out, v)
		}
	}
	if m.verdict == verdictHTTP400 {
		out = append(out, ClientVerdict{Client: "curl", Fails: true, Message: "<head><title>400 The SSL certificate error</title></head> (nginx's page; curl exits 0 unless --fail)"})
	}
	return out
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
	f := Finding{
		Severity: Error,
		Title:    fmt.Sprintf("we did not send the intermediate %q that our client certificate needs", top.Issuer.CommonName),
		Detail: fmt.Sprintf("The client identity holds %d certificate(s); %q was issued by %q, which is not in the file, so the server cannot build a path from our certificate to a CA it trusts. Servers usually hold only the root in their client truststore and expect the client to send the intermediate.",
			len(m.chain), top.Subject.String(), top.Issuer.String()),
		Evidence: append(append(caListEvidence(m.req), m.chainEvidence()...), "missing issuer: "+top.Issuer.String()+clientAIAHint(top), verdictEvidence(m.primary, "with our certificate")),
		Remediation: "Put the intermediate(s) in the client identity, leaf first:\n" +
			"  PEM:    cat client.crt intermediate.crt > client-chain.pem; then --cert client-chain.pem --key client.key (curl --cert client-chain.pem)\n" +
			"  PKCS12: openssl pkcs12 -export -in client.crt -inkey client.key -certfile intermediate.crt -out client.p12\n" +
			"  JKS:    keytool -importkeystore -srckeystore client.p12 -srcstoretype PKCS12 -destkeystore client.jks\n" +
			"Or, server side, add the intermediate to the client-CA file (nginx `ssl_client_certificate`, Spring `server.ssl.trust-store`).",
	}
	if len(m.req.AcceptableCAs) > 0 {
		f.Detail += fmt.Sprintf(" The server accepts %s; if %q is issued by one of them, sending it fixes this; if not, our CA is not accepted at all.", strings.Join(caNames(m.req), "; "), top.Issuer.String())
	}
	if admitted(m.verdict) {
		f.Severity = Warning
		f.Detail += " This server accepted the certificate anyway (it holds the intermediate itself); servers that hold only the root, and Java clients that pick a certificate by issuer, will not."
	}
	f.Clients = alertClients(m.primary)
	return []Finding{f}
}

// cause is one possible reason for a rejection, with its weight.
type cause struct {
	score    int
	text     string
	evidence []string
}

func clientCertRejected(in *Input) []Finding {
	m := in.mtls()
	if !m.sent || !(refused(m.verdict) || m.verdict == verdictClosed) {
		return nil
	}
	a := m.primary
	alert := m.verdict // http-400 or closed
	if m.verdict == verdictRejected {
		alert = a.Error.Alert.Name
	}
	causes := rejectionCauses(in, m, alert)
	sort.SliceStable(causes, func(i, j int) bool { return causes[i].score > causes[j].score })
	f := Finding{
		Title:    "the server rejected the client certificate we sent",
		Evidence: append(m.chainEvidence(), verdictEvidence(a, "with our certificate")),
		Clients:  alertClients(a),
	}
	switch m.verdict {
	case verdictRejected:
		f.Title = fmt.Sprintf("the server rejected our client certificate with alert %s (%d)", alert, a.Error.Alert.Code)
		if mean, ok := alertMeanings[alert]; ok {
			f.Detail = "The alert means " + mean + "."
		}
	case verdictClosed:
		f.Severity = Warning
		f.Title = "the server closed the connection after receiving our client certificate, without an alert"
		f.Detail = "The handshake completed and the server then closed the connection without an alert or an answer: some servers and load balancers refuse a client certificate silently; it may also be a server that closes idle connections."
		f.Clients = nil
		if m.noCert != nil && m.noCertVerd == verdictClosed {
			f.Detail += " It closed a handshake without a certificate the same way: either it wants a valid certificate and refuses silently, or it closes every connection and this is not about certificates."
		}
	default:
		f.Detail = "The handshake completed but the server answered HTTP 400, which is how nginx reports a client certificate that `ssl_verify_client on` refused (\"The SSL certificate error\"; its error log says why: `client SSL certificate verify error`)."
		f.Clients = []ClientVerdict{
			{Client: "curl", Fails: true, Message: "<head><title>400 The SSL certificate error</title></head> (nginx's page; curl exits 0 unless --fail)"},
			{Client: "any", Fails: true, Message: "HTTP 400 Bad Request: the TLS handshake succeeds, the request is refused"},
		}
	}
	if m.req != nil {
		f.Evidence = append(f.Evidence, caListEvidence(m.req)...)
	}
	if m.noCert != nil {
		f.Evidence = append(f.Evidence, verdictEvidence(m.noCert, "a second handshake without a certificate"))
		if admitted(m.noCertVerd) {
			f.Detail += " Without a certificate the server lets us in: client authentication is optional, but a certificate that is sent must be valid."
		}
	}
	var lines []string
	for i, c := range causes {
		lines = append(lines, fmt.Sprintf("%d. %s", i+1, c.text))
		f.Evidence = append(f.Evidence, c.evidence...)
	}
	f.Detail += " Likely causes, most likely first:\n" + strings.Join(lines, "\n")
	f.Remediation = rejectionRemediation(in, m, causes)
	return []Finding{f}
}

func rejectionCauses(in *Input, m *mtls, alert string) []cause {
	var out []cause
	now := in.Env.Now
	leaf := m.chain[0]
	strong := func(names ...string) bool {
		for _, n := range names {
			if alert == n {
				return true
			}
		}
		return false
	}
	generic := strong("bad_certificate", "certificate_unknown", "handshake_failure", "http-400", "certificate_required", "closed")
	for i, c := range m.chain {
		if now.After(c.NotAfter) {
			s := 40
			if strong("certificate_expired") {
				s = 100
			} else if generic {
				s = 70
			}
			days := int(math.Floor(now.Sub(c.NotAfter).Hours() / 24))
			out = append(out, cause{s, fmt.Sprintf("our %s certificate %q expired %s (%s): renew it.", Role(i, c), Name(c), ago(days), c.NotAfter.UTC().Format(time.RFC3339)),
				[]string{fmt.Sprintf("our %s %q: not after %s, now %s", Role(i, c), Name(c), c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}})
		}
		if now.Before(c.NotBefore) {
			s := 40
			if strong("certificate_expired") {
				s = 95
			} else if generic {
				s = 70
			}
			out = append(out, cause{s, fmt.Sprintf("our %s certificate %q is not valid until %s (or a clock is wrong).", Role(i, c), Name(c), c.NotBefore.UTC().Format(time.RFC3339)),
				[]string{fmt.Sprintf("our %s %q: not before %s, now %s", Role(i, c), Name(c), c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}})
		}
	}
	if m.req != nil && len(m.req.AcceptableCAs) > 0 && m.match == nil {
		s := 60
		if strong("unknown_ca") {
			s = 100
		} else if generic {
			s = 80
		}
		if m.chainComplete() {
			out = append(out, cause{s, fmt.Sprintf("our chain ends at %q, which is not among the CAs the server accepts (%s): get a certificate from one of them, or have the server trust ours.", m.rootName(), strings.Join(caNames(m.req), "; ")),
				[]string{"none of the server's acceptable CAs issued any certificate we sent"}})
		} else {
			top := m.linked[len(m.linked)-1]
			out = append(out, cause{s - 5, fmt.Sprintf("we sent no intermediate: %q's issuer %q is not in our file and not a CA the server names; send the intermediate with the leaf.", Name(top), top.Issuer.String()),
				[]string{"missing issuer of our chain: " + top.Issuer.String()}})
		}
	} else if !m.chainComplete() && strong("unknown_ca", "bad_certificate", "certificate_unknown", "http-400") {
		top := m.linked[len(m.linked)-1]
		out = append(out, cause{65, fmt.Sprintf("we sent only part of our chain: %q's issuer %q is missing; servers that trust only the root need it.", Name(top), top.Issuer.String()),
			[]string{"missing issuer of our chain: " + top.Issuer.String()}})
	}
	if !hasClientAuthEKU(leaf) {
		s := 40
		if strong("bad_certificate", "unsupported_certificate", "certificate_unknown", "http-400") {
			s = 85
		}
		out = append(out, cause{s, "our certificate's extended key usage does not allow TLS client authentication (" + ekuNames(leaf) + "): reissue it with clientAuth.",
			[]string{"our leaf's extended key usage: " + ekuNames(leaf)}})
	}
	if w := clientKeyWeakness(leaf); w != "" {
		s := 30
		if strong("insufficient_security", "handshake_failure", "bad_certificate", "http-400") {
			s = 55
		}
		out = append(out, cause{s, "our key is weak (" + w + "): servers at OpenSSL security level 2 refuse it; reissue with RSA 2048+ or ECDSA P-256.", []string{"our leaf key: " + w}})
	}
	switch alert {
	case "certificate_revoked":
		out = append(out, cause{100, "the server's revocation data (CRL or OCSP) says our certificate is revoked; tlsdoctor cannot see the server's CRL: ask its operator, and get a new certificate.", nil})
	case "access_denied":
		out = append(out, cause{100, fmt.Sprintf("the chain was accepted but this identity (%q) is not authorized: the server checks an allow-list of subjects or a mapping to users; ask its operator to allow it.", leaf.Subject.String()), nil})
	case "decrypt_error":
		out = append(out, cause{90, "the server could not verify our CertificateVerify signature. Our key matches our certificate (tlsdoctor checked on loading), so suspect a signature-algorithm mismatch (" + strings.Join(schemes(m), ", ") + ") or a TLS-intercepting proxy.", nil})
	case "certificate_required":
		out = append(out, cause{75, "the server says it got no certificate although we sent one: a TLS-terminating proxy or load balancer in front of it may not forward client certificates.", nil})
	}
	if len(out) == 0 {
		out = append(out, cause{10, "nothing tlsdoctor can see on our side: our certificate is valid, has clientAuth and comes from a CA the server names. The server's own policy (truststore content, verify depth, revocation, allow-list) refused it; its error log says which (nginx: `client SSL certificate verify error`).", nil})
	}
	return out
}

func schemes(m *mtls) []string {
	if m.req == nil || len(m.req.SignatureSchemes) == 0 {
		return []string{"the server listed none"}
	}
	return m.req.SignatureSchemes
}

func rejectionRemediation(in *Input, m *mtls, causes []cause) string {
	leafName := Name(m.chain[0])
	s := "Check what you send: `openssl x509 -in client.crt -noout -subject -issuer -dates -ext extendedKeyUsage`, and test by hand: `curl -v --cert client.crt --key client.key --cacert ca.pem " + curlURL(in) + "`.\n"
	top := causes[0].text
	switch {
	case strings.Contains(top, "expired"), strings.Contains(top, "not valid until"):
		s += "Renew the client certificate " + strconv.Quote(leafName) + " with its CA and rebuild the keystore:\n" +
			"  openssl pkcs12 -export -in client.crt -inkey client.key -certfile ca-chain.pem -out client.p12\n"
	case strings.Contains(top, "not among the CAs"):
		s += "Get a certificate from one of the CAs the server lists, or have the server trust ours:\n" + trustOnServerRemediation("client-ca.pem") + "\n"
	case strings.Contains(top, "intermediate"), strings.Contains(top, "part of our chain"):
		s += "Send the intermediate with the leaf: `cat client.crt intermediate.crt > client-chain.pem`, or `openssl pkcs12 -export -in client.crt -inkey client.key -certfile intermediate.crt -out client.p12`.\n"
	case strings.Contains(top, "extended key usage"):
		s += "Reissue the certificate with `extendedKeyUsage = clientAuth` in the CSR/extension config.\n"
	}
	s += "Server side, the settings that decide: nginx `ssl_verify_client on; ssl_client_certificate ca.pem; ssl_verify_depth 3;` (error log: `client SSL certificate verify error`), Spring `server.ssl.client-auth=need` with `server.ssl.trust-store`, MuleSoft listener TLS context trust store."
	return s
}

func hasClientAuthEKU(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true // no EKU extension: any use
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageClientAuth || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

var ekuLabels = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny: "any", x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth",
	x509.ExtKeyUsageCodeSigning: "codeSigning", x509.ExtKeyUsageEmailProtection: "emailProtection",
	x509.ExtKeyUsageTimeStamping: "timeStamping", x509.ExtKeyUsageOCSPSigning: "OCSPSigning",
}

func ekuNames(c *x509.Certificate) string {
	var out []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := ekuLabels[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("EKU(%d)", int(u)))
		}
	}
	for _, o := range c.UnknownExtKeyUsage {
		out = append(out, o.String())
	}
	if len(out) == 0 {
		return "no extendedKeyUsage extension"
	}
	return strings.Join(out, ", ")
}

// clientKeyWeakness says what is weak about a client certificate (its key
// or its signature), or "".
func clientKeyWeakness(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Sprintf("RSA %d bits", n)
		}
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < 256 {
			return fmt.Sprintf("ECDSA %d bits", n)
		}
	}
	switch c.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
		return "signed with " + c.SignatureAlgorithm.String()
	}
	return ""
}

func clientCertExpired(in *Input) []Finding {
	m := in.mtls()
	var out []Finding
	now := in.Env.Now
	for i, c := range m.chain {
		if !now.After(c.NotAfter) {
			continue
		}
		days := int(math.Floor(now.Sub(c.NotAfter).Hours() / 24))
		f := Finding{
			Title:    fmt.Sprintf("our client %s certificate %q expired %s", Role(i, c), Name(c), ago(days)),
			Detail:   fmt.Sprintf("It was valid until %s. Servers refuse an expired client certificate (alert certificate_expired).", c.NotAfter.UTC().Format(time.RFC3339)),
			Evidence: []string{describeClient(i, c), fmt.Sprintf("not after %s, now %s", c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))},
			Remediation: "Renew it with the CA that issued it (" + c.Issuer.String() + "), then rebuild the client keystore:\n" +
				"  openssl pkcs12 -export -in client.crt -inkey client.key -certfile ca-chain.pem -out client.p12\n" +
				"  keytool -importkeystore -srckeystore client.p12 -srcstoretype PKCS12 -destkeystore client.jks",
		}
		if m.req == nil {
			f.Severity = Warning
			f.Detail += " This server did not ask for a client certificate, so it did not matter here."
		}
		out = append(out, f)
	}
	return out
}

func clientCertNotYetValid(in *Input) []Finding {
	m := in.mtls()
	var out []Finding
	now := in.Env.Now
	for i, c := range m.chain {
		if !now.Before(c.NotBefore) {
			continue
		}
		wait := c.NotBefore.Sub(now)
		f := Finding{
			Title:       fmt.Sprintf("our client %s certificate %q is not valid until %s (in %s)", Role(i, c), Name(c), c.NotBefore.UTC().Format(time.RFC3339), human(wait)),
			Detail:      "Servers refuse a client certificate before its notBefore date.",
			Evidence:    []string{describeClient(i, c), fmt.Sprintf("not before %s, now %s", c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))},
			Remediation: "Use it only once it is valid, or have it reissued with a current notBefore.",
		}
		if wait < 24*time.Hour {
			f.Detail += " It becomes valid in less than a day: a wrong clock is the likely cause."
			f.Remediation = "Check the clocks here and on the server: `timedatectl status`, `date -u`. " + f.Remediation
		}
		if m.req == nil {
			f.Severity = Warning
		}
		out = append(out, f)
	}
	return out
}

func clientEKUMissing(in *Input) []Finding {
	m := in.mtls()
	if len(m.chain) == 0 {
		return nil
	}
	leaf := m.chain[0]
	var problems []string
	if !hasClientAuthEKU(leaf) {
		problems = append(problems, "extended key usage is "+ekuNames(leaf)+", without clientAuth")
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		problems = append(problems, "key usage lacks digitalSignature, which the client's CertificateVerify needs")
	}
	if len(problems) == 0 {
		return nil
	}
	f := Finding{
		Title:    fmt.Sprintf("our client certificate %q is not valid for TLS client authentication", Name(leaf)),
		Detail:   "The certificate's " + strings.Join(problems, "; and ") + ". Servers that verify purpose (OpenSSL/nginx, Java, Go) refuse it, usually with bad_certificate or unsupported_certificate.",
		Evidence: []string{describeClient(0, leaf), "extended key usage: " + ekuNames(leaf)},
		Remediation: "Have it reissued for client authentication; in the openssl extension config:\n" +
			"  extendedKeyUsage = clientAuth\n  keyUsage = critical, digitalSignature\n" +
			"  openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -out client.crt -days 365 -extfile client-ext.cnf",
	}
	if m.req == nil {
		f.Severity = Warning
	}
	return []Finding{f}
}

func clientKeyWeak(in *Input) []Finding {
	m := in.mtls()
	if len(m.chain) == 0 {
		return nil
	}
	w := clientKeyWeakness(m.chain[0])
	if w == "" {
		return nil
	}
	return []Finding{{
		Title:    fmt.Sprintf("our client certificate %q has a weak key or signature (%s)", Name(m.chain[0]), w),
		Detail:   "Servers at OpenSSL security level 2 (the default on current Debian, Ubuntu and RHEL) and Java with default jdk.certpath.disabledAlgorithms refuse RSA keys under 2048 bits and SHA-1 signatures.",
		Evidence: []string{describeClient(0, m.chain[0])},
		Remediation: "Generate a new key and certificate: `openssl req -new -newkey rsa:3072 -nodes -keyout client.key -out client.csr` " +
			"(or `-newkey ec -pkeyopt ec_paramgen_curve:P-256`), signed with SHA-256.",
	}}
}

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
				"Go and Java clients abort on it with a decode error; OpenSSL and curl tolerate it and go on.",
			Evidence:    []string{fmt.Sprintf("TLS 1.3 attempt: we sent alert decode_error (%s) before receiving any server certificate", in.Rec.Primary().Error.Message)},
			Remediation: "Server side: name the client CAs instead of an empty list: OpenSSL-based servers, drop `-no_ca_names` / SSL_OP_DISABLE_TLSEXT_CA_NAMES and load the CA list (nginx `ssl_client_certificate ca.pem;`); Java servers, put the client CA in the server's truststore (Spring `server.ssl.trust-store`).",
			Clients: []ClientVerdict{
				{Client: "java", Fails: true, Message: "aborts the handshake with a decode error (the exact text depends on the JDK)"},
				{Client: "go", Fails: true, Message: "local error: tls: error decoding message"},
				{Client: "openssl", Fails: false},
				{Client: "curl", Fails: false},
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
			f.Remediation += "\nClient side stop-gap: cap the failing Go or Java client at TLS 1.2, where an empty CA list is legal and this server works: Java `-Djdk.tls.client.protocols=TLSv1.2`, Go `tls.Config{MaxVersion: tls.VersionTLS12}`."
		case l != nil && l.Error != nil:
			f.Evidence = append(f.Evidence, "TLS 1.2 retry failed: "+l.Error.Message)
			f.Detail += " The server speaks only TLS 1.3 (a TLS 1.2 retry failed), so this could not be confirmed at TLS 1.2; `openssl s_client -connect " + target(in) + " -tls1_3 -trace` shows the CertificateRequest."
			f.Remediation += "\nThe server speaks only TLS 1.3, so Go and Java clients have no workaround: the fix is on the server."
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
		Remediation: "Server side, advertise the client CAs: nginx `ssl_client_certificate ca.pem;` (not only `ssl_trusted_certificate`, which is not advertised), " +
			"Spring `server.ssl.trust-store` holding the client CA, OpenSSL s_server without `-no_ca_names`.",
	}
	if len(m.chain) > 0 && refused(m.verdict) {
		f.Severity = Warning
	}
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
