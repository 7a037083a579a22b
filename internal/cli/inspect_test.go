package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/inspect"
)

// inspectJSON runs tlsdoctor inspect --format json and decodes the report.
func inspectJSON(t *testing.T, env map[string]string, args ...string) (*inspect.Report, result) {
	t.Helper()
	r := invoke(t, env, append([]string{"inspect", "--format", "json"}, args...)...)
	if r.code == ExitUsage {
		return nil, r
	}
	var rep inspect.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("inspect JSON: %v\n%s\nstderr: %s", err, r.stdout, r.stderr)
	}
	return &rep, r
}

func findingOf(fs []checks.Finding, id string) *checks.Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

// labStores writes the lab's keystores and truststores (JKS, password
// changeit) into dir and returns their paths by name.
func labStores(t *testing.T, l *fixtures.Lab, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	key := func(name, alias string, chain ...string) {
		out[name] = writeFile(t, dir, name+".jks", mustBytes(l.PKI.JKS("changeit", fixtures.JKSEntry{Alias: alias, Chain: chain})))
	}
	trust := func(name string, certs ...string) {
		var es []fixtures.JKSEntry
		for _, c := range certs {
			es = append(es, fixtures.JKSEntry{Alias: c, Chain: []string{c}, Trusted: true})
		}
		out[name] = writeFile(t, dir, name+".jks", mustBytes(l.PKI.JKS("changeit", es...)))
	}
	key("server-full", "server", "leaf", "intermediate")
	key("server-leafonly", "server", "leaf")
	key("server-wronghost", "server", "wrong-host", "intermediate")
	key("server-ekuclient", "server", "eku-client-only", "intermediate")
	key("client-good", "client", "client", "intermediate")
	key("client-noeku", "client", "client-noeku", "intermediate")
	key("client-other", "client", "client-other", "other-intermediate")
	trust("trust-root", "root")
	trust("trust-other", "other-root")
	return out
}

func TestInspectBadInput(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	st := labStores(t, l, dir)
	p12 := writeFile(t, dir, "k.p12", mustBytes(l.PKI.PKCS12("s3cret!", "leaf", "intermediate")))
	writeFile(t, dir, "pw.txt", []byte("wrong\n"))
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"inspect"}, "inspect needs a FILE"},
		{[]string{"inspect", filepath.Join(dir, "missing.jks")}, "missing.jks: cannot read: no such file or directory"},
		{[]string{"inspect", writeFile(t, dir, "notes.txt", []byte("hello"))}, "notes.txt: is not a certificate, key or keystore file"},
		{[]string{"inspect", p12}, "k.p12: is a PKCS#12 file protected by a password, and neither changeit nor the empty password opens it"},
		{[]string{"inspect", p12, "--password-file", filepath.Join(dir, "pw.txt")}, "k.p12: wrong password"},
		{[]string{"inspect", st["trust-root"], "--password", "nope"}, "trust-root.jks: wrong password"},
		{[]string{"inspect", "--keystore", st["server-full"]}, "--keystore and --truststore go together"},
		{[]string{"inspect", p12, "--type", "zip"}, `--type "zip" is not a store type`},
		{[]string{"inspect", "--for", "localhost"}, "--for needs --java"},
		{[]string{"inspect", st["trust-root"], "--extract", "zz"}, "is not a SHA-256 fingerprint prefix"},
	} {
		r := invoke(t, nil, tc.args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != ExitUsage || r.stdout != "" || !strings.HasPrefix(lines[0], "tlsdoctor: error: ") || !strings.Contains(lines[0], tc.err) {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 and %q", tc.args[1:], r.code, r.stderr, r.stdout, tc.err)
		}
		if len(lines) != 2 || !strings.HasPrefix(lines[1], "hint: ") {
			t.Errorf("%v: want one error line and one hint, got %q", tc.args[1:], r.stderr)
		}
	}
}

