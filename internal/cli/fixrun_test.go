package cli

// The harness of the tests that run what a fix prints (fixes_test.go):
// diagnose a fixture server, take the finding's command steps from the
// JSON report, run each with sh -c in a temp dir where the test put the
// user's own files (server.key, client.crt, ...), then check the result:
// the finding is gone when the server or client is given what the fix
// built, or at least the command exited 0 and made what it says.

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// storePass is the password the tests type at every openssl and keytool
// prompt.
const storePass = "changeit"

// fixRun runs the commands of a fix in one directory.
type fixRun struct {
	t   *testing.T
	dir string
	bin string // where the tlsdoctor binary is
	env []string
	// ran and skipped are the command lines run, and those left out
	// (tools that change the machine: nginx -s reload, update-ca-certificates).
	ran, skipped []string
}

// runnableTools are the tools whose printed commands the tests run; the
// others change this machine or need a service the tests do not run.
var runnableTools = []string{"openssl", "keytool", "curl", "tlsdoctor", "cat"}

func newFixRun(t *testing.T, bin string) *fixRun {
	return &fixRun{t: t, dir: t.TempDir(), bin: bin}
}

// file writes a file of the user's into the run's directory.
func (r *fixRun) file(name string, data []byte) string {
	r.t.Helper()
	return writeFile(r.t, r.dir, name, data)
}

// read returns a file the commands made, failing the test without it.
func (r *fixRun) read(name string) []byte {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil {
		r.t.Fatalf("the fix's commands did not make %s: %v", name, err)
	}
	return b
}

// answers is what a person types at the prompts of a command line:
// passwords, and "yes" to keytool's "Trust this certificate?".
func (r *fixRun) answers(line string) string {
	cmds, err := parseCommand(line)
	if err != nil || len(cmds) == 0 {
		return ""
	}
	w := cmds[0].words
	pw := storePass + "\n"
	switch {
	case w[0] == "openssl" && len(w) > 1 && w[1] == "pkcs12":
		return pw + pw
	case w[0] == "keytool" && slices.Contains(w, "-importkeystore"):
		return pw + pw + pw
	case w[0] == "keytool" && slices.Contains(w, "-importcert") && slices.Contains(w, "-cacerts"):
		return pw + "yes\n"
	case w[0] == "keytool" && slices.Contains(w, "-importcert"):
		if i := slices.Index(w, "-keystore"); i > 0 && i+1 < len(w) {
			if _, err := os.Stat(filepath.Join(r.dir, w[i+1])); err == nil || filepath.IsAbs(w[i+1]) {
				return pw + "yes\n"
			}
		}
		return pw + pw + "yes\n"
	case w[0] == "keytool":
		return pw
	case w[0] == "curl" && slices.Contains(w, "--proxy-user"):
		// curl asks for the proxy password of a --proxy-user without one.
		return pw
	}
	return ""
}

// runFix runs every command step of f in order (the runnable tools only),
// each of which must exit 0 unless its tool is in mayFail, and returns
// the outputs by command line.
func (r *fixRun) runFix(f checks.Finding, mayFail ...string) map[string]shellResult {
	r.t.Helper()
	out := map[string]shellResult{}
	for _, s := range f.Fix {
		if s.Kind != checks.StepCommand {
			continue
		}
		if _, err := parseCommand(s.Text); err != nil {
			r.t.Fatalf("%s: printed command %q is not one plain command: %v", f.ID, s.Text, err)
		}
		if !slices.Contains(runnableTools, s.For) {
			r.skipped = append(r.skipped, s.Text)
			continue
		}
		res := r.sh(s.Text)
		out[s.Text] = res
		if res.code != 0 && !slices.Contains(mayFail, s.For) {
			r.t.Fatalf("%s: printed command failed (exit %d): %s\n%s", f.ID, res.code, s.Text, res.out)
		}
	}
	return out
}

// sh runs one line in the run's directory with the prompts answered.
func (r *fixRun) sh(line string) shellResult {
	r.t.Helper()
	r.ran = append(r.ran, line)
	var dirs []string
	if r.bin != "" {
		dirs = append(dirs, r.bin)
	}
	return runShell(r.t, r.dir, line, r.answers(line), 2*time.Minute, r.env, dirs...)
}

// mustHaveRun fails unless a command starting with prefix was run.
func (r *fixRun) mustHaveRun(prefix string) {
	r.t.Helper()
	for _, l := range r.ran {
		if strings.HasPrefix(l, prefix) {
			return
		}
	}
	r.t.Fatalf("no printed command starting with %q was run; ran %q", prefix, r.ran)
}

