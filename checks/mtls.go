package checks

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/certmemo"
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

// VerdictText says in a few words what the server made of our client
// certificate (or its absence) in attempt a, for the report's summary: an
// HTTP 400 after a completed handshake is a refusal, not an acceptance.
func VerdictText(a *probe.Attempt) string {
	ph := a.PostHandshake
	switch clientVerdict(a) {
	case verdictRejected:
		return "refused with alert " + a.Error.Alert.Name
	case verdictHTTP400:
		return "refused: the handshake completed, then the HTTP request got " + oneLine(ph.HTTPStatus)
	case verdictClosed:
		return "closed the connection without an alert or an answer"
	case verdictQuiet:
		if ph != nil && ph.HTTPProbe {
			return "no objection (no alert within the wait; the service gave no HTTP answer)"
		}
		return "no objection (no alert within the wait)"
	case verdictAccepted:
		if ph != nil && ph.HTTPStatus != "" {
			return "accepted (" + oneLine(ph.HTTPStatus) + ")"
		}
		return "accepted (" + a.Version + " handshake completed)"
	case verdictUnknown:
		if a.Error != nil {
			return "failed: " + errText(a.Error)
		}
	}
	return "no client certificate was requested"
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
	// root is the self-signed CA certificate that issued the top of linked
	// when we did not send it but know it (a truststore, the server's chain
	// or an AIA download holds it): the chain is complete up to a root.
	root *x509.Certificate
}

// clientRoot finds the root that issued top among the certificates we
// know: every truststore, the server's chain and the AIA downloads. A
// self-signed CA certificate is a root, never an intermediate we should
// have sent.
func clientRoot(in *Input, top *x509.Certificate) *x509.Certificate {
	if in.link.selfSigned(top) {
		return nil
	}
	var pool []*x509.Certificate
	for _, ts := range in.Env.Truststores {
		pool = append(pool, ts.candidates(top)...)
	}
	pool = append(pool, in.Chain...)
	for _, f := range in.Fetched() {
		pool = append(pool, f.Cert)
	}
	for _, c := range pool {
		if c.IsCA && in.issues(c, top) && in.link.selfSigned(c) {
			return c
		}
	}
	return nil
}

