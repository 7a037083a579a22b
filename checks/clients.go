package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
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

// Per-client lines of handshake-failed. The alert our probe received
// answers our ClientHello; another client sends another one (other
// versions, suites, groups and signature schemes), so the alert is its
// fate only when the record shows that what it offers changes nothing:
//   - the alert came after the handshake (a TLS 1.3 client-certificate
//     verdict), or after the server's certificate and its request for a
//     client certificate, as a verdict on the client certificate: the
//     server judged the certificate, not the offer;
//   - unrecognized_name to a name sent in SNI: the server refused the
//     name, which every client connecting by that name sends;
//   - otherwise, the client is proven to fail only where every version it
//     could negotiate was refused for an offer that holds all of its own
//     (its suites, groups and signature schemes, judged from its profile,
//     checks/clientprofiles.go), or is proven not spoken (protocol_version).
//     A server that refuses a hello for lack of something (a group, a
//     scheme) refuses any hello that offers less of everything. For an
//     alert about the hello itself (illegal_parameter, decode_error,
//     internal_error...) only the same hello is proven: Go's, when the
//     probe sent crypto/tls's defaults.
// Where the record cannot tell, the line says so (Unknown) and names what
// the client offers that no refused handshake did.

// helloOf is what an attempt offered, dimension by dimension.
type helloOf struct {
	a          *probe.Attempt
	lo, hi     uint16
	suites     []uint16
	groups     []uint16
	schemes    []string // signature schemes, as probe.SigAlgName names them
	goDefaults bool     // crypto/tls's own default hello (the go profile's)
}

// zcryptoGroups are the supported_groups of the probe's zcrypto hellos
// (all-suites, modern-sigalgs: legacytls leaves zcrypto's defaults).
var zcryptoGroups = []uint16{4588, 4589, 4587, 514, 29, 23, 24, 25}

func offerOf(a *probe.Attempt) helloOf {
	h := helloOf{a: a, lo: versionID(a.Offered.MinVersion), hi: versionID(a.Offered.MaxVersion), suites: a.Offered.Suites}
	zcrypto := a.Purpose == probe.PurposeAllSuites || a.Purpose == probe.PurposeModernSigAlgs
	if zcrypto {
		h.groups, h.schemes = zcryptoGroups, a.Offered.SigAlgs
		return h
	}
	// crypto/tls: its groups (X25519MLKEM768 only with TLS 1.3) and schemes.
	for _, g := range goGroups {
		if g != 4588 || h.hi == vTLS13 {
			h.groups = append(h.groups, g)
		}
	}
	for _, s := range goSchemes {
		h.schemes = append(h.schemes, probe.SigAlgName(s))
	}
	if len(h.suites) == 0 {
		if a.Purpose == probe.PurposeLegacy {
			h.suites = legacyOffer()
		} else {
			h.suites = goDefaultOffer()
			h.goDefaults = h.lo == vTLS12 && h.hi == vTLS13
		}
	}
	if h.hi == vTLS13 {
		h.suites = append(slices.Clone(h.suites), 0x1301, 0x1302, 0x1303)
	}
	return h
}

// refusal is how a server refused a hello before any certificate:
// "version" (protocol_version: none of its versions is spoken),
// "negotiation" (handshake_failure, insufficient_security: nothing in it
// was acceptable), "hello" (another alert: something in the hello
// itself), or "" when it was not refused that way.
func refusal(a *probe.Attempt) string {
	e := a.Error
	if a.Outcome == "ok" || a.Outcome == "server-hello" || e == nil || e.Stage != probe.StageHandshake ||
		len(a.Certificates) > 0 || e.Kind != probe.KindAlert || e.Alert == nil || e.Alert.Direction != "received" {
		return ""
	}
	switch e.Alert.Name {
	case "protocol_version":
		return "version"
	case "handshake_failure", "insufficient_security":
		return "negotiation"
	}
	return "hello"
}

// alertVerdicts are the per-client lines for the alert that ended
// attempt a (the primary), each derived as described above.
func alertVerdicts(in *Input, a *probe.Attempt) []ClientVerdict {
	if a == nil || a.Error == nil || a.Error.Alert == nil {
		return nil
	}
	al := a.Error.Alert
	after := a.Error.Stage == probe.StagePostHandshake
	switch {
	case after,
		len(a.Certificates) > 0 && a.CertificateRequest != nil && !a.ClientCertificateSent && (al.Name == "certificate_required" || al.Name == "handshake_failure"),
		len(a.Certificates) > 0 && a.CertificateRequest != nil && a.ClientCertificateSent && clientCertAlerts[al.Name], // checks/mtls.go
		al.Name == "unrecognized_name" && a.Offered.SNI != "" && len(a.Certificates) == 0:
		return alertMessages(al.Name, al.Code, after)
	}
	var out []ClientVerdict
	for _, d := range lineClients(in) {
		p := d.profile
		if len(a.Certificates) > 0 {
			out = append(out, ClientVerdict{Client: d.name, Unknown: true, Message: fmt.Sprintf(
				"cannot tell from this record: the server sent alert %s after its certificate, answering what our client sent then; whether %s gets it depends on what it sends", al.Name, d.name)})
			continue
		}
		alerts, gap := refusedFor(in, &p, d.name)
		if gap != "" {
			out = append(out, ClientVerdict{Client: d.name, Unknown: true, Message: "cannot tell from this record: " + gap})
			continue
		}
		v := ClientVerdict{Client: d.name, Fails: true}
		if len(alerts) == 1 {
			code := al.Code
			if alerts[0] != al.Name {
				code = alertCode(alerts[0])
			}
			for _, m := range alertMessages(alerts[0], code, false) {
				if m.Client == d.family {
					v.Message = m.Message
				}
			}
			if d.family == "python" {
				v.Message = pythonAlert(alerts[0])
			}
		}
		if v.Message == "" {
			v.Message = "fails: the server refuses what it offers, with alert " + strings.Join(alerts, " or ")
		}
		out = append(out, v)
	}
	return out
}

