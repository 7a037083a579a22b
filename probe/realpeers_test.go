//go:build realpeers

package probe_test

// Real peers for the dial layer (make test-real, build tag realpeers):
// every STARTTLS protocol against the Debian server that speaks it, HTTP
// proxies (Squid, tinyproxy) allowing, refusing and intercepting, and a
// scan through a proxy over STARTTLS.

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

func labTargetAt(port int) probe.Target {
	return probe.Target{Input: fixtures.Host + ":" + strconv.Itoa(port), Host: fixtures.Host, Port: port, ConnectHost: "127.0.0.1", ConnectPort: port}
}

// wantUpgraded checks a run that upgraded and completed its handshake
// with the lab's leaf.
func wantUpgraded(t *testing.T, rec *probe.Record, proto string) {
	t.Helper()
	a := rec.Primary()
	if a == nil || a.Outcome != "ok" {
		t.Fatalf("primary = %+v", a)
	}
	if a.Dial == nil || a.Dial.StartTLS == nil || !a.Dial.StartTLS.Upgraded || a.Dial.StartTLS.Protocol != proto {
		t.Fatalf("dial log = %+v, want an upgraded %s exchange", a.Dial, proto)
	}
	if leaf := testLab(t).PKI.Get("leaf").Cert.Raw; len(a.Certificates) == 0 || !bytes.Equal(a.Certificates[0].DER, leaf) {
		t.Fatalf("the server did not present the lab's leaf")
	}
	if rec.Connection == nil || rec.Connection.StartTLS != proto {
		t.Errorf("connection = %+v", rec.Connection)
	}
	t.Logf("%s: %s %s; %d transcript lines, first %q", proto, a.Version, a.CipherSuite, len(a.Dial.StartTLS.Transcript), a.Dial.StartTLS.Transcript[0].Text)
}

// wantStartTLSFinding checks that a run failed in STARTTLS with kind, and
// that the checks say starttls-unsupported.
func wantStartTLSFinding(t *testing.T, rec *probe.Record, kind probe.ErrorKind) checks.Finding {
	t.Helper()
	a := rec.Primary()
	if a == nil || a.Error == nil || a.Error.Stage != probe.StageStartTLS || a.Error.Kind != kind {
		t.Fatalf("primary error = %+v, want starttls %s", a.Error, kind)
	}
	fs := checks.Run(rec, checks.Env{Now: time.Now()})
	if len(fs) == 0 || fs[0].ID != "starttls-unsupported" {
		t.Fatalf("findings = %v, want starttls-unsupported first", ids(fs))
	}
	t.Logf("%s: %s", fs[0].ID, fs[0].Title)
	return fs[0]
}

func ids(fs []checks.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func realRun(t *testing.T, target probe.Target, conn dial.Options) *probe.Record {
	t.Helper()
	return run(t, probe.Options{Target: target, Connect: conn, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}, NoAIA: true}, 15*time.Second)
}

func TestRealDovecot(t *testing.T) {
	p := startDovecot(t, true)
	wantUpgraded(t, realRun(t, labTargetAt(p.imap), dial.Options{StartTLS: "imap"}), "imap")
	wantUpgraded(t, realRun(t, labTargetAt(p.pop3), dial.Options{StartTLS: "pop3"}), "pop3")
	if p.sieve != 0 {
		wantUpgraded(t, realRun(t, labTargetAt(p.sieve), dial.Options{StartTLS: "sieve"}), "sieve")
	}
	n := startDovecot(t, false)
	wantStartTLSFinding(t, realRun(t, labTargetAt(n.imap), dial.Options{StartTLS: "imap"}), probe.KindStartTLSUnsupported)
	wantStartTLSFinding(t, realRun(t, labTargetAt(n.pop3), dial.Options{StartTLS: "pop3"}), probe.KindStartTLSUnsupported)
}

