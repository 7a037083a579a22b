// Command benchexporter measures `tlsdoctor serve` against Debian's
// prometheus-blackbox-exporter on the same endpoints, in the same run,
// for scripts/bench-exporter.sh:
//
//	benchexporter -tlsdoctor ./tlsdoctor -blackbox /usr/bin/prometheus-blackbox-exporter
//
// It starts the lab's good TLS server (full chain, OCSP stapled), puts
// -endpoints latency proxies in front of it (each its own port, -delay
// each way and one more round trip for the TCP handshake), starts both
// exporters as their own processes and scrapes every endpoint through
// each as Prometheus does (/probe with X-Prometheus-Scrape-Timeout-Seconds,
// -concurrency requests at once), alternating rounds between the two. It
// prints probes per second, the p50/p99 request duration, failures and
// the exporter's peak resident memory.
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/internal/latencyproxy"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchexporter: error:", err)
		os.Exit(1)
	}
}

type exporterProc struct {
	name   string
	addr   string
	module string
	cmd    *exec.Cmd
	// results of every round
	durations []time.Duration
	failures  int
	wall      time.Duration
	peakRSS   int64 // kB, sampled
	hwm       int64 // kB, VmHWM at the end
	cpu       time.Duration
	note      string
}

func run() error {
	tlsdoctor := flag.String("tlsdoctor", "./tlsdoctor", "tlsdoctor binary")
	blackbox := flag.String("blackbox", "prometheus-blackbox-exporter", "blackbox_exporter binary (empty: skip)")
	endpoints := flag.Int("endpoints", 1000, "number of endpoints (latency proxies)")
	delay := flag.Duration("delay", 25*time.Millisecond, "one-way delay (a round trip is twice this)")
	concurrency := flag.Int("concurrency", 100, "concurrent /probe requests, as Prometheus' scrape loops")
	rounds := flag.Int("rounds", 2, "times every endpoint is scraped through each exporter")
	replicas := flag.Int("replicas", 2, "then: Prometheus servers scraping the same endpoints (an HA pair is 2), against tlsdoctor serve with its default --min-interval; 0 skips")
	maxConcurrent := flag.Int("max-concurrent", 0, "tlsdoctor serve --max-concurrent (0: its default)")
	scrapeTimeout := flag.Duration("scrape-timeout", 10*time.Second, "the X-Prometheus-Scrape-Timeout-Seconds sent")
	fetchCache := flag.String("fetch-cache", "", "tlsdoctor serve --fetch-cache (empty: its default, 5m)")
	flag.Parse()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	work, err := os.MkdirTemp("", "benchexporter")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	lab, err := fixtures.NewLab(time.Now())
	if err != nil {
		return err
	}
	defer lab.Close()
	srv, err := lab.Start("good")
	if err != nil {
		return err
	}
	defer srv.Close()
	ca := filepath.Join(work, "ca.pem")
	if err := os.WriteFile(ca, lab.RootPEM(), 0o600); err != nil {
		return err
	}

	var targets []string
	var proxies []*latencyproxy.Proxy
	for i := 0; i < *endpoints; i++ {
		p, err := latencyproxy.Start(ctx, srv.Addr, *delay, 2**delay)
		if err != nil {
			return fmt.Errorf("proxy %d: %w", i, err)
		}
		proxies = append(proxies, p)
		targets = append(targets, p.Addr())
	}
	defer func() {
		for _, p := range proxies {
			p.Close()
		}
	}()

	var exps []*exporterProc
	ours := &exporterProc{name: "tlsdoctor serve", module: "default"}
	cfg := filepath.Join(work, "exporter.yaml")
	if err := os.WriteFile(cfg, []byte("modules:\n  default:\n    tls_config:\n      ca_file: "+ca+"\n"), 0o600); err != nil {
		return err
	}
	args := []string{"serve", "--listen", "127.0.0.1:0", "--config", cfg, "--min-interval", "0"}
	if *maxConcurrent > 0 {
		args = append(args, "--max-concurrent", strconv.Itoa(*maxConcurrent))
	}
	if *fetchCache != "" {
		args = append(args, "--fetch-cache", *fetchCache)
	}
	if err := startOurs(ctx, ours, *tlsdoctor, args); err != nil {
		return err
	}
	defer stop(ours)
	ours.note = "full diagnosis: handshake, chain and name checks, OCSP (stapled leaf, fetched intermediate: once per --fetch-cache " + cmp.Or(*fetchCache, "5m") + "), findings"
	if *blackbox != "" {
		bb := &exporterProc{name: "blackbox_exporter", module: "tls"}
		bbCfg := filepath.Join(work, "blackbox.yml")
		if err := os.WriteFile(bbCfg, []byte("modules:\n  tls:\n    prober: tcp\n    timeout: 30s\n    tcp:\n      tls: true\n      preferred_ip_protocol: ip4\n      tls_config:\n        ca_file: "+ca+"\n"), 0o600); err != nil {
			return err
		}
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		bb.addr = addr
		bb.cmd = exec.CommandContext(ctx, *blackbox, "--config.file", bbCfg, "--web.listen-address", addr, "--log.level", "error")
		if err := bb.cmd.Start(); err != nil {
			return fmt.Errorf("blackbox_exporter: %w", err)
		}
		defer stop(bb)
		if err := waitHTTP(ctx, "http://"+addr+"/metrics"); err != nil {
			return fmt.Errorf("blackbox_exporter: %w", err)
		}
		bb.note = "TCP connect and TLS handshake with verification"
		exps = append(exps, bb)
	}
	exps = append(exps, ours)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency, MaxConnsPerHost: *concurrency}, Timeout: *scrapeTimeout + 5*time.Second}
	// Warm up each exporter (first connections, lazy initialisation).
	for _, e := range exps {
		if _, err := scrapeAll(ctx, client, e, targets[:min(50, len(targets))], *concurrency, *scrapeTimeout, false); err != nil {
			return err
		}
	}
	for r := 0; r < *rounds; r++ {
		for _, e := range exps {
			if _, err := scrapeAll(ctx, client, e, targets, *concurrency, *scrapeTimeout, true); err != nil {
				return err
			}
		}
	}
	for _, e := range exps {
		e.hwm = status(e.cmd.Process.Pid, "VmHWM")
	}
	fmt.Printf("exporter benchmark: %d endpoints, %s round trip (+1 for TCP), %d concurrent scrapes, %d rounds each, %d cores, load average %s\n",
		*endpoints, 2**delay, *concurrency, *rounds, numCPU(), loadavg())
	report(exps)
	for _, e := range exps {
		fmt.Printf("  %s: %s\n", e.name, e.note)
	}
	if *replicas < 2 {
		return nil
	}

	// Several Prometheus servers scrape the same endpoints: each target
	// comes up once per replica in a round. tlsdoctor serve runs with its
	// default --min-interval, so a replica's scrape after the first is
	// answered from the cache.
	cached := &exporterProc{name: "tlsdoctor serve*", module: "default"}
	if err := startOurs(ctx, cached, *tlsdoctor, []string{"serve", "--listen", "127.0.0.1:0", "--config", cfg}); err != nil {
		return err
	}
	defer stop(cached)
	var list []string
	for r := 0; r < *replicas; r++ {
		list = append(list, targets...)
	}
	var ha []*exporterProc
	for _, e := range exps {
		if e == ours {
			continue
		}
		e.durations, e.failures, e.wall, e.cpu, e.peakRSS = nil, 0, 0, 0, 0
		ha = append(ha, e)
	}
	ha = append(ha, cached)
	for _, e := range ha {
		if _, err := scrapeAll(ctx, client, e, list, *concurrency, *scrapeTimeout, true); err != nil {
			return err
		}
		e.hwm = status(e.cmd.Process.Pid, "VmHWM")
	}
	fmt.Printf("\n%d Prometheus servers scraping the same %d endpoints (%d scrapes each), load average %s:\n", *replicas, *endpoints, len(list), loadavg())
	report(ha)
	fmt.Printf("  tlsdoctor serve*: default --min-interval (30s): %s diagnoses for %d scrapes; the rest answered from the cache\n", diagnoses(cached.addr), len(list))
	return nil
}

