package probe

import (
	"context"
	"sync"
)

// FetchCache shares the answers of HTTP fetches (OCSP, CRL, AIA) between
// the probes of one run: an identical request is made once, and every
// other probe that needs it waits for that answer and records it as
// Cached. The many-target runner gives one to every diagnosis of a run,
// so that a thousand leaves under one intermediate ask its responder
// once. A fetch cut short by its own probe's deadline or cancellation is
// not kept: the next probe that needs it asks again. Answers are kept for
// the life of the cache (one run), never across runs.
type FetchCache struct {
	mu  sync.Mutex
	rev map[string]*onceEntry[RevocationFetch]
	aia map[string]*onceEntry[AIAFetch]
}

// NewFetchCache makes an empty cache.
func NewFetchCache() *FetchCache {
	return &FetchCache{rev: map[string]*onceEntry[RevocationFetch]{}, aia: map[string]*onceEntry[AIAFetch]{}}
}

type onceEntry[V any] struct {
	done chan struct{}
	val  V
	// dropped is set when the fetch was cut short by its caller's
	// context: waiters fetch again.
	dropped bool
}

// once returns the value for key, fetching it when no other caller has or
// is; cached says it came from another caller's fetch. ok is false when
// ctx ended while waiting for another caller.
func once[V any](ctx context.Context, mu *sync.Mutex, m map[string]*onceEntry[V], key string, fetch func() V) (v V, cached, ok bool) {
	for {
		mu.Lock()
		e, found := m[key]
		if !found {
			e = &onceEntry[V]{done: make(chan struct{})}
			m[key] = e
		}
		mu.Unlock()
		if !found {
			e.val = fetch()
			if ctx.Err() != nil {
				e.dropped = true
				mu.Lock()
				delete(m, key)
				mu.Unlock()
			}
			close(e.done)
			return e.val, false, true
		}
		select {
		case <-e.done:
			if !e.dropped {
				return e.val, true, true
			}
		case <-ctx.Done():
			return v, false, false
		}
	}
}
