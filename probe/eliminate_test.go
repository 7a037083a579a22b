package probe

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/internal/legacytls"
)

// fakeServer answers an offer with its pick, the way a server model
// decides; 0 means it refuses.
type fakeServer func(offer []uint16) uint16

// serverOrdered picks by its own order.
func serverOrdered(order ...uint16) fakeServer {
	return func(offer []uint16) uint16 {
		for _, id := range order {
			if slices.Contains(offer, id) {
				return id
			}
		}
		return 0
	}
}

// clientOrdered picks the first offered candidate it accepts.
func clientOrdered(accepts ...uint16) fakeServer {
	return func(offer []uint16) uint16 {
		for _, id := range offer {
			if slices.Contains(accepts, id) {
				return id
			}
		}
		return 0
	}
}

// chachaFirst is OpenSSL's ServerPreference + PrioritizeChaCha: its own
// order, except that a client listing ChaCha first gets ChaCha.
func chachaFirst(chacha uint16, order ...uint16) fakeServer {
	own := serverOrdered(order...)
	return func(offer []uint16) uint16 {
		if len(offer) > 0 && offer[0] == chacha && slices.Contains(order, chacha) {
			return chacha
		}
		return own(offer)
	}
}

func span(from, to uint16) []uint16 {
	var out []uint16
	for id := from; id <= to; id++ {
		out = append(out, id)
	}
	return out
}

type fakeRun struct {
	asks     atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64
	failures []string
	mu       sync.Mutex
}

func (f *fakeRun) eliminator(srv fakeServer, chains int, rtt time.Duration) *eliminator {
	return &eliminator{
		chains: chains,
		what:   "test",
		ask: func(ctx context.Context, offer []uint16, _ bool) (legacytls.Result, bool) {
			f.asks.Add(1)
			n := f.inFlight.Add(1)
			for m := f.maxIn.Load(); n > m && !f.maxIn.CompareAndSwap(m, n); m = f.maxIn.Load() {
			}
			defer f.inFlight.Add(-1)
			time.Sleep(rtt)
			if id := srv(slices.Clone(offer)); id != 0 {
				return legacytls.Result{Answered: true, Suite: id}, true
			}
			return legacytls.Result{AlertSeen: true, Alert: 40}, true
		},
		choice: func(r legacytls.Result) (uint16, bool) { return r.Suite, r.Answered },
		name:   func(id uint16) string { return fmt.Sprint(id) },
		fail: func(format string, args ...any) {
			f.mu.Lock()
			f.failures = append(f.failures, fmt.Sprintf(format, args...))
			f.mu.Unlock()
		},
	}
}

func TestEliminatorFindsTheSetAndTheOrder(t *testing.T) {
	cands := span(1, 60)
	// The server's own order, deliberately unlike ours.
	own := []uint16{40, 3, 57, 12, 25, 8, 33, 50, 19, 44, 2, 29}
	accepted := slices.Sorted(slices.Values(own))
	for _, tt := range []struct {
		name     string
		srv      fakeServer
		chains   int
		wantIDs  []uint16
		wantPref string
		// likelyRefused runs the first round one way, then the other.
		likelyRefused bool
		wantAsks      int64
	}{
		{"server order, one chain", serverOrdered(own...), 1, own, "server", false, 0},
		{"server order, parallel", serverOrdered(own...), 4, own, "server", false, 0},
		{"client order, one chain", clientOrdered(own...), 1, accepted, "client", false, 0},
		{"client order, parallel", clientOrdered(own...), 4, accepted, "client", false, 0},
		{"client order, two chains", clientOrdered(own...), 2, accepted, "client", false, 0},
		// ChaCha (57, last of our accepted) wins the reversed offer:
		// the first round looks like client order, the chains prove
		// otherwise, and one more chain gives the server's order.
		{"chacha prioritised", chachaFirst(57, own...), 4, own, "server", false, 0},
		{"one accepted", clientOrdered(30), 4, []uint16{30}, "", false, 0},
		{"one accepted, one chain", clientOrdered(30), 1, []uint16{30}, "", false, 0},
		{"two accepted, client", clientOrdered(1, 60), 4, []uint16{1, 60}, "client", false, 0},
		{"two accepted, server", serverOrdered(60, 1), 4, []uint16{60, 1}, "server", false, 0},
		{"none", clientOrdered(), 4, nil, "", false, 2},
		{"none, likely refused", clientOrdered(), 4, nil, "", true, 1},
		{"client order, likely refused", clientOrdered(own...), 4, accepted, "client", true, 0},
		{"server order, likely refused", serverOrdered(own...), 4, own, "server", true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var f fakeRun
			e := f.eliminator(tt.srv, tt.chains, 0)
			e.likelyRefused = tt.likelyRefused
			got := e.run(context.Background(), cands)
			if tt.wantAsks > 0 && f.asks.Load() != tt.wantAsks {
				t.Errorf("%d hellos, want %d", f.asks.Load(), tt.wantAsks)
			}
			if !slices.Equal(got.IDs, tt.wantIDs) || got.Preference != tt.wantPref {
				t.Errorf("found %v (%q), want %v (%q)", got.IDs, got.Preference, tt.wantIDs, tt.wantPref)
			}
			for i, r := range got.Answers {
				if r.Suite != got.IDs[i] {
					t.Errorf("answer %d picked %d, listed as %d", i, r.Suite, got.IDs[i])
				}
			}
			// Elimination: about one hello per accepted candidate, plus a
			// refusal per chain and the first round's second hello.
			if budget := int64(len(tt.wantIDs) + tt.chains + 2); tt.name != "chacha prioritised" && f.asks.Load() > budget {
				t.Errorf("%d hellos, want at most %d", f.asks.Load(), budget)
			}
			if len(f.failures) > 0 {
				t.Errorf("failures: %v", f.failures)
			}
		})
	}
}

