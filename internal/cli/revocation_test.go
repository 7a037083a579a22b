package cli

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

func runRevCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	r := invoke(t, nil, args...)
	return r.stdout, r.stderr, r.code
}

// serveTLS serves HTTPS with cert on 127.0.0.1 until the test ends.
func serveTLS(t *testing.T, cert tls.Certificate) int {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") }), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRevocationFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		bad  string
	}{
		{[]string{"--revocation", "bogus", "example.com"}, "bogus"},
		{[]string{"demo", "--revocation=maybe"}, "maybe"},
	} {
		stdout, stderr, code := runRevCLI(t, tc.args...)
		want := fmt.Sprintf("tlsdoctor: error: --revocation %q is not supported\nhint: use --revocation off, stapled or full\n", tc.bad)
		if code != ExitUsage || stdout != "" || stderr != want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, no stdout, %q", tc.args, code, stdout, stderr, want)
		}
	}
}

// TestDemoRevocationScenarios runs the revocation demo scenarios with
// revocation checking on (the default) and checks each verdict; the good
// scenario must stay clean, its status established by valid answers.
func TestDemoRevocationScenarios(t *testing.T) {
	stdout, stderr, code := runRevCLI(t, "demo", "--color", "never", "good", "revoked", "stale-staple", "must-staple-missing", "revocation-unknown")
	if code != ExitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	sections := strings.Split(stdout, "════ demo ")[1:]
	if len(sections) != 5 {
		t.Fatalf("%d demo sections, want 5:\n%s", len(sections), stdout)
	}
	want := [][]string{
		{"No problems found", `#0 leaf "localhost": good`, `#1 intermediate "Example Intermediate CA": good`, "stapled OCSP: good", "SCTs: 2"},
		{"ERROR cert-revoked", "reason keyCompromise", "KEY_COMPROMISE"},
		{"WARNING ocsp-staple-stale", `#0 leaf "localhost": good`},
		{"ERROR ocsp-must-staple-missing"},
		{"WARNING revocation-unknown", "connection refused", "Connection refused"},
	}
	for i, s := range sections {
		for _, w := range want[i] {
			if !strings.Contains(s, w) {
				t.Errorf("demo %d does not contain %q:\n%s", i+1, w, s)
			}
		}
	}
	if strings.Contains(sections[0], "Findings") {
		t.Errorf("the good scenario has findings:\n%s", sections[0])
	}
}

// TestStalledResponderKeepsTimeout: an OCSP responder that never answers
// must not push the run past --timeout.
func TestStalledResponderKeepsTimeout(t *testing.T) {
	r, err := fixtures.StartResponder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	p, err := fixtures.Build(time.Now(),
		fixtures.CertSpec{Name: "root", CommonName: "Slow Root CA", IsCA: true},
		fixtures.CertSpec{Name: "leaf", Parent: "root", CommonName: "localhost", DNSNames: []string{"localhost"},
			OCSPServer: []string{r.OCSPURL("root", fixtures.OCSPSlow)}},
	)
	if err != nil {
		t.Fatal(err)
	}
	r.Use(p)
	port := serveTLS(t, p.TLSCert("leaf"))
	ca := writeTemp(t, "root.pem", p.PEMBundle("root"))
	const timeout = time.Second
	start := time.Now()
	stdout, stderr, code := runRevCLI(t, "--timeout", timeout.String(), "--ca-file", ca, "--color", "never", "--fail-on", "warning", "-v",
		"--connect-to", "127.0.0.1", fmt.Sprintf("localhost:%d", port))
	elapsed := time.Since(start)
	if elapsed > timeout+200*time.Millisecond {
		t.Errorf("the run took %s with --timeout %s", elapsed, timeout)
	}
	if code != ExitFindings || !strings.Contains(stderr, "tlsdoctor: revocation: 1 OCSP/CRL request(s), 1 without an answer") {
		t.Errorf("exit %d, stderr %q; want 1 (revocation-unknown is a warning) and the revocation progress", code, stderr)
	}
	for _, w := range []string{"WARNING revocation-unknown", "no answer before the time limit", r.OCSPURL("root", fixtures.OCSPSlow)} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output does not contain %q:\n%s", w, stdout)
		}
	}
}