// Postfix's smtpd, with TLS and without (STARTTLS not in its EHLO
// answer); Dovecot's LMTP server (Postfix has an LMTP client only).
//
// The postfix setting starttls-unsupported prints, with the paths of the
// test's files in place of its example paths, makes Postfix offer
// STARTTLS.
func TestRealPostfix(t *testing.T) {
	f := wantStartTLSFinding(t, realRun(t, labTargetAt(startPostfix(t, nil)), dial.Options{StartTLS: "smtp"}), probe.KindStartTLSUnsupported)
	var setting string
	for _, s := range f.Fix {
		if s.Kind == checks.StepConfig && s.For == "postfix" {
			setting = s.Text
		}
	}
	if !strings.Contains(setting, "/etc/ssl/certs/mail.pem") || !strings.Contains(setting, "/etc/ssl/private/mail.key") {
		t.Fatalf("postfix setting %q does not name the example files", setting)
	}
	fixed := startPostfix(t, func(dir string) string {
		return strings.NewReplacer("/etc/ssl/certs/mail.pem", dir+"/chain.pem", "/etc/ssl/private/mail.key", dir+"/key.pem").Replace(setting)
	})
	wantUpgraded(t, realRun(t, labTargetAt(fixed), dial.Options{StartTLS: "smtp"}), "smtp")
}

func TestRealDovecotLMTP(t *testing.T) {
	wantUpgraded(t, realRun(t, labTargetAt(startDovecotLMTP(t, true)), dial.Options{StartTLS: "lmtp"}), "lmtp")
	wantStartTLSFinding(t, realRun(t, labTargetAt(startDovecotLMTP(t, false)), dial.Options{StartTLS: "lmtp"}), probe.KindStartTLSUnsupported)
}

// Dovecot with an RSA key and no ssl_dh closes the connection without an
// alert when the first suite it would take is DHE (and on every refusal):
// the scan must still find TLS 1.2, with its ECDHE suites and no DHE one.
func TestRealScanDovecotRSAWithoutDH(t *testing.T) {
	p := startDovecotWith(t, true, rsaLeaf(t, time.Now()))
	conn := dial.Options{StartTLS: "imap"}
	target := probe.Target{Input: "localhost:" + strconv.Itoa(p.imap), Host: "localhost", Port: p.imap, ConnectHost: "127.0.0.1", ConnectPort: p.imap}
	rec := realRun(t, target, conn)
	probe.RunScan(ctxFor(t, 60*time.Second), rec, probe.ScanOptions{Connect: conn})
	if rec.Scan.Incomplete {
		t.Fatalf("scan incomplete: %q", rec.Scan.Errors)
	}
	v := version(t, rec, "TLS 1.2")
	if !v.Supported {
		t.Fatalf("TLS 1.2 recorded as refused (%s), although ECDHE works", v.Refusal)
	}
	for _, su := range v.Suites {
		if kx := ciphersuite.Lookup(su.ID).KeyExchange; kx != "ECDHE" {
			t.Errorf("%s (%s) listed as accepted", su.Name, kx)
		}
	}
	if len(v.Suites) < 4 || len(rec.Scan.SigAlgs) == 0 {
		t.Errorf("TLS 1.2 suites %v, signature schemes %v", suiteNames(v), rec.Scan.SigAlgs)
	}
	t.Logf("Dovecot, RSA key, no ssl_dh: %d handshakes, TLS 1.2 %d suites, half-close %s", rec.Scan.Handshakes, len(v.Suites), rec.Scan.HalfClose)
}

func TestRealSlapd(t *testing.T) {
	wantUpgraded(t, realRun(t, labTargetAt(startSlapd(t, true)), dial.Options{StartTLS: "ldap"}), "ldap")
	rec := realRun(t, labTargetAt(startSlapd(t, false)), dial.Options{StartTLS: "ldap"})
	if e := rec.Primary().Error; e == nil || e.Stage != probe.StageStartTLS {
		t.Fatalf("slapd without TLS: %+v", e)
	}
	t.Logf("slapd without TLS: %s %s", rec.Primary().Error.Kind, rec.Primary().Error.Message)
}

