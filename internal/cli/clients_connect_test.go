package cli

// The per-client lines of the connection findings, against the real
// clients: Java 17 (HttpsURLConnection), curl, openssl s_client, Python
// (urllib, requests, ssl) and Go, run against the fixtures that produced
// each finding. A verdict for a client variant this file cannot run
// fails the test: a line nobody measured must not be printed.

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// javaHTTPSGet reads one https:// URL with HttpsURLConnection (which
// honours -Dhttps.proxyHost and -Djsse.enableSNIExtension) and prints OK,
// or the exception chain on one line, exiting 1.
const javaHTTPSGet = `
import javax.net.ssl.*;
import java.net.*;
public class HttpsGet {
  public static void main(String[] args) throws Exception {
    try {
      HttpsURLConnection c = (HttpsURLConnection) new URL(args[0]).openConnection();
      c.setConnectTimeout(5000); c.setReadTimeout(5000);
      c.getInputStream().readAllBytes();
      System.out.println("OK HTTP " + c.getResponseCode());
    } catch (Exception e) {
      StringBuilder b = new StringBuilder(e.toString());
      for (Throwable x = e.getCause(); x != null; x = x.getCause()) b.append(" | caused by ").append(x.toString());
      System.out.println(b.toString().replace("\n", " "));
      System.exit(1);
    }
  }
}
`

// clientCase is what the clients are pointed at: the URL by name, the
// server's address, the proxy (empty for none) and the CA file.
type clientCase struct {
	url, ip string
	port    int
	proxy   string // host:port
	ca      string
}

// clientLine is the shell line that runs client (a verdict's Client) for
// c, or "" when this test does not know how.
func clientLine(t *testing.T, dir, client string, c clientCase) (string, []string) {
	t.Helper()
	java := func(props ...string) string {
		classes := javaClasses(t)
		if _, err := exec.LookPath("keytool"); err != nil {
			t.Skip("keytool not installed")
		}
		line := "java -cp " + classes + " -Djavax.net.ssl.trustStore=ts.p12 -Djavax.net.ssl.trustStorePassword=" + storePass
		if c.proxy != "" {
			h, p, _ := strings.Cut(c.proxy, ":")
			// By default Java never proxies localhost (http.nonProxyHosts).
			line += " -Dhttps.proxyHost=" + h + " -Dhttps.proxyPort=" + p + " -Dhttp.nonProxyHosts="
		}
		return line + " " + strings.Join(props, " ") + " HttpsGet"
	}
	ipURL := fmt.Sprintf("https://%s:%d/", c.ip, c.port)
	var env []string
	if c.proxy != "" {
		env = []string{"https_proxy=http://" + c.proxy}
	}
	py := func(code string) string { return "python3 -c " + checks.ShellQuote(code) }
	switch client {
	case "java":
		return java() + " " + c.url, nil
	case "java-nosni":
		return java("-Djsse.enableSNIExtension=false") + " " + c.url, nil
	case "java-ip":
		return java() + " " + ipURL, nil
	case "curl":
		line := "curl -sS --cacert " + c.ca
		if c.proxy != "" {
			line += " -x http://" + c.proxy
		}
		return line + " " + c.url, nil
	case "curl-ip":
		return "curl -sS --cacert " + c.ca + " " + ipURL, nil
	case "openssl":
		line := "openssl s_client -connect localhost:" + strconv.Itoa(c.port) + " -servername localhost -verify_return_error -verify_hostname localhost -CAfile " + c.ca
		if c.proxy != "" {
			line += " -proxy " + c.proxy
		}
		return line + " </dev/null", nil
	case "openssl-nosni":
		return fmt.Sprintf("openssl s_client -connect %s:%d -noservername -verify_return_error -verify_hostname localhost -CAfile %s </dev/null", c.ip, c.port, c.ca), nil
	case "python":
		return py(fmt.Sprintf("import urllib.request,ssl; urllib.request.urlopen(%q, context=ssl.create_default_context(cafile=%q), timeout=10)", c.url, c.ca)), env
	case "python-requests":
		return py(fmt.Sprintf("import requests; requests.get(%q, verify=%q, timeout=10)", c.url, c.ca)), env
	case "python-ip":
		return py(fmt.Sprintf("import urllib.request,ssl; urllib.request.urlopen(%q, context=ssl.create_default_context(cafile=%q), timeout=10)", ipURL, c.ca)), nil
	case "python-nosni":
		return py(fmt.Sprintf("import socket,ssl\nctx=ssl.create_default_context(cafile=%q)\nctx.check_hostname=False\nctx.wrap_socket(socket.create_connection((%q,%d),timeout=10),server_hostname=None)", c.ca, c.ip, c.port)), nil
	}
	return "", nil
}

