package checks

// TLS interception: a proxy or firewall that decrypts TLS and re-signs
// the server's certificate with its own CA. Two signals: the chain names
// a known inspection appliance (InspectionCAs), and, when the run went
// through a proxy, the certificate seen through it differs from the one
// the server presents directly (Record.DirectCheck).

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// InspectionCA describes how the certificates of a TLS-inspection
// appliance (a proxy or firewall that decrypts traffic and re-signs every
// server certificate with its own CA) can be recognised: words that
// appear in the issuing CA's name. The list is data, with the source of
// each entry; a match only makes interception likely (a company may name
// its own CA anything), so the finding says "suspected".
type InspectionCA struct {
	// Vendor names the product.
	Vendor string
	// Terms are matched, case-insensitively, against the organization and
	// common name of every issuer and CA subject on the chain.
	Terms []string
	// Source is where the naming comes from.
	Source string
}

// InspectionCAs returns the known inspection appliances, in a fixed order.
func InspectionCAs() []InspectionCA {
	return []InspectionCA{
		{"Zscaler", []string{"zscaler"},
			"https://help.zscaler.com/unified/choosing-ca-certificate-ssl-inspection (the issuer DN is set to the Zscaler intermediate, \"Zscaler Intermediate Root CA\", under \"Zscaler Root CA\")"},
		{"Netskope", []string{"netskope", "goskope"},
			"https://docs.netskope.com/en/certificates/ (certificates for SSL/TLS decryption, issued by the tenant's Netskope CA)"},
		{"Palo Alto Networks (SSL Forward Proxy)", []string{"palo alto networks", "forward trust", "forward-trust"},
			"PAN-OS administrator's guide, Decryption: the \"Forward Trust\" CA certificate re-signs decrypted sites"},
		{"Fortinet FortiGate (deep inspection)", []string{"fortigate ca", "fortinet_ca_ssl", "fortinet_ca_sslproxy", "o=fortinet"},
			"https://community.fortinet.com/t5/FortiCache/How-to-Regenerate-the-Fortinet-CA-SSLProxy-CA-certificate-used/ta-p/198478 (default CA \"Fortinet_CA_SSL\": CN = FortiGate CA, O = Fortinet)"},
		{"Blue Coat / Symantec ProxySG (SSL Proxy)", []string{"blue coat", "bluecoat", "proxysg"},
			"Blue Coat SSL Proxy Deployment Guide (SGOS): the ProxySG re-signs intercepted certificates with its own CA"},
		{"Cisco Umbrella (HTTPS inspection)", []string{"cisco umbrella", "opendns"},
			"https://docs.umbrella.com/umbrella-user-guide/docs/add-customer-ca-signed-root-certificate (by default every identity uses the Cisco Umbrella root certificate)"},
		{"Cisco Secure Access / Cloud Web Security", []string{"cisco secure access", "scancenter", "cloud web security"},
			"https://docs.sse.cisco.com/sse-user-guide/docs/certificates-for-internet-decryption"},
		{"mitmproxy", []string{"mitmproxy"}, "https://docs.mitmproxy.org/stable/concepts-certificates/ (CA \"mitmproxy\")"},
		{"Burp Suite", []string{"portswigger"}, "Burp Suite's CA is \"PortSwigger CA\""},
		{"a corporate SSL-inspection CA", []string{"ssl inspection", "tls inspection", "ssl-inspection", "inspection ca", "decryption ca", "ssl decrypt", "interception"},
			"generic: corporate CAs made for inspection are usually named for it"},
	}
}

// inspectionMatch is the appliance a certificate's issuer (or, for a CA,
// its own subject) names, or nil.
func inspectionMatch(c *x509.Certificate) (*InspectionCA, string) {
	var names []string
	for _, n := range append(append([]string{c.Issuer.CommonName}, c.Issuer.Organization...), c.Issuer.OrganizationalUnit...) {
		names = append(names, n)
	}
	if c.IsCA {
		names = append(names, c.Subject.CommonName)
		names = append(names, c.Subject.Organization...)
	}
	for _, ca := range InspectionCAs() {
		for _, n := range names {
			ln := strings.ToLower(n)
			for _, t := range ca.Terms {
				if strings.HasPrefix(t, "o=") {
					if ln == strings.TrimPrefix(t, "o=") {
						return &ca, n
					}
					continue
				}
				if strings.Contains(ln, t) {
					return &ca, n
				}
			}
		}
	}
	return nil, ""
}

