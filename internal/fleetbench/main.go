// Command fleetbench is the fleet benchmark of `make bench`
// (scripts/bench-fleet.sh): it starts a few hundred TLS listeners on
// 127.0.0.1, each with its own certificate (some faulty), each behind a
// latency proxy (internal/latencyproxy, 50 ms round trip with the TCP
// handshake modelled), and an OCSP responder for their CA; writes a
// targets file of N distinct endpoints (several names per listener); and
// times, in the same run, on the same endpoints:
//
//   - tlsdoctor -f targets.txt (a default diagnosis of every endpoint:
//     revocation on, answered by the local responder), as a child process:
//     wall time, peak RSS, CPU;
//   - Prometheus's blackbox_exporter (/probe with a tls module), driven at
//     the same concurrency;
//   - testssl --file --parallel on a subset (its time extrapolated to N).
//
// It is a benchmark, not a test: it prints numbers and ratios and checks
// only that every tool saw the endpoints (so a tool that fails fast is not
// mistaken for a fast one).
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/internal/latencyproxy"
)

type config struct {
	endpoints, listeners, parallel, testsslN int
	delay                                    time.Duration
	connect                                  bool
	tlsdoctor, tools, work                   string
	serve                                    bool
}

func main() {
	var c config
	flag.IntVar(&c.endpoints, "n", 1000, "distinct endpoints")
	flag.IntVar(&c.listeners, "listeners", 250, "TLS listeners (each with its own certificate)")
	flag.IntVar(&c.parallel, "parallel", 32, "concurrency of every tool")
	flag.IntVar(&c.testsslN, "testssl-n", 20, "endpoints testssl is run on (extrapolated to -n)")
	flag.DurationVar(&c.delay, "delay", 25*time.Millisecond, "one-way delay of the latency proxy (a round trip is twice this)")
	flag.BoolVar(&c.connect, "connect", true, "model the TCP handshake (one more round trip before a connection's first bytes)")
	flag.StringVar(&c.tlsdoctor, "tlsdoctor", "./tlsdoctor", "the tlsdoctor binary")
	flag.StringVar(&c.tools, "tools", "tlsdoctor,blackbox,testssl", "tools to run")
	flag.StringVar(&c.work, "work", "", "work directory (default: a temporary one, removed)")
	flag.BoolVar(&c.serve, "serve", false, "set up, write the targets file into -work, and serve until killed (to try tools by hand)")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench: error:", err)
		os.Exit(1)
	}
}

// listener is one TLS server behind its latency proxy.
type listener struct {
	fault string // "" for a correct server
	proxy string // 127.0.0.1:port the endpoints connect to
	names []string
}

// faults are the faulty listeners, by index: a few of each kind.
var faults = map[int]string{3: "expired", 17: "expired", 41: "wrong-host", 77: "wrong-host", 101: "missing-intermediate",
	133: "missing-intermediate", 149: "self-signed", 171: "not-tls", 199: "not-tls", 211: "unreachable", 237: "unreachable"}

