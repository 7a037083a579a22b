package dial_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

const secret = "s3cr3t-pa55"

// connectProxy is an in-process HTTP CONNECT proxy: it answers status
// (and tunnels on 200) and records the requests' target and
// Proxy-Authorization.
type connectProxy struct {
	port   int
	mu     sync.Mutex
	auth   []string
	target []string
}

func newConnectProxy(t *testing.T, answer func(target, auth string) string) *connectProxy {
	cp := &connectProxy{}
	cp.port = fake(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil || req.Method != http.MethodConnect {
			return
		}
		cp.mu.Lock()
		cp.auth = append(cp.auth, req.Header.Get("Proxy-Authorization"))
		cp.target = append(cp.target, req.Host)
		cp.mu.Unlock()
		status := answer(req.Host, req.Header.Get("Proxy-Authorization"))
		if status == "" {
			time.Sleep(3 * time.Second)
			return
		}
		_, _ = io.WriteString(c, status)
		if !strings.Contains(status, " 200 ") {
			return
		}
		host, port, _ := net.SplitHostPort(req.Host)
		if host == "target.test" {
			host = "127.0.0.1"
		}
		up, err := net.Dial("tcp", net.JoinHostPort(host, port))
		if err != nil {
			return
		}
		defer up.Close()
		go func() { _, _ = io.Copy(up, br) }()
		_, _ = io.Copy(c, up)
	})
	return cp
}

// tlsTarget is a TLS server on 127.0.0.1.
func tlsTarget(t *testing.T) int {
	cert := serverCert(t)
	return fake(t, func(c net.Conn) { _ = tlsServer(c, nil, cert) })
}

func TestHTTPConnectProxy(t *testing.T) {
	backend := tlsTarget(t)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+secret))
	cp := newConnectProxy(t, func(_, auth string) string {
		if auth != basic {
			return "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nVia: 1.1 fakeproxy\r\nContent-Length: 0\r\n\r\n"
		}
		return "HTTP/1.1 200 Connection established\r\n\r\n"
	})
	proxy := fmt.Sprintf("http://alice:%s@127.0.0.1:%d", secret, cp.port)
	d, err := dial.New(dial.Options{Proxy: proxy}, dial.Target{Host: "target.test", Port: backend, Name: "target.test"})
	if err != nil {
		t.Fatal(err)
	}
	res := d.Resolve(ctxT(t, time.Second))
	if !res.ByProxy || len(res.Dests) != 1 || res.Dests[0] != "target.test:"+strconv.Itoa(backend) {
		t.Fatalf("resolution = %+v, want the name left to the proxy", res)
	}
	conn, log, err := d.Dial(ctxT(t, 5*time.Second), res.Dests[0])
	if err != nil {
		t.Fatalf("dial through the proxy: %v", err)
	}
	handshake(t, conn)
	conn.Close()
	if log.Proxy == nil || log.Proxy.StatusCode != 200 || !log.Proxy.Auth || log.Proxy.Request != "CONNECT target.test:"+strconv.Itoa(backend)+" HTTP/1.1" {
		t.Errorf("proxy log = %+v", log.Proxy)
	}
	noSecret(t, log, nil)

	// Wrong password: 407, with the challenge, and still no secret.
	wrong := fmt.Sprintf("http://alice:wrong-%s@127.0.0.1:%d", secret, cp.port)
	d, _ = dial.New(dial.Options{Proxy: wrong}, dial.Target{Host: "target.test", Port: backend})
	_, log, err = d.Dial(ctxT(t, 5*time.Second), "target.test:"+strconv.Itoa(backend))
	var de *dial.Error
	if !errors.As(err, &de) || de.Stage != dial.StageProxy || de.Kind != dial.KindRefused {
		t.Fatalf("err = %v, want a proxy refusal", err)
	}
	if log.Proxy.StatusCode != 407 || !strings.Contains(strings.Join(log.Proxy.Headers, "\n"), `Proxy-Authenticate: Basic realm="corp"`) {
		t.Errorf("proxy log = %+v, want the 407 and its challenge", log.Proxy)
	}
	if !strings.Contains(err.Error(), "407 Proxy Authentication Required") {
		t.Errorf("error %q does not name the status", err)
	}
	noSecret(t, log, err)
	cp.mu.Lock()
	if len(cp.auth) != 2 || cp.auth[0] != basic {
		t.Errorf("the proxy saw Proxy-Authorization %q", cp.auth)
	}
	cp.mu.Unlock()
}

