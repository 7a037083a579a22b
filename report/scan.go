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
// each supported version, a table of its suites coloured by verdict.
func scanTables(w io.Writer, p palette, sc *probe.Scan) {
	if sc == nil {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, p.bold.Sprintf("Protocols and cipher suites (%d handshakes, %.1f s, at most %d at once)", sc.Handshakes, sc.DurationMS/1000, sc.MaxConns))
	for _, v := range sc.Versions {
		if !v.Supported {
			why := v.Refusal
			if why == "" {
				why = "not accepted"
			}
			fmt.Fprintf(w, "  %-8s %s %s\n", v.Version, p.dim.Sprint("no"), p.dim.Sprint("("+why+")"))
			continue
		}
		pref := orderNote(v.Preference)
		dh := ""
		if v.DHBits > 0 {
			dh = fmt.Sprintf(", DH %d bits", v.DHBits)
			if v.DHGroup != "" {
				dh += " (" + v.DHGroup + ")"
			}
		}
		verdict := p.ok.Sprint("yes")
		if v.VersionID <= 0x0300 {
			verdict = p.err.Sprint("yes")
		} else if v.VersionID < 0x0303 {
			verdict = p.warn.Sprint("yes")
		}
		fmt.Fprintf(w, "  %-8s %s (%d suites%s%s)\n", v.Version, verdict, len(v.Suites), pref, dh)
		tbl := tablewriter.NewTable(w,
			tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
			tablewriter.WithHeader([]string{"SUITE", "OPENSSL", "KX", "BITS", "VERDICT"}),
			tablewriter.WithHeaderAutoFormat(tw.Off),
		)
		for _, su := range v.Suites {
			info := ciphersuite.Lookup(su.ID)
			sev, why := checks.SuiteVerdict(su.ID)
			kx := info.KeyExchange
			switch {
			case kx == "TLS13":
				kx = "(TLS 1.3)"
			case su.Group != "":
				kx += " " + su.Group
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
			_ = tbl.Append([]string{su.Name, info.OpenSSL(), kx, strconv.Itoa(info.Bits), verdict})
		}
		_ = tbl.Render()
	}
	if len(sc.Groups) > 0 {
		var names []string
		for _, g := range sc.Groups {
			names = append(names, g.Name)
		}
		fmt.Fprintf(w, "  groups (%s%s): %s\n", sc.GroupsVersion, orderNote(sc.GroupsPreference), strings.Join(names, ", "))
	}
	if len(sc.GroupsTLS12) > 0 {
		var names []string
		for _, g := range sc.GroupsTLS12 {
			names = append(names, g.Name)
		}
		fmt.Fprintf(w, "  groups (TLS 1.2 ECDHE%s): %s\n", orderNote(sc.GroupsTLS12Preference), strings.Join(names, ", "))
	}
	if len(sc.SigAlgs) > 0 {
		var names []string
		for _, a := range sc.SigAlgs {
			names = append(names, a.Name)
		}
		fmt.Fprintf(w, "  signature algorithms (TLS 1.2%s): %s\n", orderNote(sc.SigAlgsPreference), strings.Join(names, ", "))
	}
	for _, e := range sc.Errors {
		fmt.Fprintln(w, p.warn.Sprint("  incomplete: ")+e)
	}
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
	return ", " + preference + " order"
}
