package checks

import (
	"strings"
)

// StepKind says what a fix step is: prose, a command to run, or a setting.
type StepKind string

const (
	// StepText is prose: what to do and why, for people.
	StepText StepKind = "text"
	// StepCommand is one POSIX shell command line (sh, bash, zsh), meant
	// to be pasted as printed. Every value in it that came from the
	// network, a file or a record is quoted with ShellQuote.
	StepCommand StepKind = "command"
	// StepConfig is a configuration snippet (one or more lines) for the
	// program named in Step.For: an nginx directive, a Java system
	// property, a Spring property, an openssl.cnf section.
	StepConfig StepKind = "config"
)

// Step is one step of a fix. A finding's fix is a list of steps; report/
// renders them in text and JSON from the same data, and tests run the
// commands (openssl, keytool, curl) against the fixture that produced the
// finding.
type Step struct {
	Kind StepKind `json:"kind"`
	// For names the tool a command runs ("openssl", "keytool", "curl",
	// "tlsdoctor", "sh") or the program a setting belongs to ("nginx",
	// "apache", "java", "spring", "mulesoft", "tomcat", "go", "python",
	// "node", "openssl.cnf"). Empty for prose.
	For string `json:"for,omitempty"`
	// Text is the prose, the command line or the snippet. A command is
	// one line; a snippet may span lines.
	Text string `json:"text"`
}

// Say is a prose step.
func Say(text string) Step { return Step{Kind: StepText, Text: text} }

// Cmd is a command step for tool. Build line with ShellQuote around every
// value that did not come from tlsdoctor itself.
func Cmd(tool, line string) Step { return Step{Kind: StepCommand, For: tool, Text: line} }

// Set is a configuration step for program.
func Set(program, snippet string) Step { return Step{Kind: StepConfig, For: program, Text: snippet} }

// ShellQuote quotes s as one word for a POSIX shell. Words made only of
// characters no shell treats specially are left as they are, so the
// usual command reads as people type it.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./-_", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// FixText renders steps as plain text, one step per line (a snippet keeps
// its own lines): the form used for the JSON "remediation" string and the
// stderr hint.
func FixText(steps []Step) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 {
			b.WriteByte('\n')
		}
		switch s.Kind {
		case StepConfig:
			if s.For != "" {
				b.WriteString(s.For + ": ")
			}
			b.WriteString(s.Text)
		case StepCommand:
			b.WriteString("  " + s.Text)
		default:
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

// Commands returns the command steps of fs for tool (all tools when tool
// is empty), in order: what tests run.
func Commands(steps []Step, tool string) []string {
	var out []string
	for _, s := range steps {
		if s.Kind == StepCommand && (tool == "" || s.For == tool) {
			out = append(out, s.Text)
		}
	}
	return out
}
