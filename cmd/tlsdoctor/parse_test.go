package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/creack/pty"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// cmdJUnit parses a JUnit XML report with encoding/xml, checks it against
// the rules of the schema GitLab and Jenkins read (testsuites >
// testsuite{name,tests,failures,errors} > testcase{name} with at most
// one of failure/error/skipped, counts that add up), and writes an
// outline to OUT, one line per suite and per case:
//
//	suite NAME tests=N failures=F errors=E skipped=S
//	case NAME pass|failure|error|skipped [message]
func cmdJUnit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: junit FILE OUT")
	}
	type problem struct {
		Type    string `xml:"type,attr"`
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type tcase struct {
		Name      string     `xml:"name,attr"`
		Classname string     `xml:"classname,attr"`
		Failure   []*problem `xml:"failure"`
		Error     []*problem `xml:"error"`
		Skipped   []*problem `xml:"skipped"`
	}
	type suite struct {
		Name     *string `xml:"name,attr"`
		Tests    *string `xml:"tests,attr"`
		Failures *string `xml:"failures,attr"`
		Errors   *string `xml:"errors,attr"`
		Skipped  string  `xml:"skipped,attr"`
		Cases    []tcase `xml:"testcase"`
	}
	var doc struct {
		XMLName xml.Name `xml:"testsuites"`
		Tests   string   `xml:"tests,attr"`
		Suites  []suite  `xml:"testsuite"`
	}
	data := ts.ReadFile(args[0])
	dec := xml.NewDecoder(strings.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		ts.Fatalf("%s is not JUnit XML: %v", args[0], err)
	}
	var out strings.Builder
	total := 0
	for _, s := range doc.Suites {
		if s.Name == nil || s.Tests == nil || s.Failures == nil || s.Errors == nil {
			ts.Fatalf("a testsuite lacks a required attribute (name, tests, failures, errors): %+v", s)
		}
		n := map[string]int{}
		for _, c := range s.Cases {
			if c.Name == "" {
				ts.Fatalf("suite %s: a testcase has no name", *s.Name)
			}
			kind, msg := "pass", ""
			for k, ps := range map[string][]*problem{"failure": c.Failure, "error": c.Error, "skipped": c.Skipped} {
				if len(ps) > 1 || (len(ps) == 1 && kind != "pass") {
					ts.Fatalf("suite %s case %s: more than one failure/error/skipped", *s.Name, c.Name)
				}
				if len(ps) == 1 {
					kind, msg = k, ps[0].Message
				}
			}
			n[kind]++
			fmt.Fprintf(&out, "case %s %s %s\n", c.Name, kind, msg)
		}
		want := fmt.Sprintf("tests=%d failures=%d errors=%d skipped=%d", len(s.Cases), n["failure"], n["error"], n["skipped"])
		got := fmt.Sprintf("tests=%s failures=%s errors=%s skipped=%s", *s.Tests, *s.Failures, *s.Errors, orZero(s.Skipped))
		if got != want {
			ts.Fatalf("suite %s counts %s, but its testcases are %s", *s.Name, got, want)
		}
		total += len(s.Cases)
		fmt.Fprintf(&out, "suite %s %s\n", *s.Name, got)
	}
	if doc.Tests != strconv.Itoa(total) {
		ts.Fatalf("testsuites tests=%s, but the suites hold %d testcases", doc.Tests, total)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(out.String()), 0o644))
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// cmdMarkdown parses a Markdown document with goldmark (CommonMark and
// GitHub tables) and writes its outline to OUT, one line per block:
//
//	heading LEVEL TEXT
//	table ROWS COLUMNS (the header row not counted) then "row CELL | CELL ..."
//	code LANG FIRST-LINE
//	item TEXT
//	para TEXT
//
// TEXT is the rendered text (escapes resolved), so a test sees what a
// reader sees.
func cmdMarkdown(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: markdown FILE OUT")
	}
	src := []byte(ts.ReadFile(args[0]))
	md := goldmark.New(goldmark.WithExtensions(extension.Table))
	doc := md.Parser().Parse(text.NewReader(src))
	var out strings.Builder
	textOf := func(n ast.Node) string {
		var b strings.Builder
		_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				return ast.WalkContinue, nil
			}
			switch t := c.(type) {
			case *ast.Text:
				b.Write(util.UnescapePunctuations(t.Segment.Value(src)))
				if t.SoftLineBreak() || t.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(t.Value)
			case *ast.CodeSpan:
				b.WriteByte('`')
				for cc := t.FirstChild(); cc != nil; cc = cc.NextSibling() {
					if tt, ok := cc.(*ast.Text); ok {
						b.Write(tt.Segment.Value(src))
					}
				}
				b.WriteByte('`')
				return ast.WalkSkipChildren, nil
			case *ast.RawHTML, *ast.HTMLBlock, *ast.Link, *ast.AutoLink, *ast.Image:
				ts.Fatalf("%s: the document holds markup a reader would see rendered: %T", args[0], c)
			}
			return ast.WalkContinue, nil
		})
		return b.String()
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := n.(type) {
		case *ast.Heading:
			fmt.Fprintf(&out, "heading %d %s\n", t.Level, textOf(t))
			return ast.WalkSkipChildren, nil
		case *extast.Table:
			rows, cols := 0, 0
			var lines []string
			for r := t.FirstChild(); r != nil; r = r.NextSibling() {
				var cells []string
				for c := r.FirstChild(); c != nil; c = c.NextSibling() {
					cells = append(cells, textOf(c))
				}
				cols = max(cols, len(cells))
				if _, header := r.(*extast.TableHeader); !header {
					rows++
				}
				lines = append(lines, "row "+strings.Join(cells, " | "))
			}
			fmt.Fprintf(&out, "table %d %d\n%s\n", rows, cols, strings.Join(lines, "\n"))
			return ast.WalkSkipChildren, nil
		case *ast.FencedCodeBlock:
			first := ""
			if t.Lines().Len() > 0 {
				seg := t.Lines().At(0)
				first = strings.TrimRight(string(seg.Value(src)), "\n")
			}
			fmt.Fprintf(&out, "code %s %s\n", string(t.Language(src)), first)
		case *ast.ListItem:
			fmt.Fprintf(&out, "item %s\n", textOf(t))
			return ast.WalkSkipChildren, nil
		case *ast.Paragraph:
			fmt.Fprintf(&out, "para %s\n", textOf(t))
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(out.String()), 0o644))
}

