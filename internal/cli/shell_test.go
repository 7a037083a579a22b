package cli

// Helpers for the tests that take the commands a fix prints and run them:
// parse each with a POSIX shell parser (mvdan.cc/sh), run it with sh -c in
// a temp dir, bounded in time, without a terminal (so that openssl and
// keytool read their passwords from stdin).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// shellCommand is one simple command of a parsed line: its words, after
// the shell's quote removal, and its redirections ("<", ">", ">>") with
// their file names.
type shellCommand struct {
	words  []string
	redirs []string
}

// parseCommand parses line as a POSIX shell command line and returns its
// simple commands (two or more for a pipeline). It fails when the line is
// anything else: several statements (";", "&&", "||", a newline), a
// background job, a subshell or compound command, a variable assignment,
// or a word that is not a plain literal (an expansion, a command
// substitution, a glob, a tilde): a command we print must do exactly what
// its words say, whatever the values in it.
func parseCommand(line string) ([]shellCommand, error) {
	if strings.ContainsAny(line, "\n\r") {
		return nil, errors.New("more than one line")
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(line), "")
	if err != nil {
		return nil, err
	}
	if len(f.Stmts) != 1 {
		return nil, fmt.Errorf("%d statements, want 1", len(f.Stmts))
	}
	return parseStmt(f.Stmts[0])
}

func parseStmt(s *syntax.Stmt) ([]shellCommand, error) {
	if s.Negated || s.Background || s.Coprocess || s.Disown {
		return nil, errors.New("not a plain statement (!, &)")
	}
	var redirs []string
	for _, r := range s.Redirs {
		if r.N != nil || r.Hdoc != nil || (r.Op != syntax.RdrIn && r.Op != syntax.RdrOut && r.Op != syntax.AppOut) {
			return nil, fmt.Errorf("redirection %s not allowed", r.Op)
		}
		w, err := literal(r.Word)
		if err != nil {
			return nil, err
		}
		redirs = append(redirs, r.Op.String()+w)
	}
	switch c := s.Cmd.(type) {
	case *syntax.CallExpr:
		if len(c.Assigns) > 0 {
			return nil, errors.New("variable assignment")
		}
		var words []string
		for _, w := range c.Args {
			lit, err := literal(w)
			if err != nil {
				return nil, err
			}
			words = append(words, lit)
		}
		return []shellCommand{{words: words, redirs: redirs}}, nil
	case *syntax.BinaryCmd:
		if c.Op != syntax.Pipe || len(redirs) > 0 {
			return nil, fmt.Errorf("operator %s not allowed", c.Op)
		}
		x, err := parseStmt(c.X)
		if err != nil {
			return nil, err
		}
		y, err := parseStmt(c.Y)
		if err != nil {
			return nil, err
		}
		return append(x, y...), nil
	}
	return nil, fmt.Errorf("%T is not a simple command", s.Cmd)
}

// literal is the value of a word made only of literal text and quotes.
func literal(w *syntax.Word) (string, error) {
	var b strings.Builder
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			v := p.Value
			for j := 0; j < len(v); j++ {
				switch c := v[j]; {
				case c == '\\' && j+1 < len(v):
					j++
					b.WriteByte(v[j])
				case !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("@%+=:,./_-", c) >= 0):
					// Unquoted, anything else may mean something to one of
					// sh, bash or zsh ($, globs, braces, ~, !, ^).
					return "", fmt.Errorf("unquoted %q in %q", c, v)
				default:
					b.WriteByte(c)
				}
			}
		case *syntax.SglQuoted:
			if p.Dollar {
				return "", errors.New("$'...' quoting")
			}
			b.WriteString(p.Value)
		default:
			return "", fmt.Errorf("word part %T is not literal", p)
		}
	}
	return b.String(), nil
}

// tlsdoctorWords reads a printed "tlsdoctor ARGS [> FILE]" line as sh
// would: the parser splits it and expand.Fields removes the quotes (with
// no variables set, no command substitution and no globbing, so that
// "$x", "$(...)" and "*" in it are errors or literal, never run). It
// returns ARGS and FILE.
func tlsdoctorWords(line string) (args []string, redirect string, err error) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(line), "")
	if err != nil {
		return nil, "", err
	}
	if len(f.Stmts) != 1 {
		return nil, "", fmt.Errorf("%d statements, want 1", len(f.Stmts))
	}
	st := f.Stmts[0]
	call, ok := st.Cmd.(*syntax.CallExpr)
	if !ok || st.Negated || st.Background || len(call.Assigns) > 0 {
		return nil, "", errors.New("not one plain command")
	}
	cfg := &expand.Config{Env: expand.ListEnviron(), NoUnset: true}
	words, err := expand.Fields(cfg, call.Args...)
	if err != nil {
		return nil, "", err
	}
	if len(words) == 0 || words[0] != "tlsdoctor" {
		return nil, "", fmt.Errorf("runs %q, not tlsdoctor", words)
	}
	for _, r := range st.Redirs {
		if r.Op != syntax.RdrOut || r.N != nil || redirect != "" {
			return nil, "", fmt.Errorf("redirection %s not handled", r.Op)
		}
		if redirect, err = expand.Literal(cfg, r.Word); err != nil {
			return nil, "", err
		}
	}
	return words[1:], redirect, nil
}

