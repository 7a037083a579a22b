package cli

import (
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/textdist"
)

// subcommands are tlsdoctor's subcommands, for suggestions.
var subcommands = []string{"diagnose", "checks", "demo", "version", "help"}

// wordHints are words people type for a subcommand or flag.
var wordHints = map[string]string{
	"man":    "tlsdoctor --help",
	"usage":  "tlsdoctor --help",
	"list":   "tlsdoctor checks",
	"scan":   "tlsdoctor --scan HOST",
	"record": "tlsdoctor diagnose --record FILE",
	"replay": "tlsdoctor diagnose --record FILE",
	"test":   "tlsdoctor demo",
}

// targetMistake says why a target argument is not a host to look up:
// "-" (tlsdoctor reads no target from stdin) or a bare word that is a
// mistyped subcommand ("check", "man"), which would otherwise become a
// DNS lookup of "check" on port 443. A real single-label host can still
// be given with its port ("check:443").
func targetMistake(arg string) error {
	if arg == "-" {
		return &usageError{msg: `"-" is not a host: tlsdoctor reads no target from standard input`,
			hint: "give the host as an argument: tlsdoctor example.com (or diagnose a saved record: tlsdoctor diagnose --record FILE)"}
	}
	word := strings.ToLower(arg)
	if word == "" || strings.ContainsAny(word, ".:/[") || word == "localhost" {
		return nil
	}
	for _, r := range word {
		if r < 'a' || r > 'z' {
			return nil
		}
	}
	suggest := wordHints[word]
	for _, s := range subcommands {
		if suggest == "" && len(word) >= 3 && textdist.Distance(word, s) <= 2 {
			suggest = "tlsdoctor " + s
		}
	}
	if suggest == "" {
		return nil
	}
	return &usageError{msg: fmt.Sprintf("%q is not a tlsdoctor subcommand, and tlsdoctor will not look it up as a host name", arg),
		hint: fmt.Sprintf("did you mean '%s'? For a host of that name give its port: tlsdoctor %s:443", suggest, arg)}
}
