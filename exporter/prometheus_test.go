package exporter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/internal/cli"
)

// TestRealPrometheus starts Debian's prometheus with a generated
// configuration, lets it scrape `tlsdoctor serve` and Debian's
// blackbox_exporter for the lab's fault servers, and reads the series
// back through Prometheus' query API: ours are there with the right
// labels and values, and the compatibility names agree with the real
// blackbox_exporter where both exporters see the same thing.
func TestRealPrometheus(t *testing.T) {
	promBin := lookTool(t, "prometheus", "prometheus")
	bbBin := lookTool(t, "prometheus-blackbox-exporter", "prometheus-blackbox-exporter")
	if testing.Short() {
		t.Skip("starts real Prometheus and blackbox_exporter processes")
	}
	dir := t.TempDir()
	lab := fixtures.TestLab(t, time.Now())
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("ca.pem", string(lab.RootPEM()))
	write("client.crt", string(lab.PKI.ChainPEM("client", "intermediate")))
	write("client.key", string(lab.PKI.Get("client").KeyPEM()))

	// The targets, by what they show.
	targets := map[string]string{}
	for _, sc := range []string{"good", "expired", "untrusted-root", "client-cert-required", "reset"} {
		srv, err := lab.Start(sc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		targets[sc] = "localhost:" + strconv.Itoa(srv.Port)
	}

	cfgPath := write("exporter.yaml", `modules:
  default:
    timeout: 5s
    tls_config:
      ca_file: ca.pem
  mtls:
    timeout: 5s
    tls_config:
      ca_file: ca.pem
      cert_file: client.crt
      key_file: client.key
`)
	ours := startServe(t, "--listen", "127.0.0.1:0", "--config", cfgPath, "--min-interval", "0")

	bbAddr := freeAddr(t)
	write("blackbox.yml", `modules:
  tls:
    prober: tcp
    timeout: 5s
    tcp:
      tls: true
      preferred_ip_protocol: ip4
      tls_config:
        ca_file: `+filepath.Join(dir, "ca.pem")+`
  mtls:
    prober: tcp
    timeout: 5s
    tcp:
      tls: true
      preferred_ip_protocol: ip4
      tls_config:
        ca_file: `+filepath.Join(dir, "ca.pem")+`
        cert_file: `+filepath.Join(dir, "client.crt")+`
        key_file: `+filepath.Join(dir, "client.key")+`
`)
	startProcess(t, "blackbox_exporter", bbBin, dir, "--config.file", filepath.Join(dir, "blackbox.yml"), "--web.listen-address", bbAddr)

	var all []string
	for _, tg := range targets {
		all = append(all, tg)
	}
	job := func(name, addr, module string, ts []string) string {
		quoted := make([]string, len(ts))
		for i, s := range ts {
			quoted[i] = strconv.Quote(s)
		}
		return fmt.Sprintf(`  - job_name: %s
    metrics_path: /probe
    params: {module: [%s]}
    static_configs: [{targets: [%s]}]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: %q}
`, name, module, strings.Join(quoted, ", "), addr)
	}
	promAddr := freeAddr(t)
	write("prometheus.yml", "global: {scrape_interval: 2s, scrape_timeout: 2s}\nscrape_configs:\n"+
		job("tlsdoctor", ours, "default", all)+
		job("tlsdoctor_mtls", ours, "mtls", []string{targets["client-cert-required"]})+
		job("blackbox", bbAddr, "tls", all)+
		job("blackbox_mtls", bbAddr, "mtls", []string{targets["client-cert-required"]}))
	startProcess(t, "prometheus", promBin, dir, "--config.file", filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path", filepath.Join(dir, "data"), "--web.listen-address", promAddr, "--log.level", "warn")

	api := promAPI{t: t, base: "http://" + promAddr}
	// Wait until every job has been scraped (and a second time, so that
	// every series is in).
	api.waitFor(`count(up == 1)`, 2*len(all)+2, 60*time.Second) // 4 jobs
	api.waitFor(`count(probe_success{job="tlsdoctor"})`, len(all), 30*time.Second)
	api.waitFor(`count(probe_success{job="blackbox"})`, len(all), 30*time.Second)
	time.Sleep(2500 * time.Millisecond)

	in := func(sc string) string { return targets[sc] }
	// Ours: probe_success, with the cause when it is 0.
	for sc, want := range map[string]float64{"good": 1, "expired": 0, "untrusted-root": 0, "client-cert-required": 0, "reset": 0} {
		api.expect(fmt.Sprintf(`probe_success{job="tlsdoctor",instance=%q}`, in(sc)), want)
	}
	api.expect(fmt.Sprintf(`probe_success{job="tlsdoctor_mtls",instance=%q}`, in("client-cert-required")), 1)
	api.expectLabels(fmt.Sprintf(`tlsdoctor_handshake_failure{job="tlsdoctor",instance=%q}`, in("reset")), map[string]string{"reason": "handshake-failed", "kind": "connection-reset"})
	api.expectLabels(fmt.Sprintf(`tlsdoctor_handshake_failure{job="tlsdoctor",instance=%q}`, in("client-cert-required")), map[string]string{"reason": "client-cert-required", "alert": "certificate_required"})
	api.expectNone(fmt.Sprintf(`tlsdoctor_handshake_failure{instance=%q}`, in("expired")))
	api.expect(fmt.Sprintf(`tlsdoctor_finding{job="tlsdoctor",instance=%q,id="cert-expired",severity="error"}`, in("expired")), 1)
	api.expect(fmt.Sprintf(`tlsdoctor_finding{job="tlsdoctor",instance=%q,id="untrusted-root"}`, in("untrusted-root")), 1)
	api.expect(fmt.Sprintf(`tlsdoctor_worst_severity{job="tlsdoctor",instance=%q}`, in("good")), 0)
	// The expired endpoint still reports which certificate expired.
	api.expect(fmt.Sprintf(`tlsdoctor_cert_not_after_seconds{job="tlsdoctor",instance=%q,role="leaf",position="0",cn="localhost",origin="sent"} < time()`, in("expired")), float64(lab.PKI.Get("expired").Cert.NotAfter.Unix()))
	api.expect(fmt.Sprintf(`count(tlsdoctor_cert_not_after_seconds{job="tlsdoctor",instance=%q})`, in("good")), 3)
	api.expect(`tlsdoctor_cert_not_after_seconds{job="tlsdoctor_mtls",role="client",position="0",cn="client.example.test"}`, float64(lab.PKI.Get("client").Cert.NotAfter.Unix()))
	api.expect(fmt.Sprintf(`tlsdoctor_revocation_status{job="tlsdoctor",instance=%q,role="leaf"}`, in("good")), 0)
	api.expect(fmt.Sprintf(`tlsdoctor_chain_trusted{job="tlsdoctor",instance=%q,store="ca-file ca.pem"}`, in("untrusted-root")), 0)

	// Compatibility with the real blackbox_exporter on the same targets.
	for _, sc := range []string{"good", "expired", "untrusted-root", "reset"} {
		a, b := api.value(fmt.Sprintf(`probe_success{job="tlsdoctor",instance=%q}`, in(sc))), api.value(fmt.Sprintf(`probe_success{job="blackbox",instance=%q}`, in(sc)))
		if a != b {
			t.Errorf("%s: probe_success is %v, blackbox_exporter says %v", sc, a, b)
		}
	}
	for _, m := range []string{"probe_ssl_earliest_cert_expiry", "probe_ssl_last_chain_expiry_timestamp_seconds"} {
		a, b := api.value(fmt.Sprintf(`%s{job="tlsdoctor",instance=%q}`, m, in("good"))), api.value(fmt.Sprintf(`%s{job="blackbox",instance=%q}`, m, in("good")))
		if a != b {
			t.Errorf("good: %s is %v, blackbox_exporter says %v", m, a, b)
		}
	}
	for _, m := range []string{"probe_tls_version_info", "probe_ssl_last_chain_info"} {
		a, b := api.labels(fmt.Sprintf(`%s{job="tlsdoctor",instance=%q}`, m, in("good"))), api.labels(fmt.Sprintf(`%s{job="blackbox",instance=%q}`, m, in("good")))
		delete(a, "job")
		delete(b, "job")
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("good: %s labels %v, blackbox_exporter's %v", m, a, b)
		}
	}
	// Where blackbox_exporter has nothing to say about the certificate
	// (its handshake verifies and fails), we still do.
	api.expectNone(fmt.Sprintf(`probe_ssl_earliest_cert_expiry{job="blackbox",instance=%q}`, in("expired")))
	api.expect(fmt.Sprintf(`probe_ssl_earliest_cert_expiry{job="tlsdoctor",instance=%q}`, in("expired")), float64(lab.PKI.Get("expired").Cert.NotAfter.Unix()))
	// A server that requires a client certificate completes a TLS 1.3
	// handshake and refuses the client after it: blackbox_exporter
	// reports success, a real client without a certificate fails.
	bbMTLS := api.value(fmt.Sprintf(`probe_success{job="blackbox",instance=%q}`, in("client-cert-required")))
	t.Logf("client-cert-required without a client certificate: blackbox_exporter probe_success %v, tlsdoctor 0", bbMTLS)
	api.expect(fmt.Sprintf(`probe_success{job="blackbox_mtls",instance=%q}`, in("client-cert-required")), 1)

	// SIGHUP reloads the configuration: a new module appears.
	if err := os.WriteFile(cfgPath, []byte("modules:\n  renamed:\n    tls_config:\n      ca_file: ca.pem\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	probeURL := "http://" + ours + "/probe?" + url.Values{"target": {in("good")}, "module": {"renamed"}}.Encode()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(probeURL)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && bytes.Contains(b, []byte("\nprobe_success 1\n")) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the module added before SIGHUP is not served: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func lookTool(t *testing.T, bin, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		t.Skipf("%s not installed (apt-get install -y %s)", bin, pkg)
	}
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	a, err := fixtures.FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// syncBuffer collects a process' output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listening = regexp.MustCompile(`serving /probe and /metrics on http://(127\.0\.0\.1:\d+)`)

// startServe runs `tlsdoctor serve ARGS` in-process until the test ends
// and returns the address it listens on.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- cli.RunEnv(ctx, append([]string{"serve"}, args...), cli.Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Now: time.Now})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("tlsdoctor serve exited %d:\n%s", code, stderr.String())
			}
		case <-time.After(40 * time.Second):
			t.Error("tlsdoctor serve did not stop")
		}
		if t.Failed() {
			t.Logf("tlsdoctor serve stderr:\n%s", stderr.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("tlsdoctor serve exited %d:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("tlsdoctor serve did not start:\n%s", stderr.String())
	return ""
}

// startProcess runs a peer until the test ends.
func startProcess(t *testing.T, name, bin, dir string, args ...string) {
	t.Helper()
	var out syncBuffer
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
}

// promAPI queries Prometheus' HTTP API.
type promAPI struct {
	t    *testing.T
	base string
}

type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (p promAPI) query(q string) ([]sample, error) {
	resp, err := http.Get(p.base + "/api/v1/query?" + url.Values{"query": {q}}.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []sample `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", q, r.Error)
	}
	return r.Data.Result, nil
}

func (p promAPI) one(q string) sample {
	p.t.Helper()
	rs, err := p.query(q)
	if err != nil {
		p.t.Fatal(err)
	}
	if len(rs) != 1 {
		p.t.Fatalf("%s: %d series, want 1: %v", q, len(rs), rs)
	}
	return rs[0]
}

func (p promAPI) value(q string) float64 {
	p.t.Helper()
	s := p.one(q)
	v, err := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
	if err != nil {
		p.t.Fatalf("%s: value %v", q, s.Value[1])
	}
	return v
}

func (p promAPI) labels(q string) map[string]string {
	p.t.Helper()
	m := p.one(q).Metric
	delete(m, "__name__")
	return m
}

func (p promAPI) expect(q string, want float64) {
	p.t.Helper()
	if got := p.value(q); got != want {
		p.t.Errorf("%s = %v, want %v", q, got, want)
	}
}

func (p promAPI) expectLabels(q string, want map[string]string) {
	p.t.Helper()
	got := p.labels(q)
	for k, v := range want {
		if got[k] != v {
			p.t.Errorf("%s: label %s=%q, want %q (%v)", q, k, got[k], v, got)
		}
	}
}

func (p promAPI) expectNone(q string) {
	p.t.Helper()
	rs, err := p.query(q)
	if err != nil {
		p.t.Fatal(err)
	}
	if len(rs) != 0 {
		p.t.Errorf("%s: want no series, got %v", q, rs)
	}
}

// waitFor polls until the query's single value is at least n.
func (p promAPI) waitFor(q string, n int, within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		rs, err := p.query(q)
		if err == nil && len(rs) == 1 {
			if v, _ := strconv.ParseFloat(fmt.Sprint(rs[0].Value[1]), 64); v >= float64(n) {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not reach %d within %s (last: %v %v)", q, n, within, rs, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
