package exporter

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkProbeGood is one /probe of a good server on loopback (full
// chain, stapled OCSP, the intermediate's OCSP answer from the fetch
// cache as `serve` runs by default): the exporter's cost per scrape
// without network latency. BenchmarkProbeGoodNoFetchCache asks the
// responder every time (--fetch-cache 0).
func BenchmarkProbeGood(b *testing.B) { benchProbeGood(b, DefaultFetchCache) }

func BenchmarkProbeGoodNoFetchCache(b *testing.B) { benchProbeGood(b, 0) }

func benchProbeGood(b *testing.B, fetchCache time.Duration) {
	e := newTestEnv(b)
	cfg := e.load(b, labConfig)
	target := e.start(b, "good")
	s := New(cfg, Options{FetchCache: fetchCache})
	h := s.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/probe?"+q(target, ""), nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkProbeCached is a /probe answered from the cache (a second
// Prometheus server scraping within --min-interval).
func BenchmarkProbeCached(b *testing.B) {
	e := newTestEnv(b)
	cfg := e.load(b, labConfig)
	target := e.start(b, "good")
	s := New(cfg, Options{MinInterval: time.Hour})
	h := s.Handler()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/probe?"+q(target, ""), nil))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/probe?"+q(target, ""), nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
