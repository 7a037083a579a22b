package probe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/internal/legacytls"
)

// dimRun is a host elimination over suites whose answers also name a
// group, like the TLS 1.2 suite elimination and its groups, against a
// fake server with a rule for each list.
type dimRun struct {
	suites, groups fakeServer
	// hosted counts the host's hellos, dedicated the groups' own.
	hosted, dedicated atomic.Int64
	mu                sync.Mutex
	failures          []string
}

func (f *dimRun) fail(format string, args ...any) {
	f.mu.Lock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

// run scans suiteCands with chains connections and returns what the
// group dimension settled on.
func (f *dimRun) run(t *testing.T, suiteCands, groupCands []uint16, chains int) ([]uint16, string) {
	t.Helper()
	ctx := context.Background()
	d := newDimension("groups", func(id uint16) string { return fmt.Sprint(id) }, groupCands)
	host := &eliminator{chains: chains, what: "suites", name: func(id uint16) string { return fmt.Sprint(id) }, fail: f.fail,
		ask: func(ctx context.Context, offer []uint16, _ bool) (legacytls.Result, bool) {
			f.hosted.Add(1)
			o := d.next()
			if !slices.Equal(slices.Sorted(slices.Values(o.list)), slices.Sorted(slices.Values(groupCands))) {
				t.Errorf("a host hello offered groups %v, not the whole list", o.list)
			}
			id := f.suites(slices.Clone(offer))
			if id == 0 {
				return legacytls.Result{AlertSeen: true, Alert: 40}, true
			}
			g := f.groups(slices.Clone(o.list))
			r := legacytls.Result{Answered: true, Suite: id, Group: g}
			if g != 0 {
				d.saw(o, g, r)
			}
			return r, true
		},
		choice: func(r legacytls.Result) (uint16, bool) { return r.Suite, r.Answered },
	}
	ded := &eliminator{chains: chains, what: "groups", name: func(id uint16) string { return fmt.Sprint(id) }, fail: f.fail,
		ask: func(ctx context.Context, offer []uint16, _ bool) (legacytls.Result, bool) {
			f.dedicated.Add(1)
			if g := f.groups(slices.Clone(offer)); g != 0 {
				return legacytls.Result{Answered: true, Group: g}, true
			}
			return legacytls.Result{AlertSeen: true, Alert: 40}, true
		},
		choice: func(r legacytls.Result) (uint16, bool) { return r.Group, r.Answered },
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer d.start()
		host.run(ctx, suiteCands)
	}()
	s := &scanner{opts: ScanOptions{MaxConns: chains}}
	found := s.dedicated(ctx, ded, d, ded.asker())
	wg.Wait()
	return found.IDs, found.Preference
}

func TestDimensionLearnsFromTheHost(t *testing.T) {
	suites := span(1, 60)
	suitesAccepted := []uint16{3, 9, 12, 20, 21, 22, 30, 41, 42, 55}
	groups := span(100, 125)
	own := []uint16{117, 101, 112, 104, 123, 100, 108}
	sorted := slices.Sorted(slices.Values(own))
	for _, tt := range []struct {
		name     string
		groups   fakeServer
		want     []uint16
		wantPref string
		// maxDedicated bounds the groups' own hellos (0: no bound).
		maxDedicated int64
	}{
		{"client order", clientOrdered(own...), sorted, "client", 3},
		{"server order", serverOrdered(own...), own, "server", int64(len(own)) + 2},
		{"one group", clientOrdered(110), []uint16{110}, "", 2},
		// Ten host answers find ten; the rest costs one hello each and a refusal.
		{"all groups, client order", clientOrdered(groups...), groups, "client", 26 - 10 + 2},
		{"chacha-like", chachaFirst(112, own...), own, "server", 0},
	} {
		for _, chains := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s, %d chains", tt.name, chains), func(t *testing.T) {
				f := &dimRun{suites: clientOrdered(suitesAccepted...), groups: tt.groups}
				got, pref := f.run(t, suites, groups, chains)
				if tt.name == "chacha-like" {
					// No single order explains its picks; the set must
					// be right, and the order is the one a client
					// offering our order meets, one pick at a time.
					if !slices.Equal(slices.Sorted(slices.Values(got)), sorted) || pref != "server" {
						t.Errorf("found %v (%q), want %v in some order (server)", got, pref, sorted)
					}
					return
				}
				if !slices.Equal(got, tt.want) || pref != tt.wantPref {
					t.Errorf("found %v (%q), want %v (%q)", got, pref, tt.want, tt.wantPref)
				}
				if tt.maxDedicated > 0 && f.dedicated.Load() > tt.maxDedicated {
					t.Errorf("%d hellos of its own, want at most %d (the host's %d answers should have found the rest)", f.dedicated.Load(), tt.maxDedicated, f.hosted.Load())
				}
				if len(f.failures) > 0 {
					t.Errorf("failures: %v", f.failures)
				}
			})
		}
	}
}