func report(exps []*exporterProc) {
	fmt.Printf("  %-18s %9s %9s %9s %9s %9s %10s %12s\n", "exporter", "scrapes", "scrapes/s", "p50 ms", "p99 ms", "failed", "peak RSS", "CPU ms/scrape")
	for _, e := range exps {
		ds := append([]time.Duration(nil), e.durations...)
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		pct := func(p float64) float64 {
			if len(ds) == 0 {
				return 0
			}
			return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
		}
		rate := float64(len(ds)) / e.wall.Seconds()
		fmt.Printf("  %-18s %9d %9.1f %9.1f %9.1f %9d %7.1f MB %12.2f\n", e.name, len(ds), rate, pct(0.50), pct(0.99), e.failures, float64(max(e.peakRSS, e.hwm))/1024, float64(e.cpu.Microseconds())/1000/float64(max(1, len(ds))))
	}
}

// diagnoses reads how many diagnoses tlsdoctor serve ran, from /metrics.
func diagnoses(addr string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	var n float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "tlsdoctor_exporter_probes_total{") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			n += v
		}
	}
	return strconv.FormatFloat(n, 'f', 0, 64)
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:3], " ")
}

var servingRE = regexp.MustCompile(`serving /probe and /metrics on http://(\S+) `)

func startOurs(ctx context.Context, e *exporterProc, bin string, args []string) error {
	e.cmd = exec.CommandContext(ctx, bin, args...)
	stderr, err := e.cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := e.cmd.Start(); err != nil {
		return fmt.Errorf("tlsdoctor serve: %w", err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
			e.addr = m[1]
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return nil
		}
	}
	return errors.New("tlsdoctor serve did not start")
}

