package cli

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// terminalWidth is the width to fit text to on w: $COLUMNS when set, else
// the terminal's width when w is one, else 0 (unknown).
func terminalWidth(env Env, w any) int {
	if n, err := strconv.Atoi(env.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 0
	}
	return int(ws.Col)
}
