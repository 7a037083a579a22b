package report

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tlsdoctor/tlsdoctor/internal/safetext"
)

// Escaping at the edge. Every string a renderer writes may have come from
// a server, a file or a record, so none reaches a terminal raw:
//
//   - a value is escaped where it is written, with Escape (one line: a
//     newline or tab in a subject CN becomes \n or \t, so it cannot forge
//     a line or break a table row) or escapeProse (a finding's detail,
//     whose paragraphs are the layout's);
//   - then everything a text renderer produced goes through
//     writeTerminal, which escapes any control or bidi character that is
//     left, whatever the field, except the newlines and tabs of the layout
//     and, when colour is on, the colour codes of the palette. A renderer
//     that forgets a field still cannot move the cursor, ring the bell,
//     retitle the window or reorder the line.
//
// JSON keeps the data exact: the encoder escapes C0 controls, and
// writeJSON escapes DEL, C1 and bidi controls the same way (\u202e),
// which a JSON reader decodes back to the same string.

// Escape makes s safe to print on one line: C0 controls (tab and newline
// included), DEL, C1 controls, the bidi controls (U+061C, U+200E, U+200F,
// U+202A–U+202E, U+2066–U+2069) and every other format character
// (zero-width ones included), the line and paragraph separators,
// unassigned and private-use code points and invalid UTF-8 are shown as
// Go-style escapes (\x1b, \n, \u202e, \xff). Everything else, other
// scripts included, is left as it is. It is internal/safetext's Line, the
// one mechanism every renderer and the exporter's labels use.
func Escape(s string) string { return safetext.Line(s) }

// Clean is Escape, for one line of text outside report/ (progress on
// stderr).
func Clean(s string) string { return Escape(s) }

// escapeProse is Escape for multi-line text: newlines are kept.
func escapeProse(s string) string { return safetext.Prose(s) }

// escapeLayout is Escape for text whose newlines and tabs are its own
// (an error message, Markdown and JUnit text).
func escapeLayout(s string) string {
	return safetext.Text(s, safetext.KeepNewlines|safetext.KeepTabs)
}

// unsafeRune reports the non-ASCII runes Escape escapes: the ones that
// act on a terminal or change what it shows without being seen.
func unsafeRune(r rune) bool { return r >= utf8.RuneSelf && safetext.Unsafe(r) }

// writeTerminal writes text output to w with every control and bidi
// character escaped except newlines and tabs and, when sgr is set, the
// SGR colour sequences (ESC [ digits and semicolons m) the palette
// writes. Field values were escaped already (Escape), so an ESC left in
// the output is the palette's own.
func writeTerminal(w io.Writer, out []byte, sgr bool) error {
	var b bytes.Buffer
	b.Grow(len(out))
	for i := 0; i < len(out); {
		c := out[i]
		if c == 0x1b && sgr {
			if n := sgrLen(out[i:]); n > 0 {
				b.Write(out[i : i+n])
				i += n
				continue
			}
		}
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && c != '\n' && c != '\t' {
				b.WriteString(safetext.Byte(c))
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(out[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(safetext.Byte(c))
		case unsafeRune(r):
			b.WriteString(safetext.Rune(r))
		default:
			b.Write(out[i : i+n])
		}
		i += n
	}
	_, err := w.Write(b.Bytes())
	return err
}

// sgrLen is the length of the SGR sequence at the start of p, or 0.
func sgrLen(p []byte) int {
	if len(p) < 3 || p[0] != 0x1b || p[1] != '[' {
		return 0
	}
	for i := 2; i < len(p) && i < 32; i++ {
		switch c := p[i]; {
		case c == 'm':
			return i + 1
		case c >= '0' && c <= '9', c == ';':
		default:
			return 0
		}
	}
	return 0
}

// writeJSON writes encoded JSON to w with DEL and the runes Escape
// escapes that encoding/json leaves raw (C1 controls, bidi and other
// format characters, ...) written as \u escapes (a surrogate pair above
// U+FFFF). They can only occur inside JSON strings, where the escape means
// the same character, so the data stays exact.
func writeJSON(w io.Writer, out []byte) error {
	var b bytes.Buffer
	b.Grow(len(out))
	for i := 0; i < len(out); {
		if out[i] < utf8.RuneSelf {
			if out[i] == 0x7f {
				b.WriteString(`\u007f`)
			} else {
				b.WriteByte(out[i])
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(out[i:])
		if unsafeRune(r) {
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		} else {
			b.Write(out[i : i+n])
		}
		i += n
	}
	_, err := w.Write(b.Bytes())
	return err
}

// TerminalWriter returns a writer that escapes what is written to w the
// way Text's output is (colour codes included): for the lines a command
// prints around a report, such as errors and progress on stderr.
func TerminalWriter(w io.Writer) io.Writer { return &terminalWriter{w: w} }

// Unwrap returns the writer a TerminalWriter writes to (w itself for any
// other writer): for a caller that must ask whether it is a terminal, or
// draw a live line with its own carriage returns from escaped text.
func Unwrap(w io.Writer) io.Writer {
	if t, ok := w.(*terminalWriter); ok {
		return t.w
	}
	return w
}

type terminalWriter struct {
	w    io.Writer
	tail []byte // an incomplete UTF-8 sequence from the last Write
}

func (t *terminalWriter) Write(p []byte) (int, error) {
	buf := append(t.tail, p...)
	t.tail = nil
	// Keep back a UTF-8 sequence cut by the end of p.
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-utf8.UTFMax; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				t.tail = append([]byte(nil), buf[i:]...)
				buf = buf[:i]
			}
			break
		}
	}
	if err := writeTerminal(t.w, buf, false); err != nil {
		return 0, err
	}
	return len(p), nil
}
