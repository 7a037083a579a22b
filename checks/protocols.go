package checks

import (
	//nolint:staticcheck // only to name a DSA key the server sent

	"fmt"
	"slices"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// completeScan returns the record's scan, or nil.
func scanOf(in *Input) *probe.Scan { return in.Rec.Scan }

func supported(sc *probe.Scan) []probe.ScanVersion {
	var out []probe.ScanVersion
	for _, v := range sc.Versions {
		if v.Supported {
			out = append(out, v)
		}
	}
	return out
}

var legacyClientsNote = "Clients that refuse them by default: Java 8u291+, 11.0.11+, 17 and 21 (jdk.tls.disabledAlgorithms); OpenSSL 3 and curl built on it, which still offer them but refuse the SHA-1 signature of an ECDHE or DHE key exchange there (measured on Debian 12, OpenSSL 3.0.19: an RSA key exchange connects; Ubuntu and RHEL 9 builds disable the versions outright); Go 1.18+ (client minimum TLS 1.2); Python 3.10+; Chrome 84+, Firefox 78+, Safari 14+. RFC 8996 (2021) deprecates TLS 1.0 and 1.1."

func protocolLegacy(in *Input) []Finding {
	serverFix := []Step{
		Say("Disable them on the server:"),
		Set("nginx", "ssl_protocols TLSv1.2 TLSv1.3;"),
		Set("apache", "SSLProtocol -all +TLSv1.2 +TLSv1.3"),
		Set("java", "-Djdk.tls.server.protocols=TLSv1.2,TLSv1.3"),
		Set("tomcat", `<SSLHostConfig protocols="TLSv1.2+TLSv1.3">`),
	}
	sc := scanOf(in)
	if sc == nil {
		return protocolLegacyFromDefaultRun(in, serverFix)
	}
	var out []Finding
	for _, v := range sc.Versions {
		if v.Supported && v.VersionID == 0x0300 {
			out = append(out, Finding{
				Severity: Error,
				Title:    "the server accepts SSL 3.0",
				Detail:   "SSL 3.0 is broken (POODLE, CVE-2014-3566) and prohibited by RFC 7568; no current client offers it, so leaving it on only helps attackers who force a downgrade.",
				Evidence: []string{"an SSL 3.0-only ClientHello was answered with an SSL 3.0 ServerHello (" + v.Suites[0].Name + ")"},
				Fix:      serverFix,
			})
		}
	}
	var legacy []string
	var ev []string
	for _, v := range sc.Versions {
		if v.Supported && (v.VersionID == 0x0301 || v.VersionID == 0x0302) {
			legacy = append(legacy, v.Version)
			ev = append(ev, fmt.Sprintf("%s accepted (%d cipher suites, first %s)", v.Version, len(v.Suites), v.Suites[0].Name))
		}
	}
	if len(legacy) > 0 {
		detail := obsolete(legacy) + " " + legacyClientsNote
		// Only a complete scan shows that nothing newer is spoken.
		if !sc.Incomplete && !slices.ContainsFunc(sc.Versions, func(v probe.ScanVersion) bool { return v.Supported && v.VersionID >= 0x0303 }) {
			detail += " This server speaks nothing newer, so all those clients fail to connect (OpenSSL 3 and curl unless the server picks an RSA key exchange)."
		}
		out = append(out, Finding{
			Severity: Warning,
			Title:    "the server accepts " + strings.Join(legacy, " and "),
			Detail:   detail,
			Evidence: ev,
			Fix:      serverFix,
			Clients:  negotiationClients(in),
		})
	}
	return out
}

// suiteWeakness says why a suite is weak, with how serious it is; zero
// severity means it is fine.
func suiteWeakness(info ciphersuite.Info) (Severity, []string) {
	var sev Severity
	var why []string
	add := func(s Severity, r string) {
		sev = max(sev, s)
		why = append(why, r)
	}
	c := info.Cipher
	switch {
	case info.KeyExchange == "":
		return 0, nil // unknown code point: say nothing we cannot back
	case c == "NULL":
		add(Error, "NULL cipher: no encryption at all")
	}
	if info.Export {
		add(Error, "EXPORT grade: 40/56-bit keys (FREAK, Logjam)")
	}
	if info.Auth == "anon" {
		add(Error, "anonymous: the server is not authenticated, anyone in the path can intercept")
	}
	switch {
	case strings.HasPrefix(c, "RC4"):
		add(Error, "RC4: biased keystream, prohibited by RFC 7465")
	case strings.HasPrefix(c, "DES") || strings.HasPrefix(c, "RC2"):
		if !info.Export {
			add(Error, "single DES/RC2: 56-bit key or less, brute-forced in hours")
		}
	case strings.HasPrefix(c, "3DES"):
		add(Warning, "3DES: 64-bit block, Sweet32 (CVE-2016-2183)")
	case strings.HasPrefix(c, "IDEA"):
		add(Warning, "IDEA: 64-bit block (Sweet32)")
	}
	if info.MAC == "MD5" {
		add(Warning, "HMAC-MD5")
	}
	if !info.ForwardSecret() && info.Auth != "anon" && info.KeyExchange != "PSK" {
		add(Warning, "no forward secrecy ("+info.KeyExchange+" key exchange): a stolen server key decrypts recorded traffic")
	}
	if info.CBC() && info.MAC == "SHA" {
		add(Warning, "CBC with HMAC-SHA1 (MAC-then-encrypt, Lucky13-type padding oracles); not in Mozilla's intermediate profile")
	} else if info.CBC() && sev < Warning {
		add(Info, "CBC mode (MAC-then-encrypt); not in Mozilla's intermediate profile")
	}
	return sev, why
}

func suiteLabel(id uint16) string {
	info := ciphersuite.Lookup(id)
	if o := info.OpenSSL(); o != "" && o != info.Name {
		return info.Name + " (" + o + ")"
	}
	return info.Name
}

const mozillaIntermediateCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"

func weakCipher(in *Input) []Finding {
	sc := scanOf(in)
	if sc == nil {
		return weakCipherFromDefaultRun(in, weakCipherFix())
	}
	bySev := map[Severity][]string{}
	// reasons are the short names of the weaknesses found per severity, in
	// order of discovery, for the title: it names only what was found.
	reasons := map[Severity][]string{}
	for _, v := range supported(sc) {
		for _, su := range v.Suites {
			sev, why := suiteWeakness(ciphersuite.Lookup(su.ID))
			if sev == 0 {
				continue
			}
			bySev[sev] = append(bySev[sev], fmt.Sprintf("%s: %s — %s", v.Version, suiteLabel(su.ID), strings.Join(why, "; ")))
			for _, w := range why {
				short, _, _ := strings.Cut(w, ":")
				short, _, _ = strings.Cut(short, " (")
				if !slices.Contains(reasons[sev], short) {
					reasons[sev] = append(reasons[sev], short)
				}
			}
		}
	}
	fix := weakCipherFix()
	var out []Finding
	for _, s := range []Severity{Error, Warning, Info} {
		ev := bySev[s]
		if len(ev) == 0 {
			continue
		}
		var title string
		switch s {
		case Error:
			title = fmt.Sprintf("the server accepts %d insecure cipher suite(s) (%s)", len(ev), strings.Join(reasons[s], ", "))
		case Warning:
			title = fmt.Sprintf("the server accepts %d weak cipher suite(s) (%s)", len(ev), strings.Join(reasons[s], ", "))
		default:
			title = fmt.Sprintf("the server accepts %d CBC-mode cipher suite(s)", len(ev))
		}
		detail := "Every suite below was accepted when offered; a client that offers it (old clients, or an attacker forcing it) gets it."
		if s == Info {
			detail = "CBC suites are not broken when the server's TLS library is patched, but they are MAC-then-encrypt and have a history of padding-oracle attacks; Mozilla's intermediate profile keeps only AEAD suites."
		}
		out = append(out, Finding{Severity: s, Title: title, Detail: detail, Evidence: ev, Fix: fix})
	}
	return out
}

func weakCipherFix() []Step {
	return []Step{
		Say("Allow only strong suites (Mozilla's intermediate list):"),
		Set("nginx", "ssl_ciphers "+mozillaIntermediateCiphers+";"),
		Set("apache", "SSLCipherSuite "+mozillaIntermediateCiphers),
		Say("Java server: keep the weak algorithms in jdk.tls.disabledAlgorithms, as JDK 17 does by default:"),
		Set("java.security", "jdk.tls.disabledAlgorithms=SSLv3, TLSv1, TLSv1.1, DTLSv1.0, RC4, DES, \\\n    MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL, \\\n    ECDH"),
		Say("Tomcat and Spring Boot: list the allowed suites by IANA name in server.ssl.ciphers."),
	}
}

func weakDH(in *Input) []Finding {
	sc := scanOf(in)
	if sc == nil {
		return weakDHFromDefaultRun(in)
	}
	smallest := 0
	var ev []string
	for _, v := range supported(sc) {
		if v.DHBits > 0 && v.DHBits < 2048 {
			ev = append(ev, fmt.Sprintf("%s: DHE with a %d-bit prime", v.Version, v.DHBits))
			if smallest == 0 || v.DHBits < smallest {
				smallest = v.DHBits
			}
		}
	}
	if smallest == 0 {
		return nil
	}
	return []Finding{weakDHFinding(in, smallest, ev)}
}

// weakDHFinding reports a DH group of bits bits, with the evidence.
func weakDHFinding(in *Input, bits int, ev []string) Finding {
	f := Finding{
		Severity: Warning,
		Title:    fmt.Sprintf("the server uses %d-bit DH parameters for DHE", bits),
		Detail:   "DH groups under 2048 bits are within reach of well-funded attackers (Logjam, weakdh.org), and OpenSSL 3 at SECLEVEL 2 (curl, Python, .NET on Debian/Ubuntu) refuses them with \"dh key too small\" when the server picks a DHE suite. Java accepts 1024 bits; Go does not speak DHE at all.",
		Evidence: ev,
		Fix:      dhFix(),
		Clients:  negotiationClients(in),
	}
	if bits < 1024 {
		f.Severity = Error
	}
	return f
}

func tls13Missing(in *Input) []Finding {
	f := Finding{
		Title:  "the server does not speak TLS 1.3",
		Detail: "TLS 1.3 (RFC 8446) is faster (one round trip) and removes every legacy algorithm; all current clients prefer it. TLS 1.2 alone still works with them.",
		Fix: []Step{
			Say("Enable it (nginx and Apache need OpenSSL 1.1.1 or later, Java 11 or later):"),
			Set("nginx", "ssl_protocols TLSv1.2 TLSv1.3;"),
			Set("apache", "SSLProtocol -all +TLSv1.2 +TLSv1.3"),
			Set("java", "-Djdk.tls.server.protocols=TLSv1.2,TLSv1.3"),
		},
	}
	if sc := scanOf(in); sc != nil {
		if len(supported(sc)) == 0 || sc.Incomplete {
			return nil
		}
		for _, v := range sc.Versions {
			if v.VersionID == 0x0304 {
				if v.Supported {
					return nil
				}
				f.Evidence = []string{"a TLS 1.3-only ClientHello was refused: " + orNone(v.Refusal)}
			}
		}
		return []Finding{f}
	}
	a := in.Rec.Primary()
	if a == nil || a.Outcome != "ok" || a.Offered.MaxVersion != "TLS 1.3" || a.Version == "TLS 1.3" || a.Version == "" {
		return nil
	}
	f.Evidence = []string{"offered " + versionRange(a.Offered) + ", the server chose " + a.Version}
	return []Finding{f}
}

func noForwardSecrecy(in *Input) []Finding {
	fix := []Step{
		Say("Put ECDHE suites first and enforce the server's order:"),
		Set("nginx", "ssl_ciphers "+mozillaIntermediateCiphers+";\nssl_prefer_server_ciphers on;"),
		Set("apache", "SSLCipherSuite "+mozillaIntermediateCiphers+"\nSSLHonorCipherOrder on"),
	}
	sc := scanOf(in)
	if sc == nil {
		return noForwardSecrecyFromDefaultRun(in, fix)
	}
	sup := supported(sc)
	if len(sup) == 0 {
		return nil
	}
	anyFS := false
	var preferNonFS []string
	for _, v := range sup {
		for _, su := range v.Suites {
			if ciphersuite.Lookup(su.ID).ForwardSecret() {
				anyFS = true
			}
		}
		if v.Preference == "server" && len(v.Suites) > 0 && !ciphersuite.Lookup(v.Suites[0].ID).ForwardSecret() {
			preferNonFS = append(preferNonFS, v.Version+": the server's first choice is "+v.Suites[0].Name)
		}
	}
	switch {
	case !anyFS && !sc.Incomplete: // absence is shown only by a complete scan
		return []Finding{{
			Title:    "the server offers no forward-secret key exchange",
			Detail:   "No ECDHE or DHE suite (and no TLS 1.3) was accepted: every session can be decrypted later by whoever obtains the server's private key.",
			Evidence: []string{"accepted key exchanges: " + kexList(sup)},
			Fix:      fix,
		}}
	case len(preferNonFS) > 0:
		return []Finding{{
			Title:    "the server prefers suites without forward secrecy",
			Detail:   "The server enforces its own order and puts a non-forward-secret suite first, so clients that offer it get it.",
			Evidence: preferNonFS,
			Fix:      fix,
		}}
	}
	return nil
}

func kexList(vs []probe.ScanVersion) string {
	var out []string
	for _, v := range vs {
		for _, su := range v.Suites {
			k := ciphersuite.Lookup(su.ID).KeyExchange
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return strings.Join(out, ", ")
}

func serverIgnoresPreference(in *Input) []Finding {
	sc := scanOf(in)
	if sc == nil {
		return nil
	}
	var ev []string
	weak := false
	for _, v := range supported(sc) {
		if v.VersionID >= 0x0304 || v.Preference != "client" {
			continue
		}
		// Both ways the scan tells the order (docs/scan.md) made these two
		// hellos: the whole list in our order, and a list with the last
		// suite found before the first.
		first, last := v.Suites[0].Name, v.Suites[len(v.Suites)-1].Name
		ev = append(ev, fmt.Sprintf("%s: with %s listed before %s the server took %s; with %s listed before %s it took %s", v.Version, first, last, first, last, first, last))
		for _, su := range v.Suites {
			if s, _ := suiteWeakness(ciphersuite.Lookup(su.ID)); s >= Warning {
				weak = true
			}
		}
	}
	if len(ev) == 0 {
		return nil
	}
	f := Finding{
		Title:    "the server follows the client's cipher order",
		Detail:   "With only strong suites enabled this is fine (Mozilla's intermediate profile even recommends it). ",
		Evidence: ev,
		Fix: []Step{
			Say("If you keep weak suites for old clients, enforce the server's order (Java servers follow the order of jdk.tls.server.cipherSuites with SSLParameters.setUseCipherSuitesOrder(true), the default):"),
			Set("nginx", "ssl_prefer_server_ciphers on;"),
			Set("apache", "SSLHonorCipherOrder on"),
		},
	}
	if weak {
		f.Detail += "Here weak suites are enabled too, so a client that lists one first gets it."
	} else {
		f.Detail += "Every suite accepted here is acceptable, so this is informational."
	}
	return []Finding{f}
}

// SuiteVerdict says how weak a cipher suite is and why; severity 0 means
// it is fine. The report colours its scan table with it.
func SuiteVerdict(id uint16) (Severity, []string) { return suiteWeakness(ciphersuite.Lookup(id)) }

// obsolete says that the legacy versions are obsolete, in agreement with
// their number ("TLS 1.0 is obsolete.", "TLS 1.0 and TLS 1.1 are
// obsolete.").
func obsolete(versions []string) string {
	if len(versions) == 1 {
		return versions[0] + " is obsolete."
	}
	return strings.Join(versions, " and ") + " are obsolete."
}
