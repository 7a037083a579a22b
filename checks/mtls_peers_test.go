package checks_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// Real mutual-TLS peers: openssl s_server and nginx, started on 127.0.0.1
// with the lab's PKI and killed at cleanup.

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

// startPeer runs cmd until the test ends and waits for its port.
func startPeer(t *testing.T, port int, logPath string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, name, args...)
	// SIGTERM, not SIGKILL: nginx's master then stops its workers too
	// (killed outright it leaves them running, holding the port).
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	logf, err := os.Create(logPath)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Stdin = nil
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		_ = logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s output:\n%s", name, b)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not listen on port %d within 5s", name, port)
}

type peerFiles struct{ dir, cert, leaf, key, chain, root string }

func writePeerFiles(t *testing.T, l *fixtures.Lab) peerFiles {
	t.Helper()
	dir := t.TempDir()
	w := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return peerFiles{
		dir:   dir,
		cert:  w("server.pem", l.PKI.ChainPEM("leaf", "intermediate")),
		leaf:  w("leaf.pem", l.PKI.ChainPEM("leaf")),
		key:   w("server.key", l.PKI.Get("leaf").KeyPEM()),
		chain: w("inter.pem", l.PKI.ChainPEM("intermediate")),
		root:  w("root.pem", l.RootPEM()),
	}
}

type peerCase struct {
	name     string
	identity []string
	want     []string
	detail   []string // substrings of the first wanted finding (title, detail, evidence)
}

func runPeerCases(t *testing.T, l *fixtures.Lab, port int, maxV uint16, cases []peerCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, fs := probeMTLS(t, l, port, maxV, c.identity...)
			got := ids(fs)
			if os.Getenv("MTLS_DEBUG") != "" {
				b, _ := json.MarshalIndent(rec.Attempts, "", " ")
				t.Logf("%s", b)
			}
			for _, w := range c.want {
				if find(fs, w) == nil {
					t.Errorf("finding %s missing; got %v", w, got)
				}
			}
			if len(c.want) == 0 && checks.Worst(fs) >= checks.Warning {
				t.Errorf("want no warning or error, got %v", got)
			}
			if find(fs, "handshake-failed") != nil {
				t.Errorf("handshake-failed repeats what the mTLS checks explain: %v", got)
			}
			if len(c.want) > 0 {
				if f := find(fs, c.want[0]); f != nil {
					text := f.Title + "\n" + f.Detail + "\n" + strings.Join(f.Evidence, "\n")
					for _, d := range c.detail {
						if !strings.Contains(text, d) {
							t.Errorf("%s does not say %q:\n%s", f.ID, d, text)
						}
					}
				}
			}
		})
	}
}

func TestMTLSAgainstOpenSSLServer(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	l := liveLab(t)
	f := writePeerFiles(t, l)
	for _, v := range []struct {
		name string
		flag string
		max  uint16
		noCA string // alert when no certificate is sent
	}{{"TLS1.2", "-tls1_2", tls.VersionTLS12, "handshake_failure"}, {"TLS1.3", "-tls1_3", tls.VersionTLS13, "certificate_required"}} {
		t.Run(v.name+"/CAfile", func(t *testing.T) {
			port := freePort(t)
			startPeer(t, port, filepath.Join(f.dir, "s_server-"+v.name+".log"), openssl, "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
				"-cert", f.leaf, "-cert_chain", f.chain, "-key", f.key, "-Verify", "1", "-verify_return_error", "-CAfile", f.root, "-www", "-quiet", v.flag)
			runPeerCases(t, l, port, v.max, []peerCase{
				{name: "no certificate", want: []string{"client-cert-required"}, detail: []string{"CN=Example Root CA,O=Example", v.noCA}},
				{name: "good chain", identity: []string{"client", "intermediate"}},
				{name: "other CA", identity: []string{"client-other", "other-intermediate"}, want: []string{"client-cert-rejected", "client-cert-ca-not-accepted"}, detail: []string{"unknown_ca", "1. our chain ends at"}},
				{name: "expired", identity: []string{"client-expired", "intermediate"}, want: []string{"client-cert-rejected", "client-cert-expired"}, detail: []string{"certificate_expired", "1. our leaf certificate"}},
				{name: "leaf only", identity: []string{"client"}, want: []string{"client-cert-rejected", "client-chain-incomplete"}, detail: []string{"unknown_ca", "1. we sent no intermediate"}},
			})
		})
		t.Run(v.name+"/no_ca_names", func(t *testing.T) {
			port := freePort(t)
			startPeer(t, port, filepath.Join(f.dir, "s_server-noca-"+v.name+".log"), openssl, "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
				"-cert", f.leaf, "-cert_chain", f.chain, "-key", f.key, "-Verify", "1", "-verify_return_error", "-CAfile", f.root, "-no_ca_names", "-www", "-quiet", v.flag)
			if v.max == tls.VersionTLS12 {
				runPeerCases(t, l, port, v.max, []peerCase{
					{name: "no certificate", want: []string{"client-cert-required", "client-ca-list-empty"}, detail: []string{"names no CA"}},
					{name: "good chain", identity: []string{"client", "intermediate"}, want: []string{"client-ca-list-empty"}},
				})
				return
			}
			// OpenSSL 3.0 with -no_ca_names sends an empty
			// certificate_authorities extension in TLS 1.3, which Go (and
			// Java) cannot decode: the malformed case.
			runPeerCases(t, l, port, v.max, []peerCase{
				{name: "no certificate", want: []string{"client-ca-list-empty"}, detail: []string{"empty certificate_authorities extension", "decode_error", "only TLS 1.3"}},
				{name: "good chain", identity: []string{"client", "intermediate"}, want: []string{"client-ca-list-empty"}, detail: []string{"empty certificate_authorities extension"}},
			})
		})
	}
}

