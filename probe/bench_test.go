package probe_test

import (
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// BenchmarkDefaultRun is one default probe of a good server: one TCP
// connection and one handshake.
func BenchmarkDefaultRun(b *testing.B) {
	srv := start(b, "good")
	opts := probe.Options{Target: target(srv.Port)}
	var handshakes int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := run(b, opts, 5*time.Second)
		handshakes += len(rec.Attempts)
	}
	b.ReportMetric(float64(handshakes)/float64(b.N), "handshakes/op")
}

// BenchmarkClientCertRequested adds the TLS 1.3 post-handshake verdict
// wait, which a server that rejects us answers within one round trip.
func BenchmarkClientCertRequested(b *testing.B) {
	srv := start(b, "client-cert-required")
	opts := probe.Options{Target: target(srv.Port)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run(b, opts, 5*time.Second)
	}
}
