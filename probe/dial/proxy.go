package dial

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpproxy"
	"golang.org/x/net/proxy"
)

// ProxyEnv is the proxy environment, as read by the caller (so that tests
// can inject it). Each field holds the variable's value and the name it
// was read under.
type ProxyEnv struct {
	HTTPSProxy, HTTPSProxyName string
	HTTPProxy, HTTPProxyName   string
	NoProxy                    string
}

// ReadProxyEnv reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY (upper case
// first, then lower case, as curl and Go do) with getenv.
func ReadProxyEnv(getenv func(string) string) *ProxyEnv {
	e := &ProxyEnv{}
	pick := func(names ...string) (string, string) {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v, n
			}
		}
		return "", ""
	}
	e.HTTPSProxy, e.HTTPSProxyName = pick("HTTPS_PROXY", "https_proxy")
	e.HTTPProxy, e.HTTPProxyName = pick("HTTP_PROXY", "http_proxy")
	e.NoProxy, _ = pick("NO_PROXY", "no_proxy")
	return e
}

// forTarget is the environment's proxy for a direct-TLS target, as
// httpproxy decides it for https://host:port (NO_PROXY applies; loopback
// is never proxied), or nil.
func (e *ProxyEnv) forTarget(host string, port int) (*proxySpec, error) {
	if e.HTTPSProxy == "" {
		return nil, nil
	}
	cfg := httpproxy.Config{HTTPSProxy: e.HTTPSProxy, NoProxy: e.NoProxy}
	u, err := cfg.ProxyFunc()(&url.URL{Scheme: "https", Host: net.JoinHostPort(host, strconv.Itoa(port))})
	if err != nil {
		// httpproxy's error repeats the value, which may hold a password.
		return nil, fmt.Errorf("%s is not a usable proxy URL", e.HTTPSProxyName)
	}
	if u == nil {
		return nil, nil
	}
	return specFromURL(u, e.HTTPSProxyName)
}

// proxySpec is a parsed proxy. The credentials live only here.
type proxySpec struct {
	scheme string // "http" or "socks5"
	host   string // host:port
	user   *url.Userinfo
	source string
}

func parseProxy(s, source string) (*proxySpec, error) {
	if !strings.Contains(s, "://") {
		return nil, fmt.Errorf("the proxy needs a scheme: http://host:port or socks5://host:port")
	}
	u, err := url.Parse(s)
	if err != nil {
		// url's error quotes the input, which may hold a password.
		return nil, fmt.Errorf("the proxy is not a valid URL (expected http://[user:pass@]host:port or socks5://[user:pass@]host:port)")
	}
	return specFromURL(u, source)
}

