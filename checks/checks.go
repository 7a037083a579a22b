// Package checks turns a probe.Record into findings. Every check is a pure
// function of the record, the trust settings and the clock carried in Env:
// no network, no time.Now, no output. Anything a check needs from the
// network must already be in the record.
package checks

import (
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/internal/certmemo"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Severity orders findings. The zero value is invalid.
type Severity int

const (
	Info Severity = iota + 1
	Warning
	Error
)

var severityNames = map[Severity]string{Info: "info", Warning: "warning", Error: "error"}

func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText writes the lowercase name.
func (s Severity) MarshalText() ([]byte, error) {
	if _, ok := severityNames[s]; !ok {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads the lowercase name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// ParseSeverity parses "info", "warning" or "error".
func ParseSeverity(s string) (Severity, error) {
	for k, v := range severityNames {
		if v == strings.ToLower(s) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, warning or error)", s)
}

// Finding is one problem found, with what shows it and how to fix it.
type Finding struct {
	// ID is stable kebab-case; IDs are a public contract.
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Detail   string   `json:"detail"`
	Evidence []string `json:"evidence"`
	// Fix is the fix as data: prose, commands and settings, each for a
	// named tool (see Step). report/ renders it, and adds the same steps
	// as one string ("remediation", FixText) to the JSON.
	Fix []Step `json:"fix,omitempty"`
	// Clients says how common clients react to this problem, with the
	// message they print, so a user can match the error they were given.
	Clients []ClientVerdict `json:"clients,omitempty"`
	// Rule names the policy-file rule a policy-violation (or an ignore an
	// ignore-expired) is about, so that two findings with one ID on one
	// target are told apart (--baseline compares by ID and Rule).
	Rule string `json:"rule,omitempty"`
}

// ClientVerdict is how one client behaves faced with a finding.
type ClientVerdict struct {
	Client string `json:"client"`
	// Fails is true when the client refuses the connection.
	Fails bool `json:"fails"`
	// Unknown is true when the record cannot tell whether the client
	// connects (Fails is then false); Message says what is missing.
	Unknown bool `json:"unknown,omitempty"`
	// Message is what the client prints, when it fails.
	Message string `json:"message,omitempty"`
}

// Truststore is a named set of trust anchors.
type Truststore struct {
	// Name is how the store is shown: "system", "ca-file ca.pem", ...
	Name  string
	Certs []*x509.Certificate
	pool  *x509.CertPool
	// Source is where the store was read from (a file, "embedded"), for
	// evidence. Public marks a store of publicly trusted roots (mozilla):
	// requirements that only apply to publicly trusted certificates
	// (Certificate Transparency, lifetime limits) are judged only against
	// these.
	Source string
	Public bool
	// Path is the file the user named (--truststore FILE, --ca-file FILE)
	// as given, and Format its format ("PEM", "DER", "PKCS#12", "JKS",
	// "JCEKS"), so that a fix can name the user's own file; both are empty
	// for a named or recorded store. Flag is the option that named the
	// store ("--truststore", "--ca-file"), empty when tlsdoctor chose it.
	Path   string
	Format string
	Flag   string
	// index finds certificates by raw subject.
	index map[string][]*x509.Certificate
}

// NewTruststore builds a store from its certificates. Duplicates (the same
// DER twice, as in bundles concatenated from several sources) are kept
// once.
func NewTruststore(name string, certs []*x509.Certificate) Truststore {
	pool := x509.NewCertPool()
	seen := make(map[[32]byte]bool, len(certs))
	uniq := make([]*x509.Certificate, 0, len(certs))
	index := map[string][]*x509.Certificate{}
	for _, c := range certs {
		sum := sha256.Sum256(c.Raw)
		if seen[sum] {
			continue
		}
		seen[sum] = true
		uniq = append(uniq, c)
		pool.AddCert(c)
		index[string(c.RawSubject)] = append(index[string(c.RawSubject)], c)
	}
	return Truststore{Name: name, Certs: uniq, pool: pool, index: index}
}

// RecordedTruststore rebuilds a truststore recorded with its certificates
// (probe.RecordedTruststore); a store recorded by name only (system,
// mozilla, java) has none and must be loaded from the machine instead.
func RecordedTruststore(rt probe.RecordedTruststore) (Truststore, error) {
	certs := make([]*x509.Certificate, 0, len(rt.Certificates))
	for i, c := range rt.Certificates {
		cert, err := certmemo.Parse(c.DER)
		if err != nil {
			return Truststore{}, fmt.Errorf("truststore %q certificate #%d does not parse: %v", rt.Name, i, err)
		}
		certs = append(certs, cert)
	}
	return NewTruststore(rt.Name, certs), nil
}

// Pool returns the store as an x509.CertPool.
func (t Truststore) Pool() *x509.CertPool {
	if t.pool == nil {
		return x509.NewCertPool()
	}
	return t.pool
}

// Env is everything a check may use besides the record.
type Env struct {
	// Now is the clock checks judge validity against.
	Now time.Time
	// Truststores are the stores to judge trust against; the first is the
	// one the user's client is assumed to use.
	Truststores []Truststore
	// Name is the name the certificate must cover; empty means the SNI
	// sent, or the target host.
	Name string
	// WarnDays is how close to expiry a certificate must be for
	// cert-expiring-soon; 0 means 30, negative disables the check.
	WarnDays int
	// Client is the client the user connects with (--client, or
	// --tls-min/--tls-max/--ciphers); nil means none named.
	Client *ClientProfile
	// Policy is the --policy profile to compare against; nil means none.
	Policy *Policy
}

// Check is one entry of the ordered list of checks.
type Check struct {
	ID       string
	Severity Severity
	// Title is what the check looks for, one line.
	Title string
	Run   func(*Input) []Finding
}

// All returns every check in the order they run and are listed.
func All() []Check {
	return []Check{
		{"connect-failed", Error, "the TCP connection (or name resolution) failed, with the classified cause", connectFailed},
		{"proxy-refused", Error, "the proxy refused the tunnel (407 with its challenge, 403, 502, a SOCKS refusal) or could not be reached", proxyRefused},
		{"starttls-unsupported", Error, "the server does not offer STARTTLS, or refused it, at the step named (greeting, capabilities, upgrade)", starttlsUnsupported},
		{"not-tls", Error, "the port answered, but not with TLS (for example plain HTTP)", notTLS},
		{"handshake-failed", Error, "the TLS handshake failed: the alert received and what it usually means", handshakeFailed},
		{"unparseable-certificate", Error, "a certificate the server sends is not valid X.509 (which clients cannot parse it, at which position)", unparseableCertificate},
		{"chain-too-large", Error, "the Certificate message exceeds a client's limit (Java 32 KiB or 10 certificates, OpenSSL 100 KiB, GnuTLS 128 KiB, Go 256 KiB)", chainTooLarge},
		{"self-signed", Error, "the server's certificate is self-signed and not trusted", selfSigned},
		{"chain-incomplete", Error, "the server does not send the intermediate certificate(s) its leaf needs", chainIncomplete},
		{"key-id-mismatch", Error, "the issuer is sent but its key identifier is not the one the certificate names (OpenSSL and GnuTLS call it missing; Go and Java connect)", keyIDMismatch},
		{"untrusted-root", Error, "the chain ends at a root the truststore does not contain", untrustedRoot},
		{"compromised-root", Error, "a truststore trusts a root whose private key is public (Superfish, eDellRoot, DSDTestProvider)", compromisedRoot},
		{"cert-expired", Error, "a certificate on the chain has expired", certExpired},
		{"cert-not-yet-valid", Error, "a certificate on the chain is not valid yet (or a clock is wrong)", certNotYetValid},
		{"hostname-mismatch", Error, "the certificate does not cover the name the client connects to", hostnameMismatch},
		{"invalid-name-characters", Warning, "a name or URL in the certificate (or the target) holds characters no DNS name or URL may hold (a newline, quote, \"]\", control character): it matches no host, and tlsdoctor never pastes it into a fix", invalidNameCharacters},
		{"tls-interception-suspected", Warning, "the chain is issued by a CA that names a TLS-inspection appliance (Zscaler, Netskope, Fortinet, ...), or through the proxy by another CA than directly: the network decrypts TLS", tlsInterceptionSuspected},
		{"backend-inconsistent", Warning, "with --all-ips: an address serves another certificate, chain, version, cipher or client-auth policy, or fails (error); with --scan, accepts other versions, suites or groups", backendInconsistent},
		{"sni-required", Warning, "without SNI the server presents another certificate or refuses: clients that send no SNI fail", sniRequired},
		{"chain-order", Warning, "the server sends its chain out of order (error when the first certificate is not its leaf: every client fails)", chainOrder},
		{"chain-extra-certs", Warning, "the server sends certificates that belong to no path (left over after a renewal?)", chainExtraCerts},
		{"chain-contains-root", Info, "the server sends the root certificate (useless; harmful when expired)", chainContainsRoot},
		{"cert-expiring-soon", Warning, "a certificate on the path expires within --warn-days (default 30)", certExpiringSoon},
		{"no-san", Error, "the leaf has no subjectAltName, only a CN (Go and browsers refuse it)", noSAN},
		{"weak-key", Error, "a key on the path is weak: RSA < 2048, EC < 256 bits, or DSA", weakKey},
		{"weak-signature", Error, "a certificate on the path is signed with MD5 or SHA-1", weakSignature},
		{"eku-missing", Error, "a certificate restricts its extended key usage and serverAuth is not allowed", ekuMissing},
		{"ca-constraints", Error, "an issuer on the path is not a CA (CA:TRUE, keyCertSign) or its path length is exceeded", caConstraints},
		{"name-constraint-violation", Error, "a CA on the path has name constraints (permitted/excluded DNS, IP, email, URI, directoryName) and a certificate below it names something else", nameConstraintViolation},
		{"unknown-critical-extension", Error, "a certificate on the path has a critical extension verifiers do not know (named by OID)", unknownCriticalExtension},
		{"cert-policy-violation", Error, "a CA requires an explicit certificate policy the path does not carry (Go and Java refuse; OpenSSL does not check)", certPolicyViolation},
		{"validity-too-long", Info, "a publicly trusted leaf is valid for more than 398 days", validityTooLong},
		{"cert-revoked", Error, "a certificate on the chain is revoked (stapled OCSP, live OCSP or CRL)", certRevoked},
		{"revocation-unknown", Warning, "the revocation status could not be established: no URL, responder unreachable, invalid, stale or unknown answer", revocationUnknown},
		{"ocsp-must-staple-missing", Error, "the leaf requires OCSP stapling (must-staple) but no staple came", ocspMustStapleMissing},
		{"ocsp-staple-invalid", Warning, "the stapled OCSP response is invalid (signature, certificate, error status, unknown)", ocspStapleInvalid},
		{"ocsp-staple-stale", Warning, "the stapled OCSP response is out of date", ocspStapleStale},
		{"ocsp-stapling-missing", Info, "the server staples no OCSP response", ocspStaplingMissing},
		{"sct-missing", Info, "no Certificate Transparency SCT in the certificate, the TLS extension or the staple", sctMissing},
		{"client-cert-required", Error, "mutual TLS: the server requires a client certificate and none was given", clientCertRequired},
		{"client-cert-ca-not-accepted", Error, "mutual TLS: our client chain reaches none of the CAs the server accepts", clientCertCANotAccepted},
		{"client-cert-rejected", Error, "mutual TLS: the server refused the client certificate we sent, with the likely causes ranked", clientCertRejected},
		{"client-chain-incomplete", Error, "mutual TLS: we did not send the intermediate our client certificate needs", clientChainIncomplete},
		{"client-cert-expired", Error, "mutual TLS: our client certificate (or its chain) has expired", clientCertExpired},
		{"client-cert-not-yet-valid", Error, "mutual TLS: our client certificate is not valid yet", clientCertNotYetValid},
		{"client-eku-missing", Error, "mutual TLS: our client certificate is not valid for client authentication (no clientAuth)", clientEKUMissing},
		{"client-key-weak", Warning, "mutual TLS: our client certificate has a weak key or signature", clientKeyWeak},
		{"client-ca-list-empty", Info, "mutual TLS: the server names no acceptable CA, or sends a malformed empty list (TLS 1.3)", clientCAListEmpty},
		{"client-auth-optional", Info, "mutual TLS: the server requests a client certificate but does not require one", clientAuthOptional},
		{"protocol-legacy", Warning, "the server accepts SSL 3.0 (error) or TLS 1.0/1.1 (warning), which current clients refuse", protocolLegacy},
		{"weak-cipher", Warning, "the server accepts weak cipher suites: NULL, EXPORT, anon, RC4, DES, 3DES, no forward secrecy, CBC with SHA-1", weakCipher},
		{"weak-dh", Warning, "the server's DHE parameters are smaller than 2048 bits (Logjam)", weakDH},
		{"dh-group-unsafe", Warning, "the server's DHE group is unsafe: a composite modulus or a generator of small order (error), or a prime that is not a safe prime (warning); published RFC 2409/3526/5114/7919 groups are recognised by value", dhGroupUnsafe},
		{"tls13-missing", Info, "the server does not speak TLS 1.3", tls13Missing},
		{"no-forward-secrecy", Warning, "the server offers no forward-secret key exchange, or prefers one without", noForwardSecrecy},
		{"server-ignores-preference", Info, "the server follows the client's cipher order instead of its own (TLS 1.2 and older)", serverIgnoresPreference},
		{"version-mismatch", Error, "the client (--client, --tls-min/--tls-max, or current defaults after a failed handshake) and the server share no protocol version", versionMismatch},
		{"cipher-mismatch", Error, "the client and the server share no cipher suite, group or signature algorithm (--client also reports client-compatible when it connects)", cipherMismatch},
		{"policy-deviation", Warning, "every deviation from the --policy profile (Mozilla modern/intermediate/old): versions, suites, groups, DH and key size, lifetime", policyDeviation},
		{"chain-alternative-path", Info, "the chain also completes through invalid paths (an expired or non-CA twin of an intermediate, a cross-sign); warning or error when a measured client builds one", chainAlternativePath},
		{"verifier-disagreement", Error, "Go's crypto/x509.Verify and tlsdoctor's path analysis disagree on the chain (run last: it reads the other findings)", verifierDisagreement},
	}
}

// Input is what each check receives: the record, the environment and the
// parsed chain, computed once.
type Input struct {
	Rec *probe.Record
	Env Env
	// Sent is every certificate the server sent, at its position, parsed
	// or not (see sent.go).
	Sent []SentCert
	// Chain is the server's chain as sent, parsed: the certificates of the
	// first maxChainCerts positions that parse, in sent order. When a
	// certificate does not parse it is missing here and named in Sent and
	// ParseErrors; positions are in.SentPos(c). When the leaf (the first
	// certificate) does not parse, Chain is empty: no other certificate is
	// judged as if it were the leaf.
	Chain       []*x509.Certificate
	ParseErrors []string

	// leaf is the index in Chain of the server's real leaf (see
	// realLeaf): 0 unless the server sent a CA certificate first.
	leaf      int
	link      *linker
	trust     []*TrustResult
	goVerify  []*GoVerdict
	mtlsCache *mtls
	chain     chainCache
	// rev is Revocation's verdict, computed once: several checks read it,
	// and each OCSP answer costs signature checks.
	rev       *[]CertRevocation
	viewCache *serverView
	// prior are the findings of the checks run so far (set by Run), for
	// the checks at the end of All that compare verdicts.
	prior []Finding
}

// NewInput parses the record's chain.
func NewInput(rec *probe.Record, env Env) *Input {
	in := &Input{Rec: rec, Env: env, link: newLinker(maxSigChecks)}
	in.Sent = parseSent(rec.Chain())
	for _, s := range in.Sent {
		if s.Err != nil {
			in.ParseErrors = append(in.ParseErrors, fmt.Sprintf("certificate #%d: %v", s.Pos, s.Err))
		}
	}
	if len(in.Sent) == 0 || in.Sent[0].Cert == nil {
		return in
	}
	for _, s := range in.Sent[:min(len(in.Sent), maxChainCerts)] {
		if s.Cert != nil {
			in.Chain = append(in.Chain, s.Cert)
		}
	}
	in.leaf = realLeaf(in.Chain, in.link, in.ExpectedName())
	return in
}

// Leaf is the server's certificate, or nil. It is the first certificate
// sent, unless the server sent a CA certificate first and its leaf later
// (see chain-order).
func (in *Input) Leaf() *x509.Certificate {
	if len(in.Chain) == 0 {
		return nil
	}
	return in.Chain[in.leaf]
}

// leafFirst is the parsed chain with the real leaf first, the others in
// sent order: what path building starts from.
func (in *Input) leafFirst() []*x509.Certificate {
	if in.leaf == 0 {
		return in.Chain
	}
	out := []*x509.Certificate{in.Chain[in.leaf]}
	for i, c := range in.Chain {
		if i != in.leaf {
			out = append(out, c)
		}
	}
	return out
}

// issues reports whether parent signed child, through the Input's
// memoized, budgeted linker.
func (in *Input) issues(parent, child *x509.Certificate) bool { return in.link.issues(parent, child) }

// ExpectedName is the name the leaf must cover.
func (in *Input) ExpectedName() string {
	switch {
	case in.Env.Name != "":
		return in.Env.Name
	case in.Rec.Target.SNI != "":
		return in.Rec.Target.SNI
	}
	return in.Rec.Target.Host
}

// Run runs every check and returns the findings, most severe first and in
// check order within a severity.
func Run(rec *probe.Record, env Env) []Finding { return RunInput(NewInput(rec, env)) }

// RunInput is Run on an Input the caller keeps, so that what the checks
// computed (trust paths, revocation verdicts) serves StoreVerdicts and
// other judges of the same record.
func RunInput(in *Input) []Finding {
	var out []Finding
	for _, c := range All() {
		in.prior = out
		for _, f := range c.Run(in) {
			if f.ID == "" {
				f.ID = c.ID
			}
			if f.Severity == 0 {
				f.Severity = c.Severity
			}
			out = append(out, f)
		}
	}
	goPathLines(in, out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity > out[j].Severity })
	reconcileClients(out)
	return out
}

// reconcileClients makes the findings agree about each client. A finding's
// line says how the client fares with that fault alone; when another
// finding proves the client fails to connect, "works" (or "unknown")
// would contradict it, so the line says it fails and why, keeping what
// this fault alone would do.
func reconcileClients(fs []Finding) {
	failsIn := map[string]string{} // client -> the most severe finding where it fails
	for _, f := range fs {
		for _, c := range f.Clients {
			if _, seen := failsIn[c.Client]; c.Fails && !seen {
				failsIn[c.Client] = f.ID
			}
		}
	}
	for i := range fs {
		for j := range fs[i].Clients {
			c := &fs[i].Clients[j]
			id, ok := failsIn[c.Client]
			if c.Fails || !ok || id == fs[i].ID {
				continue
			}
			alone := "this alone would not stop it"
			if c.Unknown {
				alone = "whether this alone would stop it is not known"
			}
			if c.Message != "" {
				alone += " (" + c.Message + ")"
			}
			*c = ClientVerdict{Client: c.Client, Fails: true, Message: "fails: see " + id + "; " + alone}
		}
	}
}

// Worst returns the highest severity among findings, or 0.
func Worst(fs []Finding) Severity {
	var w Severity
	for _, f := range fs {
		w = max(w, f.Severity)
	}
	return w
}
