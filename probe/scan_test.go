package probe_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

var update = flag.Bool("update", false, "rewrite testdata/records/scan-*.json from the scans")

// rsaLeaf is a self-signed RSA 2048 certificate for "localhost": RSA
// suites need an RSA key.
func rsaLeaf(t *testing.T, now time.Time) *fixtures.Issued {
	t.Helper()
	p, err := fixtures.Build(now, fixtures.CertSpec{Name: "leaf", CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, Key: fixtures.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	return p.Get("leaf")
}

func startSServer(t *testing.T, leaf *fixtures.Issued, args ...string) *fixtures.SServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := fixtures.StartSServer(ctx, t.TempDir(), leaf.PEM(), leaf.KeyPEM(), args...)
	if errors.Is(err, fixtures.ErrNoOpenSSL) {
		t.Skip("openssl is not installed: apt-get install -y openssl")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// scan runs the default probe and the scan, as `tlsdoctor --scan` does.
func scan(t *testing.T, port int, opts probe.ScanOptions) *probe.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	target := probe.Target{Input: "127.0.0.1", Host: "127.0.0.1", Port: port}
	rec, err := probe.Run(ctx, probe.Options{Target: target, Tool: "tlsdoctor test"})
	if err != nil {
		t.Fatal(err)
	}
	probe.RunScan(ctx, rec, opts)
	if rec.Scan.Incomplete {
		t.Fatalf("scan incomplete: %v", rec.Scan.Errors)
	}
	return rec
}

func saveRecord(t *testing.T, name string, rec *probe.Record) {
	t.Helper()
	if !*update {
		return
	}
	// Timings vary from run to run; the checks never read them.
	rec.DurationMS, rec.Scan.DurationMS = 0, 0
	for i := range rec.Attempts {
		rec.Attempts[i].Timings = probe.Timings{}
	}
	rec.Target.Port, rec.Target.ConnectPort = 443, 443
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "testdata", "records", name+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func version(t *testing.T, rec *probe.Record, name string) probe.ScanVersion {
	t.Helper()
	for _, v := range rec.Scan.Versions {
		if v.Version == name {
			return v
		}
	}
	t.Fatalf("no %s in scan", name)
	return probe.ScanVersion{}
}

func supportedNames(rec *probe.Record) []string {
	var out []string
	for _, v := range rec.Scan.Versions {
		if v.Supported {
			out = append(out, v.Version)
		}
	}
	return out
}

func suiteNames(v probe.ScanVersion) []string {
	var out []string
	for _, s := range v.Suites {
		out = append(out, s.Name)
	}
	return out
}

// totalSuites counts accepted suites over all versions.
func totalSuites(rec *probe.Record) int {
	n := 0
	for _, v := range rec.Scan.Versions {
		n += len(v.Suites)
	}
	return n
}

// checkBudget asserts the elimination bound: one handshake per accepted
// suite, one refusal per version, one preference test per version, one
// DH probe per version and the group eliminations.
func checkBudget(t *testing.T, rec *probe.Record) {
	t.Helper()
	max := totalSuites(rec) + 3*len(rec.Scan.Versions) + 2*len(rec.Scan.Groups) + 6
	if rec.Scan.Handshakes > max {
		t.Errorf("scan used %d handshakes for %d suites, want at most %d", rec.Scan.Handshakes, totalSuites(rec), max)
	}
}

func TestScanTLS10Only(t *testing.T) {
	now := time.Now()
	s := startSServer(t, rsaLeaf(t, now), "-tls1", "-cipher", "ALL:@SECLEVEL=0")
	rec := scan(t, s.Port, probe.ScanOptions{})
	if got := supportedNames(rec); !slices.Equal(got, []string{"TLS 1.0"}) {
		t.Fatalf("supported versions = %v, want [TLS 1.0]", got)
	}
	v := version(t, rec, "TLS 1.0")
	if !slices.Contains(suiteNames(v), "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA") || !slices.Contains(suiteNames(v), "TLS_RSA_WITH_AES_256_CBC_SHA") {
		t.Errorf("TLS 1.0 suites = %v, want ECDHE-RSA-AES128-SHA and AES256-SHA among them", suiteNames(v))
	}
	if r := version(t, rec, "TLS 1.2").Refusal; r == "" {
		t.Error("TLS 1.2 refusal not recorded")
	}
	checkBudget(t, rec)
	saveRecord(t, "scan-tls10-only", rec)
}

func TestScanNullSuites(t *testing.T) {
	s := startSServer(t, rsaLeaf(t, time.Now()), "-no_tls1_3", "-cipher", "eNULL:AES128-SHA:@SECLEVEL=0")
	rec := scan(t, s.Port, probe.ScanOptions{})
	v := version(t, rec, "TLS 1.2")
	nulls := 0
	for _, n := range suiteNames(v) {
		if strings.Contains(n, "_WITH_NULL_") {
			nulls++
		}
	}
	if nulls < 3 || !slices.Contains(suiteNames(v), "TLS_RSA_WITH_AES_128_CBC_SHA") {
		t.Errorf("TLS 1.2 suites = %v, want at least 3 NULL suites and AES128-SHA", suiteNames(v))
	}
	checkBudget(t, rec)
	saveRecord(t, "scan-null", rec)
}

func TestScanDHE1024(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed: apt-get install -y openssl")
	}
	dh, err := fixtures.DHParams(ctx, dir, 1024)
	if err != nil {
		t.Fatal(err)
	}
	s := startSServer(t, rsaLeaf(t, time.Now()), "-no_tls1_3", "-dhparam", dh, "-cipher", "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-CAMELLIA128-SHA:@SECLEVEL=0")
	rec := scan(t, s.Port, probe.ScanOptions{})
	v := version(t, rec, "TLS 1.2")
	if v.DHBits != 1024 {
		t.Errorf("TLS 1.2 DH bits = %d, want 1024", v.DHBits)
	}
	if got := suiteNames(v); len(got) != 2 {
		t.Errorf("TLS 1.2 suites = %v, want the 2 configured", got)
	}
	// crypto/tls cannot speak DHE: the default run's all-suites attempt
	// names the suite and brings the chain.
	a := rec.Attempt(probe.PurposeAllSuites)
	if a == nil || a.Outcome != "server-hello" || !strings.HasPrefix(a.CipherSuite, "TLS_DHE_RSA_") || len(rec.Chain()) != 1 {
		t.Errorf("all-suites attempt = %+v, chain %d certificates; want a DHE ServerHello and the 1-certificate chain", a, len(rec.Chain()))
	}
	saveRecord(t, "scan-dhe1024", rec)
}

// TestScanFFDHENamed: DHE with the RFC 7919 ffdhe2048 prime is named.
func TestScanFFDHENamed(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed: apt-get install -y openssl")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	params := filepath.Join(t.TempDir(), "ffdhe2048.pem")
	if out, err := exec.CommandContext(ctx, "openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", params).CombinedOutput(); err != nil {
		t.Fatalf("openssl genpkey: %v: %s", err, out)
	}
	s := startSServer(t, rsaLeaf(t, time.Now()), "-tls1_2", "-dhparam", params, "-cipher", "DHE-RSA-AES128-GCM-SHA256")
	rec := scan(t, s.Port, probe.ScanOptions{})
	if v := version(t, rec, "TLS 1.2"); v.DHBits != 2048 || v.DHGroup != "ffdhe2048" {
		t.Errorf("TLS 1.2 DH = %d bits, group %q; want 2048, ffdhe2048", v.DHBits, v.DHGroup)
	}
}

func TestScanX25519Only(t *testing.T) {
	s := startSServer(t, rsaLeaf(t, time.Now()), "-tls1_3", "-groups", "X25519")
	rec := scan(t, s.Port, probe.ScanOptions{})
	if len(rec.Scan.Groups) != 1 || rec.Scan.Groups[0].Name != "X25519" {
		t.Errorf("groups = %+v, want only X25519", rec.Scan.Groups)
	}
	saveRecord(t, "scan-x25519-only", rec)
}

func TestScanTLS13Only(t *testing.T) {
	s := startSServer(t, rsaLeaf(t, time.Now()), "-tls1_3")
	rec := scan(t, s.Port, probe.ScanOptions{})
	if got := supportedNames(rec); !slices.Equal(got, []string{"TLS 1.3"}) {
		t.Fatalf("supported versions = %v, want [TLS 1.3]", got)
	}
	v := version(t, rec, "TLS 1.3")
	want := []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
	got := suiteNames(v)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("TLS 1.3 suites = %v, want %v", got, want)
	}
	var groups []string
	for _, g := range rec.Scan.Groups {
		groups = append(groups, g.Name)
	}
	// OpenSSL 3.0's default TLS 1.3 groups.
	want = []string{"X25519", "CurveP256", "X448", "CurveP521", "CurveP384", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"}
	slices.Sort(want)
	slices.Sort(groups)
	if rec.Scan.GroupsVersion != "TLS 1.3" || !slices.Equal(groups, want) {
		t.Errorf("groups = %v (%s), want %v in TLS 1.3", groups, rec.Scan.GroupsVersion, want)
	}
	checkBudget(t, rec)
	saveRecord(t, "scan-tls13-only", rec)
}

func TestScanServerPreference(t *testing.T) {
	order := "ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256"
	wantOrder := []string{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}
	leaf := rsaLeaf(t, time.Now())
	t.Run("on", func(t *testing.T) {
		s := startSServer(t, leaf, "-no_tls1_3", "-serverpref", "-cipher", order)
		rec := scan(t, s.Port, probe.ScanOptions{})
		v := version(t, rec, "TLS 1.2")
		if v.Preference != "server" || !slices.Equal(suiteNames(v), wantOrder) {
			t.Errorf("preference %q, suites %v; want server order %v", v.Preference, suiteNames(v), wantOrder)
		}
		saveRecord(t, "scan-serverpref", rec)
	})
	t.Run("off", func(t *testing.T) {
		s := startSServer(t, leaf, "-no_tls1_3", "-cipher", order)
		rec := scan(t, s.Port, probe.ScanOptions{MaxConns: 1, Delay: 5 * time.Millisecond})
		v := version(t, rec, "TLS 1.2")
		if v.Preference != "client" || len(v.Suites) != 3 {
			t.Errorf("preference %q, suites %v; want client order and 3 suites", v.Preference, suiteNames(v))
		}
		saveRecord(t, "scan-clientpref", rec)
	})
}

func TestScanNoForwardSecrecy(t *testing.T) {
	leaf := rsaLeaf(t, time.Now())
	t.Run("preferred", func(t *testing.T) {
		s := startSServer(t, leaf, "-tls1_2", "-serverpref", "-cipher", "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256")
		rec := scan(t, s.Port, probe.ScanOptions{})
		v := version(t, rec, "TLS 1.2")
		if v.Preference != "server" || len(v.Suites) != 2 || v.Suites[0].Name != "TLS_RSA_WITH_AES_128_CBC_SHA" {
			t.Errorf("preference %q, suites %v; want server order with AES128-SHA first", v.Preference, suiteNames(v))
		}
		saveRecord(t, "scan-nofs-preferred", rec)
	})
	t.Run("only", func(t *testing.T) {
		s := startSServer(t, leaf, "-tls1_2", "-cipher", "AES128-SHA:AES256-GCM-SHA384")
		rec := scan(t, s.Port, probe.ScanOptions{})
		if got := suiteNames(version(t, rec, "TLS 1.2")); len(got) != 2 {
			t.Errorf("TLS 1.2 suites = %v, want 2", got)
		}
		saveRecord(t, "scan-nofs", rec)
	})
}

// TestScanGoServerGroups: a crypto/tls server speaks the hybrid
// post-quantum X25519MLKEM768 and names it first.
func TestScanGoServerGroups(t *testing.T) {
	leaf := rsaLeaf(t, time.Now())
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key}},
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.CurveP384}}
	ln := listen(t)
	go serveTLS(ln, cfg)
	rec := scan(t, port(ln), probe.ScanOptions{})
	var groups []string
	for _, g := range rec.Scan.Groups {
		groups = append(groups, g.Name)
	}
	if want := []string{"X25519MLKEM768", "CurveP384"}; !slices.Equal(groups, want) {
		t.Errorf("groups = %v, want %v in the server's order", groups, want)
	}
}

