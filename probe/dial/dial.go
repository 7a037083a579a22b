// Package dial makes the connection a TLS handshake runs on. It turns a
// target and connection Options (address family, proxy, STARTTLS
// protocol) into a net.Conn whose next byte written is the ClientHello:
// it resolves the target (or leaves that to the proxy), connects directly
// or through an HTTP CONNECT or SOCKS5 proxy, and speaks just enough of a
// plain-text protocol to upgrade it (SMTP, IMAP, LDAP, PostgreSQL, ...),
// and it records what it did in a Log.
//
// It owns no TLS: it never sends a ClientHello, never verifies, never
// judges and never prints. Every read from a peer is capped in size and
// bounded by the caller's context. Proxy credentials are used on the wire
// only: they never appear in a Log, an error or any String.
package dial

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Family restricts the address family of the target's addresses.
type Family string

const (
	// FamilyAny uses every address the name resolves to.
	FamilyAny Family = ""
	// IPv4 and IPv6 use only addresses of that family (-4, -6).
	IPv4 Family = "ipv4"
	IPv6 Family = "ipv6"
)

// Options say how to reach a server: the connection half of a run,
// filled by the command line (or a targets file) and shared by every
// connection of the run, the scan's included. The zero value connects
// directly, with any address family, without STARTTLS.
type Options struct {
	// Family restricts the target's addresses to IPv4 or IPv6.
	Family Family
	// AllIPs asks for every resolved address rather than the first that
	// answers; the probe makes one attempt per address.
	AllIPs bool
	// Proxy is an explicit proxy: http://[user:pass@]host:port (HTTP
	// CONNECT, with Basic authentication when credentials are given) or
	// socks5://[user:pass@]host:port (socks5h is the same: the proxy
	// always resolves names). "none" disables the environment's proxy.
	Proxy string
	// Env is the proxy environment (HTTPS_PROXY, NO_PROXY, ...), used when
	// Proxy is empty; nil means the environment is ignored. It applies to
	// direct-TLS targets (it is what curl uses for https://host:port), not
	// to STARTTLS ones, which need Proxy.
	Env *ProxyEnv
	// StartTLS is the protocol to upgrade (see Protocols), "auto" to pick
	// one by well-known port, or empty for TLS from the first byte.
	StartTLS string
	// Resolver resolves the target's name; nil means net.DefaultResolver.
	Resolver *net.Resolver
}

// Target is the server to reach.
type Target struct {
	// Host and Port are where the connection goes (the target's own
	// address, or --connect-to's).
	Host string
	Port int
	// Name is the server's name as the client knows it (the SNI or the
	// target host), used where a protocol names the server (XMPP's to=).
	Name string
}

// Dialer connects to one target with one set of Options. It is safe for
// concurrent use; it holds no connection.
type Dialer struct {
	target   Target
	family   Family
	allIPs   bool
	proxy    *proxySpec
	protocol *Protocol
	byPort   bool
	resolver *net.Resolver
}

