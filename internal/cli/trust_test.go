package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

var updateRecords = flag.Bool("update-records", false, "rewrite testdata/records/trust-*.json from the lab servers")

// runCLI runs tlsdoctor in-process with a controlled environment.
func runTrustCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return invoke(t, env, args...)
}

type jsonOut struct {
	Findings []checks.Finding      `json:"findings"`
	Trust    []checks.StoreVerdict `json:"trust"`
}

// reports decodes the JSON report(s) on stdout.
func reports(t *testing.T, stdout string) []jsonOut {
	t.Helper()
	var out []jsonOut
	dec := json.NewDecoder(strings.NewReader(stdout))
	for {
		var r jsonOut
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("stdout is not JSON reports: %v\n%s", err, stdout)
		}
		out = append(out, r)
	}
}

func findingIDs(r jsonOut) []string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return ids
}

func newLab(t *testing.T) *fixtures.Lab {
	t.Helper()
	l := fixtures.TestLab(t, time.Now())
	return l
}

// keytool runs the JDK's keytool in dir, skipping the test without it.
func keytool(t *testing.T, dir string, args ...string) {
	t.Helper()
	fixtures.RunTool(t, dir, "keytool", args...)
}

// TestTruststoreBadInput: every unusable truststore input is one error
// line (plus a hint), exit 2, nothing on stdout, and no probe is made.
func TestTruststoreBadInput(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	writeFile(t, dir, "root.pem", l.RootPEM())
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "ts.jks", "-storepass", "right-pw", "-storetype", "JKS")
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "ts.p12", "-storepass", "right-pw", "-storetype", "PKCS12")
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "ts.jceks", "-storepass", "right-pw", "-storetype", "JCEKS")
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "empty.jks", "-storepass", "right-pw", "-storetype", "JKS")
	keytool(t, dir, "-delete", "-alias", "root", "-keystore", "empty.jks", "-storepass", "right-pw")
	notes := writeFile(t, dir, "notes.json", []byte(`{"not": "a certificate"}`))
	pwFile := writeFile(t, dir, "pw.txt", []byte("wrong\n"))
	p := func(n string) string { return filepath.Join(dir, n) }
	// Port 1 on loopback: if a case wrongly got as far as probing, the
	// exit code would be 3, not 2.
	const target = "127.0.0.1:1"
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		err, hint string
	}{
		{"wrong JKS password", []string{"--truststore", p("ts.jks"), "--truststore-password", "nope"}, nil,
			"--truststore: " + p("ts.jks") + " is a JKS keystore and the password given is wrong", "keytool -list -keystore " + p("ts.jks")},
		{"wrong PKCS#12 password from env", []string{"--truststore", p("ts.p12")}, map[string]string{"TLSDOCTOR_TRUSTSTORE_PASSWORD": "nope"},
			"is a PKCS#12 store and the password given is wrong", "keytool -list"},
		{"wrong password from file", []string{"--truststore", p("ts.jks"), "--truststore-password-file", pwFile}, nil,
			"password given is wrong", "keytool -list"},
		{"no password for JKS", []string{"--truststore", p("ts.jks")}, nil,
			"is a JKS keystore and needs a password", "--truststore-password"},
		{"JCEKS", []string{"--truststore", p("ts.jceks"), "--truststore-password", "right-pw"}, nil,
			"is a JCEKS keystore, which tlsdoctor does not read", "keytool -importkeystore -srckeystore " + p("ts.jceks") + " -srcstoretype JCEKS"},
		{"empty store", []string{"--truststore", p("empty.jks"), "--truststore-password", "right-pw"}, nil,
			"is a JKS store with no certificate in it", "a truststore holds CA certificates"},
		{"not a certificate", []string{"--ca-file", notes}, nil,
			"--ca-file: " + notes + " is not a certificate store (it looks like text or JSON)", "a truststore holds CA certificates"},
		{"missing file", []string{"--truststore", p("nope.pem")}, nil,
			"--truststore: cannot read " + p("nope.pem") + ": no such file or directory", ""},
		{"missing password file", []string{"--truststore", p("ts.jks"), "--truststore-password-file", p("nope.txt")}, nil,
			"--truststore-password-file: cannot read " + p("nope.txt"), ""},
		{"two passwords", []string{"--truststore", p("ts.jks"), "--truststore-password", "a", "--truststore-password-file", pwFile}, nil,
			"--truststore-password and --truststore-password-file contradict each other", "give the password one way"},
		{"negative warn days", []string{"--warn-days", "-1"}, nil,
			"--warn-days -1 must not be negative", "--warn-days 30"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runTrustCLI(t, tc.env, append([]string{target}, tc.args...)...)
			if r.code != ExitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, ExitUsage, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if !strings.HasPrefix(lines[0], "tlsdoctor: error: ") || !strings.Contains(lines[0], tc.err) {
				t.Errorf("error line %q, want it to contain %q", lines[0], tc.err)
			}
			if len(lines) > 2 {
				t.Errorf("stderr has %d lines, want one error line and at most one hint:\n%s", len(lines), r.stderr)
			}
			if tc.hint != "" && (len(lines) < 2 || !strings.HasPrefix(lines[1], "hint: ") || !strings.Contains(lines[1], tc.hint)) {
				t.Errorf("hint %q, want it to contain %q", lines[1:], tc.hint)
			}
		})
	}
}

