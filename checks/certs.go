package checks

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"math"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// javaDate is how Java prints dates in CertificateExpiredException.
const javaDate = "Mon Jan 02 15:04:05 MST 2006"

func selfSigned(in *Input) []Finding {
	tr := in.Trust(0)
	if tr == nil || tr.Verdict != SelfSigned {
		return nil
	}
	leaf := in.Leaf()
	return []Finding{{
		Title: "the server's certificate is self-signed",
		Detail: fmt.Sprintf("The leaf %q signed itself, so no CA vouches for it and %s does not contain it. Every client that verifies certificates refuses it.",
			Name(leaf), tr.Store.Name),
		Evidence: []string{"leaf: " + Describe(leaf), "truststore: " + tr.Store.Name},
		Fix: append(append([]Step{
			Say("Preferred: replace it with a certificate from a CA your clients trust: your internal CA, or a public CA such as Let's Encrypt (certbot)."),
			Say("To trust this exact certificate deliberately instead (only if you control the server), save it:"),
			sClient(in, "</dev/null | openssl x509 -out server.pem"),
		}, fingerprintSteps("server.pem", Fingerprint(leaf))...), trustSteps(in, "server.pem", alias(leaf))...),
		Clients: clients("self-signed"),
	}}
}

func chainIncomplete(in *Input) []Finding {
	tr := in.Trust(0)
	if tr == nil || (tr.Verdict != MissingIssuer && len(tr.MissingIntermediates()) == 0) {
		return nil
	}
	if len(in.Unparsed()) > 0 && len(tr.MissingIntermediates()) == 0 {
		return nil // the issuer may be the certificate that does not parse (unparseable-certificate)
	}
	if len(tr.MissingIntermediates()) == 0 && keyIDMismatchIssuer(in, tr.End()) != nil {
		return nil // it is sent, with another key identifier (key-id-mismatch)
	}
	f := Finding{Evidence: in.sentEvidence()}
	if missing := tr.MissingIntermediates(); len(missing) > 0 {
		var names []string
		for _, c := range missing {
			names = append(names, fmt.Sprintf("%q", Name(c)))
			src := in.FetchedFrom(c)
			f.Evidence = append(f.Evidence, fmt.Sprintf("missing intermediate, fetched from %s (%s): %s", src.URL, strings.ToUpper(src.Format), Describe(c)))
		}
		f.Title = fmt.Sprintf("the server does not send the intermediate certificate %s", strings.Join(names, ", "))
		f.Detail = fmt.Sprintf("The server sent %d certificate(s). The path to a root needs %s, which the server did not send; tlsdoctor downloaded it from the AIA caIssuers URL named in the certificate below it. Browsers do the same (or have it cached), so the site may look fine in a browser, while Java (by default), curl, OpenSSL, Go and Python do not fetch it and fail.",
			len(in.Chain), strings.Join(names, ", "))
		if tr.Anchor != nil {
			f.Detail += fmt.Sprintf(" With it, the chain reaches %q, which %s trusts.", Name(tr.Anchor), tr.Store.Name)
		}
		f.Clients = clients("chain-incomplete-aia")
	} else {
		end := tr.End()
		f.Title = fmt.Sprintf("the server does not send the intermediate certificate %q", issuerName(end))
		f.Detail = fmt.Sprintf("The server sent %d certificate(s); %q was issued by %q, which the server did not send and %s does not contain.",
			len(in.Chain), Name(end), end.Issuer.String(), tr.Store.Name)
		f.Evidence = append(f.Evidence, "missing issuer: "+end.Issuer.String())
		f.Evidence = append(f.Evidence, aiaEvidence(in, end)...)
		if len(end.IssuingCertificateURL) > 0 {
			f.Detail += " Browsers may fetch it from the AIA URL, but tlsdoctor could not, so it cannot name the certificate for sure."
			f.Clients = clients("chain-incomplete-aia")
		} else {
			f.Detail += " The certificate names no AIA caIssuers URL, so no client can fetch it: every client fails."
			f.Clients = clients("chain-incomplete")
		}
	}
	f.Fix = chainFix(in, tr)
	return []Finding{f}
}

