package checks

// handshake-failed for a server that refused our TLS 1.3 hello before any
// certificate but answered the probe's wide TLS 1.3 hello (every group,
// suite and signature scheme; probe.PurposeWide13) by asking for a group
// and suite: it is not the "refuses every handshake" keystore case, it
// wants a parameter crypto/tls does not offer. Measured against openssl
// s_server -tls1_3 with -groups X448, with -ciphersuites
// TLS_AES_128_CCM_SHA256 and with an Ed448 key (client-errors.md,
// 2026-12-02): Java, curl, openssl and Python connect to the first and
// the third, Go fails all three.

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// goSuites13 are the TLS 1.3 suites crypto/tls offers (all it implements).
var goSuites13 = []uint16{0x1301, 0x1302, 0x1303}

// wideAnswer is the tls13-wide attempt when the server answered it and
// the answer says what crypto/tls's hello lacks: a group or a suite it
// does not offer, or, for one it does, a refusal of the same wide hello
// with crypto/tls's signature schemes (tls13-wide-go-schemes). When that
// one is answered too, the server asks for a group before it looks at
// anything else (Go and Java servers do so even with no usable key) and
// the answer explains nothing: nil.
//
// At TLS 1.2 the all-suites hello plays that part for the group: it
// offers X448 and the brainpool curves too, and when the server takes
// one of them with a suite crypto/tls's retry offered, the group is what
// our hellos lacked.
func wideAnswer(in *Input) *probe.Attempt {
	w := in.Rec.Attempt(probe.PurposeWide13)
	if w == nil || w.Outcome != "server-hello" || w.VersionID != tls.VersionTLS13 || w.GroupID == 0 {
		if all := in.Rec.Attempt(probe.PurposeAllSuites); all != nil && all.Outcome == "server-hello" && all.VersionID == tls.VersionTLS12 &&
			all.GroupID != 0 && !slices.Contains(goGroups, all.GroupID) && slices.Contains(legacyOffer(), all.CipherID) {
			return all
		}
		return nil
	}
	if slices.Contains(goGroups, w.GroupID) && slices.Contains(goSuites13, w.CipherID) {
		g := in.Rec.Attempt(probe.PurposeWide13GoSchemes)
		if g == nil || g.Outcome == "server-hello" || g.Error == nil || g.Error.Kind != probe.KindAlert {
			return nil
		}
	}
	return w
}

// wide13Failure is handshake-failed for primary attempt a, refused before
// any certificate, when the wide TLS 1.3 hello was answered.
func wide13Failure(in *Input, a *probe.Attempt) (Finding, bool) {
	w := wideAnswer(in)
	if w == nil || len(a.Certificates) > 0 || a.Error == nil || a.Error.Alert == nil || versionID(a.Offered.MaxVersion) < w.VersionID {
		return Finding{}, false
	}
	group, suite, version := w.Group, ciphersuite.Name(w.CipherID), probe.VersionName(w.VersionID)
	var goGroupNames, goSuiteNames, goGroupsAt []string
	for _, g := range goGroups {
		goGroupNames = append(goGroupNames, probe.GroupName(g))
		if g != 4588 || w.VersionID == tls.VersionTLS13 { // X25519MLKEM768 only with TLS 1.3
			goGroupsAt = append(goGroupsAt, probe.GroupName(g))
		}
	}
	for _, s := range goSuites13 {
		goSuiteNames = append(goSuiteNames, ciphersuite.Name(s))
	}
	ev := []string{
		fmt.Sprintf("offered %s with crypto/tls's groups (%s) and TLS 1.3 suites (%s): alert %s",
			versionRange(a.Offered), strings.Join(goGroupNames, ", "), strings.Join(goSuiteNames, ", "), a.Error.Alert.Name),
	}
	if w.Purpose == probe.PurposeAllSuites {
		ev = append(ev, fmt.Sprintf("offered TLS 1.2 with every suite, signature scheme and ECDHE group (%s): the server chose %s with %s", w.Purpose, suite, group))
	} else {
		ev = append(ev, fmt.Sprintf("offered TLS 1.3 with every group, suite and signature scheme (%s): the server asked for %s with %s", w.Purpose, group, suite))
	}
	for _, r := range in.Rec.Attempts[1:] {
		if r.Purpose != w.Purpose && r.Purpose != probe.PurposeWide13GoSchemes && r.Error != nil && len(r.Certificates) == 0 {
			ev = append(ev, fmt.Sprintf("offered %s (%s): %s", versionRange(r.Offered), r.Purpose, errText(r.Error)))
		}
	}
	f := Finding{Evidence: ev, Clients: alertVerdicts(in, a)}
	switch {
	case !slices.Contains(goGroups, w.GroupID):
		f.Title = fmt.Sprintf("the server takes %s only with key exchange group %s, which our client does not offer", version, group)
		f.Detail = fmt.Sprintf("The server refused our %s hello, which offered %s, and took %s when a hello offered every group: "+
			"it accepts none of the groups most clients offer first. %s.", version, strings.Join(goGroupsAt, ", "), group, lacksGroup(w.GroupID))
		f.Fix = []Step{
			Say("Server: accept the groups every client offers, next to " + group + ":"),
			Set("nginx", "ssl_ecdh_curve X25519:prime256v1:secp384r1:"+opensslGroupName(w.GroupID)+";"),
			Set("openssl", "openssl s_server ... -groups X25519:P-256:P-384:"+opensslGroupName(w.GroupID)),
			Set("java", "-Djdk.tls.namedGroups=x25519,secp256r1,secp384r1,"+strings.ToLower(group)),
		}
	case !slices.Contains(goSuites13, w.CipherID):
		f.Title = fmt.Sprintf("the server takes TLS 1.3 only with cipher suite %s, which our client does not offer", suite)
		f.Detail = fmt.Sprintf("The server refused our TLS 1.3 hello, which offered %s, and chose %s when a hello offered every TLS 1.3 suite. "+
			"crypto/tls (Go) implements no CCM suite and cannot connect; OpenSSL offers CCM only when configured to, so curl, openssl and Python with their defaults fail too; "+
			"Java 17 implements no CCM suite.", strings.Join(goSuiteNames, ", "), suite)
		f.Fix = []Step{
			Say("Server: enable the TLS 1.3 suites every client offers:"),
			Set("nginx", "ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"+suite+";"),
			Set("openssl", "openssl s_server ... -ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"+suite),
		}
	default:
		g := in.Rec.Attempt(probe.PurposeWide13GoSchemes)
		f.Evidence = append(f.Evidence, fmt.Sprintf("offered the same with crypto/tls's signature schemes (%s): %s", probe.PurposeWide13GoSchemes, errText(g.Error)))
		f.Title = "the server's certificate needs a signature scheme our client does not offer"
		f.Detail = fmt.Sprintf("The server asked for %s with %s, both of which we offered, when a TLS 1.3 hello offered every signature scheme, "+
			"and refused the same hello with crypto/tls's schemes: its key signs only with a scheme crypto/tls (Go) does not implement "+
			"(ed448 for an Ed448 key, rsa_pss_pss_* for an RSA key restricted to PSS, the brainpool ECDSA schemes). "+
			"OpenSSL (curl, openssl, Python) and Java 17 implement Ed448 and RSA-PSS keys.", group, suite)
		f.Fix = []Step{
			Say("Server: serve a certificate every client can verify, with an ECDSA P-256 or an RSA (rsaEncryption) key, next to or instead of this one; check which key the server holds:"),
			Cmd("keytool", "keytool -list -v -keystore server-keystore.p12"),
		}
	}
	if slices.Contains(goGroups, w.GroupID) && slices.Contains(goSuites13, w.CipherID) {
		return f, true // the signature schemes: the lines of alertVerdicts say what each lacks
	}
	f.Clients = wideClients(in, w, f.Clients)
	return f, true
}

