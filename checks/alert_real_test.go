package checks_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
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

// TestAlertRealClients starts openssl s_server refusing in ways that
// depend on the client's offer (only the X448 group at TLS 1.3, an Ed448
// key, only TLS_AES_128_CCM_SHA256), probes each as tlsdoctor does, and
// runs the real clients (Java 17 compiled with javac, curl, openssl
// s_client, Python ssl, crypto/tls): every handshake-failed line that says
// a client fails must match what that client printed, and a client said
// to fail must fail. Lines that cannot tell are logged with what the
// client did. It runs with TLSDOCTOR_REAL=1 (make test-real).
func TestAlertRealClients(t *testing.T) {
	if os.Getenv("TLSDOCTOR_REAL") == "" {
		t.Skip("real clients: run with TLSDOCTOR_REAL=1 (make test-real)")
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	// Self-signed server certificates, generated now: RSA and Ed448
	// (crypto/x509 cannot make an Ed448 key).
	gen := func(alg string) (certPEM, keyPEM []byte) {
		name := strings.NewReplacer(":", "-", "/", "-").Replace(alg)
		c, k := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		args := []string{"req", "-x509", "-newkey", alg, "-nodes", "-keyout", k, "-out", c, "-subj", "/CN=localhost",
			"-addext", "subjectAltName=DNS:localhost", "-days", "2"}
		if out, err := exec.CommandContext(ctx, "openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl req %s: %v: %s", alg, err, out)
		}
		cb, _ := os.ReadFile(c)
		kb, _ := os.ReadFile(k)
		return cb, kb
	}
	rsaCrt, rsaKey := gen("rsa:2048")
	edCrt, edKey := gen("ed448")
	// An ECDSA key: a TLS 1.2 server with it has no static-RSA suite to
	// fall back on, so X448-only refuses every ECDHE hello without X448.
	ecCrt, ecKey := gen("ec:" + ecParams(t, dir))
	var java *fixtures.JavaClient
	if jc, err := fixtures.NewJavaClient(ctx, t.TempDir()); err == nil {
		java = jc
	} else {
		t.Logf("no Java client: %v", err)
	}
	var table strings.Builder
	for _, c := range []struct {
		name      string
		crt, key  []byte
		args      []string
		wantFinal string // the handshake-failed title's start
	}{
		{"x448-only", rsaCrt, rsaKey, []string{"-groups", "X448", "-tls1_3"}, "the server takes TLS 1.3 only with key exchange group X448"},
		{"ed448-key", edCrt, edKey, nil, "the server aborted the handshake with alert handshake_failure"},
		{"ccm-only", rsaCrt, rsaKey, []string{"-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"}, "the server takes TLS 1.3 only with cipher suite TLS_AES_128_CCM_SHA256"},
		{"tls12-x448-only", ecCrt, ecKey, []string{"-groups", "X448", "-tls1_2"}, "the server takes TLS 1.2 only with key exchange group X448"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sdir := t.TempDir()
			srv, err := fixtures.SServerChain(ctx, sdir, c.crt, c.key, nil, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			caFile := filepath.Join(sdir, "ca.pem")
			if err := os.WriteFile(caFile, c.crt, 0o600); err != nil {
				t.Fatal(err)
			}
			port := srv.Port
			pctx, pcancel := context.WithTimeout(ctx, 20*time.Second)
			defer pcancel()
			rec, err := probe.Run(pctx, probe.Options{Target: probe.Target{Input: "localhost", Host: "localhost", Port: port, SNI: "localhost", ConnectHost: "127.0.0.1", ConnectPort: port},
				NoAIA: true, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}})
			if err != nil {
				t.Fatal(err)
			}
			var roots []*x509.Certificate
			if b, _ := pem.Decode(c.crt); b != nil {
				if rc, err := x509.ParseCertificate(b.Bytes); err == nil { // not for Ed448: Go cannot parse it
					roots = append(roots, rc)
				}
			}
			fs := checks.Run(rec, checks.Env{Now: time.Now(), Truststores: []checks.Truststore{checks.NewTruststore("test", roots)}})
			f := find(fs, "handshake-failed")
			if f == nil {
				t.Fatalf("no handshake-failed; got %s", findingIDs(fs))
			}
			if !strings.HasPrefix(f.Title, c.wantFinal) {
				t.Errorf("title %q, want it to start %q", f.Title, c.wantFinal)
			}
			target := fixtures.ClientTarget{Addr: srv.Addr(), Name: "localhost"}
			res := map[string]fixtures.ClientResult{}
			for _, run := range []func(context.Context, string, fixtures.ClientTarget) (fixtures.ClientResult, error){
				fixtures.RunOpenSSL, fixtures.RunCurl, fixtures.RunPython} {
				cctx, ccancel := context.WithTimeout(ctx, 15*time.Second)
				r, err := run(cctx, caFile, target)
				ccancel()
				if err == nil {
					res[r.Client] = r
				}
			}
			res["go"] = fixtures.RunGo(ctx, x509.NewCertPool(), target, time.Time{})
			if java != nil {
				rs, err := java.Run(ctx, caFile, []fixtures.ClientTarget{target})
				if err != nil {
					t.Fatal(err)
				}
				res["java"] = rs[0]
			}
			fmt.Fprintf(&table, "\n## %s (s_server %s)\n| client | we say | it did |\n|---|---|---|\n", c.name, strings.Join(c.args, " "))
			said := map[string]checks.ClientVerdict{}
			for _, v := range f.Clients {
				said[v.Client] = v
			}
			for _, cl := range []string{"java", "curl", "openssl", "python", "go"} {
				r, ok := res[cl]
				if !ok {
					continue
				}
				did := "OK"
				if !r.OK {
					did = fmt.Sprintf("exit %d: %s", r.Exit, r.Message)
				}
				v, ok := said[cl]
				fmt.Fprintf(&table, "| %s | %s | %s |\n", cl, cut(v.Message, 120), cut(did, 200))
				if !ok {
					continue
				}
				switch {
				case v.Unknown && strings.HasPrefix(v.Message, "likely connects") && !r.OK:
					t.Errorf("we say %s %s; it printed %q", cl, v.Message, r.Message)
				case v.Unknown && strings.HasPrefix(v.Message, "likely fails") && r.OK:
					t.Errorf("we say %s %s; it connected", cl, v.Message)
				case v.Unknown:
					t.Logf("%s: we cannot tell; it did: %s", cl, did)
				case v.Fails && r.OK:
					t.Errorf("we say %s fails (%s); it connected", cl, v.Message)
				case v.Fails && !strings.Contains(normalize(r.Message), stable(v.Message)):
					t.Errorf("we quote %s %q; it printed %q", cl, stable(v.Message), r.Message)
				case !v.Fails && !r.OK:
					t.Errorf("we say %s connects (%s); it printed %q", cl, v.Message, r.Message)
				}
			}
		})
	}
	t.Log(table.String())
}
