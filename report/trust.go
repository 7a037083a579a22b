package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// trustLine prints the chain's verdict per truststore, the answer to
// "works in the browser, fails in Java":
//
//	trust       system ✓, mozilla ✓, java ✗ (missing root "Corp Root CA", SHA-256 …)
func trustLine(w io.Writer, p palette, vs []checks.StoreVerdict) {
	if len(vs) == 0 {
		return
	}
	var parts []string
	for _, v := range vs {
		if v.Trusted {
			s := v.Store + " " + p.ok.Sprint("✓")
			if v.Reason != "" {
				s += " (" + v.Reason + ")"
			}
			parts = append(parts, s)
			continue
		}
		s := v.Store + " " + p.err.Sprint("✗")
		if v.Reason != "" {
			s += " (" + v.Reason + ")"
		}
		parts = append(parts, s)
	}
	fmt.Fprintf(w, "  %-11s %s\n", "trusted by", strings.Join(parts, ", "))
}