// aiaEvidence says what became of the AIA URLs of c.
func aiaEvidence(in *Input, c *x509.Certificate) []string {
	if len(c.IssuingCertificateURL) == 0 {
		return []string{fmt.Sprintf("%q names no AIA caIssuers URL to download its issuer from", Name(c))}
	}
	var out []string
	for _, u := range c.IssuingCertificateURL {
		res := "not fetched (AIA fetching was off, or the fetch budget was spent)"
		for _, f := range in.Rec.AIA {
			if f.URL != u {
				continue
			}
			switch {
			case f.Error != "":
				res = "could not be fetched: " + f.Error
			default:
				res = fmt.Sprintf("fetched %d certificate(s) (%s), none of which issued it", len(f.Certificates), f.Format)
			}
		}
		out = append(out, "AIA caIssuers "+u+": "+res)
	}
	return out
}

func untrustedRoot(in *Input) []Finding {
	tr := in.Trust(0)
	if tr == nil || tr.Verdict != UntrustedRoot {
		return nil
	}
	top := tr.End()
	f := Finding{Evidence: in.sentEvidence()}
	var rootName string
	var get []Step
	if isSelfSigned(top) {
		rootName = Name(top)
		f.Title = fmt.Sprintf("the chain ends at root %q, which %s does not trust", rootName, tr.Store.Name)
		f.Detail = fmt.Sprintf("The server sent its root %q, but a root is trusted only if it is already in the client's truststore, and %s does not contain it.", top.Subject.String(), tr.Store.Name)
		f.Evidence = append(f.Evidence, "untrusted root: "+Describe(top))
		f.Clients = clients("untrusted-root-sent")
		get = []Step{
			Say("The root is the last certificate the server sends: show the chain and copy the last PEM block (from BEGIN CERTIFICATE to END CERTIFICATE) to root.pem:"),
			sClient(in, "-showcerts </dev/null"),
		}
		if src := in.FetchedFrom(top); src != nil && !containsCert(in.Chain, top) {
			f.Detail = fmt.Sprintf("The chain leads to root %q (downloaded from %s, not sent by the server), but a root is trusted only if it is already in the client's truststore, and %s does not contain it.", top.Subject.String(), src.URL, tr.Store.Name)
			f.Clients = clients("untrusted-root")
			get = downloadSteps(src.URL, src.Format, "root")
		}
		get = append(get, fingerprintSteps("root.pem", Fingerprint(top))...)
	} else {
		rootName = top.Issuer.CommonName
		if rootName == "" {
			rootName = top.Issuer.String()
		}
		f.Title = fmt.Sprintf("the chain leads to root %q, which %s does not trust", rootName, tr.Store.Name)
		f.Detail = fmt.Sprintf("The server's chain ends at %q, issued by %q. That issuer is not in %s, so the path cannot reach a trust anchor: the client is missing this (usually private or corporate) root CA. tlsdoctor cannot see the issuer itself: if %q is an intermediate rather than a root, the server must send it instead.",
			top.Subject.String(), top.Issuer.String(), tr.Store.Name, rootName)
		f.Evidence = append(f.Evidence, "missing trust anchor: "+top.Issuer.String())
		f.Evidence = append(f.Evidence, aiaEvidence(in, top)...)
		f.Clients = clients("untrusted-root")
		get = []Step{Say(fmt.Sprintf("Get the root %q as root.pem (PEM) from the CA's owner, your PKI team or the partner, and check its SHA-256 fingerprint with them:", rootName)),
			Cmd("openssl", "openssl x509 -in root.pem -noout -fingerprint -sha256")}
	}
	if same := sameNameDifferentKey(top, tr.Store); same != nil {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s has a CA named %q but with a different key (SHA-256 %s): it may be an old or renewed root", tr.Store.Name, same.Subject.String(), Fingerprint(same)))
	}
	f.Evidence = append(f.Evidence, trustedElsewhere(in, top)...)
	f.Fix = append(get, trustSteps(in, "root.pem", aliasName(rootName))...)
	return []Finding{f}
}

