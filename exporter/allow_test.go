package exporter

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := f[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func TestAllowList(t *testing.T) {
	a, err := ParseAllowList("api.example.test", "*.internal.test:443", "10.20.0.0/16", "192.0.2.7:8443", "[2001:db8::/32]:443", "::1")
	if err != nil {
		t.Fatal(err)
	}
	r := fakeResolver{
		"db.corp.test":    {"10.20.1.2", "10.20.3.4"},
		"mixed.corp.test": {"10.20.1.2", "10.99.0.1"},
		"v6.corp.test":    {"2001:db8::5"},
		"mapped.test":     {"::ffff:10.20.0.9"},
	}
	cases := []struct {
		host string
		port int
		ok   bool
	}{
		{"api.example.test", 443, true},
		{"API.Example.Test.", 8443, true}, // names match case-insensitively, any port
		{"other.example.test", 443, false},
		{"a.internal.test", 443, true},
		{"a.b.internal.test", 443, true},
		{"a.internal.test", 8443, false}, // the wildcard allows port 443 only
		{"internal.test", 443, false},    // *.x does not match x itself
		{"evilinternal.test", 443, false},
		{"10.20.5.5", 22, true},
		{"10.21.0.1", 443, false},
		{"192.0.2.7", 8443, true},
		{"192.0.2.7", 443, false},
		{"2001:db8::1", 443, true},
		{"2001:db8::1", 80, false},
		{"::1", 9000, true},
		{"127.0.0.1", 443, false},
		{"db.corp.test", 5432, true},     // every address inside 10.20/16
		{"mixed.corp.test", 5432, false}, // one address outside
		{"v6.corp.test", 443, true},
		{"v6.corp.test", 80, false},
		{"mapped.test", 443, true}, // v4-mapped addresses are unmapped
		{"unresolvable.test", 443, false},
	}
	for _, c := range cases {
		ok, why := a.Allowed(context.Background(), r, c.host, c.port)
		if ok != c.ok {
			t.Errorf("Allowed(%s, %d) = %v (%s), want %v", c.host, c.port, ok, why, c.ok)
		}
		if !ok && why == "" {
			t.Errorf("Allowed(%s, %d) refused without saying why", c.host, c.port)
		}
	}
	var none *AllowList
	if ok, _ := none.Allowed(context.Background(), r, "anything.test", 1); !ok {
		t.Error("no allow-list must allow every target")
	}
}

func TestAllowListParseErrors(t *testing.T) {
	for _, s := range []string{"", "10.0.0.0/33", "[::1", "[::1]:0", "host:http", "bad host", "*.", "a..b", "*.a_b c"} {
		if _, err := ParseAllowList(s); err == nil {
			t.Errorf("ParseAllowList(%q) accepted", s)
		}
	}
}
