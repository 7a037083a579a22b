package probe

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tlsdoctor/tlsdoctor/internal/legacytls"
)

// An eliminator finds which of a list of candidates (cipher suites of one
// version, or key-exchange groups) a server accepts, by elimination: offer
// a list, take the server's choice out, offer the rest, until the server
// refuses. A server that refuses a list accepts none of it, so the set
// found never depends on the server's order.
//
// The order does decide the speed. With one connection at a time it is one
// chain, a round trip per accepted candidate, and the picks come in the
// server's order. With more, the first round offers the list both ways
// round at once:
//
//   - the same pick both ways, with a second candidate found later, proves
//     the server chooses by its own order; the rest is one chain, so that
//     the picks give that order, or, with partition, parallel chains over
//     parts of the list (for suites: tiers as servers rank them), whose
//     picks give the order within each part, merged by checking each
//     border between parts with one hello (and offering the heads of
//     parts that interleave, one pick at a time);
//   - two different picks mean the server follows the client's order: the
//     forward pick is the first accepted candidate in our order, the
//     reverse pick the last. There is no server order to learn, so the
//     candidates in between are cut into parallel chains, each a plain
//     elimination over its part. Every pick is then checked against the
//     client order it implies; a single pick out of that order proves the
//     server has its own order after all, and one more chain over what was
//     found establishes it.
type eliminator struct {
	// chains is how many chains may run at once; 1 means one chain.
	chains int
	// what names the enumeration in errors ("TLS 1.2", "TLS 1.3 groups").
	what string
	// ask offers a list; false when the context ended before it could.
	// urgent hellos belong to a chain that must stay sequential and go
	// first when connections are scarce.
	ask func(ctx context.Context, offer []uint16, urgent bool) (legacytls.Result, bool)
	// choice is the server's pick in an answer; false for a refusal.
	choice func(legacytls.Result) (uint16, bool)
	// name names a candidate in errors.
	name func(uint16) string
	// fail records why the enumeration may be incomplete.
	fail func(format string, args ...any)
	// accepted, when set, is called as soon as a first candidate is
	// accepted (more than once is fine).
	accepted func()
	// observe, when set, is told every pick with its offer (a
	// dimension's dedicated elimination feeds its answers back).
	observe func(offer []uint16, id uint16, r legacytls.Result)
	// noOrder skips the hellos made only to learn the server's order
	// (the caller settles it from every answer it saw).
	noOrder bool
	// apart, when set, marks candidates a server may choose and then fail
	// with, closing the connection without a word (Dovecot without DH
	// parameters on a DHE suite): after such a close the offer is asked
	// again without them, and from then on they are eliminated on
	// their own, after the rest (held says so).
	apart func(uint16) bool
	held  atomic.Bool
	// partition, for a server with its own order, finds that order by
	// parallel chains over parts of the list and a merge (see
	// partitionMerge) instead of one chain. parts, when set, cuts the
	// list into at most k parts; nil cuts it into k contiguous ones.
	partition bool
	parts     func(cands []uint16, k int) [][]uint16
	// likelyRefused makes the first round offer the list one way only,
	// and the other way only once the server has accepted something:
	// one round trip more when it does, one connection less when it
	// refuses, as most servers now do for SSL 3.0 to TLS 1.1.
	likelyRefused bool
	// cut is set when a step ended without a conclusive answer (the
	// context ended, a timeout, a failed connection): what was found may
	// not be all there is.
	cut atomic.Bool
}

// elimination is what an eliminator found.
type elimination struct {
	// IDs are the accepted candidates and Answers the server's answer
	// that picked each: in the server's order when Preference is
	// "server", else in the candidates' order.
	IDs     []uint16
	Answers []legacytls.Result
	// Preference is "server", "client", or empty when it could not be
	// told (fewer than two accepted).
	Preference string
	// First is the answer to the first offer: how the server refused,
	// when it accepted nothing.
	First legacytls.Result
	// Cut says the enumeration did not end on the server's refusal: a
	// hello was never made or got no conclusive answer (time budget,
	// timeout), so IDs may be missing candidates (or be empty for that
	// reason alone).
	Cut bool
}

