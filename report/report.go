// Package report renders a record and its findings for people (text with
// tables and colour) and machines (JSON). It holds no TLS logic: everything
// it prints was decided by the probe (facts) or the checks (findings).
//
// The rule for every renderer: a string that came from a server, a file
// or a record is data, and reaches the terminal escaped. Text escapes each
// value where it is written (Escape; escapeProse for a finding's
// multi-line detail) and sends its whole output through writeTerminal,
// which escapes any control or bidi character still left except the
// layout's newlines and tabs and the palette's colour codes. A new text
// format (Markdown, JUnit, ...) renders into a buffer and ends with
// writeTerminal (or writeJSON for JSON) the same way, and so gets the
// guarantee even for a field it forgets to escape. JSON keeps the data
// exact; the encoder and writeJSON escape what a terminal would act on
// (see escape.go).
//
// Text fits the width in TextOptions (see layout.go): prose is folded,
// tables too wide for the page are stacked, commands and snippets are
// never cut.
package report

import (
	"bytes"
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

	"github.com/tlsdoctor/tlsdoctor/baseline"
	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/policy"
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
	// Ignored are the findings the policy's ignores accepted.
	Ignored []policy.Ignored
	// Changes are the differences from --baseline (nil without one).
	Changes []baseline.Change
}

// JSONVersion is the version of the JSON report format (docs/json.md).
const JSONVersion = 1

type jsonReport struct {
	ReportVersion int           `json:"report_version"`
	Record        *probe.Record `json:"record"`
	Truststores   []string      `json:"truststores"`
	Summary       jsonSummary   `json:"summary"`
	Findings      []jsonFinding `json:"findings"`
	// Trust is the verdict per truststore (docs/trust.md).
	Trust []checks.StoreVerdict `json:"trust,omitempty"`
	// Ignored are the findings a --policy-file ignore or --ignore accepted.
	Ignored []policy.Ignored `json:"ignored,omitempty"`
	// Changes are the differences from --baseline: present (possibly
	// empty) only when a baseline was given.
	Changes *[]baseline.Change `json:"changes,omitempty"`
}

// jsonFinding is a finding with its fix also as one string, "remediation"
// (checks.FixText of its steps), for readers of the JSON written before
// fixes were steps.
type jsonFinding struct {
	checks.Finding
	Remediation string `json:"remediation"`
}

// jsonFindings are findings as the JSON report writes them.
func jsonFindings(fs []checks.Finding) []jsonFinding {
	out := make([]jsonFinding, 0, len(fs))
	for _, f := range fs {
		out = append(out, jsonFinding{Finding: f, Remediation: checks.FixText(f.Fix)})
	}
	return out
}

type jsonSummary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// JSON writes the report as one JSON document.
func JSON(w io.Writer, r Report) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(newJSONReport(r)); err != nil {
		return err
	}
	return writeJSON(w, b.Bytes())
}

