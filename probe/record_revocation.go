package probe

import "time"

// Revocation is what the probe fetched to establish the revocation status
// of the chain: the raw OCSP and CRL responses (or why a fetch failed),
// never a verdict. The checks validate and judge them offline, so a saved
// record replays the same verdict. See docs/record-revocation.md.
type Revocation struct {
	// Mode is the --revocation setting the record was made with: "off",
	// "stapled" (only the stapled response, no fetching) or "full".
	Mode string `json:"mode"`
	// Issuers are issuer certificates the server did not send (taken from
	// the truststore) that the fetches were built against, so that an
	// offline diagnosis can validate the responses with the same issuer.
	Issuers []Certificate `json:"issuers,omitempty"`
	// Fetches lists every OCSP and CRL request, grouped by certificate in
	// chain order and, per certificate, in the order they were made.
	Fetches []RevocationFetch `json:"fetches,omitempty"`
	// LeafFromStaple is set when the leaf's responder was not asked
	// because the stapled response was usable (see RevocationOptions.Staple).
	LeafFromStaple bool `json:"leaf_from_staple,omitempty"`
	// BudgetMS is the time the fetching was allowed; DurationMS the time
	// it took.
	BudgetMS   float64 `json:"budget_ms"`
	DurationMS float64 `json:"duration_ms"`
}

// Sources of revocation information, as recorded.
const (
	SourceOCSP = "ocsp"
	SourceCRL  = "crl"
)

// RevocationFetch is one HTTP request to an OCSP responder or CRL
// distribution point.
type RevocationFetch struct {
	// CertIndex is the position, in the chain as sent continued by the
	// certificates downloaded from AIA (Record.RevocationChain), of the
	// certificate whose status was asked.
	CertIndex int    `json:"cert_index"`
	Source    string `json:"source"`
	URL       string `json:"url"`
	// Method is "GET" or "POST" (OCSP requests larger than 255 bytes
	// encoded are POSTed, RFC 6960 appendix A.1).
	Method string `json:"method"`
	// Request is the DER OCSP request sent.
	Request []byte `json:"request,omitempty"`
	// HTTPStatus and ContentType describe the answer, when one came.
	HTTPStatus  int    `json:"http_status,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	// Response is the body: a DER OCSP response or CRL. A CRL larger than
	// 256 KiB is not kept: CRL summarises it, and ResponseSize and
	// ResponseSHA256 identify it.
	Response []byte `json:"response,omitempty"`
	// Truncated is set when the body exceeded the size limit (256 KiB
	// for OCSP, 16 MiB for a CRL); nothing of it is kept.
	Truncated bool `json:"truncated,omitempty"`
	// ResponseSize and ResponseSHA256 (hex) describe a body that is not
	// kept (too large, or truncated: then the size is what was read).
	ResponseSize   int    `json:"response_size,omitempty"`
	ResponseSHA256 string `json:"response_sha256,omitempty"`
	// CRL is what the checks need of a CRL too large to keep.
	CRL        *CRLSummary `json:"crl_summary,omitempty"`
	DurationMS float64     `json:"duration_ms"`
	// Cached is set when the answer was reused from an identical request
	// made earlier in the same run (a CRL shared by two certificates), or,
	// in the exporter, within its --fetch-cache time.
	Cached bool        `json:"cached,omitempty"`
	Error  *ProbeError `json:"error,omitempty"`
}

// StageRevocation names errors of revocation fetches.
const StageRevocation Stage = "revocation"

// CRLSummary is a large CRL reduced to what judging one certificate
// against it needs, so that a 10 MiB CRL costs a record a few hundred
// bytes and an offline diagnosis gives the same verdict. The signature is
// checked when the record is made, with the issuer the request was built
// against (SignatureCheckedWith), because it cannot be checked later
// without the bytes. See docs/record-revocation.md.
type CRLSummary struct {
	// ParseError is set when the body is not a CRL; nothing else is.
	ParseError string `json:"parse_error,omitempty"`
	// RawIssuer is the DER of the CRL's issuer name.
	RawIssuer  []byte    `json:"raw_issuer,omitempty"`
	ThisUpdate time.Time `json:"this_update,omitzero"`
	NextUpdate time.Time `json:"next_update,omitzero"`
	// Entries is the number of revoked certificates it lists.
	Entries int `json:"entries"`
	// Serial is the serial looked up (hex, as checks.SerialHex), and
	// Entry its entry, when the CRL lists it.
	Serial string    `json:"serial"`
	Entry  *CRLEntry `json:"entry,omitempty"`
	// SignatureCheckedWith is the SHA-256 (hex) of the issuer certificate
	// the signature was checked with; SignatureValid says whether it
	// verified.
	SignatureCheckedWith string `json:"signature_checked_with,omitempty"`
	SignatureValid       bool   `json:"signature_valid"`
	// Extensions are the CRL's own extensions (at most 16), and
	// CriticalEntryExtensions the OIDs of critical entry extensions other
	// than certificateIssuer (once each, at most 16); CertificateIssuerEntries
	// is set when an entry carries certificateIssuer. The checks read the
	// CRL's scope and usability from them. Optional: records made before
	// they were kept have none.
	Extensions               []CRLExtension `json:"extensions,omitempty"`
	CriticalEntryExtensions  []string       `json:"critical_entry_extensions,omitempty"`
	CertificateIssuerEntries bool           `json:"certificate_issuer_entries,omitempty"`
}

// CRLExtension is one extension of a summarized CRL.
type CRLExtension struct {
	OID      string `json:"oid"`
	Critical bool   `json:"critical,omitempty"`
	// Value is the DER of the extension value (at most 1024 bytes kept).
	Value []byte `json:"value,omitempty"`
}

// CRLEntry is one revoked certificate of a CRL.
type CRLEntry struct {
	RevocationTime time.Time `json:"revocation_time"`
	ReasonCode     int       `json:"reason_code"`
}
