package probe

// Scan is the result of --scan: every protocol version and cipher suite the
// server accepts, found by elimination (offer everything, remove the
// server's choice, repeat), its preference, and its key-exchange groups.
// See docs/record-scan.md.
type Scan struct {
	// Versions lists SSL 3.0 to TLS 1.3, oldest first, supported or not.
	Versions []ScanVersion `json:"versions"`
	// Groups are the key-exchange groups the server accepted in TLS 1.3
	// (or, without TLS 1.3, for ECDHE in TLS 1.2), in the server's order
	// when GroupsPreference is "server", else in the order we offer them.
	Groups []ScanGroup `json:"groups,omitempty"`
	// GroupsVersion is the protocol version the groups were tested with.
	GroupsVersion string `json:"groups_version,omitempty"`
	// GroupsPreference is "server" when the server chose groups by its
	// own order, "client" when it followed ours, empty when it could not
	// be told (fewer than two groups).
	GroupsPreference string `json:"groups_preference,omitempty"`
	// GroupsTLS12 are the ECDHE groups accepted in TLS 1.2, when Groups
	// are TLS 1.3's (a server may allow different ones per version).
	GroupsTLS12 []ScanGroup `json:"groups_tls12,omitempty"`
	// GroupsTLS12Preference is GroupsPreference for GroupsTLS12.
	GroupsTLS12Preference string `json:"groups_tls12_preference,omitempty"`
	// SigAlgs are the signature schemes the server signed TLS 1.2 key
	// exchanges with, from the suite elimination's answers and then by
	// elimination over every scheme not seen, in the server's order when
	// SigAlgsPreference is "server", else in ours. Empty when the server
	// has no TLS 1.2 ECDHE/DHE suite zcrypto reads.
	SigAlgs           []ScanSigAlg `json:"sig_algs_tls12,omitempty"`
	SigAlgsPreference string       `json:"sig_algs_tls12_preference,omitempty"`
	// Handshakes is the number of connections the scan made.
	Handshakes int `json:"handshakes"`
	// HalfClose says how scan connections ended: "used" (each hello was
	// followed by a TCP half-close, so the server was freed at once),
	// "dropped" (a half-closed hello got no answer at all, so the rest of
	// the scan, and that hello again, kept connections open) or "off".
	HalfClose string `json:"half_close,omitempty"`
	// MaxConns and DelayMS are the politeness limits the scan ran under.
	MaxConns   int     `json:"max_conns"`
	DelayMS    float64 `json:"delay_ms,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	// Incomplete is set when the scan was cut short (timeout, cancel) and
	// the lists may be missing entries; Errors says why.
	Incomplete bool     `json:"incomplete,omitempty"`
	Errors     []string `json:"errors,omitempty"`
}

// ScanVersion is what one protocol version offered alone gave.
type ScanVersion struct {
	Version   string `json:"version"`
	VersionID uint16 `json:"version_id"`
	Supported bool   `json:"supported"`
	// Suites are the accepted suites, in the server's order of preference
	// when Preference is "server", else in the order we offer them.
	Suites []ScanSuite `json:"suites,omitempty"`
	// Preference is "server" when the server chose by its own order,
	// "client" when it followed ours, empty when it could not be told
	// (fewer than two suites).
	Preference string `json:"preference,omitempty"`
	// DHBits is the size of the DH prime the server used for DHE suites in
	// this version, when a DHE handshake got that far.
	DHBits int `json:"dh_bits,omitempty"`
	// DHGroup names the DH prime when it is an RFC 7919 named group
	// ("ffdhe2048"); empty for custom parameters.
	DHGroup string `json:"dh_group,omitempty"`
	// DH is the same group with its parameters (p, g), for the checks
	// that judge whether it is safe; nil when no DHE handshake got that
	// far.
	DH *DHParams `json:"dh,omitempty"`
	// Refusal is how the server refused this version (alert name, closed
	// connection, other version chosen), when it did.
	Refusal string `json:"refusal,omitempty"`
	// Untested says why nothing is known of this version: "time budget"
	// when --timeout ran out before its hello got an answer, else the
	// inconclusive result (a timeout, a failed connection). It is then
	// neither supported nor refused. Empty when it was tested.
	Untested string `json:"untested,omitempty"`
	// SuitesIncomplete is set on a supported version whose enumeration
	// was cut short: Suites lists what was found, there may be more.
	SuitesIncomplete bool `json:"suites_incomplete,omitempty"`
}

// UntestedTimeBudget is ScanVersion.Untested when --timeout ran out.
const UntestedTimeBudget = "time budget"

// ScanSuite is one accepted cipher suite.
type ScanSuite struct {
	Name string `json:"name"`
	ID   uint16 `json:"id"`
	// Group is the ECDHE group the server uses with this suite, when
	// seen; in TLS 1.2 the one a client offering our group list gets (see
	// docs/record-scan.md).
	Group string `json:"group,omitempty"`
	// DHBits is the size of the server's DH prime for DHE suites, when seen.
	DHBits int `json:"dh_bits,omitempty"`
}

// ScanGroup is one accepted key-exchange group.
type ScanGroup struct {
	Name string `json:"name"`
	ID   uint16 `json:"id"`
}

// ScanSigAlg is one signature scheme (IANA name and code point).
type ScanSigAlg struct {
	Name string `json:"name"`
	ID   uint16 `json:"id"`
}
