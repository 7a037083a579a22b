package probe

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestSlotBounds checks the scanner's only gate to the network: never more
// than MaxConns slots held, starts at least Delay apart, and a slot counts
// one handshake.
func TestSlotBounds(t *testing.T) {
	const maxConns, delay = 3, 5 * time.Millisecond
	s := &scanner{opts: ScanOptions{MaxConns: maxConns, Delay: delay}, sem: make(chan struct{}, maxConns)}
	var mu sync.Mutex
	held, maxHeld := 0, 0
	var starts []time.Time
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release := s.slot(context.Background())
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
	full := &scanner{opts: ScanOptions{MaxConns: 1}, sem: make(chan struct{}, 1)}
	full.sem <- struct{}{}
	if release := full.slot(ctx); release != nil {
		t.Error("slot returned with a cancelled context and no free slot")
	}
}
