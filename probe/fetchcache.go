package probe

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// FetchCache shares the answers of HTTP fetches (OCSP, CRL, AIA) between
// probes: an identical request is made once, and every other probe that
// needs it waits for that answer and records it as Cached. A fetch cut
// short by its own probe's deadline or cancellation is not kept: the next
// probe that needs it asks again.
//
// NewFetchCache makes the cache of one run (the many-target runner gives
// one to every diagnosis of a run, so that a thousand leaves under one
// intermediate ask its responder once): answers are kept for the life of
// the cache. NewSharedFetchCache makes one for a long-lived process (the
// exporter), whose answers are reused only for a set time, only when
// they were usable (an HTTP 200 read whole: a failure is asked again by
// the next probe), and within a bound on the bytes kept.
type FetchCache struct {
	rev onceMap[RevocationFetch]
	aia onceMap[AIAFetch]
}

// SharedFetchCacheOptions bound a long-lived FetchCache.
type SharedFetchCacheOptions struct {
	// TTL is how long an answer is reused after it was fetched (required,
	// > 0).
	TTL time.Duration
	// MaxBytes bounds the bytes of kept answers (bodies and requests);
	// past it, expired answers are dropped and, if that is not enough,
	// a new answer is not kept. Zero means 32 MiB.
	MaxBytes int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewFetchCache makes an empty cache for one run.
func NewFetchCache() *FetchCache {
	return &FetchCache{rev: onceMap[RevocationFetch]{m: map[string]*onceEntry[RevocationFetch]{}}, aia: onceMap[AIAFetch]{m: map[string]*onceEntry[AIAFetch]{}}}
}

// NewSharedFetchCache makes an empty cache whose answers expire (see
// FetchCache).
func NewSharedFetchCache(o SharedFetchCacheOptions) *FetchCache {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 32 << 20
	}
	c := NewFetchCache()
	c.rev.ttl, c.rev.maxBytes, c.rev.now = o.TTL, o.MaxBytes, o.Now
	c.rev.usable = func(r RevocationFetch) (int, bool) {
		ok := r.Error == nil && r.HTTPStatus == http.StatusOK && !r.Truncated
		return len(r.Response) + len(r.Request) + 512, ok
	}
	c.aia.ttl, c.aia.maxBytes, c.aia.now = o.TTL, o.MaxBytes, o.Now
	c.aia.usable = func(f AIAFetch) (int, bool) {
		n := 512
		for _, cert := range f.Certificates {
			n += len(cert.DER)
		}
		return n, f.Error == "" && f.HTTPStatus == http.StatusOK && len(f.Certificates) > 0
	}
	return c
}

// onceMap is one kind of answer, keyed by request.
type onceMap[V any] struct {
	mu sync.Mutex
	m  map[string]*onceEntry[V]
	// Set for a shared cache (ttl > 0): usable says whether a finished
	// answer may be reused and how many bytes it holds.
	ttl      time.Duration
	maxBytes int
	now      func() time.Time
	usable   func(V) (size int, ok bool)
	bytes    int
}

type onceEntry[V any] struct {
	done chan struct{}
	val  V
	// dropped is set when the fetch was cut short by its caller's
	// context: waiters fetch again.
	dropped bool
	// Of a kept answer in a shared cache: when it expires, its size.
	expires time.Time
	size    int
}

// once returns the value for key, fetching it when no other caller has or
// is (or, in a shared cache, when the kept answer has expired); cached
// says it came from another caller's fetch. ok is false when ctx ended
// while waiting for another caller.
func (om *onceMap[V]) once(ctx context.Context, key string, fetch func() V) (v V, cached, ok bool) {
	for {
		om.mu.Lock()
		e, found := om.m[key]
		if found && om.ttl > 0 && isClosed(e.done) && !om.now().Before(e.expires) {
			om.drop(key, e)
			found = false
		}
		if !found {
			e = &onceEntry[V]{done: make(chan struct{})}
			om.m[key] = e
		}
		om.mu.Unlock()
		if !found {
			e.val = fetch()
			om.mu.Lock()
			switch {
			case ctx.Err() != nil:
				e.dropped = true
				om.drop(key, e)
			case om.ttl > 0:
				// Waiters already queued get this answer either way; it
				// is kept for later probes only when usable and within
				// the byte bound.
				size, usable := om.usable(e.val)
				if usable && om.bytes+size > om.maxBytes {
					om.sweep()
				}
				if usable && om.bytes+size <= om.maxBytes {
					e.size, e.expires = size, om.now().Add(om.ttl)
					om.bytes += size
				} else {
					om.drop(key, e)
				}
			}
			om.mu.Unlock()
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

// drop forgets key's entry if it is still e. Called with mu held.
func (om *onceMap[V]) drop(key string, e *onceEntry[V]) {
	if om.m[key] == e {
		delete(om.m, key)
		om.bytes -= e.size
	}
}

// sweep drops the expired answers of a shared cache. Called with mu held.
func (om *onceMap[V]) sweep() {
	now := om.now()
	for k, e := range om.m {
		if isClosed(e.done) && !now.Before(e.expires) {
			om.drop(k, e)
		}
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