func sameNameDifferentKey(top *x509.Certificate, ts Truststore) *x509.Certificate {
	for _, c := range ts.Certs {
		if string(c.RawSubject) == string(top.RawIssuer) && top.CheckSignatureFrom(c) != nil {
			return c
		}
	}
	return nil
}

// pathCerts are the certificates whose validity matters: the best path
// built against the primary store (sent, fetched and anchor
// certificates), else the sent chain.
func pathCerts(in *Input) []*x509.Certificate {
	if tr := in.Trust(0); tr != nil {
		return tr.Path
	}
	return in.Chain
}

// pathRole names the i-th certificate of the chosen path for people:
// leaf, intermediate, root, cross-signed root, with "(trust anchor)" or
// "(fetched from AIA)" when it was not sent.
func pathRole(in *Input, i int) string {
	path := pathCerts(in)
	c := path[i]
	var role string
	switch {
	case i == 0:
		role = "leaf"
	case isSelfSigned(c):
		role = "root"
	case crossSigned(in, c):
		role = "cross-signed root"
	default:
		role = "intermediate"
	}
	if tr := in.Trust(0); tr != nil && i == len(path)-1 && tr.Anchor != nil && tr.Anchor.Equal(c) && !containsCert(in.Chain, c) {
		role += " (trust anchor in " + tr.Store.Name + ")"
	} else if in.FetchedFrom(c) != nil && !containsCert(in.Chain, c) {
		role += " (fetched from AIA)"
	}
	return role
}

// crossSigned reports whether c is a CA certificate issued by another CA
// for a key that also has a self-signed root certificate somewhere (sent,
// fetched or in a store): a cross-sign.
func crossSigned(in *Input, c *x509.Certificate) bool {
	if !c.IsCA || isSelfSigned(c) {
		return false
	}
	var pool []*x509.Certificate
	pool = append(pool, in.Chain...)
	for _, f := range in.Fetched() {
		pool = append(pool, f.Cert)
	}
	for _, ts := range in.Env.Truststores {
		pool = append(pool, ts.bySubject(c.RawSubject)...)
	}
	for _, p := range pool {
		if bytes.Equal(p.RawSubject, c.RawSubject) && bytes.Equal(p.RawSubjectPublicKeyInfo, c.RawSubjectPublicKeyInfo) && isSelfSigned(p) {
			return true
		}
	}
	return false
}

// trustedElsewhere names the other stores that do trust root, as evidence
// ("works in the browser, fails in Java").
func trustedElsewhere(in *Input, _ *x509.Certificate) []string {
	var yes []string
	for i := 1; i < len(in.Env.Truststores); i++ {
		if tr := in.Trust(i); tr != nil && tr.Verdict == Trusted {
			yes = append(yes, in.Env.Truststores[i].Name)
		}
	}
	if len(yes) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("the chain is trusted by %s, so clients using that store connect", strings.Join(yes, ", "))}
}

func certExpired(in *Input) []Finding {
	var out []Finding
	now := in.Env.Now
	for i, c := range pathCerts(in) {
		if !now.After(c.NotAfter) {
			continue
		}
		role := pathRole(in, i)
		days := int(math.Floor(now.Sub(c.NotAfter).Hours() / 24))
		f := Finding{
			Title:    fmt.Sprintf("the %s certificate %q expired %s", role, Name(c), ago(days)),
			Detail:   fmt.Sprintf("It was valid until %s. Clients refuse an expired certificate anywhere on the path.", c.NotAfter.UTC().Format(time.RFC3339)),
			Evidence: []string{fmt.Sprintf("%s: not after %s (now %s)", role, c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)), role + ": " + Describe(c)},
			Clients: clients("cert-expired", "DATE", c.NotAfter.UTC().Format(javaDate),
				"NOW", now.UTC().Format(time.RFC3339), "LIMIT", c.NotAfter.UTC().Format(time.RFC3339)),
		}
		switch {
		case i == 0:
			f.Fix = []Step{
				Say("Renew the certificate with your CA and deploy it with its chain, then reload the server:"),
				Cmd("nginx", "nginx -s reload"),
				Cmd("apachectl", "apachectl graceful"),
				Say("Check what is served afterwards:"),
				rerun(in),
			}
		case !containsCert(in.Chain, c) && in.FetchedFrom(c) == nil:
			f.Fix = expiredAnchorFix(in, c)
		default:
			f.Fix = []Step{Say(fmt.Sprintf("Replace the expired %s %q in the server's chain file with the current one from your CA (its renewed or cross-signed version), keeping the same leaf; then reload the server.", role, Name(c)))}
		}
		out = append(out, f)
	}
	return out
}

