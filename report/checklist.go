package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// CheckList writes `tlsdoctor checks`: every check's ID, severity and
// what it looks for, in the order they run. When the page leaves room
// for the description beside them it is three aligned columns, the
// description folded in its own; otherwise each check is its ID and
// severity on one line and the description folded under it.
func CheckList(w io.Writer, cs []checks.Check, o TextOptions) error {
	width := pageWidth(o)
	idWidth := len("ID")
	for _, c := range cs {
		idWidth = max(idWidth, len(c.ID))
	}
	const sevWidth = len("SEVERITY")
	left := idWidth + 2 + sevWidth + 2
	var b bytes.Buffer
	if width-left >= 40 {
		pad := strings.Repeat(" ", left)
		fmt.Fprintf(&b, "%-*s  %-*s  %s\n", idWidth, "ID", sevWidth, "SEVERITY", "LOOKS FOR")
		for _, c := range cs {
			first := fmt.Sprintf("%-*s  %-*s  ", idWidth, Escape(c.ID), sevWidth, c.Severity)
			fmt.Fprintln(&b, fold(Escape(c.Title), min(width, left+maxProse), first, pad))
		}
		return writeTerminal(w, b.Bytes(), false)
	}
	for _, c := range cs {
		fmt.Fprintf(&b, "%s (%s)\n", Escape(c.ID), c.Severity)
		fmt.Fprintln(&b, fold(Escape(c.Title), width, "    ", "    "))
	}
	return writeTerminal(w, b.Bytes(), false)
}

// Banner writes a heading between reports (the demo's): the title and
// its description on one line when they fit the page, else the title
// alone and the description folded under it.
func Banner(w io.Writer, title, desc string, o TextOptions) error {
	pg := newPage(w, o)
	line := "════ " + Escape(title) + " — " + Escape(desc) + " ════"
	if desc == "" {
		line = "════ " + Escape(title) + " ════"
	}
	if textWidth(line) > pg.width {
		line = "════ " + Escape(title) + " ════\n" + fold(Escape(desc), pg.prose, "     ", "     ")
	}
	return writeTerminal(w, []byte(line+"\n"), false)
}
