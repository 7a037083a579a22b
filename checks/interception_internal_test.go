package checks

import "testing"

func TestURLArgAnyProxySchemes(t *testing.T) {
	for s, want := range map[string]bool{
		"http://127.0.0.1:3128":     true,
		"socks5://127.0.0.1:1080":   true,
		"socks5h://proxy.corp:1080": true,
		"socks5://a b:1":            false,
		"socks5://x';touch y:1":     false,
		"ftp://proxy:21":            false,
	} {
		if got := urlArgAny(s).ok; got != want {
			t.Errorf("urlArgAny(%q).ok = %v, want %v", s, got, want)
		}
	}
}
