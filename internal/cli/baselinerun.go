package cli

import (
	"fmt"
	"os"

	"github.com/tlsdoctor/tlsdoctor/baseline"
	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/report"
)

// loadBaseline reads --baseline before anything connects: nil without
// one.
func (r *runOptions) loadBaseline() (*baseline.Baseline, error) {
	if r.baseline == "" {
		if r.failOnNew {
			return nil, &usageError{msg: "--fail-on-new needs --baseline", hint: "--baseline last-run.json --fail-on-new fails only on findings the last run did not have"}
		}
		return nil, nil
	}
	f, err := os.Open(r.baseline)
	if err != nil {
		return nil, &inputError{err: fmt.Errorf("--baseline: cannot read %s: %w", r.baseline, unwrapPath(err))}
	}
	defer f.Close()
	snaps, err := baseline.Read(f)
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("--baseline: %s: %v", r.baseline, err), hint: "give the output of an earlier run with --format json or --format jsonl"}
	}
	return baseline.New(r.baseline, snaps), nil
}

// compare sets what changed on t since the baseline.
func compare(b *baseline.Baseline, t *report.Target) {
	if b == nil {
		return
	}
	t.Report.Changes = b.Compare(baseline.Take(t.Input, t.Report.Record, t.Report.Findings))
	if t.Report.Changes == nil {
		t.Report.Changes = []baseline.Change{}
	}
}

// newFindingsExit is the exit code under --fail-on-new: 1 only when a
// target has a finding at or above --fail-on that the baseline did not.
func newFindingsExit(f report.Fleet, failOn checks.Severity) int {
	for _, t := range f.Targets {
		if baseline.NewFindings(t.Report.Changes, failOn) {
			return ExitFindings
		}
	}
	return ExitOK
}