func TestRealPostgres(t *testing.T) {
	wantUpgraded(t, realRun(t, labTargetAt(startPostgres(t, true)), dial.Options{StartTLS: "postgres"}), "postgres")
	wantStartTLSFinding(t, realRun(t, labTargetAt(startPostgres(t, false)), dial.Options{StartTLS: "postgres"}), probe.KindStartTLSUnsupported)
}

func TestRealMariaDB(t *testing.T) {
	wantUpgraded(t, realRun(t, labTargetAt(startMariaDB(t, true)), dial.Options{StartTLS: "mysql"}), "mysql")
	wantStartTLSFinding(t, realRun(t, labTargetAt(startMariaDB(t, false)), dial.Options{StartTLS: "mysql"}), probe.KindStartTLSUnsupported)
}

func TestRealProsody(t *testing.T) {
	p := startProsody(t)
	wantUpgraded(t, realRun(t, labTargetAt(p.c2s), dial.Options{StartTLS: "xmpp"}), "xmpp")
	wantUpgraded(t, realRun(t, labTargetAt(p.s2s), dial.Options{StartTLS: "xmpp-server"}), "xmpp-server")
}

func TestRealVsftpd(t *testing.T) {
	wantUpgraded(t, realRun(t, labTargetAt(startVsftpd(t, true)), dial.Options{StartTLS: "ftp"}), "ftp")
	wantStartTLSFinding(t, realRun(t, labTargetAt(startVsftpd(t, false)), dial.Options{StartTLS: "ftp"}), probe.KindStartTLSUnsupported)
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestRealProxies(t *testing.T) {
	backend := labHTTPS(t)
	// The target's name is resolved by the proxy: "localhost" reaches the
	// backend only through the proxy's own resolver.
	target := probe.Target{Input: fixtures.Host + ":" + strconv.Itoa(backend), Host: fixtures.Host, Port: backend, ConnectHost: "localhost", ConnectPort: backend}
	cred := squidUser + ":" + squidPassword + "@"
	type proxyCase struct {
		name, url string
		wantOK    bool
		wantCode  int
	}
	var cases []proxyCase
	if _, err := fixtures.LookDaemon("squid", "squid-openssl"); err == nil {
		allow, auth, forbid := startSquid(t, squidAllow, nil, nil, nil), startSquid(t, squidAuth, nil, nil, nil), startSquid(t, squidForbid, nil, nil, nil)
		cases = append(cases,
			proxyCase{"squid allows", "http://127.0.0.1:" + strconv.Itoa(allow), true, 200},
			proxyCase{"squid 407", "http://127.0.0.1:" + strconv.Itoa(auth), false, 407},
			proxyCase{"squid wrong password", "http://" + squidUser + ":nope@127.0.0.1:" + strconv.Itoa(auth), false, 407},
			proxyCase{"squid with credentials", "http://" + cred + "127.0.0.1:" + strconv.Itoa(auth), true, 200},
			proxyCase{"squid 403", "http://127.0.0.1:" + strconv.Itoa(forbid), false, 403},
		)
	}
	if _, err := fixtures.LookDaemon("tinyproxy", "tinyproxy"); err == nil {
		allow, auth := startTinyproxy(t, false), startTinyproxy(t, true)
		cases = append(cases,
			proxyCase{"tinyproxy allows", "http://127.0.0.1:" + strconv.Itoa(allow), true, 200},
			proxyCase{"tinyproxy 407", "http://127.0.0.1:" + strconv.Itoa(auth), false, 407},
			proxyCase{"tinyproxy with credentials", "http://" + cred + "127.0.0.1:" + strconv.Itoa(auth), true, 200},
		)
	}
	if len(cases) == 0 {
		t.Skip("neither squid nor tinyproxy is installed (apt-get install squid-openssl tinyproxy)")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := realRun(t, target, dial.Options{Proxy: c.url})
			a := rec.Primary()
			b, _ := json.Marshal(rec)
			if strings.Contains(string(b), squidPassword) {
				t.Fatal("the record holds the proxy password")
			}
			if !rec.DNS.ByProxy {
				t.Errorf("dns = %+v, want the name left to the proxy", rec.DNS)
			}
			if a.Dial == nil || a.Dial.Proxy == nil || a.Dial.Proxy.StatusCode != c.wantCode {
				t.Fatalf("proxy exchange = %+v, want status %d (error %+v)", a.Dial, c.wantCode, a.Error)
			}
			fs := checks.Run(rec, checks.Env{Now: time.Now()})
			for _, f := range fs {
				if strings.Contains(f.Title+f.Detail+strings.Join(f.Evidence, " ")+checks.FixText(f.Fix), squidPassword) {
					t.Fatalf("finding %s holds the proxy password", f.ID)
				}
			}
			if c.wantOK {
				if a.Outcome != "ok" {
					t.Fatalf("through the proxy: %+v", a.Error)
				}
				return
			}
			if a.Error == nil || a.Error.Stage != probe.StageProxy || a.Error.Kind != probe.KindProxyRefused {
				t.Fatalf("error = %+v, want proxy-refused", a.Error)
			}
			if len(fs) == 0 || fs[0].ID != "proxy-refused" {
				t.Fatalf("findings = %v, want proxy-refused", ids(fs))
			}
			t.Logf("%s: %s | %s", fs[0].ID, fs[0].Title, a.Dial.Proxy.Status)
			if c.wantCode == 407 && !strings.Contains(strings.Join(a.Dial.Proxy.Headers, "\n"), "Proxy-Authenticate") {
				t.Errorf("headers = %q, want the challenge", a.Dial.Proxy.Headers)
			}
		})
	}
}