// pathComparison is what the proxied and the direct path showed.
type pathComparison struct {
	proxy, direct *probe.Attempt
	// compared is true when both paths brought a chain; differs when their
	// leaves differ and are issued by different CAs (another leaf from the
	// same CA is another backend or a renewal, not interception).
	compared, differs bool
}

func comparePaths(in *Input) pathComparison {
	pc := pathComparison{proxy: in.Rec.Primary(), direct: in.Rec.DirectCheck}
	p, d := pc.proxy, pc.direct
	if p == nil || d == nil || p.Dial == nil || p.Dial.Proxy == nil || len(p.Certificates) == 0 || len(d.Certificates) == 0 {
		return pc
	}
	pl, dl := parse(p), parse(d)
	if pl == nil || dl == nil {
		return pc
	}
	pc.compared = true
	pc.differs = !bytes.Equal(pl.Raw, dl.Raw) && !bytes.Equal(pl.RawIssuer, dl.RawIssuer)
	return pc
}

// pathChainEvidence lists a chain, one certificate a line, each named by
// the path it came by.
func pathChainEvidence(path string, a *probe.Attempt) []string {
	var out []string
	for i, c := range parseAll(a) {
		out = append(out, fmt.Sprintf("%s #%d: %s", path, i, Describe(c)))
	}
	return out
}

// tlsInterceptionSuspected reports a chain that names a TLS-inspection
// appliance, or that differs, through the proxy, from the one the server
// presents directly.
func tlsInterceptionSuspected(in *Input) []Finding {
	var ca *InspectionCA
	var matched string
	var matchedCert *x509.Certificate
	for _, c := range in.Chain {
		if ca, matched = inspectionMatch(c); ca != nil {
			matchedCert = c
			break
		}
	}
	pc := comparePaths(in)
	if ca == nil && !pc.differs {
		return nil
	}
	name := in.ExpectedName()
	via := "directly"
	proxy := ""
	if ci := in.Rec.Connection; ci != nil && ci.Proxy != nil {
		proxy = ci.Proxy.Address
		via = "through the proxy " + proxy
	}
	f := Finding{}
	if pc.differs {
		pl, dl := parse(pc.proxy), parse(pc.direct)
		f.Title = fmt.Sprintf("TLS interception suspected: through the proxy %s the certificate for %s is issued by %q, directly by %q", proxy, name, pl.Issuer.String(), dl.Issuer.String())
		f.Detail = fmt.Sprintf("Through the proxy %s the server's certificate is issued by %q; connecting directly (to %s), the server presents one issued by %q. "+
			"The proxy terminates TLS and re-signs the server's certificate with its own CA. ", proxy, pl.Issuer.String(), pc.direct.Address, dl.Issuer.String())
		if ca != nil {
			f.Detail += fmt.Sprintf("%q is also how %s names its CA. ", matched, ca.Vendor)
		}
		f.Evidence = append(pathChainEvidence("through the proxy "+proxy, pc.proxy), pathChainEvidence("directly ("+pc.direct.Address+")", pc.direct)...)
	} else {
		f.Title = fmt.Sprintf("TLS interception suspected: the certificate for %s is issued by %q (%s)", name, matched, ca.Vendor)
		f.Detail = fmt.Sprintf("Reached %s, the server's certificate chain names %q, which is how %s re-signs the certificates of the sites it decrypts. ", via, matched, ca.Vendor)
		f.Evidence = []string{"certificate: " + Describe(matchedCert)}
		switch d := pc.direct; {
		case pc.compared:
			f.Detail += "Connecting directly shows the same certificate, so the proxy does not re-sign it: the server's own CA carries this name, or the interception is on both paths. "
			f.Evidence = append(f.Evidence, "directly ("+d.Address+"): the same certificate")
		case d != nil && d.Error != nil:
			f.Evidence = append(f.Evidence, "directly: "+string(d.Error.Kind)+": "+errText(d.Error)+" (no second path to compare)")
		}
	}
	if ca != nil {
		f.Evidence = append(f.Evidence, "matched: "+ca.Vendor+" ("+ca.Source+")")
	}
	f.Detail += "Clients that trust the inspection CA connect; the others fail as for any unknown root: Java with \"PKIX path building failed\", curl, OpenSSL and Python with \"self-signed certificate in certificate chain\" when the proxy sends its CA, else \"unable to get local issuer certificate\". " +
		"IT usually installs that CA in the operating system's store, which Java (its own cacerts) and Python's requests (certifi) do not read."
	for i := range in.Env.Truststores {
		tr := in.Trust(i)
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s: %s", tr.Store.Name, tr.Verdict))
	}
	f.Fix = interceptionFix(in)
	// Measured through Squid ssl-bump and an in-process intercepting
	// proxy whose CA the client lacks: the clients fail as for any
	// untrusted root, sent in the chain or not (client-errors.md).
	if tr := in.Trust(0); tr != nil && tr.Verdict == UntrustedRoot {
		if top := tr.End(); top != nil && isSelfSigned(top) && containsCert(in.Chain, top) {
			f.Clients = clients("untrusted-root-sent")
		} else {
			f.Clients = clients("untrusted-root")
		}
	}
	return []Finding{f}
}

