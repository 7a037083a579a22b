package checks

import (
	"crypto/x509"
	"fmt"
	"strings"
)

// verifier-disagreement and chain-alternative-path: the cross-check of
// our path analysis with crypto/x509.Verify, and the other paths a client
// may build. Both run after every other check (they read in.prior).

func priorHas(in *Input, ids ...string) bool {
	for _, f := range in.prior {
		for _, id := range ids {
			if f.ID == id && f.Severity == Error {
				return true
			}
		}
	}
	return false
}

func priorHasID(in *Input, id string) bool {
	for _, f := range in.prior {
		if f.ID == id {
			return true
		}
	}
	return false
}

func verifierDisagreement(in *Input) []Finding {
	g := in.GoVerify(0)
	tr := in.Trust(0)
	if g == nil || tr == nil {
		return nil
	}
	store := tr.Store.Name
	switch {
	case !g.OK():
		err := g.Err()
		kind := goErrorKind(err)
		if g.ParseErr != nil {
			kind = "parse"
		}
		explainers := goExplainedBy[kind]
		if kind == "parse" {
			explainers = []string{"unparseable-certificate"}
		}
		if priorHas(in, explainers...) {
			return nil
		}
		f := Finding{
			Severity: Error,
			Title:    "Go's verifier rejects this chain, and tlsdoctor's own path analysis found no reason: " + strings.TrimPrefix(err.Error(), "x509: "),
			Detail:   fmt.Sprintf("tlsdoctor cross-checks its verdict with crypto/x509.Verify, the verifier Go clients use (the chain as sent, the certificates fetched from AIA, %s as roots, the record's clock). Verify refuses the chain where tlsdoctor's analysis of the path found nothing wrong, so Go clients fail, and other strict verifiers may too. The error below is Go's own.", store),
			Evidence: []string{describeGo(g, store), "tlsdoctor's path: " + pathNames(tr.Path) + " (" + tr.Verdict + ")"},
			Clients:  []ClientVerdict{{Client: "go", Fails: true, Message: g.Message()}},
			Fix: []Step{
				Say("Verify the chain with OpenSSL too, to see whether it refuses it for the same reason (the chain file holds the intermediates, root.pem the root):"),
				Cmd("openssl", "openssl verify -CAfile root.pem -untrusted chain.pem server.crt"),
				Say("Then fix what Go names above; if the chain looks right to you, report it to tlsdoctor with the record (--save-record)."),
			},
		}
		for _, p := range tr.Problems {
			f.Evidence = append(f.Evidence, "on tlsdoctor's path: "+p)
		}
		return []Finding{f}
	case g.WithAIAErr == nil && tr.Verdict != Trusted && !tr.TrustedWithAIA() && !priorHasID(in, "key-id-mismatch"):
		// Go finds a valid path where our analysis does not (a link Go
		// accepts that we refused, or our search was cut short).
		f := Finding{
			Severity: Warning,
			Title:    fmt.Sprintf("Go's verifier finds a valid path where tlsdoctor's analysis says %s", tr.Verdict),
			Detail:   fmt.Sprintf("crypto/x509.Verify builds a valid path to %s: %s. tlsdoctor's own path analysis did not (it links certificates the way OpenSSL does, refusing an issuer whose key identifier does not match, and it stops after %d signature checks). Go clients connect; check the findings above against the other clients you use.", store, pathNames(g.WithAIAChains[0]), maxSigChecks),
			Evidence: []string{describeGo(g, store), "tlsdoctor's path: " + pathNames(tr.Path) + " (" + tr.Verdict + ")"},
			Clients:  []ClientVerdict{connects("go", "connects: crypto/x509 builds "+pathNames(g.WithAIAChains[0]))},
			Fix: []Step{
				Say("Send the chain Go built (above), leaf first, so that every client builds the same path. What the server sends now:"),
				sClient(in, "-showcerts </dev/null"),
			},
		}
		if tr.Cut {
			f.Evidence = append(f.Evidence, fmt.Sprintf("tlsdoctor's path search stopped after %d signature checks", maxSigChecks))
		}
		return []Finding{f}
	}
	return nil
}

