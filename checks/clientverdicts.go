package checks

// How each client profile fares against the server, judged from what the
// record proves (serverview.go): the one source of both --client NAME's
// verdict and the per-client lines ("what clients say") of the protocol
// and cipher findings. A client's line never copies the alert our own Go
// probe received: it is the client's profile (versions, suites, TLS 1.2
// signature schemes, minimum DH size) against the server's facts, with
// the message that client prints (shared/client-errors.md), or "unknown"
// where the record cannot tell.

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Outcome kinds of judge.
const (
	outWorks   = "works"
	outUnknown = "unknown"
	// Failures.
	failOldServer = "old-version"  // the server speaks only versions older than the client's
	failNewServer = "new-version"  // the server speaks only versions newer than the client's
	failSuite     = "no-suite"     // no common cipher suite at the version negotiated
	failDHSize    = "dh-too-small" // the DHE group is smaller than the client allows
	failDHValue   = "dh-invalid"   // the client rejects the DHE parameters (generator out of range)
	failSigAlg    = "sigalg"       // the server signs only with schemes the client does not offer
	failLegacySig = "legacy-sig"   // a TLS 1.0/1.1 key exchange, signed with SHA-1, which the client refuses
	failGroup     = "group"        // no common key-exchange group
	failCertKey   = "cert-key"     // the client cannot verify signatures from the server's key type
)

// outcome is how one client fares.
type outcome struct {
	kind    string
	version uint16
	// suite is the suite negotiated, when the record pins it; accepted is
	// a suite the client offers that the server is proven to accept.
	suite, accepted uint16
	// common are the client's versions the server is proven to speak;
	// server the versions the server is proven to speak (for a version
	// failure).
	common, server []uint16
	dh             *probe.DHParams
	// detail says why, in words, for failures and unknowns.
	detail string
}

func (o outcome) fails() bool { return o.kind != outWorks && o.kind != outUnknown }

// harm is how one candidate suite would go for a client.
type harm struct {
	kind   string // outWorks, outUnknown or a failure kind
	detail string
	dh     *probe.DHParams
}

// judge says how client c fares against the server the view describes.
func judge(c *ClientProfile, s *serverView) outcome {
	if s.leafKey != "" && len(c.SigAlgs) > 0 && !slices.Contains(c.SigAlgs, s.leafKey) {
		return outcome{kind: failCertKey, detail: "the server's certificate has a " + strings.ToUpper(s.leafKey) + " key, which this client cannot verify signatures from"}
	}
	vs := versionsSorted(c.Versions)
	slices.Reverse(vs)
	for _, v := range vs {
		vv := s.versions[v]
		spoken := factUnknown
		if vv != nil {
			spoken = vv.spoken
		}
		if spoken == factNo {
			continue
		}
		su := usableSuites(c, v, s.leafKey)
		if spoken == factUnknown {
			// A server that refused every TLS 1.3 suite does not speak
			// TLS 1.3 (there is nothing else to negotiate there).
			if v == vTLS13 && vv != nil && len(su) > 0 && !slices.ContainsFunc(su, func(id uint16) bool { return !vv.refused[id] }) {
				continue
			}
			return outcome{kind: outUnknown, version: v, detail: s.source + " do not show whether the server speaks " + probe.VersionName(v)}
		}
		o := judgeAt(c, v, vv, su, s)
		for _, w := range vs {
			if x := s.versions[w]; x != nil && x.spoken == factYes {
				o.common = append(o.common, w)
			}
		}
		return o
	}
	o := outcome{}
	for v, vv := range s.versions {
		if vv.spoken == factYes {
			o.server = append(o.server, v)
		}
	}
	slices.Sort(o.server)
	switch {
	case len(o.server) == 0:
		o.kind, o.detail = outUnknown, s.source+" do not show any version the server speaks"
	case slices.Max(o.server) < slices.Min(c.Versions):
		o.kind = failOldServer
	default:
		o.kind = failNewServer
	}
	return o
}

