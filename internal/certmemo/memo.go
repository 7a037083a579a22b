package certmemo

import "sync"

// memo is a bounded map from bytes to the outcome of a pure function of
// them: when either bound is reached it starts over.
type memo[V any] struct {
	mu         sync.Mutex
	m          map[string]V
	bytes      int
	maxEntries int
	maxBytes   int
}

func newMemo[V any](maxEntries, maxBytes int) *memo[V] {
	return &memo[V]{m: map[string]V{}, maxEntries: maxEntries, maxBytes: maxBytes}
}

// get returns the remembered value for key, or computes it from a copy
// of key's bytes (so that what it returns does not alias the caller's)
// and remembers it.
func (m *memo[V]) get(key string, compute func(own []byte) V) V {
	m.mu.Lock()
	v, ok := m.m[key]
	m.mu.Unlock()
	if ok {
		return v
	}
	v = compute([]byte(key))
	m.mu.Lock()
	if len(m.m) >= m.maxEntries || m.bytes+len(key) > m.maxBytes {
		clear(m.m)
		m.bytes = 0
	}
	if len(key) <= m.maxBytes {
		m.m[key] = v
		m.bytes += len(key)
	}
	m.mu.Unlock()
	return v
}
