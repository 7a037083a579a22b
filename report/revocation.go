package report

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// revocation prints the revocation status of each certificate of the path,
// with every answer behind it, and the SCTs the server delivered. The
// statuses are the checks' (checks.Revocation); issuers not sent by the
// server come from the record.
func revocation(w io.Writer, p palette, r Report) {
	rec := r.Record
	statuses := checks.Revocation(rec, checks.Env{Now: r.Now})
	scts := checks.SCTs(rec)
	if len(statuses) == 0 && len(scts) == 0 {
		return
	}
	fmt.Fprintln(w)
	head := "Revocation"
	if rv := rec.Revocation; rv != nil {
		head += " (--revocation " + rv.Mode
		if rv.Mode == probe.RevocationFull {
			head += fmt.Sprintf(": %d fetch(es) in %s, budget %s", len(rv.Fetches), msStr(rv.DurationMS), msStr(rv.BudgetMS))
			if rv.LeafFromStaple {
				head += "; the leaf's responder not asked: the staple answers for it"
			}
		}
		head += ")"
	}
	fmt.Fprintln(w, p.bold.Sprint(head))
	for _, cr := range statuses {
		st := cr.Status
		switch st {
		case checks.RevocationGood:
			st = p.ok.Sprint(st)
		case checks.RevocationRevoked:
			st = p.err.Sprint(st)
		case checks.RevocationUnknown:
			st = p.warn.Sprint(st)
		}
		line := fmt.Sprintf("  #%d %s %q: %s", cr.Index, cr.Role, checks.Name(cr.Cert), st)
		if cr.Fetched {
			line = fmt.Sprintf("  AIA %s %q (not sent; downloaded): %s", cr.Role, checks.Name(cr.Cert), st)
		}
		if cr.Note != "" && len(cr.Answers) == 0 {
			line += " — " + cr.Note
		}
		fmt.Fprintln(w, line)
		for _, a := range cr.Answers {
			fmt.Fprintln(w, "      "+a.String())
		}
	}
	if len(statuses) > 0 || len(scts) > 0 {
		fmt.Fprintln(w, p.bold.Sprint("Certificate Transparency"))
	}
	if len(scts) == 0 {
		fmt.Fprintln(w, "  SCTs: none")
		return
	}
	bySource := map[string]int{}
	var order []string
	for _, s := range scts {
		if bySource[s.Source] == 0 {
			order = append(order, s.Source)
		}
		bySource[s.Source]++
	}
	var parts []string
	for _, src := range order {
		parts = append(parts, fmt.Sprintf("%d from the %s", bySource[src], src))
	}
	fmt.Fprintf(w, "  SCTs: %d (%s; parsed, not verified: no log list)\n", len(scts), strings.Join(parts, ", "))
	for _, s := range scts {
		if s.Problem != "" {
			fmt.Fprintf(w, "    - %s: %s\n", s.Source, s.Problem)
			continue
		}
		fmt.Fprintf(w, "    - log %s  at %s  (%s)\n", base64.StdEncoding.EncodeToString(s.LogID), s.Timestamp.UTC().Format(time.RFC3339), s.Source)
	}
}
