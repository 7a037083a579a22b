package inspect

import (
	"crypto/x509"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// Check is one file-only check: its stable ID (a public contract, like
// the checks package's), severity and what it looks for.
type Check struct {
	ID       string
	Severity checks.Severity
	Title    string
}

// Checks lists the findings only a file shows, in the order they are
// reported. The certificate checks inspect reuses from the checks
// package (cert-expired, cert-not-yet-valid, cert-expiring-soon,
// weak-key, weak-signature, eku-missing, no-san, ca-constraints,
// hostname-mismatch, and the trust checks in alignment) keep their IDs.
func Checks() []Check {
	return []Check{
		{"store-type-mismatch", checks.Warning, "the file's name or --type says one store type and its content is another (with the error Java prints)"},
		{"key-cert-mismatch", checks.Error, "a private key does not belong to the certificate it is stored with"},
		{"keystore-key-password", checks.Error, "a key entry's password differs from the store password (Java: Cannot recover key)"},
		{"keystore-chain-incomplete", checks.Error, "a key entry holds its leaf without the intermediate(s): the server will send an incomplete chain"},
		{"keystore-alias-missing", checks.Error, "the alias asked for is not in the keystore (or only with another case)"},
		{"keystore-alias-ambiguous", checks.Warning, "several private key entries and no alias chosen: which one a JSSE server uses is not under your control"},
		{"keystore-duplicate-cert", checks.Info, "the same certificate is stored under several aliases"},
		{"truststore-ca-expired", checks.Warning, "an expired CA certificate in a truststore"},
		{"truststore-holds-leaf", checks.Warning, "a truststore trusts a server's own (leaf) certificate instead of its CA: it breaks at the next renewal"},
		{"pkcs12-not-java-trusted", checks.Error, "a PKCS#12 truststore whose certificates are not marked trusted for Java: Java sees an empty store"},
		{"keystore-java-compat", checks.Warning, "a store some Java versions cannot read (PKCS#12 with AES/SHA-256 on Java 8 before 8u301 and 11 before 11.0.12, JCEKS without its type)"},
		{"java-truststore-unreadable", checks.Error, "--java: the JVM gets no certificate from its truststore (a PKCS#12 file opened without javax.net.ssl.trustStorePassword)"},
		{"java-disabled-algorithm", checks.Error, "--java: that JDK's jdk.certpath/jdk.tls.disabledAlgorithms refuse a key, signature, protocol or suite"},
	}
}

// JavaNoAnchors is what a Java 17 client prints when its truststore gives
// it no certificate (measured: a PKCS#12 truststore opened without its
// password, or one without Java's trusted attribute).
const JavaNoAnchors = "javax.net.ssl.SSLException: Unexpected error: java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty"

// Judge is how findings are judged.
type Judge struct {
	Now time.Time
	// WarnDays is the cert-expiring-soon window (0: 30 days, negative:
	// off), as for a live run.
	WarnDays int
	// Name is the host name key entries must cover (--name), empty for
	// none.
	Name string
	// Alias is the key entry the application uses (--alias), empty for
	// none.
	Alias string
}

func (j Judge) env() checks.Env {
	return checks.Env{Now: j.Now, WarnDays: j.WarnDays, Name: j.Name}
}

// Findings judges one store.
func Findings(s *Store, j Judge) []checks.Finding {
	var out []checks.Finding
	if m := s.TypeMismatch; m != nil {
		out = append(out, typeMismatchFinding(s, m))
	}
	var keys []*Entry
	for _, e := range s.Entries {
		where := entryName(s, e)
		switch e.Kind {
		case KindPrivateKey, KindKey:
			keys = append(keys, e)
			out = append(out, keyEntryFindings(s, e, j)...)
		case KindTrusted, KindCertificate:
			c := e.Leaf()
			if c == nil {
				continue
			}
			if c.BasicConstraintsValid && c.IsCA {
				if j.Now.After(c.NotAfter) && (e.Kind == KindTrusted || len(s.Entries) > 1) {
					out = append(out, expiredCAFinding(s, e, j.Now))
				}
				continue
			}
			if e.Kind == KindTrusted {
				out = append(out, leafInTruststore(s, e))
			}
			ids := []string{"cert-expired", "cert-not-yet-valid", "cert-expiring-soon", "weak-key", "weak-signature"}
			out = append(out, tag(runChecks([]*x509.Certificate{c}, j.Name, ids, j.env()), where)...)
		}
	}
	out = append(out, aliasFindings(s, keys, j)...)
	out = append(out, duplicateFindings(s)...)
	out = append(out, compatFindings(s)...)
	stdinFixes(s, out)
	sort.SliceStable(out, func(a, b int) bool { return out[a].Severity > out[b].Severity })
	return out
}

// tag adds the file and entry to findings the checks package produced,
// which speak of "the server".
func tag(fs []checks.Finding, where string) []checks.Finding {
	for i := range fs {
		fs[i].Evidence = append([]string{where}, fs[i].Evidence...)
	}
	return fs
}

func entryName(s *Store, e *Entry) string {
	switch {
	case e.Alias != "":
		return fmt.Sprintf("%s entry %q (%s)", s.File, e.Alias, e.Kind)
	case e.Source != "" && len(e.Source) < 80:
		return fmt.Sprintf("%s %s (%s)", s.File, e.Source, e.Kind)
	}
	return fmt.Sprintf("%s (%s)", s.File, e.Kind)
}

func keyEntryFindings(s *Store, e *Entry, j Judge) []checks.Finding {
	var out []checks.Finding
	where := entryName(s, e)
	leaf := e.Leaf()
	if e.Key != nil && e.Key.Matches != nil && !*e.Key.Matches {
		out = append(out, keyMismatch(s, e))
	}
	if e.keyPasswordDiffers {
		out = append(out, keyPasswordFinding(s, e))
	}
	if leaf == nil {
		return out
	}
	ids := []string{"cert-expired", "cert-not-yet-valid", "cert-expiring-soon", "weak-key", "weak-signature", "ca-constraints"}
	roles := ServesAs(leaf)
	explicitServer := false
	for _, u := range leaf.ExtKeyUsage {
		explicitServer = explicitServer || u == x509.ExtKeyUsageServerAuth
	}
	switch {
	case j.Name != "":
		ids = append(ids, "hostname-mismatch", "no-san", "eku-missing")
	case explicitServer:
		ids = append(ids, "no-san")
	case len(roles) == 0:
		// Neither a server nor a client certificate: eku-missing says why.
		ids = append(ids, "eku-missing")
	}
	out = append(out, tag(runChecks(e.Chain, j.Name, ids, j.env()), where)...)
	if f := incompleteChain(s, e); f != nil {
		out = append(out, *f)
	}
	return out
}

func keyMismatch(s *Store, e *Entry) checks.Finding {
	leaf := e.Leaf()
	f := checks.Finding{
		ID: "key-cert-mismatch", Severity: checks.Error,
		Title: fmt.Sprintf("the private key in %s does not belong to the certificate %q", s.File, name(leaf)),
		Detail: "The certificate's public key and the private key stored with it are not a pair. A server with this keystore fails every handshake " +
			"(OpenSSL-based servers refuse to start: \"key values mismatch\"); a client cannot prove it holds the certificate. Usually the certificate " +
			"was renewed with a new key (or a CSR from another key) and the old key was kept.",
		// Both hashes are of the DER SubjectPublicKeyInfo, written as
		// openssl dgst -sha256 -c prints it, so that the commands below
		// print exactly these.
		Evidence: []string{entryName(s, e),
			"certificate public key SHA-256 (DER SubjectPublicKeyInfo): " + spkiHash(leaf.PublicKey),
			"private key's public key SHA-256 (DER SubjectPublicKeyInfo): " + keySPKIHash(e)},
	}
	cert, key := mismatchCommands(s, e)
	if cert == nil {
		f.Fix = []checks.Step{checks.Say("Find the key that matches the certificate (its public key SHA-256 is the certificate's, above) and store the two together; or issue a new certificate for this key.")}
		return f
	}
	f.Fix = []checks.Step{checks.Say("Find the key that matches the certificate and store the two together; or issue a new certificate for this key. " +
		"These commands print the two hashes above (SHA2-256(stdin)= …); run the second on a candidate key (openssl pkey -in KEY -pubout -outform DER | openssl dgst -sha256 -c) to find the one whose hash is the certificate's:")}
	f.Fix = append(append(f.Fix, cert...), key...)
	return f
}
func keyPasswordFinding(s *Store, e *Entry) checks.Finding {
	f := checks.Finding{
		ID: "keystore-key-password", Severity: checks.Error,
		Title: fmt.Sprintf("the key of entry %q in %s has a password different from the store password", e.Alias, s.File),
		Detail: "Java's KeyManagerFactory opens every key with one password, by default the store password. A key protected by another one fails with " +
			"\"java.security.UnrecoverableKeyException: Cannot recover key\" (Spring Boot: \"Could not load key store\"). Either the application is told " +
			"the key password, or the key is re-protected with the store password (PKCS#12 keystores made by keytool cannot even have two passwords).",
		Evidence: []string{entryName(s, e), "key: " + keyOpenedBy(e)},
	}
	f.Fix = []checks.Step{
		checks.Say("Give the application the key password:"),
		checks.Set("spring", "server.ssl.key-password=${KEY_PASSWORD}"),
		checks.Set("mulesoft", `<tls:key-store path="`+s.File+`" alias="`+e.Alias+`" keyPassword="${key.password}" password="${keystore.password}"/>`),
		checks.Set("tomcat", `<Certificate certificateKeystoreFile="`+s.File+`" certificateKeyPassword="${key.password}" .../>`),
		checks.Say("or make the key password the store password (then no setting is needed):"),
		checks.Cmd("keytool", "keytool -keypasswd -alias "+checks.ShellQuote(e.Alias)+" -keystore "+s.arg()+keytoolPass(s, "-storepass")+" -keypass:file key-password.txt -new:file store-password.txt"),
	}
	return f
}

func keyOpenedBy(e *Entry) string {
	if e.Key.Password != "" {
		return "opened with the " + e.Key.Password
	}
	return e.Key.Error
}

// incompleteChain fires for a key entry whose chain stops before a root:
// the server sends what the entry holds. When the issuer of the top
// certificate is in the same file (a trusted entry), it is named.
func incompleteChain(s *Store, e *Entry) *checks.Finding {
	top := e.Chain[len(e.Chain)-1]
	if selfSigned(top) {
		return nil
	}
	var issuer *x509.Certificate
	var issuerAlias string
	for _, o := range s.Entries {
		for _, c := range o.Chain {
			if !contains(e.Chain, c) && signed(c, top) {
				issuer, issuerAlias = c, o.Alias
			}
		}
	}
	leafOnly := len(e.Chain) == 1
	switch {
	case issuer != nil && selfSigned(issuer):
		return nil // the chain reaches the root's child: complete for a server
	case issuer == nil && !leafOnly:
		return nil // ends at a CA, whose issuer is most likely the root
	}
	f := &checks.Finding{ID: "keystore-chain-incomplete", Severity: checks.Error}
	f.Evidence = []string{entryName(s, e)}
	for i, c := range e.Chain {
		f.Evidence = append(f.Evidence, fmt.Sprintf("chain #%d: subject %q, issuer %q", i, c.Subject.String(), c.Issuer.String()))
	}
	if issuer != nil {
		f.Title = fmt.Sprintf("entry %q in %s holds its certificate without the intermediate %q", e.Alias, s.File, name(issuer))
		f.Detail = fmt.Sprintf("A server sends the chain stored with its key. This entry stops at %q, whose issuer %q is an intermediate (it is in this file as entry %q, but not in the key entry's chain), so the server will send an incomplete chain: Java, curl, OpenSSL, Go and Python clients fail with chain-incomplete.", name(top), name(issuer), issuerAlias)
		f.Evidence = append(f.Evidence, "missing intermediate: "+checks.Describe(issuer))
	} else {
		f.Severity = checks.Warning
		f.Title = fmt.Sprintf("entry %q in %s holds only its leaf certificate, without the intermediate that issued it", e.Alias, s.File)
		f.Detail = fmt.Sprintf("A server sends the chain stored with its key, and this one holds only %q, issued by %q. Public CAs, and most private ones, issue leaves from an intermediate: then clients get an incomplete chain and fail (chain-incomplete). If %q is itself a root your clients trust, the chain is complete and this is harmless; tlsdoctor cannot tell from this file alone.", name(top), top.Issuer.String(), top.Issuer.String())
		f.Evidence = append(f.Evidence, "issuer not in the file: "+top.Issuer.String())
	}
	f.Fix = chainFix(s, e)
	return f
}

func chainFix(s *Store, e *Entry) []checks.Step {
	file := s.arg()
	switch s.Format {
	case FormatJKS, FormatPKCS12:
		return []checks.Step{
			checks.Say("Get the intermediate(s) from the CA (the bundle sent with the certificate, or the AIA URL in it), then import the full chain as the entry's certificate reply (chain.pem: leaf, then each intermediate):"),
			checks.Cmd("keytool", "keytool -importcert -noprompt -trustcacerts -alias "+checks.ShellQuote(e.Alias)+" -file chain.pem -keystore "+file+keytoolPass(s, "-storepass")),
			checks.Cmd("tlsdoctor", "tlsdoctor inspect "+file+tlsdoctorPass(s)+" --alias "+checks.ShellQuote(e.Alias)),
		}
	}
	return []checks.Step{
		checks.Say("Append the intermediate(s) after the leaf in the certificate file (leaf first, then each issuer), as nginx ssl_certificate and Kubernetes tls.crt expect:"),
		checks.Cmd("sh", "cat server.crt intermediate.pem > fullchain.pem"),
	}
}

func expiredCAFinding(s *Store, e *Entry, now time.Time) checks.Finding {
	c := e.Leaf()
	f := checks.Finding{
		ID: "truststore-ca-expired", Severity: checks.Warning,
		Title: fmt.Sprintf("the CA certificate %q in %s expired on %s", name(c), s.File, c.NotAfter.UTC().Format("2006-01-02")),
		Detail: "An expired CA certificate anchors no valid path for OpenSSL, curl, Go and Python, which check the trust anchor's dates; Java does not check a trust anchor's " +
			"validity, so the same truststore can work in Java and fail elsewhere. Usually the CA has a renewed certificate (same name, new dates) that belongs in the store instead.",
		Evidence: []string{entryName(s, e), checks.Describe(c), fmt.Sprintf("not after %s (now %s)", c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))},
		// Measured with a server whose chain ends at this CA (not sent).
		Clients: []checks.ClientVerdict{
			{Client: "java", Fails: false, Message: "connects: Java does not check the trust anchor's dates"},
			{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: certificate has expired"},
			{Client: "openssl", Fails: true, Message: "Verification error: certificate has expired (verify error:num=10)"},
		},
	}
	switch s.Format {
	case FormatJKS, FormatPKCS12, FormatJCEKS:
		f.Fix = []checks.Step{
			checks.Say("Remove it, and import the CA's current certificate if you still need to trust that CA:"),
			checks.Cmd("keytool", "keytool -delete -alias "+checks.ShellQuote(e.Alias)+" -keystore "+s.arg()+keytoolPass(s, "-storepass")),
		}
	default:
		f.Fix = []checks.Step{checks.Say("Remove its PEM block from " + s.File + " (SHA-256 " + SHA256Fingerprint(c) + "), and add the CA's current certificate if you still need to trust that CA.")}
	}
	return f
}

func leafInTruststore(s *Store, e *Entry) checks.Finding {
	c := e.Leaf()
	f := checks.Finding{
		ID: "truststore-holds-leaf", Severity: checks.Warning,
		Title:    fmt.Sprintf("%s trusts the server certificate %q itself, not the CA that issued it", s.File, name(c)),
		Detail:   fmt.Sprintf("Trusting a leaf (pinning) works only until that certificate is renewed: the renewed certificate has a new key or serial and the client fails with \"PKIX path building failed\" on the day of the renewal. Trust the CA that issued it (%q) instead.", c.Issuer.String()),
		Evidence: []string{entryName(s, e), checks.Describe(c)},
		Fix: []checks.Step{
			checks.Say("Import the issuing CA's certificate (get it from the CA, or from the server: tlsdoctor HOST --export-truststore ca.pem), then remove the leaf:"),
			checks.Cmd("keytool", "keytool -importcert -noprompt -trustcacerts -alias issuing-ca -file ca.pem -keystore "+s.arg()+keytoolPass(s, "-storepass")),
			checks.Cmd("keytool", "keytool -delete -alias "+checks.ShellQuote(e.Alias)+" -keystore "+s.arg()+keytoolPass(s, "-storepass")),
		},
	}
	return f
}

func aliasFindings(s *Store, keys []*Entry, j Judge) []checks.Finding {
	if s.Format != FormatJKS && s.Format != FormatPKCS12 && s.Format != FormatJCEKS {
		return nil
	}
	var keyAliases, all []string
	for _, e := range s.Entries {
		all = append(all, e.Alias)
	}
	for _, e := range keys {
		keyAliases = append(keyAliases, e.Alias)
	}
	if j.Alias != "" {
		exact, fold := false, ""
		for _, e := range s.Entries {
			if e.Alias == j.Alias {
				exact = true
			} else if strings.EqualFold(e.Alias, j.Alias) {
				fold = e.Alias
			}
		}
		switch {
		case exact:
			for _, e := range s.Entries {
				if e.Alias == j.Alias && e.Kind != KindPrivateKey {
					return []checks.Finding{{ID: "keystore-alias-missing", Severity: checks.Error,
						Title:    fmt.Sprintf("the alias %q in %s is a %s, not a private key entry", j.Alias, s.File, e.Kind),
						Detail:   "A server or client keystore alias must name a PrivateKeyEntry (a key with its certificate chain). This entry holds a certificate only.",
						Evidence: []string{"private key entries: " + quoteList(keyAliases)},
						Fix:      aliasFix(s, keyAliases)}}
				}
			}
		case fold != "":
			return []checks.Finding{{ID: "keystore-alias-missing", Severity: checks.Info,
				Title: fmt.Sprintf("the alias %q is in %s only as %q (another case)", j.Alias, s.File, fold),
				Detail: "Java's JKS and PKCS12 keystores compare aliases without case (keytool stores them lower-cased), so Java finds the entry. " +
					"Tools that compare the PKCS#12 friendlyName exactly (openssl, Go's and Python's loaders, some Kubernetes operators) do not: use the alias as stored.",
				Evidence: []string{"aliases: " + quoteList(all)}}}
		default:
			return []checks.Finding{{ID: "keystore-alias-missing", Severity: checks.Error,
				Title:    fmt.Sprintf("the alias %q is not in %s", j.Alias, s.File),
				Detail:   "The application names a key entry that does not exist: Spring Boot (server.ssl.key-alias) and MuleSoft (keyAlias) then fail to start or present no certificate. The entries that exist are below.",
				Evidence: []string{"aliases: " + quoteList(all), "private key entries: " + quoteList(keyAliases)},
				Fix:      aliasFix(s, keyAliases)}}
		}
		return nil
	}
	if len(keys) < 2 {
		return nil
	}
	return []checks.Finding{{ID: "keystore-alias-ambiguous", Severity: checks.Warning,
		Title: fmt.Sprintf("%s holds %d private key entries and no alias is chosen", s.File, len(keys)),
		Detail: "With no alias set, Java's default key manager (SunX509) presents the first entry of the right key type (RSA or EC) in its internal hash order, " +
			"not the file's order, and checks neither the dates nor the host name: which certificate the server sends can change with an unrelated import. Name the entry.",
		Evidence: []string{"private key entries: " + quoteList(keyAliases)},
		Fix:      aliasFix(s, keyAliases)}}
}

func aliasFix(s *Store, keyAliases []string) []checks.Step {
	a := "ALIAS"
	if len(keyAliases) > 0 {
		a = keyAliases[0]
	}
	return []checks.Step{
		checks.Say("Set the alias of the private key entry to use (the private key entries are listed above):"),
		checks.Set("spring", "server.ssl.key-alias="+a),
		checks.Set("mulesoft", `<tls:key-store path="`+s.File+`" alias="`+a+`" .../>`),
		checks.Cmd("tlsdoctor", "tlsdoctor inspect "+s.arg()+tlsdoctorPass(s)+" --alias "+checks.ShellQuote(a)),
	}
}

func quoteList(ss []string) string {
	if len(ss) == 0 {
		return "(none)"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func duplicateFindings(s *Store) []checks.Finding {
	seen := map[string][]*Entry{}
	var order []string
	for _, e := range s.Entries {
		c := e.Leaf()
		if c == nil {
			continue
		}
		fp := SHA256Fingerprint(c)
		if _, ok := seen[fp]; !ok {
			order = append(order, fp)
		}
		seen[fp] = append(seen[fp], e)
	}
	var out []checks.Finding
	for _, fp := range order {
		es := seen[fp]
		if len(es) < 2 {
			continue
		}
		var labels []string
		for _, e := range es {
			label := e.Alias
			if label == "" {
				label = e.Source
			}
			labels = append(labels, label)
		}
		c := es[0].Leaf()
		out = append(out, checks.Finding{ID: "keystore-duplicate-cert", Severity: checks.Info,
			Title:    fmt.Sprintf("%s holds the certificate %q %d times", s.File, name(c), len(es)),
			Detail:   "The same certificate under several aliases (or several times in a bundle) is harmless for trust, but deleting one alias leaves the others, and reviews of the store count it twice.",
			Evidence: []string{"entries: " + quoteList(labels), checks.Describe(c)},
			Fix:      duplicateFix(s, es)})
	}
	return out
}

// duplicateFix keeps one entry of es: a private key entry if there is
// one (its key is not duplicated), else the first, and deletes the
// other certificate entries with keytool. A second private key entry is
// never deleted by a printed command: its key may be another one.
func duplicateFix(s *Store, es []*Entry) []checks.Step {
	switch s.Format {
	case FormatJKS, FormatPKCS12, FormatJCEKS:
	default:
		return []checks.Step{checks.Say("Keep one: remove the other copies of its PEM block (SHA-256 " + SHA256Fingerprint(es[0].Leaf()) + ") from " + s.File + ".")}
	}
	keep := es[0]
	for _, e := range es {
		if e.Kind == KindPrivateKey {
			keep = e
			break
		}
	}
	steps := []checks.Step{checks.Say(fmt.Sprintf("Keep %q and delete the other aliases:", keep.Alias))}
	var keys []string
	for _, e := range es {
		switch {
		case e == keep:
		case e.Kind == KindPrivateKey:
			keys = append(keys, e.Alias)
		default:
			steps = append(steps, checks.Cmd("keytool", "keytool -delete -alias "+checks.ShellQuote(e.Alias)+" -keystore "+s.arg()+" -storetype "+string(s.Format)+keytoolPass(s, "-storepass")))
		}
	}
	keysSay := checks.Say("The private key entries " + quoteList(append([]string{keep.Alias}, keys...)) + " hold the same certificate: check which one the application uses (--alias) before deleting another with keytool -delete.")
	switch {
	case len(keys) > 0 && len(steps) == 1:
		return []checks.Step{keysSay}
	case len(keys) > 0:
		steps = append(steps, keysSay)
	}
	return steps
}

func typeMismatchFinding(s *Store, m *TypeMismatch) checks.Finding {
	f := checks.Finding{ID: "store-type-mismatch", Severity: checks.Warning,
		Title:  fmt.Sprintf("%s is a %s file, but %s says %s", s.File, m.Actual, m.By, m.Declared),
		Detail: fmt.Sprintf("Java opens a keystore with the type it is told (javax.net.ssl.keyStoreType/trustStoreType, server.ssl.key-store-type, a MuleSoft type attribute), not the one the content has. Opened as %s this %s file gives:", m.Declared, m.Actual),
	}
	fails := false
	for _, j := range m.Java {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s: %s", j.Java, j.Message))
		fails = fails || (j.Fails && j.Java == "java17")
	}
	for _, j := range m.Java {
		verdict := checks.ClientVerdict{Client: j.Java, Fails: j.Fails, Message: j.Message}
		f.Clients = append(f.Clients, verdict)
	}
	if fails {
		f.Severity = checks.Error
	}
	file := s.arg()
	switch m.Actual {
	case FormatJKS, FormatJCEKS:
		f.Fix = []checks.Step{
			checks.Say("Tell the application the real type (" + string(m.Actual) + "), or convert the file to what it is named (PKCS#12 is Java's default since Java 9):"),
			checks.Cmd("keytool", "keytool -importkeystore -srckeystore "+file+" -srcstoretype "+string(m.Actual)+keytoolPass(s, "-srcstorepass")+" -destkeystore converted.p12 -deststoretype PKCS12"+keytoolPass(s, "-deststorepass")),
		}
	case FormatPKCS12:
		f.Fix = []checks.Step{checks.Say("Tell the application the real type: PKCS12 (javax.net.ssl.keyStoreType=PKCS12, server.ssl.key-store-type=PKCS12), or rename the file to .p12.")}
	case FormatPEM, FormatDER:
		f.Fix = truststoreFromCerts(s, file)
	default:
		f.Fix = []checks.Step{checks.Say("Tell the application the real type (" + string(m.Actual) + ").")}
	}
	return f
}

// truststoreFromCerts builds a PKCS#12 truststore from a PEM or DER file
// of certificates. keytool -importcert reads only the first certificate
// of a file (measured, Java 17), so a file of several is split with
// --extract, one import per certificate.
func truststoreFromCerts(s *Store, file string) []checks.Step {
	var certs []*x509.Certificate
	keys := false
	for _, e := range s.Entries {
		switch {
		case e.Kind == KindKey:
			keys = true
		case e.Kind == KindCertificate && e.Leaf() != nil:
			certs = append(certs, e.Leaf())
		}
	}
	if keys || len(certs) == 0 {
		return []checks.Step{checks.Say("This is a " + string(s.Format) + " file, not a keystore: tell the application to read it as PEM, or build a PKCS#12 keystore from the key and its certificates (openssl pkcs12 -export -in cert.pem -inkey key.pem -out keystore.p12).")}
	}
	const imp = "keytool -importcert -noprompt -alias %s -file %s -keystore truststore.p12 -storetype PKCS12 -storepass changeit"
	if len(certs) == 1 {
		return []checks.Step{
			checks.Say("This is a certificate file, not a keystore. Build a truststore from it:"),
			checks.Cmd("keytool", fmt.Sprintf(imp, checks.ShellQuote(aliasFor(certs[0], 0)), file)),
		}
	}
	steps := []checks.Step{checks.Say(fmt.Sprintf("This is a file of %d certificates, not a keystore. Build a truststore from it, one keytool -importcert per certificate (keytool reads only the first of a file):", len(certs)))}
	aliases := uniqueAliases(certs)
	for i, c := range certs {
		pem := fmt.Sprintf("ca%d.pem", i+1)
		steps = append(steps,
			checks.Cmd("tlsdoctor", "tlsdoctor inspect "+file+tlsdoctorPass(s)+" --extract "+SHA256Fingerprint(c)[:23]+" > "+pem),
			checks.Cmd("keytool", fmt.Sprintf(imp, checks.ShellQuote(aliases[i]), pem)))
	}
	return steps
}

func compatFindings(s *Store) []checks.Finding {
	var out []checks.Finding
	file := s.arg()
	switch s.Format {
	case FormatPKCS12:
		trustedOnly := true
		anyJava := false
		for _, e := range s.Entries {
			if e.Kind == KindPrivateKey || e.Kind == KindTrusted {
				anyJava = true
			}
			if e.Kind != KindCertificate {
				trustedOnly = false
			}
		}
		if len(s.Entries) > 0 && trustedOnly && !anyJava {
			f := checks.Finding{ID: "pkcs12-not-java-trusted", Severity: checks.Error,
				Title: fmt.Sprintf("%s holds %d certificate(s) that Java does not see: none is marked as a trusted certificate", s.File, len(s.Entries)),
				Detail: "Java's PKCS12 KeyStore shows a certificate without a key only when it carries Oracle's trusted-certificate attribute (keytool writes it; " +
					"openssl pkcs12 -export -nokeys does not, before OpenSSL 3.2's -jdktrust). Java 17 reads this file as an empty store, and a client using it as " +
					"truststore fails with \"java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty\".",
				Evidence: []string{fmt.Sprintf("%s: %d certificate bag(s), none with attribute 2.16.840.1.113894.746875.1.1", s.File, len(s.Entries))},
				Clients:  []checks.ClientVerdict{{Client: "java", Fails: true, Message: JavaNoAnchors}},
			}
			f.Fix = append(f.Fix, checks.Say("Import each certificate with keytool, which marks it trusted:"))
			var certs []*x509.Certificate
			for _, e := range s.Entries {
				certs = append(certs, e.Leaf())
			}
			aliases := uniqueAliases(certs)
			for i, c := range certs {
				pem := fmt.Sprintf("ca%d.pem", i+1)
				f.Fix = append(f.Fix,
					checks.Cmd("tlsdoctor", "tlsdoctor inspect "+file+tlsdoctorPass(s)+" --extract "+SHA256Fingerprint(c)[:23]+" > "+pem),
					checks.Cmd("keytool", fmt.Sprintf("keytool -importcert -noprompt -alias %s -file %s -keystore truststore.p12 -storetype PKCS12 -storepass changeit", checks.ShellQuote(aliases[i]), pem)))
			}
			out = append(out, f)
		}
		if p := s.Protection; p != nil && (p.MAC == "HmacPBESHA256" || p.MAC == "HmacPBESHA384" || p.MAC == "HmacPBESHA512" || anyPBES2(p)) {
			out = append(out, checks.Finding{ID: "keystore-java-compat", Severity: checks.Info,
				Title: fmt.Sprintf("%s uses PKCS#12 algorithms that Java 8 before 8u301 and Java 11 before 11.0.12 cannot read", s.File),
				Detail: "The file is protected with " + p.MAC + " and " + strings.Join(dedupe(append(append([]string{}, p.Certificates...), p.Keys...)), ", ") + " (the defaults of OpenSSL 3 and of keytool since Java 8u301/11.0.12/17). " +
					"Older JDKs fail to open it (\"java.io.IOException: Integrity check failed: java.security.NoSuchAlgorithmException: Algorithm HmacPBESHA256 not available\"). " +
					"Java 17 and current 8 and 11 updates read it. If an old JVM must read it, convert it to the legacy algorithms (SHA-1 MAC, 3DES/RC2):",
				Evidence: []string{fmt.Sprintf("MAC %s (%d iterations); certificates: %s; keys: %s", p.MAC, p.MACIterations, orNone(p.Certificates), orNone(p.Keys))},
				Clients: []checks.ClientVerdict{
					{Client: "java8", Fails: true, Message: "before 8u301: java.io.IOException: Integrity check failed: java.security.NoSuchAlgorithmException: Algorithm HmacPBESHA256 not available"},
					{Client: "java17", Fails: false, Message: "reads it"},
				},
				Fix: []checks.Step{
					checks.Cmd("keytool", "keytool -J-Dkeystore.pkcs12.legacy -importkeystore -srckeystore "+file+" -srcstoretype PKCS12"+keytoolPass(s, "-srcstorepass")+" -destkeystore legacy.p12 -deststoretype PKCS12"+keytoolPass(s, "-deststorepass")),
				}})
		}
	case FormatJCEKS:
		out = append(out, checks.Finding{ID: "keystore-java-compat", Severity: checks.Warning,
			Title: fmt.Sprintf("%s is a JCEKS keystore: Java reads it only when told its type, and other tools not at all", s.File),
			Detail: "JCEKS is a proprietary Java format. Opened with Java's default type (PKCS12 since Java 9, JKS in 8) it fails; javax.net.ssl.trustStoreType=JCEKS (or keyStoreType) must be set, and OpenSSL, curl, Go and Kubernetes cannot read it at all. " +
				"Convert it to PKCS#12, which every JDK since 8 and every other tool reads:",
			Evidence: []string{"opened as PKCS12, Java 17 says: java.io.IOException: DerInputStream.getLength(): lengthTag=78, too big.", "opened as JKS: java.io.IOException: Invalid keystore format"},
			Fix: []checks.Step{
				checks.Cmd("keytool", "keytool -importkeystore -srckeystore "+file+" -srcstoretype JCEKS"+keytoolPass(s, "-srcstorepass")+" -destkeystore converted.p12 -deststoretype PKCS12"+keytoolPass(s, "-deststorepass")),
			}})
	}
	return out
}

func dedupe(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = appendOnce(out, s)
	}
	return out
}

func anyPBES2(p *Protection) bool {
	for _, a := range append(append([]string{}, p.Certificates...), p.Keys...) {
		if strings.Contains(a, "PBES2") {
			return true
		}
	}
	return false
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}

// uniqueAliases are aliasFor of each certificate, numbered where two
// would be the same (keytool refuses an alias that exists).
func uniqueAliases(certs []*x509.Certificate) []string {
	out := make([]string, len(certs))
	used := map[string]bool{}
	for i, c := range certs {
		a := aliasFor(c, i)
		if used[a] {
			a = fmt.Sprintf("%s-%d", a, i+1)
		}
		used[a] = true
		out[i] = a
	}
	return out
}

// aliasFor makes a keytool alias from a certificate's name.
func aliasFor(c *x509.Certificate, i int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name(c)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		case r == ' ' || r == '_':
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return fmt.Sprintf("ca%d", i+1)
	}
	return b.String()
}

// keytoolPass is the keytool password option for the store, as the user
// gave the password (file or environment; never the value), or Java's
// default when that is what opened it. Empty when keytool should prompt.
func keytoolPass(s *Store, opt string) string {
	p := s.opened
	switch {
	case p.File != "":
		return " " + opt + ":file " + checks.ShellQuote(p.File)
	case p.Env != "":
		return " " + opt + ":env " + p.Env
	case s.storePassword != nil && *s.storePassword == "changeit" && !p.Set:
		return " " + opt + " changeit"
	}
	return ""
}
