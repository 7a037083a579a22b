package checks_test

// Issue 10 against real peers: openssl s_server (weak suites, DH groups),
// gnutls-serv (a DH group OpenSSL 3 refuses to serve), nginx on a
// non-443 port (client authentication in the HTTP layer), and, with
// TLSDOCTOR_REAL=1 (make test-real), Java clients and a Java (JSSE) server
// compiled at test time. Each test also runs the real clients and checks
// that what tlsdoctor says of them is what they do.

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// rsaPeerFiles writes an RSA leaf (DHE_RSA and static RSA need one) with
// its chain, key and the lab root.
func rsaPeerFiles(t *testing.T, l *fixtures.Lab) peerFiles {
	t.Helper()
	name := fmt.Sprintf("peer-rsa-%d", time.Now().UnixNano())
	loop := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	if _, err := l.PKI.Issue(fixtures.CertSpec{Name: name, Parent: "intermediate", CommonName: fixtures.Host, DNSNames: []string{fixtures.Host}, IPs: loop, Key: fixtures.RSA2048}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w := func(file string, data []byte) string {
		p := filepath.Join(dir, file)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return peerFiles{dir: dir, cert: w("server.pem", l.PKI.ChainPEM(name, "intermediate")), leaf: w("leaf.pem", l.PKI.ChainPEM(name)),
		key: w("server.key", l.PKI.Get(name).KeyPEM()), chain: w("inter.pem", l.PKI.ChainPEM("intermediate")), root: w("root.pem", l.RootPEM())}
}

func writeDHParams(t *testing.T, dir, name string, g fixtures.DHGroup) string {
	t.Helper()
	der, err := asn1.Marshal(struct{ P, G *big.Int }{g.P, g.G})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "DH PARAMETERS", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// probePort runs the default run against 127.0.0.1:port (named
// localhost, no scheme) and judges it with the lab root.
func probePort(t *testing.T, l *fixtures.Lab, port int, alpn ...string) (*probe.Record, []checks.Finding) {
	t.Helper()
	tg := labTarget(port)
	tg.ALPN = alpn
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	rec, err := probe.Run(ctx, probe.Options{Target: tg, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}})
	if err != nil {
		t.Fatal(err)
	}
	return rec, checks.Run(rec, checks.Env{Now: time.Now(), Truststores: []checks.Truststore{checks.NewTruststore("lab", []*x509.Certificate{l.PKI.Get("root").Cert})}})
}

// realCurl runs curl against the port and returns its exit code and
// stderr line.
func realCurl(t *testing.T, root string, port int, extra ...string) (int, string) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed (apt-get install -y curl)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args := append([]string{"-sS", "-o", "/dev/null", "--cacert", root}, extra...)
	out, err := exec.CommandContext(ctx, "curl", append(args, "https://127.0.0.1:"+strconv.Itoa(port)+"/")...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return code, strings.TrimSpace(string(out))
}

// curlSays checks that the finding's curl line is what real curl did: it
// works when curl exited 0, and fails with curl's message (OpenSSL's
// version number aside) otherwise.
func curlSays(t *testing.T, f *checks.Finding, code int, out string) {
	t.Helper()
	v := verdicts(f)["curl"]
	switch {
	case code == 0 && v != "works":
		t.Errorf("%s says curl %s (%s); real curl connected", f.ID, v, clientMessage(f, "curl"))
	case code != 0 && v != "fails":
		t.Errorf("%s says curl %s; real curl: %s", f.ID, v, out)
	case code != 0 && !strings.Contains(strings.ReplaceAll(out, "OpenSSL/3.0.19", "OpenSSL/3.0"), clientMessage(f, "curl")):
		t.Errorf("%s: curl line %q; real curl printed %q", f.ID, clientMessage(f, "curl"), out)
	}
}

func TestAccuracyAgainstOpenSSLServer(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	l := liveLab(t)
	f := rsaPeerFiles(t, l)
	dh1024, err := fixtures.DHParams(context.Background(), f.dir, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		want  map[string]string // id -> severity
		lines string            // the finding whose client lines are checked
		// scan: the lines are judged from a scan (the default run alone
		// does not show which suite the server picks for curl).
		scan bool
	}{
		{"static-RSA CBC only", []string{"-tls1_2", "-cipher", "AES256-SHA:AES128-SHA"},
			map[string]string{"cipher-mismatch": "error", "weak-cipher": "warning", "no-forward-secrecy": "warning"}, "cipher-mismatch", false},
		{"1024-bit DHE only", []string{"-tls1_2", "-dhparam", dh1024, "-cipher", "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"},
			map[string]string{"cipher-mismatch": "error", "weak-dh": "warning"}, "weak-dh", false},
		{"composite DH modulus", []string{"-tls1_2", "-dhparam", writeDHParams(t, f.dir, "composite", fixtures.CompositeDHGroup()), "-cipher", "DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0"},
			map[string]string{"dh-group-unsafe": "error"}, "dh-group-unsafe", false},
		{"not a safe prime", []string{"-tls1_2", "-dhparam", writeDHParams(t, f.dir, "small-subgroup", fixtures.SmallSubgroupDHGroup()), "-cipher", "DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0"},
			map[string]string{"dh-group-unsafe": "warning"}, "dh-group-unsafe", false},
		{"generator p-1", []string{"-tls1_2", "-dhparam", writeDHParams(t, f.dir, "order2", fixtures.SmallOrderDHGroup()), "-cipher", "DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0"},
			map[string]string{"dh-group-unsafe": "error"}, "dh-group-unsafe", false},
		// curl offers TLS 1.0 but refuses the SHA-1 signature of its
		// ECDHE key exchange (legacy sigalg disallowed)...
		{"TLS 1.0 only", []string{"-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"},
			map[string]string{"version-mismatch": "error", "protocol-legacy": "warning", "weak-cipher": "warning"}, "version-mismatch", true},
		// ...and connects with an RSA key exchange, which is not signed.
		{"TLS 1.0 only, RSA key exchange", []string{"-tls1", "-cipher", "AES256-SHA:AES128-SHA:@SECLEVEL=0"},
			map[string]string{"version-mismatch": "error", "protocol-legacy": "warning", "weak-cipher": "warning"}, "version-mismatch", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := freePort(t)
			startPeer(t, port, filepath.Join(f.dir, "s_server-"+strconv.Itoa(port)+".log"), openssl, append([]string{"s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
				"-cert", f.leaf, "-cert_chain", f.chain, "-key", f.key, "-www", "-quiet"}, tc.args...)...)
			rec, fs := probePort(t, l, port)
			if tc.scan {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				probe.RunScan(ctx, rec, probe.ScanOptions{})
				cancel()
				fs = checks.Run(rec, checks.Env{Now: time.Now(), Truststores: []checks.Truststore{checks.NewTruststore("lab", []*x509.Certificate{l.PKI.Get("root").Cert})}})
			}
			for id, sev := range tc.want {
				if x := find(fs, id); x == nil || x.Severity.String() != sev {
					t.Errorf("want %s:%s; got %v", id, sev, idsOf(fs))
				}
			}
			x := find(fs, tc.lines)
			if x == nil {
				t.Fatalf("no %s", tc.lines)
			}
			if verdicts(x)["go"] != "fails" {
				t.Errorf("go line %+v: crypto/tls offers none of these", x.Clients)
			}
			code, out := realCurl(t, f.root, port)
			curlSays(t, x, code, out)
		})
	}
}

// TestAccuracyAgainstGnuTLSServer: gnutls-serv serves a 768-bit DH group,
// which OpenSSL 3 refuses to load. gnutls-serv binds every address, so it
// runs in a network namespace of its own (unshare -n, only loopback), and
// this test binary probes it from inside.
func TestAccuracyAgainstGnuTLSServer(t *testing.T) {
	if os.Getenv("TLSDOCTOR_NETNS_CHILD") != "" {
		gnutlsChild(t)
		return
	}
	for _, b := range []string{"gnutls-serv", "unshare", "ip"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed (apt-get install -y gnutls-bin util-linux iproute2)", b)
		}
	}
	if err := exec.Command("unshare", "-n", "true").Run(); err != nil {
		t.Skipf("no network namespace for gnutls-serv (it binds every address): unshare -n: %v", err)
	}
	out := filepath.Join(t.TempDir(), "rec.json")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "-n", os.Args[0], "-test.run=^TestAccuracyAgainstGnuTLSServer$", "-test.v")
	cmd.Env = append(os.Environ(), "TLSDOCTOR_NETNS_CHILD="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := probe.DecodeRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	fs := checks.Run(rec, checks.Env{Now: time.Now()})
	f := find(fs, "weak-dh")
	if f == nil || f.Severity != checks.Error || !strings.Contains(f.Title, "768-bit") {
		t.Fatalf("weak-dh = %+v; got %v", f, idsOf(fs))
	}
	if v := verdicts(f); v["curl"] != "fails" || v["java"] != "fails" {
		t.Errorf("clients %v: OpenSSL 3 and Java refuse a 768-bit group", v)
	}
}

