package report

import (
	"crypto/x509"
	"fmt"
	"io"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// Markdown writes the run as a Markdown document to paste into a ticket:
// the summary table, then for each target d asks for its address,
// negotiated parameters, the command that reproduces the diagnosis, the
// chain as sent, and each finding with its evidence and fix (commands in
// sh code blocks, settings in blocks of their own). Every string goes
// through md, mdCell or codeBlock, which escape what Markdown would
// interpret and show control characters (Escape).
func Markdown(w io.Writer, f Fleet, d Details) error {
	var b strings.Builder
	if len(f.Targets) == 1 {
		fmt.Fprintf(&b, "# tlsdoctor: %s\n\n", mdLine(f.Targets[0].Input))
	} else {
		fmt.Fprintf(&b, "# tlsdoctor: %d targets\n\n", len(f.Targets))
	}
	b.WriteString("| Target | Address | Status | Worst | TLS | Days to expiry | Findings |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, t := range f.Targets {
		r := summaryRow(t, f.FailOn)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdCell(r.target), mdCell(r.address), r.status, r.worst, mdCell(r.version), r.expires, mdCell(strings.ReplaceAll(r.findings, ",", ", ")))
	}
	b.WriteString("\n" + md(fleetSummaryLine(f)) + "\n")
	if f.Baseline != "" {
		b.WriteString("\n## Changes since the baseline\n\n")
		n := 0
		for _, t := range f.Targets {
			for _, c := range t.Report.Changes {
				b.WriteString("- " + md(t.Input) + ": " + mdInline(c.String()) + "\n")
				n++
			}
		}
		for _, g := range f.Gone {
			b.WriteString("- " + md(g) + ": gone (in the baseline, not in this run)\n")
			n++
		}
		if n == 0 {
			b.WriteString("No change.\n")
		}
	}
	for _, t := range f.Targets {
		if d == DetailsNone || (d != DetailsAll && !t.Failing(f.FailOn)) {
			continue
		}
		markdownTarget(&b, t, f.FailOn)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func markdownTarget(b *strings.Builder, t Target, failOn checks.Severity) {
	fmt.Fprintf(b, "\n## %s: %s\n\n", mdLine(t.Input), t.Status(failOn))
	if t.Err != "" {
		b.WriteString(codeBlock("text", t.Err))
		return
	}
	rec := t.Report.Record
	addr := hostPort(rec.Target.ConnectHost, rec.Target.ConnectPort)
	if a := rec.Primary(); a != nil && a.Address != "" {
		addr = a.Address
	}
	fmt.Fprintf(b, "- **Address:** %s\n", mdInline(addr))
	sni := rec.Target.SNI
	if sni == "" {
		sni = "(none sent)"
	}
	fmt.Fprintf(b, "- **SNI:** %s\n", mdInline(sni))
	if a := negotiated(rec); a != nil {
		fmt.Fprintf(b, "- **Negotiated:** %s, %s\n", mdInline(a.Version), mdInline(a.CipherSuite))
	}
	if len(t.Report.Truststores) > 0 {
		fmt.Fprintf(b, "- **Truststore:** %s\n", mdInline(strings.Join(t.Report.Truststores, ", ")))
	}
	fmt.Fprintf(b, "- **Checked:** %s by %s\n", rec.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), mdInline(rec.Tool))
	if t.Command != "" {
		b.WriteString("\nReproduce with:\n\n")
		b.WriteString(codeBlock("sh", t.Command))
	}
	if chain := rec.Chain(); len(chain) > 0 {
		b.WriteString("\n### Certificate chain (as sent by the server)\n\n")
		b.WriteString("| # | Role | Subject | Issuer | Expires | Key | Signature |\n|---|---|---|---|---|---|---|\n")
		for i, c := range chain {
			cert, err := x509.ParseCertificate(c.DER)
			if err != nil {
				fmt.Fprintf(b, "| %d | ? | %s | | | | |\n", i, mdCell("(does not parse: "+err.Error()+")"))
				continue
			}
			fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s |\n", i, checks.Role(i, cert), mdCell(cert.Subject.String()), mdCell(cert.Issuer.String()),
				mdCell(expiry(cert, t.Report.Now)), mdCell(keyDesc(cert)), mdCell(cert.SignatureAlgorithm.String()))
		}
	}
	b.WriteString("\n### Findings\n\n")
	if len(t.Report.Findings) == 0 {
		b.WriteString("No problems found.\n")
		return
	}
	for _, f := range t.Report.Findings {
		fmt.Fprintf(b, "#### %s `%s`: %s\n\n", strings.ToUpper(f.Severity.String()), codeSpan(f.ID), mdLine(f.Title))
		if f.Detail != "" {
			b.WriteString(md(f.Detail) + "\n\n")
		}
		if len(f.Evidence) > 0 {
			b.WriteString("Evidence:\n\n")
			for _, e := range f.Evidence {
				b.WriteString("- " + md(e) + "\n")
			}
			b.WriteString("\n")
		}
		switch {
		case len(f.Fix) > 0:
			b.WriteString("Fix:\n\n")
			for _, s := range f.Fix {
				switch s.Kind {
				case checks.StepCommand:
					b.WriteString(codeBlock("sh", s.Text) + "\n")
				case checks.StepConfig:
					if s.For != "" {
						b.WriteString(mdInline(checks.ProgramLabel(s.For)) + ":\n\n")
					}
					b.WriteString(codeBlock("", s.Text) + "\n")
				default:
					b.WriteString(md(s.Text) + "\n\n")
				}
			}
		}
		if len(f.Clients) > 0 {
			b.WriteString("What clients say:\n\n")
			for _, c := range f.Clients {
				verdict := "works"
				if c.Fails {
					verdict = "fails"
				}
				line := "- " + mdInline(c.Client) + ": " + verdict
				if c.Message != "" {
					line += ": `" + codeSpan(c.Message) + "`"
				}
				b.WriteString(line + "\n")
			}
			b.WriteString("\n")
		}
	}
}

