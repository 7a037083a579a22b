package report

import (
	"bytes"
	"io"
	"regexp"
	"strings"

	"github.com/mattn/go-runewidth"
)

// Layout. Text output fits TextOptions.Width columns (80 when unset, the
// width of a classic terminal and of a pipe; see internal/cli for how the
// width is chosen): prose is folded at spaces with a hanging indent, and a
// table that would be wider than the page is printed stacked instead (one
// block per row), so that no row is broken by the terminal. Prose is
// folded at no more than maxProse columns even on a wide terminal, to
// stay readable. Words are never cut: a URL, a fingerprint or a command
// longer than the line stays whole (the terminal wraps it, and copying it
// gives it back intact), and `code spans` are kept on one line.

const (
	defaultWidth = 80
	minWidth     = 40
	maxProse     = 100
)

// unlimited is the page width of TextOptions{Width: -1}: nothing is
// folded and tables are never stacked.
const unlimited = 1 << 30

// pageWidth is the width to lay out for.
func pageWidth(o TextOptions) int {
	switch {
	case o.Width < 0:
		return unlimited
	case o.Width == 0:
		return defaultWidth
	case o.Width < minWidth:
		return minWidth
	}
	return o.Width
}

// proseWidth is the width prose is folded at.
func proseWidth(o TextOptions) int {
	if o.Width < 0 {
		return unlimited
	}
	return min(pageWidth(o), maxProse)
}

// textWidth is how many columns s takes, colour codes aside.
func textWidth(s string) int { return runewidth.StringWidth(stripSGR(s)) }

var sgrRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripSGR(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return sgrRE.ReplaceAllString(s, "")
}

// nbsp joins words that must stay on one line ("12 ms", "128 bits");
// fold writes it as a plain space.
const nbsp = "\u00a0"

// keep makes s one unbreakable word for fold.
func keep(s string) string { return strings.ReplaceAll(s, " ", nbsp) }

// fold folds text to width columns: the first line starts with first, the
// others with rest. Each line of text is a paragraph; a line that starts
// with a space is kept as it is (an indented command or snippet).
func fold(text string, width int, first, rest string) string {
	return strings.ReplaceAll(foldWords(text, width, first, rest), nbsp, " ")
}

func foldWords(text string, width int, first, rest string) string {
	var out []string
	prefix := first
	for _, para := range strings.Split(text, "\n") {
		if strings.HasPrefix(para, " ") || para == "" {
			out = append(out, strings.TrimRight(prefix+para, " "))
			prefix = rest
			continue
		}
		var line strings.Builder
		line.WriteString(prefix)
		cols, empty := textWidth(prefix), true
		restCols := textWidth(rest)
		for _, word := range words(para) {
			w := textWidth(word)
			if !empty && cols+1+w > width {
				out = append(out, line.String())
				line.Reset()
				line.WriteString(rest)
				line.WriteString(word)
				cols = restCols + w
				continue
			}
			if !empty {
				line.WriteByte(' ')
				cols++
			}
			line.WriteString(word)
			cols += w
			empty = false
		}
		out = append(out, line.String())
		prefix = rest
	}
	return strings.Join(out, "\n")
}

// words splits a paragraph at spaces, keeping `code spans` whole.
func words(para string) []string {
	var out []string
	var cur strings.Builder
	inCode := false
	for _, r := range para {
		switch {
		case r == '`':
			inCode = !inCode
			cur.WriteRune(r)
		case r == ' ' && !inCode:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// widest is the width of the widest line of s.
func widest(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, textWidth(l))
	}
	return n
}

// fitTable writes the table render draws when it fits width, else what
// stacked writes.
func fitTable(w io.Writer, width int, render func(io.Writer), stacked func(io.Writer)) {
	var b bytes.Buffer
	render(&b)
	if widest(b.String()) <= width {
		_, _ = w.Write(b.Bytes())
		return
	}
	stacked(w)
}

// styled applies a colour to each line of s, so that a folded heading
// keeps its colour on every line and no colour code spans a newline.
func styled(c interface{ Sprint(...any) string }, s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = c.Sprint(l)
	}
	return strings.Join(lines, "\n")
}
