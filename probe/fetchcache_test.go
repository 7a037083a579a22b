package probe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// TestSharedFetchCache: a long-lived cache reuses a usable answer until
// its TTL, asks again after it, never keeps a failure, and keeps no more
// than MaxBytes.
func TestSharedFetchCache(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	c := NewSharedFetchCache(SharedFetchCacheOptions{TTL: time.Minute, MaxBytes: 4096, Now: func() time.Time { return now }})
	ctx := context.Background()
	fetches := 0
	answer := func(status int, body int) func() RevocationFetch {
		return func() RevocationFetch {
			fetches++
			return RevocationFetch{HTTPStatus: status, Response: make([]byte, body)}
		}
	}
	get := func(key string, f func() RevocationFetch) bool {
		_, cached, ok := c.rev.once(ctx, key, f)
		if !ok {
			t.Fatal("once: not ok")
		}
		return cached
	}

	if get("a", answer(200, 100)) {
		t.Fatal("first request came from the cache")
	}
	now = now.Add(59 * time.Second)
	if !get("a", answer(200, 100)) || fetches != 1 {
		t.Fatalf("within the TTL: fetched %d times, want 1", fetches)
	}
	now = now.Add(time.Second)
	if get("a", answer(200, 100)) || fetches != 2 {
		t.Fatalf("at the TTL: fetched %d times, want 2", fetches)
	}

	// A failed fetch is asked again by the next probe.
	get("b", answer(http.StatusServiceUnavailable, 10))
	if get("b", answer(200, 10)) || fetches != 4 {
		t.Fatalf("after a 503: fetched %d times, want 4 (not kept)", fetches)
	}
	get("err", func() RevocationFetch { fetches++; return RevocationFetch{Error: &ProbeError{Message: "refused"}} })
	if get("err", answer(200, 10)) {
		t.Fatal("a fetch error was kept")
	}

	// The byte bound: an answer that does not fit is not kept; expired
	// answers make room.
	first := get("big", answer(200, 8192))
	if second := get("big", answer(200, 8192)); first || second {
		t.Fatal("an answer larger than MaxBytes was kept")
	}
	if c.rev.bytes > 4096 {
		t.Fatalf("kept %d bytes, bound 4096", c.rev.bytes)
	}
	now = now.Add(2 * time.Minute)
	get("c", answer(200, 3000)) // a, b and the 200 for "err" expired: swept to make room
	if !get("c", answer(200, 3000)) {
		t.Fatal("an answer that fits after the sweep was not kept")
	}
	if c.rev.bytes > 4096 || c.rev.bytes < 3000 {
		t.Fatalf("kept %d bytes after the sweep", c.rev.bytes)
	}
}

// TestRunFetchCacheKeepsFailures: the cache of one run (NewFetchCache)
// keeps every answer, a failure too, for the life of the run, so a
// thousand targets under a dead responder wait for it once.
func TestRunFetchCacheKeepsFailures(t *testing.T) {
	c := NewFetchCache()
	n := 0
	f := func() RevocationFetch { n++; return RevocationFetch{HTTPStatus: 503} }
	c.rev.once(context.Background(), "k", f)
	if _, cached, _ := c.rev.once(context.Background(), "k", f); !cached || n != 1 {
		t.Fatalf("fetched %d times, want 1", n)
	}
}

// TestFetchCacheScoped: probes share a cached answer only within one
// fetch scope (policy, target privacy, proxy): a probe whose policy or
// proxy differs fetches for itself.
func TestFetchCacheScoped(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n++; w.Write([]byte("crl")) }))
	defer srv.Close()
	cache := NewFetchCache()
	private := fetchScope(Options{}, true)
	scopes := []string{
		private,
		private, // the same: answered from the cache
		fetchScope(Options{}, false),
		fetchScope(Options{FetchPolicy: FetchPolicy{AllowPrivate: true}}, false),
		fetchScope(Options{Connect: dial.Options{Proxy: "http://proxy.example:3128"}}, true),
	}
	for i, sc := range scopes {
		f := &fetcher{client: srv.Client(), cache: cache, scope: sc, perRequest: 5 * time.Second}
		r := f.get(context.Background(), SourceCRL, srv.URL+"/x.crl", nil, 1<<10, false)
		if r.Error != nil {
			t.Fatal(r.Error)
		}
		if want := i == 1; r.Cached != want {
			t.Errorf("scope %d: cached = %v, want %v", i, r.Cached, want)
		}
	}
	if n != 4 {
		t.Errorf("%d requests, want 4 (one per distinct scope)", n)
	}
}