func run(c config) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	work := c.work
	if work == "" {
		d, err := os.MkdirTemp("", "fleetbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	resp, err := fixtures.StartResponder()
	if err != nil {
		return err
	}
	defer resp.Close()
	now := time.Now()
	specs := []fixtures.CertSpec{
		{Name: "root", CommonName: "Bench Root CA", Organization: "Bench", IsCA: true},
		{Name: "intermediate", Parent: "root", CommonName: "Bench Intermediate CA", Organization: "Bench", IsCA: true,
			OCSPServer: []string{resp.OCSPURL("root", fixtures.OCSPGood)}},
	}
	perListener := (c.endpoints + c.listeners - 1) / c.listeners
	ls := make([]*listener, c.listeners)
	n := 0
	for i := range ls {
		ls[i] = &listener{fault: faults[i]}
		for j := 0; j < perListener && n < c.endpoints; j++ {
			ls[i].names = append(ls[i].names, fmt.Sprintf("svc-%d-%d.bench.test", i, j))
			n++
		}
		s := fixtures.CertSpec{Name: fmt.Sprintf("leaf-%d", i), Parent: "intermediate", CommonName: ls[i].names[0],
			DNSNames: ls[i].names, IPs: []net.IP{net.ParseIP("127.0.0.1")}, OCSPServer: []string{resp.OCSPURL("intermediate", fixtures.OCSPGood)}}
		switch ls[i].fault {
		case "expired":
			s.NotBefore, s.NotAfter = -100*24*time.Hour, -3*24*time.Hour
		case "wrong-host":
			s.DNSNames, s.IPs = []string{"elsewhere.bench.test"}, nil
		case "self-signed":
			s.Parent = ""
		}
		specs = append(specs, s)
	}
	pki, err := fixtures.Build(now, specs...)
	if err != nil {
		return err
	}
	resp.Use(pki)
	if err := os.WriteFile(filepath.Join(work, "root.pem"), pki.PEMBundle("root"), 0o644); err != nil {
		return err
	}
	connectDelay := time.Duration(0)
	if c.connect {
		connectDelay = 2 * c.delay
	}
	var proxies []*latencyproxy.Proxy
	for i, l := range ls {
		backend, err := serve(ctx, pki, i, l.fault)
		if err != nil {
			return err
		}
		p, err := latencyproxy.Start(ctx, backend, c.delay, connectDelay)
		if err != nil {
			return err
		}
		proxies = append(proxies, p)
		l.proxy = p.Addr()
	}
	conns := func() (n int64) {
		for _, p := range proxies {
			n += p.Conns()
		}
		return n
	}
	var lines, blackbox []string
	var testssl []string
	for _, l := range ls {
		for _, name := range l.names {
			lines = append(lines, fmt.Sprintf("%s --connect-to %s", name, l.proxy))
			blackbox = append(blackbox, l.proxy)
			if len(testssl) < c.testsslN && len(testssl) < len(lines) && len(lines)%(c.endpoints/max(c.testsslN, 1)) == 1 {
				_, port, _ := net.SplitHostPort(l.proxy)
				testssl = append(testssl, fmt.Sprintf("--ip 127.0.0.1 https://%s:%s/", name, port))
			}
		}
	}
	targets := filepath.Join(work, "targets.txt")
	if err := os.WriteFile(targets, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	faulty := 0
	for _, l := range ls {
		if l.fault != "" {
			faulty += len(l.names)
		}
	}
	if c.serve {
		_ = os.WriteFile(filepath.Join(work, "testssl-lines.txt"), []byte(strings.Join(testssl, "\n")+"\n"), 0o644)
		fmt.Println("serving; targets in", targets)
		select {}
	}
	fmt.Printf("fleet benchmark: %d endpoints on %d listeners (%d faulty endpoints), %v round trip, TCP handshake modelled: %v, concurrency %d\n",
		len(lines), len(ls), faulty, 2*c.delay, c.connect, c.parallel)
	fmt.Printf("%-18s %9s %10s %9s %8s  %s\n", "tool", "wall s", "peak RSS", "CPU s", "conns", "notes")
	var tdWall time.Duration
	if strings.Contains(c.tools, "tlsdoctor") {
		before, reqs, self := conns(), resp.Requests(), selfCPU()
		out := filepath.Join(work, "out.jsonl")
		m, err := measure(exec.Command(c.tlsdoctor, "-f", targets, "--ca-file", filepath.Join(work, "root.pem"), "--format", "jsonl", "-o", out, "--parallel", strconv.Itoa(c.parallel)))
		if err != nil && m.wall == 0 {
			return err
		}
		tdWall = m.wall
		st, err := statuses(out)
		if err != nil {
			return err
		}
		fmt.Printf("%-18s %9.2f %8.0f MB %9.2f %8d  %s; %d OCSP requests to the responder; the servers, proxies and responder used %.2f s CPU meanwhile\n",
			"tlsdoctor", m.wall.Seconds(), m.rssMB, m.cpu.Seconds(), conns()-before, st, resp.Requests()-reqs, (selfCPU() - self).Seconds())
	}
	if strings.Contains(c.tools, "blackbox") {
		before, self := conns(), selfCPU()
		m, note, err := runBlackbox(ctx, work, blackbox, c.parallel)
		note += fmt.Sprintf("; the servers, proxies, responder and the /probe driver used %.2f s CPU meanwhile", (selfCPU() - self).Seconds())
		if err != nil {
			fmt.Printf("%-18s %s\n", "blackbox_exporter", "skipped: "+err.Error())
		} else {
			fmt.Printf("%-18s %9.2f %8.0f MB %9.2f %8d  %s\n", "blackbox_exporter", m.wall.Seconds(), m.rssMB, m.cpu.Seconds(), conns()-before, note)
			if tdWall > 0 {
				fmt.Printf("  blackbox_exporter / tlsdoctor wall = %.2fx\n", m.wall.Seconds()/tdWall.Seconds())
			}
		}
	}
	if strings.Contains(c.tools, "testssl") {
		before := conns()
		m, err := runTestssl(work, testssl)
		if err != nil {
			fmt.Printf("%-18s %s\n", "testssl", "skipped: "+err.Error())
		} else {
			k := float64(len(lines)) / float64(len(testssl))
			fmt.Printf("%-18s %9.2f %8.0f MB %9.2f %8d  %d endpoints, --parallel; extrapolated to %d endpoints: %.0f s wall, %.0f s CPU\n",
				"testssl", m.wall.Seconds(), m.rssMB, m.cpu.Seconds(), conns()-before, len(testssl), len(lines), m.wall.Seconds()*k, m.cpu.Seconds()*k)
			if tdWall > 0 {
				fmt.Printf("  testssl (extrapolated) / tlsdoctor wall = %.0fx\n", m.wall.Seconds()*k/tdWall.Seconds())
			}
		}
	}
	return nil
}

// serve starts listener i's server and returns its address; an
// "unreachable" one returns a port nothing listens on.
func serve(ctx context.Context, pki *fixtures.PKI, i int, fault string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	if fault == "unreachable" {
		addr := ln.Addr().String()
		ln.Close()
		return addr, nil
	}
	go func() { <-ctx.Done(); ln.Close() }()
	names := []string{fmt.Sprintf("leaf-%d", i), "intermediate"}
	if fault == "missing-intermediate" || fault == "self-signed" {
		names = names[:1]
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pki.TLSCert(names...)}}
	// An HTTPS server that answers, as real endpoints do: tools that send
	// a request (testssl) must not wait for a timeout.
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "ok\n")
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if fault == "not-tls" {
		go func() { _ = srv.Serve(ln) }()
	} else {
		go func() { _ = srv.Serve(tls.NewListener(ln, cfg)) }()
	}
	return ln.Addr().String(), nil
}

