package checks

import (
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// clientMessages are what real clients print for each fault, measured on
// Java 17, curl 7.88 (OpenSSL 3.0), openssl s_client -verify_return_error
// and a Go 1.26 net/http client (see shared/client-errors.md). HOST and
// the other upper-case words are placeholders filled by the check.
var clientMessages = map[string][]ClientVerdict{
	"cert-expired": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed (caused by java.security.cert.CertificateExpiredException: NotAfter: DATE)"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: certificate has expired"},
		{Client: "openssl", Fails: true, Message: "Verification error: certificate has expired (verify error:num=10)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time NOW is after LIMIT"},
	},
	"cert-not-yet-valid": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed (caused by java.security.cert.CertificateNotYetValidException: NotBefore: DATE)"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: certificate is not yet valid"},
		{Client: "openssl", Fails: true, Message: "Verification error: certificate is not yet valid (verify error:num=9)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time NOW is before LIMIT"},
	},
	"chain-incomplete": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: unable to get local issuer certificate"},
		{Client: "openssl", Fails: true, Message: "Verification error: unable to get local issuer certificate (verify error:num=20)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate signed by unknown authority"},
		{Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"},
		{Client: "browsers", Fails: true, Message: "NET::ERR_CERT_AUTHORITY_INVALID (Chrome), unless the intermediate is already cached"},
	},
	"chain-incomplete-aia": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"},
		{Client: "java-aia", Fails: false, Message: "connects when started with -Dcom.sun.security.enableAIAcaIssuers=true and the URL is reachable"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: unable to get local issuer certificate"},
		{Client: "openssl", Fails: true, Message: "Verification error: unable to get local issuer certificate (verify error:num=20)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate signed by unknown authority"},
		{Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"},
		{Client: "browsers", Fails: false, Message: "fetch the missing intermediate from the AIA URL (or have it cached) and connect"},
	},
	"chain-order": {
		{Client: "java", Fails: false, Message: "reorders the chain and connects"},
		{Client: "curl", Fails: false, Message: "reorders the chain and connects"},
		{Client: "openssl", Fails: false, Message: "reorders the chain and connects"},
		{Client: "go", Fails: false, Message: "reorders the chain and connects"},
	},
	"no-san": {
		{Client: "java", Fails: false, Message: "falls back to the CN and connects"},
		{Client: "curl", Fails: false, Message: "falls back to the CN and connects"},
		{Client: "openssl", Fails: false, Message: "falls back to the CN and connects"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate relies on legacy Common Name field, use SANs instead"},
		{Client: "browsers", Fails: true, Message: "NET::ERR_CERT_COMMON_NAME_INVALID (Chrome)"},
	},
	"weak-key-ee": {
		{Client: "java", Fails: false, Message: "accepts RSA 1024 and connects"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: EE certificate key too weak"},
		{Client: "openssl", Fails: true, Message: "Verification error: EE certificate key too weak (verify error:num=66)"},
		{Client: "go", Fails: false, Message: "accepts RSA 1024 and connects"},
	},
	"weak-key-ca": {
		{Client: "java", Fails: false, Message: "accepts RSA 1024 and connects"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: CA certificate key too weak"},
		{Client: "openssl", Fails: true, Message: "Verification error: CA certificate key too weak (verify error:num=67)"},
		{Client: "go", Fails: false, Message: "accepts RSA 1024 and connects"},
	},
	"weak-signature": {
		{Client: "java", Fails: false, Message: "accepts SHA-1 on server certificates and connects"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: CA signature digest algorithm too weak"},
		{Client: "openssl", Fails: true, Message: "Verification error: CA signature digest algorithm too weak (verify error:num=68)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of \"x509: cannot verify signature: insecure algorithm ...\" while trying to verify candidate authority certificate \"NAME\")"},
	},
	"eku-missing": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: Extended key usage does not permit use for TLS server authentication"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: unsuitable certificate purpose"},
		{Client: "openssl", Fails: true, Message: "Verification error: unsuitable certificate purpose (verify error:num=26)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate specifies an incompatible key usage"},
	},
	"ca-no-certsign": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: CA key usage check failed: keyCertSign bit is not set"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: invalid CA certificate"},
		{Client: "openssl", Fails: true, Message: "Verification error: invalid CA certificate (verify error:num=24)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of \"x509: invalid signature: parent certificate cannot sign this kind of certificate\" ...)"},
	},
	"ca-not-ca": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: basic constraints check failed: this is not a CA certificate"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: invalid CA certificate"},
		{Client: "openssl", Fails: true, Message: "Verification error: invalid CA certificate (verify error:num=24)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of \"x509: invalid signature: parent certificate cannot sign this kind of certificate\" ...)"},
	},
	"ca-pathlen": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: basic constraints check failed: pathLenConstraint violated"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: path length constraint exceeded"},
		{Client: "openssl", Fails: true, Message: "Verification error: path length constraint exceeded (verify error:num=25)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: too many intermediates for path length constraint"},
	},
	"self-signed": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: self-signed certificate"},
		{Client: "openssl", Fails: true, Message: "Verification error: self-signed certificate (verify error:num=18)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate signed by unknown authority"},
		{Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"},
	},
	"untrusted-root": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: unable to get local issuer certificate"},
		{Client: "openssl", Fails: true, Message: "Verification error: unable to get local issuer certificate (verify error:num=20)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate signed by unknown authority"},
		{Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"},
	},
	"untrusted-root-sent": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"},
		{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: self-signed certificate in certificate chain"},
		{Client: "openssl", Fails: true, Message: "Verification error: self-signed certificate in certificate chain (verify error:num=19)"},
		{Client: "go", Fails: true, Message: "tls: failed to verify certificate: x509: certificate signed by unknown authority"},
		{Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain"},
	},
	"not-tls": {
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLException: Unsupported or unrecognized SSL message"},
		{Client: "curl", Fails: true, Message: "curl: (35) OpenSSL/3.0: error:0A00010B:SSL routines::wrong version number"},
		{Client: "openssl", Fails: true, Message: "error:0A00010B:SSL routines:ssl3_get_record:wrong version number"},
		{Client: "go", Fails: true, Message: "tls: first record does not look like a TLS handshake"},
	},
}

