package engine_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// stallingProxy accepts connections on 127.0.0.1 and answers nothing;
// with greeting it answers a SOCKS5 greeting ("no authentication") and
// then nothing.
func stallingProxy(t *testing.T, greeting bool) string {
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
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
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
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestStalledProxyWithinTimeout: a proxy that takes the connection and
// never answers (SOCKS5 silent, SOCKS5 after its greeting, HTTP CONNECT)
// ends the diagnosis within --timeout with proxy-refused.
func TestStalledProxyWithinTimeout(t *testing.T) {
	for name, proxy := range map[string]string{
		"socks5 silent":         "socks5://" + stallingProxy(t, false),
		"socks5 after greeting": "socks5://" + stallingProxy(t, true),
		"http silent":           "http://" + stallingProxy(t, false),
	} {
		t.Run(name, func(t *testing.T) {
			const timeout = 700 * time.Millisecond
			t0 := time.Now()
			res, err := engine.Diagnose(context.Background(), engine.Request{
				Probe: probe.Options{
					Target:     probe.Target{Input: "stall.test:443", Host: "stall.test", Port: 443},
					Connect:    dial.Options{Proxy: proxy},
					Revocation: probe.RevocationOptions{Mode: probe.RevocationOff},
				},
				Timeout: timeout,
			})
			took := time.Since(t0)
			if err != nil {
				t.Fatal(err)
			}
			if took > timeout+time.Second {
				t.Errorf("the diagnosis took %s with a %s timeout", took, timeout)
			}
			var ids []string
			for _, f := range res.Findings {
				ids = append(ids, f.ID)
			}
			if len(ids) == 0 || ids[0] != "proxy-refused" {
				t.Errorf("findings %v, want proxy-refused", ids)
			}
		})
	}
}