func specFromURL(u *url.URL, source string) (*proxySpec, error) {
	p := &proxySpec{scheme: strings.ToLower(u.Scheme), host: u.Host, user: u.User, source: source}
	switch p.scheme {
	case "http":
		if u.Port() == "" {
			p.host = net.JoinHostPort(u.Hostname(), "80")
		}
	case "socks5", "socks5h":
		p.scheme = "socks5"
		if u.Port() == "" {
			p.host = net.JoinHostPort(u.Hostname(), "1080")
		}
	case "https":
		return nil, fmt.Errorf("%s: TLS to the proxy itself (https://) is not supported; use the proxy's http:// port", source)
	default:
		return nil, fmt.Errorf("%s: proxy scheme %q is not supported (http or socks5)", source, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%s: the proxy URL names no host", source)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("%s: a proxy URL is scheme://host:port, without a path", source)
	}
	return p, nil
}

func (p *proxySpec) info() *ProxyInfo {
	return &ProxyInfo{Scheme: p.scheme, Address: p.host, Source: p.source, Auth: p.user != nil}
}

// URL is the proxy's URL with credentials, for an HTTP transport. It is
// never printed.
func (p *proxySpec) url() *url.URL {
	return &url.URL{Scheme: p.scheme, Host: p.host, User: p.user}
}

// dial connects to dest through the proxy.
func (p *proxySpec) dial(ctx context.Context, network, dest string, log *Log) (net.Conn, error) {
	log.Proxy = &ProxyExchange{ProxyInfo: *p.info(), Target: dest}
	fwd := &recordingDialer{log: log.Proxy}
	var c net.Conn
	var err error
	if p.scheme == "socks5" {
		c, err = p.socks5(ctx, fwd, dest, log.Proxy)
	} else {
		c, err = p.connect(ctx, fwd, dest, log.Proxy)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// recordingDialer connects to the proxy itself (any address family) and
// remembers whether that worked, to tell an unreachable proxy from one
// that refused.
type recordingDialer struct {
	log  *ProxyExchange
	err  error
	conn net.Conn
	// bounded makes DialContext bound the exchange on the connection to
	// the proxy (see bound) as soon as it exists; stop ends that.
	bounded bool
	stop    func()
}

func (r *recordingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		r.err = err
		return nil, err
	}
	r.log.ProxyAddr = c.RemoteAddr().String()
	r.conn = c
	if r.bounded {
		r.stop = bound(ctx, c)
	}
	return c, nil
}

func (r *recordingDialer) Dial(network, addr string) (net.Conn, error) {
	return r.DialContext(context.Background(), network, addr)
}

// maxProxyHeaders bounds the proxy's response head.
const (
	maxProxyHead    = 16 << 10
	maxProxyHeaders = 16
)

// connect opens an HTTP CONNECT tunnel to dest.
func (p *proxySpec) connect(ctx context.Context, fwd *recordingDialer, dest string, px *ProxyExchange) (net.Conn, error) {
	c, err := fwd.DialContext(ctx, "tcp", p.host)
	if err != nil {
		return nil, &Error{Stage: StageProxy, Msg: "cannot connect to the proxy " + p.host, Err: err}
	}
	stop := bound(ctx, c)
	defer stop()
	px.Request = "CONNECT " + dest + " HTTP/1.1"
	req := px.Request + "\r\nHost: " + dest + "\r\nUser-Agent: tlsdoctor\r\n"
	if p.user != nil {
		pw, _ := p.user.Password()
		req += "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(p.user.Username()+":"+pw)) + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		c.Close()
		return nil, &Error{Stage: StageProxy, Msg: "sending CONNECT to the proxy", Err: err}
	}
	br := bufio.NewReaderSize(&capReader{r: c, left: maxProxyHead}, 4096)
	status, err := readLine(br)
	if err != nil {
		c.Close()
		return nil, &Error{Stage: StageProxy, Msg: "no answer to CONNECT from the proxy", Err: err}
	}
	px.Status = clip(status)
	code, ok := httpStatus(status)
	if !ok {
		c.Close()
		return nil, &Error{Stage: StageProxy, Kind: KindMalformed, Msg: fmt.Sprintf("the proxy's answer is not HTTP: %q", clip(status))}
	}
	px.StatusCode = code
	for {
		h, err := readLine(br)
		if err != nil {
			c.Close()
			return nil, &Error{Stage: StageProxy, Kind: KindMalformed, Msg: "the proxy's response headers did not end", Err: err}
		}
		if h == "" {
			break
		}
		if len(px.Headers) < maxProxyHeaders {
			px.Headers = append(px.Headers, clip(h))
		}
	}
	if code < 200 || code > 299 {
		c.Close()
		return nil, &Error{Stage: StageProxy, Kind: KindRefused, Msg: fmt.Sprintf("the proxy refused CONNECT %s: %s", dest, clip(status))}
	}
	return tunnel(c, br), nil
}

func httpStatus(line string) (int, bool) {
	if !strings.HasPrefix(line, "HTTP/") {
		return 0, false
	}
	_, rest, ok := strings.Cut(line, " ")
	if !ok || len(rest) < 3 {
		return 0, false
	}
	code, err := strconv.Atoi(rest[:3])
	return code, err == nil && code >= 100 && code <= 999
}

// socks5 opens a SOCKS5 connection to dest with golang.org/x/net/proxy.
func (p *proxySpec) socks5(ctx context.Context, fwd *recordingDialer, dest string, px *ProxyExchange) (net.Conn, error) {
	var auth *proxy.Auth
	if p.user != nil {
		pw, _ := p.user.Password()
		auth = &proxy.Auth{User: p.user.Username(), Password: pw}
	}
	d, err := proxy.SOCKS5("tcp", p.host, auth, fwd)
	if err != nil {
		return nil, &Error{Stage: StageProxy, Msg: "SOCKS5 proxy", Err: err}
	}
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		return nil, &Error{Stage: StageProxy, Msg: "SOCKS5 dialer without context support"}
	}
	// The SOCKS exchange is bounded like the CONNECT one: the connection
	// to the proxy gets the context's deadline (exchangeTimeout without
	// one) as soon as it exists, and a cancelled context ends it. x/net
	// only applies a deadline the context has.
	fwd.bounded = true
	c, err := cd.DialContext(ctx, "tcp", dest)
	if fwd.stop != nil {
		fwd.stop()
	}
	if fwd.conn != nil && err != nil {
		fwd.conn.Close()
	}
	switch {
	case err == nil:
		px.Status = "succeeded"
		return tunnel(c, nil), nil
	case fwd.err != nil:
		return nil, &Error{Stage: StageProxy, Msg: "cannot connect to the proxy " + p.host, Err: fwd.err}
	}
	var op *net.OpError
	inner := err
	if errors.As(err, &op) && op.Err != nil {
		inner = op.Err
	}
	var ne net.Error
	if errors.Is(inner, context.DeadlineExceeded) || errors.Is(inner, context.Canceled) || (errors.As(inner, &ne) && ne.Timeout()) ||
		errors.Is(inner, io.EOF) || errors.Is(inner, io.ErrUnexpectedEOF) || isConnReset(inner) {
		return nil, &Error{Stage: StageProxy, Msg: "the SOCKS5 proxy did not answer", Err: inner}
	}
	// x/net reports the proxy's reply as plain text ("unknown error
	// connection not allowed by ruleset", "username/password
	// authentication failed"); it never includes the credentials.
	px.Status = clip(strings.TrimPrefix(inner.Error(), "unknown error "))
	return nil, &Error{Stage: StageProxy, Kind: KindRefused, Msg: fmt.Sprintf("the SOCKS5 proxy refused %s: %s", dest, px.Status)}
}

// HTTPProxy is the proxy function for the run's HTTP fetches (AIA
// caIssuers, OCSP, CRL): an explicit proxy applies to them too; else the
// environment decides (HTTP_PROXY for http:// URLs, HTTPS_PROXY for
// https://, NO_PROXY), as for any Go program; nil means no proxy.
func HTTPProxy(o Options) (func(*http.Request) (*url.URL, error), error) {
	switch {
	case o.Proxy == "none":
		return nil, nil
	case o.Proxy != "":
		p, err := parseProxy(o.Proxy, "--proxy")
		if err != nil {
			return nil, err
		}
		u := p.url()
		return func(*http.Request) (*url.URL, error) { return u, nil }, nil
	case o.Env != nil && (o.Env.HTTPProxy != "" || o.Env.HTTPSProxy != ""):
		f := (&httpproxy.Config{HTTPProxy: o.Env.HTTPProxy, HTTPSProxy: o.Env.HTTPSProxy, NoProxy: o.Env.NoProxy}).ProxyFunc()
		return func(r *http.Request) (*url.URL, error) {
			u, err := f(r.URL)
			if err != nil {
				return nil, errors.New("the proxy environment variable is not a usable proxy URL")
			}
			return u, nil
		}, nil
	}
	return nil, nil
}
