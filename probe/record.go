package probe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// RecordVersion is the version of the record JSON format written by this
// package. It changes only when a field changes meaning or is removed; new
// optional fields do not bump it. See docs/record.md.
const RecordVersion = 1

// Record is everything the probe observed about one target. It is the only
// input of the checks: anything a check needs must be here. It never holds a
// private key or a password.
type Record struct {
	RecordVersion int       `json:"record_version"`
	Tool          string    `json:"tool"`
	StartedAt     time.Time `json:"started_at"`
	Target        Target    `json:"target"`
	// DNS is the name resolution done once for the whole run.
	DNS DNSResult `json:"dns"`
	// Attempts lists every handshake in the order it was made. The first is
	// the primary attempt; later ones exist only to explain a failure of the
	// first (for example a retry with older protocol versions).
	Attempts []Attempt `json:"attempts"`
	// DurationMS is the wall time of the whole probe.
	DurationMS float64 `json:"duration_ms"`
	// Truststores are the trust settings in force when the record was
	// made, so that an offline diagnosis judges with the same trust. A
	// named store ("system") is recorded by name only; certificates the
	// user supplied are embedded (they are public).
	Truststores []RecordedTruststore `json:"truststores,omitempty"`
	// Revocation holds the OCSP and CRL answers fetched for the chain.
	Revocation *Revocation `json:"revocation,omitempty"`
	// ClientIdentity is the client certificate chain offered, when one
	// was given (see record_mtls.go).
	ClientIdentity *ClientIdentity `json:"client_identity,omitempty"`
	// AIA lists the caIssuers downloads made to complete the chain.
	AIA []AIAFetch `json:"aia_fetches,omitempty"`
	// Scan is set by --scan: every version, suite and group accepted.
	Scan *Scan `json:"scan,omitempty"`
	// Connection is how the server was reached when that was more than a
	// direct TCP connection: the address family forced, --all-ips, the
	// proxy (without credentials) and the STARTTLS protocol (see
	// record_connect.go, docs/record-connect.md).
	Connection *ConnectionInfo `json:"connection,omitempty"`
	// SNICheck is the handshake made without SNI next to the primary one
	// (Purpose "no-sni"), to tell whether the server needs SNI.
	SNICheck *Attempt `json:"sni_check,omitempty"`
	// SNICheckOff says the handshake without SNI was turned off
	// (--no-sni-check) for a run that would have made it: whether the
	// server needs SNI was not checked.
	SNICheckOff bool `json:"sni_check_off,omitempty"`
	// Backends are, with --all-ips, the primary handshake made to each
	// other resolved address (Purpose "backend"), in resolver order.
	Backends []Attempt `json:"backends,omitempty"`
	// BackendScans are, with --all-ips and --scan, the scan of each
	// backend address that took a connection, in the order of Backends.
	BackendScans []BackendScan `json:"backend_scans,omitempty"`
	// DirectCheck is, when the run goes through a proxy, the primary
	// handshake made without the proxy (Purpose "direct"), to compare the
	// certificate seen on each path (TLS interception).
	DirectCheck *Attempt `json:"direct_check,omitempty"`
}

// RecordedTruststore is a truststore as recorded.
type RecordedTruststore struct {
	Name         string        `json:"name"`
	Certificates []Certificate `json:"certificates,omitempty"`
}

// Target is what the user asked for, normalised.
type Target struct {
	// Input is the target argument exactly as given.
	Input string `json:"input"`
	// Host is the name (or IP literal) the certificate is checked against.
	Host string `json:"host"`
	Port int    `json:"port"`
	// Scheme is "https" when the target was given as an https:// URL.
	Scheme string `json:"scheme,omitempty"`
	// Path is the URL path, used for the post-handshake HTTP request.
	Path string `json:"path,omitempty"`
	// SNI is the server name sent, empty when none was sent.
	SNI string `json:"sni,omitempty"`
	// ConnectHost and ConnectPort are where the TCP connection went, when
	// --connect-to or an IP target made them differ from Host.
	ConnectHost string `json:"connect_host"`
	ConnectPort int    `json:"connect_port"`
	// ALPN is the list of protocols offered.
	ALPN []string `json:"alpn,omitempty"`
}

// DNSResult is the outcome of resolving Target.ConnectHost.
type DNSResult struct {
	Addresses []string `json:"addresses,omitempty"`
	// ByProxy is true when the name was left for the proxy to resolve.
	ByProxy    bool        `json:"by_proxy,omitempty"`
	DurationMS float64     `json:"duration_ms"`
	Error      *ProbeError `json:"error,omitempty"`
}

