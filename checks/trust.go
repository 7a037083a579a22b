package checks

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
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

// TrustResult is the outcome of building certification paths from the
// sent chain, the certificates fetched from AIA URLs and one truststore.
// Links are judged by name and signature only, so that expiry, key usage
// and weak algorithms (separate checks) do not hide a trust problem.
type TrustResult struct {
	Store   Truststore
	Verdict string
	// Path is the best path found, leaf first. When Anchor is set it ends
	// at the trust anchor; otherwise it ends at an untrusted root or at
	// the certificate whose issuer could not be found.
	Path []*x509.Certificate
	// Anchor is the store's certificate that ends Path, when one does.
	Anchor *x509.Certificate
	// Fetched are the certificates on Path that the server did not send
	// and that were downloaded from AIA URLs.
	Fetched []*x509.Certificate
	// Linked is the longest chain the sent certificates form by issuer
	// links, starting at the leaf; Top is its last element.
	Linked []*x509.Certificate
	// Err is the verification error when Verdict is OtherTrustError.
	Err error
}

// Top is the last certificate of the linked sent chain.
func (r *TrustResult) Top() *x509.Certificate { return r.Linked[len(r.Linked)-1] }

// End is the last certificate of Path.
func (r *TrustResult) End() *x509.Certificate { return r.Path[len(r.Path)-1] }

// TrustedWithAIA reports whether the only trusted path needs certificates
// the server did not send: browsers cope, most other clients do not.
func (r *TrustResult) TrustedWithAIA() bool { return r.Anchor != nil && len(r.Fetched) > 0 }

// Trust judges the chain against the i-th truststore (computed once).
func (in *Input) Trust(i int) *TrustResult {
	if in.trust == nil {
		in.trust = make([]*TrustResult, len(in.Env.Truststores))
	}
	if i >= len(in.Env.Truststores) || len(in.Chain) == 0 {
		return nil
	}
	if in.trust[i] == nil {
		in.trust[i] = judgeTrust(in.Chain, in.Fetched(), in.Env.Truststores[i], in.Env.Now)
	}
	return in.trust[i]
}

// FetchedCert is a certificate downloaded from an AIA URL.
type FetchedCert struct {
	Cert *x509.Certificate
	URL  string
	// Format is "der", "pem" or "pkcs7".
	Format string
}

// Fetched returns the certificates the probe downloaded from AIA URLs.
func (in *Input) Fetched() []FetchedCert {
	if in.chain.fetchedDone {
		return in.chain.fetched
	}
	in.chain.fetchedDone = true
	for _, f := range in.Rec.AIA {
		for _, c := range f.Certificates {
			if cert, err := x509.ParseCertificate(c.DER); err == nil {
				in.chain.fetched = append(in.chain.fetched, FetchedCert{Cert: cert, URL: f.URL, Format: f.Format})
			}
		}
	}
	return in.chain.fetched
}

// FetchedFrom returns where c was downloaded from, or nil.
func (in *Input) FetchedFrom(c *x509.Certificate) *FetchedCert {
	for i, f := range in.Fetched() {
		if f.Cert.Equal(c) {
			return &in.Fetched()[i]
		}
	}
	return nil
}

// chainCache holds what the trust checks compute once per input.
type chainCache struct {
	fetched     []FetchedCert
	fetchedDone bool
}

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
	invalid int
}

const (
	maxPathLen   = 8
	maxPathsSeen = 64
)

