// Package baseline compares a run with an earlier one (--baseline): what
// is new or gone on each target (a finding, a certificate, an issuer, a
// protocol version) and which targets appeared or disappeared, so that a
// nightly job can alert on change rather than on the same known findings
// every night.
//
// It reads the earlier run's report (--format json, for one target or
// many, or --format jsonl) and keeps only a snapshot per target; it
// compares snapshots, and judges nothing itself: the findings compared
// are the checks' and the policy's. No network, no output.
package baseline

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Snapshot is what a comparison looks at for one target.
type Snapshot struct {
	// Target is the target as given (the record's target input).
	Target string
	// Reached is false when no TCP connection was made.
	Reached  bool
	Findings []FindingKey
	// Leaf is the SHA-256 of the leaf certificate, hex; Issuer the leaf's
	// issuer DN. Empty when no certificate came.
	Leaf, Issuer string
	// Version is the negotiated version; Versions the versions a --scan
	// saw accepted (nil without a scan).
	Version  string
	Versions []string
}

// FindingKey identifies a finding across runs: its ID and, for a policy
// violation, its rule. Titles change with the clock (days left) and are
// kept only to describe.
type FindingKey struct {
	ID       string
	Rule     string
	Severity checks.Severity
	Title    string
}

func (k FindingKey) key() string { return k.ID + "\x00" + k.Rule }

// Take builds the snapshot of a diagnosis.
func Take(target string, rec *probe.Record, findings []checks.Finding) Snapshot {
	s := Snapshot{Target: target}
	if rec == nil {
		return s
	}
	a := rec.Primary()
	s.Reached = rec.DNS.Error == nil && a != nil && (a.Error == nil || a.Error.Stage != probe.StageConnect)
	seen := map[string]bool{}
	for _, f := range findings {
		k := FindingKey{ID: f.ID, Rule: f.Rule, Severity: f.Severity, Title: f.Title}
		if !seen[k.key()] {
			seen[k.key()] = true
			s.Findings = append(s.Findings, k)
		}
	}
	if chain := rec.Chain(); len(chain) > 0 {
		sum := sha256.Sum256(chain[0].DER)
		s.Leaf = hex.EncodeToString(sum[:])
		if c, err := x509.ParseCertificate(chain[0].DER); err == nil {
			s.Issuer = c.Issuer.String()
		}
	}
	for _, at := range rec.Attempts {
		if at.Version != "" && at.Outcome == "ok" {
			s.Version = at.Version
			break
		}
	}
	if rec.Scan != nil {
		s.Versions = []string{}
		for _, v := range rec.Scan.Versions {
			if v.Supported {
				s.Versions = append(s.Versions, v.Version)
			}
		}
	}
	return s
}

// MaxSize bounds a baseline file.
const MaxSize = 256 << 20

// Read parses an earlier report: a --format json document (one target's
// {"record":…} or many targets' {"targets":[…]}) or --format jsonl (one
// such object a line). It returns a snapshot per target, in the file's
// order.
func Read(r io.Reader) ([]Snapshot, error) {
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(r, MaxSize+1)))
	var out []Snapshot
	for n := 1; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("not a tlsdoctor report (object %d): %w", n, err)
		}
		var doc struct {
			Targets []json.RawMessage `json:"targets"`
		}
		if err := json.Unmarshal(raw, &doc); err == nil && doc.Targets != nil {
			for _, t := range doc.Targets {
				s, err := readTarget(t)
				if err != nil {
					return nil, err
				}
				out = append(out, s)
			}
			continue
		}
		s, err := readTarget(raw)
		if err != nil {
			return nil, fmt.Errorf("object %d: %w", n, err)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("not a tlsdoctor report: it holds no target")
	}
	return out, nil
}

func readTarget(raw json.RawMessage) (Snapshot, error) {
	var t struct {
		ReportVersion int              `json:"report_version"`
		Record        json.RawMessage  `json:"record"`
		Findings      []checks.Finding `json:"findings"`
		Target        string           `json:"target"`
		Error         string           `json:"error"`
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return Snapshot{}, fmt.Errorf("not a tlsdoctor report: %w", err)
	}
	if t.ReportVersion == 0 {
		return Snapshot{}, errors.New("not a tlsdoctor report: report_version is missing (give --format json or jsonl output)")
	}
	if t.Error != "" || len(t.Record) == 0 || bytes.Equal(t.Record, []byte("null")) {
		return Snapshot{Target: t.Target}, nil
	}
	rec, err := probe.DecodeRecord(t.Record)
	if err != nil {
		return Snapshot{}, err
	}
	return Take(rec.Target.Input, rec, t.Findings), nil
}

