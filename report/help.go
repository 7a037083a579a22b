package report

import (
	"strings"
)

// FoldHelp lays out a command's usage text for a page width columns
// wide, so that `tlsdoctor --help` reads at 80 columns whatever the text's
// authors wrapped it at. A line that fits is kept. A longer one is folded
// at spaces under its description column: the column after the first gap
// of two or more spaces ("      --sni NAME           send NAME as SNI…")
// or, for a continuation line, its own indentation. Example and command
// lines ("  tlsdoctor …") are never folded, so that they paste as printed.
func FoldHelp(text string, width int) string {
	if width <= 0 {
		width = defaultWidth
	}
	width = max(width, minWidth)
	lines := strings.Split(text, "\n")
	var out []string
	for i := 0; i < len(lines); {
		l := lines[i]
		if isCommandLine(l) || strings.TrimSpace(l) == "" {
			out = append(out, l)
			i++
			continue
		}
		// A block: this line and the continuation lines indented to its
		// description column.
		// A line without a gap (a flag alone, or a description that
		// goes on from the line above) starts a block of the lines at
		// its own indentation.
		col := descColumn(l)
		j := i + 1
		for j < len(lines) && indentOf(lines[j]) == col && descColumn(lines[j]) == col && !isCommandLine(lines[j]) {
			j++
		}
		wide := false
		for _, b := range lines[i:j] {
			wide = wide || textWidth(b) > width
		}
		switch {
		case !wide:
			out = append(out, lines[i:j]...)
		case col > width/2 || (col == indentOf(l) && col < 8):
			// No description column to fold under: a paragraph.
			out = append(out, fold(strings.TrimLeft(l, " "), width, l[:indentOf(l)], l[:indentOf(l)]+"    "))
			j = i + 1
		default:
			desc := []string{strings.TrimSpace(l[col:])}
			for _, b := range lines[i+1 : j] {
				desc = append(desc, strings.TrimSpace(b))
			}
			out = append(out, fold(strings.Join(desc, " "), width, l[:col], strings.Repeat(" ", col)))
		}
		i = j
	}
	return strings.Join(out, "\n")
}

func indentOf(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

// isCommandLine reports an example line: an indented command with no
// description beside it.
func isCommandLine(l string) bool {
	t := strings.TrimLeft(l, " ")
	if len(t) == len(l) || strings.Contains(t, "  ") {
		return false
	}
	return strings.HasPrefix(t, "tlsdoctor ") || strings.HasPrefix(t, "e.g. tlsdoctor ")
}

// descColumn is where a help line's description starts: after the first
// run of two or more spaces that follows text, or the line's indentation
// when it has no such gap (a continuation).
func descColumn(l string) int {
	indent := len(l) - len(strings.TrimLeft(l, " "))
	if i := strings.Index(l[indent:], "  "); i > 0 {
		j := indent + i
		for j < len(l) && l[j] == ' ' {
			j++
		}
		return j
	}
	return indent
}