// lacksGroup names who cannot offer group id.
func lacksGroup(id uint16) string {
	n := probe.GroupName(id)
	switch n {
	case "X448":
		return "crypto/tls (Go) implements no X448 and cannot connect; OpenSSL (curl, openssl, Python) and Java 17 offer it by default and connect"
	case "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192":
		return "crypto/tls (Go) and OpenSSL with its defaults (curl, openssl, Python) offer no finite-field group at TLS 1.3 and cannot connect; Java 17 offers them"
	}
	return "crypto/tls (Go), and any client whose TLS library lacks " + n + ", cannot connect"
}

// opensslGroupName is a group as OpenSSL's -groups and nginx's
// ssl_ecdh_curve spell it.
func opensslGroupName(id uint16) string {
	n := probe.GroupName(id)
	switch n {
	case "secp256r1":
		return "prime256v1"
	}
	return n
}

// wideClients refines the per-client lines of a refusal the wide TLS 1.3
// hello was answered to: a client left unjudged that offers the group
// and suite the server asked for is said to likely connect, with why; the
// record proves no more (the probe stops at the server's first answer).
func wideClients(in *Input, w *probe.Attempt, lines []ClientVerdict) []ClientVerdict {
	out := slices.Clone(lines)
	profiles := map[string]ClientProfile{}
	for _, c := range lineClients(in) {
		profiles[c.name] = c.profile
	}
	for i, v := range out {
		p, ok := profiles[v.Client]
		if !v.Unknown || !ok || !slices.Contains(p.Versions, w.VersionID) {
			continue
		}
		offersSuite := slices.Contains(usableSuites(&p, w.VersionID, ""), w.CipherID)
		offersGroup := slices.Contains(p.Groups, w.GroupID)
		switch {
		case offersSuite && offersGroup:
			out[i].Message = fmt.Sprintf("likely connects: it offers %s and %s, which the server chose (not proven: the probe stops at the server's first answer)", w.Group, ciphersuite.Name(w.CipherID))
		case w.VersionID == tls.VersionTLS13 && !offersSuite && !slices.ContainsFunc(usableSuites(&p, tls.VersionTLS13, ""), func(s uint16) bool { return !slices.Contains(goSuites13, s) }):
			// It offers no TLS 1.3 suite that our refused hello lacked.
			out[i] = ClientVerdict{Client: v.Client, Unknown: true, Message: fmt.Sprintf(
				"likely fails: the server chose %s, which %s does not offer, and refused our hello, which offered every TLS 1.3 suite %s does", ciphersuite.Name(w.CipherID), v.Client, v.Client)}
		}
	}
	return out
}