// reportIDs are the sorted finding IDs of the one JSON report on stdout.
func reportIDs(t *testing.T, out string) []string {
	t.Helper()
	rs := reports(t, out)
	if len(rs) != 1 {
		t.Fatalf("want one JSON report, got %d:\n%s", len(rs), out)
	}
	return findingIDs(rs[0])
}

// TestSavedRecordReplaysRevocation: the verdict of a saved record, judged
// offline, is the live one.
func TestSavedRecordReplaysRevocation(t *testing.T) {
	lab := fixtures.TestLab(t, time.Now())
	ca := writeTemp(t, "root.pem", lab.RootPEM())
	type run struct {
		scenario, record, out string
		code                  int
	}
	var runs []run
	for _, sc := range []string{"good", "revoked", "revocation-unknown", "stale-staple"} {
		srv, err := lab.Start(sc)
		if err != nil {
			t.Fatal(err)
		}
		rec := filepath.Join(t.TempDir(), "rec.json")
		out, stderr, code := runRevCLI(t, "--ca-file", ca, "--format", "json", "--save-record", rec, "--connect-to", "127.0.0.1", fmt.Sprintf("localhost:%d", srv.Port))
		srv.Close()
		// An error finding is named on stderr, nothing else.
		if sc == "good" && stderr != "" || sc == "revoked" && !strings.HasPrefix(stderr, "tlsdoctor: error: the leaf certificate \"localhost\" is revoked") {
			t.Fatalf("%s: stderr %q", sc, stderr)
		}
		runs = append(runs, run{sc, rec, out, code})
	}
	// Judge offline: the responder is gone.
	lab.Responder.Close()
	want := map[string]string{"good": "", "revoked": "cert-revoked", "revocation-unknown": "revocation-unknown", "stale-staple": "ocsp-staple-stale"}
	for _, r := range runs {
		replay, stderr, code := runRevCLI(t, "diagnose", "--record", r.record, "--format", "json")
		if (r.scenario == "revoked") != strings.Contains(stderr, "(cert-revoked)") || code != r.code {
			t.Fatalf("%s: replay exit %d (live %d), stderr %q", r.scenario, code, r.code, stderr)
		}
		live := reportIDs(t, r.out)
		if got := reportIDs(t, replay); !slices.Equal(live, got) {
			t.Errorf("%s: live findings %v, replayed %v", r.scenario, live, got)
		}
		if w := want[r.scenario]; (w == "" && len(live) > 0) || (w != "" && !slices.Contains(live, w)) {
			t.Errorf("%s: findings %v, want %q", r.scenario, live, w)
		}
	}
}

// TestOpenSSLResponderEndToEnd: a real `openssl ocsp` responder says one
// leaf is good and the other revoked; tlsdoctor asks it and says so.
func TestOpenSSLResponderEndToEnd(t *testing.T) {
	p := fixtures.TestOpenSSLOCSPPKI(t, time.Now())
	url := p.Get("revoked").Cert.OCSPServer[0]
	ca := writeTemp(t, "ca.pem", p.PEMBundle("ca"))

	port := serveTLS(t, p.TLSCert("revoked"))
	stdout, stderr, code := runRevCLI(t, "--ca-file", ca, "--color", "never", "--connect-to", "127.0.0.1", fmt.Sprintf("localhost:%d", port))
	if code != ExitFindings || !strings.Contains(stderr, "(cert-revoked)") {
		t.Fatalf("revoked: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	for _, w := range []string{"ERROR cert-revoked", "keyCompromise", "according to OCSP " + url, `#0 leaf "localhost": revoked`} {
		if !strings.Contains(stdout, w) {
			t.Errorf("revoked: output does not contain %q:\n%s", w, stdout)
		}
	}

	port = serveTLS(t, p.TLSCert("good"))
	stdout, stderr, code = runRevCLI(t, "--ca-file", ca, "--color", "never", "--connect-to", "127.0.0.1", fmt.Sprintf("localhost:%d", port))
	if code != ExitOK || stderr != "" {
		t.Fatalf("good: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, `#0 leaf "localhost": good`) || strings.Contains(stdout, "revocation-unknown") || strings.Contains(stdout, "cert-revoked") {
		t.Errorf("good: want the leaf good per openssl's answer:\n%s", stdout)
	}
}