func judgeTrust(chain []*x509.Certificate, fetched []FetchedCert, ts Truststore, now time.Time) *TrustResult {
	r := &TrustResult{Store: ts, Linked: linkChain(chain)}
	var fetchedCerts []*x509.Certificate
	for _, f := range fetched {
		fetchedCerts = append(fetchedCerts, f.Cert)
	}
	paths := buildPaths(chain, fetchedCerts, ts, now)
	best := paths[0]
	r.Path, r.Anchor, r.Fetched = best.certs, best.anchor, best.fetched
	leaf := chain[0]
	switch {
	case best.class == classTrustedSent:
		r.Verdict = Trusted
	case best.class == classTrustedFetched:
		r.Verdict = MissingIssuer
	case isSelfSigned(leaf):
		r.Verdict = SelfSigned
	case best.class == classRoot:
		r.Verdict = UntrustedRoot
	case len(best.certs) == 1:
		// Only the leaf, and its issuer is nowhere: publicly and privately
		// run CAs alike issue leaves from intermediates, so the missing
		// certificate is an intermediate.
		r.Verdict = MissingIssuer
	default:
		// The path reaches a CA certificate whose issuer is neither sent,
		// fetched nor trusted: most often the root is what is missing.
		r.Verdict = UntrustedRoot
	}
	return r
}

// buildPaths enumerates paths from the leaf, through sent, fetched and
// store certificates, and returns them best first: trusted with sent
// certificates only, trusted with fetched ones, ending at an untrusted
// root, dead ends; then fewest certificates invalid at now; then shortest.
func buildPaths(chain, fetched []*x509.Certificate, ts Truststore, now time.Time) []candPath {
	var out []candPath
	var walk func(path []*x509.Certificate, fetchedUsed []*x509.Certificate)
	walk = func(path []*x509.Certificate, fetchedUsed []*x509.Certificate) {
		if len(out) >= maxPathsSeen {
			return
		}
		cur := path[len(path)-1]
		done := func(class int, anchor *x509.Certificate, p []*x509.Certificate) {
			cp := candPath{certs: append([]*x509.Certificate(nil), p...), anchor: anchor, fetched: append([]*x509.Certificate(nil), fetchedUsed...), class: class}
			if class == classTrustedSent && len(fetchedUsed) > 0 {
				cp.class = classTrustedFetched
			}
			for _, c := range cp.certs {
				if now.Before(c.NotBefore) || now.After(c.NotAfter) {
					cp.invalid++
				}
			}
			out = append(out, cp)
		}
		if a := ts.anchorFor(cur); a != nil {
			done(classTrustedSent, a, path)
			return
		}
		if isSelfSigned(cur) {
			done(classRoot, nil, path)
			return
		}
		if len(path) >= maxPathLen {
			done(classDeadEnd, nil, path)
			return
		}
		extended := false
		inPath := func(c *x509.Certificate) bool {
			for _, p := range path {
				if p.Equal(c) {
					return true
				}
			}
			return false
		}
		for _, c := range chain[1:] {
			if !inPath(c) && issues(c, cur) {
				extended = true
				walk(append(path, c), fetchedUsed)
			}
		}
		for _, c := range fetched {
			if !inPath(c) && !containsCert(chain, c) && issues(c, cur) {
				extended = true
				walk(append(path, c), append(append([]*x509.Certificate(nil), fetchedUsed...), c))
			}
		}
		for _, c := range ts.bySubject(cur.RawIssuer) {
			if !inPath(c) && issues(c, cur) {
				extended = true
				p := append(append([]*x509.Certificate(nil), path...), c)
				done(classTrustedSent, c, p)
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
		if a.invalid != b.invalid {
			return a.invalid < b.invalid
		}
		return len(a.certs) < len(b.certs)
	})
	return out
}

func containsCert(cs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range cs {
		if x.Equal(c) {
			return true
		}
	}
	return false
}

// anchorFor returns the store's certificate that c is (same subject and
// key, as Java and OpenSSL match trust anchors), or nil.
func (t Truststore) anchorFor(c *x509.Certificate) *x509.Certificate {
	for _, a := range t.bySubject(c.RawSubject) {
		if bytes.Equal(a.RawSubjectPublicKeyInfo, c.RawSubjectPublicKeyInfo) {
			return a
		}
	}
	return nil
}

func (t Truststore) bySubject(raw []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range t.Certs {
		if bytes.Equal(c.RawSubject, raw) {
			out = append(out, c)
		}
	}
	return out
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

// issues reports whether parent signed child, by name and signature. A
// weak (SHA-1, MD5) signature still links: it is a finding of its own.
func issues(parent, child *x509.Certificate) bool {
	if !bytes.Equal(parent.RawSubject, child.RawIssuer) {
		return false
	}
	if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 && !bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId) {
		return false
	}
	err := parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
	var ia x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &ia)
}

