package report_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/report"
)

func TestScanTable(t *testing.T) {
	data, err := os.ReadFile("../testdata/records/scan-go-rc4-3des.json")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := probe.DecodeRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	r := report.Report{Record: rec, Findings: checks.Run(rec, checks.Env{Now: rec.StartedAt}), Now: rec.StartedAt}
	var plain, colored bytes.Buffer
	if err := report.Text(&plain, r, report.TextOptions{Width: -1}); err != nil {
		t.Fatal(err)
	}
	out := plain.String()
	for _, want := range []string{
		"Protocols and cipher suites (",
		"SSL 3.0  no",
		"TLS 1.2  yes (3 suites",
		"TLS_RSA_WITH_RC4_128_SHA",
		"RC4-SHA",
		"error: RC4, no forward secrecy",
		"warning: 3DES, no forward secrecy",
		"TLS 1.3  no",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if err := report.Text(&colored, r, report.TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(colored.String(), "\x1b[31;1merror\x1b[0;22m: RC4") {
		t.Error("the RC4 verdict is not coloured as an error")
	}
}
