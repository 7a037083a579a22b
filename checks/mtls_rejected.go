package checks

// client-cert-rejected: the server refused the certificate we sent; the
// likely causes, ranked by what the alert and our chain show.

import (
	"crypto/x509"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// cause is one possible reason for a rejection, with its weight and the
// kind of fix it calls for.
type cause struct {
	score    int
	text     string
	evidence []string
	fix      causeFix
}

// causeFix is the remedy a cause calls for (rejectionFix prints the steps
// of the first cause's).
type causeFix int

const (
	fixNone         causeFix = iota
	fixRenew                 // renew the client certificate
	fixCA                    // a certificate from a CA the server trusts, or the server trusts ours
	fixIntermediate          // send the intermediate with the leaf
	fixEKU                   // reissue with clientAuth
	fixEither                // the intermediate or the CA: the record cannot tell which
)

func clientCertRejected(in *Input) []Finding {
	m := in.mtls()
	// len(m.chain) == 0: a record whose client certificates do not parse
	// (crafted; the probe records only what it loaded) has nothing to rank.
	if !m.sent || len(m.chain) == 0 || !(refused(m.verdict) || m.verdict == verdictClosed) {
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
		Clients:  mtlsAlertClients(in, a),
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
	f.Fix = rejectionFix(in, m, causes)
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
				[]string{fmt.Sprintf("our %s %q: not after %s, now %s", Role(i, c), Name(c), c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}, fixRenew})
		}
		if now.Before(c.NotBefore) {
			s := 40
			if strong("certificate_expired") {
				s = 95
			} else if generic {
				s = 70
			}
			out = append(out, cause{s, fmt.Sprintf("our %s certificate %q is not valid until %s (or a clock is wrong).", Role(i, c), Name(c), c.NotBefore.UTC().Format(time.RFC3339)),
				[]string{fmt.Sprintf("our %s %q: not before %s, now %s", Role(i, c), Name(c), c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}, fixRenew})
		}
	}
	out = append(out, caCauses(in, m, strong, generic)...)
	if !hasClientAuthEKU(leaf) {
		s := 40
		if strong("bad_certificate", "unsupported_certificate", "certificate_unknown", "http-400") {
			s = 85
		}
		out = append(out, cause{s, "our certificate's extended key usage does not allow TLS client authentication (" + ekuNames(leaf) + "): reissue it with clientAuth.",
			[]string{"our leaf's extended key usage: " + ekuNames(leaf)}, fixEKU})
	}
	if w := clientKeyWeakness(leaf); w != "" {
		s := 30
		if strong("insufficient_security", "handshake_failure", "bad_certificate", "http-400") {
			s = 55
		}
		out = append(out, cause{s, "our key is weak (" + w + "): servers at OpenSSL security level 2 refuse it; reissue with RSA 2048+ or ECDSA P-256.", []string{"our leaf key: " + w}, fixNone})
	}
	switch alert {
	case "certificate_revoked":
		out = append(out, cause{100, "the server's revocation data (CRL or OCSP) says our certificate is revoked; tlsdoctor cannot see the server's CRL: ask its operator, and get a new certificate.", nil, fixNone})
	case "access_denied":
		out = append(out, cause{100, fmt.Sprintf("the chain was accepted but this identity (%q) is not authorized: the server checks an allow-list of subjects or a mapping to users; ask its operator to allow it.", leaf.Subject.String()), nil, fixNone})
	case "decrypt_error":
		out = append(out, cause{90, "the server could not verify our CertificateVerify signature. Our key matches our certificate (tlsdoctor checked on loading), so suspect a signature-algorithm mismatch (" + strings.Join(schemes(m), ", ") + ") or a TLS-intercepting proxy.", nil, fixNone})
	case "certificate_required":
		out = append(out, cause{75, "the server says it got no certificate although we sent one: a TLS-terminating proxy or load balancer in front of it may not forward client certificates.", nil, fixNone})
	}
	if len(out) == 0 {
		from := "comes from a CA the server names"
		if m.req == nil || len(m.req.AcceptableCAs) == 0 {
			from = "the server names no CA to compare it with"
		}
		out = append(out, cause{10, "nothing tlsdoctor can see on our side: our certificate is valid, has clientAuth and " + from + ". The server's own policy (truststore content, verify depth, revocation, allow-list) refused it; its error log says which (nginx: `client SSL certificate verify error`).", nil, fixNone})
	}
	return out
}

