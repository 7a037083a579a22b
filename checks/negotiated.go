package checks

// Without --scan, what the default run's own handshakes negotiated already
// proves that the server accepts a legacy version, a weak suite, a key
// exchange without forward secrecy or a small DH group: protocol-legacy,
// weak-cipher, no-forward-secrecy and weak-dh report it from that
// evidence, saying that the list may be incomplete.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// negotiation is a version and suite a handshake of the default run got
// the server to accept.
type negotiation struct {
	a       *probe.Attempt
	version uint16
	suite   uint16
}

// negotiated lists what the default run's handshakes got, once per
// version and suite, in the order they were made.
func negotiated(in *Input) []negotiation {
	var out []negotiation
	for i := range in.Rec.Attempts {
		a := &in.Rec.Attempts[i]
		if (a.Outcome != "ok" && a.Outcome != "server-hello" && a.PostHandshake == nil) || a.VersionID == 0 || a.CipherID == 0 {
			continue
		}
		if slices.ContainsFunc(out, func(n negotiation) bool { return n.version == a.VersionID && n.suite == a.CipherID }) {
			continue
		}
		out = append(out, negotiation{a: a, version: a.VersionID, suite: a.CipherID})
	}
	return out
}

// how says which handshake of the default run got n.
func (n negotiation) how() string {
	switch n.a.Purpose {
	case probe.PurposePrimary:
		return "the default handshake (offering " + versionRange(n.a.Offered) + " like current clients)"
	case probe.PurposeNoClientCert:
		return "the handshake without our client certificate"
	case probe.PurposeLegacy:
		return "the retry offering " + versionRange(n.a.Offered) + " and every suite crypto/tls speaks"
	case probe.PurposeAllSuites:
		return "the hello offering every registered suite at " + versionRange(n.a.Offered)
	case probe.PurposeModernSigAlgs:
		return "the hello offering only current signature schemes"
	case probe.PurposeWide13, probe.PurposeWide13GoSchemes:
		return "the TLS 1.3 hello offering every group and suite (the server's pick, in its HelloRetryRequest)"
	}
	return "a handshake (" + n.a.Purpose + ")"
}

func (n negotiation) evidence() string {
	return fmt.Sprintf("%s: the server chose %s, %s", n.how(), probe.VersionName(n.version), suiteLabel(n.suite))
}

// partialNote is said of every finding drawn from the default run alone.
const partialNote = " This is what the default run's handshakes got; the server may accept more, which only --scan lists."

func scanStep(in *Input) []Step {
	return []Step{Say("List every version and suite the server accepts:"), rerun(in, "--scan")}
}

func protocolLegacyFromDefaultRun(in *Input, serverFix []Step) []Finding {
	var out []Finding
	var legacy []string
	var ev []string
	for _, n := range negotiated(in) {
		switch n.version {
		case vSSL3:
			out = append(out, Finding{
				Severity: Error,
				Title:    "the server accepts SSL 3.0",
				Detail:   "SSL 3.0 is broken (POODLE, CVE-2014-3566) and prohibited by RFC 7568." + partialNote,
				Evidence: []string{n.evidence()},
				Fix:      append(slices.Clone(serverFix), scanStep(in)...),
				Clients:  negotiationClients(in),
			})
		case vTLS10, vTLS11:
			if v := probe.VersionName(n.version); !slices.Contains(legacy, v) {
				legacy = append(legacy, v)
			}
			ev = append(ev, n.evidence())
		}
	}
	if len(legacy) == 0 {
		return out
	}
	return append(out, Finding{
		Severity: Warning,
		Title:    "the server accepts " + strings.Join(legacy, " and "),
		Detail:   strings.TrimSuffix(obsolete(legacy), ".") + ", and the server negotiated it with a client that also offered TLS 1.2: it speaks nothing newer. " + legacyClientsNote + partialNote,
		Evidence: ev,
		Fix:      append(slices.Clone(serverFix), scanStep(in)...),
		Clients:  negotiationClients(in),
	})
}

func weakCipherFromDefaultRun(in *Input, fix []Step) []Finding {
	bySev := map[Severity][]string{}
	reasons := map[Severity][]string{}
	for _, n := range negotiated(in) {
		sev, why := suiteWeakness(ciphersuite.Lookup(n.suite))
		if sev == 0 {
			continue
		}
		bySev[sev] = append(bySev[sev], n.evidence()+" — "+strings.Join(why, "; "))
		for _, w := range why {
			short, _, _ := strings.Cut(w, ":")
			short, _, _ = strings.Cut(short, " (")
			if !slices.Contains(reasons[sev], short) {
				reasons[sev] = append(reasons[sev], short)
			}
		}
	}
	var out []Finding
	for _, s := range []Severity{Error, Warning, Info} {
		ev := bySev[s]
		if len(ev) == 0 {
			continue
		}
		word := map[Severity]string{Error: "insecure", Warning: "weak", Info: "CBC-mode"}[s]
		out = append(out, Finding{
			Severity: s,
			Title:    fmt.Sprintf("the server accepts %s cipher suites (%s)", word, strings.Join(reasons[s], ", ")),
			Detail:   "The server chose each suite below in the default run's handshakes, so clients that offer it (old clients, or an attacker forcing it) get it." + partialNote,
			Evidence: ev,
			Fix:      append(slices.Clone(fix), scanStep(in)...),
			Clients:  negotiationClients(in),
		})
	}
	return out
}

func noForwardSecrecyFromDefaultRun(in *Input, fix []Step) []Finding {
	var ev []string
	var names []string
	for _, n := range negotiated(in) {
		info := ciphersuite.Lookup(n.suite)
		if info.KeyExchange == "" || info.ForwardSecret() || info.Auth == "anon" {
			continue
		}
		ev = append(ev, n.evidence())
		names = append(names, ciphersuite.Name(n.suite))
	}
	if len(ev) == 0 {
		return nil
	}
	return []Finding{{
		Title:    "the server chose a suite without forward secrecy (" + strings.Join(names, ", ") + ")",
		Detail:   "Offered forward-secret (ECDHE) suites first, the server picked a suite whose key exchange is not ephemeral: anyone who later obtains the server's private key can decrypt recorded sessions." + partialNote,
		Evidence: ev,
		Fix:      append(slices.Clone(fix), scanStep(in)...),
		Clients:  negotiationClients(in),
	}}
}

func weakDHFromDefaultRun(in *Input) []Finding {
	for _, n := range negotiated(in) {
		dh := n.a.DH
		if dh == nil || dh.Bits >= 2048 || ciphersuite.Lookup(n.suite).KeyExchange != "DHE" {
			continue
		}
		f := weakDHFinding(in, dh.Bits, []string{fmt.Sprintf("%s, with a %d-bit DH prime in its ServerKeyExchange", n.evidence(), dh.Bits)})
		f.Detail += partialNote
		return []Finding{f}
	}
	return nil
}
