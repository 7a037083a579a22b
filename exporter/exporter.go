// Package exporter is tlsdoctor's Prometheus exporter: the multi-target
// /probe endpoint that runs one diagnosis of one target per request and
// answers with its metrics, and /metrics with the exporter's own. It owns
// the module configuration file (parsing, validation, loading the
// truststores and identities it names), the metric families and their
// labels, and the bounds that keep a shared exporter safe: the scrape
// timeout, a global limit on concurrent diagnoses, a per-target minimum
// interval served from a short cache, and an optional allow-list of
// targets.
//
// It diagnoses only through engine.Diagnose, like the command line; it
// must not probe, judge or render reports itself, read flags, or write to
// os.Stdout. internal/cli's serve subcommand starts it.
package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// Options are the exporter's bounds and identity.
type Options struct {
	// MaxConcurrent is the most diagnoses running at once; a request that
	// finds none free waits, within its timeout (default 256).
	MaxConcurrent int
	// MinInterval is the least time between two diagnoses of the same
	// target with the same module: a request within it is answered from
	// the cache, and requests that arrive while a diagnosis runs share it.
	// Zero diagnoses on every request (in-flight requests are still
	// shared).
	MinInterval time.Duration
	// TimeoutMargin is taken off Prometheus' scrape timeout
	// (X-Prometheus-Scrape-Timeout-Seconds) so the answer arrives in time
	// (default 500ms, as blackbox_exporter).
	TimeoutMargin time.Duration
	// Tool names the program in records ("tlsdoctor 1.2.3").
	Tool string
	// Logger receives one line per failed request and per reload; nil
	// discards.
	Logger *slog.Logger
	// Resolver checks names against the allow-list; nil means
	// net.DefaultResolver.
	Resolver Resolver
	// Now is the clock of the diagnoses; nil means time.Now.
	Now func() time.Time
	// FetchCache is how long an OCSP, CRL or AIA answer fetched by one
	// diagnosis is reused by the next ones (every target under one
	// intermediate asks its responder once per FetchCache, not once per
	// scrape); a failed fetch is asked again. Zero: every diagnosis
	// fetches its own.
	FetchCache time.Duration
}

// Defaults.
const (
	DefaultMaxConcurrent = 256
	DefaultMinInterval   = 30 * time.Second
	DefaultTimeoutMargin = 500 * time.Millisecond
	DefaultFetchCache    = 5 * time.Minute
	// maxCacheEntries bounds the cache (an entry is about 13 kB of
	// metrics); past it results are not kept
	// (requests in flight are still shared).
	maxCacheEntries = 10000
)

// Server serves /probe and /metrics. The configuration can be replaced
// while it runs (Reload): requests already running keep the modules they
// started with.
type Server struct {
	opts  Options
	cfg   atomic.Pointer[Config]
	gen   atomic.Uint64
	slots chan struct{}
	self  *selfMetrics
	descs *Descs

	mu    sync.Mutex
	cache map[cacheKey]*cacheEntry
	// fetches is shared by every diagnosis (see Options.FetchCache).
	fetches *probe.FetchCache
}

type cacheKey struct {
	gen            uint64
	module, target string
}

// cacheEntry is one diagnosis, running (done open) or finished.
type cacheEntry struct {
	done chan struct{}
	// Set before done is closed.
	families []*dto.MetricFamily
	err      error
	at       time.Time
}

