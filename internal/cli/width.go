package cli

import (
	"os"
	"strconv"

	"github.com/mattn/go-isatty"
)

// textWidth is the number of columns the text report fits: COLUMNS when
// it is set to a number (so `COLUMNS=120 tlsdoctor … | less` works), else
// the terminal's width when stdout is one, else 80 — a pipe or a file
// gets the width every terminal, mail and log viewer shows whole.
func textWidth(env Env) int {
	if n, err := strconv.Atoi(env.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := env.Stdout.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		if n := terminalColumns(f); n > 0 {
			return n
		}
	}
	return 80
}
