package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

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
		},
	})
}

func cmdFixture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: fixture NAME [VAR]")
	}
	lab := ts.Value("lab").(*fixtures.Lab)
	srv, err := lab.Start(args[0])
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
