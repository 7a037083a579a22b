package checks

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/internal/certmemo"
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
	// Problems are what a verifier refuses on Path (expiry, constraints,
	// key usage, weak signatures): each is also a finding of its own.
	Problems []string
	// Alternatives are other paths to an anchor of the store that have
	// problems; a client that builds one of them instead fails.
	Alternatives []AltPath
	// Cut is set when the path search stopped at its signature-check
	// budget (a pathological chain): links not checked count as absent.
	Cut bool
}

// AltPath is another path to a trust anchor than the one judged.
type AltPath struct {
	Certs    []*x509.Certificate
	Anchor   *x509.Certificate
	Problems []string
}

func samePath(a, b []*x509.Certificate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

// Top is the last certificate of the linked sent chain.
func (r *TrustResult) Top() *x509.Certificate { return r.Linked[len(r.Linked)-1] }

// End is the last certificate of Path.
func (r *TrustResult) End() *x509.Certificate { return r.Path[len(r.Path)-1] }

// TrustedWithAIA reports whether the only trusted path needs certificates
// the server did not send: browsers cope, most other clients do not.
func (r *TrustResult) TrustedWithAIA() bool {
	return r.Anchor != nil && len(r.MissingIntermediates()) > 0
}

// MissingIntermediates are the certificates on Path that the server did
// not send, were fetched from AIA URLs and are not self-signed: a
// self-signed CA certificate is a root, never an intermediate the server
// should send; it must be in the client's truststore (untrusted-root).
func (r *TrustResult) MissingIntermediates() []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range r.Fetched {
		if !isSelfSigned(c) {
			out = append(out, c)
		}
	}
	return out
}

// Trust judges the chain against the i-th truststore (computed once).
func (in *Input) Trust(i int) *TrustResult {
	if in.trust == nil {
		in.trust = make([]*TrustResult, len(in.Env.Truststores))
	}
	if i >= len(in.Env.Truststores) || len(in.Chain) == 0 {
		return nil
	}
	if in.trust[i] == nil {
		in.trust[i] = judgeTrust(in.leafFirst(), in.Fetched(), in.Env.Truststores[i], in.Env.Now, in.link)
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
			if cert, err := certmemo.Parse(c.DER); err == nil {
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

func judgeTrust(chain []*x509.Certificate, fetched []FetchedCert, ts Truststore, now time.Time, l *linker) *TrustResult {
	r := &TrustResult{Store: ts, Linked: linkChain(chain, l)}
	var fetchedCerts []*x509.Certificate
	for _, f := range fetched {
		fetchedCerts = append(fetchedCerts, f.Cert)
	}
	paths := buildPaths(chain, fetchedCerts, ts, now, l)
	best := paths[0]
	r.Path, r.Anchor, r.Fetched, r.Problems = best.certs, best.anchor, best.fetched, best.problems
	for _, p := range paths[1:] {
		if p.anchor != nil && len(p.problems) > 0 && !samePath(p.certs, best.certs) {
			r.Alternatives = append(r.Alternatives, AltPath{Certs: p.certs, Anchor: p.anchor, Problems: p.problems})
		}
	}
	r.Cut = l.exhausted
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

// bySubject returns the store's certificates with this raw subject, from
// the index NewTruststore built (a scan for a store built by hand).
func (t Truststore) bySubject(raw []byte) []*x509.Certificate {
	if t.index != nil {
		return t.index[string(raw)]
	}
	var out []*x509.Certificate
	for _, c := range t.Certs {
		if bytes.Equal(c.RawSubject, raw) {
			out = append(out, c)
		}
	}
	return out
}

// candidates are the store's certificates that may have issued c.
func (t Truststore) candidates(c *x509.Certificate) []*x509.Certificate {
	return t.bySubject(c.RawIssuer)
}

// issues reports whether parent signed child, by name and signature. A
// weak (SHA-1, MD5) signature still links: it is a finding of its own.
// Checks that have an Input use in.issues, which memoizes and budgets.
func issues(parent, child *x509.Certificate) bool {
	return nameAndKeyIDMatch(parent, child) && signatureLinks(parent, child)
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
	case i == 0 && c.BasicConstraintsValid && c.IsCA && !isSelfSigned(c):
		// A CA certificate sent first (a reversed chain) is not the
		// server's leaf, whatever its position (see chain-order).
		return "intermediate"
	case i == 0:
		return "leaf"
	case isSelfSigned(c):
		return "root"
	}
	return "intermediate"
}

// Name is a certificate's most readable name: its CN, else its subject,
// on one line (see recordtext.go).
func Name(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return oneLine(c.Subject.CommonName)
	}
	return oneLine(c.Subject.String())
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
	// on a trusted path (an expired certificate), and where Go's verifier
	// disagrees with tlsdoctor's path analysis.
	Reason string `json:"reason,omitempty"`
	// GoVerify is crypto/x509.Verify's verdict on the path for this
	// store: "ok", or its error (the name is judged separately).
	GoVerify string `json:"go_verify,omitempty"`
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
			v.Reason = fmt.Sprintf("missing intermediate %q; only clients that fetch it from AIA (browsers) connect", Name(tr.MissingIntermediates()[0]))
		case tr.Verdict == MissingIssuer && keyIDMismatchIssuer(in, tr.End()) != nil:
			v.Reason = fmt.Sprintf("the issuer %q is sent with another key identifier than %q names (OpenSSL refuses it, Go and Java do not)", issuerName(tr.End()), Name(tr.End()))
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
		if u := in.Unparsed(); len(u) > 0 {
			v.Trusted, v.Reason = false, fmt.Sprintf("certificate #%d does not parse: %v", u[0].Pos, u[0].Err)
		}
		if g := in.GoVerify(i); g != nil {
			v.GoVerify = "ok"
			switch {
			case g.PathErr != nil:
				v.GoVerify = g.PathErr.Error()
				if v.Trusted {
					short, _, _ := strings.Cut(strings.TrimPrefix(g.PathErr.Error(), "x509: "), " (possibly because")
					v.Reason = joinReason(v.Reason, "but Go's crypto/x509 rejects the path: "+short)
				}
			case !v.Trusted && len(in.Unparsed()) == 0:
				v.Reason = joinReason(v.Reason, "Go's crypto/x509 finds a valid path: "+pathNames(g.Chains[0]))
			}
		}
		out = append(out, v)
	}
	return out
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return oneLine(c.Issuer.CommonName)
	}
	return oneLine(c.Issuer.String())
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
