package checks

import (
	"crypto/x509"

	"github.com/tlsdoctor/tlsdoctor/internal/certmemo"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// The chain as the server sent it, at its real positions: a certificate
// that does not parse keeps its place (and is a finding of its own), and
// the certificate the server put first is not assumed to be its leaf.

// SentCert is one certificate of the chain as sent.
type SentCert struct {
	// Pos is its position in the Certificate message, from 0.
	Pos int
	DER []byte
	// Cert is nil when the certificate does not parse; Err says why.
	Cert *x509.Certificate
	Err  error
}

// maxChainCerts bounds how many sent certificates the path checks
// consider: real chains have fewer than ten (Java refuses more than ten),
// and every algorithm over the chain is at least linear in it, so a
// hostile chain of thousands of certificates costs no more than this.
const maxChainCerts = 32

// maxSigChecks bounds the signature verifications one Input makes to
// link certificates (memoized, so each pair is checked once): a chain of
// maxChainCerts certificates that all name each other costs at most this.
// It is a budget, not a clock: checks stay pure and their answer is the
// same on every machine. When it runs out, links not yet checked count as
// absent and the trust result says the path search was cut short.
const maxSigChecks = 2048

// parseSent parses the record's chain, keeping every position.
func parseSent(chain []probe.Certificate) []SentCert {
	out := make([]SentCert, len(chain))
	for i, c := range chain {
		out[i] = SentCert{Pos: i, DER: c.DER}
		out[i].Cert, out[i].Err = certmemo.Parse(c.DER)
		if out[i].Err != nil {
			out[i].Cert = nil
		}
	}
	return out
}

// Unparsed returns the sent certificates that do not parse.
func (in *Input) Unparsed() []SentCert {
	var out []SentCert
	for _, s := range in.Sent {
		if s.Cert == nil {
			out = append(out, s)
		}
	}
	return out
}

// SentPos is the position at which the server sent c, or -1.
func (in *Input) SentPos(c *x509.Certificate) int {
	for _, s := range in.Sent {
		if s.Cert != nil && s.Cert.Equal(c) {
			return s.Pos
		}
	}
	return -1
}

// chainLimited reports whether the server sent more certificates than the
// path checks consider.
func (in *Input) chainLimited() bool { return len(in.Sent) > maxChainCerts }

// realLeaf finds the server's leaf in the parsed chain: the certificate
// sent first, unless that is a CA certificate and a later one it issued
// (directly or through other sent certificates) is an end-entity
// certificate; then the one that covers the name, else the first such.
// It returns an index into chain.
func realLeaf(chain []*x509.Certificate, l *linker, name string) int {
	if len(chain) < 2 || !chain[0].IsCA {
		return 0
	}
	// Certificates below chain[0]: reachable by issuer links from it.
	below := map[int]bool{}
	frontier := []int{0}
	for len(frontier) > 0 {
		p := frontier[0]
		frontier = frontier[1:]
		for i := 1; i < len(chain); i++ {
			if !below[i] && i != p && l.issues(chain[p], chain[i]) {
				below[i] = true
				frontier = append(frontier, i)
			}
		}
	}
	best := 0
	for i := 1; i < len(chain); i++ {
		c := chain[i]
		if !below[i] || c.IsCA {
			continue
		}
		if best == 0 {
			best = i
		}
		if name != "" && c.VerifyHostname(name) == nil {
			return i
		}
	}
	return best
}
