package report_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"

	"github.com/tlsdoctor/tlsdoctor/baseline"
	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/report"
)

// fleetOf is a run over recorded handshakes: a good server, an expired
// one, a refused one.
func fleetOf(t *testing.T) report.Fleet {
	f := report.Fleet{FailOn: checks.Error}
	for _, name := range []string{"good", "expired", "refused", "wrong-host"} {
		r := load(t, "../testdata/records/"+name+".json")
		tg := report.Target{Input: r.Record.Target.Input, Report: r, Duration: 120 * time.Millisecond, Command: "tlsdoctor " + r.Record.Target.Input}
		tg.Unreached = name == "refused"
		f.Targets = append(f.Targets, tg)
	}
	f.Asked = len(f.Targets)
	return f
}

// TestJUnitRealConsumer feeds the JUnit report to junitparser (Debian's
// python3-junitparser, a JUnit XML reader used in CI tooling) and checks
// that it reads the counts and the failing cases the way tlsdoctor wrote
// them.
func TestJUnitRealConsumer(t *testing.T) {
	py := ""
	for _, c := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(c); err == nil && exec.Command(p, "-c", "import junitparser").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("junitparser not installed (apt-get install -y python3-junitparser)")
	}
	var b bytes.Buffer
	if err := report.JUnit(&b, fleetOf(t)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.xml")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
for suite in xml:
    kinds = []
    for case in suite:
        for r in case.result:
            if isinstance(r, (Failure, Error)):
                kinds.append(type(r).__name__ + ":" + case.name)
    print(suite.name, suite.tests, suite.failures, suite.errors, suite.skipped, " ".join(kinds))
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("junitparser could not read the report: %v\n%s", err, out)
	}
	n := len(checks.All())
	got := strings.TrimSpace(string(out))
	for _, want := range []string{
		"localhost:" + portOf(t, got, 0) + " " + strconv.Itoa(n) + " 0 0 6 ",
		" 1 0 6 Failure:cert-expired",
		" 1 0 1 0 Error:connect-failed",
		" 1 0 6 Failure:hostname-mismatch",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("junitparser read:\n%s\nwant a suite with %q", got, want)
		}
	}
}

func portOf(t *testing.T, out string, line int) string {
	l := strings.Split(out, "\n")[line]
	name := strings.Fields(l)[0]
	return name[strings.LastIndexByte(name, ':')+1:]
}

// TestJUnitEscapes: a hostile string (control characters, XML markup, a
// rune XML cannot carry) stays data: the document parses and the text
// reads back shown, not raw.
func TestJUnitEscapes(t *testing.T) {
	f := fleetOf(t)
	f.Targets[1].Input = "evil\x1b[31m<x>&\uFFFE\"'"
	f.Targets[1].Report.Findings[0].Title = "]]></failure><injected/>\x07"
	var b bytes.Buffer
	if err := report.JUnit(&b, f); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(b.Bytes(), "\x1b\x07") {
		t.Fatalf("control characters reached the document")
	}
	var doc struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Injected *struct{} `xml:"injected"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("the report does not parse: %v", err)
	}
	if got := doc.Suites[1].Name; got != `evil\x1b[31m<x>&\ufffe"'` {
		t.Errorf("suite name read back as %q", got)
	}
	for _, c := range doc.Suites[1].Cases {
		if c.Injected != nil {
			t.Error("markup in a title became an element")
		}
		if c.Failure != nil && c.Failure.Message != `]]></failure><injected/>\x07` {
			t.Errorf("failure message read back as %q", c.Failure.Message)
		}
	}
}

