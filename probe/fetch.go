package probe

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Fetch policy. The AIA, OCSP and CRL URLs the probe downloads come from
// the server's certificates, so the server chooses where tlsdoctor
// connects. From the command line that is mostly what the user asked for;
// run as a service (an exporter, batch mode) it would make tlsdoctor a
// request forwarder into the network it runs in. So, by default:
//
//   - link-local addresses (169.254.0.0/16, where clouds serve instance
//     metadata and credentials, and fe80::/10) are never fetched, and
//     neither are unspecified, multicast or broadcast addresses;
//   - loopback and private addresses (127.0.0.0/8, ::1, RFC 1918,
//     100.64.0.0/10, fc00::/7) are fetched only when the target itself is
//     at such an address: a private PKI's CA lives next to its servers,
//     and the demo and tests serve loopback AIA for loopback targets;
//     --allow-private-fetch (FetchPolicy.AllowPrivate) fetches them for
//     any target.
//
// The address checked is the one dialed (a net.Dialer Control function),
// after name resolution, so a name that resolves to a public address when
// checked and to a private one when connecting (DNS rebinding) cannot get
// past it; redirects go through the same dialer. Through an HTTP proxy the
// URL's host is resolved and checked before the request is handed to the
// proxy. A refused fetch is recorded with kind "refused-by-policy" and
// says why.

// FetchPolicy says which addresses certificate-derived URLs may reach.
type FetchPolicy struct {
	// AllowPrivate fetches from loopback and private addresses whatever
	// the target's address (--allow-private-fetch).
	AllowPrivate bool
}

// KindPolicy is the kind of a fetch the FetchPolicy refused.
const KindPolicy ErrorKind = "refused-by-policy"

// PolicyError is a destination the fetch policy refused.
type PolicyError struct {
	Addr   netip.Addr
	Reason string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("not fetched: %s is %s", e.Addr, e.Reason)
}

// maxRedirects bounds the redirects of one fetch.
const maxRedirects = 3

// cgnat is RFC 6598 shared address space, private in all but name.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// isPrivate reports loopback and private addresses.
func isPrivate(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || cgnat.Contains(a)
}

// check says why policy refuses a, or nil. targetPrivate is whether the
// target was reached at a loopback or private address.
func (p FetchPolicy) check(a netip.Addr, targetPrivate bool) error {
	a = a.Unmap()
	switch {
	case a.IsLinkLocalUnicast():
		return &PolicyError{a, "a link-local address (cloud instance metadata lives at 169.254.169.254); tlsdoctor never fetches certificate URLs from link-local addresses"}
	case a.IsUnspecified(), a.IsMulticast(), a.IsLinkLocalMulticast(), a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return &PolicyError{a, "not a unicast address"}
	case isPrivate(a) && !targetPrivate && !p.AllowPrivate:
		return &PolicyError{a, "a loopback or private address and the target is public, so a URL in its certificate may not reach into this network; --allow-private-fetch allows it"}
	}
	return nil
}

// targetIsPrivate reports whether the record's target was reached at a
// loopback or private address (the address the primary attempt used, else
// the first resolved one).
func targetIsPrivate(rec *Record) bool {
	addr := ""
	if a := rec.Primary(); a != nil && a.Address != "" {
		addr = a.Address
	} else if len(rec.DNS.Addresses) > 0 {
		addr = rec.DNS.Addresses[0]
	}
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	ip, err := netip.ParseAddr(addr)
	return err == nil && isPrivate(ip)
}

// fetchClient is the HTTP client of certificate-derived fetches: the
// policy on every dialed address, the proxy environment honoured, bounded
// headers and redirects. close releases its idle connections.
type fetchClient struct {
	*http.Client
	close func()
}

func newFetchClient(p FetchPolicy, targetPrivate bool, proxy func(*http.Request) (*url.URL, error)) fetchClient {
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	d := &policyDialer{policy: p, targetPrivate: targetPrivate, proxies: map[string]bool{}, proxyFor: proxy}
	tr := &http.Transport{
		Proxy:                  d.proxy,
		DialContext:            d.dialContext,
		MaxResponseHeaderBytes: maxFetchHeaders,
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  10 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	c := &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to a %s URL refused: only http and https are fetched", req.URL.Scheme)
			}
			return d.precheck(req)
		},
	}
	return fetchClient{Client: c, close: tr.CloseIdleConnections}
}

// policyDialer applies the fetch policy to every connection, except those
// to the proxy the environment names (whose requests are checked by
// precheck instead).
type policyDialer struct {
	policy        FetchPolicy
	targetPrivate bool
	mu            sync.Mutex
	proxies       map[string]bool // host:port of the proxies in use
	// proxyFor is the proxy of a request (--proxy, else the environment).
	proxyFor func(*http.Request) (*url.URL, error)
}

func (d *policyDialer) proxy(req *http.Request) (*url.URL, error) {
	u, err := d.proxyFor(req)
	if err != nil || u == nil {
		return u, err
	}
	if err := d.precheck(req); err != nil {
		return nil, err
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	d.mu.Lock()
	d.proxies[host] = true
	d.mu.Unlock()
	return u, nil
}

// precheck resolves a proxied request's host and checks its addresses:
// the proxy connects to it, so the dialer cannot.
func (d *policyDialer) precheck(req *http.Request) error {
	if u, _ := d.proxyFor(req); u == nil {
		return nil // a direct connection: the dialer checks it
	}
	host := req.URL.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return d.policy.check(ip, d.targetPrivate)
	}
	ips, err := net.DefaultResolver.LookupNetIP(req.Context(), "ip", host)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if err := d.policy.check(ip, d.targetPrivate); err != nil {
			return err
		}
	}
	return nil
}

func (d *policyDialer) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	toProxy := d.proxies[addr]
	d.mu.Unlock()
	nd := &net.Dialer{Timeout: 10 * time.Second}
	if !toProxy {
		nd.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			return d.policy.check(ap.Addr(), d.targetPrivate)
		}
	}
	return nd.DialContext(ctx, network, addr)
}

// policyRefusal returns the PolicyError behind err, or nil.
func policyRefusal(err error) *PolicyError {
	var pe *PolicyError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// fetchErrorText is err as recorded for a fetch: a policy refusal says
// only why, without net/http's wrapping.
func fetchErrorText(err error) string {
	if pe := policyRefusal(err); pe != nil {
		return pe.Error()
	}
	return strings.TrimSpace(err.Error())
}

// fetchScope names what a probe's certificate-derived fetches may reach
// and through which proxy: the FetchCache key starts with it, so that a
// cached answer reaches only probes whose own policy would have fetched
// it (a public target never gets the answer of a private URL fetched for
// a private one, nor one fetched through another proxy). Hashed: a proxy
// URL can hold credentials.
func fetchScope(opts Options, targetPrivate bool) string {
	o := opts.Connect
	s := fmt.Sprintf("allow-private=%t target-private=%t proxy=%q", opts.FetchPolicy.AllowPrivate, targetPrivate, o.Proxy)
	if o.Env != nil {
		s += fmt.Sprintf(" env=%q,%q,%q", o.Env.HTTPProxy, o.Env.HTTPSProxy, o.Env.NoProxy)
	}
	sum := sha256.Sum256([]byte(s))
	return string(sum[:])
}
