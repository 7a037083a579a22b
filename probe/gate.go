package probe

import (
	"context"
	"slices"
	"sync"
)

// gate holds a scan to --max-conns connections at once. Urgent waiters go
// first: a chain that must stay sequential to learn the server's order is
// what a scan's length depends on, and everything else (parallel chains,
// single probes) can fill the slots around it. Waiters of one priority are
// served in arrival order.
type gate struct {
	mu     sync.Mutex
	free   int
	urgent []chan struct{}
	normal []chan struct{}
}

func newGate(n int) *gate { return &gate{free: n} }

// acquire waits for a slot; false when ctx ended first.
func (g *gate) acquire(ctx context.Context, urgent bool) bool {
	g.mu.Lock()
	if g.free > 0 && (urgent || len(g.urgent) == 0) {
		g.free--
		g.mu.Unlock()
		return true
	}
	ch := make(chan struct{})
	if urgent {
		g.urgent = append(g.urgent, ch)
	} else {
		g.normal = append(g.normal, ch)
	}
	g.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		g.mu.Lock()
		n := len(g.urgent) + len(g.normal)
		g.urgent = slices.DeleteFunc(g.urgent, func(c chan struct{}) bool { return c == ch })
		g.normal = slices.DeleteFunc(g.normal, func(c chan struct{}) bool { return c == ch })
		granted := n == len(g.urgent)+len(g.normal)
		g.mu.Unlock()
		if granted {
			// The slot was handed over as ctx ended: pass it on.
			g.release()
		}
		return false
	}
}

// release frees a slot, handing it to the first urgent waiter, else the
// first normal one.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, q := range []*[]chan struct{}{&g.urgent, &g.normal} {
		if len(*q) > 0 {
			close((*q)[0])
			*q = (*q)[1:]
			return
		}
	}
	g.free++
}
