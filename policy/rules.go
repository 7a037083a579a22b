package policy

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

func parseVersion(s string) uint16 {
	v := strings.ToLower(strings.ReplaceAll(s, " ", ""))
	v = strings.TrimPrefix(strings.TrimPrefix(v, "tlsv"), "tls")
	switch v {
	case "1.0", "1":
		return 0x0301
	case "1.1":
		return 0x0302
	case "1.2":
		return 0x0303
	case "1.3":
		return 0x0304
	}
	return 0
}

// suiteMatch matches suites by name or by class.
type suiteMatch struct {
	label string
	match func(ciphersuite.Info) bool
}

// suiteClasses are the classes forbidden_suites accepts besides names.
var suiteClasses = []struct {
	name, desc string
	match      func(ciphersuite.Info) bool
}{
	{"cbc", "CBC-mode ciphers", ciphersuite.Info.CBC},
	{"rsa-kex", "RSA key exchange (no forward secrecy)", func(i ciphersuite.Info) bool { return i.KeyExchange == "RSA" }},
	{"no-fs", "key exchange without forward secrecy (RSA, static DH/ECDH)", func(i ciphersuite.Info) bool {
		return slices.Contains([]string{"RSA", "DH", "ECDH", "PSK"}, i.KeyExchange)
	}},
	{"dhe", "finite-field DHE key exchange", func(i ciphersuite.Info) bool { return i.KeyExchange == "DHE" }},
	{"3des", "3DES (Sweet32)", func(i ciphersuite.Info) bool { return strings.Contains(i.Cipher, "3DES") }},
	{"des", "single DES", func(i ciphersuite.Info) bool {
		return strings.HasPrefix(i.Cipher, "DES") || strings.HasPrefix(i.Cipher, "DES40")
	}},
	{"rc4", "RC4", func(i ciphersuite.Info) bool { return strings.HasPrefix(i.Cipher, "RC4") }},
	{"null", "no encryption", func(i ciphersuite.Info) bool { return i.Cipher == "NULL" }},
	{"export", "EXPORT suites", func(i ciphersuite.Info) bool { return i.Export }},
	{"anon", "anonymous (unauthenticated) suites", func(i ciphersuite.Info) bool { return i.Auth == "anon" }},
	{"sha1", "SHA-1 MAC (HMAC-SHA1)", func(i ciphersuite.Info) bool { return i.MAC == "SHA" }},
	{"md5", "MD5 MAC", func(i ciphersuite.Info) bool { return i.MAC == "MD5" }},
}

func suiteClassNames() []string {
	var out []string
	for _, c := range suiteClasses {
		out = append(out, c.name)
	}
	return out
}

func parseSuite(s string) (suiteMatch, bool) {
	for _, c := range suiteClasses {
		if strings.EqualFold(s, c.name) {
			return suiteMatch{label: c.name + " (" + c.desc + ")", match: c.match}, true
		}
	}
	info, ok := ciphersuite.ByName(s)
	if !ok {
		return suiteMatch{}, false
	}
	return suiteMatch{label: info.Name, match: func(i ciphersuite.Info) bool { return i.ID == info.ID }}, true
}

// issuerMatch is a required_issuer: a DN, or an SPKI SHA-256.
type issuerMatch struct {
	dn   string
	spki []byte
}

func parseIssuer(s string) (issuerMatch, bool) {
	h := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "sha256:"), "sha256/"))
	h = strings.ReplaceAll(h, ":", "")
	if b, err := hex.DecodeString(h); err == nil && len(b) == sha256.Size {
		return issuerMatch{spki: b}, true
	}
	dn := normalizeDN(s)
	for _, part := range strings.Split(dn, ",") {
		k, v, _ := strings.Cut(part, "=")
		if k == "" || v == "" || strings.ContainsAny(k, " ") {
			return issuerMatch{}, false
		}
	}
	return issuerMatch{dn: dn}, true
}

// normalizeDN makes "CN=Example CA, O=Example" and the OpenSSL form
// "/O=Example/CN=Example CA" compare equal to Go's "CN=Example CA,O=Example".
func normalizeDN(s string) string {
	s = strings.TrimSpace(s)
	var parts []string
	if strings.HasPrefix(s, "/") {
		ps := strings.Split(strings.Trim(s, "/"), "/")
		slices.Reverse(ps)
		parts = ps
	} else {
		parts = strings.Split(s, ",")
	}
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		parts[i] = strings.ToUpper(strings.TrimSpace(k)) + "=" + strings.ToLower(strings.TrimSpace(v))
	}
	return strings.Join(parts, ",")
}

func (m issuerMatch) matches(c *x509.Certificate) bool {
	if m.spki != nil {
		sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
		return slices.Equal(sum[:], m.spki)
	}
	return normalizeDN(c.Subject.String()) == m.dn
}