type stepStatus int

const (
	// stopped comes first: a step never taken is no pick.
	stopped stepStatus = iota // context ended, no conclusive answer, or a pick we did not offer
	picked
	refused
)

type step struct {
	status stepStatus
	id     uint16
	r      legacytls.Result
}

func (e *eliminator) step(ctx context.Context, offer []uint16, urgent bool) step {
	st := e.step1(ctx, offer, urgent)
	if st.status == stopped {
		e.cut.Store(true)
	}
	return st
}

func (e *eliminator) step1(ctx context.Context, offer []uint16, urgent bool) step {
	if e.apart != nil && e.held.Load() {
		offer = slices.DeleteFunc(slices.Clone(offer), e.apart)
		if len(offer) == 0 {
			return step{status: refused}
		}
	}
	r, ok := e.ask(ctx, offer, urgent)
	if !ok {
		return step{status: stopped}
	}
	if e.apart != nil && !e.held.Load() && closedSilently(r) {
		// A silent close is no refusal of the whole offer: the server
		// may have picked a suite it cannot finish. Ask the rest.
		if rest := slices.DeleteFunc(slices.Clone(offer), e.apart); len(rest) > 0 && len(rest) < len(offer) {
			e.held.Store(true)
			return e.step(ctx, rest, urgent)
		}
	}
	id, ok := e.choice(r)
	switch {
	case ok && slices.Contains(offer, id):
		if e.accepted != nil {
			e.accepted()
		}
		if e.observe != nil {
			e.observe(offer, id, r)
		}
		return step{status: picked, id: id, r: r}
	case ok:
		e.fail("%s: the server chose %s, which was not offered", e.what, e.name(id))
		return step{status: stopped, r: r}
	}
	if why, unsure := inconclusive(r); unsure {
		// A timeout or a failed connection is no refusal: the answer is
		// unknown rather than "not accepted".
		e.fail("%s: %s", e.what, why)
		return step{status: stopped, r: r}
	}
	return step{status: refused, r: r}
}

// asker is e's hello as a dimension asks it: through step, so that what
// it learns is observed and what fails is recorded.
func (e *eliminator) asker() asker {
	return func(ctx context.Context, offer []uint16) (uint16, legacytls.Result, bool) {
		st := e.step(ctx, offer, false)
		return st.id, st.r, st.status == picked
	}
}

// chain eliminates over offer until a refusal.
func (e *eliminator) chain(ctx context.Context, offer []uint16, urgent bool) (ids []uint16, answers []legacytls.Result) {
	offer = slices.Clone(offer)
	for len(offer) > 0 {
		st := e.step(ctx, offer, urgent)
		if st.status != picked {
			break
		}
		ids, answers = append(ids, st.id), append(answers, st.r)
		offer = slices.DeleteFunc(offer, func(id uint16) bool { return id == st.id })
	}
	return ids, answers
}

func (e *eliminator) run(ctx context.Context, cands []uint16) elimination {
	out := e.runAll(ctx, cands)
	if e.held.Load() {
		out = e.withHeld(ctx, cands, out)
	}
	out.Cut = e.cut.Load()
	return out
}

