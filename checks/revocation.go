package checks

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlsdoctor/tlsdoctor/internal/certmemo"
	"github.com/tlsdoctor/tlsdoctor/internal/sigmemo"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Revocation status of one certificate.
const (
	RevocationGood       = "good"
	RevocationRevoked    = "revoked"
	RevocationUnknown    = "unknown"
	RevocationNotChecked = "not checked"
)

// Verdicts of one answer (a stapled or fetched OCSP response, or a CRL).
const (
	AnswerGood         = "good"
	AnswerRevoked      = "revoked"
	AnswerUnknown      = "unknown"      // a valid answer that does not know the certificate
	AnswerInvalid      = "invalid"      // unusable: does not parse, bad signature, wrong certificate, error status
	AnswerStale        = "stale"        // valid but past its nextUpdate
	AnswerUnreachable  = "unreachable"  // no answer: connection refused, timeout, HTTP error
	AnswerUnverifiable = "unverifiable" // the issuer is not available to verify it
)

// Answer sources, as shown.
const (
	SourceStapled = "stapled OCSP"
	SourceOCSP    = "OCSP"
	SourceCRL     = "CRL"
)

// revocationSkew is the clock difference tolerated on thisUpdate and
// nextUpdate, and ocspMaxAge the age after which an OCSP answer without a
// nextUpdate is stale (CA/Browser Forum: at most 10 days; we take 7).
const (
	revocationSkew = 5 * time.Minute
	ocspMaxAge     = 7 * 24 * time.Hour
)

// RevocationAnswer is one validated answer about one certificate.
type RevocationAnswer struct {
	Source string
	URL    string
	// Verdict is one of the Answer* constants; Problem says why an answer
	// is not good or revoked, for people.
	Verdict string
	Problem string
	// ErrKind is the network failure of an unreachable answer.
	ErrKind                probe.ErrorKind
	RevokedAt              time.Time
	Reason                 string
	ThisUpdate, NextUpdate time.Time
	// SignedBy names who signed a valid OCSP answer or CRL.
	SignedBy string
	// OpenSSL is the verify error openssl -crl_check reports for an
	// unusable CRL (measured), "" when not measured or for OCSP.
	OpenSSL    string
	DurationMS float64
	Cached     bool
}

// CertRevocation is the revocation status of one certificate of the path.
type CertRevocation struct {
	// Index is the position in the chain as sent, continued by the
	// certificates downloaded from AIA (probe.Record.RevocationChain).
	Index int
	Role  string
	// Leaf is set for the server's real leaf: the end entity the chain
	// analysis finds (see realLeaf), which a reversed chain sends after
	// its intermediate, not at Index 0.
	Leaf bool
	// Fetched is set for an intermediate the server did not send and the
	// probe downloaded from an AIA URL.
	Fetched bool
	Cert    *x509.Certificate
	Issuer  *x509.Certificate
	// Status is one of the Revocation* constants.
	Status  string
	Answers []RevocationAnswer
	// Note says why the status is unknown or not checked.
	Note string
}

// Revocation judges the revocation status of every certificate of the
// chain (as sent, completed from AIA) from the leaf up to (not including) the trust anchor or the
// first self-signed certificate, from the stapled response and the
// answers the probe fetched. It never reports good without a valid, fresh,
// correctly signed answer.
func Revocation(rec *probe.Record, env Env) []CertRevocation {
	raw := rec.RevocationChain()
	sent := len(rec.Chain())
	certs := make([]*x509.Certificate, len(raw))
	for i, c := range raw {
		certs[i], _ = certmemo.Parse(c.DER)
	}
	if len(certs) == 0 || certs[0] == nil {
		return nil
	}
	var extra []*x509.Certificate
	for _, ts := range env.Truststores {
		extra = append(extra, ts.Certs...)
	}
	mode := ""
	if rec.Revocation != nil {
		mode = rec.Revocation.Mode
		for _, c := range rec.Revocation.Issuers {
			if cert, err := certmemo.Parse(c.DER); err == nil {
				extra = append(extra, cert)
			}
		}
	}
	staple := stapleOf(rec)
	// Issuer candidates: the first maxChainCerts sent certificates and
	// every fetched one, so that a hostile chain costs no more than that.
	cand := append(append([]*x509.Certificate(nil), certs[:min(sent, maxChainCerts)]...), certs[min(sent, len(certs)):]...)
	leaf := revocationLeaf(rec, env, certs[:min(sent, maxChainCerts, len(certs))])
	var out []CertRevocation
	seen := map[int]bool{}
	for i := leaf; i >= 0 && !seen[i] && certs[i] != nil && !isSelfSigned(certs[i]); {
		seen[i] = true
		cert := certs[i]
		issuer, _ := probe.IssuerOf(cert, cand, extra)
		cr := CertRevocation{Index: i, Role: Role(i, cert), Cert: cert, Issuer: issuer, Fetched: i >= sent, Leaf: i == leaf}
		if cr.Leaf {
			cr.Role = "leaf"
		}
		if cr.Leaf && len(staple) > 0 {
			a := judgeOCSP(staple, cert, issuer, env.Now)
			a.Source = SourceStapled
			cr.Answers = append(cr.Answers, a)
		}
		if rec.Revocation != nil {
			for _, f := range rec.Revocation.Fetches {
				if f.CertIndex == i {
					cr.Answers = append(cr.Answers, judgeFetch(f, cert, issuer, env.Now))
				}
			}
		}
		cr.Status, cr.Note = revocationStatus(&cr, mode, rec.Revocation)
		out = append(out, cr)
		i = -1
		for j, c := range certs {
			if issuer != nil && c == issuer {
				i = j
			}
		}
	}
	return out
}

