package checks

import (
	"crypto/x509"
	"strings"
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