// Attempt is one TCP connection and TLS handshake.
type Attempt struct {
	// Purpose says why this handshake was made: "primary", or the variant,
	// for example "legacy-versions".
	Purpose string `json:"purpose"`
	Offered Offer  `json:"offered"`
	// Address is the IP:port the TCP connection was made to (host:port
	// when a proxy resolved the name).
	Address string `json:"address,omitempty"`
	// Dial is what the connection said before the ClientHello, when it
	// went through a proxy or STARTTLS (see record_connect.go).
	Dial    *DialLog `json:"dial,omitempty"`
	Timings Timings  `json:"timings"`
	// Outcome is "ok" when the handshake (and any post-handshake verdict)
	// succeeded, "failed" otherwise; "server-hello" for the all-suites
	// attempt when the server answered (see PurposeAllSuites).
	Outcome string      `json:"outcome"`
	Error   *ProbeError `json:"error,omitempty"`

	// Negotiated parameters; empty when the handshake did not finish.
	Version     string `json:"version,omitempty"`
	VersionID   uint16 `json:"version_id,omitempty"`
	CipherSuite string `json:"cipher_suite,omitempty"`
	CipherID    uint16 `json:"cipher_suite_id,omitempty"`
	// Group is the key-exchange group (for example X25519MLKEM768).
	Group   string `json:"group,omitempty"`
	GroupID uint16 `json:"group_id,omitempty"`
	// SigAlg is the signature scheme of the TLS 1.2 ServerKeyExchange
	// (IANA name, e.g. rsa_pkcs1_sha1), recorded by the all-suites and
	// modern-sigalgs attempts.
	SigAlg   string `json:"signature_algorithm,omitempty"`
	SigAlgID uint16 `json:"signature_algorithm_id,omitempty"`
	// DH is the server's finite-field DH group from a DHE
	// ServerKeyExchange, recorded by the attempts that read it (all-suites,
	// modern-sigalgs); nil otherwise.
	DH      *DHParams `json:"dh,omitempty"`
	ALPN    string    `json:"alpn,omitempty"`
	Resumed bool      `json:"resumed"`

	// Certificates is the server's chain exactly as sent, in order.
	Certificates []Certificate `json:"certificates,omitempty"`
	// CertificatesFromWire is set when Certificates were read from the
	// handshake bytes because crypto/tls refused the Certificate message
	// (a certificate it cannot parse, a message over its 256 KiB limit);
	// such a handshake failed. Only possible where the message is in the
	// clear: TLS 1.2 and older.
	CertificatesFromWire bool `json:"certificates_from_wire,omitempty"`
	// CertificatesTruncated is set when the Certificate message was larger
	// than the probe keeps (512 KiB): Certificates holds the first ones.
	CertificatesTruncated bool `json:"certificates_truncated,omitempty"`
	// CertificateMessageBytes is the length of the server's Certificate
	// message body as the server declared it, when the probe saw it in the
	// clear (TLS 1.2 and older); 0 when unknown.
	CertificateMessageBytes int `json:"certificate_message_bytes,omitempty"`
	// CertificateRequest is set when the server asked for a client
	// certificate.
	CertificateRequest *CertificateRequest `json:"certificate_request,omitempty"`
	// ClientCertificateSent says whether we answered a CertificateRequest
	// with a certificate.
	ClientCertificateSent bool `json:"client_certificate_sent"`
	// NoClientCertificateReason says why no certificate was sent when one
	// was requested.
	NoClientCertificateReason string `json:"no_client_certificate_reason,omitempty"`
	// OCSPStaple is the stapled OCSP response, DER.
	OCSPStaple []byte `json:"ocsp_staple,omitempty"`
	// SCTs are the signed certificate timestamps sent in the TLS extension.
	SCTs [][]byte `json:"scts,omitempty"`
	// PostHandshake is set when we waited for the server's verdict after the
	// handshake (TLS 1.3 with a CertificateRequest).
	PostHandshake *PostHandshake `json:"post_handshake,omitempty"`
}

// DHParams is a finite-field Diffie-Hellman group as a server sent it in
// its ServerKeyExchange (RFC 5246 §7.4.3): the prime p and the generator g,
// big-endian. Prime is left out (Bits alone) above MaxDHPrimeBytes.
type DHParams struct {
	Bits int `json:"bits"`
	// Group is the RFC 7919 name ("ffdhe2048") when the prime is one.
	Group     string `json:"group,omitempty"`
	Prime     []byte `json:"prime,omitempty"`
	Generator []byte `json:"generator,omitempty"`
}

