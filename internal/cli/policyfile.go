package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/policy"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// loadPolicy reads --policy-file and adds --ignore: nil when neither was
// given.
func (r *runOptions) loadPolicy() (*policy.Policy, error) {
	var p *policy.Policy
	if r.policyFile != "" {
		f, err := os.Open(r.policyFile)
		if err != nil {
			return nil, &inputError{err: fmt.Errorf("--policy-file: cannot read %s: %w", r.policyFile, unwrapPath(err))}
		}
		data, err := io.ReadAll(io.LimitReader(f, policy.MaxSize+1))
		f.Close()
		if err != nil {
			return nil, &inputError{err: fmt.Errorf("--policy-file: cannot read %s: %w", r.policyFile, err)}
		}
		if p, err = policy.Parse(r.policyFile, data); err != nil {
			var pe *policy.Error
			if errors.As(err, &pe) {
				return nil, &usageError{msg: pe.Error(), hint: "the keys and their values are in docs/policy.md; docs/policy.example.yaml is a complete example"}
			}
			return nil, &inputError{err: err}
		}
	}
	var ids []string
	for _, id := range r.ignore {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if !knownID(id) {
			return nil, &usageError{msg: fmt.Sprintf("--ignore %q is not a finding ID", id), hint: "tlsdoctor checks lists them; policy-violation:RULE names one policy rule"}
		}
		ids = append(ids, id)
	}
	if len(ids) > 0 {
		p = p.WithIgnores(ids)
	}
	return p, nil
}

func knownID(id string) bool {
	if rule, ok := strings.CutPrefix(id, policy.ViolationID+":"); ok {
		for _, k := range policy.Keys {
			if k == rule {
				return true
			}
		}
		return false
	}
	if id == policy.ViolationID || id == policy.IgnoreExpiredID {
		return true
	}
	for _, c := range checks.All() {
		if c.ID == id {
			return true
		}
	}
	return false
}

// applyPolicy makes a target judged by the policy: its rules and
// ignores, its Mozilla profile, and --scan when a rule needs one (with
// --scan's longer default timeout unless --timeout was given).
func applyPolicy(s *targetSpec, p *policy.Policy, maxConns int) error {
	if p == nil {
		return nil
	}
	s.req.Judge.Rules = p
	if prof := p.MozillaProfile(); prof != nil {
		if cur := s.req.Judge.Policy; cur != nil && cur.Name != prof.Name {
			return &usageError{msg: fmt.Sprintf("--policy %s and the policy file's mozilla_profile %s contradict each other", cur.Name, prof.Name), hint: "give the profile one way"}
		}
		s.req.Judge.Policy = prof
	}
	if p.NeedsScan() && s.req.Scan == nil {
		s.req.Scan = &probe.ScanOptions{MaxConns: maxConns}
		if !s.timeoutSet {
			s.req.Timeout = 60 * time.Second
		}
	}
	return nil
}