// revocationLeaf is the index of the server's real leaf among the sent
// certificates, as the chain analysis finds it (realLeaf, the
// Input.Leaf of every other check): 0 unless a CA certificate came first
// and an end entity it issued, matching the name, came later. A sent
// certificate that does not parse makes the positions differ from
// Input.Chain's, so then #0 is kept (no leaf is guessed).
func revocationLeaf(rec *probe.Record, env Env, sent []*x509.Certificate) int {
	for _, c := range sent {
		if c == nil {
			return 0
		}
	}
	name := env.Name
	if name == "" {
		name = rec.Target.SNI
	}
	if name == "" {
		name = rec.Target.Host
	}
	return realLeaf(sent, newLinker(maxSigChecks), name)
}

// Revocations is Revocation of the input's record and environment,
// computed once: several checks and the callers' metrics read it.
func (in *Input) Revocations() []CertRevocation {
	if in.rev == nil {
		r := Revocation(in.Rec, in.Env)
		in.rev = &r
	}
	return *in.rev
}

// stapleOf is the OCSP response stapled in the attempt that received the
// chain.
func stapleOf(rec *probe.Record) []byte {
	for _, a := range rec.Attempts {
		if len(a.Certificates) > 0 {
			return a.OCSPStaple
		}
	}
	return nil
}

func revocationStatus(cr *CertRevocation, mode string, rev *probe.Revocation) (string, string) {
	for _, a := range cr.Answers {
		if a.Verdict == AnswerRevoked {
			return RevocationRevoked, ""
		}
	}
	for _, a := range cr.Answers {
		if a.Verdict == AnswerGood {
			return RevocationGood, ""
		}
	}
	var problems []string
	for _, a := range cr.Answers {
		problems = append(problems, a.String())
	}
	switch {
	case mode == "":
		return RevocationNotChecked, "no revocation fetches recorded"
	case mode == probe.RevocationOff:
		return RevocationNotChecked, "revocation checking is off (--revocation off)"
	case mode == probe.RevocationStapled && !cr.Leaf:
		return RevocationNotChecked, "only the stapled response is read (--revocation stapled); it covers the leaf only"
	case mode == probe.RevocationStapled && len(cr.Answers) == 0:
		return RevocationNotChecked, "nothing was stapled and live checks are off (--revocation stapled)"
	case len(cr.Answers) > 0:
		return RevocationUnknown, strings.Join(problems, "; ")
	case cr.Issuer == nil:
		return RevocationUnknown, fmt.Sprintf("its issuer %q was neither sent by the server nor found in the truststore, so no OCSP request could be built and no answer verified", cr.Cert.Issuer.String())
	case len(cr.Cert.OCSPServer) == 0 && len(cr.Cert.CRLDistributionPoints) == 0:
		return RevocationUnknown, "the certificate names no OCSP responder (AIA) and no CRL distribution point, so no client can check it"
	case rev != nil && rev.BudgetMS <= 0:
		return RevocationUnknown, "no time was left of --timeout to ask the OCSP responder or CRL distribution point"
	}
	return RevocationUnknown, "no OCSP or CRL answer was recorded"
}

