package checks

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// revocationClients are what real clients print for revocation faults
// (shared/client-errors.md, "cert-revoked" and "revocation-unknown").
// Placeholders are filled by the checks.
var revocationClients = map[string][]ClientVerdict{
	"cert-revoked": {
		{Client: "java", Fails: false, Message: "connects: Java does not check revocation by default"},
		{Client: "curl", Fails: false, Message: "connects: curl does not check revocation by default"},
		{Client: "openssl", Fails: false, Message: "connects: openssl s_client does not check revocation by default"},
		{Client: "go", Fails: false, Message: "connects: Go's crypto/tls does not check revocation"},
		{Client: "java-revocation", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: Certificate has been revoked, reason: REASON, revocation date: DATE, authority: AUTHORITY"},
		{Client: "curl-crlfile", Fails: true, Message: "curl: (60) SSL certificate problem: certificate revoked"},
		{Client: "openssl-crl", Fails: true, Message: "Verification error: certificate revoked (verify error:num=23)"},
	},
	"revocation-unknown": {
		{Client: "java", Fails: false, Message: "connects: Java does not check revocation by default"},
		{Client: "curl", Fails: false, Message: "connects"},
		{Client: "openssl", Fails: false, Message: "connects"},
		{Client: "go", Fails: false, Message: "connects"},
	},
	"revocation-unknown-refused": {
		{Client: "java-revocation", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: Unable to determine revocation status due to network error (caused by java.net.ConnectException: Connection refused)"},
	},
	"revocation-unknown-timeout": {
		{Client: "openssl-ocsp", Fails: true, Message: "Error querying OCSP responder (BIO routines:BIO_do_connect_retry:connect timeout)"},
	},
	"no-staple": {
		{Client: "curl-cert-status", Fails: true, Message: "curl: (91) No OCSP response received"},
		{Client: "openssl-status", Fails: false, Message: "OCSP response: no response sent"},
	},
	// A must-staple leaf without a staple (shared/client-errors.md,
	// ocsp-must-staple-missing): only Firefox enforces RFC 7633, and
	// clients told to require a staple.
	"must-staple-missing": {
		{Client: "java", Fails: false, Message: "connects anyway: Java does not enforce must-staple"},
		{Client: "curl", Fails: false, Message: "connects anyway (curl enforces a staple only with --cert-status)"},
		{Client: "openssl", Fails: false, Message: "connects anyway"},
		{Client: "go", Fails: false, Message: "connects anyway: crypto/tls does not enforce must-staple"},
		{Client: "firefox", Fails: true, Message: "MOZILLA_PKIX_ERROR_REQUIRED_TLS_FEATURE_MISSING"},
		{Client: "curl-cert-status", Fails: true, Message: "curl: (91) No OCSP response received"},
		{Client: "openssl-status", Fails: false, Message: "prints \"OCSP response: no response sent\" and connects"},
	},
}

func revClients(key string, repl ...string) []ClientVerdict {
	r := strings.NewReplacer(repl...)
	var out []ClientVerdict
	for _, v := range revocationClients[key] {
		v.Message = r.Replace(v.Message)
		out = append(out, v)
	}
	return out
}

// revocationClientSteps are how clients turn revocation checking on.
func revocationClientSteps(in *Input) []Step {
	return []Step{
		Say("So that your clients notice revoked certificates: Java, with OCSP on in java.security (or Security.setProperty(\"ocsp.enable\", \"true\") before the first connection) and CRL distribution points allowed:"),
		Set("java", "-Dcom.sun.net.ssl.checkRevocation=true -Dcom.sun.security.enableCRLDP=true"),
		Set("java.security", "ocsp.enable=true"),
		Say("curl, with a stapled response (or --crlfile FILE), and openssl (or -crl_check -CRL FILE):"),
		curlCmd(in, "--cert-status"),
		sClient(in, "-status </dev/null"),
	}
}

func certRevoked(in *Input) []Finding {
	var out []Finding
	for _, cr := range in.Revocations() {
		if cr.Status != RevocationRevoked {
			continue
		}
		var first RevocationAnswer
		var sources []string
		ev := []string{cr.Role + ": " + Describe(cr.Cert)}
		if cr.Fetched {
			ev[0] += " (not sent by the server; downloaded from its AIA URL)"
		}
		for _, a := range cr.Answers {
			if a.Verdict == AnswerRevoked {
				if first.Verdict == "" {
					first = a
				}
				src := a.Source
				if a.URL != "" {
					src += " " + a.URL
				}
				sources = append(sources, src)
			}
			ev = append(ev, a.String())
		}
		f := Finding{
			Title: fmt.Sprintf("the %s certificate %q is revoked (%s, since %s)", cr.Role, Name(cr.Cert), first.Reason, first.RevokedAt.UTC().Format("2006-01-02 15:04 MST")),
			Detail: fmt.Sprintf("Its CA revoked the %s certificate %q on %s with reason %s (%s ago), according to %s. Clients that check revocation refuse it; Java, curl, OpenSSL and Go with default settings do not check and still connect, so the problem goes unnoticed until one does.",
				cr.Role, Name(cr.Cert), first.RevokedAt.UTC().Format(time.RFC3339), first.Reason, human(in.Env.Now.Sub(first.RevokedAt)), strings.Join(sources, " and ")),
			Evidence: ev,
		}
		var fix []Step
		if !cr.Leaf {
			fix = []Step{Say("An intermediate CA certificate is revoked: every certificate it issued is invalid. Get your certificate reissued under a current intermediate and replace the intermediate in your chain file with the one your CA now publishes.")}
		} else {
			fix = append(append([]Step{Say("Reissue the certificate with a NEW key (a revoked certificate's key must be considered compromised) and redeploy it everywhere it is used.")},
				requestSteps(leafNames(in, cr.Cert), "-newkey rsa:3072")...),
				Say("Put the new certificate and its intermediate (intermediate.crt) in one chain file, point the server at it and reload; reloading nginx also drops the stapled revoked response:"),
				Cmd("cat", "cat server.crt intermediate.crt > fullchain.pem"),
				Set("nginx", "ssl_certificate /etc/nginx/fullchain.pem;\nssl_certificate_key /etc/nginx/server.key;"),
				Cmd("nginx", "nginx -s reload"),
				Set("apache", "SSLCertificateFile /etc/apache2/fullchain.pem\nSSLCertificateKeyFile /etc/apache2/server.key"),
				Cmd("apachectl", "apachectl graceful"),
				Say("Java, Tomcat, Spring Boot: a new keystore (openssl asks for an export password), named in server.ssl.key-store:"),
				Cmd("openssl", "openssl pkcs12 -export -in fullchain.pem -inkey server.key -name server -out server.p12"))
		}
		f.Fix = append(fix, revocationClientSteps(in)...)
		authority := cr.Cert.Issuer.String()
		f.Clients = revClients("cert-revoked",
			"REASON", javaReason(first.Reason),
			"DATE", first.RevokedAt.UTC().Format(javaDate),
			"AUTHORITY", strings.ReplaceAll(authority, ",", ", "))
		out = append(out, f)
	}
	return out
}

func revocationUnknown(in *Input) []Finding {
	if in.Rec.Revocation == nil || in.Rec.Revocation.Mode != probe.RevocationFull {
		return nil
	}
	var out []Finding
	for _, cr := range in.Revocations() {
		if cr.Status != RevocationUnknown {
			continue
		}
		if cr.Issuer == nil && !in.trusted() {
			// The chain does not reach a trust anchor (chain-incomplete,
			// untrusted-root say why); the missing issuer is that finding,
			// not a revocation problem. The report still shows "unknown".
			continue
		}
		ev := []string{cr.Role + ": " + Describe(cr.Cert)}
		kinds := map[string]bool{}
		var hosts []string
		for _, a := range cr.Answers {
			ev = append(ev, a.String())
			kinds[a.Verdict] = true
			if a.Verdict == AnswerUnreachable && a.URL != "" {
				if u, err := url.Parse(a.URL); err == nil && u.Host != "" {
					hosts = append(hosts, u.Host)
				}
			}
		}
		if len(cr.Cert.OCSPServer) == 0 && len(cr.Cert.CRLDistributionPoints) == 0 {
			ev = append(ev, "the certificate has no OCSP URL (authorityInfoAccess) and no crlDistributionPoints")
		}
		f := Finding{
			Title: fmt.Sprintf("the revocation status of the %s certificate %q could not be established", cr.Role, Name(cr.Cert)),
			Detail: "Neither a stapled response, the OCSP responder nor a CRL gave a valid, current answer: " + cr.Note +
				". tlsdoctor calls a certificate not revoked only on a valid, fresh, correctly signed answer, so it may or may not be revoked.",
			Evidence: ev,
			Clients:  revClients("revocation-unknown"),
		}
		var fix []Step
		switch {
		case len(cr.Answers) == 0 && cr.Issuer == nil:
			fix = append(fix, Say("Send the issuing intermediate certificate with the leaf (see chain-incomplete), or add "+cr.Cert.Issuer.String()+" to the truststore, so OCSP requests can be built and answers verified."))
		case len(cr.Answers) == 0 && len(cr.Cert.OCSPServer) == 0 && len(cr.Cert.CRLDistributionPoints) == 0:
			fix = append(fix, Say("The certificate gives clients no way to check revocation. Have it reissued by a CA that includes an OCSP responder or CRL distribution point; for an internal OpenSSL CA, in the extension section of the certificates it issues:"),
				Set("openssl.cnf", "authorityInfoAccess = OCSP;URI:http://ocsp.example.internal/\ncrlDistributionPoints = URI:http://crl.example.internal/ca.crl"))
		}
		if kinds[AnswerUnreachable] {
			fix = append(fix, Say("Clients that check revocation must reach "+strings.Join(uniq(hosts), ", ")+" over HTTP: allow outbound connections to them from the client hosts, or give Java the proxy; if the responder is yours, check that it runs."),
				Set("java", "-Dhttp.proxyHost=PROXY -Dhttp.proxyPort=PORT"))
		}
		var ocspBad, crlBad bool
		for _, a := range cr.Answers {
			bad := a.Verdict == AnswerInvalid || a.Verdict == AnswerStale || a.Verdict == AnswerUnknown
			ocspBad = ocspBad || (bad && a.Source != SourceCRL)
			crlBad = crlBad || (bad && a.Source == SourceCRL)
		}
		if ocspBad {
			fix = append(fix, Say("The responder's answers are unusable (see evidence): it must sign with the issuer's key or a delegated certificate with the OCSPSigning EKU, refresh answers before nextUpdate, keep its clock right, and know every certificate the CA issued."))
		}
		if crlBad {
			fix = append(fix, Say("The CRL the certificate points to cannot be used for it (see evidence): the CA must publish, at that URL, a complete CRL that covers the certificate (no issuingDistributionPoint limiting it to other certificates, reasons or another distribution point; not a delta CRL), without critical extensions verifiers do not implement, signed by a CA certificate whose keyUsage includes cRLSign, and refreshed before nextUpdate."))
		}
		if cr.Leaf {
			fix = append(fix, Say("Stapling spares clients the lookup:"),
				Set("nginx", "ssl_stapling on;\nssl_stapling_verify on;"),
				Set("apache", "SSLUseStapling On"),
				Set("java", "-Djdk.tls.server.enableStatusRequestExtension=true"))
		}
		f.Fix = append(fix, Say("Java clients with revocation checking on (-Dcom.sun.net.ssl.checkRevocation=true) fail hard on an unknown status; to fail soft use a PKIXRevocationChecker with Option.SOFT_FAIL."))
		for _, a := range cr.Answers {
			switch {
			case a.OpenSSL != "" && !kinds["openssl-crl-added"]:
				// openssl -crl_check with this CRL (measured).
				kinds["openssl-crl-added"] = true
				f.Clients = append(f.Clients, ClientVerdict{Client: "openssl-crl", Fails: true, Message: "Verification error: " + a.OpenSSL})
			case a.ErrKind == probe.KindRefused && !kinds["refused-added"]:
				kinds["refused-added"] = true
				f.Clients = append(f.Clients, revClients("revocation-unknown-refused")...)
			case a.ErrKind == probe.KindTimeout && a.Source == SourceOCSP && !kinds["timeout-added"]:
				kinds["timeout-added"] = true
				f.Clients = append(f.Clients, revClients("revocation-unknown-timeout")...)
			}
		}
		out = append(out, f)
	}
	return out
}

func (in *Input) trusted() bool {
	tr := in.Trust(0)
	return tr != nil && tr.Verdict == Trusted
}

// oidTLSFeature is the TLS Feature extension (RFC 7633); status_request
// (5) in it is "OCSP must-staple".
var oidTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

// mustStaple reports whether the leaf requires a stapled OCSP response.
func (in *Input) mustStaple() bool {
	leaf := in.Leaf()
	if leaf == nil {
		return false
	}
	for _, e := range leaf.Extensions {
		if !e.Id.Equal(oidTLSFeature) {
			continue
		}
		var features []int
		if _, err := asn1.Unmarshal(e.Value, &features); err != nil {
			return false
		}
		for _, f := range features {
			if f == 5 {
				return true
			}
		}
	}
	return false
}

// handshakeDone is the primary attempt when its handshake completed (on
// our side: the server may still reject our client certificate after),
// or nil.
func (in *Input) handshakeDone() *probe.Attempt {
	a := in.Rec.Primary()
	if a == nil || len(a.Certificates) == 0 || a.Version == "" {
		return nil
	}
	return a
}

func ocspMustStapleMissing(in *Input) []Finding {
	a := in.handshakeDone()
	if a == nil || len(a.OCSPStaple) > 0 || !in.mustStaple() {
		return nil
	}
	leaf := in.Leaf()
	return []Finding{{
		Title: fmt.Sprintf("the certificate %q requires OCSP stapling (must-staple) but the server stapled nothing", Name(leaf)),
		Detail: "The leaf carries the TLS Feature extension with status_request (RFC 7633, \"OCSP must-staple\"): it promises every connection comes with a stapled OCSP response. The server sent none. " +
			"Java, curl, openssl and Go connect anyway (none enforces must-staple by default); only Firefox refuses such a connection (MOZILLA_PKIX_ERROR_REQUIRED_TLS_FEATURE_MISSING), and clients asked to require a staple (curl --cert-status) fail too.",
		Evidence: []string{"leaf: " + Describe(leaf), "TLS Feature extension (1.3.6.1.5.5.7.1.24): status_request", "stapled OCSP response: none (" + a.Version + ")"},
		Fix:      append(staplingFix(leaf.OCSPServer), Say("Or reissue the certificate without the must-staple extension (certbot: drop --must-staple).")),
		Clients:  revClients("must-staple-missing"),
	}}
}

func staplingFix(responders []string) []Step {
	s := []Step{
		Say("Turn on OCSP stapling on the server. nginx needs the issuer chain in ssl_trusted_certificate and a resolver (your DNS server) to reach the responder; Apache needs the cache at server level:"),
		Set("nginx", "ssl_stapling on;\nssl_stapling_verify on;\nssl_trusted_certificate /etc/nginx/chain.pem;"),
		Set("apache", "SSLUseStapling On\nSSLStaplingCache shmcb:/var/run/ocsp(128000)"),
		Set("java", "-Djdk.tls.server.enableStatusRequestExtension=true"),
	}
	if len(responders) > 0 {
		s = append(s, Say("The server must be able to reach the OCSP responder "+strings.Join(responders, ", ")+" to fetch the response."))
	}
	return s
}

// ocspFetchCmd fetches a fresh OCSP response for c from its responder
// into staple.der, verified against the user's CA file.
func ocspFetchCmd(c *x509.Certificate) Step {
	if len(c.OCSPServer) == 0 {
		return Say("The certificate names no OCSP responder to fetch a response from.")
	}
	return command("openssl", "openssl ocsp -issuer issuer.pem -cert server.pem -CAfile root.pem -url", urlArg(c.OCSPServer[0]), "-respout staple.der")
}

// stapleAnswer is the judged stapled response, or nil when none came.
func (in *Input) stapleAnswer() (*RevocationAnswer, *CertRevocation) {
	for _, cr := range in.Revocations() {
		if !cr.Leaf {
			continue
		}
		for _, a := range cr.Answers {
			if a.Source == SourceStapled {
				return &a, &cr
			}
		}
	}
	return nil, nil
}

func ocspStapleInvalid(in *Input) []Finding {
	a, cr := in.stapleAnswer()
	if a == nil || (a.Verdict != AnswerInvalid && a.Verdict != AnswerUnknown) {
		return nil
	}
	return []Finding{{
		Title:    "the stapled OCSP response is not valid: " + a.Problem,
		Detail:   fmt.Sprintf("The server stapled an OCSP response for %q, but it cannot be used: %s. Clients that verify staples (Firefox, curl --cert-status, openssl s_client -status with verification) reject it or ignore it.", Name(cr.Cert), a.Problem),
		Evidence: []string{"leaf: " + Describe(cr.Cert), a.String()},
		Fix: []Step{
			Say("The server staples what its OCSP responder gave it; make it fetch a valid one and verify it before stapling. nginx then drops invalid responses (ssl_trusted_certificate holds the issuer chain); Apache stops stapling responder errors:"),
			Set("nginx", "ssl_stapling_verify on;\nssl_trusted_certificate /etc/nginx/chain.pem;"),
			Set("apache", "SSLStaplingReturnResponderErrors off"),
			Say("If the server is fed a response file (nginx ssl_stapling_file), fetch a fresh one (issuer.pem is the leaf's issuer, root.pem your CA file):"),
			ocspFetchCmd(cr.Cert),
		},
	}}
}

func ocspStapleStale(in *Input) []Finding {
	a, cr := in.stapleAnswer()
	if a == nil || a.Verdict != AnswerStale {
		return nil
	}
	return []Finding{{
		Title:    "the stapled OCSP response has expired: " + a.Problem,
		Detail:   fmt.Sprintf("The server stapled an OCSP response for %q that is correctly signed but out of date (%s). The server stopped refreshing it: clients that verify staples (Firefox, curl --cert-status) reject it.", Name(cr.Cert), a.Problem),
		Evidence: []string{"leaf: " + Describe(cr.Cert), a.String()},
		Fix: []Step{
			Say("Make the server refresh its staple before nextUpdate. nginx refreshes stapled responses from the responder: check its error log for OCSP errors, and that it can resolve (resolver) and reach " + strings.Join(cr.Cert.OCSPServer, ", ") + "; a static ssl_stapling_file is never refreshed, so fetch a fresh one:"),
			ocspFetchCmd(cr.Cert),
			Say("Apache: check SSLStaplingStandardCacheTimeout and that the responder is reachable from the server. Then reload the server:"),
			Cmd("nginx", "nginx -s reload"),
			Cmd("apachectl", "apachectl graceful"),
		},
	}}
}

func ocspStaplingMissing(in *Input) []Finding {
	a := in.handshakeDone()
	leaf := in.Leaf()
	if a == nil || a.Outcome != "ok" || leaf == nil || len(a.OCSPStaple) > 0 || in.mustStaple() || len(leaf.OCSPServer) == 0 || isSelfSigned(leaf) {
		return nil
	}
	return []Finding{{
		Title:    "the server does not staple an OCSP response",
		Detail:   "Without a stapled response every client that checks revocation must ask the CA's OCSP responder itself: slower, a privacy leak to the CA, and a failure when the responder is unreachable from the client's network. Stapling is cheap for the server.",
		Evidence: []string{"stapled OCSP response: none (" + a.Version + ")", "leaf OCSP responder: " + strings.Join(leaf.OCSPServer, ", ")},
		Fix:      staplingFix(leaf.OCSPServer),
		Clients:  revClients("no-staple"),
	}}
}

func sctMissing(in *Input) []Finding {
	leaf := in.Leaf()
	// Only publicly trusted certificates must be logged: browsers do not
	// require CT for roots that users or enterprises installed.
	if in.handshakeDone() == nil || leaf == nil || !in.PubliclyTrusted() || len(SCTs(in.Rec)) > 0 {
		return nil
	}
	return []Finding{{
		Title:    "no Certificate Transparency SCTs: not in the certificate, not in the TLS extension, not in the stapled OCSP response",
		Detail:   "The certificate chains to a publicly trusted root, and Chrome and Safari require SCTs (proof the certificate was logged in Certificate Transparency) for those: they refuse it without them.",
		Evidence: []string{"leaf: " + Describe(leaf), "SCTs: certificate extension 0, TLS extension 0, stapled OCSP 0"},
		Fix:      []Step{Say("Reissue it from your CA (public CAs embed SCTs by default), or serve SCTs in the TLS extension (nginx-ct, Apache mod_ssl_ct).")},
	}}
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