func certNotYetValid(in *Input) []Finding {
	var out []Finding
	now := in.Env.Now
	for i, c := range pathCerts(in) {
		if !now.Before(c.NotBefore) {
			continue
		}
		role := pathRole(in, i)
		wait := c.NotBefore.Sub(now)
		f := Finding{
			Title:    fmt.Sprintf("the %s certificate %q is not valid until %s (in %s)", role, Name(c), c.NotBefore.UTC().Format(time.RFC3339), human(wait)),
			Detail:   "Clients refuse a certificate before its notBefore date.",
			Evidence: []string{fmt.Sprintf("%s: not before %s (now %s)", role, c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)), role + ": " + Describe(c)},
			Clients: clients("cert-not-yet-valid", "DATE", c.NotBefore.UTC().Format(javaDate),
				"NOW", now.UTC().Format(time.RFC3339), "LIMIT", c.NotBefore.UTC().Format(time.RFC3339)),
			Fix: []Step{Say("Deploy the certificate only once it is valid, or ask the CA to reissue it with a current notBefore.")},
		}
		if wait < 24*time.Hour {
			f.Detail += " It becomes valid in less than a day: a wrong clock (here or on the client) is the likely cause."
			f.Fix = append(clockSteps("Check the clock of this machine and of the failing client (is NTP synchronized?):"), f.Fix...)
		}
		out = append(out, f)
	}
	return out
}

func hostnameMismatch(in *Input) []Finding {
	leaf := in.Leaf()
	if leaf == nil {
		return nil
	}
	name := in.ExpectedName()
	if err := leaf.VerifyHostname(name); err == nil {
		return nil
	}
	// A certificate without any SAN that names the host only in its CN is
	// a different problem (no-san): clients disagree on it.
	if len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) == 0 && strings.EqualFold(leaf.Subject.CommonName, name) {
		return nil
	}
	covered := coveredNames(leaf)
	isIP := net.ParseIP(name) != nil
	f := Finding{
		Title:    fmt.Sprintf("the certificate is not valid for %s", name),
		Evidence: []string{"name checked: " + name + nameSource(in), "certificate covers: " + orNone(strings.Join(covered, ", ")), "leaf: " + Describe(leaf)},
	}
	var why []string
	f.Clients = hostnameClients(leaf, name)
	if isIP {
		why = append(why, "You connect to an IP address: only an IP SAN (IP:"+name+") matches it; DNS names and the CN never do.")
	} else {
		for _, d := range leaf.DNSNames {
			if strings.HasPrefix(d, "*.") && strings.HasSuffix(name, d[1:]) && strings.Count(name, ".") > strings.Count(d, ".") {
				why = append(why, fmt.Sprintf("The wildcard %s covers exactly one label: it matches x%s but not %s.", d, d[1:], name))
			}
			if strings.HasPrefix(d, "*.") && name == d[2:] {
				why = append(why, fmt.Sprintf("The wildcard %s does not cover the bare domain %s.", d, name))
			}
		}
	}
	if !isIP && len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) > 0 {
		why = append(why, "The certificate holds only IP SANs: a DNS name never matches an IP SAN (nor the reverse); it needs a DNS:"+name+" entry.")
		if cnMatches(leaf, name) {
			why = append(why, fmt.Sprintf("Java, OpenSSL and Python fall back to the CN %q when a certificate has no DNS SAN, so they connect; curl, Go and browsers refuse.", leaf.Subject.CommonName))
		}
	}
	if len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) == 0 {
		why = append(why, "The certificate has no subjectAltName at all; modern clients ignore the CN.")
	}
	f.Detail = "Clients check the name they connect to against the certificate's subjectAltName entries, and this name is not among them. " + strings.Join(why, " ")
	sanType := "DNS"
	if isIP {
		sanType = "IP"
	}
	f.Fix = append([]Step{Say("Connect with a name the certificate covers, or reissue it with " + sanType + ":" + name + " in subjectAltName.")},
		sanRequestSteps(append([]string{name}, covered...))...)
	if in.Rec.Target.SNI != "" && in.Rec.Target.SNI != in.Rec.Target.Host && !probe.IsIP(in.Rec.Target.Host) {
		f.Fix = append(f.Fix, Say("Note: the name checked is the SNI you set ("+in.Rec.Target.SNI+")."))
	}
	return []Finding{f}
}

