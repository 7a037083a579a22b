package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// TestEveryPrintedCommandParses: over every recorded handshake, judged
// with the stores it recorded and again with a keystore of the user's
// whose path needs quoting, every command a fix prints is one plain
// command for the tool it says, holds no placeholder, and every fix has a
// hint that is a complete first step.
func TestEveryPrintedCommandParses(t *testing.T) {
	files, err := filepath.Glob("../../testdata/records/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no records: %v", err)
	}
	n := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := probe.DecodeRecord(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var stores []checks.Truststore
		for _, rt := range rec.Truststores {
			if len(rt.Certificates) > 0 {
				ts, err := checks.RecordedTruststore(rt)
				if err != nil {
					t.Fatal(err)
				}
				stores = append(stores, ts)
			}
		}
		mine := checks.Truststore{Name: "my trust.p12"}
		if len(stores) > 0 {
			mine = stores[0]
		}
		mine.Path, mine.Format, mine.Flag = "/home/me/My Stores/trust (prod).p12", "PKCS#12", "--truststore"
		for _, env := range []checks.Env{{Now: rec.StartedAt, Truststores: stores}, {Now: rec.StartedAt, Truststores: []checks.Truststore{mine}}} {
			for _, f := range checks.Run(rec, env) {
				if len(f.Fix) == 0 {
					continue
				}
				if h := checks.Hint(f.Fix); h == "" || strings.HasSuffix(h, ":") {
					t.Errorf("%s %s: hint %q is not a complete step", filepath.Base(file), f.ID, h)
				}
				for _, s := range f.Fix {
					if s.Kind != checks.StepCommand {
						continue
					}
					n++
					cmds, err := parseCommand(s.Text)
					if err != nil {
						t.Errorf("%s %s: %q is not one plain command: %v", filepath.Base(file), f.ID, s.Text, err)
						continue
					}
					if cmds[0].words[0] != s.For {
						t.Errorf("%s %s: %q is said to be for %q", filepath.Base(file), f.ID, s.Text, s.For)
					}
					for _, ph := range []string{"PASSWORD", "...", "…", "<", "NAME", "FILE"} {
						for _, c := range cmds {
							for _, w := range c.words {
								if strings.Contains(w, ph) && w != "</dev/null" {
									t.Errorf("%s %s: %q holds the placeholder %q", filepath.Base(file), f.ID, s.Text, ph)
								}
							}
						}
					}
					if strings.Contains(s.Text, "keytool") && strings.Contains(s.Text, "-keystore") && env.Truststores[0].Path != "" &&
						strings.Contains(s.Text, "-importcert -trustcacerts -alias") && strings.Contains(s.Text, "-file root.pem") &&
						!strings.Contains(s.Text, checks.ShellQuote(mine.Path)) {
						t.Errorf("%s %s: keytool imports elsewhere than the truststore given: %s", filepath.Base(file), f.ID, s.Text)
					}
				}
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d commands seen: the records no longer exercise the fixes", n)
	}
}

// TestHintIsACompleteFirstStep: when no TLS session could be made, the
// stderr hint is the first step of the first error's fix that can be acted
// on by itself (with the command it introduces), never a heading cut at
// its colon such as "Two ways out:".
func TestHintIsACompleteFirstStep(t *testing.T) {
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "ca.pem", l.RootPEM())
	for _, sc := range []string{"plain-http", "reset", "tls10-only", "sha1-signatures", "client-cert-required", "garbage"} {
		t.Run(sc, func(t *testing.T) {
			srv := startScenario(t, l, sc)
			args := append(target(srv.Port), "--ca-file", ca, "--timeout", "5s")
			res := invoke(t, nil, append(args, "--color", "never")...)
			var hints []string
			for _, line := range strings.Split(res.stderr, "\n") {
				if strings.HasPrefix(line, "hint: ") {
					hints = append(hints, strings.TrimPrefix(line, "hint: "))
				}
			}
			if len(hints) != 1 {
				t.Fatalf("want one hint line, got %q", res.stderr)
			}
			var first *checks.Finding
			fs := diagnoseJSON(t, nil, srv.Port, "--ca-file", ca, "--timeout", "5s")
			for i := range fs {
				if fs[i].Severity == checks.Error {
					first = &fs[i]
					break
				}
			}
			if first == nil {
				t.Fatal("no error finding")
			}
			if want := checks.Hint(first.Fix); hints[0] != want || strings.HasSuffix(want, ":") {
				t.Errorf("hint %q, want the first actionable step %q", hints[0], want)
			}
		})
	}
}
