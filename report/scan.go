package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// scanTables prints the --scan result: one line per version and, for
// each supported version, a table of its suites coloured by verdict (a
// list when the table would not fit the page).
func scanTables(pg *page, sc *probe.Scan) {
	if sc == nil {
		return
	}
	p := pg.p
	head := fmt.Sprintf("Protocols and cipher suites (%d handshakes, %.1f s, at most %d at once)", sc.Handshakes, sc.DurationMS/1000, sc.MaxConns)
	if sc.Incomplete {
		head = fmt.Sprintf("Protocols and cipher suites: INCOMPLETE (%d handshakes, %.1f s, at most %d at once)", sc.Handshakes, sc.DurationMS/1000, sc.MaxConns)
	}
	pg.heading(head)
	for _, v := range sc.Versions {
		if !v.Supported && v.Untested != "" {
			// Never tried, or no conclusive answer: not a refusal.
			pg.para(fmt.Sprintf("  %-8s ", Escape(v.Version)), "           ", p.warn.Sprint("not tested")+" ("+Escape(v.Untested)+")")
			continue
		}
		if !v.Supported {
			why := Escape(v.Refusal)
			if why == "" {
				why = "not accepted"
			}
			pg.para(fmt.Sprintf("  %-8s ", Escape(v.Version)), "           ", p.dim.Sprint("no")+" "+p.dim.Sprint("("+why+")"))
			continue
		}
		pref := orderNote(v.Preference)
		dh := ""
		if v.DHBits > 0 {
			dh = fmt.Sprintf(", DH %d bits", v.DHBits)
			if v.DHGroup != "" {
				dh += " (" + Escape(v.DHGroup) + ")"
			}
		}
		verdict := p.ok.Sprint("yes")
		if v.VersionID <= 0x0300 {
			verdict = p.err.Sprint("yes")
		} else if v.VersionID < 0x0303 {
			verdict = p.warn.Sprint("yes")
		}
		found := fmt.Sprintf("%d suites", len(v.Suites))
		if v.SuitesIncomplete {
			found = fmt.Sprintf("%d suites found before the scan was cut short; there may be more", len(v.Suites))
		}
		pg.para(fmt.Sprintf("  %-8s ", Escape(v.Version)), "           ", fmt.Sprintf("%s (%s%s%s)", verdict, found, pref, dh))
		suiteTable(pg, v)
	}
	if len(sc.Groups) > 0 {
		var names []string
		for _, g := range sc.Groups {
			names = append(names, Escape(g.Name))
		}
		pg.para(fmt.Sprintf("  groups (%s%s): ", Escape(sc.GroupsVersion), orderNote(sc.GroupsPreference)), "    ", strings.Join(names, ", "))
	}
	if len(sc.GroupsTLS12) > 0 {
		var names []string
		for _, g := range sc.GroupsTLS12 {
			names = append(names, Escape(g.Name))
		}
		pg.para(fmt.Sprintf("  groups (TLS 1.2 ECDHE%s): ", orderNote(sc.GroupsTLS12Preference)), "    ", strings.Join(names, ", "))
	}
	if len(sc.SigAlgs) > 0 {
		var names []string
		for _, a := range sc.SigAlgs {
			names = append(names, Escape(a.Name))
		}
		pg.para(fmt.Sprintf("  signature algorithms (TLS 1.2%s): ", orderNote(sc.SigAlgsPreference)), "    ", strings.Join(names, ", "))
	}
	for _, e := range sc.Errors {
		pg.para(p.warn.Sprint("  incomplete: "), "    ", Escape(e))
	}
}

// suiteTable prints the suites of one version: a table when it fits,
// else one line per suite.
func suiteTable(pg *page, v probe.ScanVersion) {
	p := pg.p
	type row struct{ name, openssl, kx, bits, verdict string }
	var rows []row
	for _, su := range v.Suites {
		info := ciphersuite.Lookup(su.ID)
		sev, why := checks.SuiteVerdict(su.ID)
		kx := info.KeyExchange
		switch {
		case kx == "TLS13":
			kx = "(TLS 1.3)"
		case su.Group != "":
			kx += " " + Escape(su.Group)
		case su.DHBits > 0:
			kx += " " + strconv.Itoa(su.DHBits)
		}
		if info.Auth != "" && info.Auth != info.KeyExchange {
			kx += "/" + info.Auth
		}
		verdict := p.ok.Sprint("ok")
		if sev > 0 {
			verdict = p.sev(sev).Sprint(sev.String()) + ": " + shortReasons(why)
		}
		rows = append(rows, row{Escape(su.Name), info.OpenSSL(), kx, strconv.Itoa(info.Bits), verdict})
	}
	fitTable(pg.w, pg.width, func(w io.Writer) {
		tbl := tablewriter.NewTable(w,
			tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
			tablewriter.WithHeader([]string{"SUITE", "OPENSSL", "KX", "BITS", "VERDICT"}),
			tablewriter.WithHeaderAutoFormat(tw.Off),
			tablewriter.WithRowAutoWrap(tw.WrapNone),
		)
		for _, r := range rows {
			_ = tbl.Append([]string{r.name, r.openssl, r.kx, r.bits, r.verdict})
		}
		_ = tbl.Render()
	}, func(w io.Writer) {
		for _, r := range rows {
			what := r.name
			if r.openssl != "" && r.openssl != r.name {
				what += " (" + r.openssl + ")"
			}
			fmt.Fprintln(w, fold(what+" · "+keep(r.kx)+" · "+keep(r.bits+" bits")+" · "+keep(r.verdict), pg.width, "    - ", "      "))
		}
	})
}

// shortReasons keeps the part of each reason before the colon.
func shortReasons(why []string) string {
	var out []string
	for _, r := range why {
		r, _, _ = strings.Cut(r, ":")
		r, _, _ = strings.Cut(r, " (")
		out = append(out, r)
	}
	return strings.Join(out, ", ")
}

// orderNote says whose order a list follows: ", server order" or
// ", client order" (ours), nothing when it could not be told.
func orderNote(preference string) string {
	if preference == "" {
		return ""
	}
	return ", " + Escape(preference) + " order"
}
