package exporter

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// AllowList is allowed_targets: the hosts and networks /probe may
// connect to, so that an exporter reachable by others is not an open
// scanner of the networks it sits in. An entry is
//
//	a host name            api.example.com, matched exactly (case-insensitive)
//	a wildcard             *.example.com, any name below example.com
//	an address or network  192.0.2.10, 10.20.0.0/16, 2001:db8::/32
//
// each optionally followed by :PORT (IPv6 in brackets: [2001:db8::1]:443,
// [2001:db8::/32]:443) to allow that port only. A target given as a name
// is allowed by a name entry, or by network entries when every address
// the name resolves to is inside one of them.
type AllowList struct {
	entries []allowEntry
}

type allowEntry struct {
	text string
	// name is an exact host name, suffix a wildcard's ".example.com".
	name, suffix string
	prefix       netip.Prefix
	port         int // 0: any
}

// Resolver looks up a name for the allow-list; net.DefaultResolver fits.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

func (l *loader) allowList(n *yaml.Node) (*AllowList, error) {
	const key = "allowed_targets"
	if n.Kind != yaml.SequenceNode {
		return nil, l.fail(n, key, "must be a list", "allowed_targets: [\"*.example.com\", 10.0.0.0/8]")
	}
	a := &AllowList{}
	for _, e := range n.Content {
		s, err := l.str(e, key)
		if err != nil {
			return nil, err
		}
		ent, err := parseAllowEntry(s)
		if err != nil {
			return nil, l.fail(e, key, err.Error(), "entries are host names, *.domain wildcards, addresses or CIDR networks, optionally with :PORT")
		}
		a.entries = append(a.entries, ent)
	}
	return a, nil
}

// ParseAllowList builds an allow-list from entries (for tests and flags).
func ParseAllowList(entries ...string) (*AllowList, error) {
	a := &AllowList{}
	for _, s := range entries {
		e, err := parseAllowEntry(s)
		if err != nil {
			return nil, err
		}
		a.entries = append(a.entries, e)
	}
	return a, nil
}

func parseAllowEntry(s string) (allowEntry, error) {
	e := allowEntry{text: s}
	host := strings.TrimSpace(s)
	if host == "" {
		return e, fmt.Errorf("empty entry")
	}
	// Split an optional :PORT: "[v6 or v6/len]:port", "name:port",
	// "v4:port", "v4/len:port". A bare IPv6 address has several colons.
	switch {
	case strings.HasPrefix(host, "["):
		end := strings.Index(host, "]")
		if end < 0 {
			return e, fmt.Errorf("%q has no closing ]", s)
		}
		rest := host[end+1:]
		host = host[1:end]
		if rest != "" {
			p, err := parsePort(strings.TrimPrefix(rest, ":"), rest)
			if err != nil {
				return e, fmt.Errorf("%q: %v", s, err)
			}
			e.port = p
		}
	case strings.Count(host, ":") == 1:
		h, p, _ := strings.Cut(host, ":")
		port, err := parsePort(p, ":"+p)
		if err != nil {
			return e, fmt.Errorf("%q: %v", s, err)
		}
		host, e.port = h, port
	}
	if strings.Contains(host, "/") {
		p, err := netip.ParsePrefix(host)
		if err != nil {
			return e, fmt.Errorf("%q is not a CIDR network", s)
		}
		e.prefix = p.Masked()
		return e, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		e.prefix = netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen())
		return e, nil
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if strings.HasPrefix(host, "*.") {
		if !validName(host[2:]) {
			return e, fmt.Errorf("%q is not a host name wildcard", s)
		}
		e.suffix = host[1:]
		return e, nil
	}
	if !validName(host) {
		return e, fmt.Errorf("%q is not a host name, address or network", s)
	}
	e.name = host
	return e, nil
}

func parsePort(p, orig string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port", orig)
	}
	return n, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// Allowed reports whether host:port may be probed, and why not when it
// may not. A name matched by no name entry is resolved with r and allowed
// when every address is inside a network entry for that port. The probe
// resolves the name again when it connects: a name whose addresses
// change in between (DNS rebinding) is not caught, so allow names, not
// networks, for targets whose DNS others control.
func (a *AllowList) Allowed(ctx context.Context, r Resolver, host string, port int) (bool, string) {
	if a == nil {
		return true, ""
	}
	portOK := func(e allowEntry) bool { return e.port == 0 || e.port == port }
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		for _, e := range a.entries {
			if e.prefix.IsValid() && portOK(e) && e.prefix.Contains(ip) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%s is not in allowed_targets", net.JoinHostPort(host, strconv.Itoa(port)))
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	nets := false
	for _, e := range a.entries {
		switch {
		case !portOK(e):
		case e.name != "" && e.name == name:
			return true, ""
		case e.suffix != "" && strings.HasSuffix(name, e.suffix):
			return true, ""
		case e.prefix.IsValid():
			nets = true
		}
	}
	target := net.JoinHostPort(host, strconv.Itoa(port))
	if !nets {
		return false, target + " is not in allowed_targets"
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return false, fmt.Sprintf("%s is not in allowed_targets by name, and its addresses could not be resolved to check them against its networks", target)
	}
	for _, ip := range addrs {
		ip = ip.Unmap()
		in := false
		for _, e := range a.entries {
			if e.prefix.IsValid() && portOK(e) && e.prefix.Contains(ip) {
				in = true
				break
			}
		}
		if !in {
			return false, fmt.Sprintf("%s resolves to %s, which is not in allowed_targets", target, ip)
		}
	}
	return true, ""
}

// Len is the number of entries.
func (a *AllowList) Len() int {
	if a == nil {
		return 0
	}
	return len(a.entries)
}
