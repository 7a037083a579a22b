package identity_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/identity"
)

// TestHintsQuotePaths: every hint that names the file in a command (an
// openssl, keytool or puttygen line, or the tlsdoctor flags to use) gives
// the path as one shell word, whatever it holds: a space, a quote, ";",
// "$()". The command is pasted into sh with printf standing in for the
// program (the real one would fail on these inputs anyway), and the path
// must come back as one of its words.
func TestHintsQuotePaths(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	p := lab(t).PKI
	dir := filepath.Join(t.TempDir(), `it's "my" keys; $(touch pwned)`)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	chain := write(t, dir, "client chain.pem", p.ChainPEM("client", "intermediate"))
	enc8 := write(t, dir, "enc'8.key", must(p.KeyPEMAs("client", "pkcs8-encrypted", "Pw-R1ght-7x")))
	p12 := write(t, dir, "c $x.p12", must(p.PKCS12("Pw-R1ght-7x", "client", "intermediate")))
	jks := write(t, dir, "c;d.jks", must(p.JKS("Pw-R1ght-7x", fixtures.JKSEntry{Alias: "my key", Chain: []string{"client", "intermediate"}}, fixtures.JKSEntry{Alias: "other key", Chain: []string{"client"}})))
	jceks := write(t, dir, "c `x`.jceks", []byte{0xCE, 0xCE, 0xCE, 0xCE, 0, 0, 0, 2})
	putty := write(t, dir, "id 'putty'.ppk", []byte("PuTTY-User-Key-File-3: ssh-ed25519\n"))
	p7 := write(t, dir, "c\"7.p7b", []byte("-----BEGIN PKCS7-----\nMIIB\n-----END PKCS7-----\n"))
	junk := write(t, dir, "junk (1).bin", []byte("hello, this is not a certificate"))
	derJunk := write(t, dir, "k & k.der", []byte{0x30, 0x03, 0x02, 0x01, 0x01})
	type tc struct {
		name    string
		opts    identity.Options
		path    string
		command string // where the command starts in the hint
	}
	cases := []tc{
		{"jceks", identity.Options{Keystore: jceks, KeystorePassword: pw("x")}, jceks, "keytool -importkeystore"},
		{"putty", identity.Options{CertFile: chain, KeyFile: putty}, putty, "puttygen"},
		{"pkcs7", identity.Options{CertFile: p7}, p7, "openssl pkcs7"},
		{"unknown, x509", identity.Options{CertFile: junk}, junk, "openssl x509"},
		{"unknown, pkcs12", identity.Options{CertFile: junk}, junk, "openssl pkcs12"},
		{"der, not a key", identity.Options{CertFile: chain, KeyFile: derJunk}, derJunk, "openssl pkcs8"},
		{"wrong key password", identity.Options{CertFile: chain, KeyFile: enc8, KeyPassword: pw("Pw-Wr0ng-9q")}, enc8, "openssl pkey"},
		{"wrong pkcs12 password", identity.Options{CertFile: p12, CertPassword: pw("Pw-Wr0ng-9q")}, p12, "openssl pkcs12"},
		{"pkcs12 as --key", identity.Options{CertFile: chain, KeyFile: p12}, p12, "--cert"},
		{"jks as --cert", identity.Options{CertFile: jks}, jks, "--keystore"},
		{"pem as --keystore", identity.Options{Keystore: chain}, chain, "--cert"},
		{"wrong jks password", identity.Options{Keystore: jks, KeystorePassword: pw("Pw-Wr0ng-9q")}, jks, "keytool -list"},
		{"jks alias with a space", identity.Options{Keystore: jks, KeystorePassword: pw("Pw-R1ght-7x")}, "my key", "--alias"},
	}
	if _, err := exec.LookPath("keytool"); err == nil {
		// A PKCS#12 keystore with two key entries, as keytool makes them.
		two := filepath.Join(dir, "two keys's.p12")
		for _, a := range []string{"a", "b"} {
			fixtures.RunTool(t, dir, "keytool", "-genkeypair", "-noprompt", "-alias", a, "-keyalg", "EC", "-dname", "CN="+a,
				"-keystore", two, "-storetype", "PKCS12", "-storepass", "Pw-R1ght-7x")
		}
		cases = append(cases, tc{"pkcs12 with two keys", identity.Options{Keystore: two, KeystorePassword: pw("Pw-R1ght-7x")}, two, "keytool -importkeystore"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := identity.Load(c.opts)
			var ie *identity.Error
			if !errors.As(err, &ie) {
				t.Fatalf("%v, want an identity error", err)
			}
			i := strings.Index(ie.Hint, c.command)
			if i < 0 {
				t.Fatalf("hint %q has no %q", ie.Hint, c.command)
			}
			cmd := ie.Hint[i:]
			for _, end := range []string{", then ", ", or ", ", without ", "; check it"} {
				cmd, _, _ = strings.Cut(cmd, end)
			}
			cmd = strings.TrimSuffix(cmd, " ...")
			sh := exec.Command("sh", "-c", `printf '%s\n' `+cmd)
			sh.Dir = dir
			out, err := sh.Output()
			if err != nil {
				t.Fatalf("sh: %s: %v", cmd, err)
			}
			words := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			found := false
			for _, w := range words {
				found = found || w == c.path
			}
			if !found {
				t.Errorf("sh reads the hint's command %q as %q: no word is %q", cmd, words, c.path)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("a hint's command ran $(touch pwned)")
	}
}
