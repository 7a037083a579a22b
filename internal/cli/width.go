package cli

import (
	"os"
	"strconv"

	"github.com/mattn/go-isatty"
)

// terminalWidth is the width to fit text to on w: $COLUMNS when set, else
// the terminal's width when w is one, else 0 (unknown).
func terminalWidth(env Env, w any) int {
	if n, err := strconv.Atoi(env.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		return terminalColumns(f)
	}
	return 0
}

// textWidth is the number of columns the text report fits: COLUMNS when
// it is set to a number (so `COLUMNS=120 tlsdoctor … | less` works), else
// the terminal's width when stdout is one, else 80 — a pipe or a file
// gets the width every terminal, mail and log viewer shows whole.
func textWidth(env Env) int {
	if n := terminalWidth(env, env.Stdout); n > 0 {
		return n
	}
	return 80
}