// A proxy that intercepts TLS (Squid ssl-bump with its own CA): the chain
// seen through it differs from the direct one, and the checks say so with
// both chains; with a CA named for inspection, the name says so too, and
// the name alone when the direct check is off.
func TestRealInterception(t *testing.T) {
	need(t, "squid", "squid-openssl")
	now := time.Now()
	l := testLab(t)
	backend := labHTTPS(t)
	target := probe.Target{Input: fixtures.Host + ":" + strconv.Itoa(backend), Host: fixtures.Host, Port: backend, ConnectHost: "localhost", ConnectPort: backend}
	store := checks.NewTruststore("lab root", []*x509.Certificate{l.PKI.Get("root").Cert})
	env := checks.Env{Now: now, Truststores: []checks.Truststore{store}}
	for _, c := range []struct {
		caName   string
		noDirect bool
		want     []string
	}{
		{"Example Corp Proxy CA", false, []string{"through the proxy 127.0.0.1:", "directly (127.0.0.1:"}},
		{"Example Corp SSL Inspection CA", false, []string{"through the proxy", "directly (127.0.0.1:", "matched: a corporate SSL-inspection CA"}},
		{"Example Corp SSL Inspection CA", true, []string{"certificate: ", "matched: a corporate SSL-inspection CA"}},
	} {
		t.Run(fmt.Sprintf("%s, direct check off %v", c.caName, c.noDirect), func(t *testing.T) {
			mitm, err := fixtures.Build(now, fixtures.CertSpec{Name: "ca", CommonName: c.caName, Organization: "Example Corp", IsCA: true, Key: fixtures.RSA2048})
			if err != nil {
				t.Fatal(err)
			}
			proxyPort := startSquid(t, squidBump, mitm.Get("ca").PEM(), mitm.Get("ca").KeyPEM(), l.RootPEM())
			o := probe.Options{Target: target, Connect: dial.Options{Proxy: "http://127.0.0.1:" + strconv.Itoa(proxyPort)}, NoAIA: true, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}}
			if c.noDirect {
				o.DirectCheck = probe.DirectCheckOff
			}
			rec := run(t, o, 15*time.Second)
			a := rec.Primary()
			if a.Outcome != "ok" || len(a.Certificates) == 0 {
				t.Fatalf("through ssl-bump: %+v", a.Error)
			}
			var got *checks.Finding
			fs := checks.Run(rec, env)
			for i := range fs {
				if fs[i].ID == "tls-interception-suspected" {
					got = &fs[i]
				}
			}
			if got == nil {
				t.Fatalf("findings = %v, want tls-interception-suspected", ids(fs))
			}
			ev := strings.Join(got.Evidence, "\n")
			for _, w := range c.want {
				if !strings.Contains(ev, w) {
					t.Errorf("evidence lacks %q:\n%s", w, ev)
				}
			}
			t.Logf("%s: %s", got.ID, got.Title)
		})
	}
	// Direct, the same server is not intercepted.
	direct := realRun(t, labTargetAt(backend), dial.Options{})
	for _, f := range checks.Run(direct, env) {
		if f.ID == "tls-interception-suspected" {
			t.Fatalf("direct connection reported as intercepted: %s", f.Title)
		}
	}
}

