package cli

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/inspect"
	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/report"
	"github.com/tlsdoctor/tlsdoctor/truststore"
)

// exportOptions are --export-truststore and its companions: build a
// truststore from the CA certificates of the path the server's chain
// takes (sent, fetched through AIA, or the anchor of the judging store).
type exportOptions struct {
	file        string
	pwFile      string
	includeLeaf bool

	format   truststore.Format
	password string
	pwSource string
}

func (e *exportOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&e.file, "export-truststore", "", "")
	fs.StringVar(&e.pwFile, "export-password-file", "", "")
	fs.BoolVar(&e.includeLeaf, "include-leaf", false, "")
}

func (e *exportOptions) validate(env Env) error {
	if e.file == "" {
		if e.pwFile != "" || e.includeLeaf {
			return &usageError{msg: "--export-password-file and --include-leaf need --export-truststore FILE", hint: "tlsdoctor HOST --export-truststore trust.jks"}
		}
		return nil
	}
	f, ok := truststore.FormatFor(e.file)
	if !ok {
		return &usageError{msg: fmt.Sprintf("--export-truststore %s: the name must end in .jks, .p12, .pfx, .pem or .crt (it chooses the format)", e.file), hint: "--export-truststore trust.jks (Java), trust.p12 (Java 9+ default), trust.pem (curl, OpenSSL, Go)"}
	}
	e.format = f
	e.password, e.pwSource = "changeit", `Java's default "changeit" (--export-password-file sets another)`
	if e.pwFile != "" {
		pw, err := inputfile.ReadPassword(e.pwFile)
		if err != nil {
			return &inputError{err: fmt.Errorf("--export-password-file: cannot read %s: %w", e.pwFile, err)}
		}
		e.password, e.pwSource = pw, "from "+e.pwFile
		if len(e.password) < 6 && f != truststore.FormatPEM {
			return &usageError{msg: "--export-password-file: keytool refuses passwords shorter than 6 characters", hint: "use a longer password"}
		}
	}
	return nil
}

// write exports the truststore; what it wrote, with fingerprints to
// compare with a trusted source, goes to stderr (stdout is the report).
func (e *exportOptions) write(rec *probe.Record, stores []checks.Truststore, env Env) error {
	if e.file == "" {
		return nil
	}
	in := checks.NewInput(rec, checks.Env{Now: env.Now(), Truststores: stores})
	tr := in.Trust(0)
	if tr == nil {
		return &inputError{err: fmt.Errorf("--export-truststore: %s not written: the server sent no certificate", e.file)}
	}
	path := tr.Path
	var certs []*x509.Certificate
	for i, c := range path {
		if i == 0 && !e.includeLeaf {
			continue
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 && !isSelfSignedCert(path[0]) {
		return &usageError{msg: fmt.Sprintf("--export-truststore: %s not written: the issuer %q of the server's certificate was not sent, cannot be fetched (no AIA URL, or --no-aia) and is not in %s, so there is no CA to export", e.file, path[0].Issuer.String(), tr.Store.Name),
			hint: "get that CA certificate from the server's owner; --include-leaf exports the leaf itself (pinning: clients break when it is renewed)"}
	}
	if len(certs) == 0 {
		return &usageError{msg: fmt.Sprintf("--export-truststore: %s not written: the server's certificate %q is self-signed, so there is no CA to trust", e.file, checks.Name(path[0])),
			hint: "--include-leaf exports the certificate itself (pinning: clients break when it is renewed)"}
	}
	aliases := make([]string, len(certs))
	used := map[string]bool{}
	for i, c := range certs {
		a := exportAlias(c)
		for n := 2; used[a]; n++ {
			a = fmt.Sprintf("%s-%d", exportAlias(c), n)
		}
		used[a] = true
		aliases[i] = a
	}
	if err := truststore.Write(e.file, e.format, certs, aliases, e.password, env.Now()); err != nil {
		return &inputError{err: fmt.Errorf("--export-truststore: cannot write %s: %w", e.file, unwrapPath(err))}
	}
	w := env.Stderr
	fmt.Fprintf(w, "tlsdoctor: wrote %d certificate(s) to %s (%s", len(certs), report.Escape(e.file), e.format)
	if e.format != truststore.FormatPEM {
		fmt.Fprintf(w, ", password %s", e.pwSource)
	}
	fmt.Fprintln(w, "):")
	for i, c := range certs {
		src := "sent by the server"
		switch {
		case in.FetchedFrom(c) != nil && !containsCert(in.Chain, c):
			src = "downloaded from " + in.FetchedFrom(c).URL
		case tr.Anchor != nil && tr.Anchor.Equal(c) && !containsCert(in.Chain, c):
			src = "from " + tr.Store.Name
		}
		fmt.Fprintf(w, "  %s  %s (%s)\n      SHA-256 %s\n", aliases[i], report.Escape(c.Subject.String()), report.Escape(src), inspect.SHA256Fingerprint(c))
	}
	top := path[len(path)-1]
	if tr.Anchor == nil && !isSelfSignedCert(top) {
		fmt.Fprintf(w, "tlsdoctor: note: no root was found for %q (its issuer %q was neither sent, fetched nor in %s): the file anchors trust at that intermediate, which Java accepts; OpenSSL and curl accept it only with partial-chain verification\n", checks.Name(top), top.Issuer.String(), report.Escape(tr.Store.Name))
	}
	if e.includeLeaf {
		fmt.Fprintf(w, "tlsdoctor: warning: the leaf %q is in the file (--include-leaf): trusting a leaf pins this exact certificate, and clients fail when it is renewed\n", checks.Name(path[0]))
	}
	fmt.Fprintln(w, "tlsdoctor: compare these fingerprints with ones from a source you trust (the CA's site, the partner) before using the file; it holds what this network path served")
	return nil
}

func containsCert(cs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range cs {
		if x.Equal(c) {
			return true
		}
	}
	return false
}

func isSelfSignedCert(c *x509.Certificate) bool {
	return string(c.RawSubject) == string(c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}

func exportAlias(c *x509.Certificate) string {
	var b strings.Builder
	for _, r := range strings.ToLower(checks.Name(c)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		case r == ' ' || r == '_':
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "ca"
	}
	return b.String()
}
