// Package safetext is the one way tlsdoctor makes a string that came from
// a server, a file or a record safe to show: on a terminal, in a Markdown
// or JUnit document, in a Prometheus label value. Every character that a
// terminal acts on or that changes what a reader sees without being
// visible itself is written as a Go-style escape; everything else, other
// scripts included, is left as it is.
//
// Escaped: C0 controls and DEL (\x1b, and \n, \t, \r by name), C1
// controls (\u009b), every format character (the bidi controls U+061C,
// U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, the zero-width U+200B–
// U+200D, U+2060, U+FEFF, the soft hyphen, tag characters), the line and
// paragraph separators U+2028 and U+2029, private-use, surrogate and
// unassigned code points (U+FFFE and U+FFFF among them) and invalid UTF-8
// (\xff, byte by byte). A backslash is not escaped: the output is for
// reading, not for decoding.
//
// It is a leaf: it imports only the standard library, so report/ and
// exporter/ can both use it. It holds no state.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Keep names the layout characters a caller keeps raw.
type Keep uint8

const (
	// KeepNewlines keeps '\n' (multi-line text).
	KeepNewlines Keep = 1 << iota
	// KeepTabs keeps '\t'.
	KeepTabs
)

// Line is s made safe to show on one line: a newline or tab becomes \n
// or \t, so it cannot forge a line or break a table row.
func Line(s string) string { return Text(s, 0) }

// Prose is Line for multi-line text: newlines are kept.
func Prose(s string) string { return Text(s, KeepNewlines) }

// Text is s with every unsafe character escaped except the layout
// characters keep names.
func Text(s string, keep Keep) string {
	i := firstUnsafe(s, keep)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		n := writeNext(&b, s[i:], keep)
		i += n
	}
	return b.String()
}

// LineMax is Line cut to at most max bytes (plus "…" when cut), never
// inside an escape or a UTF-8 sequence: for a bounded value such as a
// label.
func LineMax(s string, max int) string {
	if len(s) <= max && firstUnsafe(s, 0) < 0 {
		return s
	}
	var b strings.Builder
	var piece strings.Builder
	for i := 0; i < len(s); {
		piece.Reset()
		i += writeNext(&piece, s[i:], 0)
		if b.Len()+piece.Len() > max {
			b.WriteString("…")
			return b.String()
		}
		b.WriteString(piece.String())
	}
	return b.String()
}

// Unsafe reports whether r is a rune Text escapes (in any layout; see
// Keep for '\n' and '\t').
func Unsafe(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return !unicode.IsGraphic(r)
}

// Rune is the escape Text writes for the unsafe rune r: \n, \t, \r,
// \xNN below U+0080, \uNNNN, \UNNNNNNNN.
func Rune(r rune) string {
	switch r {
	case '\n':
		return `\n`
	case '\t':
		return `\t`
	case '\r':
		return `\r`
	}
	switch {
	case r < utf8.RuneSelf:
		return `\x` + hex(uint32(r), 2)
	case r <= 0xffff:
		return `\u` + hex(uint32(r), 4)
	}
	return `\U` + hex(uint32(r), 8)
}

// Byte is the escape of a byte that does not start valid UTF-8.
func Byte(c byte) string { return `\x` + hex(uint32(c), 2) }

// firstUnsafe is the index of the first byte of s that Text changes, or
// -1.
func firstUnsafe(s string, keep Keep) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if Unsafe(rune(c)) && !kept(rune(c), keep) {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || Unsafe(r) {
			return i
		}
		i += n
	}
	return -1
}

// writeNext writes the first rune of s (s not empty), escaped when
// unsafe, and returns its length in bytes.
func writeNext(b *strings.Builder, s string, keep Keep) int {
	r, n := utf8.DecodeRuneInString(s)
	switch {
	case r == utf8.RuneError && n == 1:
		b.WriteString(Byte(s[0]))
	case Unsafe(r) && !kept(r, keep):
		b.WriteString(Rune(r))
	default:
		b.WriteString(s[:n])
	}
	return n
}

func kept(r rune, keep Keep) bool {
	return (r == '\n' && keep&KeepNewlines != 0) || (r == '\t' && keep&KeepTabs != 0)
}

func hex(v uint32, width int) string {
	const digits = "0123456789abcdef"
	out := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		out[i] = digits[v&15]
		v >>= 4
	}
	return string(out)
}