// TestDimensionRandomServers: whatever the rule, the set found is what the
// server accepts, and a server with one order of its own gets it listed.
func TestDimensionRandomServers(t *testing.T) {
	suites := span(1, 30)
	groups := span(100, 119)
	rng := rand.New(rand.NewPCG(3, 4))
	var mu sync.Mutex
	for i := range 150 {
		accepts := slices.Clone(groups)
		rng.Shuffle(len(accepts), func(i, j int) { accepts[i], accepts[j] = accepts[j], accepts[i] })
		accepts = accepts[:rng.IntN(len(accepts)+1)]
		suitesOK := suites[:1+rng.IntN(len(suites))]
		var g fakeServer
		switch i % 3 {
		case 0:
			g = serverOrdered(accepts...)
		case 1:
			g = clientOrdered(accepts...)
		default:
			g = func(offer []uint16) uint16 {
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
		f := &dimRun{suites: clientOrdered(suitesOK...), groups: g}
		chains := 1 + i%4
		got, pref := f.run(t, suites, groups, chains)
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(accepts))) {
			t.Fatalf("server %d (rule %d, %d chains) accepts %v, found %v", i, i%3, chains, slices.Sorted(slices.Values(accepts)), got)
		}
		if i%3 == 0 && len(accepts) > 1 && (pref != "server" || !slices.Equal(got, accepts)) {
			t.Fatalf("server %d: own order %v, found %v (%q)", i, accepts, got, pref)
		}
		if i%3 == 1 && len(accepts) > 1 && pref != "client" {
			t.Fatalf("server %d: client order, preference %q", i, pref)
		}
	}
}

// TestDimensionOrderSpreadsLeads: successive hellos lead with different
// candidates, each followed by the rest from there on, then what is known.
func TestDimensionOrderSpreadsLeads(t *testing.T) {
	d := newDimension("x", func(id uint16) string { return fmt.Sprint(id) }, span(1, 8))
	var leads []uint16
	for range 4 {
		o := d.next()
		leads = append(leads, o.list[0])
		if o.untested != 8 {
			t.Fatalf("untested = %d, want 8", o.untested)
		}
	}
	if want := []uint16{1, 3, 5, 7}; !slices.Equal(leads, want) {
		t.Errorf("leads %v, want %v", leads, want)
	}
	d.record(nil, 5, legacytls.Result{})
	o := d.next()
	if want := []uint16{1, 2, 3, 4, 6, 7, 8, 5}; !slices.Equal(o.list, want) || o.untested != 7 {
		t.Errorf("after 5 was found: %v (%d untested), want %v (7)", o.list, o.untested, want)
	}
	d.saw(o, 5, legacytls.Result{}) // known when the hello was built
	select {
	case <-d.ready:
	default:
		t.Error("an answer that taught nothing new did not start the dedicated elimination")
	}
}
