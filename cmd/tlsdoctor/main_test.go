package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"tlsdoctor": func() { os.Exit(run()) }})
}

// TestScripts runs cmd/tlsdoctor/testdata/*.txtar against the real binary.
// Each script gets a fresh lab PKI with its root in $WORK/ca.pem and these
// commands:
//
//	fixture NAME [VAR]       start fault server NAME on 127.0.0.1; its port goes in $VAR (default PORT)
//	closedport VAR           put a port nothing listens on in $VAR
//	status [-within D] N CMD ARGS...
//	                         run CMD, require exit code N (and, with -within, that it ends within D)
//	maxwidth stdout|FILE N   require every line to be at most N columns wide
//	junit FILE OUT           parse a JUnit report, check it, write its outline to OUT (parse_test.go)
//	markdown FILE OUT        parse a Markdown report, write its outline to OUT (parse_test.go)
//	ptyrun FILE N CMD ARGS... run CMD with stderr on a terminal, require exit N; terminal output in FILE
//	fixture -count NAME [VAR] start NAME with its connections counted together with every other -count fixture
//	jsonlines FILE N         require N lines, each a JSON object
//	samereport JSONL JSON INPUT  require INPUT's jsonl line to be the JSON document, clocks aside
//	connpeak MAX             require that -count fixtures never had more than MAX connections open at once
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(e *testscript.Env) error {
			lab, err := fixtures.NewLab(time.Now())
			if err != nil {
				return err
			}
			e.Defer(lab.Close)
			e.Values["lab"] = lab
			e.Values["counter"] = &fixtures.ConnCounter{}
			e.Setenv("NO_COLOR", "")
			// Scripts match content; the layout at 80 columns is in the
			// report goldens and in output.txtar.
			e.Setenv("COLUMNS", "1000")
			return os.WriteFile(filepath.Join(e.WorkDir, "ca.pem"), lab.RootPEM(), 0o644)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"fixture":    cmdFixture,
			"closedport": cmdClosedPort,
			"status":     cmdStatus,
			"maxwidth":   cmdMaxWidth,
			"junit":      cmdJUnit,
			"markdown":   cmdMarkdown,
			"ptyrun":     cmdPtyRun,
			"connpeak":   cmdConnPeak,
			"jsonlines":  cmdJSONLines,
			"samereport": cmdSameReport,
		},
	})
}

func cmdFixture(ts *testscript.TestScript, neg bool, args []string) {
	var counter *fixtures.ConnCounter
	if len(args) > 0 && args[0] == "-count" {
		counter, args = ts.Value("counter").(*fixtures.ConnCounter), args[1:]
	}
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: fixture [-count] NAME [VAR]")
	}
	lab := ts.Value("lab").(*fixtures.Lab)
	srv, err := lab.StartCounted(args[0], counter)
	ts.Check(err)
	ts.Defer(srv.Close)
	v := "PORT"
	if len(args) == 2 {
		v = args[1]
	}
	ts.Setenv(v, strconv.Itoa(srv.Port))
}

func cmdClosedPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: closedport VAR")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	p := ln.Addr().(*net.TCPAddr).Port
	ts.Check(ln.Close())
	ts.Setenv(args[0], strconv.Itoa(p))
}

func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("status does not take !")
	}
	var within time.Duration
	if len(args) > 1 && args[0] == "-within" {
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		within, args = d, args[2:]
	}
	if len(args) < 2 {
		ts.Fatalf("usage: status [-within D] N CMD ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	t0 := time.Now()
	err = ts.Exec(args[1], args[2:]...)
	took := time.Since(t0)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("running %s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
	if within > 0 && took > within {
		ts.Fatalf("%s took %v, want at most %v", args[1], took.Round(time.Millisecond), within)
	}
}

func cmdMaxWidth(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: maxwidth stdout|FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	text := ts.ReadFile(args[0])
	for i, line := range strings.Split(text, "\n") {
		if w := runewidth.StringWidth(line); w > n {
			ts.Fatalf("line %d is %d columns wide, want at most %d: %q", i+1, w, n, line)
		}
	}
}

func cmdConnPeak(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: connpeak MAX")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	c := ts.Value("counter").(*fixtures.ConnCounter)
	ts.Logf("peak %d connections open at once, %d in all", c.Peak(), c.Total())
	if c.Peak() > n {
		ts.Fatalf("%d connections were open at once on the counted fixtures, want at most %d", c.Peak(), n)
	}
	if c.Total() == 0 {
		ts.Fatalf("no connection reached the counted fixtures")
	}
}
