package probe

// AIAFetch is one download of an Authority Information Access caIssuers
// URL, made because the certificate naming it was sent without its
// issuer. Failed downloads are recorded too: "could not be fetched" is
// evidence. Documented in docs/record-aia.md.
type AIAFetch struct {
	URL string `json:"url"`
	// ForSubject and ForSHA256 name the certificate whose issuer was
	// missing and whose AIA extension gave the URL.
	ForSubject string `json:"for_subject"`
	ForSHA256  string `json:"for_sha256"`
	// Format is how the body was encoded: "der", "pem" or "pkcs7" (.p7c).
	Format      string  `json:"format,omitempty"`
	HTTPStatus  int     `json:"http_status,omitempty"`
	ContentType string  `json:"content_type,omitempty"`
	DurationMS  float64 `json:"duration_ms"`
	// Certificates are those the body held, in order.
	Certificates []Certificate `json:"certificates,omitempty"`
	// Error says why nothing usable was fetched.
	Error string `json:"error,omitempty"`
}
