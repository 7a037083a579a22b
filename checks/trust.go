package checks

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Trust verdicts of a chain against one store.
const (
	Trusted         = "trusted"
	SelfSigned      = "self-signed"
	MissingIssuer   = "chain-incomplete"
	UntrustedRoot   = "untrusted-root"
	OtherTrustError = "other"
)

// TrustResult is the outcome of building a path from the sent chain to one
// truststore, judged at a time when every certificate is valid so that
// expiry (a separate check) does not hide a trust problem.
type TrustResult struct {
	Store   Truststore
	Verdict string
	// Path is the verified path, leaf first, anchor last.
	Path []*x509.Certificate
	// Linked is the longest chain the sent certificates form by issuer
	// links, starting at the leaf; Top is its last element.
	Linked []*x509.Certificate
	// Err is the verification error when Verdict is OtherTrustError.
	Err error
}

// Top is the last certificate of the linked sent chain.
func (r *TrustResult) Top() *x509.Certificate { return r.Linked[len(r.Linked)-1] }

// Trust judges the chain against the i-th truststore (computed once).
func (in *Input) Trust(i int) *TrustResult {
	if in.trust == nil {
		in.trust = make([]*TrustResult, len(in.Env.Truststores))
	}
	if i >= len(in.Env.Truststores) || len(in.Chain) == 0 {
		return nil
	}
	if in.trust[i] == nil {
		in.trust[i] = judgeTrust(in.Chain, in.Env.Truststores[i])
	}
	return in.trust[i]
}

func judgeTrust(chain []*x509.Certificate, ts Truststore) *TrustResult {
	r := &TrustResult{Store: ts, Linked: linkChain(chain)}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	paths, err := chain[0].Verify(x509.VerifyOptions{
		Roots:         ts.Pool(),
		Intermediates: inter,
		CurrentTime:   validInstant(chain),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err == nil && len(paths) > 0 {
		r.Verdict, r.Path = Trusted, paths[0]
		return r
	}
	var ua x509.UnknownAuthorityError
	switch {
	case isSelfSigned(chain[0]):
		r.Verdict = SelfSigned
	case errors.As(err, &ua) && isSelfSigned(r.Top()):
		r.Verdict = UntrustedRoot
	case errors.As(err, &ua) && len(r.Linked) == 1:
		// Only the leaf links up: its issuer was not sent. Publicly and
		// privately run CAs alike issue leaves from intermediates, so the
		// missing certificate is an intermediate.
		r.Verdict = MissingIssuer
	case errors.As(err, &ua):
		// The sent chain reaches a CA certificate whose issuer is neither
		// sent nor trusted: the root is what is missing.
		r.Verdict = UntrustedRoot
	default:
		r.Verdict, r.Err = OtherTrustError, err
	}
	return r
}

// PubliclyTrusted reports whether the chain verifies against a public
// truststore.
func (in *Input) PubliclyTrusted() bool {
	for i, ts := range in.Env.Truststores {
		if ts.Public {
			if tr := in.Trust(i); tr != nil && tr.Verdict == Trusted {
				return true
			}
		}
	}
	return false
}

// linkChain follows issuer links through the sent certificates from the
// leaf, ignoring order, and stops at a self-signed certificate.
func linkChain(chain []*x509.Certificate) []*x509.Certificate {
	out := []*x509.Certificate{chain[0]}
	used := map[int]bool{0: true}
	for cur := chain[0]; !isSelfSigned(cur); {
		next := -1
		for i, c := range chain {
			if !used[i] && issues(c, cur) {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		cur = chain[next]
		out = append(out, cur)
	}
	return out
}

// issues reports whether parent signed child.
func issues(parent, child *x509.Certificate) bool {
	return bytes.Equal(parent.RawSubject, child.RawIssuer) && child.CheckSignatureFrom(parent) == nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// validInstant returns a time at which every certificate is valid if there
// is one, else the leaf's midpoint.
func validInstant(chain []*x509.Certificate) time.Time {
	lo, hi := chain[0].NotBefore, chain[0].NotAfter
	for _, c := range chain[1:] {
		if c.NotBefore.After(lo) {
			lo = c.NotBefore
		}
		if c.NotAfter.Before(hi) {
			hi = c.NotAfter
		}
	}
	if lo.Before(hi) {
		return lo.Add(hi.Sub(lo) / 2)
	}
	return chain[0].NotBefore.Add(chain[0].NotAfter.Sub(chain[0].NotBefore) / 2)
}

// Fingerprint is the SHA-256 fingerprint in the colon-hex form keytool and
// openssl print.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

// Describe names a certificate for evidence lines.
func Describe(c *x509.Certificate) string {
	return fmt.Sprintf("subject %q, issuer %q, serial %s, SHA-256 %s",
		c.Subject.String(), c.Issuer.String(), SerialHex(c), Fingerprint(c))
}

// SerialHex is the serial number as colon-free hex, as openssl prints it.
func SerialHex(c *x509.Certificate) string {
	return strings.ToUpper(c.SerialNumber.Text(16))
}

// Role names a certificate's position for people.
func Role(i int, c *x509.Certificate) string {
	switch {
	case i == 0:
		return "leaf"
	case isSelfSigned(c):
		return "root"
	}
	return "intermediate"
}

// Name is a certificate's most readable name: its CN, else its subject.
func Name(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}
