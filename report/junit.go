package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/baseline"
	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// JUnit writes the run as JUnit XML, the schema GitLab and Jenkins read:
// one <testsuite> per target, named by the target as given; one
// <testcase> per check, failing (<failure>) when the check found
// something at or above --fail-on, with the finding's title as the
// message and its detail and evidence as the text; a finding below
// --fail-on passes, its title in <system-out>; a check that needs --scan
// is <skipped> without one. A target that could not be probed has one
// <testcase> with an <error>. With --baseline, the suite's <system-out>
// says what changed since then; with --fail-on-new, a finding the
// baseline already had passes (its title in <system-out>, marked as
// known), as the exit code does. Every string passes through Escape.
func JUnit(w io.Writer, f Fleet) error {
	doc := junitSuites{Name: "tlsdoctor"}
	for _, t := range f.Targets {
		s := junitSuite(t, f)
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Time += t.Duration.Seconds()
	}
	doc.TimeAttr = fmt.Sprintf("%.3f", doc.Time)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

type junitSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Name     string        `xml:"name,attr"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	TimeAttr string        `xml:"time,attr"`
	Time     float64       `xml:"-"`
	Suites   []junitSuiteT `xml:"testsuite"`
}

type junitSuiteT struct {
	Name       string      `xml:"name,attr"`
	Tests      int         `xml:"tests,attr"`
	Failures   int         `xml:"failures,attr"`
	Errors     int         `xml:"errors,attr"`
	Skipped    int         `xml:"skipped,attr"`
	Time       string      `xml:"time,attr"`
	Timestamp  string      `xml:"timestamp,attr,omitempty"`
	Properties *junitProps `xml:"properties,omitempty"`
	Cases      []junitCase `xml:"testcase"`
	SystemOut  string      `xml:"system-out,omitempty"`
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Type    string `xml:"type,attr,omitempty"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// xmlText is Escape for XML (layout kept when keepLines): what it
// escapes includes every rune XML 1.0 cannot carry (C0 controls but
// tab and newline, U+FFFE, U+FFFF; surrogates never decode).
func xmlText(s string, keepLines bool) string {
	if keepLines {
		return escapeLayout(s)
	}
	return Escape(s)
}

func junitSuite(t Target, f Fleet) junitSuiteT {
	failOn := f.FailOn
	name := xmlText(t.Input, false)
	s := junitSuiteT{Name: name, Time: fmt.Sprintf("%.3f", t.Duration.Seconds())}
	if f.Baseline != "" && t.Err == "" {
		lines := []string{"changes since the baseline (" + f.Baseline + "):"}
		for _, c := range t.Report.Changes {
			lines = append(lines, "  "+c.String())
		}
		if len(t.Report.Changes) == 0 {
			lines[0] += " " + baseline.Describe(nil)
		}
		s.SystemOut = xmlText(strings.Join(lines, "\n"), true)
	}
	// known says whether a finding is in the baseline, under --fail-on-new.
	known := func(checks.Finding) bool { return false }
	if f.Baseline != "" && f.FailOnNew {
		known = func(fd checks.Finding) bool {
			for _, c := range t.Report.Changes {
				if c.Kind == "new-finding" && c.ID == fd.ID && c.Rule == fd.Rule {
					return false
				}
			}
			return true
		}
	}
	one := func(c junitCase) {
		s.Cases = append(s.Cases, c)
		s.Tests++
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	if t.Err != "" {
		one(junitCase{Name: "diagnose", Classname: name, Time: s.Time, Error: &junitProblem{Type: "internal-error", Message: xmlText(t.Err, false)}})
		return s
	}
	rec := t.Report.Record
	s.Timestamp = rec.StartedAt.UTC().Format("2006-01-02T15:04:05")
	addr := hostPort(rec.Target.ConnectHost, rec.Target.ConnectPort)
	if a := rec.Primary(); a != nil && a.Address != "" {
		addr = a.Address
	}
	s.Properties = &junitProps{Props: []junitProp{{"address", xmlText(addr, false)}}}
	if a := negotiated(rec); a != nil {
		s.Properties.Props = append(s.Properties.Props, junitProp{"version", a.Version}, junitProp{"cipher_suite", a.CipherSuite})
	}
	if t.Command != "" {
		s.Properties.Props = append(s.Properties.Props, junitProp{"command", xmlText(t.Command, false)})
	}
	byID := map[string][]checks.Finding{}
	var order []string
	for _, f := range t.Report.Findings {
		if _, ok := byID[f.ID]; !ok {
			order = append(order, f.ID)
		}
		byID[f.ID] = append(byID[f.ID], f)
	}
	if t.Unreached {
		c := junitCase{Name: "connect-failed", Classname: name, Time: s.Time}
		fs := byID["connect-failed"]
		msg := "the target could not be reached"
		if len(fs) > 0 {
			msg = fs[0].Title
		}
		c.Error = &junitProblem{Type: "could-not-probe", Message: xmlText(msg, false), Text: problemText(fs)}
		one(c)
		return s
	}
	listed := map[string]bool{}
	for _, ch := range checks.All() {
		listed[ch.ID] = true
		one(checkCase(name, ch.ID, byID[ch.ID], failOn, known, skipReason(rec, ch.ID)))
	}
	// Findings from outside the check list (the policy file) are one
	// testcase per rule.
	for _, id := range order {
		if listed[id] {
			continue
		}
		for _, f := range byID[id] {
			caseName := id
			if f.Rule != "" {
				caseName += ": " + f.Rule
			}
			one(checkCase(name, caseName, []checks.Finding{f}, failOn, known, ""))
		}
	}
	return s
}

// skipReason says why check id could not run on rec, or "".
func skipReason(rec *probe.Record, id string) string {
	switch {
	case rec.Scan == nil && checks.NeedsScan(id):
		return "needs --scan"
	case rec.SNICheckOff && id == "sni-required":
		return "needs the handshake without SNI (--no-sni-check was given)"
	}
	return ""
}

func checkCase(class, id string, fs []checks.Finding, failOn checks.Severity, known func(checks.Finding) bool, skip string) junitCase {
	c := junitCase{Name: xmlText(id, false), Classname: class, Time: "0"}
	var failing, passing []checks.Finding
	var notes []string
	for _, f := range fs {
		switch {
		case f.Severity >= failOn && !known(f):
			failing = append(failing, f)
		case f.Severity >= failOn:
			notes = append(notes, f.Severity.String()+" (known: in the baseline, --fail-on-new): "+f.Title)
		default:
			passing = append(passing, f)
		}
	}
	switch {
	case len(failing) > 0:
		c.Failure = &junitProblem{Type: failing[0].Severity.String(), Message: xmlText(failing[0].Title, false), Text: problemText(failing)}
	case skip != "" && len(fs) == 0:
		c.Skipped = &junitProblem{Message: skip}
	}
	if len(passing) > 0 || len(notes) > 0 {
		lines := notes
		for _, f := range passing {
			lines = append(lines, f.Severity.String()+": "+f.Title)
		}
		c.SystemOut = xmlText(strings.Join(lines, "\n"), true)
	}
	return c
}

// problemText is the body of a failure: each finding's title, detail,
// evidence and fix, as plain text.
func problemText(fs []checks.Finding) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "%s %s: %s\n", strings.ToUpper(f.Severity.String()), f.ID, f.Title)
		if f.Detail != "" {
			b.WriteString(f.Detail + "\n")
		}
		for _, e := range f.Evidence {
			b.WriteString("evidence: " + e + "\n")
		}
		if fix := checks.FixText(f.Fix); fix != "" {
			b.WriteString("fix:\n" + fix + "\n")
		}
	}
	return xmlText(strings.TrimRight(b.String(), "\n"), true)
}
