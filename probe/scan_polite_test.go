package probe_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// countingServer is an in-process TLS server behind a small relay that
// records how many client connections were open at once (a connection
// counts from accept until the client's end of it closes) and when each
// started.
type countingServer struct {
	mu      sync.Mutex
	open    int
	maxOpen int
	starts  []time.Time
}

func (c *countingServer) start(t *testing.T, stall bool) int {
	t.Helper()
	leaf := rsaLeaf(t, time.Now())
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key}}}
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	go func() {
		for {
			conn, err := backend.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
				if stall {
					_, _ = io.Copy(io.Discard, conn)
					return
				}
				_ = tls.Server(conn, cfg).Handshake()
			}()
		}
	}()
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { front.Close() })
	go func() {
		for {
			client, err := front.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.open++
			c.maxOpen = max(c.maxOpen, c.open)
			c.starts = append(c.starts, time.Now())
			c.mu.Unlock()
			go func() {
				defer client.Close()
				server, err := net.Dial("tcp", backend.Addr().String())
				if err != nil {
					return
				}
				defer server.Close()
				go func() { _, _ = io.Copy(client, server) }()
				_, _ = io.Copy(server, client) // returns when the client closes
				c.mu.Lock()
				c.open--
				c.mu.Unlock()
			}()
		}
	}()
	return front.Addr().(*net.TCPAddr).Port
}

func TestScanRespectsMaxConnsAndDelay(t *testing.T) {
	for _, tt := range []struct {
		maxConns int
		delay    time.Duration
	}{{1, 0}, {2, 0}, {1, 15 * time.Millisecond}} {
		var srv countingServer
		port := srv.start(t, false)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		rec := &probe.Record{Target: probe.Target{Host: "127.0.0.1", Port: port}, Attempts: []probe.Attempt{{Address: "127.0.0.1:" + itoa(port)}}}
		probe.RunScan(ctx, rec, probe.ScanOptions{MaxConns: tt.maxConns, Delay: tt.delay})
		cancel()
		srv.mu.Lock()
		// Every connection must have gone through the scanner's gate
		// (TestSlotBounds proves the gate's bound exactly): the relay's
		// count equals the recorded handshakes. The relay learns of a
		// close a scheduling moment late, so its own view of overlap is
		// only a coarse check: an ungated scanner opens six at once.
		if srv.maxOpen > tt.maxConns+2 {
			t.Errorf("--max-conns %d: %d connections were open at once", tt.maxConns, srv.maxOpen)
		}
		if len(srv.starts) != rec.Scan.Handshakes {
			t.Errorf("the server saw %d connections, the record says %d handshakes", len(srv.starts), rec.Scan.Handshakes)
		}
		// Individual gaps jitter with scheduling (TestSlotBounds checks
		// them exactly); the whole run cannot be shorter than the delays.
		// The relay stamps a start when it gets to run, so on a loaded
		// machine the first stamp can come late: one delay of slack (an
		// ungated scanner starts them all within a few ms).
		if n := len(srv.starts); tt.delay > 0 && n > 2 {
			if span := srv.starts[n-1].Sub(srv.starts[0]); span < time.Duration(n-2)*tt.delay-10*time.Millisecond {
				t.Errorf("--delay %v: %d connections started within %v", tt.delay, n, span)
			}
		}
		srv.mu.Unlock()
		if !rec.Scan.Versions[3].Supported || !rec.Scan.Versions[4].Supported {
			t.Errorf("TLS 1.2/1.3 not found: %+v", rec.Scan.Versions)
		}
	}
}

// TestScanIncompleteOnStall: a server that never answers must not be
// reported as refusing every version.
func TestScanIncompleteOnStall(t *testing.T) {
	var srv countingServer
	port := srv.start(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec := &probe.Record{Target: probe.Target{Host: "127.0.0.1", Port: port}, Attempts: []probe.Attempt{{Address: "127.0.0.1:" + itoa(port)}}}
	probe.RunScan(ctx, rec, probe.ScanOptions{HandshakeTimeout: 300 * time.Millisecond})
	if !rec.Scan.Incomplete || len(rec.Scan.Errors) == 0 || !strings.Contains(strings.Join(rec.Scan.Errors, "\n"), "timeout") {
		t.Fatalf("incomplete=%v errors=%q; want an incomplete scan naming the timeouts", rec.Scan.Incomplete, rec.Scan.Errors)
	}
	for _, v := range rec.Scan.Versions {
		if v.Supported || v.Refusal != "" {
			t.Errorf("%s: supported=%v refusal=%q; want neither, the server never answered", v.Version, v.Supported, v.Refusal)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