type measurement struct {
	wall  time.Duration
	rssMB float64
	cpu   time.Duration
}

// measure runs cmd to its end: wall time, peak RSS and CPU (user+system,
// its children included) from wait4's rusage.
func measure(cmd *exec.Cmd) (measurement, error) {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	t0 := time.Now()
	err := cmd.Run()
	m := measurement{wall: time.Since(t0)}
	if cmd.ProcessState == nil {
		return m, err
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssMB = float64(ru.Maxrss) / 1024
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if err != nil {
		var ee *exec.ExitError
		if !(asExit(err, &ee) && ee.ExitCode() == 1) {
			return m, fmt.Errorf("%s: %v: %s", cmd.Path, err, stderr.String())
		}
	}
	return m, nil
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}

// statuses counts the targets of a jsonl report by outcome.
func statuses(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	total, clean, errs := 0, 0, 0
	for sc.Scan() {
		var t struct {
			Summary struct{ Errors int } `json:"summary"`
		}
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return "", err
		}
		total++
		if t.Summary.Errors == 0 {
			clean++
		} else {
			errs++
		}
	}
	return fmt.Sprintf("%d targets: %d without an error finding, %d with", total, clean, errs), sc.Err()
}

// runBlackbox starts blackbox_exporter with a tls module and probes every
// endpoint through /probe, parallel at once; CPU and RSS are the
// exporter's own, read from /proc around the probing.
func runBlackbox(ctx context.Context, work string, targets []string, parallel int) (measurement, string, error) {
	bin, err := exec.LookPath("prometheus-blackbox-exporter")
	if err != nil {
		if bin, err = exec.LookPath("blackbox_exporter"); err != nil {
			return measurement{}, "", fmt.Errorf("not installed (apt-get install -y prometheus-blackbox-exporter)")
		}
	}
	cfg := filepath.Join(work, "blackbox.yml")
	conf := fmt.Sprintf("modules:\n  tls:\n    prober: tcp\n    timeout: 10s\n    tcp:\n      tls: true\n      tls_config:\n        ca_file: %s\n", filepath.Join(work, "root.pem"))
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return measurement{}, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return measurement{}, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfg, "--web.listen-address="+addr, "--log.level=error")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return measurement{}, "", err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: parallel}, Timeout: 30 * time.Second}
	for i := 0; ; i++ {
		if r, err := client.Get("http://" + addr + "/metrics"); err == nil {
			r.Body.Close()
			break
		}
		if i > 100 {
			return measurement{}, "", fmt.Errorf("blackbox_exporter did not start on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cpu0 := procCPU(cmd.Process.Pid)
	t0 := time.Now()
	var mu sync.Mutex
	ok, failed := 0, 0
	work2 := make(chan string)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work2 {
				r, err := client.Get("http://" + addr + "/probe?module=tls&target=" + t)
				success := false
				if err == nil {
					body, _ := io.ReadAll(r.Body)
					r.Body.Close()
					success = strings.Contains(string(body), "\nprobe_success 1")
				}
				mu.Lock()
				if success {
					ok++
				} else {
					failed++
				}
				mu.Unlock()
			}
		}()
	}
	for _, t := range targets {
		work2 <- t
	}
	close(work2)
	wg.Wait()
	m := measurement{wall: time.Since(t0), cpu: procCPU(cmd.Process.Pid) - cpu0, rssMB: procHWM(cmd.Process.Pid)}
	return m, fmt.Sprintf("%d probes: %d probe_success 1, %d failed (TLS handshake and chain only: no OCSP, no findings)", len(targets), ok, failed), nil
}

// selfCPU is this process's user+system time so far: what the servers,
// proxies and responder cost while a tool ran.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is a process's user+system time so far.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * time.Second / 100 // USER_HZ
}

// procHWM is a process's peak RSS in MB.
func procHWM(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// runTestssl runs testssl --file --parallel on the subset: its default
// per-host checks are far more than a default tlsdoctor run, so it runs
// with -S (server defaults: certificate, chain, expiry, OCSP), the part
// that answers what tlsdoctor's default run answers.
func runTestssl(work string, lines []string) (measurement, error) {
	bin, err := exec.LookPath("testssl")
	if err != nil {
		if bin, err = exec.LookPath("testssl.sh"); err != nil {
			return measurement{}, fmt.Errorf("not installed (apt-get install -y testssl.sh)")
		}
	}
	file := filepath.Join(work, "testssl.txt")
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("-S --quiet --color 0 --warnings off --nodns none " + l + "\n")
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return measurement{}, err
	}
	cmd := exec.Command(bin, "--file", file, "--parallel")
	cmd.Dir = work
	cmd.Stdout = io.Discard
	m, err := measure(cmd)
	if err != nil && m.wall == 0 {
		return m, err
	}
	return m, nil
}

var _ = x509.ParseCertificate