func isSelfSigned(c *x509.Certificate) bool {
	return issues(c, c)
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

// StoreVerdict is the trust verdict for one truststore, for the
// "trusted by system ✓, mozilla ✓, java ✗ (…)" line.
type StoreVerdict struct {
	Store   string `json:"store"`
	Trusted bool   `json:"trusted"`
	// Verdict is "trusted", "chain-incomplete", "untrusted-root" or
	// "self-signed".
	Verdict string `json:"verdict"`
	// Reason says what is missing, when not trusted, or what still fails
	// on a trusted path (an expired certificate).
	Reason string `json:"reason,omitempty"`
}

// StoreVerdicts judges the record's chain against every truststore of env.
func StoreVerdicts(in *Input) []StoreVerdict {
	if len(in.Chain) == 0 {
		return nil
	}
	var out []StoreVerdict
	for i := range in.Env.Truststores {
		tr := in.Trust(i)
		v := StoreVerdict{Store: tr.Store.Name, Verdict: tr.Verdict, Trusted: tr.Verdict == Trusted}
		switch {
		case tr.Verdict == Trusted:
			for _, c := range tr.Path {
				switch {
				case in.Env.Now.After(c.NotAfter):
					v.Reason = fmt.Sprintf("but %q on the path expired on %s", Name(c), c.NotAfter.UTC().Format("2006-01-02"))
				case in.Env.Now.Before(c.NotBefore):
					v.Reason = fmt.Sprintf("but %q on the path is not valid before %s", Name(c), c.NotBefore.UTC().Format("2006-01-02"))
				}
				if v.Reason != "" {
					break
				}
			}
		case tr.TrustedWithAIA():
			v.Reason = fmt.Sprintf("missing intermediate %q; only clients that fetch it from AIA (browsers) connect", Name(tr.Fetched[0]))
		case tr.Verdict == MissingIssuer:
			v.Reason = fmt.Sprintf("missing intermediate %q", tr.End().Issuer.CommonName)
		case tr.Verdict == SelfSigned:
			v.Reason = "self-signed leaf not in the store"
		case tr.Verdict == UntrustedRoot && isSelfSigned(tr.End()):
			// The fingerprint is in the untrusted-root evidence; the
			// header line stays short.
			v.Reason = fmt.Sprintf("missing root %q", Name(tr.End()))
		case tr.Verdict == UntrustedRoot:
			v.Reason = fmt.Sprintf("missing root %q", issuerName(tr.End()))
		}
		out = append(out, v)
	}
	return out
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return c.Issuer.String()
}

// FixBundle returns the full chain the server should send, in order (leaf,
// then each intermediate; without the self-signed root), built from the
// sent and fetched certificates and the first truststore. It fails when
// no path reaches a root or an anchor.
func FixBundle(in *Input) ([]*x509.Certificate, error) {
	tr := in.Trust(0)
	if tr == nil {
		return nil, errors.New("the server sent no certificate")
	}
	end := tr.End()
	if tr.Anchor == nil && !isSelfSigned(end) {
		return nil, fmt.Errorf("no complete chain: the issuer %q of %q was not sent, could not be fetched and is not in %s", end.Issuer.String(), Name(end), tr.Store.Name)
	}
	path := tr.Path
	if isSelfSigned(path[len(path)-1]) && len(path) > 1 {
		path = path[:len(path)-1]
	}
	return path, nil
}

// PubliclyTrusted reports whether the chain verifies against a public
// truststore (see Truststore.Public).
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
