package checks

import (
	"crypto/x509"
	"fmt"
	"math"
	"net"
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
	name := in.ExpectedName()
	return []Finding{{
		Title: "the server's certificate is self-signed",
		Detail: fmt.Sprintf("The leaf %q signed itself, so no CA vouches for it and %s does not contain it. Every client that verifies certificates refuses it.",
			Name(leaf), tr.Store.Name),
		Evidence: []string{"leaf: " + Describe(leaf), "truststore: " + tr.Store.Name},
		Remediation: "Preferred: replace it with a certificate from a CA your clients trust (your internal CA, or a public CA such as Let's Encrypt: `certbot certonly -d " + name + "`).\n" +
			"To trust this exact certificate deliberately (only if you control the server), save it and import it:\n" +
			"  openssl s_client -connect " + hostPort(in.Rec.Target.ConnectHost, in.Rec.Target.ConnectPort) + " -servername " + name + " </dev/null | openssl x509 -out server.pem\n" +
			"  keytool -importcert -trustcacerts -alias " + alias(leaf) + " -file server.pem -keystore truststore.jks\n" +
			"  curl --cacert server.pem https://" + name + "/",
		Clients: clients("self-signed"),
	}}
}

func chainIncomplete(in *Input) []Finding {
	tr := in.Trust(0)
	if tr == nil || tr.Verdict != MissingIssuer {
		return nil
	}
	top := tr.Top()
	return []Finding{{
		Title: fmt.Sprintf("the server does not send the intermediate certificate %q", top.Issuer.CommonName),
		Detail: fmt.Sprintf("The server sent %d certificate(s); the leaf was issued by %q, which the server did not send and %s does not contain. Browsers usually fill the gap from the AIA URL or their cache, so the site may look fine in a browser while Java, curl, OpenSSL, Go and Python fail.",
			len(in.Chain), top.Issuer.String(), tr.Store.Name),
		Evidence: append(chainEvidence(in.Chain),
			"missing issuer: "+top.Issuer.String()+aiaHint(top)),
		Remediation: "Fix the server, not the clients: configure the full chain (leaf first, then each intermediate) from your CA's bundle.\n" +
			"  nginx: `ssl_certificate` must point to a file with the leaf followed by the intermediate(s): `cat server.crt intermediate.crt > fullchain.pem`\n" +
			"  Apache 2.4.8+: the same full chain in `SSLCertificateFile`\n" +
			"  Java/Tomcat/Spring keystore: `openssl pkcs12 -export -in server.crt -inkey server.key -certfile intermediate.crt -out server.p12`",
		Clients: clients("chain-incomplete"),
	}}
}

func aiaHint(c *x509.Certificate) string {
	if len(c.IssuingCertificateURL) == 0 {
		return " (the leaf names no AIA caIssuers URL to download it from)"
	}
	return " (download it from the leaf's AIA caIssuers URL: " + strings.Join(c.IssuingCertificateURL, ", ") + ")"
}

