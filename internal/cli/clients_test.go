package cli

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// TestOpenSSLMessages connects the real openssl s_client (verifying,
// against the lab root) to each fault scenario and checks that the
// message our finding quotes for openssl is what it prints.
func TestOpenSSLMessages(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	for _, tc := range []struct{ scenario, id string }{
		{"missing-intermediate", "chain-incomplete"},
		{"self-signed", "self-signed"},
		{"untrusted-root", "untrusted-root"},
		{"expired", "cert-expired"},
		{"expired-intermediate", "cert-expired"},
		{"weak-key", "weak-key"},
		{"sha1", "weak-signature"},
		{"eku-client-only", "eku-missing"},
		{"not-a-ca", "ca-constraints"},
		{"ca-false", "ca-constraints"},
		{"path-length", "ca-constraints"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			srv := startScenario(t, l, tc.scenario)
			r := runTrustCLI(t, nil, append(target(srv.Port), "--format", "json", "--ca-file", ca)...)
			var quoted string
			for _, f := range reports(t, r.stdout)[0].Findings {
				if f.ID != tc.id {
					continue
				}
				for _, c := range f.Clients {
					if c.Client == "openssl" {
						quoted = c.Message
					}
				}
			}
			if quoted == "" {
				t.Fatalf("no %s finding with an openssl verdict", tc.id)
			}
			want := strings.TrimPrefix(quoted, "Verification error: ")
			if i := strings.Index(want, " (verify error"); i > 0 {
				want = want[:i]
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", srv.Port), "-servername", "localhost",
				"-verify_return_error", "-CAfile", ca, "-verify_hostname", "localhost")
			cmd.Stdin = strings.NewReader("")
			cmd.Dir = filepath.Dir(ca)
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), want) {
				t.Errorf("openssl does not print %q; it printed:\n%s", want, out)
			}
		})
	}
}

// javaClient is a minimal Java TLS client: for each host:port argument it
// handshakes with HTTPS endpoint identification against the default
// truststore (set by -Djavax.net.ssl.trustStore) and prints one line: OK,
// or the exception chain.
const javaClient = `
import javax.net.ssl.*;
public class TlsClient {
  public static void main(String[] args) throws Exception {
    SSLSocketFactory f = (SSLSocketFactory) SSLSocketFactory.getDefault();
    for (String a : args) {
      String[] hp = a.split(":");
      try (SSLSocket s = (SSLSocket) f.createSocket(hp[0], Integer.parseInt(hp[1]))) {
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        s.setSoTimeout(5000);
        s.startHandshake();
        System.out.println(a + " OK");
      } catch (Exception e) {
        StringBuilder b = new StringBuilder(e.toString());
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) b.append(" | caused by ").append(c.toString());
        System.out.println(a + " " + b.toString().replace("\n", " "));
      }
    }
  }
}
`

// TestJavaMessages runs a real Java 17 client against each fault and
// checks each finding's java verdict: fails with the quoted message, or
// connects when we say it does.
func TestJavaMessages(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed (apt-get install -y default-jdk-headless)")
	}
	l := newLab(t)
	dir := t.TempDir()
	writeFile(t, dir, "root.pem", l.RootPEM())
	ca := filepath.Join(dir, "root.pem")
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "ts.p12", "-storepass", "changeit", "-storetype", "PKCS12")
	src := writeFile(t, dir, "TlsClient.java", []byte(javaClient))
	cases := []struct{ scenario, id string }{
		{"missing-intermediate", "chain-incomplete"},
		{"self-signed", "self-signed"},
		{"untrusted-root", "untrusted-root"},
		{"expired", "cert-expired"},
		{"wrong-host", "hostname-mismatch"},
		{"eku-client-only", "eku-missing"},
		{"not-a-ca", "ca-constraints"},
		{"ca-false", "ca-constraints"},
		{"path-length", "ca-constraints"},
		{"no-san", "no-san"},
		{"weak-key", "weak-key"},
		{"sha1", "weak-signature"},
		{"wrong-order", "chain-order"},
		// Java 17 still offers SHA-1 signature schemes: it connects.
		{"sha1-signatures", "cipher-mismatch"},
	}
	var addrs []string
	verdicts := map[string]string{} // addr -> quoted java message, or "" when it should connect
	for _, tc := range cases {
		srv := startScenario(t, l, tc.scenario)
		addr := fmt.Sprintf("localhost:%d", srv.Port)
		r := runTrustCLI(t, nil, append(target(srv.Port), "--format", "json", "--ca-file", ca)...)
		found := false
		for _, f := range reports(t, r.stdout)[0].Findings {
			for _, c := range f.Clients {
				if f.ID == tc.id && c.Client == "java" {
					found = true
					verdicts[addr] = ""
					if c.Fails {
						verdicts[addr] = c.Message
					}
				}
			}
		}
		if !found {
			t.Fatalf("%s: no %s finding with a java verdict", tc.scenario, tc.id)
		}
		addrs = append(addrs, addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, java, append([]string{"-Djavax.net.ssl.trustStore=" + filepath.Join(dir, "ts.p12"), "-Djavax.net.ssl.trustStorePassword=changeit", src}, addrs...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("java: %v\n%s", err, out)
	}
	lines := map[string]string{}
	for _, ln := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if a, rest, ok := strings.Cut(ln, " "); ok {
			lines[a] = rest
		}
	}
	for i, addr := range addrs {
		got, want := lines[addr], verdicts[addr]
		if want == "" {
			if got != "OK" {
				t.Errorf("%s: we say java connects; it printed %q", cases[i].scenario, got)
			}
			continue
		}
		// Compare the part before any placeholder we fill or shorten.
		stable := want
		for _, cut := range []string{" (caused by", "DATE", "HOST"} {
			if j := strings.Index(stable, cut); j > 0 {
				stable = stable[:j]
			}
		}
		if !strings.Contains(got, strings.TrimSpace(stable)) {
			t.Errorf("%s: we quote java %q; it printed %q", cases[i].scenario, stable, got)
		}
	}
}

