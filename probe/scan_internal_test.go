package probe

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestSlotBounds checks the scanner's only gate to the network: never more
// than MaxConns slots held, starts at least Delay apart, and a slot counts
// one handshake.
func TestSlotBounds(t *testing.T) {
	const maxConns, delay = 3, 5 * time.Millisecond
	s := &scanner{opts: ScanOptions{MaxConns: maxConns, Delay: delay}, gate: newGate(maxConns)}
	var mu sync.Mutex
	held, maxHeld := 0, 0
	var starts []time.Time
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release := s.slot(context.Background(), i%2 == 0)
			mu.Lock()
			held++
			maxHeld = max(maxHeld, held)
			starts = append(starts, time.Now())
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
			mu.Lock()
			held--
			mu.Unlock()
			release()
		}()
	}
	wg.Wait()
	if maxHeld > maxConns {
		t.Errorf("%d slots held at once, want at most %d", maxHeld, maxConns)
	}
	if n := s.count.Load(); n != 20 {
		t.Errorf("count = %d, want 20", n)
	}
	if span := starts[len(starts)-1].Sub(starts[0]); span < 19*delay-time.Millisecond {
		t.Errorf("20 starts spread over %v, want at least 19 × %v", span, delay)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	full := &scanner{opts: ScanOptions{MaxConns: 1}, gate: newGate(1)}
	full.gate.acquire(context.Background(), false)
	if release := full.slot(ctx, true); release != nil {
		t.Error("slot returned with a cancelled context and no free slot")
	}
}

// TestGateUrgentFirst: with every slot taken, an urgent waiter gets the
// next free slot before normal ones that waited longer; a waiter whose
// context ends leaves the queue without taking a slot.
func TestGateUrgentFirst(t *testing.T) {
	g := newGate(1)
	g.acquire(context.Background(), false)
	order := make(chan string, 3)
	var wg sync.WaitGroup
	queued := func(n int) {
		for {
			g.mu.Lock()
			q := len(g.urgent) + len(g.normal)
			g.mu.Unlock()
			if q == n {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	// wait queues a waiter and returns once it is in the queue, so that
	// waiters queue in a known order.
	wait := func(name string, urgent bool, n int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if g.acquire(context.Background(), urgent) {
				order <- name
				g.release()
			}
		}()
		queued(n)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan bool)
	go func() { gaveUp <- g.acquire(cancelled, true) }()
	queued(1)
	cancel()
	if <-gaveUp {
		t.Fatal("acquire succeeded after its context ended")
	}
	queued(0)
	wait("normal1", false, 1)
	wait("normal2", false, 2)
	wait("urgent", true, 3)
	g.release()
	wg.Wait()
	close(order)
	var got []string
	for n := range order {
		got = append(got, n)
	}
	if want := []string{"urgent", "normal1", "normal2"}; !slices.Equal(got, want) {
		t.Errorf("served %v, want %v", got, want)
	}
	if g.free != 1 {
		t.Errorf("%d slots free at the end, want 1", g.free)
	}
}
