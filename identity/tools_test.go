package identity_test

import (
	"path/filepath"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/identity"
)

// TestFilesMadeByOpenSSL loads keys and PKCS#12 files made by the openssl
// commands our remediation text prints, so those commands are known to
// produce what tlsdoctor reads.
func TestFilesMadeByOpenSSL(t *testing.T) {
	l := lab(t)
	dir := t.TempDir()
	crt := write(t, dir, "client.crt", l.PKI.ChainPEM("client-rsa"))
	chain := write(t, dir, "ca-chain.pem", l.PKI.ChainPEM("intermediate", "root"))
	key := write(t, dir, "client.key", l.PKI.Get("client-rsa").KeyPEM())
	run := func(t *testing.T, args ...string) {
		t.Helper()
		fixtures.RunTool(t, dir, "openssl", args...)
	}
	t.Run("pkcs12 -export", func(t *testing.T) {
		p12 := filepath.Join(dir, "client.p12")
		run(t, "pkcs12", "-export", "-in", crt, "-inkey", key, "-certfile", chain, "-out", p12, "-passout", "pass:changeit")
		id, err := identity.Load(identity.Options{CertFile: p12, CertPassword: pw("changeit")})
		if err != nil {
			t.Fatal(err)
		}
		if len(id.Chain) != 3 || id.Chain[1].Subject.CommonName != "Example Intermediate CA" {
			t.Errorf("chain = %d certificates, second %q; want leaf, intermediate, root", len(id.Chain), id.Chain[1].Subject.CommonName)
		}
	})
	t.Run("pkcs8 -topk8 -v2 aes-256-cbc", func(t *testing.T) {
		enc := filepath.Join(dir, "enc8.key")
		run(t, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", key, "-out", enc, "-passout", "pass:s3cret")
		if _, err := identity.Load(identity.Options{CertFile: crt, KeyFile: enc, KeyPassword: pw("s3cret")}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("traditional -aes256", func(t *testing.T) {
		enc := filepath.Join(dir, "legacy.key")
		run(t, "rsa", "-traditional", "-aes256", "-in", key, "-out", enc, "-passout", "pass:s3cret")
		if _, err := identity.Load(identity.Options{CertFile: crt, KeyFile: enc, KeyPassword: pw("s3cret")}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestKeytoolImportKeystore converts a PKCS#12 to JKS with the keytool
// command our remediation text prints, and loads the result.
func TestKeytoolImportKeystore(t *testing.T) {
	l := lab(t)
	dir := t.TempDir()
	p12 := write(t, dir, "client.p12", must(l.PKI.PKCS12("changeit", "client", "intermediate")))
	jks := filepath.Join(dir, "client.jks")
	fixtures.RunTool(t, dir, "keytool", "-importkeystore", "-srckeystore", p12, "-srcstoretype", "PKCS12", "-srcstorepass", "changeit",
		"-destkeystore", jks, "-deststoretype", "JKS", "-deststorepass", "changeit", "-noprompt")
	id, err := identity.Load(identity.Options{Keystore: jks, KeystorePassword: pw("changeit")})
	if err != nil {
		t.Fatal(err)
	}
	if id.Format != "JKS" || len(id.Chain) != 2 {
		t.Errorf("format %s with %d certificates, want JKS with 2", id.Format, len(id.Chain))
	}
}
