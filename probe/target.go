package probe

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// DefaultPort is used when a target names no port.
const DefaultPort = 443

// ParseTarget accepts the forms users paste: "host", "host:port",
// "[::1]:443", "::1", "https://host:8443/path". It fills Host, Port, Scheme,
// Path and Input; SNI and the connect address are set by the caller.
func ParseTarget(input string) (Target, error) {
	t := Target{Input: input, Port: DefaultPort}
	s := strings.TrimSpace(input)
	if s == "" {
		return t, fmt.Errorf("empty target")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return t, fmt.Errorf("target %q is not a valid URL: %v", input, err)
		}
		switch u.Scheme {
		case "https":
			t.Scheme = "https"
		case "http":
			return t, fmt.Errorf("target %q is a plain http:// URL; use https:// (or host:port)", input)
		default:
			// Other schemes (ldaps, smtps, ...) are taken as host:port only.
		}
		t.Path = u.RequestURI()
		s = u.Host
		if s == "" {
			return t, fmt.Errorf("target %q has no host", input)
		}
	}
	host, port, err := splitHostPort(s)
	if err != nil {
		return t, fmt.Errorf("target %q: %v", input, err)
	}
	t.Host = host
	if port != 0 {
		t.Port = port
	}
	t.ConnectHost, t.ConnectPort = t.Host, t.Port
	return t, nil
}

// ParseConnectTo parses --connect-to: "HOST", "HOST:PORT", "[V6]:PORT", or
// curl's "HOST1:PORT1:HOST2:PORT2" (only HOST2:PORT2 is used).
func ParseConnectTo(s string, defaultPort int) (string, int, error) {
	if parts := strings.Split(s, ":"); len(parts) == 4 && !strings.Contains(s, "[") {
		s = parts[2] + ":" + parts[3]
	}
	host, port, err := splitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	if port == 0 {
		port = defaultPort
	}
	return host, port, nil
}

func splitHostPort(s string) (string, int, error) {
	// A bare IPv6 literal has several colons and no brackets.
	if ip := net.ParseIP(s); ip != nil {
		return ip.String(), 0, nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		ip := net.ParseIP(s[1 : len(s)-1])
		if ip == nil {
			return "", 0, fmt.Errorf("%q is not an IPv6 address", s)
		}
		return ip.String(), 0, nil
	}
	if !strings.Contains(s, ":") {
		return validHost(s)
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("cannot split %q into host and port", s)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	host, _, err := validHost(h)
	return host, n, err
}

func validHost(h string) (string, int, error) {
	if h == "" {
		return "", 0, fmt.Errorf("no host")
	}
	if strings.ContainsAny(h, " /\\@?#") || strings.HasPrefix(h, "-") || strings.IndexFunc(h, notInHostName) >= 0 {
		return "", 0, fmt.Errorf("%q is not a host name", h)
	}
	return strings.TrimSuffix(strings.ToLower(h), "."), 0, nil
}

// notInHostName is true of the runes no host name holds: controls
// (C0, DEL, C1) and the bidi and line formatting characters.
func notInHostName(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x061c || r == 0x200e || r == 0x200f ||
		(r >= 0x2028 && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// IsIP reports whether host is an IP literal.
func IsIP(host string) bool { return net.ParseIP(host) != nil }