// inspectionIssuer is the CA certificate the proxied chain carries for
// its leaf's issuer, or nil.
func inspectionIssuer(in *Input) *x509.Certificate {
	if len(in.Chain) == 0 {
		return nil
	}
	for _, c := range in.Chain[1:] {
		if bytes.Equal(c.RawSubject, in.Chain[0].RawIssuer) {
			return c
		}
	}
	return nil
}

func interceptionFix(in *Input) []Step {
	steps := []Step{Say("If the interception is expected (a company proxy), trust its CA in each client; get the CA certificate from IT (it is in the system store of managed machines) as inspection-ca.pem. Else, ask why the traffic is intercepted.")}
	var px *dial.ProxyInfo
	if ci := in.Rec.Connection; ci != nil {
		px = ci.Proxy
	}
	if ic := inspectionIssuer(in); ic != nil && px != nil && px.Scheme == "http" {
		steps = append(steps,
			Say("The proxy sends it after its certificate for the server: the last block this prints, saved as inspection-ca.pem:"),
			command("openssl", append(append([]any{"openssl s_client -proxy", arg{px.Address, ValidHostName(hostOnly(px.Address))}, "-connect", connectArg(in)}, sniWords(in)...), "-showcerts </dev/null")...))
		steps = append(steps, fingerprintSteps("inspection-ca.pem", Fingerprint(ic))...)
	}
	steps = append(steps,
		Say("Java: import it into the truststore the JVM really uses: its own cacerts, with the keytool of the JDK the application runs on, as the JDK's owner (keytool asks for the store password, changeit unless it was changed, and to confirm); on Java 8, -keystore $JAVA_HOME/jre/lib/security/cacerts instead of -cacerts. When the application sets javax.net.ssl.trustStore, import into that file instead:"),
		Cmd("keytool", "keytool -importcert -trustcacerts -cacerts -alias inspection-ca -file inspection-ca.pem"),
	)
	for _, ts := range in.Env.Truststores {
		if _, ok := keystoreFormat(ts); ok && ts.Path != "" {
			steps = append(steps, command("keytool", "keytool -importcert -trustcacerts -alias inspection-ca -file inspection-ca.pem -keystore", fileArg(ts.Path)))
			break
		}
	}
	curl := []any{"curl", "--cacert", "inspection-ca.pem"}
	if px != nil && px.Source == "--proxy" {
		scheme := px.Scheme
		if scheme == "socks5" {
			scheme = "socks5h"
		}
		curl = append(curl, "--proxy", urlArgAny(scheme+"://"+px.Address))
	}
	steps = append(steps,
		Say("curl and OpenSSL: add it to the system store (Debian/Ubuntu, as root), or name it per call:"),
		Cmd("cp", "cp inspection-ca.pem /usr/local/share/ca-certificates/inspection-ca.crt"),
		Cmd("update-ca-certificates", "update-ca-certificates"),
		command("curl", append(curl, curlWords(in)...)...),
		Say("Python: requests uses certifi's bundle, not the system store; point it at the system bundle once the CA is in it:"),
		Cmd("sh", "export REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"),
	)
	return steps
}

// urlArgAny is a proxy URL (http, https, socks5 or socks5h) for a
// command line.
func urlArgAny(s string) arg {
	for _, scheme := range []string{"socks5h://", "socks5://"} {
		if rest, ok := strings.CutPrefix(s, scheme); ok {
			return arg{s, ValidHostName(hostOnly(rest)) && printableWord(rest) && !strings.ContainsAny(rest, " /@'\"\\")}
		}
	}
	return urlArg(s)
}
