package cli

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

func TestConnectHelpListsEveryProtocol(t *testing.T) {
	flat := strings.Join(strings.Fields(connectHelp), " ")
	if !strings.Contains(flat, strings.Join(dial.ProtocolNames(), ", ")+";") {
		t.Errorf("the --starttls usage does not list %s", strings.Join(dial.ProtocolNames(), ", "))
	}
}

func TestConnectFlagErrors(t *testing.T) {
	const secret = "hunter2-proxy"
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-4", "-6", "example.test"}, nil, "-4 and -6 contradict"},
		{[]string{"--starttls", "gopher", "example.test"}, nil, `--starttls "gopher" is not a protocol`},
		{[]string{"--starttls", "smtp", "https://example.test/"}, nil, "does not start with smtp"},
		{[]string{"--proxy", "ftp://proxy.test:21", "example.test"}, nil, "not supported"},
		{[]string{"--proxy", "http://u:" + secret + "@bad host:1", "example.test"}, nil, "--proxy: the proxy is not a valid URL"},
		{[]string{"-6", "127.0.0.1:443"}, nil, "IPv4 address, but IPv6"},
		{[]string{"example.test"}, map[string]string{"HTTPS_PROXY": "http://u:" + secret + "@bad host:1"}, "proxy environment: HTTPS_PROXY"},
	}
	for _, c := range cases {
		r := invoke(t, c.env, c.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, "hint: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q and a hint", c.args, r.code, r.stderr, c.want)
		}
		if strings.Contains(r.stderr+r.stdout, secret) {
			t.Errorf("%v: the output repeats the proxy password", c.args)
		}
	}
}

// A proxy that answers 407: proxy-refused, exit 3, and the password
// appears nowhere.
func TestProxyRefusedExit(t *testing.T) {
	const secret = "hunter2-proxy"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				_, _ = io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n\r\n")
			}()
		}
	}()
	proxy := "http://alice:" + secret + "@127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	for _, via := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--proxy", proxy, "partner.test:443"}, nil},
		{[]string{"partner.test:443"}, map[string]string{"https_proxy": proxy}},
	} {
		r := invoke(t, via.env, append(via.args, "--timeout", "5s", "--format", "json")...)
		if r.code != ExitNoProbe {
			t.Errorf("exit %d, want 3; stderr %q", r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, `"id": "proxy-refused"`) || !strings.Contains(r.stderr, "(proxy-refused)") {
			t.Errorf("no proxy-refused finding: %s\n%s", r.stderr, r.stdout)
		}
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("the output repeats the proxy password")
		}
	}
}
