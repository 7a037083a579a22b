package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// run1 is one tlsdoctor process: its exit code, output, wall time and
// peak RSS.
type run1 struct {
	code           int
	stdout, stderr string
	took           time.Duration
	maxRSS         int64 // bytes
}

// tlsdoctor runs the real binary (testscript.Main put it on PATH) with
// args, killed after a minute at worst.
func tlsdoctor(t *testing.T, args ...string) run1 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "tlsdoctor", args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "COLUMNS=100")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	err := cmd.Run()
	r := run1{stdout: out.String(), stderr: errb.String(), took: time.Since(t0)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running tlsdoctor: %v", err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return r
}

// rawControl finds a control or bidi character a terminal would act on.
func rawControl(s string) string {
	for i, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || (r == utf8.RuneError) {
			return s[max(0, i-30):min(len(s), i+30)]
		}
	}
	return ""
}

// expectBadInput checks what every hostile input must give: exit 2 within
// the limit, bounded memory, one error line naming the flag, a hint, no
// panic and no raw control character.
func expectBadInput(t *testing.T, r run1, flag string, within time.Duration) {
	t.Helper()
	if r.code != 2 {
		t.Errorf("exit %d, want 2; stderr: %s", r.code, r.stderr)
	}
	if r.took > within {
		t.Errorf("took %s, want at most %s", r.took.Round(time.Millisecond), within)
	}
	// The test binary runs under -race in make test: about 60 MB at rest.
	if r.maxRSS > 300<<20 {
		t.Errorf("peak RSS %d MB", r.maxRSS>>20)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "tlsdoctor: error: ") || !strings.Contains(lines[0], flag) {
		t.Errorf("stderr does not start with an error naming %s: %q", flag, r.stderr)
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "hint: ") {
		t.Errorf("want one error line and one hint, got %q", r.stderr)
	}
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "fatal error") {
		t.Errorf("crashed: %s", r.stderr)
	}
	if s := rawControl(r.stdout + r.stderr); s != "" {
		t.Errorf("raw control character near %q", s)
	}
}

// Time limits: what should be instant, and what --timeout may add to a
// run. Generous: make test runs several packages at once on two cores,
// and the binary is built with -race.
const (
	quick  = 3 * time.Second
	margin = 3 * time.Second
)