// New returns a server with cfg.
func New(cfg *Config, o Options) *Server {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.TimeoutMargin <= 0 {
		o.TimeoutMargin = DefaultTimeoutMargin
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{opts: o, slots: make(chan struct{}, o.MaxConcurrent), cache: map[cacheKey]*cacheEntry{}, descs: NewDescs()}
	if o.FetchCache > 0 {
		s.fetches = probe.NewSharedFetchCache(probe.SharedFetchCacheOptions{TTL: o.FetchCache, Now: o.Now})
	}
	s.self = newSelfMetrics(s)
	s.cfg.Store(cfg)
	s.self.reloaded(true, o.Now())
	return s
}

// Config is the configuration in force.
func (s *Server) Config() *Config { return s.cfg.Load() }

// Reload replaces the configuration with cfg, or, when err is non-nil
// (the new file did not load), keeps the one in force and records the
// failure in tlsdoctor_exporter_config_last_reload_successful. Diagnoses
// already running finish with the modules they started with; the cache
// of the old configuration is dropped.
func (s *Server) Reload(cfg *Config, err error) {
	if err != nil {
		s.opts.Logger.Error("configuration not reloaded; the previous one stays in force", "err", err.Error())
		s.self.reloaded(false, s.opts.Now())
		return
	}
	s.cfg.Store(cfg)
	s.gen.Add(1)
	s.mu.Lock()
	for k, e := range s.cache {
		if isDone(e) {
			delete(s.cache, k)
		}
	}
	s.mu.Unlock()
	s.self.reloaded(true, s.opts.Now())
	s.opts.Logger.Info("configuration reloaded", "file", cfg.File, "modules", len(cfg.Modules))
}

// Handler serves /probe, /metrics and a short index page at /.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/probe", s.serveProbe)
	mux.Handle("/metrics", promhttp.HandlerFor(s.self.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "tlsdoctor exporter\n\n/probe?target=HOST:PORT&module=NAME  one diagnosis, as metrics\n/metrics                             the exporter's own metrics\n\nSee docs/monitoring.md.\n")
	})
	return mux
}

// Sweep drops finished cache entries older than the minimum interval.
// Run calls it periodically.
func (s *Server) Sweep() {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.cache {
		if isDone(e) && now.Sub(e.at) >= s.opts.MinInterval {
			delete(s.cache, k)
		}
	}
}

