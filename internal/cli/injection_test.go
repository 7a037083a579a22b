package cli

// No shell injection through a printed fix (issue 16): a hostile server's
// certificate carries shell syntax and newlines in every name and URL a fix
// might quote. Every command the tool prints for it, in text and JSON, must
// parse as one plain command whose words are what we meant, pass sh -n,
// and, run by sh -c in a sandbox (every tool a stub that records its
// arguments), never run the marker command.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// hostileNames are SANs that must never reach a command or config as they
// are: a newline injecting config lines, "]" and "=" of openssl.cnf,
// control characters, command substitutions, quotes.
var hostileNames = []string{
	"evil.test\nDNS.9 = injected.test\n[ req ]",
	"a]b.test", "x=y.test", "bell\a.test", "esc\x1b[31m.test",
	"$(touch marker).test", "`touch marker`.test", "q'uote.test", "semi;touch marker.test",
}

// hostileURL is an AIA URL made only of characters a URL may hold, that a
// shell would run as two commands if it were pasted unquoted.
const hostileURL = "/root';touch$IFS'marker';'$(touch$IFS'marker')&touch&.der"

// stubTool records its arguments, NUL-separated, in $STUB_LOG/N-name.
const stubTool = `#!/bin/sh
n=$(ls "$STUB_LOG" | wc -l)
for a in "$@"; do printf '%s\0' "$a"; done > "$STUB_LOG/$n-$(basename "$0")"
`

