package checks

import (
	"crypto/x509"
	"fmt"
	"sort"
	"time"
)

// Path building: every candidate path from the leaf through the sent
// certificates (in any order), the fetched ones and one truststore, linked
// by name, key identifiers and signature through the Input's budgeted
// linker. Paths are ranked the way clients choose: a path that reaches a
// trust anchor with nothing wrong wins (Go accepts any valid path, Java's
// builder backtracks to one, OpenSSL prefers time-valid issuers and the
// store's own anchors); among the rest, the fewest problems, then the
// shortest.

// Path classes, best first.
const (
	classTrustedSent = iota
	classTrustedFetched
	classRoot
	classDeadEnd
)

type candPath struct {
	certs   []*x509.Certificate
	anchor  *x509.Certificate
	fetched []*x509.Certificate
	class   int
	// problems are what a verifier refuses on this path (see
	// pathProblems); invalid counts the certificates outside their
	// validity period.
	problems []string
	invalid  int
}

const (
	maxPathLen   = 8
	maxPathsSeen = 64
)

// buildPaths enumerates paths from chain[0] and returns them best first.
func buildPaths(chain, fetched []*x509.Certificate, ts Truststore, now time.Time, l *linker) []candPath {
	var out []candPath
	others := newCertIndex(chain[1:])
	fetchedIx := certIndex{}
	for _, c := range fetched {
		if !containsCert(chain, c) {
			fetchedIx[string(c.RawSubject)] = append(fetchedIx[string(c.RawSubject)], c)
		}
	}
	var walk func(path, fetchedUsed []*x509.Certificate)
	walk = func(path, fetchedUsed []*x509.Certificate) {
		if len(out) >= maxPathsSeen {
			return
		}
		cur := path[len(path)-1]
		done := func(class int, anchor *x509.Certificate, p []*x509.Certificate) {
			cp := candPath{certs: append([]*x509.Certificate(nil), p...), anchor: anchor, fetched: append([]*x509.Certificate(nil), fetchedUsed...), class: class}
			if class == classTrustedSent && len(fetchedUsed) > 0 {
				cp.class = classTrustedFetched
			}
			cp.problems, cp.invalid = pathProblems(cp.certs, anchor != nil, now)
			out = append(out, cp)
		}
		if a := ts.anchorFor(cur); a != nil {
			// Judge the anchor from the store, not the copy that was sent
			// or fetched: clients use their own (it may have been renewed
			// with the same key, or the copy may be a cross-sign).
			p := path
			if len(path) > 1 {
				p = append(append([]*x509.Certificate(nil), path[:len(path)-1]...), a)
				// A fetched copy of the anchor is not a missing intermediate.
				if n := len(fetchedUsed); n > 0 && fetchedUsed[n-1] == cur {
					fetchedUsed = fetchedUsed[:n-1]
				}
			}
			done(classTrustedSent, a, p)
			return
		}
		if l.selfSigned(cur) {
			done(classRoot, nil, path)
			return
		}
		if len(path) >= maxPathLen {
			done(classDeadEnd, nil, path)
			return
		}
		extended := false
		for _, c := range ts.candidates(cur) {
			if !containsCert(path, c) && l.issues(c, cur) {
				extended = true
				done(classTrustedSent, c, append(append([]*x509.Certificate(nil), path...), c))
			}
		}
		for _, c := range others.candidates(cur) {
			if !containsCert(path, c) && l.issues(c, cur) {
				extended = true
				walk(append(append([]*x509.Certificate(nil), path...), c), fetchedUsed)
			}
		}
		for _, c := range fetchedIx.candidates(cur) {
			if !containsCert(path, c) && l.issues(c, cur) {
				extended = true
				walk(append(append([]*x509.Certificate(nil), path...), c), append(append([]*x509.Certificate(nil), fetchedUsed...), c))
			}
		}
		if !extended {
			done(classDeadEnd, nil, path)
		}
	}
	walk([]*x509.Certificate{chain[0]}, nil)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.class != b.class {
			return a.class < b.class
		}
		if len(a.problems) != len(b.problems) {
			return len(a.problems) < len(b.problems)
		}
		if a.invalid != b.invalid {
			return a.invalid < b.invalid
		}
		return len(a.certs) < len(b.certs)
	})
	return out
}

// pathProblems lists what a verifier refuses on a path (leaf first; when
// anchored, the last certificate is the store's anchor): certificates
// outside their validity, issuers that may not issue, path length, name
// constraints, unknown critical extensions, extended key usage, MD5/SHA-1
// signatures below the anchor. invalid counts the first kind.
func pathProblems(path []*x509.Certificate, anchored bool, now time.Time) (problems []string, invalid int) {
	for i, c := range path {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			invalid++
			problems = append(problems, fmt.Sprintf("%q is outside its validity period", Name(c)))
		}
		if len(c.UnhandledCriticalExtensions) > 0 {
			problems = append(problems, fmt.Sprintf("%q has an unknown critical extension", Name(c)))
		}
		if i > 0 {
			if !c.BasicConstraintsValid || !c.IsCA || (c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0) {
				problems = append(problems, fmt.Sprintf("%q may not issue certificates", Name(c)))
			}
			if c.BasicConstraintsValid && c.IsCA && (c.MaxPathLen > 0 || c.MaxPathLenZero) && i-1 > c.MaxPathLen {
				problems = append(problems, fmt.Sprintf("%q's path length constraint is exceeded", Name(c)))
			}
		}
		last := i == len(path)-1 && i > 0
		if !(last && anchored) && !ekuAllowsServer(c) {
			problems = append(problems, fmt.Sprintf("%q does not allow serverAuth", Name(c)))
		}
		if !(last && (anchored || isSelfSigned(c))) && weakSigAlg(c.SignatureAlgorithm) {
			problems = append(problems, fmt.Sprintf("%q is signed with %s", Name(c), c.SignatureAlgorithm))
		}
	}
	for _, v := range nameConstraintViolations(path) {
		problems = append(problems, v.String())
	}
	return problems, invalid
}

func ekuAllowsServer(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageServerAuth || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

func weakSigAlg(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

// linkChain follows issuer links through the sent certificates from the
// first, ignoring order, and stops at a self-signed certificate.
func linkChain(chain []*x509.Certificate, l *linker) []*x509.Certificate {
	out := []*x509.Certificate{chain[0]}
	used := map[int]bool{0: true}
	ix := newCertIndex(chain)
	for cur := chain[0]; !l.selfSigned(cur); {
		var next *x509.Certificate
		for _, c := range ix.candidates(cur) {
			if i := indexOf(chain, c); !used[i] && l.issues(c, cur) {
				used[i], next = true, c
				break
			}
		}
		if next == nil {
			break
		}
		cur = next
		out = append(out, cur)
	}
	return out
}
