package probe

import (
	"context"
	"sync"
)

// maxBackendConns bounds how many addresses --all-ips probes at once.
const maxBackendConns = 4

// everyAddress makes the primary handshake to every address of s at once
// (at most maxBackendConns in flight). The primary attempt is the first
// address, in resolver order, that took a TCP connection (the first
// address when none did); the others are returned as backends, in
// resolver order, with Purpose PurposeBackend.
func everyAddress(ctx context.Context, s attemptSpec) (Attempt, []Attempt) {
	out := make([]Attempt, len(s.addrs))
	sem := make(chan struct{}, maxBackendConns)
	var wg sync.WaitGroup
	for i, addr := range s.addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = Attempt{Purpose: s.purpose, Outcome: "failed", Address: addr, Error: classify(StageConnect, ctx.Err(), nil)}
				return
			}
			defer func() { <-sem }()
			one := s
			one.addrs = []string{addr}
			out[i] = attempt(ctx, one)
		}()
	}
	wg.Wait()
	p := 0
	for i := range out {
		if e := out[i].Error; e == nil || e.Stage != StageConnect {
			p = i
			break
		}
	}
	var backends []Attempt
	for i := range out {
		if i != p {
			out[i].Purpose = PurposeBackend
			backends = append(backends, out[i])
		}
	}
	return out[p], backends
}

// wantSNICheck says whether to make the handshake without SNI: only when
// SNI is sent, and by default only when the target is a name (an IP
// target sends a name only when --sni asks for it; --scan checks then too).
func wantSNICheck(opts Options, t Target) bool {
	if t.SNI == "" || opts.NoSNI {
		return false
	}
	switch opts.SNICheck {
	case SNICheckOff:
		return false
	case SNICheckAlways:
		return true
	}
	return !IsIP(t.Host)
}
