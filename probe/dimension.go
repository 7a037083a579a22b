package probe

import (
	"context"
	"slices"
	"sync"

	"github.com/tlsdoctor/tlsdoctor/internal/legacytls"
)

// A dimension is a list the scan learns about from answers to hellos sent
// for another list, its host: the TLS 1.2 groups and signature schemes
// ride on the TLS 1.2 suite elimination (an ECDHE answer names its group,
// a signed key exchange its scheme), the TLS 1.3 suites on the TLS 1.3
// group elimination (a HelloRetryRequest names the suite too).
//
// A host hello always offers the whole list, so what it learns about its
// own list never changes; only the order varies. Each hello leads with a
// candidate not picked yet, the leads spread over the list, and the other
// candidates follow cyclically from the lead: a server that follows the
// client's order names a new candidate with nearly every answer, for free.
// Whatever its rule, what a server picks it accepts; what it did not pick
// is not refused. So when an answer teaches nothing new (the server picked
// what was already known: it has its own order, or nothing new is left),
// or when the host is done, a dedicated elimination over the candidates
// not picked yet starts, and its refusal proves the list complete.
//
// The server's order comes from every answer seen, host or dedicated:
// settle tells client order from server order and asks what neither
// explains yet.
type dimension struct {
	what  string
	name  func(uint16) string
	cands []uint16 // in our order
	// stride spreads the leads of successive hellos over the list.
	stride int

	mu       sync.Mutex
	accepted map[uint16]legacytls.Result // the answer that first picked each
	obs      []observation
	cursor   int
	// complete is set once the dedicated elimination has ended: the
	// hellos then offer the list in our order.
	complete bool

	ready     chan struct{}
	readyOnce sync.Once
}

// observation is one answer: what was offered, in order, and the pick.
type observation struct {
	offer []uint16
	pick  uint16
}

// dimOffer is the list one host hello offers; its first untested entries
// were not known accepted when it was built.
type dimOffer struct {
	list     []uint16
	untested int
}

func newDimension(what string, name func(uint16) string, cands []uint16) *dimension {
	return &dimension{
		what: what, name: name, cands: slices.Clone(cands), stride: max(1, (len(cands)+3)/4),
		accepted: map[uint16]legacytls.Result{}, ready: make(chan struct{}),
	}
}