// --scan through a proxy over STARTTLS: every scan connection goes
// through Squid's CONNECT and Dovecot's IMAP STARTTLS.
func TestRealScanThroughProxyOverStartTLS(t *testing.T) {
	need(t, "squid", "squid-openssl")
	imap := startDovecot(t, true).imap
	proxyPort := startSquid(t, squidAllow, nil, nil, nil)
	conn := dial.Options{Proxy: "http://127.0.0.1:" + strconv.Itoa(proxyPort), StartTLS: "imap"}
	target := probe.Target{Input: fixtures.Host + ":" + strconv.Itoa(imap), Host: fixtures.Host, Port: imap, ConnectHost: "localhost", ConnectPort: imap}
	rec := run(t, probe.Options{Target: target, Connect: conn, SNICheck: probe.SNICheckAlways, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}, NoAIA: true}, 20*time.Second)
	wantUpgraded(t, rec, "imap")
	if rec.SNICheck == nil || rec.SNICheck.Dial == nil || rec.SNICheck.Dial.Proxy == nil {
		t.Errorf("the SNI check did not go through the proxy: %+v", rec.SNICheck)
	}
	ctx := ctxFor(t, 120*time.Second)
	t0 := time.Now()
	probe.RunScan(ctx, rec, probe.ScanOptions{Connect: conn})
	sc := rec.Scan
	var versions []string
	for _, v := range sc.Versions {
		if v.Supported {
			versions = append(versions, v.Version+"("+strconv.Itoa(len(v.Suites))+")")
		}
	}
	t.Logf("scan through squid + IMAP STARTTLS: %d handshakes in %s, half-close %s, versions %s, groups %d, errors %q",
		sc.Handshakes, time.Since(t0).Round(time.Millisecond), sc.HalfClose, strings.Join(versions, " "), len(sc.Groups), sc.Errors)
	if sc.Incomplete {
		t.Fatalf("scan incomplete: %q", sc.Errors)
	}
	if len(versions) < 2 || sc.HalfClose == "used" {
		t.Errorf("versions %v, half-close %q: want TLS 1.2 and 1.3 found, and no half-close through a tunnel", versions, sc.HalfClose)
	}
}

