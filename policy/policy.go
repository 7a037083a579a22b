// Package policy reads a policy file (--policy-file, YAML or JSON) and
// turns it into findings: what a pipeline requires of every endpoint
// (min_tls_version, forbidden_suites, min_days_to_expiry, required_issuer,
// required_sans, require_ocsp_stapling, max_chain_length,
// mozilla_profile) and the findings it accepts for now (ignore, with
// target globs, an expiry date and a reason). See docs/policy.md.
//
// A broken rule is a policy-violation finding, one per rule, naming the
// rule and the line that states it; an expired ignore is an
// ignore-expired finding. Findings follow the checks package's
// conventions (fix steps are checks.Step data). The package judges a
// record offline like a check: no network, no clock but the one given,
// no output. Parse is the only reader of files.
package policy

import (
	"fmt"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// Finding IDs this package produces (public contract, like the checks').
const (
	ViolationID     = "policy-violation"
	IgnoreExpiredID = "ignore-expired"
)

// Policy is a parsed policy file.
type Policy struct {
	// Path is the file as given, for messages and evidence.
	Path    string
	Rules   []Rule
	Ignores []Ignore
}

// Rule is one requirement of the file.
type Rule struct {
	// Name is the key, e.g. "min_tls_version".
	Name string
	// Line and Column locate the key in the file.
	Line, Column int
	// Text is the value as written, for evidence.
	Text string

	version uint16
	suites  []suiteMatch
	days    int
	strs    []string
	flag    bool
	n       int
	profile *checks.Policy
}

// Where is "FILE:LINE" for a rule.
func (r Rule) where(path string) string { return fmt.Sprintf("%s:%d", path, r.Line) }

// Ignore accepts a finding, on some targets, until a date.
type Ignore struct {
	// ID is the finding ID, or "policy-violation:RULE" for one rule's
	// violation.
	ID string
	// Targets are globs matched against the target as given, its host:port
	// and its host ('*' any run of characters, '?' one); empty means
	// every target.
	Targets []string
	// Until is the last day the ignore holds (UTC, inclusive); zero
	// means no end.
	Until  time.Time
	Reason string
	// Source says where the ignore came from: "FILE:LINE" or "--ignore".
	Source string
}

// MozillaProfile is the mozilla_profile rule's profile, or nil: the
// caller judges with it (checks.Env.Policy) so that policy-deviation
// lists the deviations this rule reports.
func (p *Policy) MozillaProfile() *checks.Policy {
	if p == nil {
		return nil
	}
	for _, r := range p.Rules {
		if r.profile != nil {
			return r.profile
		}
	}
	return nil
}

// NeedsScan reports whether a rule judges what only --scan enumerates
// (min_tls_version, forbidden_suites, mozilla_profile): the caller turns
// the scan on.
func (p *Policy) NeedsScan() bool {
	if p == nil {
		return false
	}
	for _, r := range p.Rules {
		switch r.Name {
		case "min_tls_version", "forbidden_suites", "mozilla_profile":
			return true
		}
	}
	return false
}

// WithIgnores returns a copy of p (nil: an empty policy) with ignores for
// ids added, each for every target and without end: --ignore.
func (p *Policy) WithIgnores(ids []string) *Policy {
	var out Policy
	if p != nil {
		out = *p
		out.Ignores = append([]Ignore(nil), p.Ignores...)
	}
	for _, id := range ids {
		out.Ignores = append(out.Ignores, Ignore{ID: id, Source: "--ignore", Reason: "given on the command line"})
	}
	return &out
}