// String is one line about an answer, for evidence and notes.
func (a RevocationAnswer) String() string {
	s := a.Source
	if a.URL != "" {
		s += " " + a.URL
	}
	s += ": " + a.Verdict
	switch a.Verdict {
	case AnswerRevoked:
		s += fmt.Sprintf(" at %s, reason %s", a.RevokedAt.UTC().Format(time.RFC3339), a.Reason)
	}
	if a.Problem != "" {
		s += " (" + a.Problem + ")"
	}
	if a.SignedBy != "" {
		s += ", signed by " + a.SignedBy
	}
	if !a.ThisUpdate.IsZero() {
		s += ", thisUpdate " + a.ThisUpdate.UTC().Format(time.RFC3339)
	}
	if !a.NextUpdate.IsZero() {
		s += ", nextUpdate " + a.NextUpdate.UTC().Format(time.RFC3339)
	}
	if a.DurationMS > 0 {
		s += fmt.Sprintf(", %.0f ms", a.DurationMS)
	}
	if a.Cached {
		s += ", reused from an identical request"
	}
	return s
}

func judgeFetch(f probe.RevocationFetch, cert, issuer *x509.Certificate, now time.Time) RevocationAnswer {
	a := RevocationAnswer{Source: SourceOCSP, URL: f.URL, DurationMS: f.DurationMS, Cached: f.Cached}
	if f.Source == probe.SourceCRL {
		a.Source = SourceCRL
	}
	switch {
	case f.Error != nil:
		a.Verdict, a.ErrKind = AnswerUnreachable, f.Error.Kind
		a.Problem = fetchProblem(f.Error)
		return a
	case f.HTTPStatus != 200:
		a.Verdict, a.Problem = AnswerUnreachable, fmt.Sprintf("HTTP status %d", f.HTTPStatus)
		return a
	case f.Truncated:
		a.Verdict, a.Problem = AnswerInvalid, "the answer exceeded the size limit and was not read whole"
		return a
	}
	var j RevocationAnswer
	switch {
	case f.Source == probe.SourceCRL && f.CRL != nil:
		j = judgeCRLSummary(f.CRL, cert, issuer, now)
	case f.Source == probe.SourceCRL:
		j = judgeCRL(f.Response, cert, issuer, now)
	default:
		j = judgeOCSP(f.Response, cert, issuer, now)
	}
	j.Source, j.URL, j.DurationMS, j.Cached = a.Source, a.URL, a.DurationMS, a.Cached
	return j
}

func fetchProblem(e *probe.ProbeError) string {
	switch e.Kind {
	case probe.KindRefused:
		return "connection refused"
	case probe.KindTimeout:
		return "no answer before the time limit"
	case probe.KindDNS:
		return "the name does not resolve: " + errText(e)
	case probe.KindCancelled:
		return "cancelled"
	}
	return errText(e)
}

// judgeOCSP validates an OCSP response about cert: signed by issuer or by
// a responder certificate issuer delegated with the OCSPSigning EKU, about
// this certificate (serial and issuer hashes), current, and then reads
// its status.
func judgeOCSP(raw []byte, cert, issuer *x509.Certificate, now time.Time) RevocationAnswer {
	var a RevocationAnswer
	resp, err := certmemo.ParseOCSPForCert(raw, cert)
	if err != nil {
		var re ocsp.ResponseError
		a.Verdict = AnswerInvalid
		if errors.As(err, &re) {
			a.Problem = fmt.Sprintf("the responder answered with the error status %q instead of a certificate status", re.Status.String())
		} else {
			a.Problem = "not a usable OCSP response for this certificate: " + strings.TrimPrefix(err.Error(), "ocsp: ")
		}
		return a
	}
	a.ThisUpdate, a.NextUpdate = resp.ThisUpdate, resp.NextUpdate
	if issuer == nil {
		a.Verdict, a.Problem = AnswerUnverifiable, "its signature cannot be verified: the issuer certificate "+cert.Issuer.String()+" is not available"
		return a
	}
	signer, problem := ocspSigner(resp, issuer, now)
	if problem != "" {
		a.Verdict, a.Problem = AnswerInvalid, problem
		return a
	}
	a.SignedBy = signer
	if p := certIDProblem(raw, cert, issuer, resp.IssuerHash); p != "" {
		a.Verdict, a.Problem = AnswerInvalid, p
		return a
	}
	if resp.ThisUpdate.After(now.Add(revocationSkew)) {
		a.Verdict, a.Problem = AnswerInvalid, "its thisUpdate is in the future (the responder's clock or ours is wrong)"
		return a
	}
	stale := ""
	switch {
	case !resp.NextUpdate.IsZero() && now.After(resp.NextUpdate.Add(revocationSkew)):
		stale = "expired " + human(now.Sub(resp.NextUpdate)) + " ago (nextUpdate passed)"
	case resp.NextUpdate.IsZero() && now.Sub(resp.ThisUpdate) > ocspMaxAge:
		stale = "no nextUpdate and produced " + human(now.Sub(resp.ThisUpdate)) + " ago"
	}
	switch resp.Status {
	case ocsp.Revoked:
		// A revocation stays true after the answer expires, except a hold.
		a.Verdict, a.RevokedAt, a.Reason = AnswerRevoked, resp.RevokedAt, reasonName(resp.RevocationReason)
		if stale != "" && resp.RevocationReason == ocsp.CertificateHold {
			a.Verdict, a.Problem = AnswerStale, "says on hold, but "+stale
		}
		return a
	case ocsp.Good:
		a.Verdict = AnswerGood
	default:
		a.Verdict, a.Problem = AnswerUnknown, "the responder does not know this certificate"
	}
	if stale != "" && a.Verdict == AnswerGood {
		a.Verdict, a.Problem = AnswerStale, stale
	}
	return a
}