// Check judges the record against every rule and returns one
// policy-violation finding per broken rule. findings are the checks'
// findings for the same record (mozilla_profile reports what
// policy-deviation found).
func (p *Policy) Check(in *checks.Input, findings []checks.Finding) []checks.Finding {
	if p == nil || in.Leaf() == nil {
		return nil // nothing to judge: the connection failed, a check says why
	}
	var out []checks.Finding
	for _, r := range p.Rules {
		if f := p.check(r, in, findings); f != nil {
			f.ID, f.Rule = ViolationID, r.Name
			if f.Severity == 0 {
				f.Severity = checks.Error
			}
			f.Evidence = append(f.Evidence, fmt.Sprintf("rule %s: %s (%s)", r.Name, r.Text, r.where(p.Path)))
			out = append(out, *f)
		}
	}
	return out
}

func (p *Policy) check(r Rule, in *checks.Input, findings []checks.Finding) *checks.Finding {
	where := r.where(p.Path)
	title := func(format string, a ...any) string { return "policy " + r.Name + ": " + fmt.Sprintf(format, a...) }
	sc := in.Rec.Scan
	noScan := func() *checks.Finding {
		return &checks.Finding{Severity: checks.Warning, Title: title("not checked: the record has no --scan"),
			Detail: "This rule judges the versions or suites the server accepts, which only --scan enumerates; tlsdoctor turns the scan on for a live run with this policy, but this record was made without one.",
			Fix:    []checks.Step{checks.Cmd("tlsdoctor", "tlsdoctor "+checks.ShellQuote(in.Rec.Target.Input)+" --scan --policy-file "+checks.ShellQuote(p.Path))}}
	}
	switch r.Name {
	case "min_tls_version":
		if sc == nil {
			return noScan()
		}
		var below []string
		for _, v := range sc.Versions {
			if v.Supported && v.VersionID < r.version {
				below = append(below, v.Version)
			}
		}
		if len(below) == 0 {
			return nil
		}
		keep := []string{}
		for _, v := range []uint16{0x0303, 0x0304} {
			if v >= r.version {
				keep = append(keep, strings.ReplaceAll(probe.VersionName(v), "TLS ", "TLSv"))
			}
		}
		return &checks.Finding{Title: title("the server accepts %s, below %s", strings.Join(below, ", "), probe.VersionName(r.version)),
			Detail:   fmt.Sprintf("The policy (%s) requires at least %s; the scan saw the server accept %s.", where, probe.VersionName(r.version), strings.Join(below, ", ")),
			Evidence: []string{"versions accepted below the minimum: " + strings.Join(below, ", ")},
			Fix: []checks.Step{checks.Say("Disable the older versions on the server, for example:"),
				checks.Set("nginx", "ssl_protocols "+strings.Join(keep, " ")+";"),
				checks.Set("apache", "SSLProtocol -all "+strings.Join(prefixAll("+", keep), " "))}}
	case "forbidden_suites":
		if sc == nil {
			return noScan()
		}
		var hits, allowed []string
		for _, v := range sc.Versions {
			for _, su := range v.Suites {
				info := ciphersuite.Lookup(su.ID)
				forbidden := false
				for _, m := range r.suites {
					if m.match(info) {
						hits = append(hits, fmt.Sprintf("%s: %s (%s)", v.Version, info.Name, m.label))
						forbidden = true
						break
					}
				}
				if !forbidden && v.VersionID != 0x0304 && info.OpenSSL() != "" && !slices.Contains(allowed, info.OpenSSL()) {
					allowed = append(allowed, info.OpenSSL())
				}
			}
		}
		if len(hits) == 0 {
			return nil
		}
		f := &checks.Finding{Title: title("the server accepts %d forbidden suite(s)", len(hits)),
			Detail:   fmt.Sprintf("The policy (%s) forbids %s; the scan saw the server accept them.", where, r.Text),
			Evidence: hits,
			Fix:      []checks.Step{checks.Say("Remove the forbidden suites from the server's cipher list.")}}
		if len(allowed) > 0 {
			f.Fix = append(f.Fix, checks.Say("Keeping only the TLS 1.2 suites it accepts that the policy allows:"), checks.Set("nginx", "ssl_ciphers "+strings.Join(allowed, ":")+";"))
		}
		return f
	case "min_days_to_expiry", "min_days_to_expiry_leaf":
		certs := path(in)
		if r.Name == "min_days_to_expiry_leaf" {
			certs = certs[:1]
		}
		return expiryViolation(r, certs, in, where, title, "server")
	case "min_days_to_expiry_client":
		ci := in.Rec.ClientIdentity
		if ci == nil {
			return nil // no client certificate was given: nothing to judge
		}
		var certs []*x509.Certificate
		for _, c := range ci.Certificates {
			if cert, err := x509.ParseCertificate(c.DER); err == nil {
				certs = append(certs, cert)
			}
		}
		return expiryViolation(r, certs, in, where, title, "client")
	case "required_issuer":
		certs := path(in)
		for _, s := range r.strs {
			m, _ := parseIssuer(s)
			for _, c := range certs[1:] {
				if m.matches(c) {
					return nil
				}
			}
			// The root may be in the store, not on the path as sent.
			if tr := in.Trust(0); tr != nil && tr.Anchor != nil && m.matches(tr.Anchor) {
				return nil
			}
		}
		var names []string
		for _, c := range certs[1:] {
			sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
			names = append(names, fmt.Sprintf("%s (SPKI SHA-256 %x)", c.Subject, sum))
		}
		if len(names) == 0 {
			names = []string{"no issuer certificate on the path (issuer named in the leaf: " + in.Leaf().Issuer.String() + ")"}
		}
		return &checks.Finding{Title: title("no certificate on the path is %s", strings.Join(r.strs, " or ")),
			Detail:   fmt.Sprintf("The policy (%s) requires the certificate to be issued under %s.", where, strings.Join(r.strs, " or ")),
			Evidence: append([]string{"issuers on the path:"}, names...),
			Fix:      []checks.Step{checks.Say("Reissue the server certificate from the required CA, or correct required_issuer if the CA changed on purpose.")}}
	case "required_sans":
		leaf := in.Leaf()
		var missing []string
		for _, n := range r.strs {
			if leaf.VerifyHostname(n) != nil {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		return &checks.Finding{Title: title("the certificate does not cover %s", strings.Join(missing, ", ")),
			Detail:   fmt.Sprintf("The policy (%s) requires the leaf to cover %s.", where, strings.Join(r.strs, ", ")),
			Evidence: []string{"certificate covers: " + strings.Join(append(slices.Clone(leaf.DNSNames), ipStrings(leaf)...), ", ")},
			Fix:      []checks.Step{checks.Say("Reissue the certificate with every required name in subjectAltName (" + strings.Join(prefixAll("DNS:", missing), ",") + ").")}}
	case "require_ocsp_stapling":
		if !r.flag {
			return nil
		}
		for _, a := range in.Rec.Attempts {
			if len(a.Certificates) > 0 {
				if len(a.OCSPStaple) > 0 {
					return nil
				}
				break
			}
		}
		return &checks.Finding{Title: title("the server staples no OCSP response"),
			Detail: fmt.Sprintf("The policy (%s) requires OCSP stapling.", where),
			Fix: []checks.Step{checks.Say("Turn stapling on (the server must reach its CA's OCSP responder):"),
				checks.Set("nginx", "ssl_stapling on;\nssl_stapling_verify on;"), checks.Set("apache", "SSLUseStapling on")}}
	case "max_chain_length":
		if n := len(in.Rec.Chain()); n > r.n {
			return &checks.Finding{Title: title("the server sends %d certificates, more than %d", n, r.n),
				Detail:   fmt.Sprintf("The policy (%s) allows at most %d certificates in the chain the server sends.", where, r.n),
				Evidence: []string{fmt.Sprintf("certificates sent: %d", n)},
				Fix:      []checks.Step{checks.Say("Send the leaf and the intermediates it needs, and nothing else (no root, no left-over intermediates).")}}
		}
	case "mozilla_profile":
		if sc == nil {
			return noScan()
		}
		for _, f := range findings {
			if f.ID == "policy-deviation" && f.Severity >= checks.Warning {
				return &checks.Finding{Title: title("%s", f.Title),
					Detail:   fmt.Sprintf("The policy (%s) requires %s; policy-deviation lists each deviation.", where, r.profile.Name),
					Evidence: f.Evidence,
					Fix:      f.Fix}
			}
		}
	}
	return nil
}

// path is the chain as the first truststore's client builds it (leaf
// first, to the anchor), or the chain as sent when no path was built.
func path(in *checks.Input) []*x509.Certificate {
	if tr := in.Trust(0); tr != nil && len(tr.Path) > 0 {
		return tr.Path
	}
	return in.Chain
}

func expiryViolation(r Rule, certs []*x509.Certificate, in *checks.Input, where string, title func(string, ...any) string, whose string) *checks.Finding {
	var short []string
	first := math.MaxInt
	for _, c := range certs {
		days := int(math.Floor(c.NotAfter.Sub(in.Env.Now).Hours() / 24))
		if days < r.days {
			short = append(short, fmt.Sprintf("%s expires %s (%d days)", checks.Name(c), c.NotAfter.UTC().Format("2006-01-02"), days))
			first = min(first, days)
		}
	}
	if len(short) == 0 {
		return nil
	}
	return &checks.Finding{Title: title("a %s certificate expires in %d days, under %d", whose, first, r.days),
		Detail:   fmt.Sprintf("The policy (%s) requires at least %d days left on every %s certificate it names.", where, r.days, whose),
		Evidence: short,
		Fix:      []checks.Step{checks.Say("Renew the certificate(s) listed and deploy them before the policy's margin runs out.")}}
}

func ipStrings(c *x509.Certificate) []string {
	var out []string
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

func prefixAll(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}