// shellResult is what a command line did.
type shellResult struct {
	out  string
	code int
}

// runShell runs line with sh -c in dir, with stdin, the extra environment
// and PATH prefixed by pathDirs, in its own session (no terminal), killed
// after timeout.
func runShell(t *testing.T, dir, line, stdin string, timeout time.Duration, env []string, pathDirs ...string) shellResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	path := os.Getenv("PATH")
	if len(pathDirs) > 0 {
		path = strings.Join(pathDirs, string(os.PathListSeparator)) + string(os.PathListSeparator) + path
	}
	cmd.Env = append(append(os.Environ(), "PATH="+path), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if d := time.Since(start); d > 5*time.Second {
		t.Logf("slow (%s): %s", d.Round(time.Second), line)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s: still running after %s:\n%s", line, timeout, out.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return shellResult{out.String(), code}
}

// builtTlsdoctor is the tlsdoctor binary the tests build once, for the
// printed tlsdoctor commands to run as a user runs them.
var builtTlsdoctor struct {
	once sync.Once
	dir  string
	err  error
}

// TestMain removes the binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{builtTlsdoctor.dir, builtJava.dir} {
		if d != "" {
			_ = os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// buildTlsdoctor builds the tlsdoctor binary (once per test run) and
// returns its directory, to put first in PATH.
func buildTlsdoctor(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH: cannot build tlsdoctor to run the printed tlsdoctor commands")
	}
	b := &builtTlsdoctor
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "tlsdoctor-bin-"); b.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, gobin, "build", "-o", filepath.Join(b.dir, "tlsdoctor"), "github.com/tlsdoctor/tlsdoctor/cmd/tlsdoctor").CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.dir
}

// findingByID is the first finding with id, failing the test without one.
func findingByID(t *testing.T, fs []checks.Finding, id string) checks.Finding {
	t.Helper()
	for _, f := range fs {
		if f.ID == id {
			return f
		}
	}
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	t.Fatalf("no %s finding; got %v", id, ids)
	return checks.Finding{}
}

// settingFor is the text of the first setting step for program.
func settingFor(t *testing.T, f checks.Finding, program string) string {
	t.Helper()
	for _, s := range f.Fix {
		if s.Kind == checks.StepConfig && s.For == program {
			return s.Text
		}
	}
	t.Fatalf("%s: no %s setting in the fix:\n%s", f.ID, program, checks.FixText(f.Fix))
	return ""
}

// TestParseCommandRefuses: the parser the fix tests rely on refuses what a
// printed command must never be, and reads quoting as the shell does.
func TestParseCommandRefuses(t *testing.T) {
	for _, bad := range []string{
		"curl -o x $(touch marker)", "curl -o x `touch marker`", "curl x; touch marker", "curl x && touch marker",
		"curl x\ntouch marker", "curl $HOME", "curl \"$(touch m)\"", "X=1 curl x", "(curl x)", "curl x &", "cat *.pem", "cat ~/x",
		"curl x || y", "curl $'a'",
	} {
		if _, err := parseCommand(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	cmds, err := parseCommand(`openssl s_client -connect a:1 </dev/null | openssl x509 -out 'a b'"" 'it'\''s'`)
	if err == nil {
		t.Fatalf("double quotes accepted: %+v", cmds)
	}
	cmds, err = parseCommand(`openssl s_client -connect a:1 </dev/null | openssl x509 -out 'a b' 'it'\''s'`)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 2 || cmds[0].redirs[0] != "</dev/null" || cmds[1].words[3] != "a b" || cmds[1].words[4] != "it's" {
		t.Errorf("parsed %+v", cmds)
	}
}

// TestTlsdoctorWords: a printed tlsdoctor line is read as sh reads it.
func TestTlsdoctorWords(t *testing.T) {
	args, redir, err := tlsdoctorWords(`tlsdoctor inspect '/tmp/it'\''s a "dir"; $(x)/ks.jks' --password-file "/a b/p'w" --extract AB:CD > 'ca file.pem'`)
	want := []string{"inspect", `/tmp/it's a "dir"; $(x)/ks.jks`, "--password-file", "/a b/p'w", "--extract", "AB:CD"}
	if err != nil || strings.Join(args, "|") != strings.Join(want, "|") || redir != "ca file.pem" {
		t.Errorf("got %q > %q, %v; want %q > \"ca file.pem\"", args, redir, err, want)
	}
	for _, bad := range []string{"tlsdoctor inspect $(touch x)", "tlsdoctor inspect `touch x`", "tlsdoctor inspect $HOME", "tlsdoctor x; touch y",
		"tlsdoctor x && y", "X=1 tlsdoctor x", "openssl x509", "tlsdoctor x | cat", "tlsdoctor x >> f", "tlsdoctor 'open"} {
		if args, _, err := tlsdoctorWords(bad); err == nil {
			t.Errorf("%q accepted: %q", bad, args)
		}
	}
}