func untrustedRoot(in *Input) []Finding {
	tr := in.Trust(0)
	if tr == nil || tr.Verdict != UntrustedRoot {
		return nil
	}
	top := tr.Top()
	f := Finding{Evidence: chainEvidence(in.Chain)}
	var rootName, fileHint string
	if isSelfSigned(top) {
		rootName = Name(top)
		f.Title = fmt.Sprintf("the chain ends at root %q, which %s does not trust", rootName, tr.Store.Name)
		f.Detail = fmt.Sprintf("The server sent its root %q, but a root is trusted only if it is already in the client's truststore, and %s does not contain it.", top.Subject.String(), tr.Store.Name)
		f.Evidence = append(f.Evidence, "untrusted root: "+Describe(top))
		f.Clients = clients("untrusted-root-sent")
		fileHint = "The root is the last certificate the server sends; save it with:\n" +
			"  openssl s_client -connect " + hostPort(in.Rec.Target.ConnectHost, in.Rec.Target.ConnectPort) + " -servername " + in.ExpectedName() + " -showcerts </dev/null  (copy the last PEM block to root.pem)\n" +
			"and compare its fingerprint with the one above before trusting it."
	} else {
		rootName = top.Issuer.CommonName
		if rootName == "" {
			rootName = top.Issuer.String()
		}
		f.Title = fmt.Sprintf("the chain leads to root %q, which %s does not trust", rootName, tr.Store.Name)
		f.Detail = fmt.Sprintf("The server's chain ends at %q, issued by %q. That issuer is not in %s, so the path cannot reach a trust anchor: the client is missing this (usually private or corporate) root CA.",
			top.Subject.String(), top.Issuer.String(), tr.Store.Name)
		f.Evidence = append(f.Evidence, "missing trust anchor: "+top.Issuer.String()+aiaHint(top))
		f.Clients = clients("untrusted-root")
		fileHint = "Get root.pem from the CA's owner (your PKI team or the partner) and verify its fingerprint with them."
	}
	if same := sameNameDifferentKey(top, tr.Store); same != nil {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s has a CA named %q but with a different key (SHA-256 %s): it may be an old or renewed root", tr.Store.Name, same.Subject.String(), Fingerprint(same)))
	}
	f.Remediation = "Trust the root in the client that fails (not by disabling verification):\n" +
		"  Java:    keytool -importcert -trustcacerts -alias " + aliasName(rootName) + " -file root.pem -keystore truststore.jks\n" +
		"           then run with -Djavax.net.ssl.trustStore=truststore.jks -Djavax.net.ssl.trustStorePassword=...\n" +
		"  Spring:  server.ssl.trust-store=classpath:truststore.jks (or spring.ssl.bundle.jks.<name>.truststore.location)\n" +
		"  MuleSoft: add root.pem to the TLS context's truststore\n" +
		"  curl:    curl --cacert root.pem https://" + in.ExpectedName() + "/\n" +
		"  Debian:  cp root.pem /usr/local/share/ca-certificates/" + aliasName(rootName) + ".crt && update-ca-certificates\n" +
		fileHint
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

func chainEvidence(chain []*x509.Certificate) []string {
	var ev []string
	for i, c := range chain {
		ev = append(ev, fmt.Sprintf("sent #%d (%s): subject %q, issuer %q", i, Role(i, c), c.Subject.String(), c.Issuer.String()))
	}
	return ev
}

// pathCerts are the certificates whose validity matters: the verified path
// against the primary store when there is one, else the sent chain.
func pathCerts(in *Input) []*x509.Certificate {
	if tr := in.Trust(0); tr != nil && tr.Verdict == Trusted {
		return tr.Path
	}
	return in.Chain
}

func certExpired(in *Input) []Finding {
	var out []Finding
	now := in.Env.Now
	for i, c := range pathCerts(in) {
		if !now.After(c.NotAfter) {
			continue
		}
		role := Role(i, c)
		days := int(math.Floor(now.Sub(c.NotAfter).Hours() / 24))
		f := Finding{
			Title:    fmt.Sprintf("the %s certificate %q expired %s", role, Name(c), ago(days)),
			Detail:   fmt.Sprintf("It was valid until %s. Clients refuse an expired certificate anywhere on the path.", c.NotAfter.UTC().Format(time.RFC3339)),
			Evidence: []string{fmt.Sprintf("%s: not after %s (now %s)", role, c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)), role + ": " + Describe(c)},
			Clients: clients("cert-expired", "DATE", c.NotAfter.UTC().Format(javaDate),
				"NOW", now.UTC().Format(time.RFC3339), "LIMIT", c.NotAfter.UTC().Format(time.RFC3339)),
		}
		if i == 0 {
			f.Remediation = "Renew the certificate with your CA and deploy it with its chain; then reload the server (`nginx -s reload`, `systemctl reload apache2`). Check what is served afterwards with `tlsdoctor " + in.Rec.Target.Input + "`."
		} else {
			f.Remediation = fmt.Sprintf("Replace the expired %s %q in the server's chain file with the current one from your CA (its renewed or cross-signed version), keeping the same leaf; then reload the server.", role, Name(c))
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
		role := Role(i, c)
		wait := c.NotBefore.Sub(now)
		f := Finding{
			Title:    fmt.Sprintf("the %s certificate %q is not valid until %s (in %s)", role, Name(c), c.NotBefore.UTC().Format(time.RFC3339), human(wait)),
			Detail:   "Clients refuse a certificate before its notBefore date.",
			Evidence: []string{fmt.Sprintf("%s: not before %s (now %s)", role, c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)), role + ": " + Describe(c)},
			Clients: clients("cert-not-yet-valid", "DATE", c.NotBefore.UTC().Format(javaDate),
				"NOW", now.UTC().Format(time.RFC3339), "LIMIT", c.NotBefore.UTC().Format(time.RFC3339)),
			Remediation: "Deploy the certificate only once it is valid, or ask the CA to reissue it with a current notBefore.",
		}
		if wait < 24*time.Hour {
			f.Detail += " It becomes valid in less than a day: a wrong clock (here or on the client) is the likely cause."
			f.Remediation = "Check the clock of this machine and of the failing client: `timedatectl status` (is NTP synchronized?), `date -u`. " + f.Remediation
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
	if isIP {
		why = append(why, "You connect to an IP address: only an IP SAN (IP:"+name+") matches it; DNS names and the CN never do.")
		f.Clients = clients("hostname-mismatch-ip", "HOST", name, "NAMES", strings.Join(covered, ", "))
	} else {
		f.Clients = clients("hostname-mismatch", "HOST", name, "NAMES", strings.Join(covered, ", "))
		for _, d := range leaf.DNSNames {
			if strings.HasPrefix(d, "*.") && strings.HasSuffix(name, d[1:]) && strings.Count(name, ".") > strings.Count(d, ".") {
				why = append(why, fmt.Sprintf("The wildcard %s covers exactly one label: it matches x%s but not %s.", d, d[1:], name))
			}
			if strings.HasPrefix(d, "*.") && name == d[2:] {
				why = append(why, fmt.Sprintf("The wildcard %s does not cover the bare domain %s.", d, name))
			}
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
	var alt []string
	for i, n := range append([]string{name}, covered...) {
		t := "DNS"
		if net.ParseIP(strings.TrimPrefix(n, "IP:")) != nil {
			t = "IP"
		}
		alt = append(alt, fmt.Sprintf("  %s.%d = %s", t, i+1, strings.TrimPrefix(n, "IP:")))
	}
	f.Remediation = "Connect with a name the certificate covers, or reissue it with " + sanType + ":" + name + " in subjectAltName. In the openssl request config:\n" +
		"  [req_ext]\n  subjectAltName = @alt_names\n  [alt_names]\n" + strings.Join(dedupe(alt), "\n") + "\n" +
		"  openssl req -new -key server.key -out server.csr -config req.cnf -reqexts req_ext"
	if in.Rec.Target.SNI != "" && in.Rec.Target.SNI != in.Rec.Target.Host && !probe.IsIP(in.Rec.Target.Host) {
		f.Remediation += "\nNote: the name checked is the SNI you set (" + in.Rec.Target.SNI + ")."
	}
	return []Finding{f}
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

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		k := s[strings.Index(s, "="):]
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	// Renumber after removing duplicates.
	for i := range out {
		kind := strings.TrimSpace(out[i][:strings.Index(out[i], ".")])
		out[i] = fmt.Sprintf("  %s.%d %s", kind, i+1, out[i][strings.Index(out[i], "="):])
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
	if b.Len() == 0 {
		return "server"
	}
	return b.String()
}
