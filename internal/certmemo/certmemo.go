// Package certmemo remembers parsed certificates, so that the probe and
// the checks (which each need the chain parsed, for issuer links,
// revocation, paths and findings) and the next diagnosis of an exporter or
// a many-target run (which meets the same intermediates and roots again
// and again) do not parse the same bytes again.
//
// The memo is process-wide, bounded, and safe for concurrent use. It
// holds the outcome of a pure function of the bytes, so it can never
// change an answer, only its cost. The certificates it returns are
// shared: callers must not modify them (nothing in tlsdoctor does; build
// a template instead).
package certmemo

import "crypto/x509"

// Bounds: when either is reached the memo starts over.
const (
	maxEntries = 4096
	maxBytes   = 16 << 20
)

type result struct {
	cert *x509.Certificate
	err  error
}

var certs = newMemo[result](maxEntries, maxBytes)

// Parse is x509.ParseCertificate(der), remembered. The certificate does
// not alias der.
func Parse(der []byte) (*x509.Certificate, error) {
	r := certs.get(string(der), func(own []byte) result {
		cert, err := x509.ParseCertificate(own)
		if err != nil {
			cert = nil
		}
		return result{cert, err}
	})
	return r.cert, r.err
}