func schemes(m *mtls) []string {
	if m.req == nil || len(m.req.SignatureSchemes) == 0 {
		return []string{"the server listed none"}
	}
	return m.req.SignatureSchemes
}

// sendIntermediateSteps build the chain file and keystore that send the
// intermediate with the leaf.
func sendIntermediateSteps(cert, key any) []Step {
	return []Step{Say("Send the intermediate with the leaf:"),
		command("cat", "cat", cert, "intermediate.crt > client-chain.pem"),
		command("openssl", "openssl pkcs12 -export -in", cert, "-inkey", key, "-certfile intermediate.crt -name client -out client.p12")}
}

func rejectionFix(in *Input, m *mtls, causes []cause) []Step {
	leafName := Name(m.chain[0])
	cert, key := clientFiles(in)
	steps := []Step{
		Say("Check what you send, and test by hand:"),
		command("openssl", "openssl x509 -in", cert, "-noout -subject -issuer -dates -ext extendedKeyUsage"),
		curlCmd(in, "-v --cert", cert, "--key", key),
	}
	switch causes[0].fix {
	case fixRenew:
		steps = append(steps, Say("Renew the client certificate "+strconv.Quote(leafName)+" with its CA and rebuild the keystore (openssl asks for an export password):"), rebuildKeystore())
	case fixCA:
		steps = append(steps, Say("Get a certificate from a CA the server trusts, or have the server trust ours (client-ca.pem):"))
		steps = append(steps, trustOnServerSteps("client-ca.pem")...)
	case fixIntermediate:
		steps = append(steps, sendIntermediateSteps(cert, key)...)
	case fixEither:
		steps = append(steps, Say("Find out where our chain leads: the issuer of our intermediate (intermediate.crt, the certificate whose subject is "+strconv.Quote(m.linked[len(m.linked)-1].Issuer.String())+"):"),
			command("openssl", "openssl x509 -in intermediate.crt -noout -subject -issuer"))
		steps = append(steps, sendIntermediateSteps(cert, key)...)
		steps = append(steps, Say("If the server still refuses it, or the intermediate's issuer is not a CA the server names, get a certificate from a CA it trusts, or have the server trust ours (client-ca.pem):"))
		steps = append(steps, trustOnServerSteps("client-ca.pem")...)
	case fixEKU:
		steps = append(steps, Say("Reissue the certificate with extendedKeyUsage = clientAuth in its extension section (see client-eku-missing)."))
	}
	return append(steps,
		Say("Server side, the settings that decide (nginx's error log says why: client SSL certificate verify error):"),
		Set("nginx", "ssl_verify_client on;\nssl_client_certificate /etc/nginx/ca.pem;\nssl_verify_depth 3;"),
		Set("spring", "server.ssl.client-auth=need\nserver.ssl.trust-store=file:client-truststore.p12"),
		Say("MuleSoft: the listener's TLS context trust store."))
}

// knownIssuer is a certificate above our chain that we did not send but
// know, and where it was found.
type knownIssuer struct {
	cert *x509.Certificate
	from string
}

// clientAbove continues our chain (m.linked) upward with certificates we
// did not send but know: the server's own chain, the truststores and the
// AIA downloads, linked by name, key identifier and signature. It stops
// at a self-signed certificate or when nothing known issued the top.
func clientAbove(in *Input, m *mtls) []knownIssuer {
	var out []knownIssuer
	seen := map[*x509.Certificate]bool{}
	for _, c := range m.linked {
		seen[c] = true
	}
	cur := m.linked[len(m.linked)-1]
	for len(m.linked)+len(out) < maxChainCerts && !in.link.selfSigned(cur) {
		var next *knownIssuer
		try := func(c *x509.Certificate, from string) {
			if next == nil && !seen[c] && c.IsCA && in.issues(c, cur) {
				next = &knownIssuer{c, from}
			}
		}
		for _, c := range in.Chain {
			try(c, "the server's own chain")
		}
		for _, ts := range in.Env.Truststores {
			for _, c := range ts.candidates(cur) {
				try(c, "truststore "+strconv.Quote(ts.Name))
			}
		}
		for _, f := range in.Fetched() {
			try(f.Cert, "the AIA download "+f.URL)
		}
		if next == nil {
			break
		}
		seen[next.cert] = true
		out = append(out, *next)
		cur = next.cert
	}
	return out
}