func gnutlsChild(t *testing.T) {
	if err := exec.Command("ip", "link", "set", "lo", "up").Run(); err != nil {
		t.Fatal(err)
	}
	l := liveLab(t)
	f := rsaPeerFiles(t, l)
	dh, err := exec.Command("openssl", "dhparam", "-out", filepath.Join(f.dir, "dh768.pem"), "768").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl dhparam 768: %v %s", err, dh)
	}
	port := freePort(t)
	startPeer(t, port, filepath.Join(f.dir, "gnutls.log"), "gnutls-serv", "--http", "-p", strconv.Itoa(port), "--x509certfile", f.cert, "--x509keyfile", f.key,
		"--dhparams", filepath.Join(f.dir, "dh768.pem"), "--priority", "NORMAL:-VERS-TLS1.3:-KX-ALL:+DHE-RSA:%PROFILE_VERY_WEAK")
	rec, _ := probePort(t, l, port)
	data, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(os.Getenv("TLSDOCTOR_NETNS_CHILD"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// nginx with ssl_verify_client on, on a port that is not 443, probed as
// "localhost:PORT" (no https://, no ALPN): the 400 it answers is found,
// and with ALPN h2 over HTTP/2 too.
func TestClientAuthNginxNon443(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not installed (apt-get install -y nginx)")
	}
	l := liveLab(t)
	f := writePeerFiles(t, l)
	ports := []int{freePort(t), freePort(t), freePort(t)}
	conf := fmt.Sprintf(`worker_processes 1;
error_log %[1]s/error.log info;
events { worker_connections 32; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  ssl_certificate %[2]s;
  ssl_certificate_key %[3]s;
  ssl_verify_client on;
  ssl_client_certificate %[4]s;
  server { listen 127.0.0.1:%[5]d ssl; ssl_protocols TLSv1.2; location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:%[6]d ssl; ssl_protocols TLSv1.2 TLSv1.3; location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:%[7]d ssl http2; ssl_protocols TLSv1.2 TLSv1.3; location / { return 200 "ok\n"; } }
}
`, f.dir, f.cert, f.key, f.root, ports[0], ports[1], ports[2])
	confPath := filepath.Join(f.dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startPeer(t, ports[2], filepath.Join(f.dir, "nginx.log"), nginx, "-p", f.dir, "-c", confPath, "-e", filepath.Join(f.dir, "error.log"),
		"-g", "daemon off; pid "+filepath.Join(f.dir, "nginx.pid")+";")
	for i, name := range []string{"TLS 1.2", "TLS 1.3", "HTTP/2"} {
		t.Run(name, func(t *testing.T) {
			var alpn []string
			if i == 2 {
				alpn = []string{"h2", "http/1.1"}
			}
			rec, fs := probePort(t, l, ports[i], alpn...)
			if find(fs, "client-cert-required") == nil || find(fs, "client-auth-optional") != nil {
				t.Errorf("findings %v, want client-cert-required and no client-auth-optional (ALPN %q, post-handshake %+v)", idsOf(fs), rec.Primary().ALPN, rec.Primary().PostHandshake)
			}
			if i == 2 && rec.Primary().ALPN != "h2" {
				t.Errorf("ALPN %q, want h2", rec.Primary().ALPN)
			}
			if txt := checks.VerdictText(rec.Primary()); strings.Contains(txt, "accepted") {
				t.Errorf("verdict text %q next to an HTTP 400", txt)
			}
		})
	}
}

// javaTools compiles the Java helpers (a client and a JSSE server) into
// a temporary directory; it skips without TLSDOCTOR_REAL=1 or a JDK.
func javaTools(t *testing.T) string {
	t.Helper()
	if os.Getenv("TLSDOCTOR_REAL") == "" {
		t.Skip("Java peers run with TLSDOCTOR_REAL=1 (make test-real)")
	}
	if _, err := exec.LookPath("javac"); err != nil {
		t.Skip("javac not installed (apt-get install -y default-jdk-headless)")
	}
	dir := t.TempDir()
	for name, src := range map[string]string{"Get.java": javaClient, "Srv.java": jsseServer} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fixtures.RunTool(t, dir, "javac", "Get.java", "Srv.java")
	return dir
}

// javaClient connects with HttpsURLConnection (GET /) and prints OK or
// the exception.
const javaClient = `import javax.net.ssl.*;
public class Get {
  public static void main(String[] a) {
    try {
      HttpsURLConnection c = (HttpsURLConnection) new java.net.URL(a[0]).openConnection();
      c.setConnectTimeout(5000); c.setReadTimeout(5000);
      System.out.println("OK " + c.getResponseCode());
    } catch (Exception e) { System.out.println(e); System.exit(1); }
  }
}
`

// jsseServer is a JSSE HTTPS server on 127.0.0.1 that requires a client
// certificate: Srv PORT KEYSTORE.p12 TRUSTSTORE.p12 PASSWORD PROTOCOL.
const jsseServer = `import javax.net.ssl.*;
import java.io.*;
import java.security.KeyStore;
public class Srv {
  public static void main(String[] a) throws Exception {
    char[] pw = a[3].toCharArray();
    KeyStore ks = KeyStore.getInstance("PKCS12"); try (InputStream in = new FileInputStream(a[1])) { ks.load(in, pw); }
    KeyStore ts = KeyStore.getInstance("PKCS12"); try (InputStream in = new FileInputStream(a[2])) { ts.load(in, pw); }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509"); kmf.init(ks, pw);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX"); tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS"); ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    SSLServerSocket ss = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(Integer.parseInt(a[0]), 50, java.net.InetAddress.getByName("127.0.0.1"));
    ss.setNeedClientAuth(true);
    ss.setEnabledProtocols(new String[]{a[4]});
    while (true) {
      SSLSocket s = (SSLSocket) ss.accept();
      new Thread(() -> {
        try {
          s.setSoTimeout(5000); s.startHandshake();
          BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream()));
          String line; while ((line = r.readLine()) != null && !line.isEmpty()) {}
          s.getOutputStream().write("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n".getBytes());
        } catch (Exception e) {
        } finally { try { s.close(); } catch (IOException e) {} }
      }).start();
    }
  }
}
`

// javaTrust writes a PKCS#12 truststore with the lab root.
func javaTrust(t *testing.T, l *fixtures.Lab, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "trust.p12")
	data, err := l.PKI.PKCS12TrustStore("changeit", "root")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runJava(t *testing.T, dir, trust string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := append([]string{"-Djavax.net.ssl.trustStore=" + trust, "-Djavax.net.ssl.trustStorePassword=changeit", "-cp", dir}, args...)
	out, _ := exec.CommandContext(ctx, "java", all...).CombinedOutput()
	return strings.TrimSpace(string(out))
}

// Item 6 with a Java client: against openssl s_server -no_ca_names
// -Verify 1, Java prints exactly the line tlsdoctor gives it.
func TestJavaAgainstEmptyCAList(t *testing.T) {
	dir := javaTools(t)
	l := liveLab(t)
	f := writePeerFiles(t, l)
	port := freePort(t)
	startPeer(t, port, filepath.Join(f.dir, "s_server.log"), "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
		"-cert", f.leaf, "-cert_chain", f.chain, "-key", f.key, "-Verify", "1", "-verify_return_error", "-CAfile", f.root, "-no_ca_names", "-www", "-quiet")
	_, fs := probePort(t, l, port)
	req := find(fs, "client-cert-required")
	if req == nil {
		t.Fatalf("no client-cert-required; got %v", idsOf(fs))
	}
	got := runJava(t, dir, javaTrust(t, l, dir), "Get", fmt.Sprintf("https://127.0.0.1:%d/", port))
	if got != clientMessage(req, "java") {
		t.Errorf("Java printed %q; tlsdoctor says %q", got, clientMessage(req, "java"))
	}
}

// A Java client against a JSSE server that requires a certificate
// usually prints a closed socket instead of the alert; tlsdoctor's Java
// line lists what it printed.
func TestJavaAgainstJSSEServer(t *testing.T) {
	dir := javaTools(t)
	l := liveLab(t)
	ks, err := l.PKI.PKCS12("changeit", "leaf", "intermediate")
	if err != nil {
		t.Fatal(err)
	}
	ksPath := filepath.Join(dir, "server.p12")
	if err := os.WriteFile(ksPath, ks, 0o600); err != nil {
		t.Fatal(err)
	}
	trust := javaTrust(t, l, dir)
	for _, proto := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(proto, func(t *testing.T) {
			port := freePort(t)
			startPeer(t, port, filepath.Join(dir, "srv-"+proto+".log"), "java", "-cp", dir, "Srv", strconv.Itoa(port), ksPath, trust, "changeit", proto)
			_, fs := probePort(t, l, port)
			req := find(fs, "client-cert-required")
			if req == nil {
				t.Fatalf("no client-cert-required; got %v", idsOf(fs))
			}
			line := clientMessage(req, "java")
			for i := 0; i < 3; i++ {
				got := runJava(t, dir, trust, "Get", fmt.Sprintf("https://127.0.0.1:%d/", port))
				if !strings.Contains(line, got) {
					t.Errorf("Java printed %q, which tlsdoctor's line does not list: %q", got, line)
				}
			}
		})
	}
}
