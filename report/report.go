// Package report renders a record and its findings for people (text with
// tables and colour) and machines (JSON). It holds no TLS logic: everything
// it prints was decided by the probe (facts) or the checks (findings).
package report

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/fatih/color"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Report is what gets rendered.
type Report struct {
	Record   *probe.Record
	Findings []checks.Finding
	// Truststores names the stores the checks judged against.
	Truststores []string
	// Now is the clock used for "days left".
	Now time.Time
	// Trust is the chain's verdict per truststore.
	Trust []checks.StoreVerdict
}

// JSONVersion is the version of the JSON report format (docs/json.md).
const JSONVersion = 1

type jsonReport struct {
	ReportVersion int              `json:"report_version"`
	Record        *probe.Record    `json:"record"`
	Truststores   []string         `json:"truststores"`
	Summary       jsonSummary      `json:"summary"`
	Findings      []checks.Finding `json:"findings"`
	// Trust is the verdict per truststore (docs/trust.md).
	Trust []checks.StoreVerdict `json:"trust,omitempty"`
}

type jsonSummary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// JSON writes the report as one JSON document.
func JSON(w io.Writer, r Report) error {
	fs := r.Findings
	if fs == nil {
		fs = []checks.Finding{}
	}
	out := jsonReport{ReportVersion: JSONVersion, Record: r.Record, Truststores: r.Truststores, Findings: fs, Summary: summarize(fs), Trust: r.Trust}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func summarize(fs []checks.Finding) jsonSummary {
	var s jsonSummary
	for _, f := range fs {
		switch f.Severity {
		case checks.Error:
			s.Errors++
		case checks.Warning:
			s.Warnings++
		case checks.Info:
			s.Infos++
		}
	}
	return s
}

// TextOptions control the text rendering.
type TextOptions struct {
	Color bool
	// Quiet prints only the findings' one-line titles.
	Quiet bool
	// Verbose adds every attempt and the raw error messages.
	Verbose bool
}

type palette struct {
	err, warn, info, ok, bold, dim *color.Color
}

func newPalette(on bool) palette {
	p := palette{
		err:  color.New(color.FgRed, color.Bold),
		warn: color.New(color.FgYellow, color.Bold),
		info: color.New(color.FgCyan),
		ok:   color.New(color.FgGreen, color.Bold),
		bold: color.New(color.Bold),
		dim:  color.New(color.Faint),
	}
	for _, c := range []*color.Color{p.err, p.warn, p.info, p.ok, p.bold, p.dim} {
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	return p
}

func (p palette) sev(s checks.Severity) *color.Color {
	switch s {
	case checks.Error:
		return p.err
	case checks.Warning:
		return p.warn
	}
	return p.info
}

// Text writes the report for people.
func Text(w io.Writer, r Report, o TextOptions) error {
	p := newPalette(o.Color)
	rec := r.Record
	if o.Quiet {
		for _, f := range r.Findings {
			fmt.Fprintf(w, "%s %s: %s\n", p.sev(f.Severity).Sprint(strings.ToUpper(f.Severity.String())), f.ID, f.Title)
		}
		return nil
	}
	header(w, p, r, o)
	trustLine(w, p, r.Trust)
	if chain := rec.Chain(); len(chain) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, p.bold.Sprint("Certificate chain (as sent by the server)"))
		chainTable(w, chain, checks.SentRoles(rec, checks.Env{Now: r.Now}), r.Now)
	}
	revocation(w, p, r)
	scanTables(w, p, rec.Scan)
	if a := rec.Primary(); a != nil && a.CertificateRequest != nil {
		fmt.Fprintln(w)
		fmt.Fprintln(w, p.bold.Sprint("Client certificate requested"))
		if len(a.CertificateRequest.AcceptableCAs) == 0 {
			fmt.Fprintln(w, "  acceptable CAs: (none named)")
		}
		for _, dn := range a.CertificateRequest.AcceptableCAs {
			fmt.Fprintln(w, "  acceptable CA: "+dn.Text)
		}
		sent := "no"
		if a.ClientCertificateSent {
			sent = "yes"
			if ci := rec.ClientIdentity; ci != nil {
				sent = fmt.Sprintf("yes, %d certificate(s) from %s", len(ci.Certificates), ci.Source)
			}
		} else if a.NoClientCertificateReason != "" {
			sent = "no: " + a.NoClientCertificateReason
		}
		fmt.Fprintln(w, "  certificate sent: "+sent)
		if ph := a.PostHandshake; ph != nil {
			v := ph.Verdict
			if ph.HTTPStatus != "" {
				v += " (" + ph.HTTPStatus + ")"
			}
			fmt.Fprintln(w, "  server verdict: "+v)
		}
		if nc := rec.Attempt(probe.PurposeNoClientCert); nc != nil {
			v := nc.Outcome
			if nc.Error != nil {
				v += ": " + nc.Error.Message
			} else if ph := nc.PostHandshake; ph != nil && ph.HTTPStatus != "" {
				v += " (" + ph.HTTPStatus + ")"
			}
			fmt.Fprintln(w, "  without a certificate: "+v)
		}
	}
	fmt.Fprintln(w)
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, p.ok.Sprint("✓ No problems found."))
		return nil
	}
	s := summarize(r.Findings)
	fmt.Fprintln(w, p.bold.Sprintf("Findings: %s", countLine(s)))
	for _, f := range r.Findings {
		finding(w, p, f, o)
	}
	return nil
}