// TestMarkdownEscapes: hostile strings in a finding (a link, HTML, a
// heading, a list, a fence, control characters) stay text in the
// Markdown report: goldmark finds no link, HTML or extra heading in it.
func TestMarkdownEscapes(t *testing.T) {
	f := fleetOf(t)
	hostile := "[click](http://evil.example) <script>x</script>\n# heading\n1. item\n```\n\x1b[31m | cell"
	f.Targets[1].Input = "evil|[x](y)"
	f.Targets[1].Report.Findings[0].Title = hostile
	f.Targets[1].Report.Findings[0].Detail = hostile
	f.Targets[1].Report.Findings[0].Evidence = []string{hostile}
	var b bytes.Buffer
	if err := report.Markdown(&b, f, report.DetailsAll); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(b.Bytes(), "\x1b") {
		t.Fatal("a control character reached the document")
	}
	src := b.Bytes()
	doc := goldmark.New(goldmark.WithExtensions(extension.Table)).Parser().Parse(text.NewReader(src))
	headings := 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.(type) {
		case *ast.Link, *ast.AutoLink, *ast.RawHTML, *ast.HTMLBlock, *ast.Image:
			t.Errorf("hostile text became %T", n)
		case *ast.Heading:
			headings++
		}
		return ast.WalkContinue, nil
	})
	// The title; per target its section and "Findings", "Certificate
	// chain" when one came, one heading per finding.
	want := 1
	for _, tg := range f.Targets {
		want += 2 + len(tg.Report.Findings)
		if len(tg.Report.Record.Chain()) > 0 {
			want++
		}
	}
	if headings != want {
		t.Errorf("%d headings, want %d: hostile text made headings\n%s", headings, want, src)
	}
}

// TestJUnitBaseline: with --baseline and --fail-on-new, a finding the
// baseline already had passes (noted as known in <system-out>) and a new
// one fails, as the exit code does; each suite says what changed. Without
// --fail-on-new both fail.
func TestJUnitBaseline(t *testing.T) {
	type doc struct {
		Suites []struct {
			Name      string `xml:"name,attr"`
			Failures  int    `xml:"failures,attr"`
			SystemOut string `xml:"system-out"`
			Cases     []struct {
				Name      string    `xml:"name,attr"`
				Failure   *struct{} `xml:"failure"`
				SystemOut string    `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	read := func(failOnNew bool) doc {
		f := fleetOf(t)
		f.Baseline, f.FailOnNew = "last.jsonl", failOnNew
		for i := range f.Targets {
			f.Targets[i].Report.Changes = []baseline.Change{}
		}
		// wrong-host's finding is new; expired's was in the baseline.
		wh := &f.Targets[3].Report
		wh.Changes = []baseline.Change{{Kind: "new-finding", ID: wh.Findings[0].ID, Severity: wh.Findings[0].Severity.String(), New: wh.Findings[0].Title}}
		var b bytes.Buffer
		if err := report.JUnit(&b, f); err != nil {
			t.Fatal(err)
		}
		var d doc
		if err := xml.Unmarshal(b.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	failing := func(d doc, suite int) (names []string) {
		for _, c := range d.Suites[suite].Cases {
			if c.Failure != nil {
				names = append(names, c.Name)
			}
		}
		return names
	}
	d := read(true)
	if got := failing(d, 1); len(got) != 0 || d.Suites[1].Failures != 0 {
		t.Errorf("expired (all known): failing %v, failures=%d, want none", got, d.Suites[1].Failures)
	}
	var note bool
	for _, c := range d.Suites[1].Cases {
		note = note || strings.Contains(c.SystemOut, "known: in the baseline")
	}
	if !note {
		t.Error("expired: the known finding is not noted in <system-out>")
	}
	if got := failing(d, 3); len(got) == 0 {
		t.Error("wrong-host: the new finding does not fail")
	}
	if !strings.Contains(d.Suites[1].SystemOut, "changes since the baseline (last.jsonl): no change") || !strings.Contains(d.Suites[3].SystemOut, "\n  new error hostname-mismatch") {
		t.Errorf("suite system-out: %q / %q", d.Suites[1].SystemOut, d.Suites[3].SystemOut)
	}
	if got := failing(read(false), 1); len(got) == 0 {
		t.Error("without --fail-on-new a known error finding must still fail")
	}
}

// TestFleetJSONEscapes: the many-target JSON and JSON Lines write the bidi
// and C1 controls of a server's strings as \u escapes, like the
// single-target JSON (docs/json.md).
func TestFleetJSONEscapes(t *testing.T) {
	const hostile = "abc\u202egpj.exe\u0085"
	f := fleetOf(t)
	f.Targets[1].Report.Findings[0].Title = hostile
	for name, write := range map[string]func(*bytes.Buffer) error{
		"json":  func(b *bytes.Buffer) error { return report.FleetJSON(b, f) },
		"jsonl": func(b *bytes.Buffer) error { return report.JSONLine(b, f.Targets[1]) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(b.String(), "\u202e\u0085") {
			t.Errorf("%s: a raw bidi or C1 control reached the output", name)
		}
		if !strings.Contains(b.String(), `abc\u202egpj.exe\u0085`) {
			t.Errorf("%s: the title is not there as escapes", name)
		}
	}
}
