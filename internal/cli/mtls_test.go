package cli

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

const (
	goodPW  = "Pw-R1ght-7x"
	wrongPW = "Pw-Wr0ng-9q"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	r := invoke(t, env, args...)
	return r.code, r.stdout, r.stderr
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustBytes(b []byte, err error) []byte {
	if err != nil {
		panic(err) // a fixture bug
	}
	return b
}

type identityFiles struct {
	chain, key, otherKey, enc8, legacy, p12, trustP12, jks, trustJKS, jceks, ssh, pwFile, wrongPWFile string
}

func makeIdentityFiles(t *testing.T, l *fixtures.Lab) identityFiles {
	t.Helper()
	p := l.PKI
	d := t.TempDir()
	return identityFiles{
		chain:       writeFile(t, d, "client-chain.pem", p.ChainPEM("client", "intermediate")),
		key:         writeFile(t, d, "client.key", p.Get("client").KeyPEM()),
		otherKey:    writeFile(t, d, "other.key", p.Get("client-other").KeyPEM()),
		enc8:        writeFile(t, d, "enc8.key", mustBytes(p.KeyPEMAs("client", "pkcs8-encrypted", goodPW))),
		legacy:      writeFile(t, d, "legacy.key", mustBytes(p.KeyPEMAs("client", "legacy-encrypted", goodPW))),
		p12:         writeFile(t, d, "client.p12", mustBytes(p.PKCS12(goodPW, "client", "intermediate"))),
		trustP12:    writeFile(t, d, "trust.p12", mustBytes(p.PKCS12TrustStore(goodPW, "root"))),
		jks:         writeFile(t, d, "client.jks", mustBytes(p.JKS(goodPW, fixtures.JKSEntry{Alias: "mykey", Chain: []string{"client", "intermediate"}}, fixtures.JKSEntry{Alias: "myca", Chain: []string{"root"}, Trusted: true}))),
		trustJKS:    writeFile(t, d, "trust.jks", mustBytes(p.JKS(goodPW, fixtures.JKSEntry{Alias: "root-ca", Chain: []string{"root"}, Trusted: true}))),
		jceks:       writeFile(t, d, "client.jceks", []byte{0xCE, 0xCE, 0xCE, 0xCE, 0, 0, 0, 2}),
		ssh:         writeFile(t, d, "id_ed25519", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n")),
		pwFile:      writeFile(t, d, "pw.txt", []byte(goodPW+"\n")),
		wrongPWFile: writeFile(t, d, "wrong.txt", []byte(wrongPW+"\n")),
	}
}

// TestIdentityInputErrors: every bad client-identity input is one error
// line naming the flag and file (plus a hint), exit 2, nothing on stdout,
// and never the password.
func TestIdentityInputErrors(t *testing.T) {
	l := fixtures.TestLab(t, time.Now())
	f := makeIdentityFiles(t, l)
	const target = "127.0.0.1:9" // never reached: input is checked first
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string // substrings of the error line
	}{
		{"wrong key password (flag)", nil, []string{"--cert", f.chain, "--key", f.enc8, "--key-password", wrongPW}, []string{"--key " + f.enc8, "wrong password"}},
		{"wrong key password (file)", nil, []string{"--cert", f.chain, "--key", f.legacy, "--key-password-file", f.wrongPWFile}, []string{"--key " + f.legacy, "wrong password"}},
		{"wrong key password (env)", map[string]string{"TLSDOCTOR_KEY_PASSWORD": wrongPW}, []string{"--cert", f.chain, "--key", f.enc8}, []string{"--key " + f.enc8, "wrong password"}},
		{"wrong pkcs12 password", nil, []string{"--cert", f.p12, "--cert-password", wrongPW}, []string{"--cert " + f.p12, "wrong password"}},
		{"pkcs12 without password", nil, []string{"--cert", f.p12}, []string{"--cert " + f.p12, "needs a password"}},
		{"wrong keystore password", map[string]string{"TLSDOCTOR_KEYSTORE_PASSWORD": wrongPW}, []string{"--keystore", f.jks}, []string{"--keystore " + f.jks, "wrong keystore password"}},
		{"key does not match certificate", nil, []string{"--cert", f.chain, "--key", f.otherKey}, []string{"--key " + f.otherKey, "does not match", "certificate public key SHA-256", "private key's public key SHA-256"}},
		{"encrypted key without password", nil, []string{"--cert", f.chain, "--key", f.enc8}, []string{"--key " + f.enc8, "encrypted", "no password"}},
		{"legacy encrypted key without password", nil, []string{"--cert", f.chain, "--key", f.legacy}, []string{"--key " + f.legacy, "ENCRYPTED", "no password"}},
		{"no private key entry (jks truststore)", nil, []string{"--keystore", f.trustJKS, "--keystore-password", goodPW}, []string{"--keystore " + f.trustJKS, "no private key entry"}},
		{"no private key entry (p12 truststore)", nil, []string{"--cert", f.trustP12, "--cert-password-file", f.pwFile}, []string{"--cert " + f.trustP12, "no private key entry"}},
		{"alias not found", nil, []string{"--keystore", f.jks, "--keystore-password-file", f.pwFile, "--alias", "nope"}, []string{"--alias", `"nope" is not in ` + f.jks, `"myca"`, `"mykey"`}},
		{"unsupported format jceks", nil, []string{"--keystore", f.jceks, "--keystore-password", goodPW}, []string{"--keystore " + f.jceks, "JCEKS"}},
		{"unsupported format openssh key", nil, []string{"--cert", f.chain, "--key", f.ssh}, []string{"--key " + f.ssh, "OpenSSH private key"}},
		{"jks given as --cert", nil, []string{"--cert", f.jks}, []string{"--cert " + f.jks, "JKS keystore"}},
		{"missing cert file", nil, []string{"--cert", "/nonexistent/client.crt", "--key", f.key}, []string{"--cert /nonexistent/client.crt", "no such file"}},
		{"unreadable password file", nil, []string{"--cert", f.p12, "--cert-password-file", "/nonexistent/pw"}, []string{"--cert-password-file", "/nonexistent/pw"}},
		{"password flag and file", nil, []string{"--cert", f.p12, "--cert-password", goodPW, "--cert-password-file", f.pwFile}, []string{"--cert-password and --cert-password-file"}},
		{"alias without keystore", nil, []string{"--cert", f.chain, "--key", f.key, "--alias", "x"}, []string{"--alias needs --keystore"}},
		{"keystore and cert", nil, []string{"--cert", f.chain, "--keystore", f.jks, "--keystore-password", goodPW}, []string{"--keystore", "--cert"}},
		{"key without cert", nil, []string{"--key", f.key}, []string{"--key " + f.key, "without --cert"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.env, append([]string{target}, tc.args...)...)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, ExitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if !strings.HasPrefix(lines[0], "tlsdoctor: error: ") || len(lines) > 2 || (len(lines) == 2 && !strings.HasPrefix(lines[1], "hint: ")) {
				t.Errorf("stderr is not one error line plus an optional hint:\n%s", stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("error line %q does not contain %q", lines[0], w)
				}
			}
			for _, secret := range []string{goodPW, wrongPW} {
				if strings.Contains(stderr, secret) {
					t.Errorf("stderr shows a password: %q", stderr)
				}
			}
		})
	}
}