func startScenario(t *testing.T, l *fixtures.Lab, name string) *fixtures.Server {
	t.Helper()
	srv, err := l.Start(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func target(port int) []string {
	return []string{fmt.Sprintf("localhost:%d", port), "--connect-to", fmt.Sprintf("127.0.0.1:%d", port)}
}

// TestKeytoolTruststoresLive judges a live server with keytool-made JKS
// and PKCS#12 truststores, the password given each supported way.
func TestKeytoolTruststoresLive(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	writeFile(t, dir, "root.pem", l.RootPEM())
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "ts.jks", "-storepass", "s3cret", "-storetype", "JKS")
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "ts.p12", "-storepass", "s3cret", "-storetype", "PKCS12")
	pw := writeFile(t, dir, "pw.txt", []byte("s3cret\n"))
	srv := startScenario(t, l, "good")
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"JKS, flag", []string{"--truststore", filepath.Join(dir, "ts.jks"), "--truststore-password", "s3cret"}, nil},
		{"JKS, file", []string{"--truststore", filepath.Join(dir, "ts.jks"), "--truststore-password-file", pw}, nil},
		{"PKCS#12, env", []string{"--truststore", filepath.Join(dir, "ts.p12")}, map[string]string{"TLSDOCTOR_TRUSTSTORE_PASSWORD": "s3cret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runTrustCLI(t, tc.env, append(append(target(srv.Port), "--format", "json"), tc.args...)...)
			if r.code != ExitOK {
				t.Fatalf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
			}
			rep := reports(t, r.stdout)[0]
			if len(rep.Findings) != 0 || len(rep.Trust) != 1 || !rep.Trust[0].Trusted {
				t.Errorf("findings %v, trust %+v; want trusted and clean", findingIDs(rep), rep.Trust)
			}
		})
	}
}

// TestNamedStores: with no truststore, system, mozilla and (with a JDK)
// java are judged; --truststore java reads the JDK's cacerts.
func TestNamedStores(t *testing.T) {
	l := newLab(t)
	srv := startScenario(t, l, "good")
	r := runTrustCLI(t, nil, append(target(srv.Port), "--format", "json")...)
	if r.code != ExitFindings {
		t.Fatalf("exit %d, want 1 (the lab root is in no public store); stderr %q", r.code, r.stderr)
	}
	rep := reports(t, r.stdout)[0]
	var names []string
	for _, v := range rep.Trust {
		names = append(names, v.Store)
		if v.Trusted || !strings.Contains(v.Reason, `missing root "Example Root CA"`) {
			t.Errorf("%s: %+v, want not trusted, missing the lab root", v.Store, v)
		}
	}
	want := []string{"system", "mozilla"}
	if _, err := exec.LookPath("java"); err == nil {
		want = append(want, "java")
	}
	if !slices.Equal(names, want) {
		t.Errorf("stores %v, want %v", names, want)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("no JDK: --truststore java not tested (apt-get install -y default-jdk-headless)")
	}
	dir := t.TempDir()
	ca := writeFile(t, dir, "root.pem", l.RootPEM())
	r = runTrustCLI(t, nil, append(target(srv.Port), "--format", "text", "--color", "never", "--truststore", ca, "--truststore", "java")...)
	if r.code != ExitOK {
		t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "trusted by  "+ca+" ✓, java ✗ (missing root \"Example Root CA\"") {
		t.Errorf("no per-store verdict line in:\n%s", r.stdout)
	}
}

