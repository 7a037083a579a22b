package exporter

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// scrape is one /probe request as Prometheus makes it.
type scrape struct {
	status int
	body   string
	took   time.Duration
}

func get(t *testing.T, c *http.Client, base, query string, scrapeTimeout string) scrape {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/probe?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if scrapeTimeout != "" {
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", scrapeTimeout)
	}
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", query, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return scrape{resp.StatusCode, string(b), time.Since(t0)}
}

func q(target, module string) string {
	v := url.Values{"target": {target}}
	if module != "" {
		v.Set("module", module)
	}
	return v.Encode()
}

// serve starts an exporter for cfg on a loopback port.
func serve(t *testing.T, cfg *Config, o Options) (*Server, string, *http.Client) {
	t.Helper()
	s := New(cfg, o)
	hs := httptest.NewServer(s.Handler())
	tr := &http.Transport{}
	t.Cleanup(func() { tr.CloseIdleConnections(); hs.Close() })
	return s, hs.URL, &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// selfSeries are the exporter's own metrics.
func selfSeries(t *testing.T, s *Server) map[string]float64 {
	t.Helper()
	mfs, err := s.self.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return flatten(mfs)
}

func TestProbeRequests(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.load(t, labConfig+"allowed_targets: [127.0.0.1]\n")
	good := e.start(t, "good")
	_, base, c := serve(t, cfg, Options{})

	r := get(t, c, base, q(good, ""), "")
	if r.status != 200 || !strings.Contains(r.body, "\nprobe_success 1\n") {
		t.Fatalf("good target: %d\n%s", r.status, r.body)
	}
	cases := []struct {
		name, query, header string
		status              int
		says                string
	}{
		{"no target", "module=default", "", 400, "target parameter is missing"},
		{"unknown module", q(good, "nope"), "", 400, `unknown module "nope" (modules: default, mtls)`},
		{"http URL", q("http://127.0.0.1:1/", ""), "", 400, "plain http:// URL"},
		{"bad port", q("127.0.0.1:99999", ""), "", 400, "port"},
		{"two targets", "target=a&target=b", "", 400, "target is given 2 times"},
		{"long target", q(strings.Repeat("a", 2000), ""), "", 400, "too long"},
		{"bad timeout header", q(good, ""), "soon", 400, "X-Prometheus-Scrape-Timeout-Seconds"},
		{"not allowed", q("127.0.0.2:443", ""), "", 403, "not in allowed_targets"},
		{"not allowed name", q("example.invalid:443", ""), "", 403, "not in allowed_targets"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, c, base, tc.query, tc.header)
			if r.status != tc.status || !strings.Contains(r.body, tc.says) {
				t.Errorf("%s: %d %q, want %d saying %q", tc.query, r.status, r.body, tc.status, tc.says)
			}
			if r.took > 2*time.Second {
				t.Errorf("refusing took %s", r.took)
			}
		})
	}
	resp, err := c.Post(base+"/probe?"+q(good, ""), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

// TestScrapeTimeout: a target that accepts and never answers is bounded
// by Prometheus' scrape timeout less the margin, and still has metrics.
func TestScrapeTimeout(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.load(t, labConfig)
	stall := e.start(t, "stall")
	_, base, c := serve(t, cfg, Options{})
	r := get(t, c, base, q(stall, ""), "2")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r.took < time.Second || r.took > 2*time.Second {
		t.Errorf("a 2s scrape timeout (0.5s margin) took %s", r.took)
	}
	if !strings.Contains(r.body, `tlsdoctor_handshake_failure{alert="",kind="timeout",reason="handshake-failed"} 1`) {
		t.Errorf("no timeout failure:\n%s", r.body)
	}
}

func TestTimeoutRule(t *testing.T) {
	s := New(&Config{}, Options{})
	m := &Module{Timeout: 10 * time.Second}
	for header, want := range map[string]time.Duration{
		"":    10 * time.Second, // no header: the module's
		"30":  10 * time.Second, // the module's is shorter
		"5":   4500 * time.Millisecond,
		"0.4": 200 * time.Millisecond, // shorter than the margin: half
	} {
		r := httptest.NewRequest("GET", "/probe", nil)
		if header != "" {
			r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", header)
		}
		if got, err := s.timeout(r, m); err != nil || got != want {
			t.Errorf("header %q: %v %v, want %v", header, got, err, want)
		}
	}
}

// TestMinIntervalAndSharing: scrapes of one target within the minimum
// interval, concurrent or not, cost one diagnosis.
func TestMinIntervalAndSharing(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.load(t, labConfig)
	good := e.start(t, "good")
	s, base, c := serve(t, cfg, Options{MinInterval: time.Minute})
	var wg sync.WaitGroup
	bodies := make([]string, 20)
	for i := range bodies {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			bodies[i] = get(t, c, base, q(good, ""), "").body
		}(i)
	}
	wg.Wait()
	for i, b := range bodies {
		if !strings.Contains(b, "\nprobe_success 1\n") {
			t.Fatalf("answer %d: %s", i, b)
		}
	}
	get(t, c, base, q(good, ""), "")
	get(t, c, base, q(good, "mtls"), "")
	m := selfSeries(t, s)
	if n := m[`tlsdoctor_exporter_probes_total{module="default",result="success"}`]; n != 1 {
		t.Errorf("21 scrapes of one target within a minute ran %v diagnoses, want 1", n)
	}
	if n := m[`tlsdoctor_exporter_probes_total{module="mtls",result="success"}`]; n != 1 {
		t.Errorf("another module's scrape ran %v diagnoses, want its own", n)
	}
	if hits := m[`tlsdoctor_exporter_cache_hits_total{kind="fresh"}`] + m[`tlsdoctor_exporter_cache_hits_total{kind="in-flight"}`]; hits != 20 {
		t.Errorf("cache hits %v, want 20 (%v)", hits, m)
	}
	// Past the interval the target is diagnosed again.
	s.opts.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	get(t, c, base, q(good, ""), "")
	if n := selfSeries(t, s)[`tlsdoctor_exporter_probes_total{module="default",result="success"}`]; n != 2 {
		t.Errorf("after the interval: %v diagnoses, want 2", n)
	}
}

