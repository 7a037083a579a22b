package checks

import (
	"crypto/x509"
	"errors"
	"fmt"
)

// Go's verdict: the chain judged by crypto/x509.Verify, the verifier Go
// clients use, with the chain as sent and the certificates fetched from
// AIA URLs as intermediates, the truststore as roots, the record's clock
// and the name. Our own path analysis (trust.go, pathbuild.go) names what
// is missing or wrong; this is the cross-check that keeps it honest: when
// the two disagree, verifier-disagreement says so, and no finding ever
// claims Go connects while Verify fails.

// GoVerdict is what crypto/x509.Verify says about the chain against one
// store.
type GoVerdict struct {
	// Chains are the valid chains Verify built from the chain as sent
	// (leaf first, ending at a store certificate), what a Go client builds;
	// nil when it failed.
	Chains [][]*x509.Certificate
	// PathErr is Verify's error for the path as sent (without a name to
	// check): a Go client does not fetch missing issuers.
	PathErr error
	// WithAIAChains and WithAIAErr are the same with the certificates
	// fetched from AIA URLs as intermediates too: the cross-check of
	// tlsdoctor's analysis, which uses them.
	WithAIAChains [][]*x509.Certificate
	WithAIAErr    error
	// NameErr is the leaf's VerifyHostname error for the expected name.
	NameErr error
	// ParseErr is set when a sent certificate does not parse: crypto/tls
	// refuses the whole chain before verifying anything.
	ParseErr error
}

// OK reports whether a Go client connects: every certificate parses, a
// valid path and the name.
func (g *GoVerdict) OK() bool { return g.ParseErr == nil && g.PathErr == nil && g.NameErr == nil }

// Err is the error a Go client reports: parsing first, then the name
// (Verify checks it before building paths), then the path.
func (g *GoVerdict) Err() error {
	switch {
	case g.ParseErr != nil:
		return g.ParseErr
	case g.NameErr != nil:
		return g.NameErr
	}
	return g.PathErr
}

// Message is what a Go net/http or crypto/tls client prints.
func (g *GoVerdict) Message() string {
	switch {
	case g.OK():
		return ""
	case g.ParseErr != nil:
		return "tls: failed to parse certificate from server: " + oneLine(g.ParseErr.Error())
	}
	return "tls: failed to verify certificate: " + oneLine(g.Err().Error())
}

