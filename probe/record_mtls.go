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
	Source string `json:"source,omitempty"`
	// CertFile and KeyFile are the PEM/DER files given with --cert and
	// --key (KeyFile is CertFile when the key is in it), for fixes that
	// rebuild them; empty for PKCS#12 and keystores.
	CertFile     string        `json:"cert_file,omitempty"`
	KeyFile      string        `json:"key_file,omitempty"`
	Certificates []Certificate `json:"certificates"`
}

func recordClientIdentity(c *tls.Certificate, source, certFile, keyFile string) *ClientIdentity {
	if c == nil {
		return nil
	}
	ci := &ClientIdentity{Source: source, CertFile: certFile, KeyFile: keyFile, Certificates: []Certificate{}}
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
