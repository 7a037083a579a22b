package cli

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// revocationOptions is the --revocation flag.
type revocationOptions struct {
	mode string
}

const revocationHelp = `      --revocation off|stapled|full
                           revocation checking (default full): stapled reads only the stapled OCSP
                           response; full also asks the OCSP responders and, failing that, the CRLs
                           of the leaf and intermediates, within --timeout
`

func (r *revocationOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&r.mode, "revocation", probe.RevocationFull, "revocation checking: off, stapled or full")
}

func (r *revocationOptions) validate() error {
	switch r.mode {
	case probe.RevocationOff, probe.RevocationStapled, probe.RevocationFull:
		return nil
	}
	return &usageError{msg: fmt.Sprintf("--revocation %q is not supported", r.mode), hint: "use --revocation off, stapled or full"}
}

// probeOptions passes the truststores' certificates as issuer candidates
// for certificates whose issuer the server does not send.
func (r *revocationOptions) probeOptions(stores []checks.Truststore) probe.RevocationOptions {
	return engine.Revocation(r.mode, stores)
}

// revocationProgress tells a verbose run what the revocation phase did.
func revocationProgress(w io.Writer, rec *probe.Record) {
	rv := rec.Revocation
	if rv == nil || rv.Mode != probe.RevocationFull {
		return
	}
	failed := 0
	for _, f := range rv.Fetches {
		if f.Error != nil || f.HTTPStatus != 200 {
			failed++
		}
	}
	fmt.Fprintf(w, "tlsdoctor: revocation: %d OCSP/CRL request(s), %d without an answer, in %.0f ms (budget %.0f ms)\n", len(rv.Fetches), failed, rv.DurationMS, rv.BudgetMS)
}