func TestNoShellInjectionThroughFixes(t *testing.T) {
	now := time.Now()
	aia, err := fixtures.NewAIAServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(aia.Close)
	loop := "http://127.0.0.1:1"
	urls := []string{loop + "/a;touch marker", loop + "/$(touch marker)", loop + "/`touch marker`", loop + "/x\ntouch marker", loop + "/q'\"x"}
	p, err := fixtures.Build(now,
		fixtures.CertSpec{Name: "root", CommonName: "Hostile Root CA", IsCA: true},
		fixtures.CertSpec{Name: "inter", Parent: "root", CommonName: "Hostile Intermediate CA", IsCA: true},
		fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "localhost\n[ dn ]\nCN = $(touch marker)",
			DNSNames: append([]string{"localhost"}, hostileNames...), IssuingCertificateURL: urls, OCSPServer: urls, CRLDistributionPoints: urls},
		fixtures.CertSpec{Name: "mismatch", Parent: "inter", CommonName: "other", DNSNames: hostileNames},
		fixtures.CertSpec{Name: "aia-inter", Parent: "root", CommonName: "Hostile AIA Intermediate", IsCA: true, IssuingCertificateURL: []string{aia.Base + hostileURL}},
		fixtures.CertSpec{Name: "aia-leaf", Parent: "aia-inter", CommonName: "localhost", DNSNames: []string{"localhost"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	aia.Serve(hostileURL, "application/pkix-cert", p.Get("root").Cert.Raw)
	other, err := fixtures.Build(now, fixtures.CertSpec{Name: "root", CommonName: "Unrelated Root", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	ca := writeFile(t, t.TempDir(), "ca.pem", p.PEMBundle("root"))
	otherCA := writeFile(t, t.TempDir(), "other.pem", other.PEMBundle("root"))
	serve := func(names ...string) int {
		var chain []byte
		for _, n := range names {
			chain = append(chain, p.Get(n).PEM()...)
		}
		return serveFiles(t, chain, p.Get(names[0]).KeyPEM())
	}
	for _, tc := range []struct {
		name  string
		port  int
		flags []string
		want  []string // findings that must be there
		// word is a value that must reach a command as one word, intact.
		word string
	}{
		{"hostile names and URLs, leaf only", serve("leaf"), []string{"--ca-file", ca}, []string{"invalid-name-characters", "chain-incomplete"}, ""},
		{"hostile names, name mismatch", serve("mismatch", "inter"), []string{"--ca-file", ca}, []string{"invalid-name-characters", "hostname-mismatch"}, ""},
		{"hostile names, untrusted", serve("leaf", "inter"), []string{"--ca-file", otherCA}, []string{"invalid-name-characters", "untrusted-root"}, ""},
		{"AIA URL with shell syntax", serve("aia-leaf", "aia-inter"), []string{"--ca-file", otherCA}, []string{"untrusted-root"}, aia.Base + hostileURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := diagnoseJSON(t, nil, tc.port, tc.flags...)
			for _, id := range tc.want {
				findingByID(t, fs, id)
			}
			text := invoke(t, nil, append(append(target(tc.port), "--color", "never"), tc.flags...)...).stdout
			var lines []string
			for _, f := range fs {
				for _, s := range f.Fix {
					if s.Kind == checks.StepConfig {
						for _, bad := range []string{"injected", "marker", "\a", "\x1b"} {
							if strings.Contains(s.Text, bad) {
								t.Errorf("%s: a %s setting carries %q:\n%s", f.ID, s.For, bad, s.Text)
							}
						}
					}
					if s.Kind != checks.StepCommand {
						continue
					}
					lines = append(lines, s.Text)
					if !strings.Contains(text, "\n        "+s.Text+"\n") {
						t.Errorf("%s: the text report does not print the command as JSON has it: %s", f.ID, s.Text)
					}
				}
			}
			if len(lines) == 0 {
				t.Fatal("no command printed at all")
			}
			found := tc.word == ""
			for _, line := range lines {
				cmds, err := parseCommand(line)
				if err != nil {
					t.Errorf("printed command %q is not one plain command: %v", line, err)
					sandboxRun(t, line, nil) // still: does the marker run?
					continue
				}
				for _, c := range cmds {
					if slices.Contains(c.words, tc.word) {
						found = true
					}
					for _, w := range c.words {
						if strings.ContainsAny(w, "\n\r\a\x1b") {
							t.Errorf("a word of %q holds a control character: %q", line, w)
						}
					}
				}
				if res := runShell(t, t.TempDir(), "sh -n -c "+checks.ShellQuote(line), "", 10*time.Second, nil); res.code != 0 {
					t.Errorf("sh -n rejects %q: %s", line, res.out)
				}
				sandboxRun(t, line, cmds)
			}
			if !found {
				t.Errorf("no printed command carries %q as one word:\n%s", tc.word, strings.Join(lines, "\n"))
			}
		})
	}
}

// sandboxRun runs line with sh -c in a temp dir where every tool it names
// is a stub that records its arguments, and checks that the marker command
// never ran and that each tool got exactly the words the parser read.
func sandboxRun(t *testing.T, line string, cmds []shellCommand) {
	t.Helper()
	dir, stubs, log := t.TempDir(), t.TempDir(), t.TempDir()
	tools := append([]string{}, runnableTools...)
	for _, c := range cmds {
		tools = append(tools, c.words[0])
	}
	for _, tool := range tools {
		if err := os.WriteFile(filepath.Join(stubs, tool), []byte(stubTool), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	res := runShell(t, dir, line, "", 20*time.Second, []string{"STUB_LOG=" + log}, stubs)
	if res.code != 0 && cmds != nil {
		t.Errorf("%q in the sandbox: exit %d: %s", line, res.code, res.out)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "marker") || e.Name() == "&" {
			t.Errorf("running %q created %q: a value was run as a command", line, e.Name())
		}
	}
	logs, _ := os.ReadDir(log)
	if cmds == nil {
		return
	}
	if len(logs) != len(cmds) {
		t.Errorf("%q ran %d tools, want %d", line, len(logs), len(cmds))
		return
	}
	for _, c := range cmds {
		var got []string
		for _, e := range logs {
			if strings.HasSuffix(e.Name(), "-"+c.words[0]) {
				b, _ := os.ReadFile(filepath.Join(log, e.Name()))
				for _, a := range bytes.Split(bytes.TrimSuffix(b, []byte{0}), []byte{0}) {
					got = append(got, string(a))
				}
			}
		}
		if len(c.words) == 1 {
			got = nil
		}
		if want := c.words[1:]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s got arguments %q, the parser read %q", c.words[0], got, want)
		}
	}
}