// diagnoseJSON runs tlsdoctor in-process on a lab server with the given
// flags and returns its findings (from the JSON report).
func diagnoseJSON(t *testing.T, env map[string]string, port int, flags ...string) []checks.Finding {
	t.Helper()
	res := invoke(t, env, append(append(target(port), "--format", "json"), flags...)...)
	rs := reports(t, res.stdout)
	if len(rs) != 1 {
		t.Fatalf("want one report, got %d:\n%s\n%s", len(rs), res.stdout, res.stderr)
	}
	return rs[0].Findings
}

// hasID reports whether fs holds a finding with id.
func hasID(fs []checks.Finding, id string) bool {
	return slices.ContainsFunc(fs, func(f checks.Finding) bool { return f.ID == id })
}

// serveFiles serves HTTPS on 127.0.0.1 with a PEM chain and key made by
// the fix's commands (or the user's files), and returns the port.
func serveFiles(t *testing.T, chainPEM, keyPEM []byte) int {
	t.Helper()
	c, err := tls.X509KeyPair(chainPEM, keyPEM)
	if err != nil {
		t.Fatalf("the certificate and key the fix made do not load: %v", err)
	}
	return serveTLS(t, c)
}

// jsseServer is a real Java (JSSE) HTTPS server: the keystore and
// truststore come from -D system properties (the settings a fix prints);
// "need" makes it require a client certificate. It prints its port.
const jsseServer = `
import javax.net.ssl.*;
import java.io.*;
public class TlsServer {
  public static void main(String[] args) throws Exception {
    SSLServerSocket s = (SSLServerSocket) SSLServerSocketFactory.getDefault().createServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"));
    if (args.length > 0 && args[0].equals("need")) s.setNeedClientAuth(true);
    System.out.println(s.getLocalPort());
    System.out.flush();
    while (true) {
      SSLSocket c = (SSLSocket) s.accept();
      new Thread(() -> {
        try (c) {
          c.setSoTimeout(5000);
          c.startHandshake();
          BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream()));
          String line;
          while ((line = r.readLine()) != null && !line.isEmpty()) {}
          OutputStream o = c.getOutputStream();
          o.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n".getBytes());
          o.flush();
        } catch (Exception e) {
        }
      }).start();
    }
  }
}
`

// javaClasses compiles the Java test programs (jsseServer, javaClient)
// once per test run and returns the class directory; the test is skipped
// without a JDK.
func javaClasses(t *testing.T) string {
	t.Helper()
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Skip("javac not installed (apt-get install -y default-jdk-headless)")
	}
	b := &builtJava
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "tlsdoctor-java-"); b.err != nil {
			return
		}
		for name, src := range map[string]string{"TlsServer.java": jsseServer, "TlsClient.java": javaClient, "HttpsGet.java": javaHTTPSGet} {
			if b.err = os.WriteFile(filepath.Join(b.dir, name), []byte(src), 0o600); b.err != nil {
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, javac, "-d", b.dir, filepath.Join(b.dir, "TlsServer.java"), filepath.Join(b.dir, "TlsClient.java"), filepath.Join(b.dir, "HttpsGet.java")).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("javac: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.dir
}

// builtJava holds the compiled Java test programs.
var builtJava struct {
	once sync.Once
	dir  string
	err  error
}

// startJSSE runs jsseServer in dir with the java options and returns its
// port; the test is skipped without java.
func startJSSE(t *testing.T, dir string, javaOpts []string, args ...string) int {
	t.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed (apt-get install -y default-jdk-headless)")
	}
	classes := javaClasses(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, java, append(append(append([]string{"-cp", classes}, javaOpts...), "TlsServer"), args...)...)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncWriter
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l, ok := <-lines:
		port, err := strconv.Atoi(strings.TrimSpace(l))
		if !ok || err != nil {
			t.Fatalf("the JSSE server did not start: %q\n%s", l, stderr.String())
		}
		return port
	case <-time.After(60 * time.Second):
		t.Fatalf("the JSSE server did not start within a minute:\n%s", stderr.String())
	}
	return 0
}

// javaProps splits a printed java setting ("-Dk=v -Dk2=v2") into
// options, with the password placeholder filled in.
func javaProps(t *testing.T, setting string) []string {
	t.Helper()
	cmds, err := parseCommand("java " + strings.ReplaceAll(setting, "PASSWORD", storePass))
	if err != nil {
		t.Fatalf("java setting %q does not parse as options: %v", setting, err)
	}
	return cmds[0].words[1:]
}

// labFiles are a lab certificate's PEM and key, as a user has them.
func labCert(l *fixtures.Lab, name string) []byte { return l.PKI.Get(name).PEM() }
func labKey(l *fixtures.Lab, name string) []byte  { return l.PKI.Get(name).KeyPEM() }