// ocspSigner checks who signed resp and returns a name for them, or the
// problem.
func ocspSigner(resp *ocsp.Response, issuer *x509.Certificate, now time.Time) (string, string) {
	rc := resp.Certificate
	if rc == nil || bytes.Equal(rc.Raw, issuer.Raw) {
		if err := sigmemo.CheckSignature(issuer, resp.SignatureAlgorithm, resp.TBSResponseData, resp.Signature); err != nil {
			return "", fmt.Sprintf("its signature does not verify with the key of the issuer %q (nor does it carry a delegated responder certificate)", Name(issuer))
		}
		return "the issuer " + Name(issuer), ""
	}
	if rc.CheckSignatureFrom(issuer) != nil {
		return "", fmt.Sprintf("it is signed by %q, which the issuer %q did not certify", rc.Subject.String(), Name(issuer))
	}
	if !hasEKU(rc, x509.ExtKeyUsageOCSPSigning) {
		return "", fmt.Sprintf("it is signed by %q, whose certificate lacks the OCSPSigning extended key usage a delegated responder needs (RFC 6960 section 4.2.2.2)", rc.Subject.String())
	}
	if now.Before(rc.NotBefore) || now.After(rc.NotAfter) {
		return "", fmt.Sprintf("the responder certificate %q is not valid now (valid %s to %s)", rc.Subject.String(), rc.NotBefore.UTC().Format(time.RFC3339), rc.NotAfter.UTC().Format(time.RFC3339))
	}
	if err := sigmemo.CheckSignature(rc, resp.SignatureAlgorithm, resp.TBSResponseData, resp.Signature); err != nil {
		return "", fmt.Sprintf("its signature does not verify with the responder certificate %q", rc.Subject.String())
	}
	return "delegated responder " + Name(rc), ""
}

func hasEKU(c *x509.Certificate, want x509.ExtKeyUsage) bool {
	for _, u := range c.ExtKeyUsage {
		if u == want {
			return true
		}
	}
	return false
}

// The OCSP response structure (RFC 6960 section 4.2.1), as far as needed
// to read the CertID that golang.org/x/crypto/ocsp does not expose.
type ocspCertID struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	NameHash      []byte
	IssuerKeyHash []byte
	SerialNumber  *big.Int
}

type ocspEnvelope struct {
	Status   asn1.Enumerated
	Response struct {
		Type     asn1.ObjectIdentifier
		Response []byte
	} `asn1:"explicit,tag:0,optional"`
}

type ocspBasic struct {
	TBS struct {
		Raw         asn1.RawContent
		Version     int `asn1:"optional,default:0,explicit,tag:0"`
		ResponderID asn1.RawValue
		ProducedAt  time.Time `asn1:"generalized"`
		Responses   []struct {
			CertID  ocspCertID
			Good    asn1.Flag `asn1:"tag:0,optional"`
			Revoked struct {
				RevocationTime time.Time       `asn1:"generalized"`
				Reason         asn1.Enumerated `asn1:"explicit,tag:0,optional"`
			} `asn1:"tag:1,optional"`
			Unknown    asn1.Flag        `asn1:"tag:2,optional"`
			ThisUpdate time.Time        `asn1:"generalized"`
			NextUpdate time.Time        `asn1:"generalized,explicit,tag:0,optional"`
			Extensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
		}
	}
}