// TestEliminatorRandomServers: whatever a server's picking rule, the set
// found is exactly what it accepts.
func TestEliminatorRandomServers(t *testing.T) {
	cands := span(1, 40)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		accepts := slices.Clone(cands)
		rng.Shuffle(len(accepts), func(i, j int) { accepts[i], accepts[j] = accepts[j], accepts[i] })
		accepts = accepts[:rng.IntN(len(accepts)+1)]
		var srv fakeServer
		var mu sync.Mutex
		switch i % 3 {
		case 0:
			srv = serverOrdered(accepts...)
		case 1:
			srv = clientOrdered(accepts...)
		default: // picks at random among what it accepts
			srv = func(offer []uint16) uint16 {
				var ok []uint16
				for _, id := range offer {
					if slices.Contains(accepts, id) {
						ok = append(ok, id)
					}
				}
				if len(ok) == 0 {
					return 0
				}
				mu.Lock()
				defer mu.Unlock()
				return ok[rng.IntN(len(ok))]
			}
		}
		var f fakeRun
		e := f.eliminator(srv, 1+i%4, 0)
		e.partition = i%2 == 0
		got := e.run(context.Background(), cands)
		if !slices.Equal(slices.Sorted(slices.Values(got.IDs)), slices.Sorted(slices.Values(accepts))) {
			t.Fatalf("server %d (rule %d, %d chains) accepts %v, found %v", i, i%3, 1+i%4, slices.Sorted(slices.Values(accepts)), got.IDs)
		}
		if i%3 == 0 && len(accepts) > 1 && (got.Preference != "server" || !slices.Equal(got.IDs, accepts)) {
			t.Fatalf("server order %v: found %v (%q)", accepts, got.IDs, got.Preference)
		}
		if i%3 == 1 && len(accepts) > 1 && got.Preference != "client" {
			t.Fatalf("client order: preference %q", got.Preference)
		}
	}
}

// TestEliminatorParallelForClientOrder: a server that follows the
// client's order costs about accepted/chains round trips, not accepted.
func TestEliminatorParallelForClientOrder(t *testing.T) {
	const rtt = 20 * time.Millisecond
	cands := span(1, 80)
	accepts := span(20, 43) // 24 accepted
	var f fakeRun
	t0 := time.Now()
	got := f.eliminator(clientOrdered(accepts...), 4, rtt).run(context.Background(), cands)
	took := time.Since(t0)
	if !slices.Equal(got.IDs, accepts) || got.Preference != "client" {
		t.Fatalf("found %v (%q)", got.IDs, got.Preference)
	}
	// One round both ways, then four chains of 5–6 picks and a refusal:
	// 8 round trips. One chain would take 25.
	if took > 14*rtt {
		t.Errorf("took %v (%d hellos, %d at once at most), want under %v", took, f.asks.Load(), f.maxIn.Load(), 14*rtt)
	}
	if f.maxIn.Load() > 4 {
		t.Errorf("%d hellos at once, want at most 4", f.maxIn.Load())
	}
}

func TestEliminatorUnofferedPickStops(t *testing.T) {
	var f fakeRun
	got := f.eliminator(func([]uint16) uint16 { return 99 }, 4, 0).run(context.Background(), span(1, 5))
	if len(got.IDs) != 0 || len(f.failures) == 0 {
		t.Errorf("found %v, failures %v; want nothing and a failure", got.IDs, f.failures)
	}
}

