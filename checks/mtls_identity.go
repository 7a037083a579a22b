package checks

// The checks on our own client certificate, whatever the server said:
// validity, extended key usage, key strength.

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"math"
	"strings"
	"time"
)

func hasClientAuthEKU(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true // no EKU extension: any use
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageClientAuth || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

var ekuLabels = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny: "any", x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth",
	x509.ExtKeyUsageCodeSigning: "codeSigning", x509.ExtKeyUsageEmailProtection: "emailProtection",
	x509.ExtKeyUsageTimeStamping: "timeStamping", x509.ExtKeyUsageOCSPSigning: "OCSPSigning",
}

func ekuNames(c *x509.Certificate) string {
	var out []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := ekuLabels[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("EKU(%d)", int(u)))
		}
	}
	for _, o := range c.UnknownExtKeyUsage {
		out = append(out, o.String())
	}
	if len(out) == 0 {
		return "no extendedKeyUsage extension"
	}
	return strings.Join(out, ", ")
}

// clientKeyWeakness says what is weak about a client certificate (its key
// or its signature), or "".
func clientKeyWeakness(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Sprintf("RSA %d bits", n)
		}
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < 256 {
			return fmt.Sprintf("ECDSA %d bits", n)
		}
	}
	switch c.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
		return "signed with " + c.SignatureAlgorithm.String()
	}
	return ""
}

func clientCertExpired(in *Input) []Finding {
	m := in.mtls()
	var out []Finding
	now := in.Env.Now
	for i, c := range m.chain {
		if !now.After(c.NotAfter) {
			continue
		}
		days := int(math.Floor(now.Sub(c.NotAfter).Hours() / 24))
		f := Finding{
			Title:    fmt.Sprintf("our client %s certificate %q expired %s", Role(i, c), Name(c), ago(days)),
			Detail:   fmt.Sprintf("It was valid until %s. Servers refuse an expired client certificate (alert certificate_expired).", c.NotAfter.UTC().Format(time.RFC3339)),
			Evidence: []string{describeClient(i, c), fmt.Sprintf("not after %s, now %s", c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))},
			Fix: []Step{
				Say("Renew it with the CA that issued it (" + c.Issuer.String() + "), then rebuild the client keystore (openssl asks for an export password):"),
				rebuildKeystore(),
				Cmd("keytool", "keytool -importkeystore -srckeystore client.p12 -srcstoretype PKCS12 -destkeystore client.jks -deststoretype JKS"),
			},
		}
		if m.req == nil {
			f.Severity = Warning
			f.Detail += " This server did not ask for a client certificate, so it did not matter here."
		}
		out = append(out, f)
	}
	return out
}

func clientCertNotYetValid(in *Input) []Finding {
	m := in.mtls()
	var out []Finding
	now := in.Env.Now
	for i, c := range m.chain {
		if !now.Before(c.NotBefore) {
			continue
		}
		wait := c.NotBefore.Sub(now)
		f := Finding{
			Title:    fmt.Sprintf("our client %s certificate %q is not valid until %s (in %s)", Role(i, c), Name(c), c.NotBefore.UTC().Format(time.RFC3339), human(wait)),
			Detail:   "Servers refuse a client certificate before its notBefore date.",
			Evidence: []string{describeClient(i, c), fmt.Sprintf("not before %s, now %s", c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))},
			Fix:      []Step{Say("Use it only once it is valid, or have it reissued with a current notBefore.")},
		}
		if wait < 24*time.Hour {
			f.Detail += " It becomes valid in less than a day: a wrong clock is the likely cause."
			f.Fix = append(clockSteps("Check the clocks here and on the server:"), f.Fix...)
		}
		if m.req == nil {
			f.Severity = Warning
		}
		out = append(out, f)
	}
	return out
}

func clientEKUMissing(in *Input) []Finding {
	m := in.mtls()
	if len(m.chain) == 0 {
		return nil
	}
	leaf := m.chain[0]
	var problems []string
	if !hasClientAuthEKU(leaf) {
		problems = append(problems, "extended key usage is "+ekuNames(leaf)+", without clientAuth")
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		problems = append(problems, "key usage lacks digitalSignature, which the client's CertificateVerify needs")
	}
	if len(problems) == 0 {
		return nil
	}
	f := Finding{
		Title:    fmt.Sprintf("our client certificate %q is not valid for TLS client authentication", Name(leaf)),
		Detail:   "The certificate's " + strings.Join(problems, "; and ") + ". Servers that verify purpose (OpenSSL/nginx, Java, Go) refuse it, usually with bad_certificate or unsupported_certificate.",
		Evidence: []string{describeClient(0, leaf), "extended key usage: " + ekuNames(leaf)},
		Fix: []Step{
			Say("Have it reissued for client authentication. With your own CA (ca.crt, ca.key): save this extension section as client-ext.cnf"),
			Set("openssl.cnf", "[client_ext]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth"),
			Say("and sign the request (client.csr) with it:"),
			Cmd("openssl", "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -extfile client-ext.cnf -extensions client_ext -days 365 -out client.crt"),
		},
	}
	if m.req == nil {
		f.Severity = Warning
	}
	return []Finding{f}
}

func clientKeyWeak(in *Input) []Finding {
	m := in.mtls()
	if len(m.chain) == 0 {
		return nil
	}
	w := clientKeyWeakness(m.chain[0])
	if w == "" {
		return nil
	}
	return []Finding{{
		Title:    fmt.Sprintf("our client certificate %q has a weak key or signature (%s)", Name(m.chain[0]), w),
		Detail:   "Servers at OpenSSL security level 2 (the default on current Debian, Ubuntu and RHEL) and Java with default jdk.certpath.disabledAlgorithms refuse RSA keys under 2048 bits and SHA-1 signatures.",
		Evidence: []string{describeClient(0, m.chain[0])},
		Fix: []Step{
			Say("Generate a new key (RSA 3072 here; ECDSA P-256 with -newkey ec -pkeyopt ec_paramgen_curve:P-256) and a request for the same subject, and have it signed with SHA-256:"),
			newClientKeyCmd(m.chain[0].Subject.CommonName),
		},
	}}
}

// subjValue reports whether a CN can go into openssl req -subj "/CN=..."
// as it is: printable, and without the characters -subj treats
// specially.
func subjValue(cn string) bool {
	return printableWord(cn) && !strings.ContainsAny(cn, "/+=\\")
}

// newClientKeyCmd makes a new key and a request for the CN (openssl
// prompts for the subject when the CN cannot go into -subj).
func newClientKeyCmd(cn string) Step {
	if !subjValue(cn) {
		return Cmd("openssl", "openssl req -new -newkey rsa:3072 -nodes -keyout client.key -out client.csr")
	}
	return command("openssl", "openssl req -new -newkey rsa:3072 -nodes -keyout client.key -subj", wordArg("/CN="+cn), "-out client.csr")
}
