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

// JVMOptionQuote quotes one JVM option so that it is one word both on a
// java command line (sh) and in JAVA_TOOL_OPTIONS, which the JVM splits
// on whitespace with single or double quotes grouping and no escapes:
// plain when safe; in double quotes when it holds no character sh treats
// specially inside them (a path with ' or a space); else as ShellQuote
// does (a JVM then cannot take it unless it has no ').
func JVMOptionQuote(s string) string {
	if q := ShellQuote(s); q == s || !strings.Contains(s, "'") {
		return q
	}
	if !strings.ContainsAny(s, "\"$`\\!") {
		return `"` + s + `"`
	}
	return ShellQuote(s)
}

// programLabels are how report/ and FixText name the program a setting
// belongs to.
var programLabels = map[string]string{
	"nginx":         "nginx",
	"apache":        "Apache httpd",
	"java":          "Java system properties (java -D..., or JAVA_TOOL_OPTIONS)",
	"java.security": "Java security properties ($JAVA_HOME/conf/security/java.security)",
	"spring":        "Spring Boot (application.properties)",
	"mulesoft":      "MuleSoft (the TLS context of the connector)",
	"tomcat":        "Tomcat (server.xml, the SSLHostConfig of the connector)",
	"go":            "Go",
	"python":        "Python",
	"node":          "Node.js",
	"dotnet":        ".NET on Linux (the openssl.cnf it reads, OPENSSL_CONF)",
	"openssl.cnf":   "openssl.cnf",
	"haproxy":       "HAProxy",
}

// ProgramLabel names the program of a setting step for people.
func ProgramLabel(program string) string {
	if l, ok := programLabels[program]; ok {
		return l
	}
	return program
}

// FixText renders steps as plain text, one step per line (a snippet keeps
// its own lines, under the name of its program): the form used for the
// JSON "remediation" string. report/ prints the same steps the same way,
// indented.
func FixText(steps []Step) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 {
			b.WriteByte('\n')
		}
		switch s.Kind {
		case StepConfig:
			if s.For != "" {
				b.WriteString(ProgramLabel(s.For) + ":\n")
			}
			b.WriteString("  " + strings.ReplaceAll(s.Text, "\n", "\n  "))
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

// Hint is the first step of a fix that can be acted on by itself, as one
// line: a sentence with the command or one-line setting it introduces
// ("Trust the root: keytool -importcert ..."), a sentence that says what
// to do, or a command. A sentence that only introduces other sentences
// ("Two ways out:") is never a hint on its own. Empty when there is no
// fix.
func Hint(steps []Step) string {
	for i, s := range steps {
		switch s.Kind {
		case StepCommand:
			return "run: " + s.Text
		case StepConfig:
			if !strings.Contains(s.Text, "\n") {
				return ProgramLabel(s.For) + ": " + s.Text
			}
			continue
		}
		text := strings.TrimSpace(s.Text)
		if !strings.HasSuffix(text, ":") {
			return text
		}
		if i+1 < len(steps) {
			switch next := steps[i+1]; {
			case next.Kind == StepCommand:
				return text + " " + next.Text
			case next.Kind == StepConfig && !strings.Contains(next.Text, "\n"):
				return text + " in " + ProgramLabel(next.For) + ", " + next.Text
			case next.Kind == StepConfig:
				return strings.TrimSuffix(text, ":") + " (the settings are in the report)."
			}
		}
	}
	return ""
}