// judgeAt judges the suites at version v, which both speak. The server
// picks by its own order (the favourite, or the first of its list the
// client offers) or by the client's (the client's first suite it
// accepts); unless a scan told which, both are candidates.
func judgeAt(c *ClientProfile, v uint16, vv *versionView, su []uint16, s *serverView) outcome {
	o := outcome{version: v}
	if len(su) == 0 {
		o.kind = failSuite
		return o
	}
	refused := func(id uint16) bool {
		if vv.refused[id] {
			return true
		}
		return vv.refusedBySig[id] && !(s.legacySig != 0 && slices.Contains(c.Schemes12, s.legacySig))
	}
	var cands []uint16
	add := func(id uint16) {
		if !slices.Contains(cands, id) {
			cands = append(cands, id)
		}
	}
	if vv.pref != "client" {
		switch {
		case vv.complete && vv.pref == "server":
			for _, id := range vv.accepted {
				if slices.Contains(su, id) {
					add(id)
					break
				}
			}
		case vv.favourite != 0 && slices.Contains(su, vv.favourite):
			add(vv.favourite)
		default:
			for _, id := range su {
				if !refused(id) {
					add(id)
				}
			}
		}
	}
	if vv.pref != "server" {
		for _, id := range su {
			if refused(id) || vv.refusedIfClientOrder[id] {
				continue
			}
			add(id)
			if vv.isAccepted(id) {
				break
			}
		}
	}
	for _, id := range su {
		if vv.isAccepted(id) {
			o.accepted = id
			break
		}
	}
	if len(cands) == 0 {
		o.kind = failSuite
		return o
	}
	// Without a suite proven accepted, the server may refuse them all.
	unsure := o.accepted == 0
	var hs []harm
	works, fails := 0, 0
	for _, id := range cands {
		h := judgeSuite(c, v, id, s)
		hs = append(hs, h)
		switch {
		case h.kind == outWorks:
			works++
		case h.kind != outUnknown:
			fails++
		}
	}
	switch {
	case fails == len(cands):
		// Every suite it could get fails for it (and refusing them all
		// fails too).
		o.kind, o.detail, o.dh = hs[0].kind, hs[0].detail, hs[0].dh
		if len(cands) == 1 {
			o.suite = cands[0]
		}
	case unsure:
		o.kind = outUnknown
		o.detail = fmt.Sprintf("%s do not show whether the server accepts any suite %s offers at %s", s.source, c.Name, probe.VersionName(v))
	case works == len(cands):
		o.kind = outWorks
		if len(cands) == 1 {
			o.suite = cands[0]
		}
	default:
		o.kind = outUnknown
		for i, h := range hs {
			if h.kind != outWorks {
				o.detail = fmt.Sprintf("the server may pick %s, and then %s", ciphersuite.Name(cands[i]), orWord(h.detail, "the outcome is not in the record"))
				break
			}
		}
	}
	return o
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// judgeSuite says how suite id at version v goes for client c.
func judgeSuite(c *ClientProfile, v, id uint16, s *serverView) harm {
	info := ciphersuite.Lookup(id)
	if info.KeyExchange == "TLS13" || info.KeyExchange == "ECDHE" {
		if s.scan != nil {
			if groups, tested := groupsAt(s.scan, v); len(c.Groups) > 0 && len(groups) > 0 && allTested(c.Groups, tested) &&
				!slices.ContainsFunc(groups, func(g probe.ScanGroup) bool { return slices.Contains(c.Groups, g.ID) }) {
				var names []string
				for _, g := range groups {
					names = append(names, g.Name)
				}
				return harm{kind: failGroup, detail: "the server accepts only " + strings.Join(names, ", ")}
			}
		}
	}
	var h harm
	if info.KeyExchange == "DHE" {
		dh := s.dhAt(v)
		// OpenSSL checks the parameters (DH_check_params) before their
		// size, so a bad generator is what it reports.
		switch {
		case dh == nil:
			return harm{kind: outUnknown, detail: "the size of the server's DH group is not in the record"}
		case checksDHGenerator(c) && badGenerator(dh):
			return harm{kind: failDHValue, dh: dh, detail: "it rejects the server's DH generator (1 or p-1 has order 2 or less)"}
		case c.MinDHBits > 0 && dh.Bits < c.MinDHBits:
			return harm{kind: failDHSize, dh: dh, detail: fmt.Sprintf("the server's %d-bit DH group is below its minimum of %d bits", dh.Bits, c.MinDHBits)}
		}
		h.dh = dh
	}
	if v < vTLS12 && signed(id) && refusesSHA1(c) {
		return harm{kind: failLegacySig, detail: "the server signs its " + probe.VersionName(v) + " key exchange (" + info.KeyExchange + ") with SHA-1, which this client refuses"}
	}
	if v == vTLS12 && signed(id) {
		switch {
		case len(s.sigAlgs) > 0 && len(c.Schemes12) > 0 && !slices.ContainsFunc(s.sigAlgs, func(a uint16) bool { return slices.Contains(c.Schemes12, a) }):
			var names []string
			for _, a := range s.sigAlgs {
				names = append(names, probe.SigAlgName(a))
			}
			return harm{kind: failSigAlg, detail: "the server signs TLS 1.2 key exchanges only with " + strings.Join(names, ", ")}
		case s.legacySig != 0 && len(c.Schemes12) == 0:
			return harm{kind: outUnknown, detail: "the server signs only with " + probe.SigAlgName(s.legacySig) + ", and whether this client offers it is not known"}
		case s.legacySig != 0 && !slices.Contains(c.Schemes12, s.legacySig):
			return harm{kind: failSigAlg, detail: "the server signs TLS 1.2 key exchanges only with " + probe.SigAlgName(s.legacySig)}
		}
	}
	h.kind = outWorks
	return h
}

// refusesSHA1 says whether the client refuses SHA-1 handshake
// signatures, judged from its TLS 1.2 schemes: below TLS 1.2 a signed key
// exchange is always signed with SHA-1 (MD5+SHA-1 for RSA), and OpenSSL 3
// refuses it at TLS 1.0/1.1 for the same reason it does not offer SHA-1
// at TLS 1.2 (measured, OpenSSL 3.0.19: "legacy sigalg disallowed or
// unsupported"; RSA key exchange, unsigned, connects).
func refusesSHA1(c *ClientProfile) bool {
	return len(c.Schemes12) > 0 && !slices.ContainsFunc(c.Schemes12, func(a uint16) bool { return a&0xff00 == 0x0200 })
}

// checksDHGenerator says whether the client refuses a DH generator of
// order 2 or less (measured: OpenSSL 3 "not suitable generator" / "bad dh
// value", Java "Invalid DH ServerKeyExchange: invalid parameters").
func checksDHGenerator(c *ClientProfile) bool {
	switch c.Kind {
	case "java", "openssl", "python", "node", "dotnet":
		return true
	}
	return false
}

// badGenerator says whether g is outside [2, p-2].
func badGenerator(dh *probe.DHParams) bool {
	if dh == nil || len(dh.Prime) == 0 {
		return false
	}
	p, g := new(big.Int).SetBytes(dh.Prime), new(big.Int).SetBytes(dh.Generator)
	return g.Cmp(big.NewInt(2)) < 0 || g.Cmp(new(big.Int).Sub(p, big.NewInt(2))) > 0
}

// defaultClients are the clients of the per-client lines, with the
// profile each is judged by: the clients whose messages are measured
// (shared/client-errors.md).
var defaultClients = []struct{ name, profile string }{
	{"java", "java17"}, {"curl", "curl"}, {"openssl", "openssl3"}, {"python", "python"}, {"go", "go"},
}

// negotiationClients are the per-client lines of a protocol or cipher
// finding: each default client (or the --client one) judged against what
// the record shows. They are nil when no default client is proven to
// fail: the lines are for where clients differ.
func negotiationClients(in *Input) []ClientVerdict {
	s := in.view()
	if c := in.Env.Client; c != nil {
		return []ClientVerdict{clientLine(c.Name, clientFamily(c), judge(c, s), s)}
	}
	var out []ClientVerdict
	differ := false
	for _, d := range defaultClients {
		p, _ := LookupClient(d.profile)
		o := judge(&p, s)
		differ = differ || o.fails()
		out = append(out, clientLine(d.name, d.name, o, s))
	}
	if !differ {
		return nil
	}
	return out
}

// clientFamily is whose messages a profile prints: "java", "curl",
// "openssl", "go", or its kind.
func clientFamily(c *ClientProfile) string {
	if c.Name == "curl" {
		return "curl"
	}
	return c.Kind
}

// clientLine renders an outcome as what client name prints.
func clientLine(name, family string, o outcome, s *serverView) ClientVerdict {
	switch o.kind {
	case outWorks:
		msg := "connects: " + probe.VersionName(o.version)
		switch {
		case o.suite != 0:
			msg += ", " + ciphersuite.Name(o.suite)
		case o.accepted != 0:
			msg += " (it offers " + ciphersuite.Name(o.accepted) + ", which the server accepts)"
		}
		return ClientVerdict{Client: name, Message: msg}
	case outUnknown:
		msg := "cannot tell: " + o.detail
		if !s.fromScan {
			msg += " (--scan tells)"
		}
		return ClientVerdict{Client: name, Unknown: true, Message: msg}
	}
	return ClientVerdict{Client: name, Fails: true, Message: failMessage(o, family)}
}

// failMessage is what a client of family prints for a failure, measured
// where shared/client-errors.md has it.
func failMessage(o outcome, family string) string {
	pick := func(vs []ClientVerdict) string {
		for _, v := range vs {
			if v.Client == family {
				return v.Message
			}
		}
		return ""
	}
	var msg string
	switch o.kind {
	case failOldServer:
		// Measured against a TLS 1.0-only server: Java and Go offer
		// nothing older than TLS 1.2 and get its protocol_version alert.
		// Against an older server the others were not measured.
		if family == "java" || family == "go" {
			msg = pick(alertMessages("protocol_version", 70, false))
		}
		if family == "python" {
			// Python 3.11 against the TLS 1.0-only fixture (TLS 1.2 minimum).
			msg = pythonAlert("protocol_version")
		}
	case failNewServer:
		msg = pick(alertMessages("protocol_version", 70, false))
	case failSuite, failSigAlg, failGroup:
		msg = pick(alertMessages("handshake_failure", 40, false))
		if family == "python" {
			msg = pythonAlert("handshake_failure")
		}
	case failLegacySig:
		msg = map[string]string{
			"curl":    "curl: (35) OpenSSL/3.0: error:0A00014D:SSL routines::legacy sigalg disallowed or unsupported",
			"openssl": "error:0A00014D:SSL routines:tls_process_key_exchange:legacy sigalg disallowed or unsupported",
		}[family]
	case failDHSize:
		msg = map[string]string{
			"curl":    "curl: (35) OpenSSL/3.0: error:0A00018A:SSL routines::dh key too small",
			"openssl": "error:0A00018A:SSL routines:tls_process_ske_dhe:dh key too small",
			"python":  "ssl.SSLError: [SSL: DH_KEY_TOO_SMALL] dh key too small",
			// Java 17 for a group below jdk.tls.disabledAlgorithms' "DH
			// keySize < 1024": measured against the fixtures' DHE server
			// with the 768-bit RFC 2409 group 1 (client-errors.md).
			"java": "javax.net.ssl.SSLHandshakeException: DH ServerKeyExchange does not comply to algorithm constraints",
		}[family]
	case failDHValue:
		msg = map[string]string{
			"curl":    "curl: (35) OpenSSL/3.0: error:02800078:Diffie-Hellman routines::not suitable generator",
			"openssl": "error:0A000066:SSL routines:tls_process_ske_dhe:bad dh value",
			"java":    "javax.net.ssl.SSLHandshakeException: Invalid DH ServerKeyExchange: invalid parameters",
		}[family]
	}
	why := map[string]string{
		failOldServer: "the server speaks only " + versionNames(o.server),
		failNewServer: "the server speaks only " + versionNames(o.server),
		failSuite:     "no cipher suite in common at " + probe.VersionName(o.version),
		failCertKey:   o.detail,
	}[o.kind]
	if why == "" {
		why = o.detail
	}
	if msg == "" {
		return "fails: " + why
	}
	return msg
}
