package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

func runScanCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	r := invoke(t, nil, args...)
	return r.code, r.stdout, r.stderr
}

func TestScanFlagErrors(t *testing.T) {
	tests := []struct {
		args       []string
		stderr     string
		hintPrefix string
	}{
		{[]string{"--client", "nosuch", "example.com"}, `tlsdoctor: error: --client "nosuch" is not a known client`, "hint: clients: java8, java11"},
		{[]string{"--max-conns", "0", "--scan", "example.com"}, "tlsdoctor: error: --max-conns must be at least 1, got 0", "hint: --max-conns 1 --delay 200ms"},
		{[]string{"--max-conns", "100", "--scan", "example.com"}, "tlsdoctor: error: --max-conns 100 would hammer the server (at most 16)", "hint: the default"},
		{[]string{"--delay", "-1s", "--scan", "example.com"}, "tlsdoctor: error: --delay must not be negative", "hint: for example"},
		{[]string{"--tls-min", "1.4", "example.com"}, `tlsdoctor: error: --tls-min "1.4" is not a TLS version`, "hint: --tls-min 1.2"},
		{[]string{"--tls-min", "1.3", "--tls-max", "1.2", "example.com"}, "tlsdoctor: error: --tls-min 1.3 is above --tls-max 1.2", "hint: for example"},
		{[]string{"--ciphers", "NOT-A-SUITE", "example.com"}, `tlsdoctor: error: --ciphers: "NOT-A-SUITE" is not a cipher suite name`, "hint: use IANA names"},
		{[]string{"--client", "java17", "--tls-min", "1.2", "example.com"}, "tlsdoctor: error: --client and --tls-min/--tls-max/--ciphers contradict each other", "hint: --client names"},
		{[]string{"--policy", "strict", "example.com"}, `tlsdoctor: error: --policy "strict" is not a known policy`, "hint: policies: mozilla-modern, mozilla-intermediate, mozilla-old"},
		{[]string{"--max-conns", "x", "example.com"}, `tlsdoctor: error: invalid argument "x" for "--max-conns" flag`, "hint: run 'tlsdoctor --help'"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runScanCLI(t, tt.args...)
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if code != ExitUsage || stdout != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], tt.stderr) || !strings.HasPrefix(lines[1], tt.hintPrefix) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, no stdout, %q + %q", code, stdout, stderr, tt.stderr, tt.hintPrefix)
			}
		})
	}
}

func startTLS10(t *testing.T) int {
	t.Helper()
	p, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "leaf", CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, Key: fixtures.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leaf := p.Get("leaf")
	s, err := fixtures.StartSServer(ctx, t.TempDir(), leaf.PEM(), leaf.KeyPEM(), "-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:AES128-SHA:@SECLEVEL=0")
	if errors.Is(err, fixtures.ErrNoOpenSSL) {
		t.Skip("openssl is not installed: apt-get install -y openssl")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s.Port
}

// TestClientVerdicts runs --client profiles against a TLS 1.0-only
// openssl s_server and checks each verdict.
func TestClientVerdicts(t *testing.T) {
	port := startTLS10(t)
	target := "127.0.0.1:" + strconv.Itoa(port)
	tests := []struct {
		client string
		want   string // finding ID naming the verdict
	}{
		{"java17", "version-mismatch"},
		{"java8", "version-mismatch"},
		{"go", "version-mismatch"},
		{"curl", "version-mismatch"},
		{"openssl1.0.2", "client-compatible"},
		{"openssl1.1.1", "client-compatible"},
	}
	for _, tt := range tests {
		t.Run(tt.client, func(t *testing.T) {
			code, stdout, stderr := runScanCLI(t, "--client", tt.client, "--max-conns", "2", "--format", "json", target)
			if code != ExitFindings {
				t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
			}
			var rep struct {
				Record struct {
					Scan *struct {
						Handshakes int `json:"handshakes"`
					} `json:"scan"`
				} `json:"record"`
				Findings []struct {
					ID    string `json:"id"`
					Title string `json:"title"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Record.Scan == nil || rep.Record.Scan.Handshakes == 0 {
				t.Fatal("--client did not run the scan")
			}
			var ids []string
			for _, f := range rep.Findings {
				ids = append(ids, f.ID)
				if f.ID == tt.want && !strings.HasPrefix(f.Title, tt.client+" ") {
					t.Errorf("%s title %q does not name the client", f.ID, f.Title)
				}
			}
			if !contains(ids, tt.want) {
				t.Errorf("findings %v lack %s", ids, tt.want)
			}
		})
	}
}

func TestScanTextTable(t *testing.T) {
	port := startTLS10(t)
	code, stdout, stderr := runScanCLI(t, "--scan", "--color", "never", "127.0.0.1:"+strconv.Itoa(port))
	if code != ExitFindings {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	for _, want := range []string{"Protocols and cipher suites", "TLS 1.0  yes (2 suites", "TLS 1.2  no", "ECDHE-RSA-AES128-SHA", "warning: no forward secrecy", "protocol-legacy"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestDiagnoseClientOffline judges a recorded scan against a client with
// no network.
func TestDiagnoseClientOffline(t *testing.T) {
	rec := "../../testdata/records/scan-tls10-only.json"
	code, stdout, stderr := runScanCLI(t, "diagnose", "--record", rec, "--client", "java17", "-q")
	if code != ExitFindings || !strings.Contains(stdout, "ERROR version-mismatch: java17 cannot connect: no common protocol version") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and a java17 version-mismatch", code, stdout, stderr)
	}
	code, stdout, stderr = runScanCLI(t, "diagnose", "--record", rec, "--policy", "mozilla-old", "-q")
	if code != ExitFindings || !strings.Contains(stdout, "WARNING policy-deviation:") {
		t.Errorf("exit %d, stdout %q, stderr %q; want a policy-deviation", code, stdout, stderr)
	}
	code, _, stderr = runScanCLI(t, "diagnose", "--record", rec, "--client", "java99")
	if code != ExitUsage || !strings.HasPrefix(stderr, `tlsdoctor: error: --client "java99" is not a known client`) {
		t.Errorf("exit %d, stderr %q; want exit 2 naming --client", code, stderr)
	}
}

// TestCustomClient: --tls-min/--tls-max/--ciphers describe a client; against
// a TLS 1.3-only server a TLS 1.2 client has no common version, a TLS 1.3
// one connects.
func TestCustomClient(t *testing.T) {
	p, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "leaf", CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leaf := p.Get("leaf")
	s, err := fixtures.StartSServer(ctx, t.TempDir(), leaf.PEM(), leaf.KeyPEM(), "-tls1_3")
	if errors.Is(err, fixtures.ErrNoOpenSSL) {
		t.Skip("openssl is not installed: apt-get install -y openssl")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	target := "127.0.0.1:" + strconv.Itoa(s.Port)
	_, stdout, stderr := runScanCLI(t, "--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256", "-q", target)
	if !strings.Contains(stdout, "ERROR version-mismatch: custom client cannot connect: no common protocol version") {
		t.Errorf("stdout %q, stderr %q; want a version-mismatch for the custom client", stdout, stderr)
	}
	_, stdout, stderr = runScanCLI(t, "--tls-min", "1.3", "-q", target)
	if !strings.Contains(stdout, "INFO client-compatible: custom client can connect: TLS 1.3") {
		t.Errorf("stdout %q, stderr %q; want the custom client to connect with TLS 1.3", stdout, stderr)
	}
}