// noSecret fails when the password appears in a log or an error.
func noSecret(t *testing.T, log *dial.Log, err error) {
	t.Helper()
	b, _ := json.Marshal(log)
	if strings.Contains(string(b), secret) || strings.Contains(string(b), base64.StdEncoding.EncodeToString([]byte("alice:"+secret))) {
		t.Errorf("the log holds the password: %s", b)
	}
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("the error holds the password: %v", err)
	}
}

func TestHTTPProxyFailures(t *testing.T) {
	forbidden := newConnectProxy(t, func(string, string) string {
		return "HTTP/1.1 403 Forbidden\r\nServer: fakeproxy\r\n\r\n"
	})
	silent := newConnectProxy(t, func(string, string) string { return "" })
	garbage := fake(t, func(c net.Conn) { _, _ = io.WriteString(c, "SSH-2.0-OpenSSH\r\n") })
	// A port nothing listens on: take one and close it.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cases := []struct {
		name     string
		port     int
		timeout  time.Duration
		wantKind dial.Kind
		wantMsg  string
	}{
		{"403", forbidden.port, 5 * time.Second, dial.KindRefused, "403 Forbidden"},
		{"timeout", silent.port, 300 * time.Millisecond, "", "no answer to CONNECT"},
		{"not http", garbage, 5 * time.Second, dial.KindMalformed, "not HTTP"},
		{"down", closed, 5 * time.Second, "", "cannot connect to the proxy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := dial.New(dial.Options{Proxy: "http://user:" + secret + "@127.0.0.1:" + strconv.Itoa(c.port)}, dial.Target{Host: "target.test", Port: 443})
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			_, log, err := d.Dial(ctxT(t, c.timeout), "target.test:443")
			var de *dial.Error
			if !errors.As(err, &de) || de.Stage != dial.StageProxy || de.Kind != c.wantKind || !strings.Contains(err.Error(), c.wantMsg) {
				t.Fatalf("err = %v (%#v), want stage proxy, kind %q, %q", err, de, c.wantKind, c.wantMsg)
			}
			if time.Since(t0) > c.timeout+time.Second {
				t.Errorf("took %s", time.Since(t0))
			}
			noSecret(t, log, err)
		})
	}
}

