package checks

// Record strings in prose. A name from a certificate (CN, O, OU, a SAN),
// an acceptable-CA name, a status line, a STARTTLS or proxy answer or an
// error message came from the server, a file or the record, and may hold
// a newline, a carriage return or a bidi control. report/ escapes every
// field it writes on one line, but a finding's Detail is prose whose
// newlines it keeps as paragraphs, so a raw newline there would start a
// line of the server's choosing. The helpers that put such a string into
// a Title, Detail, Evidence line or prose step therefore return it on one
// line, escaped with internal/safetext (Line: a newline becomes \n). A
// printable string is unchanged. Values for commands are not: they go
// through the quoting of fixargs.go, which refuses what cannot be pasted.

import (
	"github.com/tlsdoctor/tlsdoctor/internal/safetext"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// oneLine is a string from a record on one line, for prose.
func oneLine(s string) string { return safetext.Line(s) }

// errText is the message of a probe error on one line: a server's alert,
// STARTTLS answer or proxy status line can be part of it.
func errText(e *probe.ProbeError) string {
	if e == nil {
		return ""
	}
	return safetext.Line(e.Message)
}
