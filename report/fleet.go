package report

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Fleet is a many-target run to render: every target that finished, in
// the order they were given.
type Fleet struct {
	Targets []Target
	// Asked is how many distinct targets the run was given; fewer Targets
	// than that means the run was interrupted.
	Asked       int
	Interrupted bool
	// FailOn is the --fail-on severity: a target with a finding at least
	// this severe is failing.
	FailOn checks.Severity
	// Baseline is the --baseline file, empty without one; Gone are its
	// targets that this run did not have. Each Target's Report.Changes
	// says what changed on it.
	Baseline string
	Gone     []string
	// FailOnNew is --fail-on-new: only a finding the baseline did not
	// have fails (the exit code, and the JUnit testcases).
	FailOnNew bool
}

// Target is one target of a many-target run.
type Target struct {
	// Input is the target as given (on the command line or a targets-file
	// line).
	Input string
	// Report is its diagnosis; Report.Record is nil when Err is set.
	Report Report
	// Err says why the target could not be diagnosed at all (an internal
	// error); a server that cannot be reached is a finding, not an Err.
	Err string
	// Unreached is true when no TCP connection could be made (DNS,
	// refused, timeout).
	Unreached bool
	Duration  time.Duration
	// Command is the tlsdoctor command line that reproduces this
	// diagnosis on its own, shell-quoted (passwords left out).
	Command string
}

// Target statuses, as the summary shows them.
const (
	StatusOK          = "ok"
	StatusFailing     = "failing"
	StatusUnreachable = "unreachable"
	StatusError       = "error"
)

// Status is the target's status against failOn.
func (t Target) Status(failOn checks.Severity) string {
	switch {
	case t.Err != "":
		return StatusError
	case t.Unreached:
		return StatusUnreachable
	case checks.Worst(t.Report.Findings) >= failOn:
		return StatusFailing
	}
	return StatusOK
}

// Failing reports whether the target is at or above failOn, or could not
// be probed or diagnosed.
func (t Target) Failing(failOn checks.Severity) bool { return t.Status(failOn) != StatusOK }

// Details says which targets' full reports follow the summary table.
type Details string

const (
	DetailsAll     Details = "all"
	DetailsFailing Details = "failing"
	DetailsNone    Details = "none"
)

// FleetTextOptions control the many-target text rendering.
type FleetTextOptions struct {
	TextOptions
	Details Details
	// Width is the terminal width the summary table must fit; 0 means no
	// limit (not a terminal).
	Width int
}

// row is one target's line of the summary table.
type row struct {
	target, address, status, worst, version, expires, findings string
}

func summaryRow(t Target, failOn checks.Severity) row {
	r := row{target: t.Input, status: t.Status(failOn), worst: "-", version: "-", expires: "-", findings: "-"}
	rec := t.Report.Record
	if rec == nil {
		r.address = "-"
		r.findings = t.Err
		return r
	}
	r.address = hostPort(rec.Target.ConnectHost, rec.Target.ConnectPort)
	if a := rec.Primary(); a != nil && a.Address != "" {
		r.address = a.Address
	}
	if w := checks.Worst(t.Report.Findings); w > 0 {
		r.worst = w.String()
	}
	if a := negotiated(rec); a != nil {
		r.version = strings.TrimPrefix(a.Version, "TLS ")
		if !strings.HasPrefix(a.Version, "TLS ") {
			r.version = a.Version
		}
	}
	if d, ok := firstExpiry(rec.Chain(), t.Report.Now); ok {
		r.expires = fmt.Sprint(d)
	}
	var ids []string
	for _, f := range t.Report.Findings {
		if !slices.Contains(ids, f.ID) {
			ids = append(ids, f.ID)
		}
	}
	if len(ids) > 0 {
		r.findings = strings.Join(ids, ",")
	}
	return r
}

// firstExpiry is the number of whole days until the first certificate of
// chain expires (negative when one has expired: -30 expired 30 days ago).
func firstExpiry(chain []probe.Certificate, now time.Time) (int, bool) {
	first, ok := 0, false
	for _, c := range chain {
		cert, err := x509.ParseCertificate(c.DER)
		if err != nil {
			continue
		}
		// Whole days, as the chain table counts them ("expired 30 d
		// ago" is -30); an expired one is negative even within its
		// first day.
		days := cert.NotAfter.Sub(now).Hours() / 24
		d := int(math.Floor(days))
		if days < 0 {
			d = min(-int(math.Floor(-days)), -1)
		}
		if !ok || d < first {
			first, ok = d, true
		}
	}
	return first, ok
}

