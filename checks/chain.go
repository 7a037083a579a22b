package checks

import (
	"crypto/x509"
	"fmt"
	"math"
	"strings"
	"time"
)

// chainOrder fires when the sent certificates that are on the path are
// not in path order (each followed by its issuer).
func chainOrder(in *Input) []Finding {
	if f := firstNotLeaf(in); f != nil {
		return f
	}
	tr := in.Trust(0)
	if tr == nil || len(in.Chain) < 3 {
		return nil
	}
	var expected []*x509.Certificate
	for _, c := range tr.Path {
		if containsCert(in.Chain, c) {
			expected = append(expected, c)
		}
	}
	var sentOnPath []*x509.Certificate
	for _, c := range in.Chain {
		if containsCert(expected, c) {
			sentOnPath = append(sentOnPath, c)
		}
	}
	same := true
	for i := range expected {
		if !expected[i].Equal(sentOnPath[i]) {
			same = false
		}
	}
	if same {
		return nil
	}
	// The files to concatenate: the path as sent, without a self-signed
	// root (what --fix-bundle writes; chain-contains-root says to drop it).
	var files []*x509.Certificate
	for _, c := range expected[1:] {
		if !isSelfSigned(c) {
			files = append(files, c)
		}
	}
	var sent, want []string
	for i, c := range in.Chain {
		sent = append(sent, fmt.Sprintf("#%d %s", i, Name(c)))
	}
	for _, c := range expected {
		want = append(want, fmt.Sprintf("#%d %s", indexOf(in.Chain, c), Name(c)))
	}
	return []Finding{{
		Title:  "the server sends its certificates out of order",
		Detail: "TLS requires each certificate to be followed by the one that issued it (RFC 5246 §7.4.2; TLS 1.3 relaxes this). Current Java, curl, OpenSSL, Go and browsers reorder the chain and connect, but older or embedded clients fail, and the misordering usually means the chain file was assembled by hand.",
		Evidence: []string{
			"order sent:     " + strings.Join(sent, " → "),
			"order expected: " + strings.Join(want, " → "),
		},
		Fix: []Step{
			Say("Rewrite the chain file in the expected order, leaf first, each certificate followed by its issuer; tlsdoctor writes it:"),
			rerun(in, "--fix-bundle fullchain.pem"),
			Say("or, from the certificate files (named here after their subjects):"),
			Cmd("cat", "cat server.crt "+strings.Join(fileNames(files), " ")+" > fullchain.pem"),
			Say("Point the server at it and reload:"),
			Set("nginx", "ssl_certificate /etc/nginx/fullchain.pem;"),
			Set("apache", "SSLCertificateFile /etc/apache2/fullchain.pem"),
		},
		Clients: clients("chain-order"),
	}}
}

func indexOf(cs []*x509.Certificate, c *x509.Certificate) int {
	for i, x := range cs {
		if x.Equal(c) {
			return i
		}
	}
	return -1
}

func fileNames(cs []*x509.Certificate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, aliasName(Name(c))+".crt")
	}
	return out
}

// chainContainsRoot fires when the server sends a self-signed root, or a
// certificate for the key of the store's trust anchor (a cross-signed
// version of the root).
func chainContainsRoot(in *Input) []Finding {
	var out []Finding
	var anchorStore *Truststore
	if len(in.Env.Truststores) > 0 {
		anchorStore = &in.Env.Truststores[0]
	}
	for i, c := range in.Chain {
		if i == 0 {
			continue
		}
		kind := ""
		switch {
		case isSelfSigned(c):
			kind = "root"
		case anchorStore != nil && anchorStore.anchorFor(c) != nil:
			kind = "cross-signed root"
		default:
			continue
		}
		f := Finding{
			Title:    fmt.Sprintf("the server sends the %s certificate %q", kind, Name(c)),
			Detail:   "A root is trusted only when the client already has it, so sending it is useless: clients that trust the root use their own copy. It costs bytes in every handshake.",
			Evidence: []string{fmt.Sprintf("sent #%d (%s): %s", i, kind, Describe(c))},
			Fix: []Step{Say("Remove the root from the chain file (nginx ssl_certificate, Apache SSLCertificateFile): keep the leaf and the intermediate(s) only. " +
				"Clients that need the root must have it in their truststore.")},
		}
		if kind == "cross-signed root" {
			f.Detail = fmt.Sprintf("%q is the key of the trust anchor in %s, signed by another CA (%q) for clients that do not have this root yet. Clients that have the root do not need it.", Name(c), anchorStore.Name, c.Issuer.String())
			f.Fix = []Step{Say(fmt.Sprintf("Keep it while clients that trust only %q must connect: they build their path through it, and fail without it. "+
				"Once every client has %q in its truststore, remove it from the chain file (nginx ssl_certificate, Apache SSLCertificateFile), keeping the leaf and the intermediate(s).", issuerName(c), Name(c)))}
		}
		if in.Env.Now.After(c.NotAfter) {
			f.Severity = Warning
			f.Detail += fmt.Sprintf(" This %s expired on %s: clients that build the path through the sent copy instead of their own root (older OpenSSL, some Java and embedded clients) fail with \"certificate has expired\".", kind, c.NotAfter.UTC().Format("2006-01-02"))
			f.Fix = []Step{Say("Remove the expired " + kind + " from the chain file (nginx ssl_certificate, Apache SSLCertificateFile); clients that still need a cross-sign need a current one from the CA.")}
		}
		out = append(out, f)
	}
	return out
}