// Run sweeps the cache until ctx ends.
func (s *Server) Run(ctx context.Context) {
	every := s.opts.MinInterval
	if every < time.Second {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

func isDone(e *cacheEntry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// requestError is a /probe request refused before any diagnosis.
type requestError struct {
	status int
	msg    string
}

func (s *Server) serveProbe(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	cfg := s.cfg.Load()
	q := r.URL.Query()
	fail := func(module string, e requestError) {
		s.self.requests.WithLabelValues(metricModule(cfg, module), "refused").Inc()
		s.opts.Logger.Debug("probe refused", "target", labelValue(q.Get("target")), "module", labelValue(module), "status", e.status, "err", e.msg)
		http.Error(w, e.msg, e.status)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		fail("", requestError{http.StatusMethodNotAllowed, "use GET /probe?target=HOST:PORT&module=NAME"})
		return
	}
	for k, v := range q {
		if len(v) > 1 && (k == "target" || k == "module") {
			fail("", requestError{http.StatusBadRequest, fmt.Sprintf("%s is given %d times; give it once", k, len(v))})
			return
		}
	}
	moduleName := q.Get("module")
	if moduleName == "" {
		moduleName = DefaultModule
	}
	mod, ok := cfg.Modules[moduleName]
	if !ok {
		fail(moduleName, requestError{http.StatusBadRequest, fmt.Sprintf("unknown module %q (modules: %s)", labelValue(moduleName), strings.Join(cfg.Names, ", "))})
		return
	}
	raw := q.Get("target")
	if raw == "" {
		fail(moduleName, requestError{http.StatusBadRequest, "target parameter is missing: /probe?target=HOST:PORT&module=NAME"})
		return
	}
	if len(raw) > 1024 {
		fail(moduleName, requestError{http.StatusBadRequest, "target parameter is too long"})
		return
	}
	target, err := probe.ParseTarget(raw)
	if err != nil {
		fail(moduleName, requestError{http.StatusBadRequest, err.Error()})
		return
	}
	timeout, err := s.timeout(r, mod)
	if err != nil {
		fail(moduleName, requestError{http.StatusBadRequest, err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	if ok, why := cfg.Allow.Allowed(ctx, s.opts.Resolver, target.Host, target.Port); !ok {
		fail(moduleName, requestError{http.StatusForbidden, why})
		return
	}

	families, outcome, err := s.probe(ctx, cfg, mod, target, timeout)
	if err != nil {
		s.self.requests.WithLabelValues(moduleName, outcome).Inc()
		s.opts.Logger.Warn("probe not answered", "target", labelValue(raw), "module", moduleName, "err", err.Error())
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	s.self.requests.WithLabelValues(moduleName, outcome).Inc()
	s.self.requestDuration.WithLabelValues(moduleName).Observe(time.Since(start).Seconds())
	// A probe's answer is a few kilobytes: compressing it would cost
	// more CPU than the bytes it saves.
	promhttp.HandlerFor(gathered(families), promhttp.HandlerOpts{DisableCompression: true}).ServeHTTP(w, r)
}

// timeout is the diagnosis' bound: Prometheus' scrape timeout less the
// margin, or the module's timeout when shorter (blackbox_exporter's rule).
func (s *Server) timeout(r *http.Request, m *Module) (time.Duration, error) {
	t := m.Timeout
	v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds")
	if v == "" {
		return t, nil
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 || secs > 3600 {
		return 0, fmt.Errorf("X-Prometheus-Scrape-Timeout-Seconds %q is not a number of seconds", labelValue(v))
	}
	scrape := time.Duration(secs * float64(time.Second))
	if max := scrape - s.opts.TimeoutMargin; max > 0 && max < t {
		t = max
	} else if max <= 0 && scrape < t {
		// A scrape timeout shorter than the margin: take half of it.
		t = scrape / 2
	}
	return t, nil
}

// probe returns the target's metrics, from the cache, from a diagnosis
// in flight, or from a new one. outcome is what the exporter's own
// metrics count: "cached", "shared", "success", "failure"; or, with err,
// "overload" / "timeout".
func (s *Server) probe(ctx context.Context, cfg *Config, mod *Module, target probe.Target, timeout time.Duration) ([]*dto.MetricFamily, string, error) {
	key := cacheKey{gen: s.gen.Load(), module: mod.Name, target: target.Input}
	s.mu.Lock()
	e, ok := s.cache[key]
	if ok && isDone(e) && (e.err != nil || s.opts.Now().Sub(e.at) >= s.opts.MinInterval) {
		delete(s.cache, key)
		ok = false
	}
	if ok {
		s.mu.Unlock()
		running := !isDone(e)
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, "timeout", errors.New("a diagnosis of this target is still running past the scrape timeout")
		}
		if e.err != nil {
			return nil, "overload", e.err
		}
		if running {
			s.self.cacheHits.WithLabelValues("in-flight").Inc()
			return e.families, "shared", nil
		}
		s.self.cacheHits.WithLabelValues("fresh").Inc()
		return e.families, "cached", nil
	}
	e = &cacheEntry{done: make(chan struct{})}
	if len(s.cache) < maxCacheEntries {
		s.cache[key] = e
	}
	s.mu.Unlock()

	// The diagnosis runs on its own context with this request's
	// deadline, so that the requests sharing it are not cut short when
	// the first one's client goes away.
	dl, _ := ctx.Deadline()
	pctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), dl)
	defer cancel()
	families, success, err := s.diagnose(pctx, mod, target, timeout)
	e.families, e.err, e.at = families, err, s.opts.Now()
	close(e.done)
	if err != nil {
		return nil, "overload", err
	}
	if success {
		return families, "success", nil
	}
	return families, "failure", nil
}

// diagnose waits for a free slot within ctx, runs the diagnosis and
// gathers its metrics.
func (s *Server) diagnose(ctx context.Context, mod *Module, target probe.Target, timeout time.Duration) ([]*dto.MetricFamily, bool, error) {
	waited := time.Now()
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		s.self.overload.Inc()
		return nil, false, fmt.Errorf("no diagnosis slot free within the timeout (%d running; raise --max-concurrent or add exporters)", cap(s.slots))
	}
	defer func() { <-s.slots }()
	s.self.inFlight.Inc()
	defer s.self.inFlight.Dec()

	// The time spent waiting for a slot comes off the diagnosis' bound.
	remaining := timeout - time.Since(waited)
	if dl, ok := ctx.Deadline(); ok {
		remaining = time.Until(dl)
	}
	res, d, err := s.observe(ctx, mod, target, remaining)
	if err != nil {
		return nil, false, fmt.Errorf("diagnosis not run: %w", err)
	}
	success := true
	for _, o := range res.Observations {
		success = success && Success(o.Result)
	}
	result := "failure"
	if success {
		result = "success"
	}
	s.self.probes.WithLabelValues(mod.Name, result).Inc()
	s.self.probeDuration.WithLabelValues(mod.Name).Observe(d.Seconds())

	reg := prometheus.NewRegistry()
	if err := reg.Register(Collector{Result: res, Descs: s.descs}); err != nil {
		return nil, false, err
	}
	families, err := reg.Gather()
	if err != nil {
		return nil, false, fmt.Errorf("gathering the metrics: %w", err)
	}
	return families, success, nil
}

// maxAddresses is the most addresses an all_ips module diagnoses, at
// most maxAddressesAtOnce at a time (the CLI's --all-ips probes 4 at once).
const (
	maxAddresses       = 8
	maxAddressesAtOnce = 4
)

// observe runs the module's diagnosis of target: one, or with all_ips one
// per resolved address (each connecting to its address, with the
// target's name as SNI and for the certificate check).
func (s *Server) observe(ctx context.Context, mod *Module, target probe.Target, timeout time.Duration) (ProbeResult, time.Duration, error) {
	t0 := time.Now()
	run := func(t probe.Target, family dial.Family) (*engine.Result, error) {
		req := mod.Request(t, timeout, s.opts.Tool)
		req.Probe.Connect.Family = family
		req.Probe.Now = s.opts.Now
		if req.Probe.Revocation.Cache == nil && s.fetches != nil {
			req.Probe.Revocation.Cache = s.fetches
		}
		return engine.Diagnose(ctx, req)
	}
	family := mod.Family
	var addrs []netip.Addr
	if (mod.AllIPs || (mod.Prefer != "" && family == "")) && !probe.IsIP(target.ConnectHost) && mod.Proxy == "" {
		all, err := s.opts.Resolver.LookupNetIP(ctx, "ip", target.ConnectHost)
		if err == nil {
			if family == "" && mod.Prefer != "" && slices.ContainsFunc(all, func(a netip.Addr) bool { return ofFamily(a, mod.Prefer) }) {
				// blackbox_exporter's preferred_ip_protocol with fallback:
				// the preferred family when the name has it, else any.
				family = mod.Prefer
			}
			for _, a := range all {
				if (family == "" || ofFamily(a, family)) && !slices.Contains(addrs, a.Unmap()) && len(addrs) < maxAddresses {
					addrs = append(addrs, a.Unmap())
				}
			}
		}
	}
	if !mod.AllIPs || len(addrs) == 0 {
		// One diagnosis; a name that does not resolve is its own finding.
		res, err := run(target, family)
		if err != nil {
			return ProbeResult{}, 0, err
		}
		return ProbeResult{Duration: time.Since(t0), Observations: []Observation{{Result: res}}}, time.Since(t0), nil
	}
	obs := make([]Observation, len(addrs))
	errs := make([]error, len(addrs))
	sem := make(chan struct{}, maxAddressesAtOnce)
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			// The name stays the target's: it is the SNI (unless
			// server_name says otherwise) and what the certificate must
			// cover; only the address changes.
			t := target
			t.ConnectHost = a.String()
			obs[i].IP = a.String()
			obs[i].Result, errs[i] = run(t, "")
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return ProbeResult{}, 0, err
		}
	}
	d := time.Since(t0)
	return ProbeResult{Duration: d, Observations: obs, PerAddress: true}, d, nil
}

func ofFamily(a netip.Addr, f dial.Family) bool {
	if f == dial.IPv4 {
		return a.Unmap().Is4()
	}
	return !a.Unmap().Is4()
}

// gathered serves families already gathered.
type gathered []*dto.MetricFamily

func (g gathered) Gather() ([]*dto.MetricFamily, error) { return g, nil }

// metricModule keeps the module label to configured names, so a scanner
// sending random module names cannot grow the exporter's own series.
func metricModule(cfg *Config, name string) string {
	if name == "" {
		return DefaultModule
	}
	if _, ok := cfg.Modules[name]; ok {
		return name
	}
	return "(unknown)"
}