// MaxDHPrimeBytes bounds the DH prime a record keeps: 8192 bits, the
// largest group any standard defines (RFC 7919 ffdhe8192, RFC 3526 group
// 18). A larger prime is recorded by its size only.
const MaxDHPrimeBytes = 1024

// NewDHParams records p and g (big-endian) of bits bits; nil when bits is 0.
func NewDHParams(bits int, group string, p, g []byte) *DHParams {
	if bits == 0 {
		return nil
	}
	d := &DHParams{Bits: bits, Group: group}
	if len(p) <= MaxDHPrimeBytes && len(g) <= MaxDHPrimeBytes {
		d.Prime, d.Generator = append([]byte(nil), p...), append([]byte(nil), g...)
	}
	return d
}

// Offer is what our ClientHello offered.
type Offer struct {
	MinVersion string   `json:"min_version"`
	MaxVersion string   `json:"max_version"`
	SNI        string   `json:"sni,omitempty"`
	ALPN       []string `json:"alpn,omitempty"`
	// SigAlgs are the TLS 1.2 signature schemes offered (IANA names), set
	// only for the attempts that choose them (all-suites, modern-sigalgs).
	SigAlgs []string `json:"sig_algs,omitempty"`
	// Suites are the cipher suites offered, in order, for the attempts
	// that choose them (legacy-versions, all-suites, modern-sigalgs);
	// empty means crypto/tls's defaults (the primary attempt).
	Suites []uint16 `json:"suites,omitempty"`
	// Groups are the supported_groups offered, for the attempts that
	// choose them (tls13-wide); empty means the sender's defaults.
	Groups []uint16 `json:"groups,omitempty"`
}

// Timings are in milliseconds; zero means the stage was not reached.
type Timings struct {
	ConnectMS       float64 `json:"connect_ms"`
	HandshakeMS     float64 `json:"handshake_ms"`
	PostHandshakeMS float64 `json:"post_handshake_ms,omitempty"`
}

// Certificate is one certificate as the peer sent it.
type Certificate struct {
	DER []byte `json:"der"`
}

// CertificateRequest is the server's request for a client certificate.
type CertificateRequest struct {
	// AcceptableCAs are the distinguished names the server named, in order.
	AcceptableCAs []DistinguishedName `json:"acceptable_cas"`
	// SignatureSchemes are the schemes the server will verify, by name.
	SignatureSchemes []string `json:"signature_schemes,omitempty"`
}

// DistinguishedName is an X.501 name, raw and as text.
type DistinguishedName struct {
	DER  []byte `json:"der"`
	Text string `json:"text"`
}

// PostHandshake records how we learned the server's verdict on our
// (possibly absent) client certificate after a TLS 1.3 handshake.
type PostHandshake struct {
	// Method is "http" (a minimal request was sent) or "read" (a short
	// bounded read).
	Method string `json:"method"`
	// HTTPStatus is the status line of the response, when one came
	// ("HTTP/1.1 400 Bad Request", "HTTP/2.0 400 Bad Request").
	HTTPStatus string `json:"http_status,omitempty"`
	// HTTPProbe is set when the protocol was not known to be HTTP (no
	// ALPN, not an https:// URL or port 443) and an HTTP request was sent
	// to find out: after a quiet TLS 1.3 read, or after a TLS 1.2
	// handshake, because HTTP servers such as nginx judge the client
	// certificate in their HTTP layer.
	HTTPProbe bool `json:"http_probe,omitempty"`
	// Verdict is "accepted", "rejected", "closed", "no-answer" (the read
	// ended without data or an alert; the server did not object in time)
	// or "not-http" (an HTTP probe got no HTTP answer: the service does not
	// speak HTTP, and the TLS handshake's own verdict stands).
	Verdict string      `json:"verdict"`
	Error   *ProbeError `json:"error,omitempty"`
}

// Stage names where in a connection an error happened.
type Stage string

const (
	StageDNS     Stage = "dns"
	StageConnect Stage = "connect"
	// StageProxy is the connection to a proxy and its answer.
	StageProxy Stage = "proxy"
	// StageStartTLS is the plain-text exchange before a STARTTLS upgrade.
	StageStartTLS      Stage = "starttls"
	StageHandshake     Stage = "handshake"
	StagePostHandshake Stage = "post-handshake"
)

// ErrorKind classifies a failure. The values are part of the record format.
type ErrorKind string

