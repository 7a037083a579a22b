package exporter

import (
	"strings"
	"testing"
	"time"
)

// TestFetchCacheAcrossScrapes: with --fetch-cache, scrapes of two targets
// under the lab intermediate ask its OCSP responder once between them
// (the diagnoses still validate the answer and report revocation); with
// 0 every diagnosis asks; and once the time has passed, it asks again.
func TestFetchCacheAcrossScrapes(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.load(t, labConfig)
	a, b := e.start(t, "good"), e.start(t, "good")
	for _, tc := range []struct {
		name  string
		cache time.Duration
		want  int // responder requests for the scrapes after the first
	}{
		{"off", 0, 2},
		{"5m", 5 * time.Minute, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := e.now
			_, base, c := serve(t, cfg, Options{FetchCache: tc.cache, Now: func() time.Time { return now }})
			first := get(t, c, base, q(a, ""), "")
			if first.status != 200 || !strings.Contains(first.body, "probe_success 1") {
				t.Fatalf("first scrape: %d\n%s", first.status, first.body)
			}
			before := e.lab.Responder.Requests()
			for _, target := range []string{a, b} {
				s := get(t, c, base, q(target, ""), "")
				if s.status != 200 || !strings.Contains(s.body, "probe_success 1") || !strings.Contains(s.body, `tlsdoctor_revocation_status{`) {
					t.Fatalf("scrape of %s: %d\n%s", target, s.status, s.body)
				}
			}
			if got := e.lab.Responder.Requests() - before; got != tc.want {
				t.Errorf("responder requests for two more scrapes = %d, want %d", got, tc.want)
			}
			if tc.cache > 0 {
				now = now.Add(tc.cache)
				before = e.lab.Responder.Requests()
				get(t, c, base, q(a, ""), "")
				if got := e.lab.Responder.Requests() - before; got != 1 {
					t.Errorf("after the cache time: %d responder requests, want 1", got)
				}
			}
		})
	}
}
