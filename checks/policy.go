package checks

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"fmt"
	"slices"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Policy is one of Mozilla's server-side TLS configurations. The values
// are Mozilla's published guidelines, version 5.7:
// https://ssl-config.mozilla.org/guidelines/5.7.json (explained at
// https://wiki.mozilla.org/Security/Server_Side_TLS).
type Policy struct {
	Name     string
	Versions []uint16
	// Suites are the allowed suites for TLS 1.2 and older, by OpenSSL name
	// ("ciphers.openssl"), and TLS 1.3 suites ("ciphersuites").
	Suites      []string
	TLS13Suites []string
	// Groups are "tls_curves" as IANA group IDs.
	Groups []uint16
	// CertKeys are the allowed "certificate_types"; RSAMinBits is
	// "rsa_key_size"; ECCurves are "certificate_curves".
	CertKeys   []string
	RSAMinBits int
	ECCurves   []string
	// DHMinBits is "dh_param_size"; 0 means DHE is not allowed.
	DHMinBits int
	// MaxLifetimeDays is "maximum_certificate_lifespan".
	MaxLifetimeDays int
}

var policyTLS13 = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
var policyIntermediate = []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305", "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305"}

var policies = []Policy{
	{Name: "mozilla-modern", Versions: []uint16{vTLS13}, TLS13Suites: policyTLS13, Groups: []uint16{29, 23, 24},
		CertKeys: []string{"ecdsa"}, ECCurves: []string{"P-256", "P-384"}, MaxLifetimeDays: 90},
	{Name: "mozilla-intermediate", Versions: []uint16{vTLS12, vTLS13}, Suites: policyIntermediate, TLS13Suites: policyTLS13, Groups: []uint16{29, 23, 24},
		CertKeys: []string{"ecdsa", "rsa"}, RSAMinBits: 2048, ECCurves: []string{"P-256", "P-384"}, DHMinBits: 2048, MaxLifetimeDays: 366},
	{Name: "mozilla-old", Versions: []uint16{vTLS10, vTLS11, vTLS12, vTLS13}, TLS13Suites: policyTLS13, Groups: []uint16{29, 23, 24},
		Suites:   append(slices.Clone(policyIntermediate), "ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA", "DHE-RSA-AES128-SHA256", "DHE-RSA-AES256-SHA256", "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA256", "AES256-SHA256", "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA"),
		CertKeys: []string{"rsa", "ecdsa"}, RSAMinBits: 2048, ECCurves: []string{"P-256", "P-384"}, DHMinBits: 1024, MaxLifetimeDays: 366},
}

// PolicyNames lists the --policy names.
func PolicyNames() []string {
	var out []string
	for _, p := range policies {
		out = append(out, p.Name)
	}
	return out
}

// LookupPolicy finds a policy by name.
func LookupPolicy(name string) (Policy, bool) {
	for _, p := range policies {
		if p.Name == name {
			return p, true
		}
	}
	return Policy{}, false
}