// caCauses are the causes about which CA our chain leads to, ranked from
// what the record shows: the CA names of the CertificateRequest (when the
// server sent any), how much of our chain we sent and what we know above
// it, and the alert. When the record cannot tell a missing intermediate
// from a CA the server does not trust, the cause says so instead of
// picking one.
func caCauses(in *Input, m *mtls, strong func(...string) bool, generic bool) []cause {
	if m.match != nil {
		return nil // our chain reaches a CA the server names
	}
	top := m.linked[len(m.linked)-1]
	above := clientAbove(in, m)
	full := append([]*x509.Certificate(nil), m.linked...)
	for _, k := range above {
		full = append(full, k.cert)
	}
	ftop := full[len(full)-1]
	reachesRoot := in.link.selfSigned(ftop)
	ourRoot := ftop.Issuer.String()
	if reachesRoot {
		ourRoot = ftop.Subject.String()
	}
	var knownEv []string
	for _, k := range above {
		knownEv = append(knownEv, fmt.Sprintf("above our chain, not sent: %q (issuer %q), found in %s", k.cert.Subject.String(), k.cert.Issuer.String(), k.from))
	}
	missingEv := append([]string{"missing issuer of our chain: " + top.Issuer.String()}, knownEv...)
	if m.req != nil && len(m.req.AcceptableCAs) > 0 {
		s := 60
		if strong("unknown_ca") {
			s = 100
		} else if generic {
			s = 80
		}
		listed := strings.Join(caNames(m.req), "; ")
		switch fm := matchCA(full, m.req.AcceptableCAs); {
		case m.chainComplete():
			return []cause{{s, fmt.Sprintf("our chain ends at %q, which is not among the CAs the server accepts (%s): get a certificate from one of them, or have the server trust ours.", m.rootName(), listed),
				[]string{"none of the server's acceptable CAs issued any certificate we sent"}, fixCA}}
		case fm != nil:
			return []cause{{s - 5, fmt.Sprintf("we sent no intermediate: %q's issuer %q is not in our file and not a CA the server names, but it is issued by %q, which the server names (%s holds the intermediate); send the intermediate with the leaf.", Name(top), top.Issuer.String(), fm.Text, above[0].from),
				missingEv, fixIntermediate}}
		case reachesRoot:
			return []cause{
				{s, fmt.Sprintf("our chain leads to %q (through %q, which we did not send), which is not among the CAs the server accepts (%s): get a certificate from one of them, or have the server trust ours; sending the intermediate alone will not help.", ourRoot, top.Issuer.String(), listed),
					missingEv, fixCA},
				{30, fmt.Sprintf("we also sent no intermediate: %q's issuer %q is not in our file.", Name(top), top.Issuer.String()), nil, fixIntermediate},
			}
		}
		return []cause{{s - 5, fmt.Sprintf("either the server does not trust our CA at all, or we sent no intermediate: tlsdoctor cannot tell which, since we did not send %q's issuer %q and nothing it knows shows where that issuer leads. The server accepts certificates issued by %s, and %q is not one of them. If the intermediate's issuer is one of them, send the intermediate with the leaf; if not, get a certificate from one of them, or have the server trust ours.", Name(top), top.Issuer.String(), listed, top.Issuer.String()),
			missingEv, fixEither}}
	}
	// The server names no CA: our chain cannot be compared with what it
	// trusts, only the alert and what we sent speak.
	switch {
	case m.chainComplete() && (strong("unknown_ca") || generic):
		s := 60
		if strong("unknown_ca") {
			s = 90
		} else if strong("closed") {
			s = 45
		}
		return []cause{{s, fmt.Sprintf("the server does not trust the CA our chain ends at (%q): we sent our chain up to it, so no intermediate is missing, and the server's CertificateRequest names no CA to compare with. Have the server trust ours, or get a certificate from the CA it trusts.", m.rootName()),
			[]string{"the server's CertificateRequest names no CA; our chain ends at " + m.rootName()}, fixCA}}
	case !m.chainComplete() && strong("unknown_ca", "bad_certificate", "certificate_unknown", "http-400"):
		above := "the CA above it"
		if reachesRoot {
			above = strconv.Quote(ourRoot)
		}
		return []cause{{65, fmt.Sprintf("we sent only part of our chain: %q's issuer %q is missing; servers that trust only the root need it. The server names no CA, so tlsdoctor cannot tell whether it trusts %s at all: if it still refuses once the intermediate is sent, have it trust our CA.", Name(top), top.Issuer.String(), above),
			missingEv, fixEither}}
	}
	return nil
}