// hostnameClients is what each client says when leaf does not cover name,
// by each client's own matching rules (measured: shared/client-errors.md):
// Go prints x509.HostnameError; Java's HostnameChecker, OpenSSL's
// X509_check_host (openssl s_client -verify_hostname, Python) fall back to
// the CN for a DNS name when the certificate has no DNS SAN, and never for
// an IP; curl falls back to the CN only when there is no SAN at all.
func hostnameClients(leaf *x509.Certificate, name string) []ClientVerdict {
	isIP := net.ParseIP(name) != nil
	hasSAN := false
	for _, e := range leaf.Extensions {
		if e.Id.Equal(oidSubjectAltName) {
			hasSAN = true
		}
	}
	cnFallback := !isIP && len(leaf.DNSNames) == 0 && cnMatches(leaf, name)
	const viaCN = "falls back to the CN and connects"
	var out []ClientVerdict

	java := ClientVerdict{Client: "java", Fails: true}
	switch {
	case isIP && !hasSAN:
		java.Message = "javax.net.ssl.SSLHandshakeException: No subject alternative names present"
	case isIP:
		java.Message = "javax.net.ssl.SSLHandshakeException: No subject alternative names matching IP address " + name + " found"
	case len(leaf.DNSNames) > 0:
		java.Message = "javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching " + name + " found."
	case cnFallback:
		java = ClientVerdict{Client: "java", Message: viaCN}
	default:
		java.Message = "javax.net.ssl.SSLHandshakeException: No name matching " + name + " found"
	}
	out = append(out, java)

	curl := ClientVerdict{Client: "curl", Fails: true, Message: "curl: (60) SSL: no alternative certificate subject name matches target host name '" + name + "'"}
	if !hasSAN {
		curl.Message = "curl: (60) SSL: certificate subject name '" + leaf.Subject.CommonName + "' does not match target host name '" + name + "'"
	}
	out = append(out, curl)

	if cnFallback {
		out = append(out, ClientVerdict{Client: "openssl", Message: viaCN})
	} else {
		out = append(out, ClientVerdict{Client: "openssl", Fails: true, Message: "Verification error: hostname mismatch (verify error:num=62)"})
	}

	gv := ClientVerdict{Client: "go"}
	if err := leaf.VerifyHostname(name); err != nil {
		gv.Fails, gv.Message = true, "tls: failed to verify certificate: "+err.Error()
	}
	out = append(out, gv)

	switch {
	case cnFallback:
		out = append(out, ClientVerdict{Client: "python", Message: viaCN})
	case isIP:
		out = append(out, ClientVerdict{Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, certificate is not valid for '" + name + "'."})
	default:
		out = append(out, ClientVerdict{Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for '" + name + "'."})
	}
	return out
}

// cnMatches reports whether the leaf's CN, read as a DNS name, covers name.
func cnMatches(leaf *x509.Certificate, name string) bool {
	cn := leaf.Subject.CommonName
	if cn == "" || net.ParseIP(name) != nil {
		return false
	}
	return (&x509.Certificate{DNSNames: []string{cn}}).VerifyHostname(name) == nil
}

func nameSource(in *Input) string {
	switch {
	case in.Env.Name != "":
		return ""
	case in.Rec.Target.SNI != "" && in.Rec.Target.SNI != in.Rec.Target.Host:
		return " (the SNI sent)"
	}
	return ""
}

func coveredNames(c *x509.Certificate) []string {
	out := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, "IP:"+ip.String())
	}
	return out
}

func ago(days int) string {
	switch days {
	case 0:
		return "today"
	case 1:
		return "1 day ago"
	}
	return fmt.Sprintf("%d days ago", days)
}

func human(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// alias makes a keytool alias from a certificate's name.
func alias(c *x509.Certificate) string { return aliasName(Name(c)) }

func aliasName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		case r == ' ' || r == '_':
			b.WriteByte('-')
		}
	}
	// A leading "-" would make the alias an option of keytool.
	if a := strings.TrimLeft(b.String(), "-."); a != "" {
		return a
	}
	return "server"
}