const (
	KindDNS       ErrorKind = "dns-failure"
	KindRefused   ErrorKind = "connection-refused"
	KindTimeout   ErrorKind = "timeout"
	KindReset     ErrorKind = "connection-reset"
	KindClosed    ErrorKind = "connection-closed"
	KindNotTLS    ErrorKind = "not-tls"
	KindAlert     ErrorKind = "alert"
	KindLocal     ErrorKind = "local-error"
	KindNoRoute   ErrorKind = "unreachable"
	KindOther     ErrorKind = "other"
	KindCancelled ErrorKind = "cancelled"
	// KindProxyRefused: the proxy answered, and not with a tunnel (407,
	// 403, 502, a SOCKS failure, failed authentication).
	KindProxyRefused ErrorKind = "proxy-refused"
	// KindStartTLSUnsupported: the server does not offer STARTTLS.
	KindStartTLSUnsupported ErrorKind = "starttls-unsupported"
	// KindStartTLSRejected: the server refused the upgrade (or a step
	// before it).
	KindStartTLSRejected ErrorKind = "starttls-rejected"
	// KindProtocolError: the proxy's or server's plain-text answer is not
	// the protocol expected.
	KindProtocolError ErrorKind = "protocol-error"
)

// ProbeError is a classified failure.
type ProbeError struct {
	Stage   Stage     `json:"stage"`
	Kind    ErrorKind `json:"kind"`
	Message string    `json:"message"`
	// Alert is set when Kind is "alert": the alert the server sent, or
	// (Direction "sent") the one we sent.
	Alert *Alert `json:"alert,omitempty"`
	// FirstBytes are the first bytes the peer sent when it was not speaking
	// TLS, and Protocol what they look like ("HTTP", "SSH", "SMTP", ...).
	FirstBytes []byte `json:"first_bytes,omitempty"`
	Protocol   string `json:"protocol,omitempty"`
	// Step is the STARTTLS step that failed (Stage "starttls"):
	// "greeting", "capabilities" or "upgrade".
	Step string `json:"step,omitempty"`
}

func (e *ProbeError) Error() string { return string(e.Stage) + ": " + e.Message }

// Alert is a TLS alert.
type Alert struct {
	Code      uint8  `json:"code"`
	Name      string `json:"name"`
	Direction string `json:"direction"` // "received" or "sent"
}

// Primary returns the first attempt, or nil when no connection was tried
// (for example when DNS failed).
func (r *Record) Primary() *Attempt {
	if len(r.Attempts) == 0 {
		return nil
	}
	return &r.Attempts[0]
}

// Attempt returns the first attempt with the given purpose, or nil.
func (r *Record) Attempt(purpose string) *Attempt {
	for i := range r.Attempts {
		if r.Attempts[i].Purpose == purpose {
			return &r.Attempts[i]
		}
	}
	return nil
}

// Chain returns the certificates of the first attempt that received any.
func (r *Record) Chain() []Certificate {
	if a := r.chainAttempt(); a != nil {
		return a.Certificates
	}
	return nil
}

// RevocationChain is the chain as sent followed by the certificates
// downloaded from AIA URLs that the server did not send, in download
// order: the list RevocationFetch.CertIndex points into, so that an
// intermediate the server left out is checked for revocation too.
func (r *Record) RevocationChain() []Certificate {
	out := slices.Clone(r.Chain())
	for _, f := range r.AIA {
		for _, c := range f.Certificates {
			if !slices.ContainsFunc(out, func(o Certificate) bool { return bytes.Equal(o.DER, c.DER) }) {
				out = append(out, c)
			}
		}
	}
	return out
}

// chainAttempt is the first attempt that received certificates.
func (r *Record) chainAttempt() *Attempt {
	for i := range r.Attempts {
		if len(r.Attempts[i].Certificates) > 0 {
			return &r.Attempts[i]
		}
	}
	return nil
}

// ErrRecordVersion is returned by DecodeRecord for a record written by a
// newer, incompatible version of the format.
var ErrRecordVersion = errors.New("unsupported record_version")

// DecodeRecord parses a record's JSON and checks that it is one this
// version of tlsdoctor understands and that it is valid (Validate): a
// record is untrusted input. The errors of an invalid record wrap
// ErrInvalidRecord and a *RecordError naming the field.
func DecodeRecord(data []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("not valid JSON (at byte %d): %w", se.Offset, err)
		}
		return nil, fmt.Errorf("not a tlsdoctor record: %w", err)
	}
	switch {
	case r.RecordVersion == 0:
		return nil, errors.New("not a tlsdoctor record: record_version is missing")
	case r.RecordVersion > RecordVersion:
		return nil, fmt.Errorf("%w %d (this tlsdoctor reads version %d; upgrade tlsdoctor)", ErrRecordVersion, r.RecordVersion, RecordVersion)
	}
	if r.Target.Host == "" {
		return nil, errors.New("not a tlsdoctor record: target.host is missing")
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	return &r, nil
}
