package report

import (
	"strings"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// trustLine prints the chain's verdict per truststore, the answer to
// "works in the browser, fails in Java":
//
//	trusted by  system ✓, mozilla ✓, java ✗ (missing root "Corp Root CA")
//
// one store per line when they do not fit on one. With several stores the
// first is the one the findings and the exit code are judged against
// (the one the user's client is assumed to use), and a second line says
// so: swapping two --truststore flags changes the exit code.
func trustLine(pg *page, vs []checks.StoreVerdict) {
	if len(vs) == 0 {
		return
	}
	p := pg.p
	var parts []string
	for _, v := range vs {
		s := Escape(v.Store) + " " + p.err.Sprint("✗")
		if v.Trusted {
			s = Escape(v.Store) + " " + p.ok.Sprint("✓")
		}
		if v.Reason != "" {
			s += " (" + Escape(v.Reason) + ")"
		}
		parts = append(parts, s)
	}
	const key = "  trusted by  "
	if one := key + strings.Join(parts, ", "); textWidth(one) <= pg.width {
		pg.line(one)
	} else {
		pad := strings.Repeat(" ", len(key))
		for i, s := range parts {
			first := pad
			if i == 0 {
				first = key
			}
			pg.para(first, pad+"  ", s)
		}
	}
	if len(vs) > 1 {
		pg.kv("judged by", Escape(vs[0].Store)+": the findings and the exit code follow the first truststore; the others are shown for comparison")
	}
}
