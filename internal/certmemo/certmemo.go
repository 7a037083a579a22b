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

import (
	"crypto/x509"
	"sync"
)

// Bounds: when either is reached the memo starts over.
const (
	maxEntries = 4096
	maxBytes   = 16 << 20
)

type result struct {
	cert *x509.Certificate
	err  error
}

var memo = struct {
	sync.Mutex
	m     map[string]result
	bytes int
}{m: map[string]result{}}

// Parse is x509.ParseCertificate(der), remembered. The certificate does
// not alias der.
func Parse(der []byte) (*x509.Certificate, error) {
	memo.Lock()
	r, ok := memo.m[string(der)]
	memo.Unlock()
	if ok {
		return r.cert, r.err
	}
	key := string(der) // a copy: the certificate's Raw fields point into it
	cert, err := x509.ParseCertificate([]byte(key))
	if err != nil {
		cert = nil
	}
	memo.Lock()
	if len(memo.m) >= maxEntries || memo.bytes+len(key) > maxBytes {
		clear(memo.m)
		memo.bytes = 0
	}
	if len(key) <= maxBytes {
		memo.m[key] = result{cert, err}
		memo.bytes += len(key)
	}
	memo.Unlock()
	return cert, err
}
