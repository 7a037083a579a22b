package checks

// The checks that judge a client against the server: a named client
// (--client) against the scan, and the default run's retries that name a
// version, cipher or signature-algorithm mismatch.

import (
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"slices"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// groupsAt returns the groups the scan found for a version and the groups
// it tested there (a group outside them is unknown, not refused).
func groupsAt(sc *probe.Scan, version uint16) ([]probe.ScanGroup, []uint16) {
	switch {
	case version == vTLS13 && sc.GroupsVersion == "TLS 1.3":
		return sc.Groups, probe.TestedGroups("TLS 1.3")
	case version < vTLS13 && len(sc.GroupsTLS12) > 0:
		return sc.GroupsTLS12, probe.TestedGroups("TLS 1.2")
	case version < vTLS13 && sc.GroupsVersion == "TLS 1.2":
		return sc.Groups, probe.TestedGroups("TLS 1.2")
	}
	return nil, nil
}

// allTested says whether every group is one the scan tested.
func allTested(groups, tested []uint16) bool {
	for _, g := range groups {
		if !slices.Contains(tested, g) {
			return false
		}
	}
	return true
}

func leafKeyType(in *Input) string {
	l := in.Leaf()
	if l == nil {
		return ""
	}
	switch l.PublicKey.(type) {
	case *rsa.PublicKey:
		return "rsa"
	case *ecdsa.PublicKey:
		return "ecdsa"
	case ed25519.PublicKey:
		return "ed25519"
	case *dsa.PublicKey:
		return "dsa"
	}
	return ""
}

func versionNames(vs []uint16) string {
	var out []string
	for _, v := range versionsSorted(vs) {
		out = append(out, probe.VersionName(v))
	}
	return strings.Join(out, ", ")
}

// Kinds of mismatch retryMismatch names.
const (
	mismatchVersion = "version"
	mismatchCipher  = "cipher"
	mismatchSigAlg  = "sigalg"
)

// retryMismatch names the mismatch behind a failed default run from its
// retries: the primary attempt (TLS 1.2–1.3, current defaults) failed, and
// the retry with TLS 1.0–1.2 and every suite, or the all-suites hello,
// got an answer. It returns that answer and the kind of mismatch:
// mismatchVersion (an older version), mismatchCipher (a suite outside Go's
// defaults), or mismatchSigAlg (a suite Go offers, signed with a legacy
// scheme, and the same hello with only current schemes refused).
func retryMismatch(in *Input) (*probe.Attempt, string) {
	// A named client (--client) is judged against the scan instead; a scan
	// alone does not change what the default run's retry showed.
	if in.Env.Client != nil {
		return nil, ""
	}
	return retryExplanation(in)
}

// retryExplanation is retryMismatch whatever client is judged: whether the
// retries explain why the default run's handshake failed.
func retryExplanation(in *Input) (*probe.Attempt, string) {
	p := in.Rec.Primary()
	if p == nil || p.Outcome == "ok" {
		return nil, ""
	}
	// The retry explains the failure only if what it got is something the
	// primary attempt did not offer: an older version, a suite outside
	// Go's defaults, or a signature scheme current clients do not offer.
	// Otherwise the cause lies elsewhere and we say nothing.
	goDefaults, _ := LookupClient("go")
	kind := func(a *probe.Attempt) string {
		switch {
		case a.VersionID < 0x0303:
			return mismatchVersion
		case !slices.Contains(goDefaults.Suites, a.CipherID):
			return mismatchCipher
		}
		if m := in.Rec.Attempt(probe.PurposeModernSigAlgs); a.Purpose == probe.PurposeAllSuites && probe.LegacySigAlg(a.SigAlgID) &&
			m != nil && m.Outcome == "failed" && m.Error != nil && m.Error.Kind == probe.KindAlert {
			return mismatchSigAlg
		}
		return ""
	}
	if l := in.Rec.Attempt(probe.PurposeLegacy); l != nil && l.Outcome == "ok" {
		if k := kind(l); k != "" {
			return l, k
		}
		return nil, ""
	}
	if a := in.Rec.Attempt(probe.PurposeAllSuites); a != nil && a.Outcome == "server-hello" {
		if k := kind(a); k != "" {
			return a, k
		}
	}
	return nil, ""
}

// clientsOffering splits the built-in client profiles by whether they
// offer the suite at the version by default.
func clientsOffering(id, version uint16) (yes, no []string) {
	for _, p := range clientProfiles {
		if slices.Contains(p.Suites, id) && slices.Contains(p.Versions, version) {
			yes = append(yes, p.Name)
		} else {
			no = append(no, p.Name)
		}
	}
	return yes, no
}

func serverWord(a *probe.Attempt) string {
	if a.Purpose == probe.PurposeAllSuites {
		return "the ServerHello"
	}
	return "the handshake"
}

func versionMismatch(in *Input) []Finding {
	if l, kind := retryMismatch(in); kind == mismatchVersion {
		return []Finding{{
			Title:  "version mismatch: the server only speaks " + l.Version,
			Detail: "Offered TLS 1.2–1.3 (what current clients send by default) the handshake failed; offered TLS 1.0–1.2 the server chose " + l.Version + ". Every client with TLS 1.0/1.1 disabled fails the same way. " + legacyClientsNote,
			Evidence: []string{
				fmt.Sprintf("offered %s: %s", versionRange(in.Rec.Primary().Offered), errText(in.Rec.Primary().Error)),
				fmt.Sprintf("offered %s: negotiated %s, %s", versionRange(l.Offered), l.Version, l.CipherSuite),
			},
			Fix: append(append(enableModernTLS(false),
				Say("Only as a stop-gap on the client. Java: remove "+javaVersionName(l.Version)+" from jdk.tls.disabledAlgorithms in $JAVA_HOME/conf/security/java.security, and allow it:"),
				Set("java", "-Djdk.tls.client.protocols="+javaVersionName(l.Version)+",TLSv1.2"),
				Say("curl and openssl: allow the old version at security level 0:")),
				legacyCurlCmd(in, l.Version), legacyClientCmd(in, l.Version),
				Say("See every version and suite the server accepts:"), rerun(in, "--scan")),
			Clients: negotiationClients(in),
		}}
	}
	c, sc := in.Env.Client, scanOf(in)
	if c == nil || sc == nil {
		return nil
	}
	if sc.Incomplete {
		return []Finding{{
			Severity: Info,
			Title:    fmt.Sprintf("could not establish whether %s can connect: the scan is incomplete", c.Name),
			Detail:   "Some handshakes of the scan got no answer, so a version or suite may be missing from what the server accepts. Re-run with a longer --timeout, or gently (--max-conns 1 --delay 200ms) if the server limits connections.",
			Evidence: sc.Errors,
		}}
	}
	o := judge(c, in.view())
	if o.kind == failLegacySig {
		v := probe.VersionName(o.version)
		return []Finding{{
			Title:    fmt.Sprintf("%s cannot connect: the server speaks only %s, and signs its key exchange there with SHA-1", c.Name, versionNames(o.common)),
			Detail:   fmt.Sprintf("At %s (the highest version both speak) the server would pick %s, whose key exchange is signed; below TLS 1.2 that signature is always SHA-1 (MD5+SHA-1 with RSA), which %s refuses. Only an RSA key exchange, which is not signed, would connect.", v, suiteOrDHE(o.suite), c.Description),
			Evidence: []string{"client profile: " + c.Source, "highest common version: " + v, "negotiated suite would be " + suiteOrDHE(o.suite)},
			Fix:      append(enableModernTLS(false), enableOldVersion(in, c, v)...),
			Clients:  negotiationClients(in),
		}}
	}
	if o.kind != failOldServer && o.kind != failNewServer {
		return nil
	}
	server := o.server
	f := Finding{
		Title:    fmt.Sprintf("%s cannot connect: no common protocol version", c.Name),
		Detail:   fmt.Sprintf("%s offers %s; the server accepts only %s.", c.Description, versionNames(c.Versions), versionNames(server)),
		Evidence: []string{"client profile: " + c.Source, "server accepts: " + versionNames(server)},
	}
	if o.kind == failOldServer {
		old := probe.VersionName(slices.Max(server))
		f.Fix = append(enableModernTLS(false), enableOldVersion(in, c, old)...)
	} else {
		f.Fix = []Step{Say("Fix the client: upgrade it to one that speaks " + probe.VersionName(slices.Min(server)) + " or newer.")}
		if c.Kind == "java" {
			f.Fix = append(f.Fix, Say("Java: let it offer TLS 1.2 and 1.3:"), Set("java", "-Djdk.tls.client.protocols=TLSv1.2,TLSv1.3"))
		}
		f.Fix = append(f.Fix, Say("Or, on the server, also enable TLS 1.2:"), Set("nginx", "ssl_protocols TLSv1.2 TLSv1.3;"))
	}
	f.Clients = negotiationClients(in)
	return []Finding{f}
}

// enableOldVersion is the client stop-gap that lets client c speak the
// old version v.
func enableOldVersion(in *Input, c *ClientProfile, v string) []Step {
	jv := javaVersionName(v)
	steps := []Step{Say("Only as a stop-gap on the client:")}
	goV := map[string]string{"TLS 1.0": "tls.VersionTLS10", "TLS 1.1": "tls.VersionTLS11"}[v]
	pyV := map[string]string{"TLS 1.0": "TLSv1", "TLS 1.1": "TLSv1_1"}[v]
	nodeV := map[string]string{"TLS 1.0": "TLSv1", "TLS 1.1": "TLSv1.1"}[v]
	switch {
	case c.Kind == "java":
		return append(steps, Say("Java: remove "+jv+" from jdk.tls.disabledAlgorithms in $JAVA_HOME/conf/security/java.security, and allow it:"),
			Set("java", "-Djdk.tls.client.protocols="+jv+",TLSv1.2"))
	case c.Kind == "openssl":
		return append(steps, legacyClientCmd(in, v), legacyCurlCmd(in, v))
	case c.Kind == "go" && goV != "":
		return append(steps, Set("go", "tls.Config{MinVersion: "+goV+"}"))
	case c.Kind == "python" && pyV != "":
		return append(steps, Set("python", "ctx.minimum_version = ssl.TLSVersion."+pyV+"\nctx.set_ciphers('DEFAULT:@SECLEVEL=0')"))
	case c.Kind == "node" && nodeV != "":
		return append(steps, Set("node", "tls.connect({minVersion: '"+nodeV+"', ciphers: 'DEFAULT:@SECLEVEL=0'})"))
	case c.Kind == "dotnet":
		return append(steps, Set("dotnet", "[system_default_sect]\nMinProtocol = "+jv+"\nCipherString = DEFAULT:@SECLEVEL=0"))
	}
	return append(steps, Say("allow "+v+" in the client."))
}

// legacyCurlCmd is curl allowing the old version v at security level 0.
func legacyCurlCmd(in *Input, v string) Step {
	opt := map[string]string{"TLS 1.0": "--tlsv1.0", "TLS 1.1": "--tlsv1.1"}[v]
	if opt == "" {
		opt = "--tlsv1.0"
	}
	return curlCmd(in, opt, "--ciphers 'DEFAULT:@SECLEVEL=0'")
}

// dhFix is how to give a server 2048-bit DH parameters.
func dhFix() []Step {
	return []Step{
		Say("Server: use 2048-bit DH parameters (or the RFC 7919 ffdhe2048 group), or drop DHE suites and keep ECDHE:"),
		Cmd("openssl", "openssl dhparam -out dhparam.pem 2048"),
		Set("nginx", "ssl_dhparam /etc/nginx/dhparam.pem;"),
		Set("apache", "SSLOpenSSLConfCmd DHParameters /etc/apache2/dhparam.pem"),
		Set("java", "-Djdk.tls.ephemeralDHKeySize=2048"),
	}
}

func cipherMismatch(in *Input) []Finding {
	l, kind := retryMismatch(in)
	if kind == mismatchSigAlg {
		return sigAlgMismatch(in, l)
	}
	if kind == mismatchCipher {
		info := ciphersuite.Lookup(l.CipherID)
		_, why := suiteWeakness(info)
		yes, no := clientsOffering(l.CipherID, l.VersionID)
		how := "offered every suite crypto/tls speaks (TLS 1.0–1.2)"
		if l.Purpose == probe.PurposeAllSuites {
			how = "offered every registered suite (TLS 1.2), after TLS 1.0–1.2 with every suite crypto/tls speaks failed too"
		}
		detail := "Offered TLS 1.2–1.3 with Go's default cipher suites the handshake failed; " + how + ", the server chose " + suiteLabel(l.CipherID)
		if len(why) > 0 {
			detail += " (" + strings.Join(why, "; ") + ")"
		}
		detail += ". Clients that offer it by default: " + orNone(strings.Join(yes, ", ")) + "; clients that do not, and fail the same way: " + orNone(strings.Join(no, ", ")) + "."
		return []Finding{{
			Title:  "cipher mismatch: the server only accepts suites Go's defaults do not offer, such as " + l.CipherSuite,
			Detail: detail,
			Evidence: []string{
				fmt.Sprintf("offered %s with default suites: %s", versionRange(in.Rec.Primary().Offered), errText(in.Rec.Primary().Error)),
				fmt.Sprintf("offered %s with every suite: %s chose %s, %s", versionRange(l.Offered), serverWord(l), l.Version, l.CipherSuite),
			},
			Fix: []Step{
				Say("Server: enable ECDHE AES-GCM suites (Mozilla's intermediate list):"),
				Set("nginx", "ssl_ciphers "+mozillaIntermediateCiphers+";"),
				Say("List every suite the server accepts (and judge a given client with --client NAME):"),
				rerun(in, "--scan"),
			},
			Clients: negotiationClients(in),
		}}
	}
	c, sc := in.Env.Client, scanOf(in)
	if c == nil || sc == nil || sc.Incomplete {
		return nil // version-mismatch says the verdict is unknown
	}
	return namedClientFindings(in, c, sc)
}

// sigAlgMismatch reports a default run that failed because the server
// signs TLS 1.2 key exchanges only with legacy schemes: the all-suites
// hello a was answered with a suite Go offers, signed with SHA-1 (or
// SHA-224, MD5), and the same hello with only current schemes was refused.
func sigAlgMismatch(in *Input, a *probe.Attempt) []Finding {
	m := in.Rec.Attempt(probe.PurposeModernSigAlgs)
	clients := negotiationClients(in)
	return []Finding{{
		Title: "signature algorithm mismatch: the server signs TLS 1.2 key exchanges with " + a.SigAlg + ", which OpenSSL 3 (curl, Python, Node) and Go do not offer",
		Detail: "The suite is not the problem: " + a.CipherSuite + " is one current clients offer. The signature is: asked with every signature scheme, the server signed its key exchange with " + a.SigAlg +
			", and asked with only the schemes OpenSSL 3 offers by default (SHA-224 and up, a superset of Go's) it refused. SHA-1 and MD5 handshake signatures are deprecated (RFC 9155): Go 1.25 and later and OpenSSL 3 at its default security level (curl, Python, Node, .NET on Linux) do not offer them, so the server finds nothing to sign with and aborts; Java 17 still offers SHA-1 (not MD5) and connects to a server that signs with it.",
		Evidence: []string{
			fmt.Sprintf("offered %s with Go's defaults: %s", versionRange(in.Rec.Primary().Offered), errText(in.Rec.Primary().Error)),
			fmt.Sprintf("offered every suite and every signature scheme (TLS 1.2): the ServerHello chose %s, %s, signed with %s", a.Version, a.CipherSuite, a.SigAlg),
			fmt.Sprintf("offered %s with only %s: %s", a.CipherSuite, strings.Join(m.Offered.SigAlgs, ", "), errText(m.Error)),
		},
		Fix:     sigAlgFix(in, ""),
		Clients: clients,
	}}
}

// sigAlgFix is the fix for a server that signs only with legacy
// schemes; kind narrows the client stop-gap to one client family, and
// the empty kind gives them all.
func sigAlgFix(in *Input, kind string) []Step {
	steps := []Step{Say("Server (the fix): let it sign with SHA-256 (rsa_pss_rsae_sha256, rsa_pkcs1_sha256, ecdsa_secp256r1_sha256). On OpenSSL-based servers (nginx, Apache, HAProxy) remove any restriction on signature algorithms (nginx ssl_conf_command SignatureAlgorithms, Apache SSLOpenSSLConfCmd SignatureAlgorithms, -sigalgs) and any @SECLEVEL=0; an appliance or TLS stack that cannot sign with SHA-256 needs an upgrade.")}
	stop := map[string][]Step{
		"go":      {Say("Go 1.25 and later, in the environment:"), Set("go", "GODEBUG=tlssha1=1")},
		"openssl": {Say("openssl and curl:"), sClient(in, "-cipher 'DEFAULT:@SECLEVEL=0' </dev/null"), curlCmd(in, "--ciphers 'DEFAULT:@SECLEVEL=0'")},
		"python":  {Set("python", "ctx.set_ciphers('DEFAULT:@SECLEVEL=0')")},
		"node":    {Set("node", "tls.connect({ciphers: 'DEFAULT:@SECLEVEL=0'})")},
		"dotnet":  {Say(".NET on Linux uses the system OpenSSL:"), Set("dotnet", "[system_default_sect]\nCipherString = DEFAULT:@SECLEVEL=0")},
	}
	if s, ok := stop[kind]; ok {
		return append(append(steps, Say("Client stop-gap, until the server is fixed:")), s...)
	}
	if kind == "" {
		steps = append(steps, Say("Client stop-gaps, until the server is fixed:"))
		for _, k := range []string{"go", "openssl", "python", "node"} {
			steps = append(steps, stop[k]...)
		}
	}
	return steps
}

func groupNames(gs []uint16) string {
	var out []string
	for _, g := range gs {
		out = append(out, probe.GroupName(g))
	}
	return strings.Join(out, ", ")
}

func cipherFix(in *Input, c *ClientProfile, v probe.ScanVersion) []Step {
	// Suites the server accepts at this version that a client could add.
	var candidates, opensslNames []string
	for _, su := range v.Suites {
		if s, _ := suiteWeakness(ciphersuite.Lookup(su.ID)); s >= Error {
			continue
		}
		candidates = append(candidates, su.Name)
		if o := ciphersuite.Lookup(su.ID).OpenSSL(); o != "" {
			opensslNames = append(opensslNames, o)
		}
	}
	var clientSuites []string
	for _, id := range c.Suites {
		if o := ciphersuite.Lookup(id).OpenSSL(); o != "" && ciphersuite.Lookup(id).KeyExchange != "PSK" && !strings.Contains(o, "PSK") {
			clientSuites = append(clientSuites, o)
		}
		if len(clientSuites) == 4 {
			break
		}
	}
	steps := []Step{Say("Server (preferred): also accept a suite this client offers, for example (OpenSSL names, for nginx ssl_ciphers or Apache SSLCipherSuite) " + strings.Join(clientSuites, ", ") + ".")}
	if len(candidates) == 0 {
		return append(steps, Say("The server accepts nothing at "+v.Version+" that a client should enable."))
	}
	switch c.Kind {
	case "java":
		steps = append(steps,
			Say("Client stop-gap: remove the blocking entry from jdk.tls.disabledAlgorithms (java.security) so that one of "+strings.Join(candidates, ", ")+" is enabled, or enable it by name:"),
			Set("java", "-Dhttps.cipherSuites="+candidates[0]))
	case "openssl", "python", "node", "dotnet":
		if len(opensslNames) > 0 {
			steps = append(steps, Say("Client stop-gap:"),
				sClient(in, "-cipher", ShellQuote(strings.Join(opensslNames, ":")+":@SECLEVEL=0"), "</dev/null"),
				curlCmd(in, "--ciphers", ShellQuote(opensslNames[0]+":@SECLEVEL=0")))
		}
	case "go":
		steps = append(steps, Say("Client stop-gap: list one of "+strings.Join(candidates, ", ")+" in tls.Config.CipherSuites (tls.InsecureCipherSuites() has the weak ones):"),
			Set("go", "tls.Config{CipherSuites: []uint16{tls."+candidates[0]+"}}"))
	default:
		steps = append(steps, Say("Client: add one of "+strings.Join(candidates, ", ")+" to --ciphers."))
	}
	return steps
}
