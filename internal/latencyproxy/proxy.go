// Package latencyproxy is a TCP proxy that delays every chunk of data by a
// fixed time in each direction, to make loopback benchmarks behave like a
// real network path. It is a benchmark tool: it counts connections so a
// benchmark can compare how many each scanner opens.
package latencyproxy

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards connections from its listener to Backend, adding Delay
// one way (so a round trip costs 2×Delay).
type Proxy struct {
	Backend string
	Delay   time.Duration
	// ConnectDelay models the TCP handshake the local accept skips: no
	// byte from the client reaches the backend earlier than ConnectDelay
	// after the connection was accepted (plus Delay). A real connection
	// costs one round trip before the client can send, so 2×Delay
	// models it; a client that opened its connection ahead of need and
	// sends later pays nothing. Zero (Start's default) leaves it out.
	// Set it before the first connection.
	ConnectDelay time.Duration

	ln    net.Listener
	conns atomic.Int64
	wg    sync.WaitGroup
}

// Start listens on 127.0.0.1 at a free port and serves until ctx ends or
// Close is called; connectDelay is Proxy.ConnectDelay.
func Start(ctx context.Context, backend string, delay, connectDelay time.Duration) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Backend: backend, Delay: delay, ConnectDelay: connectDelay, ln: ln}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	p.wg.Add(1)
	go p.serve(ctx)
	return p, nil
}

// Addr is the proxy's listening address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Conns is how many connections the proxy accepted.
func (p *Proxy) Conns() int64 { return p.conns.Load() }

// Close stops accepting and waits for the accept loop.
func (p *Proxy) Close() {
	p.ln.Close()
	p.wg.Wait()
}

func (p *Proxy) serve(ctx context.Context) {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		go p.handle(ctx, c)
	}
}

func (p *Proxy) handle(ctx context.Context, c net.Conn) {
	defer c.Close()
	accepted := time.Now()
	var d net.Dialer
	b, err := d.DialContext(ctx, "tcp", p.Backend)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { p.pipe(b, c, accepted.Add(p.ConnectDelay)); done <- struct{}{} }()
	go func() { p.pipe(c, b, time.Time{}); done <- struct{}{} }()
	// Wait for both directions, as a TCP path does: a client that
	// half-closes still gets the server's answer.
	<-done
	<-done
}

type chunk struct {
	at   time.Time
	data []byte
}

// pipe copies src to dst, each chunk leaving Delay after it arrived (or
// after notBefore, if later), in order. When src ends, dst's write side is
// closed after the last chunk.
func (p *Proxy) pipe(dst, src net.Conn, notBefore time.Time) {
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				at := time.Now()
				if at.Before(notBefore) {
					at = notBefore
				}
				q <- chunk{at.Add(p.Delay), append([]byte(nil), buf[:n]...)}
			}
			if err != nil {
				return
			}
		}
	}()
	for ch := range q {
		time.Sleep(time.Until(ch.at))
		if _, err := dst.Write(ch.data); err != nil {
			break
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		_ = dst.(io.Closer).Close()
	}
}
