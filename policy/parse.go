package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/internal/textdist"
)

// Error is a problem in a policy file, at a line and column (column 0
// when the YAML parser gives only the line).
type Error struct {
	Path         string
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.Path, e.Msg)
	}
	if e.Column == 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Msg)
}

// MaxSize bounds a policy file.
const MaxSize = 1 << 20

// Keys are the keys a policy file may hold, in the order docs/policy.md
// lists them.
var Keys = []string{"version", "min_tls_version", "forbidden_suites", "min_days_to_expiry", "min_days_to_expiry_leaf",
	"min_days_to_expiry_client", "required_issuer", "required_sans", "require_ocsp_stapling", "max_chain_length",
	"mozilla_profile", "ignore"}

var ignoreKeys = []string{"id", "targets", "until", "reason"}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse reads a policy file: YAML, or JSON (which the same parser reads,
// positions included). Unknown keys, wrong types and bad values are
// errors naming the line and column.
func Parse(path string, data []byte) (*Policy, error) {
	if len(data) > MaxSize {
		return nil, &Error{Path: path, Line: 1, Msg: fmt.Sprintf("larger than %d KiB", MaxSize>>10)}
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		// JSON: encoding/json names the offset of a syntax error.
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				line, col := position(data, int(se.Offset)-1)
				return nil, &Error{Path: path, Line: line, Column: col, Msg: "not valid JSON: " + se.Error()}
			}
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return nil, &Error{Path: path, Line: n, Msg: "not valid YAML: " + m[2]}
		}
		return nil, &Error{Path: path, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	p := &Policy{Path: path}
	if len(root.Content) == 0 {
		return nil, &Error{Path: path, Line: 1, Column: 1, Msg: "the policy is empty"}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, bad(path, doc, "the policy must be a mapping of rules (min_tls_version: \"1.2\", ...), not a "+kindName(doc))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, bad(path, k, "a key must be a name")
		}
		if !slices.Contains(Keys, k.Value) {
			return nil, bad(path, k, fmt.Sprintf("unknown key %q%s (known: %s)", k.Value, suggest(k.Value, Keys), strings.Join(Keys, ", ")))
		}
		if seen[k.Value] {
			return nil, bad(path, k, fmt.Sprintf("%s is given twice", k.Value))
		}
		seen[k.Value] = true
		if k.Value == "ignore" {
			igs, err := parseIgnores(path, v)
			if err != nil {
				return nil, err
			}
			p.Ignores = igs
			continue
		}
		if k.Value == "version" {
			if v.Kind != yaml.ScalarNode || v.Value != "1" {
				return nil, bad(path, v, "version must be 1 (the only policy format so far)")
			}
			continue
		}
		r, err := parseRule(path, k.Value, v)
		if err != nil {
			return nil, err
		}
		r.Line, r.Column = k.Line, k.Column
		p.Rules = append(p.Rules, r)
	}
	return p, nil
}

func parseRule(path, name string, v *yaml.Node) (Rule, error) {
	r := Rule{Name: name, Text: text(v)}
	var err error
	switch name {
	case "min_tls_version":
		var s string
		if s, err = scalar(path, v, "a TLS version such as \"1.2\""); err != nil {
			return r, err
		}
		if r.version = parseVersion(s); r.version == 0 {
			return r, bad(path, v, fmt.Sprintf("min_tls_version %q is not a TLS version (1.0, 1.1, 1.2 or 1.3)", s))
		}
	case "forbidden_suites":
		var ss []string
		if ss, err = strings1(path, v, false); err != nil {
			return r, err
		}
		for i, s := range ss {
			m, ok := parseSuite(s)
			if !ok {
				return r, bad(path, v.Content[i], fmt.Sprintf("forbidden_suites: %q is neither a cipher suite name (IANA or OpenSSL) nor a class (%s)", s, strings.Join(suiteClassNames(), ", ")))
			}
			r.suites = append(r.suites, m)
		}
	case "min_days_to_expiry", "min_days_to_expiry_leaf", "min_days_to_expiry_client":
		if r.days, err = integer(path, v, 0); err != nil {
			return r, err
		}
	case "required_issuer":
		if r.strs, err = strings1(path, v, true); err != nil {
			return r, err
		}
		for i, s := range r.strs {
			if _, ok := parseIssuer(s); !ok {
				n := v
				if v.Kind == yaml.SequenceNode {
					n = v.Content[i]
				}
				return r, bad(path, n, fmt.Sprintf("required_issuer %q is neither a distinguished name (CN=...,O=...) nor an SPKI SHA-256 (64 hex digits, optionally sha256:...)", s))
			}
		}
	case "required_sans":
		if r.strs, err = strings1(path, v, true); err != nil {
			return r, err
		}
	case "require_ocsp_stapling":
		if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
			return r, bad(path, v, "require_ocsp_stapling must be true or false")
		}
		r.flag = v.Value == "true" || v.Value == "True" || v.Value == "TRUE"
	case "max_chain_length":
		if r.n, err = integer(path, v, 1); err != nil {
			return r, err
		}
	case "mozilla_profile":
		var s string
		if s, err = scalar(path, v, "modern, intermediate or old"); err != nil {
			return r, err
		}
		name := s
		if !strings.HasPrefix(name, "mozilla-") {
			name = "mozilla-" + name
		}
		prof, ok := checks.LookupPolicy(name)
		if !ok {
			return r, bad(path, v, fmt.Sprintf("mozilla_profile %q is not a Mozilla profile (modern, intermediate or old)", s))
		}
		r.profile = &prof
	}
	return r, nil
}

