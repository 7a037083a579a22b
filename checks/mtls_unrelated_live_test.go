package checks_test

// A client certificate from a CA unrelated to the one the server trusts
// (the server trusts Example Root CA, we come from Other Root CA), against
// real servers: openssl s_server (with and without the CA list) and nginx.
// The first cause must follow what the record shows: a chain we sent up to
// our root is not trusted; a leaf sent alone may lack its intermediate or
// come from an untrusted CA, which the record cannot tell apart unless
// the server's CA list and a certificate we know show where it leads.

import (
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// unrelatedCases are the rows for a server that names its CA.
func unrelatedCases(http400 bool) []peerCase {
	alert := "unknown_ca"
	if http400 {
		alert = "HTTP 400"
	}
	return []peerCase{
		{name: "other CA, leaf only", identity: []string{"client-other"}, want: []string{"client-cert-rejected", "client-chain-incomplete"},
			detail: []string{alert, "1. either the server does not trust our CA at all, or we sent no intermediate: tlsdoctor cannot tell which",
				"The server accepts certificates issued by CN=Example Root CA,O=Example"}},
		{name: "other CA, with intermediate", identity: []string{"client-other", "other-intermediate"}, want: []string{"client-cert-rejected", "client-cert-ca-not-accepted"},
			detail: []string{alert, "1. our chain ends at \"CN=Other Root CA,O=Other\", which is not among the CAs the server accepts"}},
		{name: "other CA, with intermediate and root", identity: []string{"client-other", "other-intermediate", "other-root"}, want: []string{"client-cert-rejected", "client-cert-ca-not-accepted"},
			detail: []string{alert, "1. our chain ends at \"CN=Other Root CA,O=Other\", which is not among the CAs the server accepts"}},
		// Our own CA, leaf only: the server's chain holds our
		// intermediate, which leads to the CA it names.
		{name: "same CA, leaf only", identity: []string{"client"}, want: []string{"client-cert-rejected", "client-chain-incomplete"},
			detail: []string{alert, "1. we sent no intermediate", "(the server's own chain holds the intermediate)"}},
	}
}

// noListCases are the rows for a server that trusts Example Root CA but
// names no CA.
func noListCases(first string) []peerCase {
	return []peerCase{
		{name: "other CA, leaf only", identity: []string{"client-other"}, want: []string{"client-cert-rejected", "client-chain-incomplete"},
			detail: []string{first, "1. we sent only part of our chain", "cannot tell whether it trusts the CA above it at all"}},
		{name: "other CA, with intermediate", identity: []string{"client-other", "other-intermediate"}, want: []string{"client-cert-rejected"},
			detail: []string{first, "1. the server does not trust the CA our chain ends at (\"CN=Other Root CA,O=Other\")"}},
		{name: "other CA, with intermediate and root", identity: []string{"client-other", "other-intermediate", "other-root"}, want: []string{"client-cert-rejected"},
			detail: []string{first, "1. the server does not trust the CA our chain ends at (\"CN=Other Root CA,O=Other\")"}},
		{name: "same CA, leaf only", identity: []string{"client"}, want: []string{"client-cert-rejected", "client-chain-incomplete"},
			detail: []string{first, "1. we sent only part of our chain", "cannot tell whether it trusts \"CN=Example Root CA,O=Example\" at all"}},
	}
}

func TestUnrelatedClientCAAgainstOpenSSL(t *testing.T) {
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
	}{{"TLS1.2", "-tls1_2", tls.VersionTLS12}, {"TLS1.3", "-tls1_3", tls.VersionTLS13}} {
		t.Run(v.name+"/CAfile", func(t *testing.T) {
			port := freePort(t)
			startPeer(t, port, filepath.Join(f.dir, "s_server-unrel-"+v.name+".log"), openssl, "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
				"-cert", f.leaf, "-cert_chain", f.chain, "-key", f.key, "-Verify", "1", "-verify_return_error", "-CAfile", f.root, "-www", "-quiet", v.flag)
			runPeerCases(t, l, port, v.max, unrelatedCases(false))
		})
	}
	// -no_ca_names: in TLS 1.2 the request names no CA (in TLS 1.3
	// OpenSSL 3.0 sends a malformed empty list, see mtls_peers_test.go).
	t.Run("TLS1.2/no_ca_names", func(t *testing.T) {
		port := freePort(t)
		startPeer(t, port, filepath.Join(f.dir, "s_server-unrel-noca.log"), openssl, "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
			"-cert", f.leaf, "-cert_chain", f.chain, "-key", f.key, "-Verify", "1", "-verify_return_error", "-CAfile", f.root, "-no_ca_names", "-www", "-quiet", "-tls1_2")
		cases := noListCases("unknown_ca")
		for i := range cases {
			cases[i].want = append(cases[i].want, "client-ca-list-empty")
		}
		runPeerCases(t, l, port, tls.VersionTLS12, cases)
	})
}

func TestUnrelatedClientCAAgainstNginx(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not installed (apt-get install -y nginx)")
	}
	l := liveLab(t)
	f := writePeerFiles(t, l)
	for _, tc := range []struct {
		name, directive string
		cases           []peerCase
	}{
		// nginx 1.22 refuses ssl_verify_client on without
		// ssl_client_certificate ("no ssl_client_certificate for
		// ssl_verify_client"), so it always names its CAs: no row without
		// the list.
		{"ssl_client_certificate", "ssl_client_certificate", unrelatedCases(true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := freePort(t)
			dir := filepath.Join(f.dir, tc.name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
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
    %[6]s %[5]s;
    ssl_verify_depth 3;
    location / { return 200 "ok\n"; }
  }
}
`, dir, port, f.cert, f.key, f.root, tc.directive)
			confPath := filepath.Join(dir, "nginx.conf")
			if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			startPeer(t, port, filepath.Join(dir, "nginx.log"), nginx, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"),
				"-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+";")
			for _, v := range []struct {
				name string
				max  uint16
			}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}} {
				t.Run(v.name, func(t *testing.T) {
					runPeerCases(t, l, port, v.max, tc.cases)
				})
			}
		})
	}
}