// cmdPtyRun runs CMD with its stderr on a pseudo-terminal (stdout and
// stdin stay plain), requires exit code N, and writes what the terminal
// showed to FILE and stdout to FILE.stdout.
func cmdPtyRun(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: ptyrun FILE N CMD ARGS...")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	ptmx, tty, err := pty.Open()
	ts.Check(err)
	defer ptmx.Close()
	ts.Check(pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}))
	path, err := exec.LookPath(args[2])
	if err != nil {
		for _, dir := range strings.Split(ts.Getenv("PATH"), string(os.PathListSeparator)) {
			if p := dir + "/" + args[2]; fileExists(p) {
				path, err = p, nil
				break
			}
		}
	}
	ts.Check(err)
	cmd := exec.Command(path, args[3:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", "WORK", "TMPDIR", "NO_COLOR", "COLUMNS"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = tty
	var term bytes.Buffer
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(&term, ptmx)
		close(done)
	}()
	err = cmd.Run()
	tty.Close()
	<-done
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else {
		ts.Check(err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), term.Bytes(), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+".stdout"), stdout.Bytes(), 0o644))
	if got != want {
		ts.Fatalf("%s exited %d, want %d\nterminal:\n%s", args[2], got, want, term.String())
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// cmdJSONLines requires FILE to hold N lines, each one JSON object.
func cmdJSONLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: jsonlines FILE N")
	}
	lines := strings.Split(strings.TrimSuffix(ts.ReadFile(args[0]), "\n"), "\n")
	if strconv.Itoa(len(lines)) != args[1] {
		ts.Fatalf("%s has %d lines, want %s", args[0], len(lines), args[1])
	}
	for i, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			ts.Fatalf("%s line %d is not a JSON object: %v", args[0], i+1, err)
		}
	}
}

// cmdSameReport requires the line of JSONL whose record's target input is
// INPUT to be the document in JSON, once the clocks and timings (which
// differ between two runs) are left out of both.
func cmdSameReport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: samereport JSONL JSON INPUT")
	}
	var want map[string]any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &want))
	for _, l := range strings.Split(strings.TrimSpace(ts.ReadFile(args[0])), "\n") {
		var got map[string]any
		ts.Check(json.Unmarshal([]byte(l), &got))
		rec, _ := got["record"].(map[string]any)
		tgt, _ := rec["target"].(map[string]any)
		if tgt["input"] != args[2] {
			continue
		}
		g, w := dropClocks(got), dropClocks(want)
		gb, _ := json.MarshalIndent(g, "", " ")
		wb, _ := json.MarshalIndent(w, "", " ")
		if !bytes.Equal(gb, wb) {
			ts.Fatalf("the jsonl object for %s differs from --format json:\n%s\n---\n%s", args[2], gb, wb)
		}
		return
	}
	ts.Fatalf("no line of %s is about %s", args[0], args[2])
}

func dropClocks(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if strings.HasSuffix(k, "_ms") || k == "started_at" {
				continue
			}
			out[k] = dropClocks(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = dropClocks(x)
		}
		return out
	case string:
		// Messages quote the clock ("current time …Z is after …").
		return rfc3339.ReplaceAllString(t, "TIME")
	}
	return v
}

var rfc3339 = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z`)