// socks5Server is a minimal SOCKS5 server (RFC 1928, username/password
// from RFC 1929) that connects "target.test" to 127.0.0.1, or answers
// reply (a failure code) when it is not zero.
func socks5Server(t *testing.T, user, pass string, reply byte) int {
	return fake(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		h := make([]byte, 2)
		if _, err := io.ReadFull(br, h); err != nil || h[0] != 5 {
			return
		}
		methods := make([]byte, h[1])
		if _, err := io.ReadFull(br, methods); err != nil {
			return
		}
		if user != "" {
			_, _ = c.Write([]byte{5, 2})
			v := make([]byte, 2)
			_, _ = io.ReadFull(br, v)
			u := make([]byte, v[1])
			_, _ = io.ReadFull(br, u)
			pl, _ := br.ReadByte()
			p := make([]byte, pl)
			_, _ = io.ReadFull(br, p)
			if string(u) != user || string(p) != pass {
				_, _ = c.Write([]byte{1, 1})
				return
			}
			_, _ = c.Write([]byte{1, 0})
		} else {
			_, _ = c.Write([]byte{5, 0})
		}
		req := make([]byte, 4)
		if _, err := io.ReadFull(br, req); err != nil || req[1] != 1 {
			return
		}
		var host string
		switch req[3] {
		case 1:
			ip := make([]byte, 4)
			_, _ = io.ReadFull(br, ip)
			host = net.IP(ip).String()
		case 3:
			l, _ := br.ReadByte()
			b := make([]byte, l)
			_, _ = io.ReadFull(br, b)
			host = string(b)
		default:
			return
		}
		pb := make([]byte, 2)
		_, _ = io.ReadFull(br, pb)
		port := int(pb[0])<<8 | int(pb[1])
		if reply != 0 {
			_, _ = c.Write([]byte{5, reply, 0, 1, 0, 0, 0, 0, 0, 0})
			return
		}
		if host == "target.test" {
			host = "127.0.0.1"
		}
		up, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			_, _ = c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
			return
		}
		defer up.Close()
		_, _ = c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
		go func() { _, _ = io.Copy(up, br) }()
		_, _ = io.Copy(c, up)
	})
}

func TestSOCKS5Proxy(t *testing.T) {
	backend := tlsTarget(t)
	ok := socks5Server(t, "alice", secret, 0)
	refusing := socks5Server(t, "", "", 2) // connection not allowed by ruleset
	dest := "target.test:" + strconv.Itoa(backend)

	d, _ := dial.New(dial.Options{Proxy: "socks5://alice:" + secret + "@127.0.0.1:" + strconv.Itoa(ok)}, dial.Target{Host: "target.test", Port: backend})
	conn, log, err := d.Dial(ctxT(t, 5*time.Second), dest)
	if err != nil {
		t.Fatalf("dial through SOCKS5: %v", err)
	}
	handshake(t, conn)
	conn.Close()
	if log.Proxy == nil || log.Proxy.Scheme != "socks5" || log.Proxy.Status != "succeeded" || !log.Proxy.Auth {
		t.Errorf("proxy log = %+v", log.Proxy)
	}
	noSecret(t, log, nil)

	for name, proxy := range map[string]string{
		"bad password": "socks5://alice:nope" + secret + "@127.0.0.1:" + strconv.Itoa(ok),
		"ruleset":      "socks5://127.0.0.1:" + strconv.Itoa(refusing),
	} {
		t.Run(name, func(t *testing.T) {
			d, _ := dial.New(dial.Options{Proxy: proxy}, dial.Target{Host: "target.test", Port: backend})
			_, log, err := d.Dial(ctxT(t, 5*time.Second), dest)
			var de *dial.Error
			if !errors.As(err, &de) || de.Stage != dial.StageProxy || de.Kind != dial.KindRefused {
				t.Fatalf("err = %v, want a proxy refusal", err)
			}
			noSecret(t, log, err)
		})
	}
}

// Through a proxy, STARTTLS runs inside the tunnel: the server's
// greeting may arrive with the proxy's answer.
func TestProxyThenStartTLS(t *testing.T) {
	smtp := scripted(t, []step{{"", "220 fake ESMTP\r\n"}, {"EHLO", "250-fake\r\n250 STARTTLS\r\n"}, {"STARTTLS", "220 go\r\n"}}, true)
	cp := newConnectProxy(t, func(string, string) string { return "HTTP/1.1 200 OK\r\n\r\n" })
	d, _ := dial.New(dial.Options{Proxy: "http://127.0.0.1:" + strconv.Itoa(cp.port), StartTLS: "smtp"}, dial.Target{Host: "target.test", Port: smtp})
	conn, log, err := d.Dial(ctxT(t, 5*time.Second), "target.test:"+strconv.Itoa(smtp))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	handshake(t, conn)
	if log.Proxy == nil || log.StartTLS == nil || !log.StartTLS.Upgraded {
		t.Errorf("log = %+v", log)
	}
	if _, ok := conn.(interface{ CloseWrite() error }); ok {
		t.Error("a tunnelled connection offers CloseWrite: a half-close would end the tunnel")
	}
}