func policyDeviation(in *Input) []Finding {
	p, sc := in.Env.Policy, scanOf(in)
	if p == nil || sc == nil {
		return nil
	}
	var dev []string
	var server []uint16
	for _, v := range supported(sc) {
		server = append(server, v.VersionID)
		if !slices.Contains(p.Versions, v.VersionID) {
			dev = append(dev, "version: "+v.Version+" is enabled; "+p.Name+" allows only "+versionNames(p.Versions))
		}
	}
	for _, v := range p.Versions {
		// A version missing from an incomplete scan may just be unanswered.
		if !slices.Contains(server, v) && !sc.Incomplete {
			dev = append(dev, "version: "+probe.VersionName(v)+" is not enabled; "+p.Name+" expects "+versionNames(p.Versions))
		}
	}
	for _, v := range supported(sc) {
		if !slices.Contains(p.Versions, v.VersionID) {
			continue // already reported as a version
		}
		for _, su := range v.Suites {
			info := ciphersuite.Lookup(su.ID)
			allowed := slices.Contains(p.Suites, info.OpenSSL())
			if v.VersionID == vTLS13 {
				allowed = slices.Contains(p.TLS13Suites, info.Name)
			}
			if !allowed {
				dev = append(dev, fmt.Sprintf("suite: %s accepts %s, not in %s", v.Version, suiteLabel(su.ID), p.Name))
			}
		}
		if v.DHBits > 0 && v.VersionID != vTLS13 {
			switch {
			case p.DHMinBits == 0:
				dev = append(dev, fmt.Sprintf("key exchange: %s uses DHE (%d bits); %s allows only ECDHE", v.Version, v.DHBits, p.Name))
			case v.DHBits < p.DHMinBits:
				dev = append(dev, fmt.Sprintf("key exchange: %s DH parameters are %d bits; %s requires %d", v.Version, v.DHBits, p.Name, p.DHMinBits))
			}
		}
	}
	seen := map[uint16]bool{}
	for _, g := range append(slices.Clone(sc.Groups), sc.GroupsTLS12...) {
		if seen[g.ID] {
			continue
		}
		seen[g.ID] = true
		if slices.Contains([]uint16{4587, 4588, 4589, 512, 513, 514}, g.ID) {
			continue // post-quantum groups postdate guideline 5.7: not a deviation
		}
		if !slices.Contains(p.Groups, g.ID) {
			dev = append(dev, fmt.Sprintf("group: %s is accepted; %s lists %s", g.Name, p.Name, groupNames(p.Groups)))
		}
	}
	if l := in.Leaf(); l != nil {
		switch k := l.PublicKey.(type) {
		case *rsa.PublicKey:
			if !slices.Contains(p.CertKeys, "rsa") {
				dev = append(dev, "certificate: RSA key; "+p.Name+" requires ECDSA ("+strings.Join(p.ECCurves, ", ")+")")
			} else if k.N.BitLen() < p.RSAMinBits {
				dev = append(dev, fmt.Sprintf("certificate: RSA %d-bit key; %s requires %d", k.N.BitLen(), p.Name, p.RSAMinBits))
			}
		case *ecdsa.PublicKey:
			if !slices.Contains(p.ECCurves, k.Curve.Params().Name) {
				dev = append(dev, "certificate: ECDSA "+k.Curve.Params().Name+" key; "+p.Name+" allows "+strings.Join(p.ECCurves, ", "))
			}
		default:
			dev = append(dev, fmt.Sprintf("certificate: %T key; %s allows %s", l.PublicKey, p.Name, strings.Join(p.CertKeys, ", ")))
		}
		days := int(l.NotAfter.Sub(l.NotBefore).Hours() / 24)
		if days > p.MaxLifetimeDays {
			dev = append(dev, fmt.Sprintf("certificate: valid for %d days; %s allows at most %d", days, p.Name, p.MaxLifetimeDays))
		}
	}
	n := len(dev)
	if sc.Incomplete {
		dev = append(dev, "note: the scan is incomplete ("+strings.Join(sc.Errors, "; ")+"); versions it could not see are not reported as missing")
	}
	if n == 0 {
		f := Finding{
			Severity: Info,
			Title:    "the server conforms to " + p.Name + " (Mozilla guidelines 5.7)",
			Detail:   "Every version, suite, group, DH size, certificate key and lifetime the scan saw is within the profile.",
			Evidence: dev,
		}
		if sc.Incomplete {
			f.Title = "no deviation from " + p.Name + " seen, but the scan is incomplete"
		}
		return []Finding{f}
	}
	return []Finding{{
		Title:    fmt.Sprintf("%d deviation(s) from %s (Mozilla guidelines 5.7)", n, p.Name),
		Detail:   "Each line is something the scan observed that Mozilla's " + strings.TrimPrefix(p.Name, "mozilla-") + " configuration does not allow (https://wiki.mozilla.org/Security/Server_Side_TLS).",
		Evidence: dev,
		Fix: []Step{
			Say("Generate the configuration for your server at https://ssl-config.mozilla.org/ (choose \"" + strings.TrimPrefix(p.Name, "mozilla-") + "\"); for nginx:"),
			Set("nginx", policyNginx(p)),
		},
	}}
}

func policyNginx(p *Policy) string {
	var vs []string
	for _, v := range p.Versions {
		vs = append(vs, strings.ReplaceAll(probe.VersionName(v), "TLS ", "TLSv"))
	}
	s := "ssl_protocols " + strings.Join(vs, " ") + ";"
	if len(p.Suites) > 0 {
		s += "\nssl_ciphers " + strings.Join(p.Suites, ":") + ";"
	}
	return s
}