// chainExtraCerts fires for sent certificates that belong to no path.
func chainExtraCerts(in *Input) []Finding {
	tr := in.Trust(0)
	if tr == nil || len(in.Chain) < 2 {
		return nil
	}
	var extra []string
	for i, c := range in.Chain[1:] {
		if containsCert(tr.Path, c) || containsCert(tr.Linked, c) {
			continue
		}
		// Another valid path through it (a cross-sign) keeps it useful.
		if onAnyPath(in, c) {
			continue
		}
		extra = append(extra, fmt.Sprintf("sent #%d: %s", i+1, Describe(c)))
	}
	if len(extra) == 0 {
		return nil
	}
	return []Finding{{
		Title:    fmt.Sprintf("the server sends %d certificate(s) that belong to no path to the leaf", len(extra)),
		Detail:   "These certificates did not issue the leaf or any certificate above it. This is typically the old intermediate left in the chain file after a renewal, or a bundle from another CA. Clients mostly ignore them, but they confuse people and some path builders.",
		Evidence: append(extra, "path: "+pathNames(tr.Path)),
		Fix: []Step{
			Say("Remove them from the chain file and keep only the leaf and its own intermediate(s); when it can build the chain, tlsdoctor writes exactly that:"),
			rerun(in, "--fix-bundle fullchain.pem"),
		},
	}}
}

func onAnyPath(in *Input, c *x509.Certificate) bool {
	for _, x := range in.Chain {
		if !x.Equal(c) && in.issues(c, x) && containsCert(pathCerts(in), x) {
			return true
		}
	}
	return false
}

func pathNames(p []*x509.Certificate) string {
	var ns []string
	for _, c := range p {
		ns = append(ns, Name(c))
	}
	return strings.Join(ns, " → ")
}

// certExpiringSoon fires for certificates on the path that expire within
// Env.WarnDays.
func certExpiringSoon(in *Input) []Finding {
	days := in.Env.WarnDays
	if days == 0 {
		days = 30
	}
	if days < 0 {
		return nil
	}
	var out []Finding
	now := in.Env.Now
	limit := now.Add(time.Duration(days) * 24 * time.Hour)
	for i, c := range pathCerts(in) {
		if now.After(c.NotAfter) || now.Before(c.NotBefore) || c.NotAfter.After(limit) {
			continue
		}
		role := pathRole(in, i)
		left := int(math.Ceil(c.NotAfter.Sub(now).Hours() / 24))
		f := Finding{
			Title:    fmt.Sprintf("the %s certificate %q expires in %d day(s), on %s", role, Name(c), left, c.NotAfter.UTC().Format("2006-01-02")),
			Detail:   fmt.Sprintf("It is valid now but expires within the %d-day warning window (--warn-days). Clients will refuse it after %s.", days, c.NotAfter.UTC().Format(time.RFC3339)),
			Evidence: []string{fmt.Sprintf("%s: not after %s (now %s)", role, c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)), role + ": " + Describe(c)},
		}
		if i == 0 {
			f.Fix = []Step{Say("Renew it now and deploy the new certificate with its chain; automate renewal (certbot, cert-manager, your CA's ACME endpoint) so it renews around two thirds of its lifetime.")}
		} else {
			f.Fix = []Step{Say(fmt.Sprintf("Get the renewed or replacement %s from your CA and put it in the chain file (or truststore) before %s.", role, c.NotAfter.UTC().Format("2006-01-02")))}
		}
		out = append(out, f)
	}
	return out
}
