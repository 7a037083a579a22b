package exporter

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkProbeGood is one /probe of a good server on loopback (full
// chain, stapled OCSP, the intermediate's OCSP fetched): the exporter's
// cost per scrape without network latency.
func BenchmarkProbeGood(b *testing.B) {
	e := newTestEnv(b)
	cfg := e.load(b, labConfig)
	target := e.start(b, "good")
	s := New(cfg, Options{})
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