func chainAlternativePath(in *Input) []Finding {
	tr := in.Trust(0)
	if tr == nil || tr.Verdict != Trusted || len(tr.Problems) > 0 || len(tr.Alternatives) == 0 {
		return nil
	}
	f := Finding{
		Title:    fmt.Sprintf("%d other path(s) to a trusted root exist and are invalid; clients that build them fail", len(tr.Alternatives)),
		Detail:   "The chain can be completed in more than one way (a cross-signed or renewed intermediate, two intermediates with the same name). tlsdoctor judged the valid path, the one Go (any valid path wins), Java (its path builder backtracks) and OpenSSL 1.1+ (it prefers valid issuers and its own trust anchors) choose. Older or simpler clients that take the first issuer they find may build an invalid one.",
		Evidence: []string{"path judged: " + pathNames(tr.Path)},
		Fix: []Step{
			Say("Send only the certificates of the valid path, leaf first: remove the other issuer(s) from the chain file."),
			rerun(in, "--fix-bundle fullchain.pem"),
		},
	}
	var opensslFails, gnutlsExpired, gnutlsNotCA bool
	for _, a := range tr.Alternatives {
		f.Evidence = append(f.Evidence, fmt.Sprintf("also: %s: %s", pathNames(a.Certs), strings.Join(a.Problems, "; ")))
		bad, good := divergence(a.Certs, tr.Path)
		// OpenSSL and GnuTLS take the issuer sent first; OpenSSL skips
		// one outside its validity, not one that is no CA (measured).
		pb, pg := in.SentPos(bad), -1
		if good != nil {
			pg = in.SentPos(good)
		}
		if bad == nil || pb < 0 || pg < 0 || pb > pg {
			continue
		}
		expired := in.Env.Now.Before(bad.NotBefore) || in.Env.Now.After(bad.NotAfter)
		notCA := !bad.BasicConstraintsValid || !bad.IsCA || (bad.KeyUsage != 0 && bad.KeyUsage&x509.KeyUsageCertSign == 0)
		gnutlsExpired = gnutlsExpired || expired
		gnutlsNotCA = gnutlsNotCA || notCA
		opensslFails = opensslFails || (notCA && !expired)
	}
	f.Clients = []ClientVerdict{
		connects("java", "connects: its path builder backtracks to the valid path"),
		connects("go", "connects: any valid path wins"),
	}
	if opensslFails {
		f.Severity = Error
		f.Title += ": OpenSSL (curl, Python) does"
		f.Clients = append(f.Clients,
			ClientVerdict{Client: "curl", Fails: true, Message: "curl: (60) SSL certificate problem: invalid CA certificate"},
			ClientVerdict{Client: "openssl", Fails: true, Message: "Verification error: invalid CA certificate (verify error:num=79)"},
			ClientVerdict{Client: "python", Fails: true, Message: "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: invalid CA certificate"})
	} else {
		for _, c := range []string{"curl", "openssl", "python"} {
			f.Clients = append(f.Clients, connects(c, "connects: OpenSSL prefers a time-valid issuer and its own trust anchors"))
		}
	}
	switch {
	case gnutlsNotCA:
		f.Clients = append(f.Clients, ClientVerdict{Client: "gnutls", Fails: true, Message: "Status: The certificate is NOT trusted. The certificate issuer is not a CA."})
	case gnutlsExpired:
		f.Clients = append(f.Clients, ClientVerdict{Client: "gnutls", Fails: true, Message: "Status: The certificate is NOT trusted. The certificate chain uses expired certificate."})
	}
	if (gnutlsNotCA || gnutlsExpired) && f.Severity == 0 {
		f.Severity = Warning
	}
	return []Finding{f}
}

// divergence returns the first certificate where alt leaves path, and the
// one path has there (nil when path is shorter).
func divergence(alt, path []*x509.Certificate) (bad, good *x509.Certificate) {
	for i, c := range alt {
		if i >= len(path) {
			return c, nil
		}
		if !c.Equal(path[i]) {
			return c, path[i]
		}
	}
	return nil, nil
}
