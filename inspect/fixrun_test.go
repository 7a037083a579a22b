package inspect_test

// The harness of the tests that run what `tlsdoctor inspect` prints: the
// test binary doubles as tlsdoctor (TestMain), the stores are made by
// keytool and openssl at test time in a directory whose name holds a
// space and a quote, the findings come from `tlsdoctor inspect --format
// json`, and each command step is pasted into sh as printed. Then the
// result is inspected again.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/inspect"
	"github.com/tlsdoctor/tlsdoctor/internal/cli"
)

// binDir holds a "tlsdoctor" link to this test binary.
var binDir string

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "tlsdoctor" {
		os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(withTlsdoctor(m))
}

func withTlsdoctor(m *testing.M) int {
	exe, err := os.Executable()
	if err == nil {
		if binDir, err = os.MkdirTemp("", "tlsdoctor-bin"); err == nil {
			defer os.RemoveAll(binDir)
			err = os.Symlink(exe, filepath.Join(binDir, "tlsdoctor"))
		}
	}
	if err != nil {
		binDir = ""
	}
	return m.Run()
}

// fixDir is where a user keeps their stores: the commands run there.
type fixDir struct {
	t   *testing.T
	dir string
}

// awkwardDir makes a directory whose name a shell must be given quoted.
func awkwardDir(t *testing.T) *fixDir {
	t.Helper()
	if binDir == "" {
		t.Skip("cannot link the test binary as tlsdoctor")
	}
	for _, tool := range []string{"keytool", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	d := filepath.Join(t.TempDir(), "it's my $HOME dir")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return &fixDir{t: t, dir: d}
}

func (d *fixDir) path(name string) string { return filepath.Join(d.dir, name) }

func (d *fixDir) write(name string, data []byte) string {
	d.t.Helper()
	p := d.path(name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		d.t.Fatal(err)
	}
	return p
}

// tool runs keytool or openssl in the directory (test setup, not a fix).
func (d *fixDir) tool(name string, args ...string) string {
	d.t.Helper()
	return string(fixtures.RunTool(d.t, d.dir, name, args...))
}

type shellResult struct {
	out  string
	code int
}

// sh runs one line with sh -c in the directory, tlsdoctor on PATH, no
// terminal and nothing on stdin (a prompt fails).
func (d *fixDir) sh(line string, stdin []byte) shellResult {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir = d.dir
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=1")
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			d.t.Fatalf("%s: %v", line, err)
		}
		code = ee.ExitCode()
	}
	return shellResult{string(out), code}
}

// inspect runs `tlsdoctor inspect --format json ARGS` in the directory,
// as a user types it (args are quoted for the shell here).
func (d *fixDir) inspect(args ...string) *inspect.Report {
	d.t.Helper()
	return d.inspectStdin(nil, args...)
}

func (d *fixDir) inspectStdin(stdin []byte, args ...string) *inspect.Report {
	d.t.Helper()
	line := "tlsdoctor inspect --format json"
	for _, a := range args {
		line += " " + checks.ShellQuote(a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir = d.dir
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var rep inspect.Report
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
		d.t.Fatalf("%s: %v (%v)\n%s\n%s", line, jerr, err, stdout.String(), stderr.String())
	}
	return &rep
}

// runFix pastes every command step of f into sh, in order; each must exit
// 0, except a "tlsdoctor inspect" that only lists (1: it reports
// findings). It returns how many ran.
func (d *fixDir) runFix(f *checks.Finding) int {
	d.t.Helper()
	n := 0
	for _, s := range f.Fix {
		if s.Kind != checks.StepCommand {
			continue
		}
		n++
		res := d.sh(s.Text, nil)
		ok := res.code == 0 || s.For == "tlsdoctor" && !strings.Contains(s.Text, "--extract") && res.code == 1
		if !ok {
			d.t.Fatalf("%s: the printed command failed (exit %d):\n  %s\n%s", f.ID, res.code, s.Text, res.out)
		}
	}
	if n == 0 {
		d.t.Fatalf("%s prints no command: %+v", f.ID, f.Fix)
	}
	return n
}

// readStore reads a file the way inspect does, to check what it holds.
func (d *fixDir) readStore(name string, pw string) *inspect.Store {
	d.t.Helper()
	data, err := inspect.ReadFile(d.path(name), nil)
	if err != nil {
		d.t.Fatal(err)
	}
	o := inspect.Options{Name: name}
	if pw != "" {
		o.Password = inspect.Password{Value: pw, Set: true, Source: "test"}
	}
	s, err := inspect.Read(data, o)
	if err != nil {
		d.t.Fatalf("%s after the fix: %v", name, err)
	}
	return s
}

func finding(fs []checks.Finding, id string) *checks.Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

func findingIDs(fs []checks.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// fixPKI is a root, an intermediate, a server leaf, an expired CA and an
// unrelated root, relative to now (keytool reads the real clock).
func fixPKI(t *testing.T) *fixtures.PKI {
	t.Helper()
	p, err := fixtures.Build(time.Now(),
		fixtures.CertSpec{Name: "root", CommonName: "Fix Root CA", IsCA: true},
		fixtures.CertSpec{Name: "intermediate", Parent: "root", CommonName: "Fix Intermediate CA", IsCA: true},
		fixtures.CertSpec{Name: "leaf", Parent: "intermediate", CommonName: "api.example.test", DNSNames: []string{"api.example.test"}, Key: fixtures.RSA2048},
		fixtures.CertSpec{Name: "old-ca", CommonName: "Old CA", IsCA: true, NotBefore: -400 * 24 * time.Hour, NotAfter: -10 * 24 * time.Hour},
		fixtures.CertSpec{Name: "other", CommonName: "Other Root CA", IsCA: true},
	)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// entrySummary is what a store holds, to compare before and after a fix:
// per alias, the kind, whether the key was decrypted, and the chain's
// SHA-256 fingerprints.
func entrySummary(s *inspect.Store) map[string]string {
	out := map[string]string{}
	for _, e := range s.Entries {
		v := string(e.Kind)
		if e.Key != nil {
			v += " key:" + e.Key.Type + " matches:" + boolStr(e.Key.Matches)
		}
		for _, c := range e.Chain {
			v += " " + inspect.SHA256Fingerprint(c)
		}
		out[strings.ToLower(e.Alias)] = v
	}
	return out
}

func boolStr(b *bool) string {
	if b == nil {
		return "?"
	}
	if *b {
		return "yes"
	}
	return "no"
}
