package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/report"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// load reads a recorded handshake and judges it at its own time with its
// recorded truststore.
func load(t *testing.T, path string) report.Report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := probe.DecodeRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	env := checks.Env{Now: rec.StartedAt}
	var names []string
	for _, rt := range rec.Truststores {
		ts, err := checks.RecordedTruststore(rt)
		if err != nil {
			t.Fatal(err)
		}
		env.Truststores = append(env.Truststores, ts)
		names = append(names, rt.Name)
	}
	return report.Report{Record: rec, Findings: checks.Run(rec, env), Truststores: names, Now: rec.StartedAt}
}

var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d+(\.\d+)? (ms|s)\b`), "N ms"},
	{regexp.MustCompile(`serial [0-9A-F]+`), "serial X"},
	{regexp.MustCompile(`SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}`), "SHA-256 F"},
	{regexp.MustCompile(`:\d{4,5}\b`), ":PORT"},
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?`), "DATE"},
	{regexp.MustCompile(`(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}`), "JAVADATE"},
	{regexp.MustCompile(`\(\d+ d left\)|\(expired \d+ d ago\)`), "(DAYS)"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+->127\.0\.0\.1`), "127.0.0.1:PORT->127.0.0.1"},
}

// mask removes what changes from one recording to the next: timings,
// serials, fingerprints, ports and dates. Table columns are re-padded by the
// renderer, so mask before comparing and compare masked text.
func mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

func TestGoldenText(t *testing.T) {
	recs, _ := filepath.Glob("../testdata/records/*.json")
	if len(recs) == 0 {
		t.Fatal("no recorded handshakes in testdata/records")
	}
	for _, path := range recs {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			golden(t, path, filepath.Join("../testdata/golden", name+".txt"), report.TextOptions{})
		})
	}
}

// On a wide terminal the chain and the suites are tables.
func TestGoldenTextWide(t *testing.T) {
	for _, name := range []string{"good", "scan-go-rc4-3des", "mtls-required-tls13", "trust-untrusted-root"} {
		t.Run(name, func(t *testing.T) {
			golden(t, "../testdata/records/"+name+".json", filepath.Join("../testdata/golden/wide", name+".txt"), report.TextOptions{Width: 160})
		})
	}
}

func golden(t *testing.T, record, golden string, o report.TextOptions) {
	t.Helper()
	r := load(t, record)
	var buf bytes.Buffer
	if err := report.Text(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	width := o.Width
	if width == 0 {
		width = 80
	}
	for i, l := range strings.Split(buf.String(), "\n") {
		if n := utf8.RuneCountInString(l); n > width && !unbreakable(l, width) {
			t.Errorf("line %d is %d columns wide, more than %d: %q", i+1, n, width, l)
		}
	}
	got := mask(buf.String())
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if got != string(want) {
		t.Errorf("text output differs from %s (run go test ./report -update and review the diff):\n%s", golden, got)
	}
}

// unbreakable reports whether a line too wide for the page is so because
// of what must not be cut: a command or snippet (indented 8 or more), or
// a single word longer than the page (a URL, a fingerprint, a code span).
func unbreakable(line string, width int) bool {
	if strings.HasPrefix(line, "        ") && !strings.HasPrefix(strings.TrimSpace(line), "- ") {
		return true
	}
	for _, w := range strings.Fields(line) {
		if utf8.RuneCountInString(w) > width/2 || strings.HasPrefix(w, "`") {
			return true
		}
	}
	return false
}

func TestTextColor(t *testing.T) {
	r := load(t, "../testdata/records/expired.json")
	var plain, colored bytes.Buffer
	_ = report.Text(&plain, r, report.TextOptions{})
	_ = report.Text(&colored, r, report.TextOptions{Color: true})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("colour codes without Color")
	}
	if !strings.Contains(colored.String(), "\x1b[31;1m✗ ERROR") {
		t.Error("errors are not red and bold with Color")
	}
}

func TestTextQuiet(t *testing.T) {
	r := load(t, "../testdata/records/wrong-host.json")
	var buf bytes.Buffer
	_ = report.Text(&buf, r, report.TextOptions{Quiet: true})
	if got := buf.String(); got != "ERROR hostname-mismatch: the certificate is not valid for localhost\n" {
		t.Errorf("quiet output = %q", got)
	}
}

func TestJSONShape(t *testing.T) {
	r := load(t, "../testdata/records/wrong-host.json")
	var buf bytes.Buffer
	if err := report.JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ReportVersion int             `json:"report_version"`
		Record        json.RawMessage `json:"record"`
		Summary       map[string]int  `json:"summary"`
		Findings      []map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ReportVersion != report.JSONVersion || len(doc.Record) == 0 || doc.Summary["errors"] != 1 {
		t.Errorf("report_version %d, record %d bytes, summary %v", doc.ReportVersion, len(doc.Record), doc.Summary)
	}
	if len(doc.Findings) != 1 {
		t.Fatalf("findings = %v", doc.Findings)
	}
	f := doc.Findings[0]
	for _, k := range []string{"id", "severity", "title", "detail", "evidence", "remediation", "clients"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding lacks %q: %v", k, f)
		}
	}
	if f["id"] != "hostname-mismatch" || f["severity"] != "error" {
		t.Errorf("finding = %v", f)
	}
	// An empty findings list is [] not null, for jq users.
	good := load(t, "../testdata/records/good.json")
	buf.Reset()
	_ = report.JSON(&buf, good)
	if !strings.Contains(buf.String(), `"findings": []`) {
		t.Error("no findings must render as []")
	}
}