// lineClient is a client a finding has a line for: its line's name,
// whose messages it prints, and its profile.
type lineClient struct {
	name, family string
	profile      ClientProfile
}

// lineClients are the default clients, or the one --client names.
func lineClients(in *Input) []lineClient {
	if c := in.Env.Client; c != nil {
		return []lineClient{{c.Name, clientFamily(c), *c}}
	}
	var out []lineClient
	for _, d := range defaultClients {
		p, _ := LookupClient(d.profile)
		out = append(out, lineClient{d.name, d.name, p})
	}
	return out
}

// refusedFor says whether the record proves that the server refuses
// client c, and with which alerts; gap says what is missing when not.
func refusedFor(in *Input, c *ClientProfile, name string) (alerts []string, gap string) {
	var hellos []helloOf
	for _, a := range append(attemptPtrs(in.Rec.Attempts), in.Rec.SNICheck) {
		if a != nil && refusal(a) != "" {
			if h := offerOf(a); h.lo != 0 && h.hi != 0 {
				hellos = append(hellos, h)
			}
		}
	}
	s := in.view()
	spoken := func(v uint16) fact {
		if vv := s.versions[v]; vv != nil {
			return vv.spoken
		}
		return factUnknown
	}
	addAlert := func(n string) {
		if !slices.Contains(alerts, n) {
			alerts = append(alerts, n)
		}
	}
	vs := versionsSorted(c.Versions)
	slices.Reverse(vs)
	reached := false // some version of c is proven spoken: c negotiates it or one above
	for i, v := range vs {
		if spoken(v) == factNo {
			continue
		}
		var best []string
		covered := false
		for _, h := range hellos {
			if v < h.lo || v > h.hi || refusal(h.a) == "version" {
				continue
			}
			// h's server picked v only if nothing h offers above v is spoken.
			above := true
			for u := v + 1; u <= h.hi; u++ {
				if !slices.Contains(vs[:i], u) && spoken(u) != factNo {
					above = false
				}
			}
			if !above {
				continue
			}
			missing := missingFrom(c, v, h)
			if refusal(h.a) == "hello" && !(c.Name == "go" && h.goDefaults) {
				missing = append(missing, "its own ClientHello (alert "+h.a.Error.Alert.Name+" answers something in ours, not a lack of common parameters)")
			}
			if len(missing) == 0 {
				covered = true
				addAlert(h.a.Error.Alert.Name)
				break
			}
			if best == nil || len(missing) < len(best) {
				best = missing
			}
		}
		if !covered {
			if best == nil {
				return nil, "no handshake of this run offered " + probe.VersionName(v) + " the way " + name + " does, and the record does not show that the server refuses it"
			}
			return nil, "the server refused our offer at " + probe.VersionName(v) + ", which lacks " + strings.Join(best, " and ") + " that " + name + " offers: it may accept " + name + "'s"
		}
		if spoken(v) == factYes {
			reached = true
			break
		}
	}
	// None of its versions spoken: it gets protocol_version. A server that
	// refused a hello for its content speaks one of that hello's versions.
	for _, h := range hellos {
		if (refusal(h.a) == "negotiation" || refusal(h.a) == "hello" && h.goDefaults && c.Name == "go") && slices.Contains(vs, h.lo) && slices.Contains(vs, h.hi) {
			reached = true
		}
	}
	if !reached {
		addAlert("protocol_version")
	}
	return alerts, ""
}

func attemptPtrs(as []probe.Attempt) []*probe.Attempt {
	out := make([]*probe.Attempt, len(as))
	for i := range as {
		out[i] = &as[i]
	}
	return out
}

// missingFrom lists what client c offers at version v that hello h did
// not: suites, groups, signature schemes. An unknown list (an empty one
// in the profile) is missing as a whole.
func missingFrom(c *ClientProfile, v uint16, h helloOf) []string {
	var out []string
	var suites, groups, schemes []string
	for _, id := range usableSuites(c, v, "") {
		if !slices.Contains(h.suites, id) {
			suites = append(suites, ciphersuite.Name(id))
		}
	}
	for _, g := range c.Groups {
		if !slices.Contains(h.groups, g) {
			groups = append(groups, probe.GroupName(g))
		}
	}
	for _, sc := range c.Schemes12 {
		if n := probe.SigAlgName(sc); !slices.Contains(h.schemes, n) {
			schemes = append(schemes, n)
		}
	}
	list := func(what string, names []string) {
		if len(names) > 4 {
			names = append(names[:4:4], "…")
		}
		if len(names) > 0 {
			out = append(out, what+" "+strings.Join(names, ", "))
		}
	}
	list("the suites", suites)
	if len(c.Groups) == 0 {
		out = append(out, "the groups it offers (not in its profile)")
	}
	list("the groups", groups)
	if len(c.Schemes12) == 0 {
		out = append(out, "the signature schemes it offers (not in its profile)")
	}
	list("the signature schemes", schemes)
	return out
}

// alertCode is the code of a named alert.
func alertCode(name string) uint8 {
	for c := 0; c < 256; c++ {
		if probe.AlertName(uint8(c)) == name {
			return uint8(c)
		}
	}
	return 0
}