// TestIdentityEndToEnd: each identity format connects to a server that
// requires and verifies client certificates, and a saved record replays
// the same verdict offline.
func TestIdentityEndToEnd(t *testing.T) {
	l := fixtures.TestLab(t, time.Now())
	f := makeIdentityFiles(t, l)
	srv, err := l.StartMTLS(fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ca := writeFile(t, t.TempDir(), "ca.pem", l.RootPEM())
	target := fmt.Sprintf("https://localhost:%d/", srv.Port)
	base := []string{target, "--connect-to", srv.Addr, "--ca-file", ca, "--format", "json", "--timeout", "5s"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"pem", nil, []string{"--cert", f.chain, "--key", f.key}},
		{"encrypted pkcs8 via env", map[string]string{"TLSDOCTOR_KEY_PASSWORD": goodPW}, []string{"--cert", f.chain, "--key", f.enc8}},
		{"legacy pem via file", nil, []string{"--cert", f.chain, "--key", f.legacy, "--key-password-file", f.pwFile}},
		{"pkcs12", nil, []string{"--cert", f.p12, "--cert-password-file", f.pwFile}},
		{"jks", map[string]string{"TLSDOCTOR_KEYSTORE_PASSWORD": goodPW}, []string{"--keystore", f.jks, "--alias", "mykey"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.env, append(append([]string{}, base...), tc.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d, stderr %q\n%s", code, stderr, stdout)
			}
			var rep struct {
				Record struct {
					ClientIdentity struct {
						Source       string            `json:"source"`
						Certificates []json.RawMessage `json:"certificates"`
					} `json:"client_identity"`
					Attempts []struct {
						Purpose               string `json:"purpose"`
						Outcome               string `json:"outcome"`
						ClientCertificateSent bool   `json:"client_certificate_sent"`
					} `json:"attempts"`
				} `json:"record"`
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if n := len(rep.Record.ClientIdentity.Certificates); n != 2 {
				t.Errorf("recorded %d client certificates, want 2", n)
			}
			a := rep.Record.Attempts
			if len(a) != 2 || a[0].Outcome != "ok" || !a[0].ClientCertificateSent || a[1].Purpose != "no-client-cert" || a[1].Outcome != "failed" {
				t.Errorf("attempts = %+v, want an ok primary with our certificate and a failed no-client-cert attempt", a)
			}
			if strings.Contains(stdout, goodPW) || strings.Contains(strings.ToLower(stdout), "private key") {
				t.Error("the report holds a password or a private key")
			}
		})
	}

	t.Run("record replays offline", func(t *testing.T) {
		rec := filepath.Join(t.TempDir(), "rec.json")
		// An identity from a CA the server does not accept.
		other := writeFile(t, t.TempDir(), "other-chain.pem", l.PKI.ChainPEM("client-other", "other-intermediate"))
		args := append(append([]string{}, base...), "--cert", other, "--key", f.otherKey, "--save-record", rec, "--format", "text", "-q", "--color", "never")
		code, live, stderr := runCLI(t, nil, args...)
		if code != ExitFindings {
			t.Fatalf("live exit %d, stderr %q\n%s", code, stderr, live)
		}
		code, offline, stderr := runCLI(t, nil, "diagnose", "--record", rec, "-q", "--color", "never")
		if code != ExitFindings {
			t.Fatalf("offline exit %d, stderr %q", code, stderr)
		}
		if live != offline {
			t.Errorf("offline verdict differs:\nlive:\n%s\noffline:\n%s", live, offline)
		}
		for _, id := range []string{"client-cert-ca-not-accepted", "client-cert-rejected"} {
			if !strings.Contains(offline, id) {
				t.Errorf("offline verdict lacks %s:\n%s", id, offline)
			}
		}
	})
}