// httpsURL is the URL a user would give curl for the target: the name
// checked, the port when not 443, and the path.
func httpsURL(in *Input) string {
	host := in.ExpectedName()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := in.Rec.Target.Port; p != 0 && p != 443 {
		host += fmt.Sprintf(":%d", p)
	}
	path := in.Rec.Target.Path
	if path == "" {
		path = "/"
	}
	return "https://" + host + path
}

// chainFix is how to make the server send its full chain: build the chain
// file (tlsdoctor writes it when it could fetch what is missing), then
// configure it in nginx, Apache or a Java keystore.
func chainFix(in *Input, tr *TrustResult) []Step {
	steps := []Step{Say("Fix the server, not the clients: configure the full chain, leaf first, then each intermediate in order.")}
	if _, err := FixBundle(in); err == nil {
		steps = append(steps, Say("Write that chain (PEM, the fetched intermediate included) to fullchain.pem:"), rerun(in, "--fix-bundle fullchain.pem"))
	} else {
		steps = append(steps,
			Say(fmt.Sprintf("Get the intermediate %q (the issuer named above) from your CA's download page or the bundle it sent with the certificate, save it as intermediate.crt (PEM), and put it after your certificate, server.crt:", tr.End().Issuer.String())),
			Cmd("cat", "cat server.crt intermediate.crt > fullchain.pem"))
	}
	return append(steps,
		Set("nginx", "ssl_certificate /etc/nginx/fullchain.pem;\nssl_certificate_key /etc/nginx/server.key;"),
		Set("apache", "SSLCertificateFile /etc/apache2/fullchain.pem\nSSLCertificateKeyFile /etc/apache2/server.key"),
		Say("Java, Tomcat, Spring Boot: build a keystore whose key entry holds the whole chain (openssl asks for an export password):"),
		Cmd("openssl", "openssl pkcs12 -export -in fullchain.pem -inkey server.key -name server -out server.p12"),
		Set("spring", "server.ssl.key-store=file:server.p12\nserver.ssl.key-store-type=PKCS12\nserver.ssl.key-store-password=PASSWORD\nserver.ssl.key-alias=server"),
		Set("tomcat", `<Certificate certificateKeystoreFile="conf/server.p12" certificateKeystoreType="PKCS12" certificateKeystorePassword="PASSWORD"/>`),
		Say("Reload the server, then check what it sends:"),
		rerun(in))
}