func (in *Input) mtls() *mtls {
	if in.mtlsCache != nil {
		return in.mtlsCache
	}
	m := &mtls{primary: in.Rec.Primary()}
	in.mtlsCache = m
	if ci := in.Rec.ClientIdentity; ci != nil {
		for i, c := range ci.Certificates {
			cert, err := certmemo.Parse(c.DER)
			if err != nil {
				m.chainErrs = append(m.chainErrs, fmt.Sprintf("client certificate #%d: %v", i, err))
				continue
			}
			m.chain = append(m.chain, cert)
		}
	}
	if len(m.chain) > 0 {
		m.linked = linkChain(m.chain[:min(len(m.chain), maxChainCerts)], in.link)
		m.root = clientRoot(in, m.linked[len(m.linked)-1])
	}
	if m.primary == nil {
		return m
	}
	m.req, m.reqAttempt = m.primary.CertificateRequest, m.primary
	if m.req == nil {
		if l := in.Rec.Attempt(probe.PurposeLegacy); l != nil && l.CertificateRequest != nil {
			// The primary attempt failed before the CertificateRequest
			// (a malformed TLS 1.3 one, or versions refused): the retry's
			// verdict is the server's.
			m.req, m.reqAttempt = l.CertificateRequest, l
			m.primary = l
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
	return len(m.linked) > 1 || (len(m.linked) == 1 && isSelfSigned(m.linked[0])) || m.root != nil
}

// rootName names the root our chain leads to: the top certificate when it
// is self-signed, else its issuer.
func (m *mtls) rootName() string {
	top := m.linked[len(m.linked)-1]
	if isSelfSigned(top) {
		return oneLine(top.Subject.String())
	}
	return oneLine(top.Issuer.String())
}

// rootCert is our chain's root when we know it: the top certificate when
// self-signed, else the root found in a store (nil when unknown).
func (m *mtls) rootCert() *x509.Certificate {
	if top := m.linked[len(m.linked)-1]; isSelfSigned(top) {
		return top
	}
	return m.root
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
		out = append(out, oneLine(dn.Text))
	}
	return out
}

func caListEvidence(req *probe.CertificateRequest) []string {
	if len(req.AcceptableCAs) == 0 {
		return []string{"the server's CertificateRequest names no CA (any issuer may be tried)"}
	}
	var out []string
	for _, dn := range req.AcceptableCAs {
		out = append(out, "server accepts client certificates issued by: "+oneLine(dn.Text))
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
			return fmt.Sprintf("%s: failed (%s)", label, errText(a.Error))
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

// supplySteps are how to present a client certificate, in every client
// our users have.
func supplySteps(in *Input) []Step {
	return []Step{
		Say("Give the client its certificate and key (client.crt with the intermediate after it):"),
		rerun(in, "--cert client.crt --key client.key"),
		Say("tlsdoctor also reads an encrypted key (--key-password-file), a PKCS#12 (--cert client.p12 --cert-password-file pw.txt) and a Java keystore (--keystore client.jks --keystore-password-file pw.txt --alias NAME). curl:"),
		curlCmd(in, "--cert client.crt --key client.key"),
		Say("Build the keystore Java needs, chain included (openssl asks for an export password; ca-chain.pem holds the intermediate):"),
		Cmd("openssl", "openssl pkcs12 -export -in client.crt -inkey client.key -certfile ca-chain.pem -name client -out client.p12"),
		Say("Java 8 and older need JKS (keytool asks for both passwords):"),
		Cmd("keytool", "keytool -importkeystore -srckeystore client.p12 -srcstoretype PKCS12 -destkeystore client.jks -deststoretype JKS"),
		Set("java", "-Djavax.net.ssl.keyStore=client.p12 -Djavax.net.ssl.keyStoreType=PKCS12 -Djavax.net.ssl.keyStorePassword=PASSWORD"),
		Set("spring", "spring.ssl.bundle.jks.partner.keystore.location=file:client.p12\nspring.ssl.bundle.jks.partner.keystore.type=PKCS12\nspring.ssl.bundle.jks.partner.keystore.password=PASSWORD"),
		Set("mulesoft", "<tls:context>\n  <tls:key-store type=\"pkcs12\" path=\"client.p12\" password=\"PASSWORD\" keyPassword=\"PASSWORD\"/>\n</tls:context>"),
	}
}

// trustOnServerSteps are how the server side adds a client CA (the PEM
// file caFile).
func trustOnServerSteps(caFile string) []Step {
	return []Step{
		Set("nginx", "ssl_verify_client on;\nssl_client_certificate /etc/nginx/"+caFile+";\nssl_verify_depth 3;"),
		Say("Spring Boot server: a truststore holding the client CA (keytool asks for a new password and to confirm):"),
		Cmd("keytool", "keytool -importcert -trustcacerts -alias client-ca -file "+caFile+" -keystore client-truststore.p12 -storetype PKCS12"),
		Set("spring", "server.ssl.client-auth=need\nserver.ssl.trust-store=file:client-truststore.p12\nserver.ssl.trust-store-type=PKCS12\nserver.ssl.trust-store-password=PASSWORD"),
		Set("apache", "SSLVerifyClient require\nSSLCACertificateFile /etc/apache2/"+caFile+"\nSSLVerifyDepth 3"),
		Set("mulesoft", "<tls:context>\n  <tls:trust-store path=\"client-truststore.p12\" type=\"pkcs12\" password=\"PASSWORD\"/>\n</tls:context>"),
	}
}

// rebuildKeystore is the openssl command that rebuilds the client
// keystore with its chain.
func rebuildKeystore() Step {
	return Cmd("openssl", "openssl pkcs12 -export -in client.crt -inkey client.key -certfile ca-chain.pem -name client -out client.p12")
}
