package inspect

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// Alignment answers, offline, what a live probe answers for a running
// server: would a peer holding Truststore accept the chain a peer holding
// Keystore presents? The path is built with the checks package's path
// builder against the anchors Java (or OpenSSL, for PEM) takes from the
// truststore file.

// Direction of a verdict.
const (
	ServerToClient = "server" // --keystore presented to --truststore
	ClientToServer = "client" // --client-keystore presented to --server-truststore
)

// Verdict is one alignment answer.
type Verdict struct {
	// Direction is ServerToClient or ClientToServer.
	Direction  string `json:"direction"`
	Keystore   string `json:"keystore"`
	Alias      string `json:"alias,omitempty"`
	Truststore string `json:"truststore"`
	Name       string `json:"name,omitempty"`
	// OK is true when the peer would accept the chain.
	OK bool `json:"ok"`
	// Trust is the path verdict: "trusted", "chain-incomplete",
	// "untrusted-root", "self-signed".
	Trust string `json:"trust"`
	// Path is the path built, leaf first, by name.
	Path []string `json:"path"`
	// Reasons say why not (or what still fails on a trusted path).
	Reasons []string `json:"reasons,omitempty"`
	// Findings carry the IDs of the checks that fail (the live checks'
	// IDs), each with its evidence and the fix that closes the gap.
	Findings []checks.Finding `json:"findings,omitempty"`
}

// Anchors are the certificates a truststore file gives a TLS peer:
// trusted entries and the first certificate of each key entry for Java's
// stores (KeyStores.getTrustedCerts), every certificate for PEM, DER and
// secrets; PKCS#12 certificates without Java's trusted attribute are
// not anchors for Java.
func Anchors(s *Store) []*x509.Certificate {
	var out []*x509.Certificate
	for _, e := range s.Entries {
		switch s.Format {
		case FormatJKS, FormatJCEKS, FormatPKCS12:
			switch e.Kind {
			case KindTrusted:
				out = append(out, e.Chain...)
			case KindPrivateKey:
				if len(e.Chain) > 0 {
					out = append(out, e.Chain[0])
				}
			}
		default:
			out = append(out, e.Chain...)
		}
	}
	return out
}

// keyEntries are the entries a peer may present: the alias, else every
// private key entry.
func keyEntries(s *Store, alias string) ([]*Entry, error) {
	var out []*Entry
	for _, e := range s.Entries {
		if e.Kind != KindPrivateKey && e.Kind != KindKey {
			continue
		}
		if alias == "" || strings.EqualFold(e.Alias, alias) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		if alias != "" {
			return nil, fmt.Errorf("%s has no private key entry %q", s.File, alias)
		}
		return nil, fmt.Errorf("%s holds no private key entry: it is not a keystore", s.File)
	}
	return out, nil
}

// Align judges every key entry of ks (or the alias) against ts.
func Align(dir string, ks *Store, alias string, ts *Store, serverName string, now time.Time) ([]Verdict, error) {
	entries, err := keyEntries(ks, alias)
	if err != nil {
		return nil, err
	}
	anchors := Anchors(ts)
	store := checks.NewTruststore(ts.File, anchors)
	var out []Verdict
	for _, e := range entries {
		v := alignOne(dir, ks, e, ts, store, serverName, now)
		stdinFixes(ks, v.Findings)
		stdinFixes(ts, v.Findings)
		out = append(out, v)
	}
	return out, nil
}

