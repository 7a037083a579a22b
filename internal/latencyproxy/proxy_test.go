package latencyproxy

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// echoServer is a TCP echo server on 127.0.0.1; it returns its address.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func TestProxyDelaysAndCounts(t *testing.T) {
	backend := echoServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const delay = 30 * time.Millisecond
	p, err := Start(ctx, backend, delay, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("echo through proxy: %q, %v", buf, err)
		}
		if rtt := time.Since(t0); rtt < 2*delay {
			t.Errorf("round trip took %v, want at least %v", rtt, 2*delay)
		}
		c.Close()
	}
	if n := p.Conns(); n != 2 {
		t.Errorf("Conns() = %d, want 2", n)
	}
}

// TestConnectDelay: the client's first bytes wait for the modelled TCP
// handshake; bytes sent after it has passed do not.
func TestConnectDelay(t *testing.T) {
	backend := echoServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const delay, connect = 20 * time.Millisecond, 100 * time.Millisecond
	p, err := Start(ctx, backend, delay, connect)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	echo := func(c net.Conn) time.Duration {
		t0 := time.Now()
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		return time.Since(t0)
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if rtt := echo(c); rtt < connect+2*delay {
		t.Errorf("first echo took %v, want at least %v", rtt, connect+2*delay)
	}
	if rtt := echo(c); rtt > connect {
		t.Errorf("second echo took %v: the connect delay applies only to a new connection", rtt)
	}
	warm, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer warm.Close()
	time.Sleep(connect)
	if rtt := echo(warm); rtt > connect {
		t.Errorf("a connection opened %v ahead echoed in %v: the handshake had passed", connect, rtt)
	}
}