func newJSONReport(r Report) jsonReport {
	fs := r.Findings
	if fs == nil {
		fs = []checks.Finding{}
	}
	out := jsonReport{ReportVersion: JSONVersion, Record: r.Record, Truststores: r.Truststores, Findings: jsonFindings(fs), Summary: summarize(fs), Trust: r.Trust, Ignored: r.Ignored}
	if r.Changes != nil {
		out.Changes = &r.Changes
	}
	return out
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
	// Width is the number of columns to fit (see layout.go); 0 means 80,
	// negative means no limit (nothing folded, tables never stacked).
	Width int
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

// Text writes the report for people. Every value is escaped (see
// Escape) and the whole output goes through writeTerminal.
func Text(w io.Writer, r Report, o TextOptions) error {
	var b bytes.Buffer
	text(&b, r, o)
	return writeTerminal(w, b.Bytes(), o.Color)
}

// page is what the text renderers share: where to write, the colours and
// the width.
type page struct {
	w     io.Writer
	p     palette
	o     TextOptions
	width int // of the page
	prose int // prose is folded at this width
}

func newPage(w io.Writer, o TextOptions) *page {
	return &page{w: w, p: newPalette(o.Color), o: o, width: pageWidth(o), prose: proseWidth(o)}
}

func (pg *page) line(s string) { fmt.Fprintln(pg.w, s) }

// para writes text folded at the prose width, with a hanging indent.
// Prose is what people read as sentences (a finding's detail, a fix's
// explanation); lines of data (evidence, messages, header values) are
// folded at the page width instead.
func (pg *page) para(first, rest, text string) { pg.line(fold(text, pg.prose, first, rest)) }

// heading writes a bold section title.
func (pg *page) heading(s string) {
	pg.line("")
	pg.line(styled(pg.p.bold, fold(s, pg.prose, "", "  ")))
}

// kv writes one header line: the key in a column, the value folded under
// itself.
func (pg *page) kv(k, v string) {
	first := fmt.Sprintf("  %-11s ", k)
	pg.line(fold(v, pg.width, first, strings.Repeat(" ", len(first))))
}

func text(w io.Writer, r Report, o TextOptions) {
	pg := newPage(w, o)
	p := pg.p
	rec := r.Record
	if o.Quiet {
		for _, f := range r.Findings {
			pg.para(p.sev(f.Severity).Sprint(strings.ToUpper(f.Severity.String()))+" "+Escape(f.ID)+": ", "    ", Escape(f.Title))
		}
		return
	}
	header(pg, r)
	trustLine(pg, r.Trust)
	if chain := rec.Chain(); len(chain) > 0 {
		pg.heading("Certificate chain (as sent by the server)")
		chainTable(pg, chain, checks.SentRoles(rec, checks.Env{Now: r.Now}), r.Now)
	}
	revocation(pg, r)
	scanTables(pg, rec.Scan)
	clientRequest(pg, rec)
	pg.line("")
	defer ignoredLines(pg, r.Ignored)
	if len(r.Findings) == 0 {
		pg.line(p.ok.Sprint("✓ No problems found."))
		return
	}
	s := summarize(r.Findings)
	pg.line(p.bold.Sprintf("Findings: %s", countLine(s)))
	for _, f := range r.Findings {
		finding(pg, f)
	}
}

// clientRequest prints the server's CertificateRequest and what came of
// it.
func clientRequest(pg *page, rec *probe.Record) {
	a := rec.Primary()
	if a == nil || a.CertificateRequest == nil {
		return
	}
	pg.heading("Client certificate requested")
	if len(a.CertificateRequest.AcceptableCAs) == 0 {
		pg.line("  acceptable CAs: (none named)")
	}
	for _, dn := range a.CertificateRequest.AcceptableCAs {
		pg.para("  acceptable CA: ", "    ", Escape(dn.Text))
	}
	sent := "no"
	if a.ClientCertificateSent {
		sent = "yes"
		if ci := rec.ClientIdentity; ci != nil {
			sent = fmt.Sprintf("yes, %d certificate(s) from %s", len(ci.Certificates), Escape(ci.Source))
		}
	} else if a.NoClientCertificateReason != "" {
		sent = "no: " + Escape(a.NoClientCertificateReason)
	}
	pg.para("  certificate sent: ", "    ", sent)
	if a.PostHandshake != nil {
		pg.para("  server verdict: ", "    ", Escape(checks.VerdictText(a)))
	}
	if nc := rec.Attempt(probe.PurposeNoClientCert); nc != nil {
		pg.para("  without a certificate: ", "    ", Escape(checks.VerdictText(nc)))
	}
}

// ignoredLines lists the findings the policy accepted, after the
// findings: out of the verdict, not out of sight.
func ignoredLines(pg *page, ig []policy.Ignored) {
	if len(ig) == 0 {
		return
	}
	pg.line("")
	pg.line(pg.p.dim.Sprintf("Ignored by the policy (%d):", len(ig)))
	for _, i := range ig {
		line := fmt.Sprintf("  %s %s: %s — %s", strings.ToUpper(i.Finding.Severity.String()), Escape(i.Finding.ID), Escape(i.Finding.Title), Escape(i.Source))
		if i.Until != "" {
			line += ", until " + Escape(i.Until)
		}
		if i.Reason != "" {
			line += ": " + Escape(i.Reason)
		}
		pg.line(styled(pg.p.dim, fold(line, pg.width, "", "    ")))
	}
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

func header(pg *page, r Report) {
	rec := r.Record
	t := rec.Target
	pg.line(styled(pg.p.bold, fold("tlsdoctor "+Escape(t.Input), pg.prose, "", "  ")))
	a := rec.Primary()
	addr := hostPort(t.ConnectHost, t.ConnectPort)
	if a != nil && a.Address != "" {
		addr = a.Address
	}
	addr = Escape(addr)
	if len(rec.DNS.Addresses) > 0 && !probe.IsIP(t.ConnectHost) {
		addr += " (" + Escape(t.ConnectHost) + " → " + Escape(strings.Join(rec.DNS.Addresses, ", ")) + ")"
	}
	pg.kv("address", addr)
	connectLines(pg.kv, rec) // report/connect.go
	sni := Escape(t.SNI)
	if sni == "" {
		sni = "(none sent)"
	}
	if rec.SNICheckOff {
		sni += "; without SNI: not checked (--no-sni-check)"
	}
	pg.kv("sni", sni)
	if a := negotiated(rec); a != nil {
		proto := Escape(a.Version) + ", " + Escape(a.CipherSuite)
		if a.Group != "" {
			proto += ", " + Escape(a.Group)
		}
		if a.ALPN != "" {
			proto += ", ALPN " + Escape(a.ALPN)
		}
		if a.Resumed {
			proto += ", resumed"
		}
		switch a.Purpose {
		case probe.PurposePrimary:
		case probe.PurposeWide13, probe.PurposeWide13GoSchemes:
			proto += " (the server's pick for the " + Escape(a.Purpose) + " hello; no handshake completed)"
		default:
			proto += " (only on the " + Escape(a.Purpose) + " retry)"
		}
		pg.kv("negotiated", proto)
	}
	if a != nil {
		var tm []string
		if rec.DNS.DurationMS > 0 {
			tm = append(tm, keep("dns "+msStr(rec.DNS.DurationMS)))
		}
		if a.Timings.ConnectMS > 0 {
			tm = append(tm, keep("connect "+msStr(a.Timings.ConnectMS)))
		}
		if a.Timings.HandshakeMS > 0 {
			tm = append(tm, keep("handshake "+msStr(a.Timings.HandshakeMS)))
		}
		if a.Timings.PostHandshakeMS > 0 {
			tm = append(tm, keep("verdict wait "+msStr(a.Timings.PostHandshakeMS)))
		}
		tm = append(tm, keep("total "+msStr(rec.DurationMS)))
		pg.kv("timings", strings.Join(tm, " · "))
	}
	if len(r.Truststores) > 0 {
		var names []string
		for _, n := range r.Truststores {
			names = append(names, Escape(n))
		}
		pg.kv("truststore", strings.Join(names, ", "))
	}
	if pg.o.Verbose {
		for i, at := range rec.Attempts {
			res := Escape(at.Outcome)
			if at.Error != nil {
				res += ": " + Escape(string(at.Error.Kind)) + ": " + Escape(at.Error.Message)
			} else if at.Version != "" {
				res += ": " + Escape(at.Version) + " " + Escape(at.CipherSuite)
			}
			pg.kv(fmt.Sprintf("attempt %d", i+1), fmt.Sprintf("%s, offered %s–%s → %s", Escape(at.Purpose), Escape(at.Offered.MinVersion), Escape(at.Offered.MaxVersion), res))
		}
		extraAttempts(pg.kv, rec)
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

// chainRow is one certificate of the chain table, every cell escaped.
type chainRow struct {
	index, role, subject, issuer, expires, key, signature string
}

// roleAt is the role checks.SentRoles gave position i, or the role by
// position when it gave none.
func roleAt(roles []string, i int, c *x509.Certificate) string {
	if i < len(roles) && roles[i] != "" {
		return roles[i]
	}
	return checks.Role(i, c)
}

func chainRows(chain []probe.Certificate, roles []string, now time.Time) []chainRow {
	var rows []chainRow
	for i, c := range chain {
		cert, err := x509.ParseCertificate(c.DER)
		if err != nil {
			rows = append(rows, chainRow{index: fmt.Sprint(i), role: "?", subject: "(does not parse: " + Escape(err.Error()) + ")"})
			continue
		}
		rows = append(rows, chainRow{
			index: fmt.Sprint(i), role: Escape(roleAt(roles, i, cert)), subject: Escape(shortName(cert.Subject)), issuer: Escape(shortName(cert.Issuer)),
			expires: expiry(cert, now), key: Escape(keyDesc(cert)), signature: Escape(cert.SignatureAlgorithm.String()),
		})
	}
	return rows
}

// chainTable prints the chain as a table, or, when the table would not
// fit the page, as one block per certificate.
func chainTable(pg *page, chain []probe.Certificate, roles []string, now time.Time) {
	rows := chainRows(chain, roles, now)
	fitTable(pg.w, pg.width, func(w io.Writer) {
		tbl := tablewriter.NewTable(w,
			tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
				Symbols: tw.NewSymbols(tw.StyleLight),
			})),
			tablewriter.WithHeader([]string{"#", "Role", "Subject", "Issuer", "Expires", "Key", "Signature"}),
			tablewriter.WithHeaderAutoFormat(tw.Off),
			tablewriter.WithRowAutoWrap(tw.WrapNone),
		)
		for _, r := range rows {
			_ = tbl.Append([]string{r.index, r.role, r.subject, r.issuer, r.expires, r.key, r.signature})
		}
		_ = tbl.Render()
	}, func(w io.Writer) {
		for _, r := range rows {
			first := fmt.Sprintf("  #%s %-12s ", r.index, r.role)
			rest := strings.Repeat(" ", 5)
			fmt.Fprintln(w, fold(r.subject, pg.width, first, rest+strings.Repeat(" ", len(first)-5)))
			if r.issuer != "" {
				fmt.Fprintln(w, fold(r.issuer, pg.width, rest+"issued by    ", rest+"             "))
			}
			if r.expires != "" {
				fmt.Fprintln(w, fold(keep(r.expires)+" · "+keep(r.key)+" · "+r.signature, pg.width, rest+"expires      ", rest+"             "))
			}
		}
	})
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

func finding(pg *page, f checks.Finding) {
	p := pg.p
	mark := map[checks.Severity]string{checks.Error: "✗", checks.Warning: "!", checks.Info: "i"}[f.Severity]
	pg.line("")
	pg.line(fold(Escape(f.Title), pg.width, p.sev(f.Severity).Sprintf("%s %s", mark, strings.ToUpper(f.Severity.String()))+" "+p.bold.Sprint(Escape(f.ID))+"  ", "    "))
	if f.Detail != "" {
		pg.para("    ", "    ", escapeProse(f.Detail))
	}
	if len(f.Evidence) > 0 {
		pg.line(p.dim.Sprint("    evidence:"))
		for _, e := range f.Evidence {
			pg.line(fold(Escape(e), pg.width, "      - ", "        "))
		}
	}
	if len(f.Fix) > 0 {
		pg.line(p.dim.Sprint("    fix:"))
		fixSteps(pg.w, f.Fix, pg.prose)
	}
	if len(f.Clients) > 0 {
		pg.line(p.dim.Sprint("    what clients say:"))
		for _, c := range f.Clients {
			verdict := "fails"
			switch {
			case c.Unknown:
				verdict = "unknown"
			case !c.Fails:
				verdict = "works"
			}
			first := fmt.Sprintf("      %-8s %-7s ", Escape(c.Client), verdict)
			pg.line(strings.TrimRight(fold(Escape(c.Message), pg.width, first, strings.Repeat(" ", 23)), " "))
		}
	}
}

// fixSteps renders a fix as checks.FixText does, indented: prose
// wrapped at the indent of the section; commands one level deeper and
// never wrapped, so that they paste as printed; a setting under the name
// of its program, its lines as they are.
func fixSteps(w io.Writer, steps []checks.Step, width int) {
	for _, s := range steps {
		switch s.Kind {
		case checks.StepCommand:
			fmt.Fprintln(w, "        "+s.Text)
		case checks.StepConfig:
			if s.For != "" {
				fmt.Fprintln(w, "      "+checks.ProgramLabel(s.For)+":")
			}
			fmt.Fprintln(w, indent(s.Text, "        "))
		default:
			fmt.Fprintln(w, fold(Escape(s.Text), width, "      ", "      "))
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
