package report

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// keepDates keeps a date on the line of the word that names it.
var keepDates = strings.NewReplacer("thisUpdate ", "thisUpdate"+nbsp, "nextUpdate ", "nextUpdate"+nbsp, "revoked at ", "revoked"+nbsp+"at"+nbsp)

// revocation prints the revocation status of each certificate of the path,
// with every answer behind it, and the SCTs the server delivered. The
// statuses are the checks' (checks.Revocation); issuers not sent by the
// server come from the record.
func revocation(pg *page, r Report) {
	p := pg.p
	rec := r.Record
	statuses := checks.Revocation(rec, checks.Env{Now: r.Now})
	scts := checks.SCTs(rec)
	if len(statuses) == 0 && len(scts) == 0 {
		return
	}
	head := "Revocation"
	if rv := rec.Revocation; rv != nil {
		head += " (--revocation " + Escape(rv.Mode)
		if rv.Mode == probe.RevocationFull {
			head += fmt.Sprintf(": %d fetch(es) in %s, budget %s", len(rv.Fetches), msStr(rv.DurationMS), msStr(rv.BudgetMS))
			if rv.LeafFromStaple {
				head += "; the leaf's responder not asked: the staple answers for it"
			}
		}
		head += ")"
	}
	pg.heading(head)
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
		line := fmt.Sprintf("#%d %s %s: %s", cr.Index, Escape(cr.Role), Escape(strconv.Quote(checks.Name(cr.Cert))), st)
		if cr.Fetched {
			line = fmt.Sprintf("AIA %s %s (not sent; downloaded): %s", Escape(cr.Role), Escape(strconv.Quote(checks.Name(cr.Cert))), st)
		}
		if cr.Note != "" && len(cr.Answers) == 0 {
			line += " — " + Escape(cr.Note)
		}
		pg.line(fold(line, pg.width, "  ", "      "))
		for _, a := range cr.Answers {
			pg.line(fold(keepDates.Replace(Escape(a.String())), pg.width, "      ", "        "))
		}
	}
	if len(statuses) > 0 || len(scts) > 0 {
		pg.line(p.bold.Sprint("Certificate Transparency"))
	}
	if len(scts) == 0 {
		pg.line("  SCTs: none")
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
		parts = append(parts, fmt.Sprintf("%d from the %s", bySource[src], Escape(src)))
	}
	pg.para("  ", "    ", fmt.Sprintf("SCTs: %d (%s; parsed, not verified: no log list)", len(scts), strings.Join(parts, ", ")))
	for _, s := range scts {
		if s.Problem != "" {
			pg.para("    - ", "      ", Escape(s.Source)+": "+Escape(s.Problem))
			continue
		}
		pg.line(fold(fmt.Sprintf("log %s %s", base64.StdEncoding.EncodeToString(s.LogID), keep("at "+s.Timestamp.UTC().Format(time.RFC3339)+" ("+Escape(s.Source)+")")), pg.width, "    - ", "      "))
	}
}
