package checks_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// A server that refuses crypto/tls's TLS 1.3 hello before any certificate
// is told apart, by the wide TLS 1.3 hellos, from one that refuses every
// hello: openssl s_server with only X448, only TLS_AES_128_CCM_SHA256, or
// an Ed448 key wants a parameter Go lacks (it was "check its keystore"
// before for the first two, and a bare alert for the third); a Go server
// with no usable certificate, which asks for a group before it looks for
// a key, is still the keystore case.
func TestWide13TellsParameterFromKeystore(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	gen := func(name, alg string) (certPEM, keyPEM []byte) {
		c, k := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		if out, err := exec.CommandContext(ctx, "openssl", "req", "-x509", "-newkey", alg, "-nodes", "-keyout", k, "-out", c,
			"-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "2").CombinedOutput(); err != nil {
			t.Fatalf("openssl req %s: %v: %s", alg, err, out)
		}
		cb, _ := os.ReadFile(c)
		kb, _ := os.ReadFile(k)
		return cb, kb
	}
	ecCrt, ecKey := gen("ec", "ec:"+ecParams(t, dir))
	edCrt, edKey := gen("ed448", "ed448")
	var last *probe.Record
	probeAt := func(port int) []checks.Finding {
		pctx, pcancel := context.WithTimeout(ctx, 20*time.Second)
		defer pcancel()
		rec, err := probe.Run(pctx, probe.Options{Target: probe.Target{Input: "localhost", Host: "localhost", Port: port, SNI: "localhost", ConnectHost: "127.0.0.1", ConnectPort: port},
			NoAIA: true, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}})
		if err != nil {
			t.Fatal(err)
		}
		last = rec
		return checks.Run(rec, checks.Env{Now: time.Now()})
	}
	for _, c := range []struct {
		name      string
		crt, key  []byte
		args      []string
		want      string
		java, cur string // the java and curl lines' start
	}{
		{"x448-only", ecCrt, ecKey, []string{"-groups", "X448", "-tls1_3"}, "the server takes TLS 1.3 only with key exchange group X448", "likely connects", "likely connects"},
		{"ccm-only", ecCrt, ecKey, []string{"-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"}, "the server takes TLS 1.3 only with cipher suite TLS_AES_128_CCM_SHA256", "likely fails", "likely fails"},
		{"ed448-key", edCrt, edKey, []string{"-tls1_3"}, "the server's certificate needs a signature scheme our client does not offer", "cannot tell", "cannot tell"},
		// TLS 1.2: the all-suites hello offers X448 too (it was "check its
		// keystore"; curl connects).
		{"tls12-x448-only", ecCrt, ecKey, []string{"-groups", "X448", "-tls1_2"}, "the server takes TLS 1.2 only with key exchange group X448", "likely connects", "likely connects"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv, err := fixtures.SServerChain(ctx, t.TempDir(), c.crt, c.key, nil, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			f := find(probeAt(srv.Port), "handshake-failed")
			if f == nil || !strings.HasPrefix(f.Title, c.want) {
				t.Fatalf("handshake-failed = %+v, want a title starting %q", f, c.want)
			}
			for _, v := range f.Clients {
				want := map[string]string{"java": c.java, "curl": c.cur, "go": "remote error: tls: handshake failure"}[v.Client]
				if want != "" && !strings.HasPrefix(v.Message, want) {
					t.Errorf("%s: %q, want it to start %q", v.Client, v.Message, want)
				}
			}
			// --client java17: that client's line only, judged the same.
			p, _ := checks.LookupClient("java17")
			named := find(checks.Run(last, checks.Env{Now: time.Now(), Client: &p}), "handshake-failed")
			if named == nil || len(named.Clients) != 1 || named.Clients[0].Client != "java17" || !strings.HasPrefix(named.Clients[0].Message, c.java) {
				t.Errorf("--client java17: lines %+v, want one java17 line starting %q", named, c.java)
			}
		})
	}
	t.Run("go-server-without-key", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go serveTLS(ln, &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, errors.New("no key entry") }})
		f := find(probeAt(ln.Addr().(*net.TCPAddr).Port), "handshake-failed")
		if f == nil || !strings.Contains(f.Title, "check its keystore") {
			t.Fatalf("handshake-failed = %+v, want the keystore case", f)
		}
		if !strings.Contains(strings.Join(f.Evidence, "\n"), "before choosing a certificate") {
			t.Errorf("the evidence does not say why the wide hellos' answer tells nothing:\n%s", strings.Join(f.Evidence, "\n"))
		}
	})
}

func ecParams(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "p256.pem")
	if out, err := exec.Command("openssl", "ecparam", "-name", "prime256v1", "-out", p).CombinedOutput(); err != nil {
		t.Fatalf("openssl ecparam: %v: %s", err, out)
	}
	return p
}

// serveTLS answers handshakes on ln with cfg until ln closes.
func serveTLS(ln net.Listener, cfg *tls.Config) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_ = tls.Server(c, cfg).Handshake()
		}()
	}
}