func TestProxyEnvironment(t *testing.T) {
	cp := newConnectProxy(t, func(string, string) string { return "HTTP/1.1 200 OK\r\n\r\n" })
	env := &dial.ProxyEnv{HTTPSProxy: "http://127.0.0.1:" + strconv.Itoa(cp.port), HTTPSProxyName: "https_proxy", NoProxy: "internal.test"}
	cases := []struct {
		host     string
		starttls string
		proxied  bool
	}{
		{"partner.test", "", true},
		{"db.internal.test", "", false}, // NO_PROXY
		{"127.0.0.1", "", false},        // loopback is never proxied
		{"partner.test", "smtp", false}, // the environment is for TLS targets
	}
	for _, c := range cases {
		d, err := dial.New(dial.Options{Env: env, StartTLS: c.starttls}, dial.Target{Host: c.host, Port: 443})
		if err != nil {
			t.Fatal(err)
		}
		if d.Proxied() != c.proxied {
			t.Errorf("%s (starttls %q): proxied = %v, want %v", c.host, c.starttls, d.Proxied(), c.proxied)
		}
		if c.proxied {
			if in := d.Info(); in.Proxy == nil || in.Proxy.Source != "https_proxy" {
				t.Errorf("info = %+v, want the source named", in)
			}
		}
	}
	// --proxy none wins over the environment.
	if d, _ := dial.New(dial.Options{Env: env, Proxy: "none"}, dial.Target{Host: "partner.test", Port: 443}); d.Proxied() {
		t.Error("--proxy none still proxies")
	}
	// A broken variable is an error that does not repeat it.
	_, err := dial.New(dial.Options{Env: &dial.ProxyEnv{HTTPSProxy: "http://u:" + secret + "@bad host:1", HTTPSProxyName: "HTTPS_PROXY"}}, dial.Target{Host: "partner.test", Port: 443})
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "HTTPS_PROXY") {
		t.Errorf("err = %v, want HTTPS_PROXY named without its value", err)
	}
}

func TestProxyURLErrors(t *testing.T) {
	for _, p := range []string{"ftp://h:1", "https://h:3128", "http://u:" + secret + "@h:1/path", "h:3128", "http://u:" + secret + "@[::1"} {
		_, err := dial.New(dial.Options{Proxy: p}, dial.Target{Host: "x.test", Port: 443})
		if err == nil {
			t.Errorf("%q: no error", p)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%q: error repeats the password: %v", p, err)
		}
	}
}

// The HTTP fetches use the explicit proxy, with its credentials, or
// the environment.
func TestHTTPProxyFunc(t *testing.T) {
	f, err := dial.HTTPProxy(dial.Options{Proxy: "http://alice:" + secret + "@proxy.test:3128"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://ocsp.ca.test/", nil)
	u, _ := f(req)
	if u == nil || u.Host != "proxy.test:3128" || u.User.Username() != "alice" {
		t.Errorf("proxy = %v", u)
	}
	f, _ = dial.HTTPProxy(dial.Options{Env: &dial.ProxyEnv{HTTPProxy: "http://envproxy.test:8080", NoProxy: "ca.test"}})
	for target, want := range map[string]string{"http://aia.partner.test/ca.crt": "envproxy.test:8080", "http://ocsp.ca.test/": ""} {
		req, _ := http.NewRequest("GET", target, nil)
		u, _ := f(req)
		got := ""
		if u != nil {
			got = u.Host
		}
		if got != want {
			t.Errorf("%s: proxy %q, want %q", target, got, want)
		}
	}
	if f, _ := dial.HTTPProxy(dial.Options{}); f != nil {
		t.Error("no proxy configured, yet a proxy function")
	}
}