// goGet is the Go 1.26 net/http client (this test's own) to url,
// through proxy (host:port) when it is set.
func goGet(url, ca, proxy string) (bool, string) {
	pool := x509.NewCertPool()
	b, _ := os.ReadFile(ca)
	pool.AppendCertsFromPEM(b)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	if proxy != "" {
		tr.Proxy = http.ProxyURL(&neturl.URL{Scheme: "http", Host: proxy})
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	r, err := c.Get(url)
	if err != nil {
		return true, err.Error()
	}
	r.Body.Close()
	return false, "OK"
}

// wantMessage reports whether out holds a verdict's message: the text
// before a " (verify error" or " (SSL alert number N)" note, and the
// parts around a "..." cut.
func wantMessage(out, msg string) bool {
	// Our curl lines name the OpenSSL series ("OpenSSL/3.0"); curl prints
	// the patch release of the machine ("OpenSSL/3.0.19").
	out = opensslPatch.ReplaceAllString(out, "OpenSSL/$1:")
	msg = strings.TrimPrefix(msg, "Verification error: ")
	if i := strings.Index(msg, " (verify error"); i > 0 {
		msg = msg[:i]
	}
	if i := strings.Index(msg, " (SSL alert number "); i > 0 {
		if !strings.Contains(out, strings.TrimSuffix(msg[i+2:], ")")) {
			return false
		}
		msg = msg[:i]
	}
	for _, part := range strings.Split(msg, "...") {
		if !strings.Contains(out, strings.TrimSpace(part)) {
			return false
		}
	}
	return true
}

var opensslPatch = regexp.MustCompile(`OpenSSL/(\d+\.\d+)\.\d+[a-z]?:`)

// checkClients runs every client a finding names and checks its verdict.
func checkClients(t *testing.T, f checks.Finding, c clientCase) {
	t.Helper()
	if len(f.Clients) == 0 {
		t.Fatalf("%s: no per-client lines", f.ID)
	}
	dir := t.TempDir()
	writeFile(t, dir, "ca.pem", mustRead(t, c.ca))
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "ca.pem", "-keystore", "ts.p12", "-storepass", storePass, "-storetype", "PKCS12")
	for _, v := range f.Clients {
		var fails bool
		var out string
		switch v.Client {
		case "go-ip":
			fails, out = goGet(fmt.Sprintf("https://%s:%d/", c.ip, c.port), c.ca, "")
		case "go":
			fails, out = goGet(c.url, c.ca, c.proxy)
		default:
			line, env := clientLine(t, dir, v.Client, c)
			if line == "" {
				t.Errorf("%s: a verdict for %s, which this test cannot run (was it measured?)", f.ID, v.Client)
				continue
			}
			res := runShell(t, dir, line, "", time.Minute, env)
			fails, out = res.code != 0, res.out
		}
		if fails != v.Fails || (v.Fails && !wantMessage(out, v.Message)) {
			t.Errorf("%s: %s: fails=%v, want %v with %q; it printed:\n%s", f.ID, v.Client, fails, v.Fails, v.Message, out)
		}
	}
}

func TestConnectClientMessages(t *testing.T) {
	for _, bin := range []string{"java", "curl", "openssl", "python3"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	if err := exec.Command("python3", "-c", "import requests").Run(); err != nil {
		t.Skip("python3 requests not installed (apt-get install -y python3-requests)")
	}
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	url := func(p int) string { return "https://localhost:" + strconv.Itoa(p) + "/" }
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("sni-required, refuse=%v", refuse), func(t *testing.T) {
			port := sniServer(t, l, refuse)
			f := findingByID(t, diagnoseJSON(t, nil, port, "--ca-file", ca), "sni-required")
			checkClients(t, f, clientCase{url: url(port), ip: "127.0.0.1", port: port, ca: ca})
		})
	}
	backend := serveTLS(t, l.PKI.TLSCert("leaf", "intermediate"))
	for _, code := range []int{407, 403, 502} {
		t.Run(fmt.Sprintf("proxy-refused %d", code), func(t *testing.T) {
			p := fakeProxy(t, code, "", "")
			proxy := "127.0.0.1:" + strconv.Itoa(p)
			f := findingByID(t, diagnoseJSON(t, nil, backend, "--proxy", "http://"+proxy, "--ca-file", ca), "proxy-refused")
			checkClients(t, f, clientCase{url: url(backend), ip: "127.0.0.1", port: backend, proxy: proxy, ca: ca})
		})
	}
	t.Run("tls-interception-suspected", func(t *testing.T) {
		pki, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "ca", CommonName: "Example Corp Proxy CA", Organization: "Example Corp", IsCA: true})
		if err != nil {
			t.Fatal(err)
		}
		mitm, err := fixtures.NewMITMProxy(pki.Get("ca"), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(mitm.Close)
		proxy := "127.0.0.1:" + strconv.Itoa(mitm.Port)
		f := findingByID(t, diagnoseJSON(t, nil, backend, "--proxy", "http://"+proxy, "--ca-file", ca), "tls-interception-suspected")
		checkClients(t, f, clientCase{url: url(backend), ip: "127.0.0.1", port: backend, proxy: proxy, ca: ca})
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