// New checks the options for a target and returns its Dialer. Errors
// name what is wrong without repeating a proxy URL (it may hold a
// password).
func New(o Options, t Target) (*Dialer, error) {
	d := &Dialer{target: t, family: o.Family, allIPs: o.AllIPs, resolver: o.Resolver}
	switch o.Family {
	case FamilyAny, IPv4, IPv6:
	default:
		return nil, fmt.Errorf("unknown address family %q", string(o.Family))
	}
	if ip := net.ParseIP(t.Host); ip != nil {
		if o.Family == IPv4 && ip.To4() == nil {
			return nil, fmt.Errorf("%s is an IPv6 address, but IPv4 was asked for", t.Host)
		}
		if o.Family == IPv6 && ip.To4() != nil {
			return nil, fmt.Errorf("%s is an IPv4 address, but IPv6 was asked for", t.Host)
		}
	}
	switch o.StartTLS {
	case "":
	case "auto":
		if p := ProtocolForPort(t.Port); p != nil {
			d.protocol, d.byPort = p, true
		}
	default:
		p := LookupProtocol(o.StartTLS)
		if p == nil {
			return nil, fmt.Errorf("unknown STARTTLS protocol %q (known: %s)", o.StartTLS, strings.Join(ProtocolNames(), ", "))
		}
		d.protocol = p
	}
	var err error
	switch {
	case o.Proxy == "none":
	case o.Proxy != "":
		if d.proxy, err = parseProxy(o.Proxy, "--proxy"); err != nil {
			return nil, err
		}
	case o.Env != nil && (d.protocol == nil || d.protocol.Name == "postgres-direct"):
		if d.proxy, err = o.Env.forTarget(t.Host, t.Port); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Protocol returns the STARTTLS protocol the dialer speaks, nil for none.
func (d *Dialer) Protocol() *Protocol { return d.protocol }

// Proxied says whether connections go through a proxy.
func (d *Dialer) Proxied() bool { return d.proxy != nil }

// Info describes the connection settings in force, for the record.
func (d *Dialer) Info() *Info {
	in := &Info{Family: d.family, AllIPs: d.allIPs}
	if d.protocol != nil {
		in.StartTLS, in.StartTLSByPort = d.protocol.Name, d.byPort
	}
	if d.proxy != nil {
		in.Proxy = d.proxy.info()
	}
	if in.Family == FamilyAny && !in.AllIPs && in.StartTLS == "" && in.Proxy == nil {
		return nil
	}
	return in
}

// Resolution is where the connections of a run go.
type Resolution struct {
	// Dests are the addresses to connect to, in the resolver's order:
	// IP:port, or the target's own host:port when the proxy resolves it.
	Dests []string
	// Addresses are the IP addresses found (empty when ByProxy).
	Addresses []string
	// ByProxy is true when the name is left for the proxy to resolve.
	ByProxy bool
	// Duration is how long the lookup took.
	Duration time.Duration
	// Err is the lookup's error (a *net.DNSError), nil on success.
	Err error
}

// Resolve finds the target's addresses. Through a proxy the proxy
// resolves the name, unless an address family or every address was asked
// for: then the name is resolved here and the proxy is asked for each
// address.
func (d *Dialer) Resolve(ctx context.Context) Resolution {
	port := strconv.Itoa(d.target.Port)
	host := d.target.Host
	if net.ParseIP(host) != nil {
		return Resolution{Dests: []string{net.JoinHostPort(host, port)}, Addresses: []string{host}}
	}
	if d.proxy != nil && d.family == FamilyAny && !d.allIPs {
		return Resolution{Dests: []string{net.JoinHostPort(host, port)}, ByProxy: true}
	}
	r := d.resolver
	if r == nil {
		r = net.DefaultResolver
	}
	network := map[Family]string{FamilyAny: "ip", IPv4: "ip4", IPv6: "ip6"}[d.family]
	t0 := time.Now()
	ips, err := r.LookupIP(ctx, network, host)
	res := Resolution{Duration: time.Since(t0)}
	if err == nil && len(ips) == 0 {
		what := map[Family]string{FamilyAny: "no addresses", IPv4: "no IPv4 address", IPv6: "no IPv6 address"}[d.family]
		err = &net.DNSError{Err: what, Name: host, IsNotFound: true}
	}
	if err != nil {
		var de *net.DNSError
		if d.family != FamilyAny && errors.As(err, &de) && de.IsNotFound {
			de.Err = map[Family]string{IPv4: "no IPv4 address", IPv6: "no IPv6 address"}[d.family]
		}
		res.Err = err
		return res
	}
	for _, ip := range ips {
		res.Addresses = append(res.Addresses, ip.String())
		res.Dests = append(res.Dests, net.JoinHostPort(ip.String(), port))
	}
	return res
}

// Dial connects to dest (one of Resolve's Dests) and returns a connection
// ready for the ClientHello, with the Log of what was said on the way
// (never nil, partial on failure). Errors are *Error. The exchange before
// TLS is bounded by ctx (ten seconds when ctx has no deadline); the
// connection is left with ctx's deadline, if any.
func (d *Dialer) Dial(ctx context.Context, dest string) (net.Conn, *Log, error) {
	log := &Log{}
	var c net.Conn
	var err error
	t0 := time.Now()
	if d.proxy != nil {
		c, err = d.proxy.dial(ctx, d.network(), dest, log)
	} else {
		var nd net.Dialer
		c, err = nd.DialContext(ctx, d.network(), dest)
		if err != nil {
			err = &Error{Stage: StageConnect, Err: err}
		}
	}
	log.ConnectMS = ms(time.Since(t0))
	if err != nil {
		return nil, log, err
	}
	if d.protocol != nil && d.protocol.speak != nil {
		if err := d.upgrade(ctx, c, log); err != nil {
			c.Close()
			return nil, log, err
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	} else {
		_ = c.SetDeadline(time.Time{})
	}
	return c, log, nil
}

// Dialer.network is the network of direct connections (and of the
// proxy's address for the target when resolved here).
func (d *Dialer) network() string {
	switch d.family {
	case IPv4:
		return "tcp4"
	case IPv6:
		return "tcp6"
	}
	return "tcp"
}

// exchangeTimeout bounds an exchange before TLS (proxy, STARTTLS) when
// the caller's context has no deadline. Tests shorten it.
var exchangeTimeout = 10 * time.Second

// bound sets c's deadline for an exchange from ctx (exchangeTimeout
// without one) and makes a cancelled ctx end any read at once. The
// returned stop must be called when the exchange is over.
func bound(ctx context.Context, c net.Conn) (stop func()) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(exchangeTimeout)
	}
	_ = c.SetDeadline(dl)
	unwatch := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	return func() { unwatch() }
}

// Stage says where on the way to the ClientHello a connection failed.
type Stage string

const (
	// StageConnect is the TCP connection to the target (direct).
	StageConnect Stage = "connect"
	// StageProxy is the connection to the proxy or its answer.
	StageProxy Stage = "proxy"
	// StageStartTLS is the plain-text exchange before the upgrade.
	StageStartTLS Stage = "starttls"
)

// Kind says what went wrong in a proxy or STARTTLS exchange; empty for a
// network failure (see Error.Err).
type Kind string

const (
	// KindRefused: the proxy answered, and not with a tunnel (407, 403,
	// 502, a SOCKS failure reply, an authentication failure).
	KindRefused Kind = "refused"
	// KindUnsupported: the server does not offer STARTTLS (it is not in
	// its capabilities, or the command is unknown to it).
	KindUnsupported Kind = "unsupported"
	// KindRejected: the server offers STARTTLS (or may) but answered the
	// upgrade, or an earlier step, with a refusal.
	KindRejected Kind = "rejected"
	// KindMalformed: the peer's answer is not the protocol expected.
	KindMalformed Kind = "malformed"
)

// Error is a failure on the way to the ClientHello.
type Error struct {
	Stage Stage
	Kind  Kind
	// Step names the STARTTLS step that failed: "greeting",
	// "capabilities" or "upgrade".
	Step string
	// Msg says what happened, with the peer's answer when there was one.
	Msg string
	// Err is the network error, when there is one.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	switch e.Stage {
	case StageProxy:
		b.WriteString("proxy: ")
	case StageStartTLS:
		b.WriteString("starttls")
		if e.Step != "" {
			b.WriteString(" (" + e.Step + ")")
		}
		b.WriteString(": ")
	}
	switch {
	case e.Msg != "" && e.Err != nil:
		b.WriteString(e.Msg + ": " + e.Err.Error())
	case e.Msg != "":
		b.WriteString(e.Msg)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Info is the connection settings of a run, as recorded.
type Info struct {
	// Family is "ipv4" or "ipv6" when -4 or -6 restricted it.
	Family Family `json:"family,omitempty"`
	// AllIPs is true when every resolved address was probed.
	AllIPs bool `json:"all_ips,omitempty"`
	// StartTLS is the protocol upgraded; StartTLSByPort says it was
	// chosen by --starttls auto from the port.
	StartTLS       string `json:"starttls,omitempty"`
	StartTLSByPort bool   `json:"starttls_by_port,omitempty"`
	// Proxy is the proxy used, without credentials.
	Proxy *ProxyInfo `json:"proxy,omitempty"`
}

// ProxyInfo names a proxy without its credentials.
type ProxyInfo struct {
	// Scheme is "http" (HTTP CONNECT) or "socks5".
	Scheme string `json:"scheme"`
	// Address is the proxy's host:port.
	Address string `json:"address"`
	// Source says where it was configured: "--proxy", or the environment
	// variable it came from ("HTTPS_PROXY", "https_proxy").
	Source string `json:"source"`
	// Auth is true when credentials were configured (they are never
	// recorded).
	Auth bool `json:"auth,omitempty"`
}

// Log is what one connection said before its ClientHello, as recorded.
type Log struct {
	// ConnectMS is the time to a connection ready for the first exchange:
	// the TCP connect, and the proxy's answer when there is one.
	ConnectMS float64           `json:"connect_ms"`
	Proxy     *ProxyExchange    `json:"proxy,omitempty"`
	StartTLS  *StartTLSExchange `json:"starttls,omitempty"`
}

// ProxyExchange is a proxy's part of a connection. It never holds
// credentials: a Proxy-Authorization header is recorded as sent, not its
// value.
type ProxyExchange struct {
	ProxyInfo
	// ProxyAddr is the proxy's IP:port the connection went to.
	ProxyAddr string `json:"proxy_addr,omitempty"`
	// Target is the host:port the proxy was asked to connect to.
	Target string `json:"target"`
	// Request is the CONNECT request line (HTTP proxies).
	Request string `json:"request,omitempty"`
	// Status is the proxy's answer: the HTTP status line, or the SOCKS
	// reply; StatusCode is the HTTP status code.
	Status     string `json:"status,omitempty"`
	StatusCode int    `json:"status_code,omitempty"`
	// Headers are the response's headers, as received (bounded), for
	// example Proxy-Authenticate, Via or Server.
	Headers []string `json:"headers,omitempty"`
}

// StartTLSExchange is the plain-text conversation before the upgrade.
type StartTLSExchange struct {
	Protocol string `json:"protocol"`
	// Transcript is what each side said, in order; binary protocols
	// (PostgreSQL, MySQL, LDAP) are described in words. Bounded: see
	// maxLines and maxLineBytes; Truncated says something was left out.
	Transcript []Line `json:"transcript"`
	Truncated  bool   `json:"truncated,omitempty"`
	// Upgraded is true when the server agreed to start TLS.
	Upgraded bool `json:"upgraded"`
	// Leftover is the number of plain-text bytes the server sent after
	// agreeing, before our ClientHello (discarded, as clients must).
	Leftover   int     `json:"leftover_bytes,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// Line is one message of a transcript.
type Line struct {
	// From is "server" or "client".
	From string `json:"from"`
	Text string `json:"text"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// redactedURL is a proxy URL without user information.
func redactedURL(u *url.URL) string { return u.Scheme + "://" + u.Host }