// TestDemoScenarios runs each chain scenario through the demo and checks
// the findings it reports.
func TestDemoScenarios(t *testing.T) {
	want := map[string][]string{
		"good":                     nil,
		"missing-intermediate":     {"chain-incomplete"},
		"missing-intermediate-aia": {"chain-incomplete"},
		"wrong-order":              {"chain-order"},
		"root-in-chain":            {"chain-contains-root"},
		"extra-cert":               {"chain-extra-certs"},
		"expired-intermediate":     {"cert-expired"},
		"expiring-soon":            {"cert-expiring-soon"},
		"weak-key":                 {"weak-key"},
		"sha1":                     {"weak-signature"},
		"no-san":                   {"no-san"},
		"eku-client-only":          {"eku-missing"},
		"not-a-ca":                 {"ca-constraints"},
		"ca-false":                 {"ca-constraints"},
		"path-length":              {"ca-constraints"},
		"name-constraints":         {"name-constraint-violation"},
		"critical-extension":       {"unknown-critical-extension"},
		"negative-serial":          {"unparseable-certificate"},
		"reversed-chain":           {"chain-order"},
		"root-via-aia":             {"untrusted-root"},
		"chain-too-large":          {"chain-extra-certs", "chain-too-large"},
		"self-signed":              {"self-signed"},
		"untrusted-root":           {"untrusted-root"},
		"expired":                  {"cert-expired"},
		"wrong-host":               {"hostname-mismatch"},
	}
	var names []string
	for _, s := range fixtures.ScenarioNames() {
		if _, ok := want[s]; ok {
			names = append(names, s)
		}
	}
	r := runTrustCLI(t, nil, append([]string{"demo", "--format", "json"}, names...)...)
	if r.code != ExitOK {
		t.Fatalf("demo exit %d: %s", r.code, r.stderr)
	}
	reps := reports(t, r.stdout)
	if len(reps) != len(names) {
		t.Fatalf("%d reports for %d scenarios", len(reps), len(names))
	}
	for i, n := range names {
		if got := findingIDs(reps[i]); !slices.Equal(got, want[n]) {
			t.Errorf("%s: findings %v, want %v", n, got, want[n])
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// distinctPorts are n free ports, all different: freePort twice may give
// the same port back, and nginx then serves both sites on it, the first
// as the default (TestNginxChains once got the leaf-only site's chain on
// the wrong-order site's port).
func distinctPorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func waitPort(t *testing.T, port int, logf func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on 127.0.0.1:%d after 10s; log:\n%s", port, logf())
}

// startProcess runs a server process, stopped in t.Cleanup: SIGTERM (an
// nginx master then stops its workers), SIGKILL 3s later.
func startProcess(t *testing.T, name string, args ...string) *syncWriter {
	t.Helper()
	out := &syncWriter{}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 3 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	return out
}

// nginxServe runs nginx (non-daemon, temp prefix) with one TLS server per
// chain file, returning the ports in order.
func nginxServe(t *testing.T, sites [][2][]byte) []int {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not installed (apt-get install -y nginx)")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o777); err != nil {
		t.Fatal(err)
	}
	// A port freePort saw free may be taken before nginx binds it (by
	// another test's listener or outgoing connection): then nginx logs
	// bind() and exits while waitPort finds the other socket. Try again
	// with other ports rather than test someone else's server.
	for try := 0; ; try++ {
		var servers strings.Builder
		ports := distinctPorts(t, len(sites))
		for i, s := range sites {
			port := ports[i]
			crt := writeFile(t, dir, fmt.Sprintf("site%d.pem", i), s[0])
			key := writeFile(t, dir, fmt.Sprintf("site%d.key", i), s[1])
			fmt.Fprintf(&servers, "  server {\n    listen 127.0.0.1:%d ssl;\n    ssl_certificate %s;\n    ssl_certificate_key %s;\n    location / { return 200 \"ok\\n\"; }\n  }\n", port, crt, key)
		}
		errLog := filepath.Join(dir, fmt.Sprintf("error%d.log", try))
		conf := fmt.Sprintf(`worker_processes 1;
error_log %[1]s;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[2]s/tmp;
  proxy_temp_path %[2]s/tmp;
  fastcgi_temp_path %[2]s/tmp;
  uwsgi_temp_path %[2]s/tmp;
  scgi_temp_path %[2]s/tmp;
%[3]s}
`, errLog, dir, servers.String())
		writeFile(t, dir, "nginx.conf", []byte(conf))
		out := startProcess(t, bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", errLog, "-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+";")
		logs := func() string {
			b, _ := os.ReadFile(errLog)
			return out.String() + string(b)
		}
		for _, p := range ports {
			waitPort(t, p, logs)
		}
		time.Sleep(50 * time.Millisecond) // a failed bind() is logged at once
		if !strings.Contains(logs(), "bind()") {
			return ports
		}
		if try == 2 {
			t.Fatalf("nginx could not bind its ports three times:\n%s", logs())
		}
	}
}

// TestNginxChains: nginx serving a leaf-only chain and a wrong-order
// chain; then the chain --fix-bundle wrote for each, which is clean.
func TestNginxChains(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	ca := writeFile(t, dir, "root.pem", l.RootPEM())
	ports := nginxServe(t, [][2][]byte{
		{l.PKI.PEMBundle("leaf"), l.PKI.Get("leaf").KeyPEM()},
		{l.PKI.PEMBundle("deep-leaf", "intermediate", "issuing"), l.PKI.Get("deep-leaf").KeyPEM()},
	})
	for i, tc := range []struct {
		want     string
		fixed    bool
		fixChain int
		key      []byte
	}{
		{"chain-incomplete", false, 0, l.PKI.Get("leaf").KeyPEM()},
		{"chain-order", true, 3, l.PKI.Get("deep-leaf").KeyPEM()},
	} {
		bundle := filepath.Join(dir, fmt.Sprintf("fixed%d.pem", i))
		r := runTrustCLI(t, nil, append(target(ports[i]), "--format", "json", "--ca-file", ca, "--fix-bundle", bundle)...)
		rep := reports(t, r.stdout)[0]
		// nginx staples only with ssl_stapling on (the lab leaves name an
		// OCSP responder), and nginx before 1.23.4 (Debian 12 has 1.22)
		// leaves TLS 1.3 out of its default ssl_protocols: both are
		// reported too.
		if got := findingIDs(rep); !slices.Equal(got, sorted(tc.want, "ocsp-stapling-missing", "tls13-missing")) {
			t.Errorf("nginx %s: findings %v, want [%s ocsp-stapling-missing tls13-missing]", tc.want, got, tc.want)
		}
		if !tc.fixed {
			if !strings.Contains(r.stderr, "--fix-bundle: "+bundle+" not written: no complete chain") {
				t.Errorf("stderr %q, want it to say the bundle could not be built", r.stderr)
			}
			continue
		}
		data, err := os.ReadFile(bundle)
		if err != nil {
			t.Fatalf("--fix-bundle wrote nothing: %v (stderr %q)", err, r.stderr)
		}
		if n := strings.Count(string(data), "BEGIN CERTIFICATE"); n != tc.fixChain {
			t.Errorf("fixed bundle has %d certificates, want %d", n, tc.fixChain)
		}
		// Serve the fixed bundle: it must be clean.
		port := nginxServe(t, [][2][]byte{{data, tc.key}})[0]
		r = runTrustCLI(t, nil, append(target(port), "--format", "json", "--ca-file", ca)...)
		// Clean but for the staple and TLS 1.3 (see above).
		if got := findingIDs(reports(t, r.stdout)[0]); !slices.Equal(got, []string{"ocsp-stapling-missing", "tls13-missing"}) || r.code != ExitOK {
			t.Errorf("nginx with the fixed bundle: exit %d, findings %v, want [ocsp-stapling-missing tls13-missing]", r.code, got)
		}
	}
}

// TestFixBundleFromAIA writes the chain completed from the AIA URL.
func TestFixBundleFromAIA(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	ca := writeFile(t, dir, "root.pem", l.RootPEM())
	srv := startScenario(t, l, "missing-intermediate-aia")
	bundle := filepath.Join(dir, "fullchain.pem")
	r := runTrustCLI(t, nil, append(target(srv.Port), "-q", "--ca-file", ca, "--fix-bundle", bundle)...)
	if r.code != ExitFindings || !strings.Contains(r.stdout, "chain-incomplete") {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	data, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.stderr, "localhost → Example Intermediate CA") || strings.Count(string(data), "BEGIN CERTIFICATE") != 2 ||
		!strings.Contains(string(data), string(l.PKI.PEMBundle("intermediate"))) {
		t.Errorf("bundle:\n%s\nstderr %q", data, r.stderr)
	}
	// --no-aia: nothing fetched, so no bundle.
	r = runTrustCLI(t, nil, append(target(srv.Port), "-q", "--ca-file", ca, "--no-aia", "--fix-bundle", filepath.Join(dir, "none.pem"))...)
	if !strings.Contains(r.stderr, "not written") {
		t.Errorf("--no-aia: stderr %q", r.stderr)
	}
}

// TestOpenSSLRootInChain: openssl s_server sending leaf, intermediate and
// root.
func TestOpenSSLRootInChain(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	l := newLab(t)
	dir := t.TempDir()
	ca := writeFile(t, dir, "root.pem", l.RootPEM())
	crt := writeFile(t, dir, "leaf.pem", l.PKI.PEMBundle("leaf"))
	key := writeFile(t, dir, "leaf.key", l.PKI.Get("leaf").KeyPEM())
	chain := writeFile(t, dir, "chain.pem", l.PKI.PEMBundle("intermediate", "root"))
	port := freePort(t)
	out := startProcess(t, bin, "s_server", "-accept", "127.0.0.1:"+strconv.Itoa(port), "-cert", crt, "-key", key, "-cert_chain", chain, "-www", "-quiet")
	waitPort(t, port, out.String)
	r := runTrustCLI(t, nil, append(target(port), "--format", "json", "--ca-file", ca)...)
	if r.code != ExitOK {
		t.Errorf("exit %d (an info finding must not fail the run)", r.code)
	}
	rep := reports(t, r.stdout)[0]
	// s_server staples nothing unless told to.
	if got := findingIDs(rep); !slices.Equal(got, []string{"chain-contains-root", "ocsp-stapling-missing"}) {
		t.Errorf("findings %v, want [chain-contains-root ocsp-stapling-missing]", got)
	}
}

func sorted(ss ...string) []string {
	slices.Sort(ss)
	return ss
}

// TestRecordedHandshakes diagnoses records saved from the lab servers
// (regenerate with go test ./internal/cli -run RecordedHandshakes
// -update-records). They embed the lab root as truststore and are judged at
// their own time, so they never expire.
func TestRecordedHandshakes(t *testing.T) {
	want := map[string][]string{
		"missing-intermediate-aia": {"chain-incomplete"},
		"wrong-order":              {"chain-order"},
		"root-in-chain":            {"chain-contains-root"},
		"expired-intermediate":     {"cert-expired"},
		"untrusted-root":           {"untrusted-root"},
	}
	dir := filepath.Join("..", "..", "testdata", "records")
	if *updateRecords {
		l := newLab(t)
		ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name := range want {
			srv := startScenario(t, l, name)
			r := runTrustCLI(t, nil, append(target(srv.Port), "-q", "--ca-file", ca, "--save-record", filepath.Join(dir, "trust-"+name+".json"))...)
			if r.code == ExitUsage || r.code == ExitNoProbe {
				t.Fatalf("%s: exit %d: %s", name, r.code, r.stderr)
			}
		}
	}
	for name, ids := range want {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, "trust-"+name+".json")
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("%s missing: run go test ./internal/cli -run RecordedHandshakes -update-records", path)
			}
			r := runTrustCLI(t, nil, "diagnose", "--record", path, "--format", "json")
			if got := findingIDs(reports(t, r.stdout)[0]); !slices.Equal(got, ids) {
				t.Errorf("findings %v, want %v (stderr %q)", got, ids, r.stderr)
			}
		})
	}
}

// syncWriter collects a process's output safely.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// TestDiagnoseNamedStore: a record naming a store ("mozilla") is judged
// with that store on this machine, not the system one.
func TestDiagnoseNamedStore(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "records", "trust-wrong-order.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	rec["truststores"] = json.RawMessage(`[{"name":"mozilla"}]`)
	data, _ = json.Marshal(rec)
	path := writeFile(t, t.TempDir(), "rec.json", data)
	r := runTrustCLI(t, nil, "diagnose", "--record", path, "--format", "json")
	rep := reports(t, r.stdout)[0]
	if len(rep.Trust) != 1 || rep.Trust[0].Store != "mozilla" || rep.Trust[0].Trusted {
		t.Errorf("trust %+v, want one untrusted verdict for mozilla", rep.Trust)
	}
	if got := findingIDs(rep); !slices.Contains(got, "untrusted-root") {
		t.Errorf("findings %v, want untrusted-root against mozilla", got)
	}
}
