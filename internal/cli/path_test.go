package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// Issue 10 items 1 and 2 on real servers: what tlsdoctor says about a
// private root downloaded through AIA, a client certificate issued
// directly by a root, and a chain whose first certificate is not the leaf.

func findIn(r jsonOut, id string) *checks.Finding {
	for i := range r.Findings {
		if r.Findings[i].ID == id {
			return &r.Findings[i]
		}
	}
	return nil
}

func sserver(t *testing.T, cert, key, chain []byte) *fixtures.SServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := fixtures.SServerChain(ctx, t.TempDir(), cert, key, chain)
	if err == fixtures.ErrNoOpenSSL {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestRootFromAIAIsNotAnIntermediate: a private CA's server sends leaf and
// intermediate; the intermediate's AIA URL serves the root. Without a CA
// file that holds it, the answer is untrusted-root with the root's
// fingerprint, never "the server does not send the intermediate <root>".
func TestRootFromAIAIsNotAnIntermediate(t *testing.T) {
	aia, err := fixtures.NewAIAServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(aia.Close)
	p, err := fixtures.Build(time.Now(),
		fixtures.CertSpec{Name: "corp-root", CommonName: "Corp Root CA", Organization: "Corp", IsCA: true},
		fixtures.CertSpec{Name: "other-root", CommonName: "Unrelated Root CA", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	base := aia.Publish("corp-root", p.Get("corp-root").Cert)
	if _, err := p.Issue(fixtures.CertSpec{Name: "int", Parent: "corp-root", CommonName: "Corp Issuing CA", IsCA: true, IssuingCertificateURL: []string{base + ".der"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Issue(fixtures.CertSpec{Name: "leaf", Parent: "int", CommonName: "localhost", DNSNames: []string{"localhost"}}); err != nil {
		t.Fatal(err)
	}
	srv := sserver(t, p.Get("leaf").PEM(), p.Get("leaf").KeyPEM(), p.Get("int").PEM())
	dir := t.TempDir()
	ca := writeFile(t, dir, "unrelated.pem", p.Get("other-root").PEM())
	bundle := filepath.Join(dir, "fullchain.pem")
	r := runTrustCLI(t, nil, append(target(srv.Port), "--format", "json", "--ca-file", ca, "--revocation", "off", "--fix-bundle", bundle)...)
	rep := reports(t, r.stdout)[0]
	if f := findIn(rep, "chain-incomplete"); f != nil {
		t.Errorf("chain-incomplete for a root fetched from AIA: %s", f.Title)
	}
	f := findIn(rep, "untrusted-root")
	fp := checks.Fingerprint(p.Get("corp-root").Cert)
	if f == nil || !strings.Contains(f.Title, "Corp Root CA") || !strings.Contains(strings.Join(f.Evidence, "\n"), fp) {
		t.Fatalf("untrusted-root %+v: want one naming Corp Root CA with its fingerprint %s; findings %v", f, fp, findingIDs(rep))
	}
	if len(rep.Trust) != 1 || rep.Trust[0].Verdict != checks.UntrustedRoot || !strings.Contains(rep.Trust[0].Reason, "missing root") {
		t.Errorf("trust verdict %+v, want untrusted-root: missing root", rep.Trust)
	}
}

// TestReversedChainOnSServer: openssl s_server configured with the
// intermediate as its certificate and the leaf after it sends
// [intermediate, leaf]. The leaf is identified, chain-order is an error
// with the order to use, and nothing is said about the intermediate as if
// it were the leaf.
func TestReversedChainOnSServer(t *testing.T) {
	l := newLab(t)
	pki := l.PKI
	srv := sserver(t, pki.Get("intermediate").PEM(), pki.Get("intermediate").KeyPEM(), pki.Get("leaf").PEM())
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	r := runTrustCLI(t, nil, append(target(srv.Port), "--format", "json", "--ca-file", ca, "--revocation", "off")...)
	rep := reports(t, r.stdout)[0]
	for _, id := range []string{"hostname-mismatch", "no-san", "chain-extra-certs", "handshake-failed"} {
		if f := findIn(rep, id); f != nil {
			t.Errorf("%s on a reversed chain: %s", id, f.Title)
		}
	}
	f := findIn(rep, "chain-order")
	if f == nil || f.Severity != checks.Error || !strings.Contains(strings.Join(f.Evidence, "\n"), "order to use:   #1 localhost → #0 Example Intermediate CA") {
		t.Fatalf("chain-order %+v: want an error with the order to use; findings %v", f, findingIDs(rep))
	}
	text := runTrustCLI(t, nil, append(target(srv.Port), "--ca-file", ca, "--revocation", "off")...)
	if !strings.Contains(text.stdout, "│ 1 │ leaf") || !strings.Contains(text.stdout, "│ 0 │ intermediate") {
		t.Errorf("chain table does not show #1 as the leaf:\n%s", text.stdout)
	}
}

// TestClientCertFromRootNotAccepted: our client certificate was issued
// directly by a root (in the CA file we gave) and the server accepts
// another CA. The cause is client-cert-ca-not-accepted, with the root's
// fingerprint, not "we sent no intermediate"; stderr names it.
func TestClientCertFromRootNotAccepted(t *testing.T) {
	now := time.Now()
	p, err := fixtures.Build(now,
		fixtures.CertSpec{Name: "root", CommonName: "Server Root CA", IsCA: true},
		fixtures.CertSpec{Name: "leaf", Parent: "root", CommonName: "localhost", DNSNames: []string{"localhost"}},
		fixtures.CertSpec{Name: "partner-root", CommonName: "Partner Client CA", IsCA: true},
		fixtures.CertSpec{Name: "our-root", CommonName: "Our Client Root CA", IsCA: true},
		fixtures.CertSpec{Name: "client", Parent: "our-root", CommonName: "client.example.test", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") }),
		ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		_ = hs.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{p.TLSCert("leaf")},
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.Pool("partner-root")}))
	}()
	t.Cleanup(func() { _ = hs.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	ca := writeFile(t, dir, "ca.pem", p.PEMBundle("root", "our-root"))
	crt := writeFile(t, dir, "client.crt", p.Get("client").PEM())
	key := writeFile(t, dir, "client.key", p.Get("client").KeyPEM())
	args := append(target(port), "--ca-file", ca, "--cert", crt, "--key", key, "--revocation", "off")
	r := runTrustCLI(t, nil, append(args, "--format", "json")...)
	rep := reports(t, r.stdout)[0]
	if f := findIn(rep, "client-chain-incomplete"); f != nil {
		t.Errorf("client-chain-incomplete for a certificate issued by a root: %s", f.Title)
	}
	f := findIn(rep, "client-cert-ca-not-accepted")
	fp := checks.Fingerprint(p.Get("our-root").Cert)
	if f == nil || !strings.Contains(checks.FixText(f.Fix), fp) {
		t.Fatalf("client-cert-ca-not-accepted %+v: want it with our root's fingerprint %s; findings %v", f, fp, findingIDs(rep))
	}
	if rej := findIn(rep, "client-cert-rejected"); rej != nil && strings.Contains(rej.Detail, "we sent no intermediate") {
		t.Errorf("client-cert-rejected still blames a missing intermediate: %s", rej.Detail)
	}
	text := runTrustCLI(t, nil, args...)
	if first, _, _ := strings.Cut(text.stderr, "\n"); !strings.Contains(first, "(client-cert-ca-not-accepted)") {
		t.Errorf("stderr summary %q, want it to name client-cert-ca-not-accepted", first)
	}
}

// TestSameSubjectChainWithinTimeout: a server sending 1,100 certificates
// that share one subject made the run take minutes, CPU in the path
// checks, with --timeout 5s. The whole run now ends within the timeout
// (plus a small margin), with bounded memory.
func TestSameSubjectChainWithinTimeout(t *testing.T) {
	chain, leaf, err := fixtures.SameSubjectChain(time.Now(), 1100, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		_ = hs.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{{Certificate: chain, PrivateKey: leaf.Key}}}))
	}()
	t.Cleanup(func() { _ = hs.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	ca := writeFile(t, t.TempDir(), "ca.pem", leaf.PEM())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	r := runTrustCLI(t, nil, append(target(port), "--timeout", "5s", "--ca-file", ca)...)
	elapsed := time.Since(t0)
	runtime.ReadMemStats(&after)
	if elapsed > 8*time.Second {
		t.Errorf("run took %v with --timeout 5s", elapsed)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 512<<20 {
		t.Errorf("run allocated %d MiB", alloc>>20)
	}
	if r.code != ExitFindings || !strings.Contains(r.stdout, "chain-too-large") || !strings.Contains(r.stdout, "Same CA") {
		t.Errorf("exit %d, want 1 with chain-too-large:\n%s", r.code, r.stdout[:min(len(r.stdout), 2000)])
	}
	t.Logf("1,101 certificates: %v", elapsed)
}
