package probe

import (
	"context"
	"net"
	"strings"
	"sync"
)

// Hosts caps the connections open at once to each host, across every
// probe and scan given the same Hosts: the many-target runner shares one
// between the diagnoses of a run, so that --max-conns holds for a server
// however many of the run's targets (ports, names) it serves. A host is
// the IP address connected to (the port is not part of it). The zero
// value is not usable; use NewHosts.
type Hosts struct {
	n     int
	mu    sync.Mutex
	gates map[string]*gate
}

// NewHosts allows n connections at once per host (n < 1 means 1).
func NewHosts(n int) *Hosts {
	return &Hosts{n: max(n, 1), gates: map[string]*gate{}}
}

// Limit is the number of connections allowed at once per host.
func (h *Hosts) Limit() int { return h.n }

// gate is the gate of the host of addr (host:port, or a bare host).
func (h *Hosts) gate(addr string) *gate {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.ToLower(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	g := h.gates[host]
	if g == nil {
		g = newGate(h.n)
		h.gates[host] = g
	}
	return g
}

// acquire waits for a connection slot to addr's host; it returns the
// release func, or nil when ctx ended first. A nil Hosts never waits.
func (h *Hosts) acquire(ctx context.Context, addr string, urgent bool) func() {
	if h == nil {
		return func() {}
	}
	g := h.gate(addr)
	if !g.acquire(ctx, urgent) {
		return nil
	}
	return g.release
}
