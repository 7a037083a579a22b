package checks

import (
	"bytes"
	"crypto/x509"
	"errors"

	"github.com/tlsdoctor/tlsdoctor/internal/sigmemo"
)

// linker decides issuer links for one Input: by name, then key
// identifiers, then signature, with every signature check memoized and
// counted against maxSigChecks, so that no chain, however hostile, makes
// the checks quadratic in signature verifications.
type linker struct {
	memo map[[2]*x509.Certificate]bool
	// checks is the number of signature verifications made; exhausted is
	// set when a link was refused because the budget ran out.
	checks    int
	max       int
	exhausted bool
}

func newLinker(max int) *linker {
	return &linker{memo: map[[2]*x509.Certificate]bool{}, max: max}
}

// issues reports whether parent signed child (see issues).
func (l *linker) issues(parent, child *x509.Certificate) bool {
	if !nameAndKeyIDMatch(parent, child) {
		return false
	}
	k := [2]*x509.Certificate{parent, child}
	if v, ok := l.memo[k]; ok {
		return v
	}
	if l.checks >= l.max {
		l.exhausted = true
		return false
	}
	l.checks++
	v := signatureLinks(parent, child)
	l.memo[k] = v
	return v
}

// selfSigned is isSelfSigned through the memo.
func (l *linker) selfSigned(c *x509.Certificate) bool { return l.issues(c, c) }

// nameAndKeyIDMatch is the cheap part of an issuer link: the child's
// issuer is the parent's subject and, when both carry key identifiers,
// they agree (as OpenSSL requires; Go only uses them to order candidates).
func nameAndKeyIDMatch(parent, child *x509.Certificate) bool {
	if !bytes.Equal(parent.RawSubject, child.RawIssuer) {
		return false
	}
	return len(child.AuthorityKeyId) == 0 || len(parent.SubjectKeyId) == 0 || bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId)
}

// signatureLinks checks the signature. A weak (SHA-1, MD5) signature still
// links: it is a finding of its own.
func signatureLinks(parent, child *x509.Certificate) bool {
	err := sigmemo.Signed(parent, child)
	var ia x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &ia)
}

// certIndex finds certificates by subject, so that issuer candidates are
// looked up instead of scanned.
type certIndex map[string][]*x509.Certificate

func newCertIndex(certs ...[]*x509.Certificate) certIndex {
	ix := certIndex{}
	for _, cs := range certs {
		for _, c := range cs {
			ix[string(c.RawSubject)] = append(ix[string(c.RawSubject)], c)
		}
	}
	return ix
}

// candidates are the certificates whose subject is c's issuer.
func (ix certIndex) candidates(c *x509.Certificate) []*x509.Certificate {
	return ix[string(c.RawIssuer)]
}
