package cli

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// TestInterruptExits130: a run cancelled while a target stalls exits 130
// (what a shell reports for SIGINT) at once, after printing the targets
// that finished.
func TestInterruptExits130(t *testing.T) {
	lab := fixtures.TestLab(t, time.Now())
	good, err := lab.Start("good")
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	stall, err := lab.Start("stall")
	if err != nil {
		t.Fatal(err)
	}
	defer stall.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	var out, errb bytes.Buffer
	t0 := time.Now()
	code := RunEnv(ctx, []string{"localhost:" + strconv.Itoa(good.Port), "localhost:" + strconv.Itoa(stall.Port), "--connect-to", "127.0.0.1", "--timeout", "60s", "--revocation", "off"},
		Env{Stdout: &out, Stderr: &errb, Now: time.Now, Getenv: func(string) string { return "" }})
	if took := time.Since(t0); took > 5*time.Second {
		t.Errorf("the interrupted run took %v", took)
	}
	if code != ExitInterrupted {
		t.Errorf("exit %d, want %d\n%s%s", code, ExitInterrupted, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "localhost:"+strconv.Itoa(good.Port)) || strings.Contains(out.String(), "localhost:"+strconv.Itoa(stall.Port)) {
		t.Errorf("stdout should list the finished target only:\n%s", out.String())
	}
}