// Every input file flag, given a FIFO nobody writes to, a FIFO whose
// writer never sends, /dev/zero and a 2 GiB file: exit 2, fast, small.
func TestHostileInputFiles(t *testing.T) {
	dir := t.TempDir()
	p, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "leaf", CommonName: "localhost", DNSNames: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	crt, key := write("c.crt", p.Get("leaf").PEM()), write("c.key", p.Get("leaf").KeyPEM())
	p12, err := pkcs12.Modern2023.Encode(p.Get("leaf").Key, p.Get("leaf").Cert, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	p12f := write("c.p12", p12)
	huge := filepath.Join(dir, "huge")
	if f, err := os.Create(huge); err != nil {
		t.Fatal(err)
	} else if err := f.Truncate(2 << 30); err != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	const target = "127.0.0.1:1"
	flags := []struct {
		flag string
		args func(f string) []string
	}{
		{"--ca-file", func(f string) []string { return []string{"--ca-file", f, target} }},
		{"--truststore", func(f string) []string { return []string{"--truststore", f, target} }},
		{"--truststore-password-file", func(f string) []string { return []string{"--truststore-password-file", f, "--ca-file", crt, target} }},
		{"--cert", func(f string) []string { return []string{"--cert", f, target} }},
		{"--key", func(f string) []string { return []string{"--cert", crt, "--key", f, target} }},
		{"--keystore", func(f string) []string { return []string{"--keystore", f, target} }},
		{"--key-password-file", func(f string) []string {
			return []string{"--key-password-file", f, "--cert", crt, "--key", key, target}
		}},
		{"--cert-password-file", func(f string) []string { return []string{"--cert-password-file", f, "--cert", p12f, target} }},
		{"--keystore-password-file", func(f string) []string { return []string{"--keystore-password-file", f, "--keystore", p12f, target} }},
		{"--record", func(f string) []string { return []string{"diagnose", "--record", f} }},
		{"--export-password-file", func(f string) []string {
			return []string{"--export-password-file", f, "--export-truststore", filepath.Join(dir, "t.jks"), target}
		}},
		{"--password-file", func(f string) []string { return []string{"inspect", "--password-file", f, p12f} }},
	}
	for _, fl := range flags {
		t.Run(strings.TrimPrefix(fl.flag, "--"), func(t *testing.T) {
			t.Parallel()
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skip("no FIFOs:", err)
			}
			extra := []string{"--timeout", "2s"}
			if fl.flag == "--record" {
				extra = nil
			}
			// Nobody writes: it reads as empty at once. An empty password
			// is a password (openssl allows them): then the run goes on
			// to the closed port.
			if r := tlsdoctor(t, append(fl.args(fifo), extra...)...); strings.HasSuffix(fl.flag, "password-file") {
				// An empty password: the run goes on, to a wrong
				// password (exit 2) or the closed port (exit 3).
				if r.took > quick || (r.code != 2 && r.code != 3) || rawControl(r.stderr) != "" {
					t.Errorf("empty FIFO: exit %d in %s: %s", r.code, r.took, r.stderr)
				}
			} else {
				expectBadInput(t, r, fl.flag, quick)
			}
			// A writer that holds it open and sends nothing: --timeout
			// (diagnose has none: the 5 s pipe limit).
			stop := make(chan struct{})
			go func() {
				w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				<-stop
				w.Close()
			}()
			limit := 2*time.Second + margin
			// Read before --timeout starts (inspect has none): the 5 s
			// pipe limit.
			if fl.flag == "--record" || fl.flag == "--export-password-file" || fl.flag == "--password-file" {
				limit = 5*time.Second + margin
			}
			expectBadInput(t, tlsdoctor(t, append(fl.args(fifo), extra...)...), fl.flag, limit)
			close(stop)
			expectBadInput(t, tlsdoctor(t, append(fl.args("/dev/zero"), extra...)...), fl.flag, quick)
			r := tlsdoctor(t, append(fl.args(huge), extra...)...)
			expectBadInput(t, r, fl.flag, quick)
			if !strings.Contains(r.stderr, "larger than") {
				t.Errorf("2 GiB file: %q does not say it is too large", r.stderr)
			}
		})
	}
}

// withIterations returns a PKCS#12 file whose key derivations ask for
// 8,388,607 iterations (made with 65536 and patched, so that making it
// is fast: the check must refuse it before deriving anything).
func withIterations(t *testing.T, p12 []byte) []byte {
	t.Helper()
	old, patched := []byte{0x02, 0x03, 0x01, 0x00, 0x00}, []byte{0x02, 0x03, 0x7f, 0xff, 0xff}
	if bytes.Count(p12, old) < 2 {
		t.Fatalf("iteration counts not found in the PKCS#12 file")
	}
	return bytes.ReplaceAll(p12, old, patched)
}

// A PKCS#12 file asking for 8 million iterations took 9 s (more on a busy
// machine) before the run even started: it is refused at once, as a
// client identity and as a truststore.
func TestHostilePKCS12Iterations(t *testing.T) {
	p, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "leaf", CommonName: "localhost", DNSNames: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	p12, err := pkcs12.Modern2023.WithIterations(65536).Encode(p.Get("leaf").Key, p.Get("leaf").Cert, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "slow.p12")
	if err := os.WriteFile(path, withIterations(t, p12), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--cert", path, "--cert-password", "pw"},
		{"--keystore", path, "--keystore-password", "pw"},
		{"--truststore", path, "--truststore-password", "pw"},
	} {
		r := tlsdoctor(t, append(args, "--timeout", "5s", "127.0.0.1:1")...)
		expectBadInput(t, r, args[0], quick)
		if !strings.Contains(r.stderr, "too many key-derivation iterations") {
			t.Errorf("%s: %q does not name the iterations", args[0], r.stderr)
		}
	}
}