// withHeld eliminates over the candidates set apart after a silent close,
// on their own (a close now is their refusal), and adds what it finds to
// out, in the order out's preference calls for.
func (e *eliminator) withHeld(ctx context.Context, cands []uint16, out elimination) elimination {
	held := slices.DeleteFunc(slices.Clone(cands), func(id uint16) bool { return !e.apart(id) || slices.Contains(out.IDs, id) })
	sub := &eliminator{chains: 1, what: e.what, ask: e.ask, choice: e.choice, name: e.name, fail: e.fail,
		accepted: e.accepted, observe: e.observe, noOrder: true}
	found := sub.run(ctx, held)
	if found.Cut {
		e.cut.Store(true)
	}
	if len(found.IDs) == 0 {
		return out
	}
	if len(out.IDs) == 0 {
		found.Preference = e.orderPreference(ctx, found.IDs, cands)
		return found
	}
	byID := map[uint16]legacytls.Result{}
	for i, id := range out.IDs {
		byID[id] = out.Answers[i]
	}
	for i, id := range found.IDs {
		byID[id] = found.Answers[i]
	}
	all := append(slices.Clone(out.IDs), found.IDs...)
	pos := func(id uint16) int { return slices.Index(cands, id) }
	merged := elimination{First: out.First}
	if out.Preference == "server" {
		// Where the suites set apart stand in the server's order takes
		// one chain over everything found.
		for left := all; len(left) > 0; {
			if len(left) == 1 {
				merged.add(left[0], byID[left[0]])
				break
			}
			st := e.step(ctx, left, true)
			if st.status != picked {
				for _, id := range left {
					merged.add(id, byID[id])
				}
				break
			}
			merged.add(st.id, byID[st.id])
			left = slices.DeleteFunc(slices.Clone(left), func(id uint16) bool { return id == st.id })
		}
		merged.Preference = "server"
		return merged
	}
	slices.SortFunc(all, func(a, b uint16) int { return pos(a) - pos(b) })
	for _, id := range all {
		merged.add(id, byID[id])
	}
	merged.Preference = out.Preference
	if merged.Preference == "" {
		merged.Preference = e.orderPreference(ctx, all, cands)
	}
	return merged
}

// closedSilently says whether the server closed the connection after our
// hello without a byte: no answer, no alert.
func closedSilently(r legacytls.Result) bool {
	if r.Answered || r.AlertSeen || r.Err == nil || !r.Silent {
		return false
	}
	_, unsure := inconclusive(r)
	return !unsure
}

func (e *eliminator) runAll(ctx context.Context, cands []uint16) elimination {
	var out elimination
	if len(cands) == 0 {
		return out
	}
	if e.chains <= 1 || len(cands) == 1 {
		fwd := e.step(ctx, cands, false)
		out.First = fwd.r
		if fwd.status != picked {
			return out
		}
		out.add(fwd.id, fwd.r)
		out.addChain(e.chain(ctx, without(cands, out.IDs), false))
		out.Preference = e.orderPreference(ctx, out.IDs, cands)
		return out
	}
	var fwd, rev step
	if e.likelyRefused {
		if fwd = e.step(ctx, cands, false); fwd.status == picked {
			rev = e.step(ctx, reversed(cands), false)
		}
	} else {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); rev = e.step(ctx, reversed(cands), false) }()
		fwd = e.step(ctx, cands, false)
		wg.Wait()
	}
	out.First = fwd.r
	switch {
	case fwd.status == picked && rev.status == picked && fwd.id == rev.id:
		// Same pick both ways: any second candidate proves server order.
		out.add(fwd.id, fwd.r)
		if e.partition {
			return e.partitionMerge(ctx, cands, fwd)
		}
		out.addChain(e.chain(ctx, without(cands, out.IDs), true))
		if len(out.IDs) > 1 {
			out.Preference = "server"
		}
		return out
	case fwd.status == picked && rev.status == picked && slices.Index(cands, fwd.id) < slices.Index(cands, rev.id):
		return e.clientOrder(ctx, cands, fwd, rev)
	}
	// One way refused or cut short, or picks no order explains: one
	// chain, as with a single connection.
	for _, st := range []step{fwd, rev} {
		if st.status == picked && !slices.Contains(out.IDs, st.id) {
			out.add(st.id, st.r)
		}
	}
	if len(out.IDs) == 0 {
		return out
	}
	out.addChain(e.chain(ctx, without(cands, out.IDs), true))
	out.Preference = e.orderPreference(ctx, out.IDs, cands)
	return out
}