// FleetText writes the summary table (fitted to o.Width), a summary line,
// and the full report of each target o.Details asks for.
func FleetText(w io.Writer, f Fleet, o FleetTextOptions) error {
	p := newPalette(o.Color)
	width := o.Width
	if width <= 0 {
		width = math.MaxInt32 // not a terminal: nothing to fit
	}
	rows := []row{{"TARGET", "ADDRESS", "STATUS", "WORST", "TLS", "DAYS", "FINDINGS"}}
	for _, t := range f.Targets {
		rows = append(rows, summaryRow(t, f.FailOn))
	}
	cols := fitColumns(rows, width)
	for i, r := range rows {
		cells := []string{r.target, r.address, r.status, r.worst, r.version, r.expires, r.findings}
		var b strings.Builder
		for c, cell := range cells {
			cell = fit(Escape(cell), cols[c])
			pad := cols[c] - runewidth.StringWidth(cell)
			switch {
			case i == 0:
				cell = p.bold.Sprint(cell)
			case c == 2 && cell != StatusOK:
				cell = p.err.Sprint(cell)
			case c == 2:
				cell = p.ok.Sprint(cell)
			case c == 3 && cell != "-":
				if s, err := checks.ParseSeverity(cell); err == nil {
					cell = p.sev(s).Sprint(cell)
				}
			}
			b.WriteString(cell)
			if c < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", pad+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, fold(fleetSummaryLine(f), width, "", ""))
	ChangesText(w, f, o.TextOptions)
	for _, t := range f.Targets {
		if o.Details == DetailsNone || (o.Details != DetailsAll && !t.Failing(f.FailOn)) {
			continue
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, p.dim.Sprint(strings.Repeat("─", min(width, 80))))
		if t.Err != "" {
			fmt.Fprintf(w, "%s %s\n  %s\n", p.bold.Sprint("tlsdoctor"), p.bold.Sprint(Escape(t.Input)), p.err.Sprint("error: "+Escape(t.Err)))
			continue
		}
		if err := Text(w, t.Report, o.TextOptions); err != nil {
			return err
		}
	}
	return nil
}

// fleetSummaryLine counts targets by status.
func fleetSummaryLine(f Fleet) string {
	n := map[string]int{}
	for _, t := range f.Targets {
		n[t.Status(f.FailOn)]++
	}
	var parts []string
	for _, s := range []string{StatusOK, StatusFailing, StatusUnreachable, StatusError} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	line := fmt.Sprintf("%d targets: %s (failing: a finding at or above %s)", len(f.Targets), strings.Join(parts, ", "), f.FailOn)
	if len(f.Targets) == 1 {
		line = strings.Replace(line, "1 targets", "1 target", 1)
	}
	if f.Interrupted {
		line += fmt.Sprintf("\ninterrupted: %d of %d targets finished; the others are not reported", len(f.Targets), f.Asked)
	}
	return line
}

// fitColumns returns each column's width so that a line fits width: the
// natural widths when they fit, else the findings, target and address
// columns shrink (in that order, to a floor each), and their cells are
// cut with "…".
func fitColumns(rows []row, width int) []int {
	cols := make([]int, 7)
	for _, r := range rows {
		for c, cell := range []string{r.target, r.address, r.status, r.worst, r.version, r.expires, r.findings} {
			cols[c] = max(cols[c], runewidth.StringWidth(Escape(cell)))
		}
	}
	total := func() int {
		t := 2 * (len(cols) - 1)
		for _, c := range cols {
			t += c
		}
		return t
	}
	for _, s := range []struct{ col, floor int }{{6, 12}, {0, 16}, {1, 15}, {6, 8}, {0, 10}, {1, 9}, {6, 4}, {0, 6}} {
		if over := total() - width; over > 0 && cols[s.col] > s.floor {
			cols[s.col] = max(s.floor, cols[s.col]-over)
		}
	}
	return cols
}

// fit cuts s to width display columns, ending in "…" when cut.
func fit(s string, width int) string {
	if runewidth.StringWidth(s) <= width {
		return s
	}
	return runewidth.Truncate(s, width, "…")
}

// FleetJSON writes every target as one JSON document:
// {"report_version":1, "targets":[<one --format json object per target>], "summary":{…}}.
func FleetJSON(w io.Writer, f Fleet) error {
	out := jsonFleet{ReportVersion: JSONVersion, Targets: []json.RawMessage{}, Interrupted: f.Interrupted}
	for _, t := range f.Targets {
		b, err := json.Marshal(targetJSON(t))
		if err != nil {
			return err
		}
		out.Targets = append(out.Targets, b)
	}
	out.Summary = fleetSummary(f)
	if f.Baseline != "" {
		out.Baseline = &jsonBaseline{Path: f.Baseline, Gone: append([]string{}, f.Gone...)}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	return writeJSON(w, b.Bytes())
}

// JSONLine writes one target as one line: the object --format json writes
// for a single target.
func JSONLine(w io.Writer, t Target) error {
	b, err := json.Marshal(targetJSON(t))
	if err != nil {
		return err
	}
	return writeJSON(w, append(b, '\n'))
}

type jsonFleet struct {
	ReportVersion int               `json:"report_version"`
	Targets       []json.RawMessage `json:"targets"`
	Summary       jsonFleetSummary  `json:"summary"`
	Interrupted   bool              `json:"interrupted,omitempty"`
	Baseline      *jsonBaseline     `json:"baseline,omitempty"`
}

// jsonBaseline is the --baseline comparison's run-level part: each
// target's changes are in its own object.
type jsonBaseline struct {
	Path string   `json:"path"`
	Gone []string `json:"gone_targets"`
}

type jsonFleetSummary struct {
	Targets     int `json:"targets"`
	OK          int `json:"ok"`
	Failing     int `json:"failing"`
	Unreachable int `json:"unreachable"`
	Errors      int `json:"errors"`
	// Asked is set when the run was interrupted: how many targets it had.
	Asked int `json:"asked,omitempty"`
}

func fleetSummary(f Fleet) jsonFleetSummary {
	s := jsonFleetSummary{Targets: len(f.Targets)}
	for _, t := range f.Targets {
		switch t.Status(f.FailOn) {
		case StatusOK:
			s.OK++
		case StatusFailing:
			s.Failing++
		case StatusUnreachable:
			s.Unreachable++
		default:
			s.Errors++
		}
	}
	if f.Interrupted {
		s.Asked = f.Asked
	}
	return s
}

// jsonError is a target that could not be diagnosed at all.
type jsonError struct {
	ReportVersion int    `json:"report_version"`
	Target        string `json:"target"`
	Error         string `json:"error"`
}

func targetJSON(t Target) any {
	if t.Err != "" {
		return jsonError{ReportVersion: JSONVersion, Target: t.Input, Error: t.Err}
	}
	return newJSONReport(t.Report)
}

// FleetQuiet writes one line per finding (-q): target, severity, ID,
// title; and one line per target that could not be diagnosed.
func FleetQuiet(w io.Writer, f Fleet, o TextOptions) error {
	p := newPalette(o.Color)
	for _, t := range f.Targets {
		in := Escape(t.Input)
		if t.Err != "" {
			fmt.Fprintf(w, "%s: %s %s\n", in, p.err.Sprint("ERROR"), Escape(t.Err))
			continue
		}
		for _, fd := range t.Report.Findings {
			fmt.Fprintf(w, "%s: %s %s: %s\n", in, p.sev(fd.Severity).Sprint(strings.ToUpper(fd.Severity.String())), Escape(fd.ID), Escape(fd.Title))
		}
	}
	return nil
}

// ChangesText writes what changed since the baseline, when there is one:
// per target its changes, then the targets gone.
func ChangesText(w io.Writer, f Fleet, o TextOptions) {
	if f.Baseline == "" {
		return
	}
	p := newPalette(o.Color)
	fmt.Fprintln(w)
	fmt.Fprintln(w, p.bold.Sprint("Changes since the baseline ("+Escape(f.Baseline)+")"))
	n := 0
	for _, t := range f.Targets {
		for _, c := range t.Report.Changes {
			mark := "~"
			switch c.Kind {
			case "new-finding", "new-target", "version-new":
				mark = "+"
			case "gone-finding", "version-gone":
				mark = "-"
			}
			fmt.Fprintf(w, "  %s %s: %s\n", mark, Escape(t.Input), Escape(c.String()))
			n++
		}
	}
	for _, g := range f.Gone {
		fmt.Fprintf(w, "  - %s: gone (in the baseline, not in this run)\n", Escape(g))
		n++
	}
	if n == 0 {
		fmt.Fprintln(w, "  no change")
	}
}