func TestInspectStdinSecret(t *testing.T) {
	l := newLab(t)
	key := l.PKI.Get("leaf").KeyPEM()
	b64 := base64.StdEncoding.EncodeToString
	y := fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-tls\ntype: kubernetes.io/tls\ndata:\n  tls.crt: %s\n  tls.key: %s\n", b64(l.PKI.PEMBundle("leaf")), b64(key))
	var out, errb bytes.Buffer
	code := RunEnv(context.Background(), []string{"inspect", "-", "--format", "json"}, Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(y), Now: time.Now, Getenv: func(string) string { return "" }})
	var rep inspect.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s", code, err, errb.String())
	}
	if rep.Stores[0].Format != inspect.FormatKubeTLS || rep.Stores[0].Entries[0].Kind != inspect.KindKey {
		t.Errorf("store %+v", rep.Stores[0])
	}
	// The leaf alone: its chain is probably incomplete (a warning: the
	// issuer could be a root), and we say so.
	if findingOf(rep.Findings, "keystore-chain-incomplete") == nil || code != ExitOK {
		t.Errorf("exit %d, findings %v", code, rep.Findings)
	}
}

// TestInspectFixesRun runs the commands pkcs12-not-java-trusted prints
// (tlsdoctor --extract, then keytool) and checks that Java then sees the
// certificates.
func TestInspectFixesRun(t *testing.T) {
	l := newLab(t)
	dir := awkwardTempDir(t)
	writeFile(t, dir, "chain.pem", l.PKI.PEMBundle("intermediate", "root"))
	fixtures.RunTool(t, dir, "openssl", "pkcs12", "-export", "-nokeys", "-in", "chain.pem", "-out", "ts.p12", "-passout", "pass:changeit")
	ts := filepath.Join(dir, "ts.p12")
	rep, _ := inspectJSON(t, nil, ts)
	f := findingOf(rep.Findings, "pkcs12-not-java-trusted")
	if f == nil {
		t.Fatalf("no pkcs12-not-java-trusted: %+v", rep.Findings)
	}
	for _, s := range f.Fix {
		if s.Kind != checks.StepCommand {
			continue
		}
		runPrinted(t, dir, s)
	}
	rep, _ = inspectJSON(t, nil, filepath.Join(dir, "truststore.p12"))
	if n := len(inspect.Anchors(rep.Stores[0])); n != 0 {
		t.Logf("decoded report has no chains (json:\"-\"); counting entries instead")
	}
	var trusted int
	for _, e := range rep.Stores[0].Entries {
		if e.Kind == inspect.KindTrusted {
			trusted++
		}
	}
	if trusted != 2 || findingOf(rep.Findings, "pkcs12-not-java-trusted") != nil {
		t.Errorf("after the printed fix: %d trusted entries, findings %v", trusted, rep.Findings)
	}
}

// runPrinted runs one printed command as a user would: tlsdoctor lines
// in-process (their words as sh splits them, with "> FILE" redirection
// into dir), others with sh in dir.
func runPrinted(t *testing.T, dir string, s checks.Step) {
	t.Helper()
	if s.For != "tlsdoctor" {
		cmd := exec.Command("sh", "-c", s.Text)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("printed command failed: %s\n%v\n%s", s.Text, err, out)
		}
		return
	}
	if r := runPrintedTlsdoctor(t, dir, s.Text); r.code != ExitOK {
		t.Fatalf("printed command failed (exit %d): %s\n%s", r.code, s.Text, r.stderr)
	}
}

// awkwardTempDir is a temporary directory whose name a shell must be
// given quoted: a space, both quotes, ";" and "$(...)" (which would create
// "pwned" in it if a printed command ran it; checked at cleanup).
func awkwardTempDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), `it's a "dir"; $(touch pwned)`)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
			t.Error("a printed command ran $(touch pwned)")
		}
	})
	return dir
}