// TestMalformedCAListConfirmedByTLS12: a server that also speaks TLS 1.2
// lets the legacy retry confirm that it requests client certificates.
func TestMalformedCAListConfirmedByTLS12(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	l := liveLab(t)
	f := writePeerFiles(t, l)
	port := freePort(t)
	startPeer(t, port, filepath.Join(f.dir, "s_server.log"), openssl, "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
		"-cert", f.leaf, "-cert_chain", f.chain, "-key", f.key, "-Verify", "1", "-verify_return_error", "-CAfile", f.root, "-no_ca_names", "-www", "-quiet")
	runPeerCases(t, l, port, 0, []peerCase{
		{name: "no certificate", want: []string{"client-ca-list-empty"}, detail: []string{"empty certificate_authorities extension", "A TLS 1.2 retry confirms that the server requests client certificates (naming no CA)"}},
	})
}

func TestMTLSAgainstNginx(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not installed (apt-get install -y nginx)")
	}
	l := liveLab(t)
	f := writePeerFiles(t, l)
	port := freePort(t)
	conf := fmt.Sprintf(`worker_processes 1;
error_log %[1]s/error.log info;
events { worker_connections 32; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  server {
    listen 127.0.0.1:%[2]d ssl;
    server_name localhost;
    ssl_certificate %[3]s;
    ssl_certificate_key %[4]s;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_verify_client on;
    ssl_client_certificate %[5]s;
    ssl_verify_depth 3;
    location / { return 200 "ok\n"; }
  }
}
`, f.dir, port, f.cert, f.key, f.root)
	confPath := filepath.Join(f.dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startPeer(t, port, filepath.Join(f.dir, "nginx.log"), nginx, "-p", f.dir, "-c", confPath, "-e", filepath.Join(f.dir, "error.log"),
		"-g", "daemon off; pid "+filepath.Join(f.dir, "nginx.pid")+";")
	for _, v := range []struct {
		name string
		max  uint16
	}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}} {
		t.Run(v.name, func(t *testing.T) {
			runPeerCases(t, l, port, v.max, []peerCase{
				{name: "no certificate", want: []string{"client-cert-required"}, detail: []string{"CN=Example Root CA,O=Example", "400"}},
				{name: "good chain", identity: []string{"client", "intermediate"}},
				{name: "other CA", identity: []string{"client-other", "other-intermediate"}, want: []string{"client-cert-rejected", "client-cert-ca-not-accepted"}, detail: []string{"HTTP 400", "1. our chain ends at"}},
				{name: "expired", identity: []string{"client-expired", "intermediate"}, want: []string{"client-cert-rejected", "client-cert-expired"}, detail: []string{"1. our leaf certificate"}},
			})
		})
	}
}
