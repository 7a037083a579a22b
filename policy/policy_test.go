package policy_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/policy"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// TestExampleFile: the documented example parses, with every rule key and
// every ignore field used at least once.
func TestExampleFile(t *testing.T) {
	data, err := os.ReadFile("../docs/policy.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("policy.example.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{"version": true, "ignore": len(p.Ignores) > 0}
	for _, r := range p.Rules {
		seen[r.Name] = true
		if r.Line == 0 || r.Column == 0 {
			t.Errorf("rule %s has no position", r.Name)
		}
	}
	for _, k := range policy.Keys {
		if !seen[k] {
			t.Errorf("the example does not show %s", k)
		}
	}
	var targets, until, reason bool
	for _, ig := range p.Ignores {
		targets = targets || len(ig.Targets) > 0
		until = until || !ig.Until.IsZero()
		reason = reason || ig.Reason != ""
	}
	if !targets || !until || !reason {
		t.Errorf("the example's ignores do not show targets (%v), until (%v) and reason (%v)", targets, until, reason)
	}
	if !p.NeedsScan() || p.MozillaProfile() == nil || p.MozillaProfile().Name != "mozilla-intermediate" {
		t.Errorf("NeedsScan %v, profile %v", p.NeedsScan(), p.MozillaProfile())
	}
}

// TestParseErrors: unknown keys, wrong types and bad values name the
// file, line and column, in YAML and in JSON.
func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"unknown key", "min_tls_version: \"1.2\"\n  \nmin_tls: 1.2\n", `p:3:1: unknown key "min_tls", did you mean min_tls_version?`},
		{"wrong type", "max_chain_length: three\n", `p:1:19: want a whole number, got "three"`},
		{"bad version", "min_tls_version: \"1.4\"\n", `p:1:18: min_tls_version "1.4" is not a TLS version`},
		{"bad suite", "forbidden_suites:\n  - 3des\n  - NOPE\n", `p:3:5: forbidden_suites: "NOPE" is neither a cipher suite name`},
		{"bool", "require_ocsp_stapling: yes please\n", `p:1:24: require_ocsp_stapling must be true or false`},
		{"negative days", "min_days_to_expiry: -3\n", `p:1:21: want a whole number from 0 to 100000, got -3`},
		{"ignore key", "ignore:\n  - id: sct-missing\n    reson: typo\n", `p:3:5: unknown key "reson" in an ignore entry, did you mean reason?`},
		{"ignore id", "ignore:\n  - id: no-such-check\n", `p:2:9: id "no-such-check" is not a finding ID`},
		{"ignore date", "ignore:\n  - id: sct-missing\n    until: next week\n", `p:3:12: until "next week" is not a date`},
		{"ignore no id", "ignore:\n  - reason: x\n", `p:2:5: an ignore entry needs an id`},
		{"twice", "max_chain_length: 3\nmax_chain_length: 4\n", `p:2:1: max_chain_length is given twice`},
		{"not a mapping", "- a\n- b\n", `p:1:1: the policy must be a mapping`},
		{"yaml syntax", "max_chain_length: 3\nmin_tls_version: \"1.2\n", `p:2: not valid YAML`},
		{"json unknown", "{\n\t\"min_tls_version\": \"1.2\",\n\t\"max_chain\": 3\n}\n", `p:3:2: unknown key "max_chain"`},
		{"json type", "{\"required_sans\": {\"a\": 1}}", `p:1:19: want a list of names, got a mapping`},
		{"json syntax", "{\n  \"max_chain_length\": 3,\n}\n", `p:3:1: not valid JSON`},
		{"profile", "mozilla_profile: strict\n", `p:1:18: mozilla_profile "strict" is not a Mozilla profile`},
		{"issuer", "required_issuer: Example CA\n", `p:1:18: required_issuer "Example CA" is neither a distinguished name`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Parse("p", []byte(tt.src))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want it to start with %s", err, tt.want)
			}
		})
	}
}

// TestIgnores: globs on the target as given, host:port or host; the until
// day still holds; after it the ignore stops hiding its finding and is
// reported itself.
func TestIgnores(t *testing.T) {
	p, err := policy.Parse("p.yaml", []byte(`ignore:
  - id: cert-expiring-soon
    targets: ["legacy-*.example:*"]
    until: 2026-03-31
    reason: OPS-1
  - id: policy-violation:max_chain_length
`))
	if err != nil {
		t.Fatal(err)
	}
	fs := []checks.Finding{
		{ID: "cert-expiring-soon", Severity: checks.Warning},
		{ID: "policy-violation", Rule: "max_chain_length", Severity: checks.Error},
		{ID: "policy-violation", Rule: "required_sans", Severity: checks.Error},
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.RFC3339, s); return d }
	for _, tt := range []struct {
		target      string
		now         string
		kept, ign   string
		wantExpired bool
	}{
		{"legacy-a.example:8443", "2026-03-31T23:59:00Z", "policy-violation", "cert-expiring-soon policy-violation", false},
		{"https://legacy-b.example:443/x", "2026-03-01T00:00:00Z", "policy-violation", "cert-expiring-soon policy-violation", false},
		{"other.example:443", "2026-03-01T00:00:00Z", "cert-expiring-soon policy-violation", "policy-violation", false},
		{"legacy-a.example:8443", "2026-04-01T00:00:01Z", "ignore-expired cert-expiring-soon policy-violation", "policy-violation", true},
	} {
		tgt, err := probe.ParseTarget(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		kept, ignored := p.Apply(fs, tgt, day(tt.now))
		if got := ids(kept); got != tt.kept {
			t.Errorf("%s at %s: kept %s, want %s", tt.target, tt.now, got, tt.kept)
		}
		var ig []checks.Finding
		for _, i := range ignored {
			ig = append(ig, i.Finding)
		}
		if got := ids(ig); got != tt.ign {
			t.Errorf("%s at %s: ignored %s, want %s", tt.target, tt.now, got, tt.ign)
		}
		if tt.wantExpired && !strings.Contains(kept[0].Title, "expired on 2026-03-31") {
			t.Errorf("expired ignore title %q", kept[0].Title)
		}
	}
}

func ids(fs []checks.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return strings.Join(out, " ")
}