func parseIgnores(path string, v *yaml.Node) ([]Ignore, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, bad(path, v, "ignore must be a list of {id, targets, until, reason}, not a "+kindName(v))
	}
	var out []Ignore
	for _, item := range v.Content {
		if item.Kind != yaml.MappingNode {
			return nil, bad(path, item, "an ignore entry must be a mapping {id, targets, until, reason}, not a "+kindName(item))
		}
		ig := Ignore{Source: fmt.Sprintf("%s:%d", path, item.Line)}
		seen := map[string]bool{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, val := item.Content[i], item.Content[i+1]
			if !slices.Contains(ignoreKeys, k.Value) {
				return nil, bad(path, k, fmt.Sprintf("unknown key %q in an ignore entry%s (known: %s)", k.Value, suggest(k.Value, ignoreKeys), strings.Join(ignoreKeys, ", ")))
			}
			if seen[k.Value] {
				return nil, bad(path, k, k.Value+" is given twice")
			}
			seen[k.Value] = true
			var err error
			switch k.Value {
			case "id":
				if ig.ID, err = scalar(path, val, "a finding ID such as cert-expiring-soon"); err != nil {
					return nil, err
				}
				if !validID(ig.ID) {
					return nil, bad(path, val, fmt.Sprintf("id %q is not a finding ID (tlsdoctor checks lists them; policy-violation:RULE names one rule)", ig.ID))
				}
			case "targets":
				if ig.Targets, err = strings1(path, val, true); err != nil {
					return nil, err
				}
			case "until":
				var s string
				if s, err = scalar(path, val, "a date, YYYY-MM-DD"); err != nil {
					return nil, err
				}
				if ig.Until, err = time.Parse("2006-01-02", s); err != nil {
					return nil, bad(path, val, fmt.Sprintf("until %q is not a date (YYYY-MM-DD)", s))
				}
			case "reason":
				if ig.Reason, err = scalar(path, val, "text"); err != nil {
					return nil, err
				}
			}
		}
		if ig.ID == "" {
			return nil, bad(path, item, "an ignore entry needs an id (the finding to accept)")
		}
		out = append(out, ig)
	}
	return out, nil
}

// validID accepts a check's ID, this package's, or policy-violation:RULE.
func validID(id string) bool {
	if rule, ok := strings.CutPrefix(id, ViolationID+":"); ok {
		return slices.Contains(Keys, rule) && rule != "ignore" && rule != "version"
	}
	if id == ViolationID || id == IgnoreExpiredID {
		return true
	}
	for _, c := range checks.All() {
		if c.ID == id {
			return true
		}
	}
	return false
}

func bad(path string, n *yaml.Node, msg string) error {
	return &Error{Path: path, Line: n.Line, Column: n.Column, Msg: msg}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "single value"
}

// text is a node's value as written, for evidence.
func text(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	var parts []string
	for _, c := range n.Content {
		parts = append(parts, text(c))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func scalar(path string, n *yaml.Node, want string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", bad(path, n, fmt.Sprintf("want %s, got a %s", want, kindName(n)))
	}
	return n.Value, nil
}

func integer(path string, n *yaml.Node, least int) (int, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return 0, bad(path, n, fmt.Sprintf("want a whole number, got %q", text(n)))
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < least || v > 100000 {
		return 0, bad(path, n, fmt.Sprintf("want a whole number from %d to 100000, got %s", least, n.Value))
	}
	return v, nil
}

// strings1 reads a list of strings (or, with one, a single string).
func strings1(path string, n *yaml.Node, one bool) ([]string, error) {
	if one && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, bad(path, n, "want a list of names, got a "+kindName(n))
	}
	if len(n.Content) == 0 {
		return nil, bad(path, n, "the list is empty")
	}
	var out []string
	for _, c := range n.Content {
		s, err := scalar(path, c, "a name")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func position(data []byte, offset int) (line, col int) {
	offset = min(max(offset, 0), len(data))
	line = 1 + bytes.Count(data[:offset], []byte("\n"))
	col = offset - bytes.LastIndexByte(data[:offset], '\n')
	return line, col
}

// suggest names the known key closest to a misspelt one.
func suggest(k string, known []string) string {
	best, bd := "", 4
	for _, c := range known {
		if d := textdist.Distance(k, c); d < bd {
			best, bd = c, d
		}
	}
	for _, c := range known {
		if best == "" && len(k) >= 4 && strings.HasPrefix(c, k) {
			best = c
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(", did you mean %s?", best)
}
