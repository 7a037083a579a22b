package exporter

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// selfMetrics are the exporter's own, on /metrics.
type selfMetrics struct {
	registry        *prometheus.Registry
	probes          *prometheus.CounterVec
	probeDuration   *prometheus.HistogramVec
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	inFlight        prometheus.Gauge
	cacheHits       *prometheus.CounterVec
	overload        prometheus.Counter
	reloadOK        prometheus.Gauge
	reloadTime      prometheus.Gauge
}

func newSelfMetrics(s *Server) *selfMetrics {
	m := &selfMetrics{
		registry: prometheus.NewRegistry(),
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tlsdoctor_exporter_probes_total", Help: "Diagnoses run, by module and result (success: probe_success 1)."},
			[]string{"module", "result"}),
		probeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tlsdoctor_exporter_probe_duration_seconds", Help: "How long diagnoses took, by module.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"module"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tlsdoctor_exporter_requests_total", Help: "/probe requests, by module and outcome: success, failure (a diagnosis ran), cached, shared (answered by another request's diagnosis), refused (bad request or not allowed), overload, timeout."},
			[]string{"module", "outcome"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tlsdoctor_exporter_request_duration_seconds", Help: "How long answered /probe requests took, waiting included, by module.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"module"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tlsdoctor_exporter_probes_in_flight", Help: "Diagnoses running now."}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tlsdoctor_exporter_cache_hits_total", Help: "/probe requests answered without a new diagnosis: fresh (a result younger than --min-interval) or in-flight (joined a running diagnosis)."},
			[]string{"kind"}),
		overload: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tlsdoctor_exporter_overload_total", Help: "Requests that found no free diagnosis slot (--max-concurrent) within their timeout."}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tlsdoctor_exporter_config_last_reload_successful", Help: "1 when the last configuration (re)load succeeded."}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tlsdoctor_exporter_config_last_reload_success_timestamp_seconds", Help: "When the configuration was last loaded successfully, as a Unix time."}),
	}
	capacity := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tlsdoctor_exporter_max_concurrent", Help: "The limit on diagnoses running at once (--max-concurrent)."},
		func() float64 { return float64(cap(s.slots)) })
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.probes, m.probeDuration, m.requests, m.requestDuration, m.inFlight, m.cacheHits, m.overload, m.reloadOK, m.reloadTime, capacity,
	)
	return m
}

func (m *selfMetrics) reloaded(ok bool, now time.Time) {
	m.reloadOK.Set(b2f(ok))
	if ok {
		m.reloadTime.Set(float64(now.Unix()))
	}
}