func alignOne(dir string, ks *Store, e *Entry, ts *Store, store checks.Truststore, serverName string, now time.Time) Verdict {
	v := Verdict{Direction: dir, Keystore: ks.File, Alias: e.Alias, Truststore: ts.File, Name: serverName}
	chain := e.Chain
	if len(chain) == 0 {
		v.Trust = "no-certificate"
		v.Reasons = []string{"the key entry has no certificate"}
		return v
	}
	tr := trustOf(chain, serverName, store, now)
	v.Trust = tr.Verdict
	for _, c := range tr.Path {
		v.Path = append(v.Path, name(c))
	}
	env := checks.Env{Now: now, Truststores: []checks.Truststore{store}, Name: serverName, WarnDays: -1}
	label := fmt.Sprintf("%s entry %q presented to %s", ks.File, e.Alias, ts.File)
	if len(anchors(store)) == 0 {
		v.Reasons = append(v.Reasons, ts.File+" gives Java no trust anchor at all (an empty store)")
	}
	if tr.Verdict != checks.Trusted {
		fs := runChecks(chain, serverName, []string{"self-signed", "chain-incomplete", "untrusted-root"}, env)
		for i := range fs {
			fs[i].Fix = trustFix(ks, e, ts, tr)
			fs[i].Evidence = append([]string{label}, fs[i].Evidence...)
			v.Reasons = append(v.Reasons, fs[i].Title)
		}
		v.Findings = append(v.Findings, fs...)
	}
	// On the path the peer would build: dates, names, usages. Java does
	// not check the trust anchor's own dates, so an expired anchor is
	// not a reason here (truststore-ca-expired says it for OpenSSL).
	ids := []string{"cert-expired", "cert-not-yet-valid", "ca-constraints"}
	if dir == ServerToClient {
		ids = append(ids, "eku-missing")
		if serverName != "" {
			ids = append(ids, "hostname-mismatch")
		}
	}
	for _, f := range runChecks(chain, serverName, ids, env) {
		if f.ID == "cert-expired" && tr.Anchor != nil && strings.Contains(f.Title, "trust anchor") {
			continue
		}
		f.Evidence = append([]string{label}, f.Evidence...)
		v.Reasons = append(v.Reasons, f.Title)
		v.Findings = append(v.Findings, f)
	}
	if dir == ClientToServer && !servesAs(chain[0], "client") {
		f := checks.Finding{ID: "client-eku-missing", Severity: checks.Error,
			Title:    fmt.Sprintf("the client certificate %q is not valid for client authentication", name(chain[0])),
			Detail:   "Its extended key usage (or key usage) does not allow TLS client authentication, so the server's trust manager refuses it: Java servers with \"Extended key usage does not permit use for TLS client authentication\", OpenSSL with \"unsuitable certificate purpose\".",
			Evidence: []string{label, "extendedKeyUsage: " + strings.Join(extKeyUsages(chain[0]), ", "), "keyUsage: " + strings.Join(keyUsages(chain[0].KeyUsage), ", ")},
			Fix:      []checks.Step{checks.Say("Reissue the client certificate with extendedKeyUsage = clientAuth (and keyUsage = digitalSignature).")}}
		v.Reasons = append(v.Reasons, f.Title)
		v.Findings = append(v.Findings, f)
	}
	v.OK = len(v.Findings) == 0 && tr.Verdict == checks.Trusted
	return v
}

func anchors(t checks.Truststore) []*x509.Certificate { return t.Certs }

// trustFix says how to make ts trust the chain of e: import the CA that
// anchors it (taken from the keystore when it is there), or complete the
// keystore's chain when the truststore has the root but the keystore
// lacks the intermediate.
func trustFix(ks *Store, e *Entry, ts *Store, tr *checks.TrustResult) []checks.Step {
	end := tr.End()
	// The certificate the truststore should hold: the root at the end of
	// the path, or the self-signed leaf.
	var want *x509.Certificate
	if selfSigned(end) {
		want = end
	} else {
		for _, o := range ks.Entries {
			for _, c := range o.Chain {
				if signed(c, end) && selfSigned(c) {
					want = c
				}
			}
		}
	}
	if tr.Verdict == checks.MissingIssuer && want == nil {
		steps := []checks.Step{checks.Say(fmt.Sprintf("%s does not hold the intermediate that issued %q, and %s does not trust that intermediate either: complete the keystore's chain (the usual fix), or import the missing CA into %s.", ks.File, name(end), ts.File, ts.File))}
		return append(steps, chainFix(ks, e)...)
	}
	if want == nil {
		return []checks.Step{
			checks.Say(fmt.Sprintf("Get the CA certificate %q from its owner (your PKI team or the partner), check its fingerprint with them, and import it:", end.Issuer.String())),
			importStep(ts, "ca.pem", aliasFor(end, 0)+"-issuer"),
		}
	}
	steps := []checks.Step{}
	if want == e.Leaf() {
		steps = append(steps, checks.Say("The certificate is self-signed: the truststore must hold it itself, and must be updated whenever it is renewed."))
	} else {
		steps = append(steps, checks.Say(fmt.Sprintf("Import the root %q (SHA-256 %s), which %s carries in its chain, into %s:", name(want), SHA256Fingerprint(want), ks.File, ts.File)))
	}
	steps = append(steps, checks.Cmd("tlsdoctor", "tlsdoctor inspect "+ks.arg()+tlsdoctorPass(ks)+" --extract "+SHA256Fingerprint(want)[:23]+" > ca.pem"))
	steps = append(steps, importStep(ts, "ca.pem", aliasFor(want, 0)))
	return steps
}

func importStep(ts *Store, file, alias string) checks.Step {
	switch ts.Format {
	case FormatJKS, FormatPKCS12, FormatJCEKS:
		return checks.Cmd("keytool", "keytool -importcert -noprompt -trustcacerts -alias "+checks.ShellQuote(alias)+" -file "+file+" -keystore "+ts.arg()+" -storetype "+string(ts.Format)+keytoolPass(ts, "-storepass"))
	}
	return checks.Cmd("sh", "cat "+file+" >> "+ts.arg())
}

// tlsdoctorPass is the inspect password option that reopens s, as the
// user gave it.
func tlsdoctorPass(s *Store) string { return s.opened.ReopenOption() }
