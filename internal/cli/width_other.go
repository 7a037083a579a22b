//go:build !unix

package cli

import "os"

// terminalColumns is 0 where the width is not read: COLUMNS or 80 apply.
func terminalColumns(*os.File) int { return 0 }
