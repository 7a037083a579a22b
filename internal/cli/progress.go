package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/mattn/go-runewidth"

	"github.com/tlsdoctor/tlsdoctor/report"
)

// progress tells a many-target run's progress on stderr, never stdout: on
// a terminal one line redrawn in place (done/total, failing so far,
// elapsed, the slowest diagnosis in flight); with --progress elsewhere a
// plain line per finished target, for CI logs. Otherwise nothing.
type progress struct {
	w     io.Writer
	tty   bool
	width int
	total int
	start time.Time

	mu       sync.Mutex
	done     int
	failing  int
	inflight map[int]flight // by target position
	stopped  chan struct{}
	wg       sync.WaitGroup
	drawn    bool
}

type flight struct {
	input string
	since time.Time
}

// stderrIsTerminal reports whether env.Stderr is a terminal.
func stderrIsTerminal(env Env) bool {
	f, ok := report.Unwrap(env.Stderr).(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// newProgress returns the progress reporter for a run of total targets,
// or nil when none is wanted.
func newProgress(env Env, forced bool, total int) *progress {
	tty := stderrIsTerminal(env)
	if !tty && !forced {
		return nil
	}
	// A live line draws with carriage returns, which the escaping writer
	// would show as text: it writes to the terminal itself, from text
	// escaped with report.Clean.
	w := env.Stderr
	if tty {
		w = report.Unwrap(env.Stderr)
	}
	p := &progress{w: w, tty: tty, width: terminalWidth(env, report.Unwrap(env.Stderr)), total: total, start: time.Now(), inflight: map[int]flight{}, stopped: make(chan struct{})}
	if tty {
		p.wg.Add(1)
		go p.tick()
	}
	return p
}

func (p *progress) tick() {
	defer p.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stopped:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

func (p *progress) started(index int, input string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight[index] = flight{input: input, since: time.Now()}
}

func (p *progress) finished(index int, t report.Target, status string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.inflight, index)
	p.done++
	if status != report.StatusOK {
		p.failing++
	}
	if p.tty {
		p.draw()
		return
	}
	var ids []string
	for _, f := range t.Report.Findings {
		ids = append(ids, f.ID)
	}
	what := status
	if len(ids) > 0 {
		what += " (" + strings.Join(ids, ", ") + ")"
	}
	fmt.Fprintf(p.w, "tlsdoctor: [%d/%d] %s: %s in %.1f s\n", p.done, p.total, report.Clean(t.Input), what, t.Duration.Seconds())
}

// draw redraws the terminal line (p.mu held).
func (p *progress) draw() {
	line := fmt.Sprintf("tlsdoctor: %d/%d done, %d failing, %.1f s", p.done, p.total, p.failing, time.Since(p.start).Seconds())
	var slow flight
	for _, f := range p.inflight {
		if slow.since.IsZero() || f.since.Before(slow.since) {
			slow = f
		}
	}
	if !slow.since.IsZero() {
		line += fmt.Sprintf(", slowest: %s (%.1f s)", report.Clean(slow.input), time.Since(slow.since).Seconds())
	}
	if p.width > 1 {
		line = fitLine(line, p.width-1)
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.drawn = true
}

// stop ends the progress output, clearing the terminal line.
func (p *progress) stop() {
	if p == nil {
		return
	}
	close(p.stopped)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// fitLine cuts a line to width columns, so that a redrawn line never
// wraps.
func fitLine(s string, width int) string {
	if runewidth.StringWidth(s) <= width {
		return s
	}
	return runewidth.Truncate(s, width, "…")
}