// TestScanGoServerWeakSuites enumerates an in-process crypto/tls server
// configured with RC4 and 3DES (which crypto/tls still serves when asked).
func TestScanGoServerWeakSuites(t *testing.T) {
	leaf := rsaLeaf(t, time.Now())
	cert := tls.Certificate{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key}
	suites := []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_RC4_128_SHA}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12, CipherSuites: suites}
	go func() {
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
	}()
	rec := scan(t, ln.Addr().(*net.TCPAddr).Port, probe.ScanOptions{})
	v := version(t, rec, "TLS 1.2")
	got := suiteNames(v)
	for _, want := range []string{"TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"} {
		if !slices.Contains(got, want) {
			t.Errorf("TLS 1.2 suites = %v, missing %s", got, want)
		}
	}
	saveRecord(t, "scan-go-rc4-3des", rec)
}

func sigAlgNames(sc *probe.Scan) []string {
	var out []string
	for _, a := range sc.SigAlgs {
		out = append(out, a.Name)
	}
	return out
}

// TestScanSigAlgs enumerates the TLS 1.2 signature schemes a real
// openssl s_server signs with: by default (SECLEVEL 2) SHA-224 and up, no
// SHA-1; configured like an old server, SHA-1 only, which the default
// run's retries name too.
func TestScanSigAlgs(t *testing.T) {
	leaf := rsaLeaf(t, time.Now())
	t.Run("default", func(t *testing.T) {
		s := startSServer(t, leaf, "-no_tls1_3", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
		rec := scan(t, s.Port, probe.ScanOptions{})
		got := sigAlgNames(rec.Scan)
		for _, want := range []string{"rsa_pss_rsae_sha256", "rsa_pkcs1_sha256", "rsa_pkcs1_sha512"} {
			if !slices.Contains(got, want) {
				t.Errorf("signature schemes %v, want %s among them", got, want)
			}
		}
		for _, a := range rec.Scan.SigAlgs {
			if probe.LegacySigAlg(a.ID) && a.Name != "rsa_pkcs1_sha224" {
				t.Errorf("signature schemes %v: SECLEVEL 2 does not sign with %s", got, a.Name)
			}
			if strings.HasPrefix(a.Name, "ecdsa") || strings.HasPrefix(a.Name, "rsa_pss_pss") {
				t.Errorf("signature schemes %v: %s does not fit an RSA (rsaEncryption) key", got, a.Name)
			}
		}
	})
	t.Run("sha1 only", func(t *testing.T) {
		s := startSServer(t, leaf, "-tls1_2", "-cipher", "DEFAULT@SECLEVEL=0", "-sigalgs", "RSA+SHA1")
		rec := scan(t, s.Port, probe.ScanOptions{})
		if got := sigAlgNames(rec.Scan); !slices.Equal(got, []string{"rsa_pkcs1_sha1"}) {
			t.Errorf("signature schemes %v, want [rsa_pkcs1_sha1]", got)
		}
		a, m := rec.Attempt(probe.PurposeAllSuites), rec.Attempt(probe.PurposeModernSigAlgs)
		if a == nil || a.SigAlg != "rsa_pkcs1_sha1" || m == nil || m.Outcome != "failed" || m.Error == nil || m.Error.Kind != probe.KindAlert {
			t.Errorf("all-suites %+v, modern-sigalgs %+v; want an rsa_pkcs1_sha1 answer, then a refusal", a, m)
		}
		saveRecord(t, "scan-sha1-signatures", rec)
	})
}
