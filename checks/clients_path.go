package checks

import "strings"

// What real clients print for the path faults of issue 11 and the chain
// faults of issue 10, measured on Java 17.0.15, curl 7.88.1 / OpenSSL
// 3.0.19, openssl s_client -verify_return_error, Python 3.11 ssl, gnutls-cli
// 3.7 and Go 1.26 against openssl s_server (and a Go server where s_server
// cannot send the fault); see /work/shared/client-errors.md and
// checks/path_real_test.go, which re-measures them. The "go" line of each
// finding is Go's real verdict from crypto/x509 when the record allows it
// (verify.go); these are the lines for the others.

var pathClientMessages = map[string]ClientVerdict{
	// name-constraint-violation
	"openssl-nc-permitted": {Client: "openssl", Fails: true, Message: "Verification error: permitted subtree violation (verify error:num=47)"},
	"curl-nc-permitted":    {Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: permitted subtree violation"},
	"python-nc-permitted":  {Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: permitted subtree violation"},
	"openssl-nc-excluded":  {Client: "openssl", Fails: true, Message: "Verification error: excluded subtree violation (verify error:num=48)"},
	"curl-nc-excluded":     {Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: excluded subtree violation"},
	"python-nc-excluded":   {Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: excluded subtree violation"},
	"gnutls-nc":            {Client: "gnutls", Fails: true, Message: "Status: The certificate is NOT trusted. The certificate chain violates the signer's constraints."},
	"java-nc":              {Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: name constraints check failed"},

	// unknown-critical-extension
	"openssl-critical": {Client: "openssl", Fails: true, Message: "Verification error: unhandled critical extension (verify error:num=34)"},
	"curl-critical":    {Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: unhandled critical extension"},
	"python-critical":  {Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unhandled critical extension"},
	"gnutls-critical":  {Client: "gnutls", Fails: true, Message: "Status: The certificate is NOT trusted. The certificate contains an unknown critical extension."},
	"java-critical":    {Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: unrecognized critical extension(s)"},

	// eku-missing on a CA certificate (intermediate or trust anchor)
	"curl-eku-ca":    {Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: unsuitable certificate purpose"},
	"openssl-eku-ca": {Client: "openssl", Fails: true, Message: "Verification error: unsuitable certificate purpose (verify error:num=26)"},
	"python-eku-ca":  {Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unsuitable certificate purpose"},
	"gnutls-eku-ca":  {Client: "gnutls", Fails: true, Message: "Status: The certificate is NOT trusted. The certificate chain does not match the intended purpose."},

	// unparseable-certificate: DER that no parser reads (truncated).
	"openssl-unparseable": {Client: "openssl", Fails: true, Message: "error:0680009B:asn1 encoding routines:ASN1_get_object:too long (the exact asn1 error depends on the damage)"},
	"curl-unparseable":    {Client: "curl", Fails: true, Message: "curl: (35) OpenSSL/3.0: error:0680009B:asn1 encoding routines::too long"},
	"python-unparseable":  {Client: "python", Fails: true, Message: "ssl.SSLError: [SSL] ASN1 lib"},
	"gnutls-unparseable":  {Client: "gnutls", Fails: true, Message: "ASN1 parser: Error in DER parsing."},
	"java-unparseable":    {Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: Failed to parse server certificates"},

	// cert-policy-violation (requireExplicitPolicy without a policy)
	"java-policy": {Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: non-null policy tree required and policy tree is null"},

	// chain-order, when the first certificate is not the leaf: every
	// client checks the name (and the handshake signature) against
	// certificate #0.
	"openssl-first-not-leaf": {Client: "openssl", Fails: true, Message: "Verification error: hostname mismatch (verify error:num=62)"},
	"curl-first-not-leaf":    {Client: "curl", Fails: true, Message: "curl: (60) SSL: certificate subject name 'NAME0' does not match target host name 'HOST'"},
	"python-first-not-leaf":  {Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'HOST'."},
	"gnutls-first-not-leaf":  {Client: "gnutls", Fails: true, Message: "Status: The certificate is NOT trusted. The name in the certificate does not match the expected."},
	"java-first-not-leaf":    {Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: No name matching HOST found"},
	// ... and when the server signs the handshake with the real leaf's key,
	// curl (TLS 1.2 and 1.3) and gnutls-cli (TLS 1.3) report the signature
	// first.
	"curl-first-not-leaf-sig":   {Client: "curl", Fails: true, Message: "curl: (35) OpenSSL/3.0: error:0A00007B:SSL routines::bad signature"},
	"gnutls-first-not-leaf-sig": {Client: "gnutls", Fails: true, Message: "Fatal error: Public key signature verification has failed."},

	// ca-constraints when the pathLenConstraint is exceeded only by counting
	// a self-issued intermediate (same subject and issuer, another key).
	"java-pathlen-self-issued":    {Client: "java", Fails: false, Message: "connects: self-issued intermediates do not count against pathLenConstraint (RFC 5280 6.1.4)"},
	"openssl-pathlen-self-issued": {Client: "openssl", Fails: true, Message: "Verification error: self-signed certificate in certificate chain (verify error:num=19)"},
	"curl-pathlen-self-issued":    {Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: self-signed certificate in certificate chain"},
}

// pathClient returns the measured verdict for key, with the placeholders
// replaced by the pairs given.
func pathClient(key string, repl ...string) ClientVerdict {
	v := pathClientMessages[key]
	if len(repl) > 0 {
		v.Message = replacer(repl...).Replace(v.Message)
	}
	return v
}

// connects is a verdict for a client that connects despite the fault.
func connects(client, why string) ClientVerdict {
	return ClientVerdict{Client: client, Fails: false, Message: why}
}

func replacer(pairs ...string) *strings.Replacer { return strings.NewReplacer(pairs...) }