// runPrintedTlsdoctor runs a printed "tlsdoctor ..." line in-process: sh's
// parser and word expansion (mvdan.cc/sh) give its arguments, quotes
// removed; a "> FILE" redirection writes stdout to FILE in dir. A line
// that is not one plain tlsdoctor command fails the test.
func runPrintedTlsdoctor(t *testing.T, dir, line string) result {
	t.Helper()
	words, redirect, err := tlsdoctorWords(line)
	if err != nil {
		t.Fatalf("printed command %q: %v", line, err)
	}
	r := invoke(t, nil, words...)
	if redirect != "" {
		if !filepath.IsAbs(redirect) {
			redirect = filepath.Join(dir, redirect)
		}
		if err := os.WriteFile(redirect, []byte(r.stdout), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// alignProbe runs JSSE on both sides: for each case (server keystore,
// server truststore or "-", client keystore or "-", client truststore,
// host) it starts an SSLServerSocket with the server's files (requiring
// a client certificate when it has a truststore), connects a client with
// HTTPS endpoint identification, and prints OK or the exception.
const alignProbe = `
import javax.net.ssl.*; import java.security.*; import java.io.*; import java.net.*;
public class AlignProbe {
  static KeyManager[] km(String f) throws Exception {
    if (f.equals("-")) return null;
    KeyStore ks = KeyStore.getInstance(new File(f), "changeit".toCharArray());
    KeyManagerFactory k = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    k.init(ks, "changeit".toCharArray()); return k.getKeyManagers();
  }
  static TrustManager[] tm(String f) throws Exception {
    if (f.equals("-")) return null;
    KeyStore ks = KeyStore.getInstance(new File(f), "changeit".toCharArray());
    TrustManagerFactory t = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    t.init(ks); return t.getTrustManagers();
  }
  public static void main(String[] a) throws Exception {
    for (int i = 0; i + 4 < a.length; i += 5) {
      SSLContext sc = SSLContext.getInstance("TLS"); sc.init(km(a[i]), tm(a[i+1]), null);
      SSLServerSocket ss = (SSLServerSocket) sc.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress());
      if (!a[i+1].equals("-")) ss.setNeedClientAuth(true);
      Thread th = new Thread(() -> { try (SSLSocket s = (SSLSocket) ss.accept()) { s.setSoTimeout(5000); s.startHandshake(); s.getOutputStream().write('x'); s.getOutputStream().flush(); } catch (Exception e) { } });
      th.start();
      String res;
      try {
        SSLContext cc = SSLContext.getInstance("TLS"); cc.init(km(a[i+2]), tm(a[i+3]), null);
        Socket raw = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort());
        try (SSLSocket s = (SSLSocket) cc.getSocketFactory().createSocket(raw, a[i+4], ss.getLocalPort(), true)) {
          SSLParameters p = s.getSSLParameters(); p.setEndpointIdentificationAlgorithm("HTTPS"); s.setSSLParameters(p);
          s.setSoTimeout(5000); s.startHandshake();
          res = s.getInputStream().read() == 'x' ? "OK" : "closed";
        }
      } catch (Exception e) { res = e.toString().replace("\n", " "); }
      th.join(10000); ss.close();
      System.out.println((i / 5) + " " + res);
    }
  }
}
`

// TestAlignmentMatchesJSSE compares each alignment verdict with what a
// real JSSE server and client (Java 17) do with the same two files.
func TestAlignmentMatchesJSSE(t *testing.T) {
	if _, err := exec.LookPath("javac"); err != nil {
		t.Skip("javac not installed (apt-get install -y default-jdk-headless)")
	}
	l := newLab(t)
	dir := t.TempDir()
	st := labStores(t, l, dir)
	type tc struct {
		ks, ts, cks, sts string // server keystore, client truststore; client keystore, server truststore
	}
	cases := []tc{
		{ks: "server-full", ts: "trust-root"},
		{ks: "server-leafonly", ts: "trust-root"},
		{ks: "server-wronghost", ts: "trust-root"},
		{ks: "server-ekuclient", ts: "trust-root"},
		{ks: "server-full", ts: "trust-other"},
		{ks: "server-full", ts: "trust-root", cks: "client-good", sts: "trust-root"},
		{ks: "server-full", ts: "trust-root", cks: "client-noeku", sts: "trust-root"},
		{ks: "server-full", ts: "trust-root", cks: "client-other", sts: "trust-root"},
		{ks: "server-full", ts: "trust-root", cks: "client-good", sts: "trust-other"},
	}
	var args []string
	ours := make([]bool, len(cases))
	for i, c := range cases {
		a := []string{"--keystore", st[c.ks], "--truststore", st[c.ts], "--name", fixtures.Host}
		sts, cks := "-", "-"
		if c.cks != "" {
			a = append(a, "--client-keystore", st[c.cks], "--server-truststore", st[c.sts])
			sts, cks = st[c.sts], st[c.cks]
		}
		rep, r := inspectJSON(t, nil, a...)
		if rep == nil {
			t.Fatalf("case %d: %s", i, r.stderr)
		}
		ok := true
		for _, v := range rep.Alignment {
			ok = ok && v.OK
		}
		ours[i] = ok
		args = append(args, st[c.ks], sts, cks, st[c.ts], fixtures.Host)
	}
	writeFile(t, dir, "AlignProbe.java", []byte(alignProbe))
	fixtures.RunTool(t, dir, "javac", "AlignProbe.java")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "java", append([]string{"-cp", dir, "AlignProbe"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("java: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("java printed %d lines for %d cases:\n%s", len(lines), len(cases), out)
	}
	for i, ln := range lines {
		_, res, _ := strings.Cut(ln, " ")
		t.Logf("case %+v: ours ok=%v, JSSE: %s", cases[i], ours[i], res)
		java := res == "OK"
		if java != ours[i] {
			t.Errorf("case %+v: we say ok=%v; JSSE says %s", cases[i], ours[i], res)
		}
	}
}

// TestExportTruststore exports the CA certificates a server's chain
// needs as JKS, PKCS#12 and PEM, lists them with keytool, and connects
// a real Java client (and curl for PEM) with them.
func TestExportTruststore(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	ca := writeFile(t, dir, "root.pem", l.RootPEM())
	for _, scenario := range []string{"good", "missing-intermediate-aia"} {
		srv := startScenario(t, l, scenario)
		for _, name := range []string{"trust.jks", "trust.p12", "trust.pem"} {
			out := filepath.Join(dir, scenario+"-"+name)
			r := invoke(t, nil, append(target(srv.Port), "--ca-file", ca, "--revocation", "off", "--export-truststore", out, "-q")...)
			if r.code == ExitUsage || !strings.Contains(r.stderr, "tlsdoctor: wrote") || !strings.Contains(r.stderr, "SHA-256 "+inspect.SHA256Fingerprint(l.PKI.Get("intermediate").Cert)) {
				t.Fatalf("%s %s: exit %d\n%s", scenario, name, r.code, r.stderr)
			}
			if scenario == "missing-intermediate-aia" && !strings.Contains(r.stderr, "downloaded from http://") {
				t.Errorf("the intermediate fetched through AIA is not said to be: %s", r.stderr)
			}
			if strings.HasSuffix(name, ".pem") {
				continue
			}
			list := string(fixtures.RunTool(t, dir, "keytool", "-list", "-keystore", out, "-storepass", "changeit"))
			if strings.Count(list, "trustedCertEntry") != 2 {
				t.Errorf("%s: keytool -list:\n%s", out, list)
			}
		}
	}
	srv := startScenario(t, l, "good")
	if java, err := exec.LookPath("java"); err == nil {
		src := writeFile(t, dir, "TlsClient.java", []byte(javaClient))
		for _, name := range []string{"good-trust.jks", "good-trust.p12"} {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			out, err := exec.CommandContext(ctx, java, "-Djavax.net.ssl.trustStore="+filepath.Join(dir, name), "-Djavax.net.ssl.trustStorePassword=changeit", src, fmt.Sprintf("localhost:%d", srv.Port)).CombinedOutput()
			cancel()
			if err != nil || !strings.Contains(string(out), " OK") {
				t.Errorf("java with %s: %v\n%s", name, err, out)
			}
		}
	}
	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curl, "-sS", "-o", "/dev/null", "--cacert", filepath.Join(dir, "good-trust.pem"), fmt.Sprintf("https://localhost:%d/", srv.Port)).CombinedOutput()
		if err != nil {
			t.Errorf("curl --cacert exported PEM: %v\n%s", err, out)
		}
	}
	// A self-signed server: nothing to export without --include-leaf.
	self := startScenario(t, l, "self-signed")
	r := invoke(t, nil, append(target(self.Port), "--ca-file", ca, "--revocation", "off", "--export-truststore", filepath.Join(dir, "self.pem"), "-q")...)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--include-leaf") {
		t.Errorf("self-signed without --include-leaf: exit %d %s", r.code, r.stderr)
	}
	r = invoke(t, nil, append(target(self.Port), "--ca-file", ca, "--revocation", "off", "--export-truststore", filepath.Join(dir, "self.pem"), "--include-leaf", "-q")...)
	if !strings.Contains(r.stderr, "pins this exact certificate") {
		t.Errorf("--include-leaf without the pinning warning: %s", r.stderr)
	}
}

// fakeJDK lays out a java home with a java.security, a cacerts and
// optionally a jssecacerts.
func fakeJDK(t *testing.T, dir string, l *fixtures.Lab, jsse bool) string {
	t.Helper()
	home := filepath.Join(dir, "jdk")
	for _, d := range []string{"conf/security", "lib/security"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(home, "conf", "security"), "java.security", []byte("keystore.type=pkcs12\nkeystore.type.compat=true\njdk.tls.disabledAlgorithms=SSLv3, TLSv1, TLSv1.1, RC4, \\\n    3DES_EDE_CBC, anon, NULL\njdk.certpath.disabledAlgorithms=MD2, MD5, RSA keySize < 1024\n"))
	writeFile(t, filepath.Join(home, "lib", "security"), "cacerts", mustBytes(l.PKI.JKS("changeit", fixtures.JKSEntry{Alias: "other", Chain: []string{"other-root"}, Trusted: true})))
	if jsse {
		writeFile(t, filepath.Join(home, "lib", "security"), "jssecacerts", mustBytes(l.PKI.JKS("changeit", fixtures.JKSEntry{Alias: "root", Chain: []string{"root"}, Trusted: true})))
	}
	writeFile(t, home, "release", []byte("JAVA_VERSION=\"17.0.99\"\n"))
	return home
}

func TestInspectJavaResolution(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	home := fakeJDK(t, dir, l, true)
	st := labStores(t, l, dir)
	rep, r := inspectJSON(t, nil, "--java", "--java-home", home)
	if rep == nil {
		t.Fatal(r.stderr)
	}
	if j := rep.Java; !strings.HasSuffix(j.TrustStore, "jssecacerts") || j.Type != "pkcs12" || j.Version != "17.0.99" || len(j.TLSDisabled) != 7 {
		t.Errorf("jssecacerts must win: %+v", j)
	}
	// JAVA_TOOL_OPTIONS names a store; --jvm-options overrides it.
	env := map[string]string{"JAVA_TOOL_OPTIONS": "-Djavax.net.ssl.trustStore=" + st["trust-other"] + " -Djavax.net.ssl.trustStorePassword=changeit"}
	rep, _ = inspectJSON(t, env, "--java", "--java-home", home)
	if rep.Java.TrustStore != st["trust-other"] || !rep.Java.PasswordSet || !strings.Contains(rep.Java.TrustStoreFrom, "JAVA_TOOL_OPTIONS") {
		t.Errorf("JAVA_TOOL_OPTIONS: %+v", rep.Java)
	}
	for _, p := range rep.Java.Properties {
		if strings.Contains(p.Name, "Password") && p.Value == "changeit" {
			t.Errorf("a password is shown: %+v", p)
		}
	}
	rep, _ = inspectJSON(t, env, "--java", "--java-home", home, "--jvm-options", "-Djavax.net.ssl.trustStore="+st["trust-root"])
	if rep.Java.TrustStore != st["trust-root"] {
		t.Errorf("--jvm-options must win over JAVA_TOOL_OPTIONS: %s", rep.Java.TrustStore)
	}
	env["_JAVA_OPTIONS"] = "-Djavax.net.ssl.trustStore=" + st["trust-other"]
	rep, _ = inspectJSON(t, env, "--java", "--java-home", home, "--jvm-options", "-Djavax.net.ssl.trustStore="+st["trust-root"])
	if rep.Java.TrustStore != st["trust-other"] {
		t.Errorf("_JAVA_OPTIONS must win over the command line: %s", rep.Java.TrustStore)
	}
	// Without jssecacerts, cacerts.
	home2 := fakeJDK(t, filepath.Join(dir, "two"), l, false)
	rep, _ = inspectJSON(t, nil, "--java", "--java-home", home2)
	if !strings.HasSuffix(rep.Java.TrustStore, filepath.Join("lib", "security", "cacerts")) {
		t.Errorf("cacerts: %s", rep.Java.TrustStore)
	}
}

// TestInspectJavaFor probes a lab server with exactly the JVM's
// truststore, and checks the verdict against a real Java client started
// with the same options: a PKCS#12 truststore without
// javax.net.ssl.trustStorePassword gives Java no certificate.
func TestInspectJavaFor(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed (apt-get install -y default-jdk-headless)")
	}
	l := newLab(t)
	dir := t.TempDir()
	writeFile(t, dir, "root.pem", l.RootPEM())
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "ts.p12", "-storetype", "PKCS12", "-storepass", "changeit")
	ts := filepath.Join(dir, "ts.p12")
	srv := startScenario(t, l, "good")
	hostPort := fmt.Sprintf("localhost:%d", srv.Port)
	src := writeFile(t, dir, "TlsClient.java", []byte(javaClient))
	for _, withPW := range []bool{true, false} {
		opts := "-Djavax.net.ssl.trustStore=" + ts
		if withPW {
			opts += " -Djavax.net.ssl.trustStorePassword=changeit"
		}
		rep, r := inspectJSON(t, nil, "--java", "--jvm-options", opts, "--for", hostPort)
		if rep == nil {
			t.Fatal(r.stderr)
		}
		if len(rep.Live) == 0 {
			t.Fatal("no live report")
		}
		var live struct {
			Trust []checks.StoreVerdict `json:"trust"`
		}
		if err := json.Unmarshal(rep.Live, &live); err != nil || len(live.Trust) != 1 {
			t.Fatalf("live report: %v %s", err, rep.Live)
		}
		unreadable := findingOf(rep.Findings, "java-truststore-unreadable") != nil
		if withPW == unreadable || live.Trust[0].Trusted != withPW {
			t.Errorf("password %v: unreadable finding %v, live trusted %v", withPW, unreadable, live.Trust[0].Trusted)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		args := append(strings.Fields(opts), src, hostPort)
		out, _ := exec.CommandContext(ctx, java, args...).CombinedOutput()
		cancel()
		if javaOK := strings.Contains(string(out), hostPort+" OK"); javaOK != withPW {
			t.Errorf("password %v: the real Java client says %s", withPW, out)
		}
		if f := findingOf(rep.Findings, "java-truststore-unreadable"); f != nil && !strings.Contains(string(out), f.Clients[0].Message) {
			t.Errorf("we quote Java %q; it printed %s", f.Clients[0].Message, out)
		}
	}
}

// TestInspectJavaDisabled judges a live chain and handshake against the
// fake JDK's java.security: a P-256 chain is refused by "EC keySize <
// 384", and nothing is refused by the JDK's defaults.
func TestInspectJavaDisabled(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	home := fakeJDK(t, dir, l, true)
	srv := startScenario(t, l, "good")
	hostPort := fmt.Sprintf("localhost:%d", srv.Port)
	rep, r := inspectJSON(t, nil, "--java", "--java-home", home, "--for", hostPort)
	if rep == nil {
		t.Fatal(r.stderr)
	}
	if f := findingOf(rep.Findings, "java-disabled-algorithm"); f != nil {
		t.Errorf("default constraints refuse a P-256/SHA-256 chain: %+v", f)
	}
	sec := filepath.Join(home, "conf", "security", "java.security")
	writeFile(t, filepath.Dir(sec), "java.security", []byte("jdk.certpath.disabledAlgorithms=EC keySize < 384\njdk.tls.disabledAlgorithms=TLSv1.3\n"))
	rep, _ = inspectJSON(t, nil, "--java", "--java-home", home, "--for", hostPort)
	var what []string
	for _, f := range rep.Findings {
		if f.ID == "java-disabled-algorithm" {
			what = append(what, f.Title)
		}
	}
	joined := strings.Join(what, "\n")
	if !strings.Contains(joined, "the chain "+hostPort+" presents") || !strings.Contains(joined, "protocol TLSv1.3") {
		t.Errorf("disabled findings: %q", what)
	}
}

// TestExpiredAnchorClients checks truststore-ca-expired's client verdicts
// against a server whose chain ends at an expired root that only the
// truststore holds: Java connects, curl and openssl fail.
func TestExpiredAnchorClients(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed (apt-get install -y default-jdk-headless)")
	}
	now := time.Now()
	p, err := fixtures.Build(now,
		fixtures.CertSpec{Name: "root", CommonName: "Expired Root", IsCA: true, NotBefore: -400 * 24 * time.Hour, NotAfter: -24 * time.Hour},
		fixtures.CertSpec{Name: "int", Parent: "root", CommonName: "Current Intermediate", IsCA: true},
		fixtures.CertSpec{Name: "leaf", Parent: "int", CommonName: "localhost", DNSNames: []string{"localhost"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	port := serveTLS(t, p.TLSCert("leaf", "int"))
	dir := t.TempDir()
	root := writeFile(t, dir, "root.pem", p.PEMBundle("root"))
	ts := writeFile(t, dir, "ts.jks", mustBytes(p.JKS("changeit", fixtures.JKSEntry{Alias: "root", Chain: []string{"root"}, Trusted: true})))
	rep, _ := inspectJSON(t, nil, ts)
	f := findingOf(rep.Findings, "truststore-ca-expired")
	if f == nil {
		t.Fatalf("no truststore-ca-expired: %v", rep.Findings)
	}
	src := writeFile(t, dir, "TlsClient.java", []byte(javaClient))
	hp := fmt.Sprintf("localhost:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got := map[string]string{}
	out, _ := exec.CommandContext(ctx, java, "-Djavax.net.ssl.trustStore="+ts, src, hp).CombinedOutput()
	got["java"] = string(out)
	if curl, err := exec.LookPath("curl"); err == nil {
		out, _ = exec.CommandContext(ctx, curl, "-sS", "-o", "/dev/null", "--cacert", root, "https://"+hp+"/").CombinedOutput()
		got["curl"] = string(out)
	}
	for _, c := range f.Clients {
		o, ok := got[c.Client]
		if !ok {
			continue
		}
		if !c.Fails && !strings.Contains(o, hp+" OK") || c.Fails && !strings.Contains(o, c.Message) {
			t.Errorf("%s: we say fails=%v %q; it printed %q", c.Client, c.Fails, c.Message, o)
		}
	}
}

// TestAlignmentFixesRun runs the commands an untrusted-root verdict
// prints, then judges again: the gap is closed.
func TestAlignmentFixesRun(t *testing.T) {
	l := newLab(t)
	dir := awkwardTempDir(t)
	// The server's keystore carries its root; the client trusts another.
	ks := writeFile(t, dir, "server.jks", mustBytes(l.PKI.JKS("changeit", fixtures.JKSEntry{Alias: "server", Chain: []string{"leaf", "intermediate", "root"}})))
	ts := writeFile(t, dir, "client-trust.jks", mustBytes(l.PKI.JKS("changeit", fixtures.JKSEntry{Alias: "other", Chain: []string{"other-root"}, Trusted: true})))
	args := []string{"--keystore", ks, "--truststore", ts, "--name", fixtures.Host}
	rep, _ := inspectJSON(t, nil, args...)
	if len(rep.Alignment) != 1 || rep.Alignment[0].OK {
		t.Fatalf("alignment %+v", rep.Alignment)
	}
	f := findingOf(rep.Alignment[0].Findings, "untrusted-root")
	if f == nil {
		t.Fatalf("no untrusted-root: %+v", rep.Alignment[0].Findings)
	}
	n := 0
	for _, s := range f.Fix {
		if s.Kind == checks.StepCommand {
			runPrinted(t, dir, s)
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d commands, want the extract and the keytool import: %+v", n, f.Fix)
	}
	rep, _ = inspectJSON(t, nil, args...)
	if !rep.Alignment[0].OK {
		t.Errorf("after the printed fix: %+v", rep.Alignment[0])
	}
}

// TestAlignAliasHintRuns: when --alias names no key entry, the hint's
// "tlsdoctor inspect KEYSTORE" (with the password file the user gave)
// runs as printed on a keystore whose path holds a space, a quote and
// "$(...)", and lists the entries.
func TestAlignAliasHintRuns(t *testing.T) {
	l := newLab(t)
	dir := awkwardTempDir(t)
	ks := writeFile(t, dir, "server keys.jks", mustBytes(l.PKI.JKS("s3cret pass", fixtures.JKSEntry{Alias: "server", Chain: []string{"leaf", "intermediate", "root"}})))
	ts := writeFile(t, dir, "client trust.jks", mustBytes(l.PKI.JKS("s3cret pass", fixtures.JKSEntry{Alias: "root", Chain: []string{"root"}, Trusted: true})))
	pwFile := writeFile(t, dir, "pass'word.txt", []byte("s3cret pass\n"))
	r := invoke(t, nil, "inspect", "--keystore", ks, "--truststore", ts, "--keystore-password-file", pwFile, "--truststore-password-file", pwFile, "--alias", "nope")
	if r.code != ExitUsage {
		t.Fatalf("exit %d, want %d\n%s", r.code, ExitUsage, r.stderr)
	}
	_, after, ok := strings.Cut(r.stderr, "(tlsdoctor inspect ")
	cmd, _, ok2 := strings.Cut(after, " lists them)")
	if !ok || !ok2 {
		t.Fatalf("no tlsdoctor inspect in the hint:\n%s", r.stderr)
	}
	cmd = "tlsdoctor inspect " + cmd
	got := runPrintedTlsdoctor(t, dir, cmd)
	if got.code != ExitOK && got.code != ExitFindings || !strings.Contains(got.stdout, `"server"`) {
		t.Errorf("%s: exit %d\n%s\n%s", cmd, got.code, got.stdout, got.stderr)
	}
}