// TestOverload: with every slot taken, a request waits at most its own
// timeout and says why.
func TestOverload(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.load(t, labConfig)
	stall, good := e.start(t, "stall"), e.start(t, "good")
	s, base, c := serve(t, cfg, Options{MaxConcurrent: 1})
	done := make(chan scrape)
	go func() { done <- get(t, c, base, q(stall, ""), "3") }()
	waitFor(t, func() bool { return selfSeries(t, s)["tlsdoctor_exporter_probes_in_flight"] == 1 })
	r := get(t, c, base, q(good, ""), "1")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "--max-concurrent") {
		t.Errorf("overloaded: %d %s", r.status, r.body)
	}
	if r.took > 1500*time.Millisecond {
		t.Errorf("overloaded answer took %s for a 1s scrape timeout", r.took)
	}
	if st := <-done; st.status != 200 {
		t.Errorf("the running diagnosis: %d", st.status)
	}
	if n := selfSeries(t, s)["tlsdoctor_exporter_overload_total"]; n != 1 {
		t.Errorf("overload_total %v", n)
	}
}

// TestReload: a reload swaps the modules without cutting the diagnoses
// in flight, and a bad file keeps the configuration in force.
func TestReload(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.load(t, labConfig)
	stall, good := e.start(t, "stall"), e.start(t, "good")
	s, base, c := serve(t, cfg, Options{})
	done := make(chan scrape)
	go func() { done <- get(t, c, base, q(stall, "mtls"), "2") }()
	waitFor(t, func() bool { return selfSeries(t, s)["tlsdoctor_exporter_probes_in_flight"] == 1 })

	s.Reload(e.load(t, "modules:\n  fresh:\n    tls_config:\n      ca_file: ca.pem\n"), nil)
	if r := <-done; r.status != 200 || !strings.Contains(r.body, "tlsdoctor_handshake_failure") {
		t.Errorf("in-flight diagnosis across the reload: %d %s", r.status, r.body)
	}
	if r := get(t, c, base, q(good, "mtls"), ""); r.status != 400 {
		t.Errorf("removed module still served: %d", r.status)
	}
	if r := get(t, c, base, q(good, "fresh"), ""); r.status != 200 || !strings.Contains(r.body, "\nprobe_success 1\n") {
		t.Errorf("new module: %d %s", r.status, r.body)
	}
	s.Reload(nil, fmt.Errorf("exporter.yaml:3: bad"))
	m := selfSeries(t, s)
	if m["tlsdoctor_exporter_config_last_reload_successful"] != 0 {
		t.Error("a failed reload is not reported")
	}
	if r := get(t, c, base, q(good, "fresh"), ""); r.status != 200 {
		t.Errorf("after a failed reload the previous configuration must stay: %d", r.status)
	}
}

// TestManyScrapesNoLeak: many concurrent scrapes of good, hanging and
// closed targets end in bounded time and leave no goroutine behind.
func TestManyScrapesNoLeak(t *testing.T) {
	// Goroutines running now (other tests' lingering ones) are not this
	// test's; the check runs last, after every server below is closed.
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	e := newTestEnv(t)
	cfg := e.load(t, labConfig)
	targets := []string{e.start(t, "good"), e.start(t, "stall"), e.start(t, "expired"), e.start(t, "reset"), closedPort(t)}
	s, base, c := serve(t, cfg, Options{MaxConcurrent: 8})
	t0 := time.Now()
	var wg sync.WaitGroup
	statuses := make(chan int, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			statuses <- get(t, c, base, q(targets[i%len(targets)], ""), "2").status
		}(i)
	}
	wg.Wait()
	close(statuses)
	took := time.Since(t0)
	counts := map[int]int{}
	for st := range statuses {
		counts[st]++
	}
	if counts[200] == 0 || counts[200]+counts[503] != 200 {
		t.Errorf("statuses %v", counts)
	}
	if took > 10*time.Second {
		t.Errorf("200 scrapes with 2s timeouts took %s", took)
	}
	if n := selfSeries(t, s)["tlsdoctor_exporter_probes_in_flight"]; n != 0 {
		t.Errorf("%v diagnoses still in flight", n)
	}
	t.Logf("200 scrapes: %s, %v", took, counts)
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not reached in 5s")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