// partitionMerge finishes a run whose first round showed the server's own
// order (top, its first choice): the rest is cut into contiguous parts,
// each eliminated by its own chain (the picks give the server's order
// within the part), then the parts are merged: one hello per pair of
// neighbouring parts checks whether the last of one beats the first of the
// next; where it does not, the parts around that border are merged by
// offering their heads, one pick at a time.
func (e *eliminator) partitionMerge(ctx context.Context, cands []uint16, top step) elimination {
	rest := without(cands, []uint16{top.id})
	k := min(e.chains, max(len(rest), 1))
	var cut [][]uint16
	if e.parts != nil {
		cut = e.parts(rest, k)
	} else {
		for i := range k {
			cut = append(cut, rest[i*len(rest)/k:(i+1)*len(rest)/k])
		}
	}
	type list struct {
		ids     []uint16
		answers []legacytls.Result
	}
	parts := make([]list, len(cut))
	var wg sync.WaitGroup
	for i, part := range cut {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i].ids, parts[i].answers = e.chain(ctx, part, true)
		}()
	}
	wg.Wait()
	var lists []list
	for _, p := range parts {
		if len(p.ids) > 0 {
			lists = append(lists, p)
		}
	}
	byID := map[uint16]legacytls.Result{top.id: top.r}
	for _, l := range lists {
		for j, id := range l.ids {
			byID[id] = l.answers[j]
		}
	}
	blocks := make([][]uint16, len(lists))
	for i, l := range lists {
		blocks[i] = l.ids
	}
	// Borders, all at once: where the last of a block beats the first
	// of the next, every candidate of the one is above every candidate
	// of the other. Blocks that interleave are merged, and the borders
	// of what they become are checked again.
	var mu sync.Mutex
	beats := map[[2]uint16]bool{}
	for len(blocks) > 1 {
		joined := make([]bool, len(blocks)-1)
		for i := range joined {
			a, b := blocks[i][len(blocks[i])-1], blocks[i+1][0]
			mu.Lock()
			known, seen := beats[[2]uint16{a, b}]
			mu.Unlock()
			if seen {
				joined[i] = !known
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := e.step(ctx, []uint16{a, b}, true)
				won := st.status == picked && st.id == a
				mu.Lock()
				beats[[2]uint16{a, b}] = won
				mu.Unlock()
				joined[i] = !won
			}()
		}
		wg.Wait()
		if !slices.Contains(joined, true) || ctx.Err() != nil {
			break
		}
		// Each run of joined blocks is merged on its own, the runs at
		// once.
		type run struct{ from, to int }
		var runs []run
		for i := 0; i < len(blocks); {
			j := i
			for j < len(joined) && joined[j] {
				j++
			}
			runs = append(runs, run{i, j})
			i = j + 1
		}
		merged := make([][]uint16, len(runs))
		for ri, rn := range runs {
			if rn.from == rn.to {
				merged[ri] = blocks[rn.from]
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				merged[ri] = e.mergeHeads(ctx, blocks[rn.from:rn.to+1])
			}()
		}
		wg.Wait()
		blocks = merged
	}
	out := elimination{First: top.r}
	out.add(top.id, top.r)
	for _, b := range blocks {
		for _, id := range b {
			out.add(id, byID[id])
		}
	}
	if len(out.IDs) > 1 {
		out.Preference = "server"
	}
	return out
}

// mergeHeads merges lists, each in the server's order, by offering their
// heads: one hello per pick until one list is left.
func (e *eliminator) mergeHeads(ctx context.Context, lists [][]uint16) []uint16 {
	heads := make([][]uint16, len(lists))
	for i, l := range lists {
		heads[i] = slices.Clone(l)
	}
	var out []uint16
	for {
		var offer []uint16
		for _, h := range heads {
			if len(h) > 0 {
				offer = append(offer, h[0])
			}
		}
		if len(offer) < 2 {
			break
		}
		st := e.step(ctx, offer, true)
		if st.status != picked {
			break // cut short: what is left keeps an order not established
		}
		out = append(out, st.id)
		for i, h := range heads {
			if len(h) > 0 && h[0] == st.id {
				heads[i] = h[1:]
			}
		}
	}
	for _, h := range heads {
		out = append(out, h...)
	}
	return out
}

