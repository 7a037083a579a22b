package probe_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// openssl s_server taking TLS 1.3 with X448 only: the default run records
// the wide TLS 1.3 hellos' answer (X448), and --scan finds TLS 1.3 and
// its suites. Before, the scan's TLS 1.3 hellos carried key shares for
// zcrypto's few groups and the scan said the server spoke no TLS 1.3.
func TestX448OnlyServer(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if out, err := exec.CommandContext(ctx, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
		"-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "2").CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v: %s", err, out)
	}
	cb, _ := os.ReadFile(crt)
	kb, _ := os.ReadFile(key)
	srv, err := fixtures.SServerChain(ctx, t.TempDir(), cb, kb, nil, "-groups", "X448", "-tls1_3")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rec := run(t, probe.Options{Target: probe.Target{Input: "localhost", Host: "localhost", Port: srv.Port, ConnectHost: "127.0.0.1", ConnectPort: srv.Port},
		NoAIA: true, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}}, 20*time.Second)
	w := rec.Attempt(probe.PurposeWide13)
	if w == nil || w.Outcome != "server-hello" || w.Group != "X448" || len(w.Offered.Groups) == 0 {
		t.Fatalf("tls13-wide attempt = %+v", w)
	}
	if g := rec.Attempt(probe.PurposeWide13GoSchemes); g == nil || g.Outcome != "server-hello" {
		t.Errorf("tls13-wide-go-schemes attempt = %+v", g)
	}
	probe.RunScan(ctx, rec, probe.ScanOptions{})
	var tls13 *probe.ScanVersion
	for i, v := range rec.Scan.Versions {
		if v.Version == "TLS 1.3" {
			tls13 = &rec.Scan.Versions[i]
		}
	}
	if tls13 == nil || !tls13.Supported || len(tls13.Suites) != 3 {
		t.Fatalf("scan TLS 1.3 = %+v, want supported with 3 suites", tls13)
	}
	if len(rec.Scan.Groups) != 1 || rec.Scan.Groups[0].Name != "X448" {
		t.Errorf("scan groups = %+v, want X448 only", rec.Scan.Groups)
	}
}