// TestEliminatorSilentCloseOnApart: a server that closes without a word
// when its pick is one it cannot finish (set apart), and on every refusal,
// still gets the rest of what it accepts found, in the right order; what
// it cannot finish is not listed.
func TestEliminatorSilentCloseOnApart(t *testing.T) {
	cands := span(1, 60)
	broken := func(id uint16) bool { return id%10 == 3 } // 3, 13, 23...
	own := []uint16{23, 40, 3, 57, 12, 25, 8, 33, 50}
	var works []uint16
	for _, id := range own {
		if !broken(id) {
			works = append(works, id)
		}
	}
	for _, tt := range []struct {
		name     string
		srv      fakeServer
		want     []uint16
		wantPref string
	}{
		{"server order", serverOrdered(own...), works, "server"},
		{"client order", clientOrdered(own...), slices.Sorted(slices.Values(works)), "client"},
	} {
		for _, chains := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s, %d chains", tt.name, chains), func(t *testing.T) {
				var f fakeRun
				e := f.eliminator(tt.srv, chains, 0)
				srvAsk := e.ask
				e.ask = func(ctx context.Context, offer []uint16, urgent bool) (legacytls.Result, bool) {
					r, ok := srvAsk(ctx, offer, urgent)
					if r.AlertSeen || broken(r.Suite) {
						return legacytls.Result{Silent: true, Err: io.EOF}, ok
					}
					return r, ok
				}
				e.apart = broken
				got := e.run(context.Background(), cands)
				if !slices.Equal(got.IDs, tt.want) || got.Preference != tt.wantPref {
					t.Errorf("found %v (%q), want %v (%q)", got.IDs, got.Preference, tt.want, tt.wantPref)
				}
			})
		}
	}
}

// The partition-and-merge experiment finds the same set in the same order
// as the one chain, and what it costs (hellos, round trips) is measured
// against it on the orders the benchmark servers use.
func TestEliminatorPartitionMerge(t *testing.T) {
	const rtt = 10 * time.Millisecond
	// OpenSSL 3.0's TLS 1.3 group order, among our 19 candidates.
	groups := []uint16{4588, 4587, 4589, 29, 23, 24, 25, 30, 256, 257, 258, 259, 260, 31, 32, 33, 512, 513, 514}
	opensslGroups := []uint16{29, 23, 30, 25, 24, 256, 257, 258, 259, 260}
	// The bench's -serverpref suite order (RSA key: 21 of the 22).
	benchOrder := []uint16{0xC02F, 0xC030, 0xCCA8, 0x009E, 0x009F, 0xCCAA, 0xC027, 0xC028, 0xC013, 0xC014, 0x0067, 0x006B, 0x0033, 0x0039, 0x009C, 0x009D, 0x003C, 0x003D, 0x002F, 0x0035, 0x0041}
	// OpenSSL 3.0's DEFAULT order for an RSA key (openssl ciphers -V).
	opensslDefault := []uint16{0xC030, 0x009F, 0xCCA8, 0xCCAA, 0xC02F, 0x009E, 0xC028, 0x006B, 0xC027, 0x0067, 0xC014, 0x0039, 0xC013, 0x0033, 0x009D, 0x009C, 0x003D, 0x003C, 0x0035, 0x002F}
	// Not tiered at all: the merge must still get it right.
	untiered := []uint16{0x002F, 0xC02F, 0x0035, 0x009E, 0xC013, 0x009C, 0xCCA8, 0x003C}
	var suites []uint16
	for id := uint16(1); id < 0xD000; id += 7 {
		suites = append(suites, id)
	}
	for _, id := range slices.Concat(benchOrder, opensslDefault, untiered) {
		if !slices.Contains(suites, id) {
			suites = append(suites, id)
		}
	}
	slices.Sort(suites)
	for _, tt := range []struct {
		name  string
		cands []uint16
		order []uint16
	}{
		{"OpenSSL TLS 1.3 groups", groups, opensslGroups},
		{"bench -serverpref suites", suites, benchOrder},
		{"OpenSSL DEFAULT suites", suites, opensslDefault},
		{"untiered suites", suites, untiered},
	} {
		for _, partition := range []bool{false, true} {
			var f fakeRun
			e := f.eliminator(serverOrdered(tt.order...), 4, rtt)
			e.partition = partition
			if tt.cands[0] != groups[0] {
				e.parts = suiteTiers
			}
			t0 := time.Now()
			got := e.run(context.Background(), tt.cands)
			took := time.Since(t0)
			if !slices.Equal(got.IDs, tt.order) || got.Preference != "server" {
				t.Errorf("%s, partition %v: found %v (%q), want %v", tt.name, partition, got.IDs, got.Preference, tt.order)
			}
			t.Logf("%s, partition %v: %d hellos, %.1f round trips, at most %d at once", tt.name, partition, f.asks.Load(), float64(took)/float64(rtt), f.maxIn.Load())
		}
	}
}