func countLine(s jsonSummary) string {
	var parts []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, "1 "+one)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", n, many))
		}
	}
	add(s.Errors, "error", "errors")
	add(s.Warnings, "warning", "warnings")
	add(s.Infos, "info", "infos")
	return strings.Join(parts, ", ")
}

func header(w io.Writer, p palette, r Report, o TextOptions) {
	rec := r.Record
	t := rec.Target
	fmt.Fprintln(w, p.bold.Sprint("tlsdoctor ")+p.bold.Sprint(t.Input))
	kv := func(k, v string) { fmt.Fprintf(w, "  %-11s %s\n", k, v) }
	a := rec.Primary()
	addr := hostPort(t.ConnectHost, t.ConnectPort)
	if a != nil && a.Address != "" {
		addr = a.Address
	}
	if len(rec.DNS.Addresses) > 0 && !probe.IsIP(t.ConnectHost) {
		addr += " (" + t.ConnectHost + " → " + strings.Join(rec.DNS.Addresses, ", ") + ")"
	}
	kv("address", addr)
	sni := t.SNI
	if sni == "" {
		sni = "(none sent)"
	}
	kv("sni", sni)
	if ok := negotiated(rec); ok != nil {
		a := ok
		proto := a.Version + ", " + a.CipherSuite
		if a.Group != "" {
			proto += ", " + a.Group
		}
		if a.ALPN != "" {
			proto += ", ALPN " + a.ALPN
		}
		if a.Resumed {
			proto += ", resumed"
		}
		if a.Purpose != probe.PurposePrimary {
			proto += " (only on the " + a.Purpose + " retry)"
		}
		kv("negotiated", proto)
	}
	if a != nil {
		var tm []string
		if rec.DNS.DurationMS > 0 {
			tm = append(tm, "dns "+msStr(rec.DNS.DurationMS))
		}
		if a.Timings.ConnectMS > 0 {
			tm = append(tm, "connect "+msStr(a.Timings.ConnectMS))
		}
		if a.Timings.HandshakeMS > 0 {
			tm = append(tm, "handshake "+msStr(a.Timings.HandshakeMS))
		}
		if a.Timings.PostHandshakeMS > 0 {
			tm = append(tm, "verdict wait "+msStr(a.Timings.PostHandshakeMS))
		}
		tm = append(tm, "total "+msStr(rec.DurationMS))
		kv("timings", strings.Join(tm, " · "))
	}
	if len(r.Truststores) > 0 {
		kv("truststore", strings.Join(r.Truststores, ", "))
	}
	if o.Verbose {
		for i, at := range rec.Attempts {
			res := at.Outcome
			if at.Error != nil {
				res += ": " + string(at.Error.Kind) + ": " + at.Error.Message
			} else if at.Version != "" {
				res += ": " + at.Version + " " + at.CipherSuite
			}
			kv(fmt.Sprintf("attempt %d", i+1), fmt.Sprintf("%s, offered %s–%s → %s", at.Purpose, at.Offered.MinVersion, at.Offered.MaxVersion, res))
		}
	}
}

// negotiated is the first attempt that completed a handshake.
func negotiated(rec *probe.Record) *probe.Attempt {
	for i := range rec.Attempts {
		if rec.Attempts[i].Version != "" {
			return &rec.Attempts[i]
		}
	}
	return nil
}