// mdSpecial are the characters Markdown (CommonMark, GFM) may interpret
// anywhere in running text; mdLineStart those it interprets at the start
// of a line (headings, lists, quotes).
const (
	mdSpecial   = "\\`*_[]<>|~&"
	mdLineStart = "#-+=>"
)

// md escapes s for running text: every character Markdown could
// interpret is backslash-escaped, and control characters are shown
// (Escape); line breaks stay line breaks.
func md(s string) string { return mdEscape(s, true) }

// mdInline is md for text in the middle of a line, where block syntax
// cannot start.
func mdInline(s string) string { return mdEscape(s, false) }

// mdLine is mdInline on one line (a heading's text): line breaks become
// spaces, so nothing can end the heading and start a block.
func mdLine(s string) string { return mdEscape(strings.Join(strings.Fields(s), " "), false) }

// mdEscape escapes s; blocks says whether s starts a line where block
// syntax (headings, lists) applies.
func mdEscape(s string, blocks bool) string {
	s = escapeLayout(s)
	var b strings.Builder
	lineStart := blocks
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case strings.ContainsRune(mdSpecial, r):
			b.WriteByte('\\')
		case lineStart && strings.ContainsRune(mdLineStart, r):
			b.WriteByte('\\')
		case lineStart && r >= '0' && r <= '9':
			// "1." or "1)" starts an ordered list.
			j := i
			for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
				j++
			}
			if j < len(rs) && (rs[j] == '.' || rs[j] == ')') {
				b.WriteString(string(rs[i:j]) + "\\")
				b.WriteRune(rs[j])
				rs[j] = 0 // written
				lineStart = false
				for k := i; k < j; k++ {
					rs[k] = 0
				}
				continue
			}
		}
		if r == 0 {
			continue
		}
		b.WriteRune(r)
		switch {
		case r == '\n':
			lineStart = blocks
		case r != ' ' && r != '\t':
			lineStart = false
		}
	}
	return b.String()
}

// mdCell is md for a table cell: one line.
func mdCell(s string) string {
	return mdEscape(strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " "), false)
}

// codeSpan is the content of an inline `code` span: escaped, one line,
// with backticks replaced (a span cannot escape them).
func codeSpan(s string) string {
	return strings.ReplaceAll(Escape(strings.ReplaceAll(s, "\n", " ")), "`", "'")
}

// codeBlock fences text (escaped, lines kept) with a fence longer than
// any run of backticks in it, so nothing inside can close it.
func codeBlock(lang, text string) string {
	text = escapeLayout(text)
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	return fence + lang + "\n" + strings.TrimRight(text, "\n") + "\n" + fence + "\n"
}
