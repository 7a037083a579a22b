package report

import (
	"strings"
	"unicode"
)

// printable is the one way the many-target renderers (fleet text,
// Markdown, JUnit) write a string that came from the network, a file or a
// record: control characters and other invisible runes are shown as
// \xNN / \u{NNNN} instead of reaching the terminal or the document raw.
// Newlines and tabs are kept only where the caller allows them (keepLines).
func printable(s string, keepLines bool) string {
	clean := true
	for _, r := range s {
		if !safeRune(r, keepLines) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == unicode.ReplacementChar && (len(s) > i && s[i] != 0xef):
			b.WriteString(`\x` + hex2(s[i]))
		case safeRune(r, keepLines):
			b.WriteRune(r)
		case r < 0x100:
			b.WriteString(`\x` + hex2(byte(r)))
		default:
			b.WriteString(`\u{` + strings.ToUpper(strconvHex(int(r))) + `}`)
		}
	}
	return b.String()
}

func safeRune(r rune, keepLines bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return keepLines
	case r == unicode.ReplacementChar:
		return false
	case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r):
		return false
	}
	return unicode.IsPrint(r) || r == ' '
}

func hex2(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

func strconvHex(n int) string {
	const digits = "0123456789abcdef"
	if n == 0 {
		return "0"
	}
	var out []byte
	for n > 0 {
		out = append([]byte{digits[n&15]}, out...)
		n >>= 4
	}
	return string(out)
}

// Clean is printable for one line of text outside report/ (progress on
// stderr): a target name from a targets file never reaches the terminal
// raw.
func Clean(s string) string { return printable(s, false) }