// next is the order of the list for the next host hello.
func (d *dimension) next() dimOffer {
	if d == nil {
		return dimOffer{}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var untested, known []uint16
	for _, id := range d.cands {
		if _, ok := d.accepted[id]; ok {
			known = append(known, id)
		} else {
			untested = append(untested, id)
		}
	}
	if d.complete || len(untested) == 0 {
		return dimOffer{list: slices.Clone(d.cands)}
	}
	n := len(d.cands)
	lead := 0
	for i := range n {
		if id := d.cands[(d.cursor+i)%n]; !slices.Contains(known, id) {
			lead = slices.Index(untested, id)
			d.cursor = (d.cursor + i + d.stride) % n
			break
		}
	}
	list := append(append(slices.Clone(untested[lead:]), untested[:lead]...), known...)
	return dimOffer{list: list, untested: len(untested)}
}

// saw records a host answer that picked id from o. An answer that picked
// what was known when its hello was built marks the dimension ready for
// its dedicated elimination.
func (d *dimension) saw(o dimOffer, id uint16, r legacytls.Result) {
	if d == nil || len(o.list) == 0 {
		return
	}
	i := slices.Index(o.list, id)
	if i < 0 {
		return // not offered: the host's own checks say so
	}
	d.record(o.list, id, r)
	if i >= o.untested {
		d.start()
	}
}

func (d *dimension) record(offer []uint16, id uint16, r legacytls.Result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.obs = append(d.obs, observation{offer: slices.Clone(offer), pick: id})
	if _, ok := d.accepted[id]; !ok {
		d.accepted[id] = r
	}
}

// start lets the dedicated elimination begin (the host calls it when it
// ends).
func (d *dimension) start() {
	if d != nil {
		d.readyOnce.Do(func() { close(d.ready) })
	}
}

// wait blocks until the dedicated elimination may begin; false when ctx
// ended first.
func (d *dimension) wait(ctx context.Context) bool {
	select {
	case <-d.ready:
		return true
	case <-ctx.Done():
		return false
	}
}

// untested are the candidates not picked yet, in our order.
func (d *dimension) untested() []uint16 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []uint16
	for _, id := range d.cands {
		if _, ok := d.accepted[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// seen is how many answers the dimension has observed.
func (d *dimension) seen() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.obs)
}

// finish marks the list complete: no candidate is left to find.
func (d *dimension) finish() {
	d.mu.Lock()
	d.complete = true
	d.mu.Unlock()
}

// asker offers a list on a dedicated hello, whose answer the dimension
// observes; ok is false for a refusal or a hello that could not be made.
type asker func(ctx context.Context, offer []uint16) (id uint16, r legacytls.Result, ok bool)

// settle orders what was found and tells the server's preference from
// every answer: "client" when each pick was the first accepted candidate
// offered and no single order explains the picks, "server" with that
// order when one order does and first-offered does not. It asks what
// the answers leave open: a hello that only one of the two explanations
// survives, or, where the server's order is not yet known between some
// candidates, those candidates offered together.
func (d *dimension) settle(ctx context.Context, ask asker) (ids []uint16, answers []legacytls.Result, pref string) {
	d.mu.Lock()
	var found []uint16
	for _, id := range d.cands {
		if _, ok := d.accepted[id]; ok {
			found = append(found, id)
		}
	}
	d.mu.Unlock()
	answersOf := func(ids []uint16) []legacytls.Result {
		d.mu.Lock()
		defer d.mu.Unlock()
		out := make([]legacytls.Result, len(ids))
		for i, id := range ids {
			out[i] = d.accepted[id]
		}
		return out
	}
	if len(found) < 2 {
		return found, answersOf(found), ""
	}
	askObs := func(offer []uint16) bool {
		_, _, ok := ask(ctx, offer)
		return ok
	}
	for range len(found) + 4 {
		d.mu.Lock()
		obs := slices.Clone(d.obs)
		d.mu.Unlock()
		client := clientExplains(obs, found)
		order, server, ties := serverExplains(obs, found)
		switch {
		case client && !server:
			return found, answersOf(found), "client"
		case server && !client && len(ties) < 2:
			return order, answersOf(order), "server"
		case server && !client:
			// Own order, not yet known among these: the server names
			// its first.
			if !askObs(ties) {
				return order, answersOf(order), "server"
			}
		case server && client:
			// Both explain every answer so far: offer two candidates
			// the other way round from a pick already seen, so that
			// one explanation fails.
			a, b, ok := someEdge(obs, found)
			if !ok {
				a, b = found[0], found[len(found)-1]
			}
			if !askObs([]uint16{b, a}) {
				return found, answersOf(found), ""
			}
		default:
			// Neither: a rule of its own (OpenSSL's ChaCha priority
			// does this). The order it picks from the whole list,
			// one at a time, is the order a client meets.
			return d.chainOrder(ctx, ask, found, answersOf)
		}
	}
	return d.chainOrder(ctx, ask, found, answersOf)
}

// chainOrder asks found one at a time, each pick taken out: the server's
// order as a client offering our order meets it.
func (d *dimension) chainOrder(ctx context.Context, ask asker, found []uint16, answersOf func([]uint16) []legacytls.Result) ([]uint16, []legacytls.Result, string) {
	var order []uint16
	left := slices.Clone(found)
	for len(left) > 1 {
		id, _, ok := ask(ctx, left)
		if !ok {
			break
		}
		order = append(order, id)
		left = slices.DeleteFunc(left, func(x uint16) bool { return x == id })
	}
	order = append(order, left...)
	return order, answersOf(order), "server"
}

// clientExplains says whether every pick was the first candidate of found
// in its offer.
func clientExplains(obs []observation, found []uint16) bool {
	for _, o := range obs {
		for _, id := range o.offer {
			if slices.Contains(found, id) {
				if id != o.pick {
					return false
				}
				break
			}
		}
	}
	return true
}

// serverExplains says whether one order of found explains every pick (the
// pick first among what was offered), and returns such an order, found's
// order breaking ties. ties are the candidates at the first place the
// answers do not decide (fewer than two: the order is known).
func serverExplains(obs []observation, found []uint16) (order []uint16, ok bool, ties []uint16) {
	above := map[uint16]map[uint16]bool{} // above[b][a]: a was picked with b offered
	for _, o := range obs {
		for _, id := range o.offer {
			if id != o.pick && slices.Contains(found, id) {
				if above[id] == nil {
					above[id] = map[uint16]bool{}
				}
				above[id][o.pick] = true
			}
		}
	}
	left := slices.Clone(found)
	for len(left) > 0 {
		var top []uint16
		for _, id := range left {
			free := true
			for a := range above[id] {
				if slices.Contains(left, a) {
					free = false
					break
				}
			}
			if free {
				top = append(top, id)
			}
		}
		if len(top) == 0 {
			return nil, false, nil // a cycle: no order explains it
		}
		if len(top) > 1 && ties == nil {
			ties = top
		}
		order = append(order, top[0])
		left = slices.DeleteFunc(left, func(x uint16) bool { return x == top[0] })
	}
	return order, true, ties
}

// someEdge finds two candidates of found an answer ordered: a was picked
// with b offered.
func someEdge(obs []observation, found []uint16) (a, b uint16, ok bool) {
	for _, o := range obs {
		for _, id := range o.offer {
			if id != o.pick && slices.Contains(found, id) {
				return o.pick, id, true
			}
		}
	}
	return 0, 0, false
}