// certIDProblem checks that the single response for cert's serial names
// cert's issuer by name and key hash.
func certIDProblem(raw []byte, cert, issuer *x509.Certificate, h crypto.Hash) string {
	ids, err := ocspCertIDs(raw)
	if err != nil {
		return "its CertID does not parse: " + err.Error()
	}
	if !h.Available() {
		return "its CertID uses a hash this build cannot compute"
	}
	nameHash := h.New()
	nameHash.Write(issuer.RawSubject)
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(issuer.RawSubjectPublicKeyInfo, &spki); err != nil {
		return "the issuer's public key does not parse"
	}
	keyHash := h.New()
	keyHash.Write(spki.Key.RightAlign())
	for _, id := range ids {
		if id.SerialNumber == nil || id.SerialNumber.Cmp(cert.SerialNumber) != 0 {
			continue
		}
		if bytes.Equal(id.NameHash, nameHash.Sum(nil)) && bytes.Equal(id.IssuerKeyHash, keyHash.Sum(nil)) {
			return ""
		}
	}
	return fmt.Sprintf("its CertID has serial %s but names another issuer than %q", SerialHex(cert), Name(issuer))
}

func ocspCertIDs(raw []byte) ([]ocspCertID, error) {
	var env ocspEnvelope
	if _, err := asn1.Unmarshal(raw, &env); err != nil {
		return nil, err
	}
	var basic ocspBasic
	if _, err := asn1.Unmarshal(env.Response.Response, &basic); err != nil {
		return nil, err
	}
	var out []ocspCertID
	for _, r := range basic.TBS.Responses {
		out = append(out, r.CertID)
	}
	return out, nil
}

// judgeCRL validates a CRL for cert (issued and signed by cert's issuer,
// current) and looks the serial up.
func judgeCRL(raw []byte, cert, issuer *x509.Certificate, now time.Time) RevocationAnswer {
	var a RevocationAnswer
	rl, err := x509.ParseRevocationList(raw)
	if err != nil {
		a.Verdict, a.Problem = AnswerInvalid, "not a CRL: "+strings.TrimPrefix(err.Error(), "x509: ")
		return a
	}
	a.ThisUpdate, a.NextUpdate = rl.ThisUpdate, rl.NextUpdate
	switch {
	case !bytes.Equal(rl.RawIssuer, cert.RawIssuer):
		a.Verdict, a.Problem = AnswerInvalid, fmt.Sprintf("the CRL is issued by %q, not by the certificate's issuer %q (indirect CRLs are not supported)", rl.Issuer.String(), cert.Issuer.String())
		return a
	case issuer == nil:
		a.Verdict, a.Problem = AnswerUnverifiable, "its signature cannot be verified: the issuer certificate "+cert.Issuer.String()+" is not available"
		return a
	}
	if p, o := crlIssuerProblem(issuer); p != "" {
		a.Verdict, a.Problem, a.OpenSSL = AnswerInvalid, p, o
		return a
	}
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		a.Verdict, a.Problem = AnswerInvalid, fmt.Sprintf("its signature does not verify with the key of the issuer %q", Name(issuer))
		return a
	}
	var entry *probe.CRLEntry
	for _, e := range rl.RevokedCertificateEntries {
		if e.SerialNumber != nil && e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			entry = &probe.CRLEntry{RevocationTime: e.RevocationTime, ReasonCode: e.ReasonCode}
			break
		}
	}
	return judgeSignedCRL(a, factsOf(rl), entry, cert, issuer, now)
}

