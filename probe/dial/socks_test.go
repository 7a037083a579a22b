package dial_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// stallingSOCKS5 is a SOCKS5 proxy that accepts the connection and then
// answers nothing (greeting false) or answers the greeting ("no
// authentication") and then never replies to CONNECT (greeting true).
func stallingSOCKS5(t *testing.T, greeting bool) int {
	return fake(t, func(c net.Conn) {
		if greeting {
			h := make([]byte, 2)
			if _, err := io.ReadFull(c, h); err != nil {
				return
			}
			if _, err := io.ReadFull(c, make([]byte, h[1])); err != nil {
				return
			}
			_, _ = c.Write([]byte{5, 0})
		}
		// Read (and drop) whatever comes until the client goes.
		_, _ = io.Copy(io.Discard, c)
	})
}

// TestSOCKS5Stalls: a SOCKS5 proxy that takes the connection and then
// stalls ends the dial within the caller's deadline, with a proxy-stage
// error that says the proxy did not answer, like a silent HTTP proxy.
func TestSOCKS5Stalls(t *testing.T) {
	for name, greeting := range map[string]bool{"silent": false, "after greeting": true} {
		t.Run(name, func(t *testing.T) {
			port := stallingSOCKS5(t, greeting)
			d, err := dial.New(dial.Options{Proxy: "socks5://127.0.0.1:" + strconv.Itoa(port)}, dial.Target{Host: "target.test", Port: 443})
			if err != nil {
				t.Fatal(err)
			}
			const timeout = 300 * time.Millisecond
			t0 := time.Now()
			_, _, err = d.Dial(ctxT(t, timeout), "target.test:443")
			took := time.Since(t0)
			var de *dial.Error
			if !errors.As(err, &de) || de.Stage != dial.StageProxy || de.Kind != "" || !strings.Contains(err.Error(), "did not answer") {
				t.Fatalf("err = %v (%#v), want stage proxy: the SOCKS5 proxy did not answer", err, de)
			}
			if took > timeout+time.Second {
				t.Errorf("took %s with a %s deadline", took, timeout)
			}
		})
	}
}

// TestSOCKS5StallsCancel: a cancelled context ends a stalled SOCKS5
// exchange at once, deadline or not.
func TestSOCKS5StallsCancel(t *testing.T) {
	port := stallingSOCKS5(t, true)
	d, _ := dial.New(dial.Options{Proxy: "socks5://127.0.0.1:" + strconv.Itoa(port)}, dial.Target{Host: "target.test", Port: 443})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	t0 := time.Now()
	_, _, err := d.Dial(ctx, "target.test:443")
	var de *dial.Error
	if !errors.As(err, &de) || de.Stage != dial.StageProxy {
		t.Fatalf("err = %v, want a proxy-stage error", err)
	}
	if took := time.Since(t0); took > 2*time.Second {
		t.Errorf("a cancelled dial took %s", took)
	}
}

// TestSOCKS5StallsNoDeadline: without a deadline on the context, a
// stalled SOCKS5 exchange is bounded as the HTTP CONNECT one is (by the
// exchange timeout, ten seconds in a run, shortened here).
func TestSOCKS5StallsNoDeadline(t *testing.T) {
	t.Cleanup(dial.SetExchangeTimeout(300 * time.Millisecond))
	for name, proxy := range map[string]string{
		"socks5 silent":         "socks5://127.0.0.1:" + strconv.Itoa(stallingSOCKS5(t, false)),
		"socks5 after greeting": "socks5://127.0.0.1:" + strconv.Itoa(stallingSOCKS5(t, true)),
		"http silent":           "http://127.0.0.1:" + strconv.Itoa(newConnectProxy(t, func(string, string) string { return "" }).port),
	} {
		t.Run(name, func(t *testing.T) {
			d, _ := dial.New(dial.Options{Proxy: proxy}, dial.Target{Host: "target.test", Port: 443})
			t0 := time.Now()
			_, _, err := d.Dial(context.Background(), "target.test:443")
			var de *dial.Error
			if !errors.As(err, &de) || de.Stage != dial.StageProxy || de.Kind != "" {
				t.Fatalf("err = %v, want a proxy-stage error", err)
			}
			if took := time.Since(t0); took > 2*time.Second {
				t.Errorf("took %s with a 300ms exchange timeout", took)
			}
		})
	}
}
