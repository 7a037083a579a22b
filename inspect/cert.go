package inspect

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"math"
	"strings"
	"time"
)

// CertInfo is what inspect shows of one certificate, in the terms
// keytool -list -v and openssl x509 -text use.
type CertInfo struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// DaysLeft is whole days until NotAfter (negative once expired).
	DaysLeft    int      `json:"days_left"`
	Expired     bool     `json:"expired"`
	NotYetValid bool     `json:"not_yet_valid"`
	SHA256      string   `json:"sha256"`
	SHA1        string   `json:"sha1"`
	Key         string   `json:"key"`
	Signature   string   `json:"signature"`
	SANs        []string `json:"sans,omitempty"`
	KeyUsage    []string `json:"key_usage,omitempty"`
	ExtKeyUsage []string `json:"ext_key_usage,omitempty"`
	CA          bool     `json:"ca"`
	PathLen     *int     `json:"path_len,omitempty"`
	SelfSigned  bool     `json:"self_signed"`
	// ServesAs is what the certificate may be used for: "server",
	// "client", "CA".
	ServesAs []string `json:"serves_as"`
}

// Describe fills a CertInfo for c at now.
func Describe(c *x509.Certificate, now time.Time) CertInfo {
	ci := CertInfo{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: strings.ToLower(c.SerialNumber.Text(16)),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		DaysLeft: int(math.Floor(c.NotAfter.Sub(now).Hours() / 24)),
		Expired:  now.After(c.NotAfter), NotYetValid: now.Before(c.NotBefore),
		SHA256: SHA256Fingerprint(c), SHA1: SHA1Fingerprint(c),
		Key: PublicKeyDesc(c.PublicKey), Signature: c.SignatureAlgorithm.String(),
		CA: c.BasicConstraintsValid && c.IsCA, SelfSigned: selfSigned(c),
		KeyUsage: keyUsages(c.KeyUsage), ExtKeyUsage: extKeyUsages(c),
		ServesAs: ServesAs(c),
	}
	for _, d := range c.DNSNames {
		ci.SANs = append(ci.SANs, "DNS:"+d)
	}
	for _, ip := range c.IPAddresses {
		ci.SANs = append(ci.SANs, "IP:"+ip.String())
	}
	for _, e := range c.EmailAddresses {
		ci.SANs = append(ci.SANs, "email:"+e)
	}
	for _, u := range c.URIs {
		ci.SANs = append(ci.SANs, "URI:"+u.String())
	}
	if ci.CA && (c.MaxPathLen > 0 || c.MaxPathLenZero) {
		n := c.MaxPathLen
		ci.PathLen = &n
	}
	return ci
}

// SHA256Fingerprint and SHA1Fingerprint are colon hex, upper case, as
// keytool -list prints them.
func SHA256Fingerprint(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return colonHex(s[:])
}

func SHA1Fingerprint(c *x509.Certificate) string {
	s := sha1.Sum(c.Raw)
	return colonHex(s[:])
}

func colonHex(b []byte) string {
	var sb strings.Builder
	for i, x := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		fmt.Fprintf(&sb, "%02X", x)
	}
	return sb.String()
}

func hasEKU(c *x509.Certificate, want x509.ExtKeyUsage) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == want || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

// ServesAs says what c may be used for, as TLS peers check it: a server
// certificate needs serverAuth (or no EKU) and a signing or key
// encipherment key usage (or none); a client certificate clientAuth and
// digitalSignature; a CA basicConstraints CA:TRUE and keyCertSign.
func ServesAs(c *x509.Certificate) []string {
	var out []string
	ku := c.KeyUsage
	isCA := c.BasicConstraintsValid && c.IsCA
	if !isCA || len(c.ExtKeyUsage) > 0 {
		if hasEKU(c, x509.ExtKeyUsageServerAuth) && (ku == 0 || ku&(x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment|x509.KeyUsageKeyAgreement) != 0) && !isCA {
			out = append(out, "server")
		}
		if hasEKU(c, x509.ExtKeyUsageClientAuth) && (ku == 0 || ku&(x509.KeyUsageDigitalSignature|x509.KeyUsageKeyAgreement) != 0) && !isCA {
			out = append(out, "client")
		}
	}
	if isCA && (ku == 0 || ku&x509.KeyUsageCertSign != 0) {
		out = append(out, "CA")
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func servesAs(c *x509.Certificate, role string) bool {
	for _, r := range ServesAs(c) {
		if r == role {
			return true
		}
	}
	return false
}

func keyUsages(ku x509.KeyUsage) []string {
	names := []struct {
		bit  x509.KeyUsage
		name string
	}{
		{x509.KeyUsageDigitalSignature, "digitalSignature"}, {x509.KeyUsageContentCommitment, "nonRepudiation"},
		{x509.KeyUsageKeyEncipherment, "keyEncipherment"}, {x509.KeyUsageDataEncipherment, "dataEncipherment"},
		{x509.KeyUsageKeyAgreement, "keyAgreement"}, {x509.KeyUsageCertSign, "keyCertSign"},
		{x509.KeyUsageCRLSign, "cRLSign"}, {x509.KeyUsageEncipherOnly, "encipherOnly"}, {x509.KeyUsageDecipherOnly, "decipherOnly"},
	}
	var out []string
	for _, n := range names {
		if ku&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func extKeyUsages(c *x509.Certificate) []string {
	var out []string
	for _, u := range c.ExtKeyUsage {
		switch u {
		case x509.ExtKeyUsageServerAuth:
			out = append(out, "serverAuth")
		case x509.ExtKeyUsageClientAuth:
			out = append(out, "clientAuth")
		case x509.ExtKeyUsageCodeSigning:
			out = append(out, "codeSigning")
		case x509.ExtKeyUsageEmailProtection:
			out = append(out, "emailProtection")
		case x509.ExtKeyUsageTimeStamping:
			out = append(out, "timeStamping")
		case x509.ExtKeyUsageOCSPSigning:
			out = append(out, "OCSPSigning")
		case x509.ExtKeyUsageAny:
			out = append(out, "anyExtendedKeyUsage")
		default:
			out = append(out, fmt.Sprintf("EKU(%d)", int(u)))
		}
	}
	for _, u := range c.UnknownExtKeyUsage {
		out = append(out, u.String())
	}
	return out
}

// name is a certificate's CN, else its subject.
func name(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}
