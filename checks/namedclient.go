package checks

// The finding for a client named with --client (or --tls-min/--tls-max/
// --ciphers) once its versions meet the server's: whether it connects and,
// if not, why. judge decides (clientverdicts.go); this file words it.

import (
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

func scanVersion(sc *probe.Scan, v uint16) probe.ScanVersion {
	for _, sv := range sc.Versions {
		if sv.VersionID == v {
			return sv
		}
	}
	return probe.ScanVersion{Version: probe.VersionName(v), VersionID: v}
}

func namedClientFindings(in *Input, c *ClientProfile, sc *probe.Scan) []Finding {
	o := judge(c, in.view())
	switch o.kind {
	case failOldServer, failNewServer, failLegacySig:
		return nil // version-mismatch
	case outUnknown:
		if o.version == 0 {
			return nil
		}
	}
	sv := scanVersion(sc, o.version)
	v := sv.Version
	ev := []string{"client profile: " + c.Source, fmt.Sprintf("highest common version: %s", v)}
	clients := negotiationClients(in)
	switch o.kind {
	case failSuite:
		var acc []string
		for _, su := range sv.Suites {
			acc = append(acc, suiteLabel(su.ID))
		}
		ev = append(ev, "server accepts at "+v+": "+strings.Join(acc, ", "))
		return []Finding{{
			Title:    fmt.Sprintf("%s cannot connect: no common cipher suite at %s", c.Name, v),
			Detail:   fmt.Sprintf("The server picks %s (the highest version both speak), but none of the %d suites %s offers is among the %d the server accepts at that version; the server answers with a handshake_failure alert.", v, len(c.Suites), c.Name, len(sv.Suites)),
			Evidence: ev,
			Fix:      cipherFix(in, c, sv),
			Clients:  clients,
		}}
	case failDHSize:
		return []Finding{{
			Title:    fmt.Sprintf("%s cannot connect: the server's %d-bit DH group is too small for it", c.Name, o.dh.Bits),
			Detail:   fmt.Sprintf("At %s the server picks %s, a DHE suite, with a %d-bit prime; %s requires at least %d bits.", v, suiteOrDHE(o.suite), o.dh.Bits, c.Description, c.MinDHBits),
			Evidence: append(ev, "negotiated suite would be "+suiteOrDHE(o.suite)),
			Fix:      dhFix(),
			Clients:  clients,
		}}
	case failDHValue:
		return []Finding{{
			Title:    fmt.Sprintf("%s cannot connect: it rejects the server's DH parameters", c.Name),
			Detail:   fmt.Sprintf("At %s the server picks %s, a DHE suite, with a generator of order 2 or less (1 or p-1), which %s refuses.", v, suiteOrDHE(o.suite), c.Description),
			Evidence: ev,
			Fix:      dhFix(),
			Clients:  clients,
		}}
	case failGroup:
		return []Finding{{
			Title:    fmt.Sprintf("%s cannot connect: no common key-exchange group", c.Name),
			Detail:   fmt.Sprintf("%s offers groups %s; %s.", c.Description, groupNames(c.Groups), o.detail),
			Evidence: ev,
			Fix:      []Step{Say("Server: enable X25519 and P-256:"), Set("nginx", "ssl_ecdh_curve X25519:prime256v1:secp384r1;")},
			Clients:  clients,
		}}
	case failSigAlg:
		var offers, signs []string
		for _, id := range c.Schemes12 {
			offers = append(offers, probe.SigAlgName(id))
		}
		for _, a := range sc.SigAlgs {
			signs = append(signs, a.Name)
		}
		return []Finding{{
			Title:    fmt.Sprintf("%s cannot connect: no common signature algorithm (the server signs only with %s)", c.Name, strings.Join(signs, ", ")),
			Detail:   fmt.Sprintf("At %s the server would pick %s, and signs its key exchange only with %s; %s offers none of them, so the server finds nothing to sign with and answers with a handshake_failure alert.", v, suiteOrDHE(o.suite), strings.Join(signs, ", "), c.Description),
			Evidence: append(ev, "server's TLS 1.2 signature schemes (scan): "+strings.Join(signs, ", "), c.Name+" offers: "+strings.Join(offers, ", ")),
			Fix:      sigAlgFix(in, c.Kind),
			Clients:  clients,
		}}
	case failCertKey:
		return []Finding{{
			Title:    fmt.Sprintf("%s cannot connect: no common signature algorithm", c.Name),
			Detail:   o.detail + ".",
			Evidence: ev,
			Fix:      []Step{Say("Server: add an RSA certificate next to the current one; nginx accepts several:"), Set("nginx", "ssl_certificate /etc/nginx/ecdsa-fullchain.pem;\nssl_certificate_key /etc/nginx/ecdsa.key;\nssl_certificate /etc/nginx/rsa-fullchain.pem;\nssl_certificate_key /etc/nginx/rsa.key;")},
			Clients:  clients,
		}}
	case outUnknown:
		return []Finding{{
			Severity: Info,
			Title:    fmt.Sprintf("could not establish whether %s can connect", c.Name),
			Detail:   "The scan does not decide it: " + o.detail + ".",
			Evidence: ev,
			Fix:      []Step{Say("Test with the client itself:"), sClient(in, "</dev/null")},
			Clients:  clients,
		}}
	}
	// It connects: say so, with what it gets.
	got, choose := "", ""
	switch {
	case o.suite != 0:
		got, choose = " with "+ciphersuite.Name(o.suite), "the server would choose "+suiteLabel(o.suite)
	case o.accepted != 0:
		choose = "the server accepts " + suiteLabel(o.accepted) + ", which it offers"
	}
	return []Finding{{
		ID:       "client-compatible",
		Severity: Info,
		Title:    fmt.Sprintf("%s can connect: %s%s", c.Name, v, got),
		Detail:   fmt.Sprintf("%s and the server share %s; %s.", c.Description, versionNames(o.common), choose),
		Evidence: ev,
	}}
}

// suiteOrDHE names the suite, or "a DHE suite" when several could be
// picked.
func suiteOrDHE(id uint16) string {
	if id == 0 {
		return "a DHE suite"
	}
	return suiteLabel(id)
}
