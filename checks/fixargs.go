package checks

// Building the commands a fix prints from values that came from the
// network, a file or a record: each value is checked for what it must be
// (a DNS name, an IP address, a URL, a file name) and quoted for the
// shell; a value that fails is never pasted, and the step says why
// instead.

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// arg is one value for a command line, with whether it may appear in one.
type arg struct {
	s  string
	ok bool
}

// hostArg is a host name or IP address (a DNS name, an IP literal).
func hostArg(s string) arg { return arg{s, ValidHostName(s)} }

// urlArg is an http, https or ldap URL made only of URL characters.
func urlArg(s string) arg { return arg{s, ValidURL(s)} }

// fileArg is a file name the user gave (a path on their machine).
func fileArg(s string) arg { return arg{s, printableWord(s)} }

// wordArg is any other value: printable, one line, not an option.
func wordArg(s string) arg { return arg{s, printableWord(s)} }

// refusedValue is what a fix says instead of a command that would carry
// a value that cannot be pasted safely.
const refusedValue = "tlsdoctor does not print this command: a value it would carry (from the certificate, the server or the record) contains characters that cannot appear in a DNS name or a URL; see invalid-name-characters."

// command builds a command step for tool from words: a string is
// tlsdoctor's own text (an option, a file name it suggests, a redirection)
// and goes as it is; an arg is quoted with ShellQuote. When an arg is not
// valid, the step is prose saying so instead.
func command(tool string, words ...any) Step {
	var parts []string
	for _, w := range words {
		switch w := w.(type) {
		case string:
			parts = append(parts, w)
		case arg:
			if !w.ok {
				return Say(refusedValue)
			}
			parts = append(parts, ShellQuote(w.s))
		default:
			panic(fmt.Sprintf("checks.command: word of type %T", w))
		}
	}
	return Cmd(tool, strings.Join(parts, " "))
}

// printableWord is true for a value that is valid UTF-8, holds no control,
// format (bidi) or line-breaking character, and does not start with "-"
// (a tool would read it as an option).
func printableWord(s string) bool {
	if s == "" || !utf8.ValidString(s) || strings.HasPrefix(s, "-") {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// ValidDNSName reports whether s is a name that may appear in a DNS
// subjectAltName: labels of letters, digits, "-" and "_" (seen in the
// wild), separated by dots, with an optional leading "*." wildcard, at
// most 253 characters. Anything else (a newline, "]", "=", a space, a
// control character) cannot be pasted into an openssl config or a
// command line.
func ValidDNSName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	s = strings.TrimPrefix(s, "*.")
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// ValidHostName is a DNS name without a wildcard, or an IP address.
func ValidHostName(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	return !strings.Contains(s, "*") && ValidDNSName(s)
}

// ValidURL reports whether s is an http, https or ldap URL with a host,
// made only of the characters RFC 3986 allows (unreserved, reserved and
// "%"): no space, quote, backslash, control or non-ASCII character.
func ValidURL(s string) bool {
	if s == "" || len(s) > 2048 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0) {
			return false
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ldap":
	default:
		return false
	}
	return ValidHostName(u.Hostname())
}