// GoVerify runs crypto/x509.Verify for the i-th truststore (once).
func (in *Input) GoVerify(i int) *GoVerdict {
	if in.goVerify == nil {
		in.goVerify = make([]*GoVerdict, len(in.Env.Truststores))
	}
	leaf := in.Leaf()
	if i >= len(in.Env.Truststores) || leaf == nil {
		return nil
	}
	if in.goVerify[i] != nil {
		return in.goVerify[i]
	}
	var sent []*x509.Certificate
	inter := x509.NewCertPool()
	for _, c := range in.Chain {
		if c != leaf {
			inter.AddCert(c)
			sent = append(sent, c)
		}
	}
	store := in.Env.Truststores[i]
	opts := x509.VerifyOptions{
		Roots:         store.Pool(),
		Intermediates: inter,
		CurrentTime:   in.Env.Now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	g := &GoVerdict{}
	if u := in.Unparsed(); len(u) > 0 {
		g.ParseErr = u[0].Err
	}
	g.Chains, g.PathErr = memoVerify(leaf, sent, store, opts)
	g.WithAIAChains, g.WithAIAErr = g.Chains, g.PathErr
	if fetched := in.Fetched(); len(fetched) > 0 {
		withAIA := inter.Clone()
		for _, f := range fetched {
			withAIA.AddCert(f.Cert)
			sent = append(sent, f.Cert)
		}
		opts.Intermediates = withAIA
		g.WithAIAChains, g.WithAIAErr = memoVerify(leaf, sent, store, opts)
	}
	if name := in.ExpectedName(); name != "" {
		if err := leaf.VerifyHostname(name); err != nil {
			g.NameErr = err
		}
	}
	in.goVerify[i] = g
	return g
}

// goKind is the kind of Go's error against the first store ("" when Go
// connects or there is nothing to verify).
func (in *Input) goKind() string {
	g := in.GoVerify(0)
	if g == nil {
		return ""
	}
	return goErrorKind(g.Err())
}

// Kinds of Go verification errors, mapped to the findings that explain
// them.
const (
	goExpired          = "expired"
	goNotCA            = "not-authorized-to-sign"
	goPathLen          = "too-many-intermediates"
	goEKU              = "incompatible-usage"
	goNameConstraint   = "name-constraint"
	goCriticalExt      = "unhandled-critical-extension"
	goPolicy           = "invalid-policies"
	goHostname         = "hostname"
	goUnknownAuthority = "unknown-authority"
	goSignatureLimit   = "signature-limit"
	goOther            = "other"
)

// goErrorKind classifies a Verify or VerifyHostname error by type.
func goErrorKind(err error) string {
	var cie x509.CertificateInvalidError
	var he x509.HostnameError
	var uae x509.UnknownAuthorityError
	var uce x509.UnhandledCriticalExtension
	switch {
	case err == nil:
		return ""
	case errors.As(err, &he):
		return goHostname
	case errors.As(err, &uce):
		return goCriticalExt
	case errors.As(err, &uae):
		return goUnknownAuthority
	case errors.As(err, &cie):
		switch cie.Reason {
		case x509.Expired:
			return goExpired
		case x509.NotAuthorizedToSign:
			return goNotCA
		case x509.TooManyIntermediates:
			return goPathLen
		case x509.IncompatibleUsage, x509.CANotAuthorizedForExtKeyUsage:
			return goEKU
		case x509.CANotAuthorizedForThisName, x509.UnconstrainedName, x509.TooManyConstraints, x509.NameConstraintsWithoutSANs:
			return goNameConstraint
		case x509.NoValidChains:
			return goPolicy
		}
	}
	if err.Error() == "x509: signature check attempts limit reached while verifying certificate chain" {
		return goSignatureLimit
	}
	return goOther
}

// goExplainedBy lists the finding IDs that explain a Go error kind: when
// Go rejects for that reason, one of them must be among the findings.
var goExplainedBy = map[string][]string{
	goExpired:        {"cert-expired", "cert-not-yet-valid"},
	goNotCA:          {"ca-constraints"},
	goPathLen:        {"ca-constraints"},
	goEKU:            {"eku-missing"},
	goNameConstraint: {"name-constraint-violation"},
	goCriticalExt:    {"unknown-critical-extension"},
	goPolicy:         {"cert-policy-violation", "eku-missing"},
	goHostname:       {"hostname-mismatch", "no-san", "chain-order"},
	// Go reports a candidate issuer it could not use (missing, untrusted,
	// SHA-1-signed, expired, not a CA, unknown critical extension) as an
	// unknown authority.
	goUnknownAuthority: {"chain-incomplete", "untrusted-root", "self-signed", "weak-signature", "cert-expired", "cert-not-yet-valid", "ca-constraints", "unknown-critical-extension", "unparseable-certificate", "name-constraint-violation", "eku-missing"},
	goSignatureLimit:   {"chain-extra-certs", "chain-too-large"},
}

// goLine is the "go" client verdict for a finding about kind: Go's real
// message when its error is of that kind, else what it does about this
// fault alone (connects, or the model's message).
func goLine(g *GoVerdict, kinds ...string) *ClientVerdict {
	if g == nil {
		return nil
	}
	for _, err := range []error{g.NameErr, g.PathErr} {
		k := goErrorKind(err)
		for _, want := range kinds {
			if k == want {
				return &ClientVerdict{Client: "go", Fails: true, Message: "tls: failed to verify certificate: " + err.Error()}
			}
		}
	}
	return nil
}

// describeGo is an evidence line with Go's verdict.
func describeGo(g *GoVerdict, store string) string {
	if g.OK() {
		return fmt.Sprintf("Go crypto/x509.Verify against %s: valid (%s)", store, pathNames(g.Chains[0]))
	}
	return fmt.Sprintf("Go crypto/x509.Verify against %s: %s", store, oneLine(g.Err().Error()))
}

// goPathFindings are the findings about whether the path reaches a trust
// anchor; their "go" line is Go's real verdict on the path, not a copy of
// what Go usually prints for the fault.
var goPathFindings = map[string]bool{"self-signed": true, "chain-incomplete": true, "untrusted-root": true}

// goPathLines sets the go line of the path findings from crypto/x509.Verify.
func goPathLines(in *Input, fs []Finding) {
	g := in.GoVerify(0)
	if g == nil {
		return
	}
	for i := range fs {
		if !goPathFindings[fs[i].ID] {
			continue
		}
		for j, v := range fs[i].Clients {
			if v.Client != "go" {
				continue
			}
			switch {
			case g.OK():
				fs[i].Clients[j] = connects("go", "connects: crypto/x509 builds "+pathNames(g.Chains[0]))
			case g.PathErr != nil && g.ParseErr == nil:
				fs[i].Clients[j] = ClientVerdict{Client: "go", Fails: true, Message: g.Message()}
			}
		}
	}
}
