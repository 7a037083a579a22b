package report_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tlsdoctor/tlsdoctor/report"
)

// invisible holds characters a terminal or a reader acts on without
// showing them: a zero-width space, a right-to-left override, ESC, a soft
// hyphen, a byte-order mark, a tag character and a stray byte.
const invisible = "x\u200by\u202ez\x1b\u00ad\ufeff\U000e0041\xff"

// shown is how every renderer shows invisible: one escape per character,
// the same in each.
const shown = `x\u200by\u202ez\x1b\u00ad\ufeff\U000e0041\xff`

// TestOneEscape: the single-target text report, the fleet table, the
// quiet fleet lines, JUnit and Markdown show a hostile target name and
// finding title the same way, escaped, and write none of its characters
// raw. (The single report once kept zero-width and format characters
// that the fleet renderers escaped, with another syntax.)
func TestOneEscape(t *testing.T) {
	if got := report.Escape(invisible); got != shown {
		t.Fatalf("Escape(%q) = %q, want %q", invisible, got, shown)
	}
	f := fleetOf(t)
	tg := &f.Targets[1]
	tg.Input = invisible
	tg.Report.Findings[0].Title = invisible

	outputs := map[string]*bytes.Buffer{}
	render := func(name string, fn func(*bytes.Buffer) error) {
		var b bytes.Buffer
		if err := fn(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		outputs[name] = &b
	}
	render("text", func(b *bytes.Buffer) error { return report.Text(b, tg.Report, report.TextOptions{}) })
	render("fleet", func(b *bytes.Buffer) error {
		return report.FleetText(b, f, report.FleetTextOptions{Details: report.DetailsNone})
	})
	render("quiet", func(b *bytes.Buffer) error { return report.FleetQuiet(b, f, report.TextOptions{}) })
	render("junit", func(b *bytes.Buffer) error { return report.JUnit(b, f) })
	render("markdown", func(b *bytes.Buffer) error { return report.Markdown(b, f, report.DetailsAll) })

	for name, b := range outputs {
		if i := strings.IndexFunc(b.String(), func(r rune) bool {
			return r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || strings.ContainsRune("\u200b\u202e\u00ad\ufeff\U000e0041", r))
		}); i >= 0 || !utf8.Valid(b.Bytes()) {
			t.Errorf("%s: a raw invisible character (or invalid UTF-8) at %d", name, i)
		}
	}
	for _, name := range []string{"text", "fleet", "quiet"} {
		if !strings.Contains(outputs[name].String(), shown) {
			t.Errorf("%s does not show %q:\n%s", name, shown, outputs[name])
		}
	}
	if !strings.Contains(outputs["markdown"].String(), strings.ReplaceAll(shown, `\`, `\\`)) {
		t.Errorf("markdown does not show %q (backslashes escaped):\n%s", shown, outputs["markdown"])
	}
	var doc struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(outputs["junit"].Bytes(), &doc); err != nil {
		t.Fatalf("junit does not parse: %v", err)
	}
	if got := doc.Suites[1].Name; got != shown {
		t.Errorf("junit suite name %q, want %q", got, shown)
	}
}