// clients returns the verdicts for key with placeholders replaced by the
// pairs given (placeholder, value, ...).
func clients(key string, repl ...string) []ClientVerdict {
	src := clientMessages[key]
	if len(src) == 0 {
		return nil
	}
	r := strings.NewReplacer(repl...)
	out := make([]ClientVerdict, len(src))
	for i, v := range src {
		v.Message = r.Replace(v.Message)
		out[i] = v
	}
	return out
}

// openSSLAlertReasons are OpenSSL's reason strings for received alerts
// (reason code 1000 + alert code; ssl/ssl_err.c).
var openSSLAlertReasons = map[string]string{
	"unexpected_message": "sslv3 alert unexpected message", "handshake_failure": "sslv3 alert handshake failure",
	"bad_certificate": "sslv3 alert bad certificate", "unsupported_certificate": "sslv3 alert unsupported certificate",
	"certificate_revoked": "sslv3 alert certificate revoked", "certificate_expired": "sslv3 alert certificate expired",
	"certificate_unknown": "sslv3 alert certificate unknown", "illegal_parameter": "sslv3 alert illegal parameter",
	"unknown_ca": "tlsv1 alert unknown ca", "access_denied": "tlsv1 alert access denied",
	"decode_error": "tlsv1 alert decode error", "decrypt_error": "tlsv1 alert decrypt error",
	"protocol_version": "tlsv1 alert protocol version", "insufficient_security": "tlsv1 alert insufficient security",
	"internal_error": "tlsv1 alert internal error", "unrecognized_name": "tlsv1 unrecognized name",
	"no_application_protocol": "tlsv1 alert no application protocol",
	"certificate_required":    "tlsv13 alert certificate required",
}

// goAlertText is crypto/tls's text for an alert (crypto/tls/alert.go).
var goAlertText = map[string]string{
	"unexpected_message": "unexpected message", "handshake_failure": "handshake failure",
	"bad_certificate": "bad certificate", "unsupported_certificate": "unsupported certificate",
	"certificate_revoked": "revoked certificate", "certificate_expired": "expired certificate",
	"certificate_unknown": "unknown certificate", "illegal_parameter": "illegal parameter",
	"unknown_ca": "unknown certificate authority", "access_denied": "access denied",
	"decode_error": "error decoding message", "decrypt_error": "error decrypting message",
	"protocol_version": "protocol version not supported", "insufficient_security": "insufficient security level",
	"internal_error": "internal error", "unrecognized_name": "unrecognized name",
	"no_application_protocol": "no application protocol", "certificate_required": "certificate required",
}

// alertMessages is what Java, curl, openssl s_client and Go print when the
// server sends the named alert (shared/client-errors.md): during the
// handshake curl reports it as a connect error (35), after it (TLS 1.3
// client-certificate verdicts) as a read error (56).
func alertMessages(name string, code uint8, afterHandshake bool) []ClientVerdict {
	out := []ClientVerdict{{Client: "java", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: Received fatal alert: " + name}}
	if r, ok := openSSLAlertReasons[name]; ok {
		ecode := fmt.Sprintf("0A%06X", 1000+int(code))
		curl := fmt.Sprintf("curl: (35) OpenSSL/3.0: error:%s:SSL routines::%s", ecode, r)
		if afterHandshake {
			curl = fmt.Sprintf("curl: (56) OpenSSL SSL_read: OpenSSL/3.0: error:%s:SSL routines::%s, errno 0", ecode, r)
		}
		out = append(out,
			ClientVerdict{Client: "curl", Fails: true, Message: curl},
			ClientVerdict{Client: "openssl", Fails: true, Message: fmt.Sprintf("error:%s:SSL routines:ssl3_read_bytes:%s (SSL alert number %d)", ecode, r, code)})
	}
	if t, ok := goAlertText[name]; ok {
		out = append(out, ClientVerdict{Client: "go", Fails: true, Message: "remote error: tls: " + t})
	}
	return out
}

// pythonAlert is what Python's ssl raises for a fatal alert during the
// handshake: OpenSSL's reason, as its error name and text (measured for
// handshake_failure and unrecognized_name; client-errors.md). "" for an
// alert without a known OpenSSL reason.
func pythonAlert(name string) string {
	r, ok := openSSLAlertReasons[name]
	if !ok {
		return ""
	}
	return "ssl.SSLError: [SSL: " + strings.ToUpper(strings.ReplaceAll(r, " ", "_")) + "] " + r
}

// alertClients is alertMessages for the alert that ended an attempt.
func alertClients(a *probe.Attempt) []ClientVerdict {
	if a == nil || a.Error == nil || a.Error.Alert == nil {
		return nil
	}
	al := a.Error.Alert
	return alertMessages(al.Name, al.Code, a.Error.Stage == probe.StagePostHandshake)
}