// clientOrder finishes a run whose first round showed the server following
// our order: fwd picked the first accepted candidate, rev the last.
func (e *eliminator) clientOrder(ctx context.Context, cands []uint16, fwd, rev step) elimination {
	// Dealt round-robin, each part keeps our order, and the accepted
	// candidates, which sit in runs (same key exchange, same cipher),
	// spread evenly over the chains.
	rest := without(cands, []uint16{fwd.id, rev.id})
	k := min(e.chains, max(len(rest), 1))
	parts := make([][]uint16, k)
	for i, id := range rest {
		parts[i%k] = append(parts[i%k], id)
	}

	type found struct {
		ids     []uint16
		answers []legacytls.Result
	}
	res := make([]found, k)
	var wg sync.WaitGroup
	for i, part := range parts {
		if len(part) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i].ids, res[i].answers = e.chain(ctx, part, false)
		}()
	}
	wg.Wait()

	byID := map[uint16]legacytls.Result{fwd.id: fwd.r, rev.id: rev.r}
	all := []uint16{fwd.id, rev.id}
	inOrder := true
	for _, f := range res {
		for j, id := range f.ids {
			byID[id] = f.answers[j]
			all = append(all, id)
			if j > 0 && slices.Index(cands, id) < slices.Index(cands, f.ids[j-1]) {
				inOrder = false
			}
		}
	}
	pos := func(id uint16) int { return slices.Index(cands, id) }
	slices.SortFunc(all, func(a, b uint16) int { return pos(a) - pos(b) })
	if all[0] != fwd.id || all[len(all)-1] != rev.id {
		inOrder = false
	}
	var out elimination
	out.First = fwd.r
	if inOrder {
		for _, id := range all {
			out.add(id, byID[id])
		}
		out.Preference = "client"
		return out
	}
	// A pick out of our order: the server has one of its own. One chain
	// over what was found gives it; the last one left needs no hello.
	left := slices.Clone(all)
	for len(left) > 1 && !e.noOrder {
		st := e.step(ctx, left, true)
		if st.status != picked {
			break
		}
		out.add(st.id, st.r)
		left = slices.DeleteFunc(left, func(id uint16) bool { return id == st.id })
	}
	for _, id := range left {
		// Cut short, or the last one: found, in an order not established.
		out.add(id, byID[id])
	}
	out.Preference = "server"
	return out
}

// orderPreference tells server order from client order after a single
// chain. A server that follows the client's order picks, at every step,
// the remaining accepted candidate we listed first; any other pick proves
// it uses its own order, at no extra cost. Otherwise one more hello
// offering the last and the first found, in that order, decides.
func (e *eliminator) orderPreference(ctx context.Context, found, offered []uint16) string {
	n := len(found)
	if n < 2 || e.noOrder {
		return ""
	}
	for i := 0; i < n-1; i++ {
		for _, later := range found[i+1:] {
			if slices.Index(offered, later) < slices.Index(offered, found[i]) {
				return "server"
			}
		}
	}
	first, last := found[0], found[n-1]
	st := e.step(ctx, []uint16{last, first}, false)
	if st.status != picked {
		return ""
	}
	if st.id == first {
		return "server"
	}
	return "client"
}

func (o *elimination) add(id uint16, r legacytls.Result) {
	o.IDs, o.Answers = append(o.IDs, id), append(o.Answers, r)
}

func (o *elimination) addChain(ids []uint16, answers []legacytls.Result) {
	o.IDs, o.Answers = append(o.IDs, ids...), append(o.Answers, answers...)
}

func without(list, drop []uint16) []uint16 {
	return slices.DeleteFunc(slices.Clone(list), func(id uint16) bool { return slices.Contains(drop, id) })
}

func reversed(list []uint16) []uint16 {
	r := slices.Clone(list)
	slices.Reverse(r)
	return r
}