// expiredAnchorFix is for an expired trust anchor: the client's store,
// not the server, must change.
func expiredAnchorFix(in *Input, c *x509.Certificate) []Step {
	ts := primaryStore(in)
	steps := []Step{Say(fmt.Sprintf("The expired %q is the trust anchor %s holds, not something the server sends: replace it there with the CA's current root (get it from the CA as newroot.pem), or have the server send a chain that leads to a current root.", Name(c), orNone(ts.Name)))}
	if _, ok := keystoreFormat(ts); ok && ts.Path != "" {
		steps = append(steps,
			Say("Java: find the expired entry's alias in the list, delete it (keytool -delete -alias ALIAS), then import the current root:"),
			command("keytool", "keytool -list -v -keystore", fileArg(ts.Path)),
			command("keytool", "keytool -importcert -trustcacerts -alias", alias(c)+"-current", "-file newroot.pem -keystore", fileArg(ts.Path)))
	}
	return steps
}

// downloadSteps fetch the certificate at u (an AIA caIssuers URL, whose
// body was in format) into base.pem.
func downloadSteps(u, format, base string) []Step {
	switch format {
	case "pem":
		return []Step{Say("Download it from the URL the certificate names (PEM):"), command("curl", "curl -fsS -o "+base+".pem", urlArg(u))}
	case "pkcs7":
		return []Step{
			Say("Download it from the URL the certificate names (a PKCS#7 bundle, DER) and convert it to PEM:"),
			command("curl", "curl -fsS -o "+base+".p7c", urlArg(u)),
			Cmd("openssl", "openssl pkcs7 -inform DER -in "+base+".p7c -print_certs -out "+base+".pem"),
		}
	}
	return []Step{
		Say("Download it from the URL the certificate names (DER) and convert it to PEM:"),
		command("curl", "curl -fsS -o "+base+".der", urlArg(u)),
		Cmd("openssl", "openssl x509 -inform DER -in "+base+".der -out "+base+".pem"),
	}
}

// sanRequestSteps make a certificate request (for server.key) whose
// subjectAltName holds names ("IP:" marks an IP address), and sign it with
// one's own CA. A name that cannot be a DNS name or an IP address is left
// out, and the steps say so.
func sanRequestSteps(names []string) []Step { return requestSteps(names, "") }

// requestSteps are sanRequestSteps for the existing server.key when
// newKey is empty, else for a new key made with the openssl req options
// newKey ("-newkey rsa:3072").
func requestSteps(names []string, newKey string) []Step {
	var sans []string
	bad := 0
	for _, n := range names {
		var san string
		switch ip := strings.TrimPrefix(n, "IP:"); {
		case net.ParseIP(ip) != nil:
			san = "IP:" + ip
		case ValidDNSName(n):
			san = "DNS:" + n
		default:
			bad++
			continue
		}
		if !slices.Contains(sans, san) {
			sans = append(sans, san)
		}
	}
	var steps []Step
	if bad > 0 {
		steps = append(steps, Say(fmt.Sprintf("tlsdoctor left out %d name(s) that contain characters that cannot appear in a DNS name (see invalid-name-characters).", bad)))
	}
	if len(sans) == 0 {
		return append(steps, Say(refusedValue))
	}
	_, cn, _ := strings.Cut(sans[0], ":")
	intro, key := "Make a certificate request for your key, server.key, with the names in subjectAltName (OpenSSL 1.1.1 and later):", "-key server.key"
	if newKey != "" {
		intro, key = "Make a new key, server.key, and a certificate request with the names in subjectAltName (OpenSSL 1.1.1 and later):", newKey+" -nodes -keyout server.key"
	}
	return append(steps,
		Say(intro),
		command("openssl", "openssl req -new", key, "-subj", wordArg("/CN="+cn), "-addext", wordArg("subjectAltName="+strings.Join(sans, ",")), "-out server.csr"),
		Say("Submit server.csr to your CA, which must copy the subjectAltName into the certificate. With your own CA (ca.crt, ca.key; OpenSSL 3), sign it keeping the request's extensions:"),
		Cmd("openssl", "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -copy_extensions copy -days 365 -out server.crt"))
}

// clockSteps check a machine's clock, after the sentence that says why.
func clockSteps(why string) []Step {
	return []Step{Say(why), Cmd("timedatectl", "timedatectl status"), Cmd("date", "date -u")}
}