// javaGet is a Java client (HttpsURLConnection, which honours
// -Dhttps.proxyHost): it reads the page and prints OK, or the exception
// chain on one line.
const javaGet = `
import javax.net.ssl.*;
import java.net.*;
public class Get {
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

// clientRun runs one client command line (sh -c) in dir, bounded by a
// minute, and returns its exit code and output.
func clientRun(t *testing.T, dir string, env []string, line string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, append(os.Environ(), env...), strings.NewReader("")
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return code, string(out)
}

// What real clients print through Squid ssl-bump when its CA is unknown
// to them, against the per-client lines of tls-interception-suspected:
// each client the finding names fails with the message it quotes.
func TestRealInterceptionClients(t *testing.T) {
	need(t, "squid", "squid-openssl")
	now := time.Now()
	l := testLab(t)
	mitm, err := fixtures.Build(now, fixtures.CertSpec{Name: "ca", CommonName: "Example Corp Proxy CA", Organization: "Example Corp", IsCA: true, Key: fixtures.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	proxyPort := startSquid(t, squidBump, mitm.Get("ca").PEM(), mitm.Get("ca").KeyPEM(), l.RootPEM())
	backend := labHTTPS(t)
	proxy := "http://127.0.0.1:" + strconv.Itoa(proxyPort)
	target := probe.Target{Input: fixtures.Host + ":" + strconv.Itoa(backend), Host: fixtures.Host, Port: backend, ConnectHost: "localhost", ConnectPort: backend}
	rec := run(t, probe.Options{Target: target, Connect: dial.Options{Proxy: proxy}, NoAIA: true, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}}, 15*time.Second)
	store := checks.NewTruststore("lab root", []*x509.Certificate{l.PKI.Get("root").Cert})
	var f *checks.Finding
	fs := checks.Run(rec, checks.Env{Now: now, Truststores: []checks.Truststore{store}})
	for i := range fs {
		if fs[i].ID == "tls-interception-suspected" {
			f = &fs[i]
		}
	}
	if f == nil || len(f.Clients) == 0 {
		t.Fatalf("findings %v: want tls-interception-suspected with per-client lines", ids(fs))
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "root.pem"), l.RootPEM(), 0o644)
	write(t, filepath.Join(dir, "Get.java"), []byte(javaGet), 0o644)
	url := "https://localhost:" + strconv.Itoa(backend) + "/"
	lines := map[string]string{
		"curl":    "curl -sS -x " + proxy + " --cacert root.pem " + url,
		"openssl": "openssl s_client -proxy 127.0.0.1:" + strconv.Itoa(proxyPort) + " -connect localhost:" + strconv.Itoa(backend) + " -servername localhost -verify_return_error -CAfile root.pem </dev/null",
		"python":  "python3 -c \"import urllib.request,ssl; urllib.request.urlopen('" + url + "', context=ssl.create_default_context(cafile='root.pem'), timeout=10)\"",
	}
	env := map[string][]string{"python": {"https_proxy=" + proxy}}
	if _, err := exec.LookPath("java"); err == nil {
		if _, err := exec.Command("keytool", "-importcert", "-noprompt", "-alias", "root", "-file", filepath.Join(dir, "root.pem"), "-keystore", filepath.Join(dir, "ts.p12"), "-storepass", "changeit", "-storetype", "PKCS12").CombinedOutput(); err != nil {
			t.Fatal(err)
		}
		// http.nonProxyHosts is emptied: by default Java never proxies localhost.
		lines["java"] = "java -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=" + strconv.Itoa(proxyPort) + " -Dhttp.nonProxyHosts= -Djavax.net.ssl.trustStore=ts.p12 -Djavax.net.ssl.trustStorePassword=changeit Get.java " + url
	}
	for _, c := range f.Clients {
		line, ok := lines[c.Client]
		if !ok {
			continue
		}
		code, out := clientRun(t, dir, env[c.Client], line)
		t.Logf("%s: exit %d: %s", c.Client, code, strings.TrimSpace(lastLines(out, 3)))
		want := strings.TrimPrefix(c.Message, "Verification error: ")
		if i := strings.Index(want, " (verify error"); i > 0 {
			want = want[:i]
		}
		if (code != 0) != c.Fails || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, want fails=%v with %q; it printed:\n%s", c.Client, code, c.Fails, want, out)
		}
	}
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " ¦ ")
}