var openSSLPatch = regexp.MustCompile(`OpenSSL/3\.0\.\d+`)

// TestCurlMessages runs the real curl against each fault and checks each
// finding's curl verdict: fails with the quoted message, or connects.
func TestCurlMessages(t *testing.T) {
	bin, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed (apt-get install -y curl)")
	}
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	for _, tc := range []struct{ scenario, id string }{
		{"missing-intermediate", "chain-incomplete"},
		{"missing-intermediate-aia", "chain-incomplete"},
		{"self-signed", "self-signed"},
		{"untrusted-root", "untrusted-root"},
		{"expired", "cert-expired"},
		{"wrong-host", "hostname-mismatch"},
		{"no-san", "no-san"},
		{"weak-key", "weak-key"},
		{"sha1", "weak-signature"},
		{"eku-client-only", "eku-missing"},
		{"not-a-ca", "ca-constraints"},
		{"path-length", "ca-constraints"},
		{"wrong-order", "chain-order"},
		{"sha1-signatures", "cipher-mismatch"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			srv := startScenario(t, l, tc.scenario)
			r := runTrustCLI(t, nil, append(target(srv.Port), "--format", "json", "--ca-file", ca)...)
			var v *checks.ClientVerdict
			for _, f := range reports(t, r.stdout)[0].Findings {
				for i, c := range f.Clients {
					if f.ID == tc.id && c.Client == "curl" {
						v = &f.Clients[i]
					}
				}
			}
			if v == nil {
				t.Fatalf("no %s finding with a curl verdict", tc.id)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-sS", "-o", "/dev/null", "--cacert", ca, "--resolve", fmt.Sprintf("localhost:%d:127.0.0.1", srv.Port), fmt.Sprintf("https://localhost:%d/", srv.Port))
			out, err := cmd.CombinedOutput()
			if !v.Fails {
				if err != nil {
					t.Errorf("we say curl connects; it printed %q (%v)", out, err)
				}
				return
			}
			want := v.Message
			if i := strings.Index(want, "'HOST'"); i > 0 {
				want = want[:i]
			}
			// We quote "OpenSSL/3.0"; curl names the patch release too.
			if !strings.Contains(openSSLPatch.ReplaceAllString(string(out), "OpenSSL/3.0"), want) {
				t.Errorf("we quote curl %q; it printed %q", want, out)
			}
		})
	}
}

// TestJavaAIA: for a chain completed from AIA, Java fails by default and
// connects with com.sun.security.enableAIAcaIssuers, as the
// chain-incomplete finding says.
func TestJavaAIA(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed (apt-get install -y default-jdk-headless)")
	}
	l := newLab(t)
	dir := t.TempDir()
	writeFile(t, dir, "root.pem", l.RootPEM())
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "ts.p12", "-storepass", "changeit", "-storetype", "PKCS12")
	src := writeFile(t, dir, "TlsClient.java", []byte(javaClient))
	srv := startScenario(t, l, "missing-intermediate-aia")
	addr := fmt.Sprintf("localhost:%d", srv.Port)
	r := runTrustCLI(t, nil, append(target(srv.Port), "--format", "json", "--ca-file", filepath.Join(dir, "root.pem"))...)
	verdict := map[string]checks.ClientVerdict{}
	for _, f := range reports(t, r.stdout)[0].Findings {
		if f.ID == "chain-incomplete" {
			for _, c := range f.Clients {
				verdict[c.Client] = c
			}
		}
	}
	if !verdict["java"].Fails || verdict["java-aia"].Fails {
		t.Fatalf("verdicts %+v: want java failing and java-aia connecting", verdict)
	}
	for _, aia := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		args := []string{"-Djavax.net.ssl.trustStore=" + filepath.Join(dir, "ts.p12"), "-Djavax.net.ssl.trustStorePassword=changeit"}
		if aia {
			args = append(args, "-Dcom.sun.security.enableAIAcaIssuers=true")
		}
		out, err := exec.CommandContext(ctx, java, append(args, src, addr)...).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("java: %v\n%s", err, out)
		}
		got := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), addr))
		switch {
		case aia && got != "OK":
			t.Errorf("java with AIA fetching: %q, want OK", got)
		case !aia && !strings.Contains(got, verdict["java"].Message):
			t.Errorf("java: %q, want %q", got, verdict["java"].Message)
		}
	}
}

