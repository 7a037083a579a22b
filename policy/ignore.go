package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Ignored is a finding an ignore accepted: kept out of the findings (and
// the exit code) but reported as accepted.
type Ignored struct {
	Finding checks.Finding `json:"finding"`
	Reason  string         `json:"reason,omitempty"`
	// Until is the ignore's last day, YYYY-MM-DD, when it has one.
	Until  string `json:"until,omitempty"`
	Source string `json:"source"`
}

// Apply takes the ignores out of findings for target at now: it returns
// the findings kept, the ones ignored, and, appended to the kept ones,
// one ignore-expired finding per ignore of this target whose date has
// passed (the finding it accepted is reported again).
func (p *Policy) Apply(findings []checks.Finding, target probe.Target, now time.Time) (kept []checks.Finding, ignored []Ignored) {
	if p == nil || len(p.Ignores) == 0 {
		return findings, nil
	}
	var live []Ignore
	for _, ig := range p.Ignores {
		if !ig.covers(target) {
			continue
		}
		if ig.expired(now) {
			kept = append(kept, checks.Finding{ID: IgnoreExpiredID, Severity: checks.Warning, Rule: ig.ID,
				Title:    fmt.Sprintf("the ignore of %s (%s) expired on %s", ig.ID, ig.Source, ig.Until.Format("2006-01-02")),
				Detail:   "An ignore that has run out no longer hides its finding: " + ig.ID + " is reported again if the server still has it. Fix the problem, or extend the ignore with a new date and a reason.",
				Evidence: []string{"ignore: id " + ig.ID + ", until " + ig.Until.Format("2006-01-02") + ", reason: " + orNone(ig.Reason) + " (" + ig.Source + ")"},
				Fix:      []checks.Step{checks.Say("Fix " + ig.ID + " on the server and delete the ignore at " + ig.Source + ", or give it a later until: with the reason it still holds.")}})
			continue
		}
		live = append(live, ig)
	}
	for _, f := range findings {
		if ig, ok := matchIgnore(live, f); ok {
			ig2 := Ignored{Finding: f, Reason: ig.Reason, Source: ig.Source}
			if !ig.Until.IsZero() {
				ig2.Until = ig.Until.Format("2006-01-02")
			}
			ignored = append(ignored, ig2)
			continue
		}
		kept = append(kept, f)
	}
	return kept, ignored
}

func orNone(s string) string {
	if s == "" {
		return "(none given)"
	}
	return s
}

func matchIgnore(igs []Ignore, f checks.Finding) (Ignore, bool) {
	for _, ig := range igs {
		if ig.ID == f.ID || (f.Rule != "" && ig.ID == f.ID+":"+f.Rule) {
			return ig, true
		}
	}
	return Ignore{}, false
}

// expired says whether the ignore's last day is before now's (UTC) day.
func (ig Ignore) expired(now time.Time) bool {
	if ig.Until.IsZero() {
		return false
	}
	y, m, d := now.UTC().Date()
	return ig.Until.Before(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// covers says whether one of the ignore's target globs matches the
// target as given, its host:port or its host.
func (ig Ignore) covers(t probe.Target) bool {
	if len(ig.Targets) == 0 {
		return true
	}
	names := []string{t.Input, strings.ToLower(t.Host) + ":" + strconv.Itoa(t.Port), strings.ToLower(t.Host)}
	for _, g := range ig.Targets {
		for _, n := range names {
			if glob(strings.ToLower(g), strings.ToLower(n)) {
				return true
			}
		}
	}
	return false
}

// glob matches s against a pattern where '*' is any run of characters
// (dots and slashes included) and '?' one character.
func glob(pat, s string) bool {
	p, n := []rune(pat), []rune(s)
	// Iterative wildcard matching with backtracking to the last '*'.
	pi, ni, star, mark := 0, 0, -1, 0
	for ni < len(n) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == n[ni]):
			pi++
			ni++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ni
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ni = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
