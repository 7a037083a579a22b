package checks

// What the record proves about the server's protocol versions, cipher
// suites, DH group and signature algorithms: everything, from a complete
// scan, or the few facts the default run's handshakes establish. It is the
// one input of judge (clientverdicts.go), which says how each client
// profile fares, so that --client NAME and the default run's "what clients
// say" come from the same reasoning.
//
// A fact is proven or unknown, never assumed. From the default run:
//   - a ServerHello for version V to an offer of [lo, hi] proves V is
//     spoken and every version above it up to hi is not (a server picks
//     the highest it shares), and that its suite is accepted at V; if the
//     server follows the client's order, every suite offered before it was
//     not accepted;
//   - a protocol_version alert (or refusal) to an offer proves none of
//     its versions is spoken; a handshake_failure or a dropped connection
//     before any certificate proves none of its suites is accepted at
//     those versions;
//   - the all-suites hello offers every suite, so its pick is the server's
//     own favourite when the server chooses by its own order;
//   - the DH group of a DHE ServerKeyExchange is the server's (one
//     dhparam setting serves every DHE suite);
//   - a server that signed the all-suites answer with a legacy scheme and
//     refused the same hello offering only current schemes signs only
//     with that scheme.
// Key-exchange groups are known only from a scan.

import (
	"crypto/tls"
	"slices"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

type fact int8

const (
	factUnknown fact = iota
	factYes
	factNo
)

// versionView is what is known of one protocol version.
type versionView struct {
	spoken fact
	// accepted are suites proven accepted, in the server's order when
	// pref is "server".
	accepted []uint16
	refused  map[uint16]bool
	// refusedBySig are refusals that may be about signatures rather than
	// the suite (a signed suite refused by a server that signs only with
	// legacySig): they hold for clients that do not offer that scheme.
	refusedBySig map[uint16]bool
	// refusedIfClientOrder are suites a server following the client's
	// order cannot accept: they came before its pick in an offer.
	refusedIfClientOrder map[uint16]bool
	// favourite is the server's pick from an offer of every suite: what
	// it picks for any client, if it chooses by its own order.
	favourite uint16
	// pref is "server" or "client" when a scan told, else "".
	pref string
	// complete marks a scanned version: every suite not accepted is
	// refused.
	complete bool
	// dh is the DH prime size for DHE suites, 0 when unknown.
	dh *probe.DHParams
}

func (v *versionView) isAccepted(id uint16) bool { return slices.Contains(v.accepted, id) }

// serverView is what the record proves about the server.
type serverView struct {
	// source says where the facts come from, for messages.
	source   string
	fromScan bool
	versions map[uint16]*versionView
	// leafKey is the type of the server certificate's key ("rsa",
	// "ecdsa", ...), empty when unknown.
	leafKey string
	// sigAlgs are the TLS 1.2 schemes the server signs with (a scan).
	sigAlgs []uint16
	// legacySig is the one legacy scheme the server signs with, proven by
	// the all-suites and modern-sigalgs hellos.
	legacySig uint16
	// dh is the server's DH group, from any DHE answer.
	dh   *probe.DHParams
	scan *probe.Scan
}

func (s *serverView) version(v uint16) *versionView {
	vv, ok := s.versions[v]
	if !ok {
		vv = &versionView{refused: map[uint16]bool{}, refusedBySig: map[uint16]bool{}, refusedIfClientOrder: map[uint16]bool{}}
		s.versions[v] = vv
	}
	return vv
}

// dhAt is the DH group used at version v.
func (s *serverView) dhAt(v uint16) *probe.DHParams {
	if vv := s.versions[v]; vv != nil && vv.dh != nil {
		return vv.dh
	}
	return s.dh
}

// view builds the record's serverView once per Input: from the scan when
// there is a complete one, else from the default run's attempts.
func (in *Input) view() *serverView {
	if in.viewCache != nil {
		return in.viewCache
	}
	s := &serverView{versions: map[uint16]*versionView{}, leafKey: leafKeyType(in)}
	if sc := in.Rec.Scan; sc != nil && !sc.Incomplete {
		s.fromScan, s.source, s.scan = true, "the scan", sc
		viewFromScan(s, sc)
	} else {
		s.source = "the default run's handshakes"
		viewFromAttempts(s, in.Rec)
	}
	in.viewCache = s
	return s
}

func viewFromScan(s *serverView, sc *probe.Scan) {
	for _, sv := range sc.Versions {
		vv := s.version(sv.VersionID)
		vv.complete, vv.pref, vv.dh = true, sv.Preference, sv.DH
		if vv.dh == nil && sv.DHBits > 0 {
			vv.dh = &probe.DHParams{Bits: sv.DHBits, Group: sv.DHGroup}
		}
		if vv.dh != nil && s.dh == nil {
			s.dh = vv.dh
		}
		if !sv.Supported {
			vv.spoken = factNo
			continue
		}
		vv.spoken = factYes
		for _, su := range sv.Suites {
			vv.accepted = append(vv.accepted, su.ID)
		}
		for _, id := range ciphersuite.Scannable() {
			if !vv.isAccepted(id) {
				vv.refused[id] = true
			}
		}
	}
	for _, a := range sc.SigAlgs {
		s.sigAlgs = append(s.sigAlgs, a.ID)
	}
}

// goDefaultOffer is what the primary attempt offers when its suites are
// not recorded: crypto/tls's defaults, the go profile.
func goDefaultOffer() []uint16 {
	p, _ := LookupClient("go")
	return p.Suites
}

// legacyOffer is what the legacy-versions retry offered, for records that
// do not list it: every suite crypto/tls speaks.
func legacyOffer() []uint16 {
	var out []uint16
	for _, cs := range tls.CipherSuites() {
		out = append(out, cs.ID)
	}
	for _, cs := range tls.InsecureCipherSuites() {
		out = append(out, cs.ID)
	}
	return out
}

func versionID(name string) uint16 {
	switch name {
	case "SSL 3.0":
		return vSSL3
	case "TLS 1.0":
		return vTLS10
	case "TLS 1.1":
		return vTLS11
	case "TLS 1.2":
		return vTLS12
	case "TLS 1.3":
		return vTLS13
	}
	return 0
}

// refusedBeforeServerHello says whether a failed attempt shows the server
// refusing the offer itself: an alert or a dropped connection during the
// handshake, before any certificate.
func refusedBeforeServerHello(a *probe.Attempt) (versions bool, ok bool) {
	e := a.Error
	if a.Outcome == "ok" || a.Outcome == "server-hello" || e == nil || e.Stage != probe.StageHandshake || len(a.Certificates) > 0 {
		return false, false
	}
	switch e.Kind {
	case probe.KindClosed, probe.KindReset:
		return false, true
	case probe.KindAlert:
		if e.Alert == nil || e.Alert.Direction != "received" {
			return false, false
		}
		switch e.Alert.Name {
		case "protocol_version":
			return true, true
		case "handshake_failure", "insufficient_security":
			return false, true
		}
	}
	return false, false
}

func viewFromAttempts(s *serverView, rec *probe.Record) {
	var modern *probe.Attempt
	for i := range rec.Attempts {
		a := &rec.Attempts[i]
		if a.Purpose == probe.PurposeModernSigAlgs {
			modern = a
			continue // about signatures, not suites: read below
		}
		lo, hi := versionID(a.Offered.MinVersion), versionID(a.Offered.MaxVersion)
		if lo == 0 || hi == 0 {
			continue
		}
		offer := a.Offered.Suites
		if len(offer) == 0 {
			switch a.Purpose {
			case probe.PurposeLegacy:
				offer = legacyOffer()
			case probe.PurposeAllSuites:
				offer = ciphersuite.Scannable()
			default:
				offer = goDefaultOffer()
			}
		}
		if a.Purpose != probe.PurposeAllSuites && hi == vTLS13 {
			// crypto/tls always offers the three TLS 1.3 suites.
			offer = append(slices.Clone(offer), 0x1301, 0x1302, 0x1303)
		}
		if a.VersionID != 0 && a.CipherID != 0 {
			v := a.VersionID
			vv := s.version(v)
			vv.spoken = factYes
			if !vv.isAccepted(a.CipherID) {
				vv.accepted = append(vv.accepted, a.CipherID)
			}
			for w := v + 1; w <= hi; w++ {
				s.version(w).spoken = factNo
			}
			if a.Purpose == probe.PurposeAllSuites {
				// zcrypto sends the suites in exactly this order (crypto/tls
				// reorders its own, so its picks say nothing of order).
				for _, id := range offer {
					if id == a.CipherID {
						break
					}
					vv.refusedIfClientOrder[id] = true
				}
				vv.favourite = a.CipherID
			}
			if a.DH != nil {
				vv.dh, s.dh = a.DH, a.DH
			}
			continue
		}
		versionLevel, ok := refusedBeforeServerHello(a)
		if !ok {
			continue
		}
		for w := lo; w <= hi; w++ {
			vv := s.version(w)
			if versionLevel {
				vv.spoken = factNo
				continue
			}
			for _, id := range offer {
				if suiteAt(id, w) {
					vv.refused[id] = true
				}
			}
		}
	}
	// A server that signed the all-suites answer with a legacy scheme and
	// refused it offered only current schemes signs only with that one:
	// its refusals of signed suites may be about the signature.
	if all := rec.Attempt(probe.PurposeAllSuites); all != nil && modern != nil && probe.LegacySigAlg(all.SigAlgID) &&
		modern.Outcome == "failed" && modern.Error != nil && modern.Error.Kind == probe.KindAlert {
		s.legacySig = all.SigAlgID
		for _, vv := range s.versions {
			for id := range vv.refused {
				if signed(id) && !vv.isAccepted(id) {
					vv.refusedBySig[id] = true
				}
			}
			// A suite both accepted (signed with the legacy scheme) and
			// refused (offered with current schemes) was refused for its
			// signature.
			for _, id := range vv.accepted {
				if vv.refused[id] {
					delete(vv.refused, id)
					vv.refusedBySig[id] = true
				}
			}
		}
	}
	// Refusals never override a proven acceptance.
	for _, vv := range s.versions {
		for _, id := range vv.accepted {
			delete(vv.refused, id)
		}
	}
}

// signed says whether a TLS 1.2 suite's key exchange is signed (ECDHE,
// DHE), so that the server's signature schemes matter.
func signed(id uint16) bool {
	switch ciphersuite.Lookup(id).KeyExchange {
	case "ECDHE", "DHE":
		return ciphersuite.Lookup(id).Auth != "anon"
	}
	return false
}

// suiteAt says whether a suite can be negotiated at version v: TLS 1.3
// suites only in TLS 1.3; AEAD and SHA-2 MAC suites from TLS 1.2.
func suiteAt(id, v uint16) bool {
	info := ciphersuite.Lookup(id)
	if info.KeyExchange == "" {
		return false
	}
	if info.KeyExchange == "TLS13" {
		return v == vTLS13
	}
	if v == vTLS13 {
		return false
	}
	if v < vTLS12 && (info.AEAD() || info.MAC == "SHA256" || info.MAC == "SHA384") {
		return false
	}
	return true
}

// usableSuites are the suites client c offers at version v with a server
// whose key is of type key: those it can negotiate there, without the
// PSK and SRP suites clients only send when configured for them, and
// without the suites the server's certificate cannot serve.
func usableSuites(c *ClientProfile, v uint16, key string) []uint16 {
	var out []uint16
	for _, id := range c.Suites {
		if !suiteAt(id, v) {
			continue
		}
		info := ciphersuite.Lookup(id)
		if info.KeyExchange == "PSK" || info.KeyExchange == "SRP" || strings.Contains(info.Auth, "PSK") || strings.Contains(info.Auth, "SRP") {
			continue
		}
		if key != "" && info.KeyExchange != "TLS13" && !authFits(info, key) {
			continue
		}
		out = append(out, id)
	}
	return out
}

// authFits says whether a server certificate with a key of type key can
// serve the suite.
func authFits(info ciphersuite.Info, key string) bool {
	switch info.Auth {
	case "RSA":
		return key == "rsa"
	case "ECDSA":
		// RFC 8422 §2: ECDHE_ECDSA suites are served by ECDSA and EdDSA
		// certificates alike.
		return key == "ecdsa" || key == "ed25519"
	case "DSS":
		return key == "dsa"
	}
	return true // anon, static DH/ECDH and the rest: not judged
}