// Change is one difference between the baseline and this run.
type Change struct {
	// Kind is new-finding, gone-finding, new-target, certificate-changed,
	// issuer-changed, version-changed, version-gone or version-new.
	Kind string `json:"kind"`
	// ID, Rule and Severity name the finding of a new- or gone-finding.
	ID       string `json:"id,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Severity string `json:"severity,omitempty"`
	// Old and New are the values that changed (a certificate's SHA-256,
	// an issuer, a version, a finding's title).
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
}

// String is the change in one line.
func (c Change) String() string {
	id := c.ID
	if c.Rule != "" {
		id += " (" + c.Rule + ")"
	}
	switch c.Kind {
	case "new-finding":
		return fmt.Sprintf("new %s %s: %s", c.Severity, id, c.New)
	case "gone-finding":
		return fmt.Sprintf("gone %s %s: %s", c.Severity, id, c.Old)
	case "new-target":
		return "new target (not in the baseline)"
	case "certificate-changed":
		return fmt.Sprintf("the leaf certificate changed: SHA-256 %s → %s", short(c.Old), short(c.New))
	case "issuer-changed":
		return fmt.Sprintf("a new issuer: %s → %s", c.Old, c.New)
	case "version-changed":
		return fmt.Sprintf("the negotiated version changed: %s → %s", orNone(c.Old), orNone(c.New))
	case "version-gone":
		return "a version disappeared: " + c.Old
	case "version-new":
		return "a version appeared: " + c.New
	}
	return c.Kind
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return orNone(h)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Baseline is an earlier run, indexed by target.
type Baseline struct {
	Path   string
	byName map[string]Snapshot
	order  []string
}

// New indexes snapshots read from path.
func New(path string, snaps []Snapshot) *Baseline {
	b := &Baseline{Path: path, byName: map[string]Snapshot{}}
	for _, s := range snaps {
		if _, dup := b.byName[s.Target]; !dup {
			b.order = append(b.order, s.Target)
		}
		b.byName[s.Target] = s
	}
	return b
}

// Compare lists what changed on one target since the baseline.
func (b *Baseline) Compare(cur Snapshot) []Change {
	old, ok := b.byName[cur.Target]
	if !ok {
		return []Change{{Kind: "new-target"}}
	}
	var out []Change
	had := map[string]bool{}
	for _, f := range old.Findings {
		had[f.key()] = true
	}
	has := map[string]bool{}
	for _, f := range cur.Findings {
		has[f.key()] = true
		if !had[f.key()] {
			out = append(out, Change{Kind: "new-finding", ID: f.ID, Rule: f.Rule, Severity: f.Severity.String(), New: f.Title})
		}
	}
	for _, f := range old.Findings {
		if !has[f.key()] {
			out = append(out, Change{Kind: "gone-finding", ID: f.ID, Rule: f.Rule, Severity: f.Severity.String(), Old: f.Title})
		}
	}
	if old.Leaf != "" && cur.Leaf != "" && old.Leaf != cur.Leaf {
		out = append(out, Change{Kind: "certificate-changed", Old: old.Leaf, New: cur.Leaf})
	}
	if old.Issuer != "" && cur.Issuer != "" && old.Issuer != cur.Issuer {
		out = append(out, Change{Kind: "issuer-changed", Old: old.Issuer, New: cur.Issuer})
	}
	if old.Version != cur.Version && (old.Version != "" || cur.Version != "") {
		out = append(out, Change{Kind: "version-changed", Old: old.Version, New: cur.Version})
	}
	if old.Versions != nil && cur.Versions != nil {
		for _, v := range old.Versions {
			if !slices.Contains(cur.Versions, v) {
				out = append(out, Change{Kind: "version-gone", Old: v})
			}
		}
		for _, v := range cur.Versions {
			if !slices.Contains(old.Versions, v) {
				out = append(out, Change{Kind: "version-new", New: v})
			}
		}
	}
	return out
}

// Gone lists the baseline's targets that are not in seen (the targets of
// this run), in the baseline's order.
func (b *Baseline) Gone(seen []string) []string {
	var out []string
	for _, t := range b.order {
		if !slices.Contains(seen, t) {
			out = append(out, t)
		}
	}
	return out
}

// NewFindings reports whether changes hold a new finding at least as
// severe as failOn: what --fail-on-new fails on.
func NewFindings(changes []Change, failOn checks.Severity) bool {
	for _, c := range changes {
		if c.Kind != "new-finding" {
			continue
		}
		if s, err := checks.ParseSeverity(c.Severity); err == nil && s >= failOn {
			return true
		}
	}
	return false
}

// Describe is the comparison in words for a target with no change.
func Describe(changes []Change) string {
	if len(changes) == 0 {
		return "no change"
	}
	var parts []string
	for _, c := range changes {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, "; ")
}
