package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

func TestTrustLine(t *testing.T) {
	r := Report{
		Record: &probe.Record{RecordVersion: 1, Target: probe.Target{Input: "example.test", Host: "example.test", Port: 443}},
		Trust: []checks.StoreVerdict{
			{Store: "system", Trusted: true, Verdict: checks.Trusted},
			{Store: "mozilla", Trusted: true, Verdict: checks.Trusted},
			{Store: "java", Verdict: checks.UntrustedRoot, Reason: `missing root "Corp Root CA"`},
		},
	}
	var b bytes.Buffer
	if err := Text(&b, r, TextOptions{Width: -1}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`  trusted by  system ✓, mozilla ✓, java ✗ (missing root "Corp Root CA")`,
		`  judged by   system: the findings and the exit code follow the first truststore; the others are shown for comparison`,
	} {
		if !strings.Contains(b.String(), want+"\n") {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	// At 80 columns each store gets its own line.
	b.Reset()
	r.Trust[2].Reason = `missing root "Corp Root CA", whose name is long enough to need a line of its own`
	if err := Text(&b, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "  trusted by  system ✓\n              mozilla ✓\n              java ✗ (missing root \"Corp Root CA\", whose name is long enough to\n"; !strings.Contains(b.String(), want) {
		t.Errorf("text lacks %q:\n%s", want, b.String())
	}
	b.Reset()
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Trust []checks.StoreVerdict `json:"trust"`
	}
	if err := json.Unmarshal(b.Bytes(), &out); err != nil || len(out.Trust) != 3 || out.Trust[2].Trusted || out.Trust[2].Reason == "" {
		t.Errorf("JSON trust = %+v (%v)", out.Trust, err)
	}
}