// TestPythonMessages runs Python's ssl module (OpenSSL underneath, the
// default context) against the trust faults and checks the quoted
// python message.
func TestPythonMessages(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	const client = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="localhost"):
            print("OK")
except Exception as e:
    print("%s.%s: %s" % (type(e).__module__, type(e).__name__, e))
`
	for _, tc := range []struct{ scenario, id string }{
		{"missing-intermediate", "chain-incomplete"},
		{"missing-intermediate-aia", "chain-incomplete"},
		{"self-signed", "self-signed"},
		{"untrusted-root", "untrusted-root"},
		// The negotiation lines (python is a default client there too):
		// judged from its profile, so each is checked against Python.
		{"tls10-only", "version-mismatch"},
		{"cbc-rsa-only", "cipher-mismatch"},
		{"dhe-1024", "weak-dh"},
		{"sha1-signatures", "cipher-mismatch"},
		{"dh-composite", "dh-group-unsafe"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			srv := startScenario(t, l, tc.scenario)
			line := func(flags ...string) *checks.ClientVerdict {
				r := runTrustCLI(t, nil, append(append(target(srv.Port), "--format", "json", "--ca-file", ca), flags...)...)
				for _, f := range reports(t, r.stdout)[0].Findings {
					for i, c := range f.Clients {
						if f.ID == tc.id && c.Client == "python" {
							return &f.Clients[i]
						}
					}
				}
				return nil
			}
			v := line()
			if v != nil && v.Unknown && strings.Contains(v.Message, "--scan tells") {
				// The default run cannot tell; the scan it points to must.
				v = line("--scan")
			}
			if v == nil {
				t.Fatalf("no %s finding with a python verdict", tc.id)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, py, "-c", client, ca, strconv.Itoa(srv.Port)).CombinedOutput()
			if err != nil {
				t.Fatalf("python: %v\n%s", err, out)
			}
			t.Logf("python line %+v; python printed %q", *v, out)
			switch {
			case v.Unknown:
				t.Errorf("we cannot tell for python (%s); it printed %q", v.Message, out)
			case !v.Fails && strings.Contains(tc.scenario, "dh") && strings.Contains(string(out), "timed out"):
				// The DHE fixtures send their first flight only: a client
				// that accepts the group sends its key exchange and waits.
			case !v.Fails && strings.TrimSpace(string(out)) != "OK":
				t.Errorf("we say python connects (%s); it printed %q", v.Message, out)
			case v.Fails && !strings.Contains(string(out), v.Message):
				t.Errorf("we quote python %q; it printed %q", v.Message, out)
			}
		})
	}
}

// Under --tls-max 1.2 the default run is a TLS 1.2 client's: the
// client-certificate refusal comes during the handshake, and curl's line
// is exit 35, not TLS 1.3's 56 (issue 10).
func TestTLSMaxProbesAsThatClient(t *testing.T) {
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	srv := startScenario(t, l, "client-cert-required")
	for _, tc := range []struct {
		flags []string
		curl  string
	}{
		{nil, "curl: (56)"},
		{[]string{"--tls-max", "1.2"}, "curl: (35)"},
		{[]string{"--client", "openssl1.0.2"}, ""},
	} {
		t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
			r := runTrustCLI(t, nil, append(append(target(srv.Port), "--format", "json", "--ca-file", ca), tc.flags...)...)
			fs := reports(t, r.stdout)[0].Findings
			var req *checks.Finding
			for i := range fs {
				if fs[i].ID == "client-cert-required" {
					req = &fs[i]
				}
			}
			if req == nil {
				t.Fatalf("no client-cert-required:\n%s", r.stdout)
			}
			if tc.curl == "" {
				if len(req.Clients) != 1 || req.Clients[0].Client != "openssl" || req.Clients[0].Unknown {
					t.Errorf("--client openssl1.0.2: clients %+v, want the openssl line of a TLS 1.2 handshake", req.Clients)
				}
				return
			}
			found := false
			for _, c := range req.Clients {
				found = found || c.Client == "curl" && strings.HasPrefix(c.Message, tc.curl)
			}
			if !found {
				t.Errorf("%v: clients %+v, evidence %q; want %s", tc.flags, req.Clients, req.Evidence, tc.curl)
			}
		})
	}
}
