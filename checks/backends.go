package checks

// backend-inconsistent: with --all-ips, every address behind the name is
// compared with the primary one: its handshake (certificate, chain,
// version, suite, ALPN, client-certificate policy, failure) and, with
// --scan, the versions and suites it accepts.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// backendInconsistent compares, with --all-ips, every other address's
// handshake (and, with --scan, what it accepts) with the primary one.
func backendInconsistent(in *Input) []Finding {
	p := in.Rec.Primary()
	if p == nil || len(in.Rec.Backends) == 0 {
		return nil
	}
	var diffs []string
	sev := Warning
	var odd []string
	for i := range in.Rec.Backends {
		b := &in.Rec.Backends[i]
		d, failing := attemptDiff(in, p, b)
		d = append(d, scanDiff(in.Rec.Scan, backendScan(in.Rec, b.Address), p.Address)...)
		if len(d) == 0 {
			continue
		}
		if failing {
			sev = Error
		}
		odd = append(odd, b.Address)
		for _, x := range d {
			diffs = append(diffs, b.Address+": "+x)
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	t := in.Rec.Target
	f := Finding{
		Severity: sev,
		Title:    fmt.Sprintf("%d of %d addresses of %s behave differently from %s", len(odd), len(in.Rec.Backends)+1, t.ConnectHost, p.Address),
		Detail: "The name resolves to several addresses (load balancer members, DNS round robin, IPv4 and IPv6) and they do not serve the same TLS: a client connects to one at random, so it \"works sometimes\". " +
			"The rest of this report describes " + p.Address + " only.",
		Evidence: diffs,
		Fix: []Step{
			Say("Deploy the same certificate, chain and TLS settings on every backend, then check each one:"),
			Cmd("tlsdoctor", "tlsdoctor "+ShellQuote(targetWord(t))+" --connect-to "+ShellQuote(odd[0])),
			Cmd("openssl", "openssl s_client -connect "+ShellQuote(odd[0])+" -servername "+ShellQuote(in.ExpectedName())+" </dev/null"),
		},
	}
	return []Finding{f}
}

// attemptDiff says how b differs from p, and whether one of them failed
// where the other connected.
func attemptDiff(in *Input, p, b *probe.Attempt) ([]string, bool) {
	pOK, bOK := p.Outcome == "ok", b.Outcome == "ok"
	switch {
	case pOK && !bOK:
		msg := "fails"
		if b.Error != nil {
			msg = "fails: " + string(b.Error.Kind) + ": " + errText(b.Error)
		}
		return []string{msg}, true
	case !pOK && bOK:
		return []string{fmt.Sprintf("connects (%s, %s) where %s fails", b.Version, b.CipherSuite, p.Address)}, true
	}
	var out []string
	failing := false
	if leafDiffers(p, b) {
		pl, bl := parse(p), parse(b)
		switch {
		case bl == nil:
			out = append(out, "sends no certificate")
		case pl != nil:
			d := fmt.Sprintf("sends another certificate: %s (expires %s), not %s (expires %s)", Describe(bl), bl.NotAfter.UTC().Format("2006-01-02"), Describe(pl), pl.NotAfter.UTC().Format("2006-01-02"))
			if bl.VerifyHostname(in.ExpectedName()) != nil {
				d += ", which does not cover " + in.ExpectedName()
				failing = true
			}
			if in.Env.Now.After(bl.NotAfter) {
				d += ", expired"
				failing = true
			}
			if len(in.Env.Truststores) > 0 {
				if v := judgeTrust(parseAll(b), nil, in.Env.Truststores[0], in.Env.Now, in.link).Verdict; v != Trusted && in.Trust(0).Verdict == Trusted {
					d += ", " + v + " for " + in.Env.Truststores[0].Name
					failing = true
				}
			}
			out = append(out, d)
		}
	} else if len(p.Certificates) != len(b.Certificates) || !sameDER(p.Certificates, b.Certificates) {
		out = append(out, fmt.Sprintf("sends the same leaf with another chain (%d certificates, not %d)", len(b.Certificates), len(p.Certificates)))
		if len(in.Env.Truststores) > 0 {
			if v := judgeTrust(parseAll(b), nil, in.Env.Truststores[0], in.Env.Now, in.link).Verdict; v != Trusted && in.Trust(0).Verdict == Trusted {
				out[len(out)-1] += ": " + v + " for " + in.Env.Truststores[0].Name
				failing = true
			}
		}
	}
	if p.Version != b.Version {
		out = append(out, fmt.Sprintf("negotiates %s, not %s", b.Version, p.Version))
	}
	if p.CipherSuite != b.CipherSuite {
		out = append(out, fmt.Sprintf("chooses %s, not %s", b.CipherSuite, p.CipherSuite))
	}
	if (p.CertificateRequest != nil) != (b.CertificateRequest != nil) {
		if b.CertificateRequest != nil {
			out = append(out, "asks for a client certificate; "+p.Address+" does not")
		} else {
			out = append(out, "does not ask for a client certificate; "+p.Address+" does")
		}
	}
	if p.ALPN != b.ALPN {
		out = append(out, fmt.Sprintf("selects ALPN %q, not %q", b.ALPN, p.ALPN))
	}
	return out, failing
}

// backendScan is the scan of the backend at addr, or nil.
func backendScan(rec *probe.Record, addr string) *probe.Scan {
	for _, s := range rec.BackendScans {
		if s.Address == addr {
			return s.Scan
		}
	}
	return nil
}

// scanDiff says how what a backend accepts (b) differs from what the
// primary address accepts (p): versions, then each shared version's
// suites, then TLS 1.3 key-exchange groups. An incomplete scan is
// compared as far as it went, and said to be incomplete.
func scanDiff(p, b *probe.Scan, primary string) []string {
	if p == nil || b == nil {
		return nil
	}
	var out []string
	pv := map[string]probe.ScanVersion{}
	for _, v := range p.Versions {
		pv[v.Version] = v
	}
	for _, bv := range b.Versions {
		v, ok := pv[bv.Version]
		if !ok {
			continue
		}
		switch {
		case bv.Supported && !v.Supported:
			out = append(out, fmt.Sprintf("accepts %s, which %s does not", bv.Version, primary))
		case !bv.Supported && v.Supported:
			out = append(out, fmt.Sprintf("does not accept %s, which %s does", bv.Version, primary))
		case bv.Supported:
			more, less := suiteSetDiff(bv.Suites, v.Suites), suiteSetDiff(v.Suites, bv.Suites)
			var parts []string
			if len(more) > 0 {
				parts = append(parts, "also accepts "+strings.Join(more, ", "))
			}
			if len(less) > 0 {
				parts = append(parts, "does not accept "+strings.Join(less, ", "))
			}
			if len(parts) > 0 {
				out = append(out, bv.Version+" suites: "+strings.Join(parts, "; "))
			}
		}
	}
	if p.GroupsVersion != "" && p.GroupsVersion == b.GroupsVersion {
		more, less := groupSetDiff(b.Groups, p.Groups), groupSetDiff(p.Groups, b.Groups)
		var parts []string
		if len(more) > 0 {
			parts = append(parts, "also accepts "+strings.Join(more, ", "))
		}
		if len(less) > 0 {
			parts = append(parts, "does not accept "+strings.Join(less, ", "))
		}
		if len(parts) > 0 {
			out = append(out, p.GroupsVersion+" groups: "+strings.Join(parts, "; "))
		}
	}
	if b.Incomplete && len(out) > 0 {
		out = append(out, "(its scan is incomplete: "+strings.Join(b.Errors, "; ")+")")
	}
	return out
}

// suiteSetDiff names the suites of a that b lacks, in a's order.
func suiteSetDiff(a, b []probe.ScanSuite) []string {
	var out []string
	for _, s := range a {
		if !slices.ContainsFunc(b, func(x probe.ScanSuite) bool { return x.ID == s.ID }) {
			out = append(out, s.Name)
		}
	}
	return out
}

// groupSetDiff names the groups of a that b lacks, in a's order.
func groupSetDiff(a, b []probe.ScanGroup) []string {
	var out []string
	for _, g := range a {
		if !slices.ContainsFunc(b, func(x probe.ScanGroup) bool { return x.ID == g.ID }) {
			out = append(out, g.Name)
		}
	}
	return out
}
