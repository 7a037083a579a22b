package checks

// invalid-name-characters: names and URLs in the server's certificates (and
// the names of the target itself) that no DNS name or URL may hold. Such a
// name matches no host, and pasted into a command or an openssl config it
// could inject one; the fixes leave it out and this finding says so.

import (
	"fmt"
	"strings"
)

func invalidNameCharacters(in *Input) []Finding {
	var bad []string
	add := func(where, v string) { bad = append(bad, fmt.Sprintf("%s: %q", where, v)) }
	t := in.Rec.Target
	for _, n := range []struct{ where, v string }{{"target host", t.Host}, {"connect host", t.ConnectHost}, {"SNI", t.SNI}} {
		if n.v != "" && !ValidHostName(n.v) {
			add(n.where, n.v)
		}
	}
	for i, c := range in.Chain {
		who := fmt.Sprintf("certificate #%d (%s)", i, Role(i, c))
		for _, d := range c.DNSNames {
			if !ValidDNSName(d) {
				add(who+" subjectAltName DNS", d)
			}
		}
		if i == 0 && c.Subject.CommonName != "" && !printableName(c.Subject.CommonName) {
			add(who+" subject CN", c.Subject.CommonName)
		}
		for _, u := range c.IssuingCertificateURL {
			if !ValidURL(u) {
				add(who+" AIA caIssuers URL", u)
			}
		}
		for _, u := range c.OCSPServer {
			if !ValidURL(u) {
				add(who+" OCSP URL", u)
			}
		}
		for _, u := range c.CRLDistributionPoints {
			if !ValidURL(u) {
				add(who+" CRL URL", u)
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return []Finding{{
		Title: fmt.Sprintf("%d name(s) or URL(s) contain characters that cannot appear in a DNS name or a URL", len(bad)),
		Detail: "A DNS name holds only letters, digits, hyphens and dots (RFC 5280 §4.2.1.6, RFC 1123), and a URL only the characters RFC 3986 allows; the values below hold others (a newline, a space, a quote, \"]\", \"=\", a control character). " +
			"Such a name matches no host, so no client accepts the certificate for it, and pasted into a shell or an openssl config it could run or inject something: a broken or a hostile certificate. " +
			"tlsdoctor leaves these values out of every command and configuration it prints.",
		Evidence: bad,
		Fix: []Step{
			Say("If this is your server, reissue the certificate with valid names and URLs only. If it is not, do not paste anything from this certificate into a shell or a configuration file without reading it first."),
		},
	}}
}

// printableName is a name without control, format or line-breaking
// characters (a CN of a leaf may hold spaces, not those).
func printableName(s string) bool {
	return printableWord(strings.TrimLeft(s, "-")) || s == ""
}