func hostPort(h string, port int) string {
	if strings.Contains(h, ":") {
		return fmt.Sprintf("[%s]:%d", h, port)
	}
	return fmt.Sprintf("%s:%d", h, port)
}

func msStr(ms float64) string {
	switch {
	case ms < 10:
		return fmt.Sprintf("%.1f ms", ms)
	case ms < 10000:
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.1f s", ms/1000)
}

func chainTable(w io.Writer, chain []probe.Certificate, roles []string, now time.Time) {
	tbl := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Symbols: tw.NewSymbols(tw.StyleLight),
		})),
		tablewriter.WithHeader([]string{"#", "Role", "Subject", "Issuer", "Expires", "Key", "Signature"}),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
	for i, c := range chain {
		cert, err := x509.ParseCertificate(c.DER)
		if err != nil {
			_ = tbl.Append([]string{fmt.Sprint(i), "?", "(does not parse: " + err.Error() + ")", "", "", "", ""})
			continue
		}
		_ = tbl.Append([]string{
			fmt.Sprint(i), roles[i], shortName(cert.Subject), shortName(cert.Issuer),
			expiry(cert, now), keyDesc(cert), cert.SignatureAlgorithm.String(),
		})
	}
	_ = tbl.Render()
}

// shortName is the CN, or the whole DN when there is no CN; the full DNs
// are in the findings' evidence and the JSON.
func shortName(n pkix.Name) string {
	if n.CommonName != "" {
		return n.CommonName
	}
	return n.String()
}

func expiry(c *x509.Certificate, now time.Time) string {
	d := c.NotAfter.Sub(now).Hours() / 24
	date := c.NotAfter.UTC().Format("2006-01-02")
	if d < 0 {
		return fmt.Sprintf("%s (expired %d d ago)", date, int(math.Floor(-d)))
	}
	return fmt.Sprintf("%s (%d d left)", date, int(math.Floor(d)))
}

func keyDesc(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}

func finding(w io.Writer, p palette, f checks.Finding, o TextOptions) {
	mark := map[checks.Severity]string{checks.Error: "✗", checks.Warning: "!", checks.Info: "i"}[f.Severity]
	fmt.Fprintf(w, "\n%s %s  %s\n", p.sev(f.Severity).Sprintf("%s %s", mark, strings.ToUpper(f.Severity.String())), p.bold.Sprint(f.ID), f.Title)
	if f.Detail != "" {
		fmt.Fprintln(w, indent(wrap(f.Detail, 96), "    "))
	}
	if len(f.Evidence) > 0 {
		fmt.Fprintln(w, p.dim.Sprint("    evidence:"))
		for _, e := range f.Evidence {
			fmt.Fprintln(w, "      - "+e)
		}
	}
	switch {
	case len(f.Fix) > 0:
		fmt.Fprintln(w, p.dim.Sprint("    fix:"))
		fixSteps(w, f.Fix)
	case f.Remediation != "":
		fmt.Fprintln(w, p.dim.Sprint("    fix:"))
		fmt.Fprintln(w, indent(f.Remediation, "      "))
	}
	if len(f.Clients) > 0 {
		fmt.Fprintln(w, p.dim.Sprint("    what clients say:"))
		for _, c := range f.Clients {
			verdict := "fails"
			if !c.Fails {
				verdict = "works"
			}
			fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("      %-8s %-5s %s", c.Client, verdict, c.Message), " "))
		}
	}
}

// fixSteps renders a fix: prose wrapped at the indent of the section,
// commands and settings one level deeper and never wrapped, so that they
// paste as printed.
func fixSteps(w io.Writer, steps []checks.Step) {
	for _, s := range steps {
		switch s.Kind {
		case checks.StepCommand:
			fmt.Fprintln(w, "        "+s.Text)
		case checks.StepConfig:
			if s.For != "" && !strings.Contains(s.Text, "\n") {
				fmt.Fprintln(w, "        "+s.For+":  "+s.Text)
				continue
			}
			if s.For != "" {
				fmt.Fprintln(w, "        "+s.For+":")
			}
			fmt.Fprintln(w, indent(s.Text, "          "))
		default:
			fmt.Fprintln(w, indent(wrap(s.Text, 94), "      "))
		}
	}
}

func indent(s, pre string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n")
}

// wrap folds prose at width on spaces.
func wrap(s string, width int) string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && len(line)+1+len(word) > width {
				out = append(out, line)
				line = word
				continue
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
