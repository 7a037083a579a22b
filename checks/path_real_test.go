package checks_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// TestPathRealClients serves the path cases with a real openssl s_server
// (a Go server where s_server cannot send the fault: a certificate OpenSSL
// cannot load, the leaf's key behind a CA certificate, chains of a given
// size), probes them as tlsdoctor does, and runs the real clients (openssl
// s_client -verify_return_error, curl, Python ssl, gnutls-cli, a JSSE
// client compiled with javac, crypto/tls): each client line of the
// finding must say what that client really did. With
// TLSDOCTOR_CLIENT_ERRORS=FILE it also writes what every client printed,
// in the format of client-errors.md. It runs with TLSDOCTOR_REAL=1 (make
// test-real, which .ci/run runs).
func TestPathRealClients(t *testing.T) {
	if os.Getenv("TLSDOCTOR_REAL") == "" {
		t.Skip("real clients against every path case take a minute or more: run with TLSDOCTOR_REAL=1 (make test-real)")
	}
	if _, err := os.Stat("/usr/bin/openssl"); err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	at := time.Now()
	var java *fixtures.JavaClient
	if jc, err := fixtures.NewJavaClient(ctx, t.TempDir()); err == nil {
		java = jc
	} else {
		t.Logf("no Java client: %v", err)
	}
	type served struct {
		c      pathCase
		caFile string
		roots  *x509.CertPool
		target fixtures.ClientTarget
		fs     []checks.Finding
		res    map[string]fixtures.ClientResult
		java   []string // java options, from the finding's fix
	}
	var all []*served
	serve := func(c pathCase, p *fixtures.PKI, addr string) {
		dir := t.TempDir()
		s := &served{c: c, caFile: filepath.Join(dir, "ca.pem"), roots: x509.NewCertPool(), res: map[string]fixtures.ClientResult{}}
		var ca []byte
		var roots []*x509.Certificate
		for _, n := range c.rootNames() {
			ca = append(ca, p.Get(n).PEM()...)
			s.roots.AddCert(p.Get(n).Cert)
			roots = append(roots, p.Get(n).Cert)
		}
		if err := os.WriteFile(s.caFile, ca, 0o600); err != nil {
			t.Fatal(err)
		}
		s.target = fixtures.ClientTarget{Addr: addr, Name: c.host}
		t0 := time.Now()
		defer func() { t.Logf("%s: %v", c.name, time.Since(t0)) }()
		port := fixtures.Port(addr)
		tg := probe.Target{Input: c.host, Host: c.host, Port: port, SNI: c.host, ConnectHost: "127.0.0.1", ConnectPort: port}
		if net.ParseIP(c.host) != nil {
			tg.SNI = ""
		}
		pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
		defer pcancel()
		rec, err := probe.Run(pctx, probe.Options{Target: tg, NoAIA: true, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}})
		if err != nil {
			t.Fatal(err)
		}
		s.fs = checks.Run(rec, checks.Env{Now: at, Truststores: []checks.Truststore{checks.NewTruststore("test store", roots)}})
		for _, run := range []func(context.Context, string, fixtures.ClientTarget) (fixtures.ClientResult, error){
			fixtures.RunOpenSSL, fixtures.RunCurl, fixtures.RunPython, fixtures.RunGnuTLS} {
			cctx, ccancel := context.WithTimeout(ctx, 15*time.Second)
			r, err := run(cctx, s.caFile, s.target)
			ccancel()
			if err == nil {
				s.res[r.Client] = r
			}
		}
		s.res["go"] = fixtures.RunGo(ctx, s.roots, s.target, time.Time{})
		all = append(all, s)
	}
	for _, c := range append(pathCases(), anchorCases()...) {
		if len(c.fetch) > 0 {
			continue // the AIA cases: no client fetches, covered by the CLI tests
		}
		p := pathPKI(t, at, c)
		if strings.HasPrefix(c.name, "truncated") {
			serve(c, p, goServer(t, p, c.serve, c.serve[0]))
			continue
		}
		dir := t.TempDir()
		var chain []byte
		for _, n := range c.serve[1:] {
			chain = append(chain, p.Get(n).PEM()...)
		}
		srv, err := fixtures.SServerChain(ctx, dir, p.Get(c.serve[0]).PEM(), p.Get(c.serve[0]).KeyPEM(), chain)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Cleanup(srv.Close)
		serve(c, p, srv.Addr())
	}
	// The leaf's key behind its CA certificate (a server that does not
	// check that its key matches the first certificate).
	for _, c := range pathCases() {
		if c.name == "reversed" {
			c.name = "reversed-leaf-key"
			p := pathPKI(t, at, c)
			serve(c, p, goServer(t, p, c.serve, "leaf"))
		}
	}
	for _, c := range sizeCases(t, at) {
		serve(c.pathCase, c.pki, goServer(t, c.pki, c.serve, "leaf"))
		if c.name != "chain-300KiB" { // within what the fix's options allow
			all[len(all)-1].java = javaLimits(t, find(all[len(all)-1].fs, "chain-too-large"))
		}
	}
	if java != nil {
		var targets []fixtures.ClientTarget
		byCA := map[string][]int{}
		for i, s := range all {
			byCA[s.caFile] = append(byCA[s.caFile], i)
		}
		for caFile, idx := range byCA {
			targets = targets[:0]
			for _, i := range idx {
				targets = append(targets, all[i].target)
			}
			rs, err := java.Run(ctx, caFile, targets)
			if err != nil {
				t.Fatal(err)
			}
			for k, i := range idx {
				all[i].res["java"] = rs[k]
			}
			// The fix's Java options must let Java connect.
			for _, i := range idx {
				if all[i].java == nil {
					continue
				}
				rs, err := java.Run(ctx, caFile, []fixtures.ClientTarget{all[i].target}, all[i].java...)
				if err != nil {
					t.Fatal(err)
				}
				all[i].res["java-limits"] = rs[0]
			}
		}
	}
	var table strings.Builder
	for _, s := range all {
		c := s.c
		fmt.Fprintf(&table, "\n## fault: %s (%s)\n| client | exit | message |\n|---|---|---|\n", strings.Join(wantIDs(c), " "), c.name)
		for _, cl := range []string{"java", "java-limits", "curl", "openssl", "python", "gnutls", "go"} {
			if r, ok := s.res[cl]; ok {
				msg := r.Message
				if r.OK {
					msg = "OK"
				}
				fmt.Fprintf(&table, "| %s | %d | %s |\n", cl, r.Exit, cut(msg, 260))
			}
		}
		t.Run(c.name, func(t *testing.T) {
			if len(c.want) == 0 {
				for cl, r := range s.res {
					if !r.OK {
						t.Errorf("%s fails on a chain tlsdoctor finds nothing wrong with: %s", cl, r.Message)
					}
				}
				return
			}
			id, _ := severityOf(c.want[0])
			f := find(s.fs, id)
			if f == nil {
				t.Fatalf("no %s finding from the real server; got %s", id, findingIDs(s.fs))
			}
			for _, v := range f.Clients {
				r, ok := s.res[v.Client]
				if !ok {
					continue
				}
				if v.Fails == r.OK {
					t.Errorf("%s: we say %s fails=%v (%s); it printed %q (exit %d)", id, v.Client, v.Fails, v.Message, r.Message, r.Exit)
					continue
				}
				if v.Fails && !strings.Contains(normalize(r.Message), stable(v.Message)) {
					t.Errorf("%s: we quote %s %q; it printed %q", id, v.Client, stable(v.Message), r.Message)
				}
			}
			if r, ok := s.res["java-limits"]; ok && !r.OK {
				t.Errorf("java with the fix's options still fails: %s", r.Message)
			}
		})
	}
	if out := os.Getenv("TLSDOCTOR_CLIENT_ERRORS"); out != "" {
		if err := os.WriteFile(out, []byte(table.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func wantIDs(c pathCase) []string {
	var out []string
	for _, w := range c.want {
		id, _ := severityOf(w)
		out = append(out, id)
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func cut(s string, n int) string {
	s = strings.ReplaceAll(s, "|", "¦")
	if len(s) > n {
		return s[:n]
	}
	return s
}

var (
	patchRE   = regexp.MustCompile(`OpenSSL/3\.0\.\d+`)
	verifyNum = regexp.MustCompile(` \(verify error:num=\d+\)$`)
)

var digits = regexp.MustCompile(`[0-9]+`)

// normalize makes a printed message comparable with a quoted one: the
// OpenSSL patch release and sizes (which depend on the protocol version
// the client negotiated) are not compared.
func normalize(s string) string {
	return digits.ReplaceAllString(patchRE.ReplaceAllString(s, "OpenSSL/3.0"), "N")
}

// stable is the part of a quoted message a client prints verbatim: no
// "Verification error: " prefix or "(verify error:num=N)" suffix, cut
// before a parenthesised note.
func stable(m string) string {
	m = strings.TrimPrefix(m, "Verification error: ")
	m = verifyNum.ReplaceAllString(m, "")
	for _, note := range []string{" (the exact", " (not for", " (Java sent", " (Go sent"} {
		if i := strings.Index(m, note); i > 0 {
			m = m[:i]
		}
	}
	return normalize(strings.ReplaceAll(strings.TrimPrefix(m, "Status: "), "about ", ""))
}

// goServer serves certs (names from p, in order) with the key of keyName,
// as a server that does not check its configuration would.
func goServer(t *testing.T, p *fixtures.PKI, names []string, keyName string) string {
	t.Helper()
	tc := tls.Certificate{PrivateKey: p.Get(keyName).Key}
	for _, n := range names {
		tc.Certificate = append(tc.Certificate, p.Get(n).DER)
	}
	return goServeCert(t, tc)
}

func goServeCert(t *testing.T, tc tls.Certificate) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") }),
		ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{tc}})) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

type sizeCase struct {
	pathCase
	pki *fixtures.PKI
}

// sizeCases are chains over the measured limits: 11 small certificates
// (Java's count), then about 110, 140 and 300 KiB.
func sizeCases(t testing.TB, at time.Time) []sizeCase {
	h := "host.example.com"
	var sans []string
	for i := 0; i < 400; i++ {
		sans = append(sans, fmt.Sprintf("padding-name-%04d.example.com", i))
	}
	specs := []fixtures.CertSpec{caSpec("int", "root", nil), leafSpec("leaf", "int", h), {Name: "pad", CommonName: "padding", DNSNames: sans}}
	for i := 0; i < 9; i++ {
		specs = append(specs, fixtures.CertSpec{Name: fmt.Sprintf("small%d", i), CommonName: fmt.Sprintf("Small %d", i), IsCA: true})
	}
	p := pathPKI(t, at, pathCase{specs: specs})
	var out []sizeCase
	count := []string{"leaf", "int"}
	for i := 0; i < 9; i++ {
		count = append(count, fmt.Sprintf("small%d", i))
	}
	out = append(out, sizeCase{pathCase{name: "eleven-certificates", serve: count, host: h, want: []string{"chain-too-large"}}, p})
	for _, kib := range []int{110, 140, 300} {
		serve, size := []string{"leaf", "int"}, 0
		for size < kib*1024 {
			serve = append(serve, "pad")
			size += len(p.Get("pad").DER) + 3
		}
		out = append(out, sizeCase{pathCase{name: fmt.Sprintf("chain-%dKiB", kib), serve: serve, host: h, want: []string{"chain-too-large"}}, p})
	}
	return out
}

// javaLimits are the Java options the chain-too-large fix sets.
func javaLimits(t *testing.T, f *checks.Finding) []string {
	t.Helper()
	if f == nil {
		return nil
	}
	for _, st := range f.Fix {
		if st.Kind == checks.StepConfig && st.For == "java" {
			return strings.Fields(st.Text)
		}
	}
	t.Errorf("chain-too-large: no java setting in the fix %+v", f.Fix)
	return nil
}