func stop(e *exporterProc) {
	if e.cmd != nil && e.cmd.Process != nil {
		_ = e.cmd.Process.Kill()
		_ = e.cmd.Wait()
	}
}

// scrapeAll scrapes every target once through e, concurrency at a time.
func scrapeAll(ctx context.Context, c *http.Client, e *exporterProc, targets []string, concurrency int, timeout time.Duration, record bool) (time.Duration, error) {
	var mu sync.Mutex
	var next atomic.Int64
	var wg sync.WaitGroup
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-t.C:
				if rss := status(e.cmd.Process.Pid, "VmRSS"); rss > e.peakRSS {
					e.peakRSS = rss
				}
			}
		}
	}()
	t0 := time.Now()
	cpu0 := cpuTime(e.cmd.Process.Pid)
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(targets) {
					return
				}
				d, ok := scrapeOne(ctx, c, e, targets[i], timeout)
				if record {
					mu.Lock()
					e.durations = append(e.durations, d)
					if !ok {
						e.failures++
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(t0)
	close(stopSampling)
	<-sampled
	if record {
		e.wall += wall
		e.cpu += cpuTime(e.cmd.Process.Pid) - cpu0
	}
	return wall, nil
}

func scrapeOne(ctx context.Context, c *http.Client, e *exporterProc, target string, timeout time.Duration) (time.Duration, bool) {
	u := "http://" + e.addr + "/probe?" + url.Values{"target": {target}, "module": {e.module}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, false
	}
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return time.Since(t0), false
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	return d, resp.StatusCode == 200 && strings.Contains(string(body), "\nprobe_success 1\n")
}

// status reads a kB field of /proc/PID/status.
func status(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// cpuTime is the user and system CPU time a process used so far.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) in ")".
	_, rest, ok := strings.Cut(string(data), ") ")
	if !ok {
		return 0
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

func numCPU() int {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(data), "\nprocessor") + 1
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHTTP(ctx context.Context, u string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer", u)
}