// judgeCRLSummary is judgeCRL for a CRL the record kept as a summary
// (probe.CRLSummary): the same rules, with the signature as checked when
// the record was made, which counts only if it was checked with the issuer
// this diagnosis finds.
func judgeCRLSummary(s *probe.CRLSummary, cert, issuer *x509.Certificate, now time.Time) RevocationAnswer {
	var a RevocationAnswer
	switch {
	case s.ParseError != "":
		a.Verdict, a.Problem = AnswerInvalid, "not a CRL: "+strings.TrimPrefix(s.ParseError, "x509: ")
		return a
	case s.Serial != SerialHex(cert):
		a.Verdict, a.Problem = AnswerInvalid, fmt.Sprintf("the record's summary of this CRL is about serial %s, not %s", s.Serial, SerialHex(cert))
		return a
	}
	a.ThisUpdate, a.NextUpdate = s.ThisUpdate, s.NextUpdate
	switch {
	case !bytes.Equal(s.RawIssuer, cert.RawIssuer):
		a.Verdict, a.Problem = AnswerInvalid, fmt.Sprintf("the CRL is issued by %q, not by the certificate's issuer %q (indirect CRLs are not supported)", probe.DNText(s.RawIssuer), cert.Issuer.String())
		return a
	case issuer == nil:
		a.Verdict, a.Problem = AnswerUnverifiable, "its signature cannot be verified: the issuer certificate "+cert.Issuer.String()+" is not available"
		return a
	case func() bool { a.Problem, a.OpenSSL = crlIssuerProblem(issuer); return a.Problem != "" }():
		a.Verdict = AnswerInvalid
		return a
	case !strings.EqualFold(s.SignatureCheckedWith, strings.ReplaceAll(Fingerprint(issuer), ":", "")):
		a.Verdict, a.Problem = AnswerUnverifiable, "the CRL was too large to keep in the record, and its signature was checked with another issuer certificate than this diagnosis finds"
		return a
	case !s.SignatureValid:
		a.Verdict, a.Problem = AnswerInvalid, fmt.Sprintf("its signature does not verify with the key of the issuer %q", Name(issuer))
		return a
	}
	return judgeSignedCRL(a, factsOfSummary(s), s.Entry, cert, issuer, now)
}

// judgeSignedCRL is the end of judgeCRL and judgeCRLSummary, for a CRL of
// cert's issuer whose signature verified (a holds its thisUpdate and
// nextUpdate): its times, its scope, and cert's entry (nil when the serial
// is not listed).
func judgeSignedCRL(a RevocationAnswer, facts crlFacts, entry *probe.CRLEntry, cert, issuer *x509.Certificate, now time.Time) RevocationAnswer {
	a.SignedBy = "the issuer " + Name(issuer)
	if a.ThisUpdate.After(now.Add(revocationSkew)) {
		a.Verdict, a.Problem, a.OpenSSL = AnswerInvalid, "its thisUpdate is in the future (the CA's clock or ours is wrong)", opensslCRLFuture
		return a
	}
	if p, o := crlScopeProblem(facts, cert); p != "" {
		a.Verdict, a.Problem, a.OpenSSL = AnswerInvalid, p, o
		return a
	}
	if entry != nil {
		a.Verdict, a.RevokedAt, a.Reason = AnswerRevoked, entry.RevocationTime, reasonName(entry.ReasonCode)
		return a
	}
	if !a.NextUpdate.IsZero() && now.After(a.NextUpdate.Add(revocationSkew)) {
		a.Verdict, a.Problem, a.OpenSSL = AnswerStale, "expired "+human(now.Sub(a.NextUpdate))+" ago (nextUpdate passed); the serial is not listed", opensslCRLExpired
		return a
	}
	a.Verdict = AnswerGood
	return a
}

// reasonName is the RFC 5280 CRLReason name.
func reasonName(code int) string {
	names := map[int]string{
		0: "unspecified", 1: "keyCompromise", 2: "cACompromise", 3: "affiliationChanged",
		4: "superseded", 5: "cessationOfOperation", 6: "certificateHold", 8: "removeFromCRL",
		9: "privilegeWithdrawn", 10: "aACompromise",
	}
	if n, ok := names[code]; ok {
		return n
	}
	return fmt.Sprintf("reason %d", code)
}

// javaReason is the reason as Java's CRLReason enum prints it
// ("KEY_COMPROMISE").
func javaReason(name string) string {
	names := map[string]string{
		"keyCompromise": "KEY_COMPROMISE", "cACompromise": "CA_COMPROMISE", "affiliationChanged": "AFFILIATION_CHANGED",
		"superseded": "SUPERSEDED", "cessationOfOperation": "CESSATION_OF_OPERATION", "certificateHold": "CERTIFICATE_HOLD",
		"removeFromCRL": "REMOVE_FROM_CRL", "privilegeWithdrawn": "PRIVILEGE_WITHDRAWN", "aACompromise": "AA_COMPROMISE",
	}
	if n, ok := names[name]; ok {
		return n
	}
	return "UNSPECIFIED"
}
