package probe

import "crypto/tls"

// PurposeNoClientCert is the extra handshake made without a client
// certificate when we have one and the server asked for it: it tells a
// server that requires client authentication from one that only requests
// it, and shows what a client without a certificate is told.
const PurposeNoClientCert = "no-client-cert"

// Reasons recorded in Attempt.NoClientCertificateReason.
const (
	ReasonNoIdentity = "no client identity was given (--cert/--key, --cert FILE.p12 or --keystore)"
	ReasonWithheld   = "withheld on purpose: this handshake tests whether the server requires a client certificate"
)

// ClientIdentity is the client certificate chain we offered, exactly as
// sent (leaf first). It holds public certificates only, never the key.
type ClientIdentity struct {
	// Source says where it was loaded from ("PKCS#12 client.p12").
	Source       string        `json:"source,omitempty"`
	Certificates []Certificate `json:"certificates"`
}

func recordClientIdentity(c *tls.Certificate, source string) *ClientIdentity {
	if c == nil {
		return nil
	}
	ci := &ClientIdentity{Source: source, Certificates: []Certificate{}}
	for _, der := range c.Certificate {
		ci.Certificates = append(ci.Certificates, Certificate{DER: append([]byte(nil), der...)})
	}
	return ci
}

// needsNoClientCertAttempt reports whether the primary attempt sent our
// client certificate in answer to a CertificateRequest, so that a handshake
// without it can tell optional from required client authentication.
func needsNoClientCertAttempt(a *Attempt) bool {
	return a.CertificateRequest != nil && a.ClientCertificateSent && a.Address != ""
}

// wantsVerdict reports whether to wait for the server's verdict on our
// client certificate after a handshake that requested one: always in TLS
// 1.3, where it comes after the handshake, and for HTTP targets in TLS 1.2
// too, because web servers like nginx (ssl_verify_client on) finish the
// handshake and refuse the request with 400.
func wantsVerdict(version uint16, t Target, alpn string) bool {
	return version == tls.VersionTLS13 || isHTTPTarget(t, alpn)
}

// isHTTPTarget is when waitVerdict sends an HTTP request.
func isHTTPTarget(t Target, alpn string) bool {
	return alpn == "http/1.1" || (alpn == "" && (t.Scheme == "https" || t.Port == 443))
}
