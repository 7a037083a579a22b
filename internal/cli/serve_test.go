package cli

import (
	"net"
	"strings"
	"testing"
)

func TestServeLoopback(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "127.0.0.2": true, "": false, "0.0.0.0": false, "::": false, "192.0.2.1": false} {
		if got := loopback(host); got != want {
			t.Errorf("loopback(%q) = %v", host, got)
		}
	}
}

// TestServeListenInUse: a port already taken is one error line, exit 2.
func TestServeListenInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := invoke(t, nil, "serve", "--listen", ln.Addr().String())
	if r.code != ExitUsage || !strings.Contains(r.stderr, "tlsdoctor: error: --listen "+ln.Addr().String()+": address already in use") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
