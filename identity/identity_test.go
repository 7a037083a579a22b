package identity_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/identity"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func lab(t *testing.T) *fixtures.Lab {
	t.Helper()
	l := fixtures.TestLab(t, testNow)
	return l
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// must fails the test binary on a fixture error (a bug in the test).
func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func pw(s string) *string { return &s }

func TestLoadFormats(t *testing.T) {
	l := lab(t)
	p := l.PKI
	dir := t.TempDir()
	chain := write(t, dir, "client-chain.pem", p.ChainPEM("client", "intermediate"))
	rsaChain := write(t, dir, "rsa-chain.pem", p.ChainPEM("client-rsa", "intermediate"))
	combined := write(t, dir, "combined.pem", append(p.ChainPEM("client", "intermediate"), p.Get("client").KeyPEM()...))
	der := write(t, dir, "client.der", p.Get("client").Cert.Raw)
	for _, tc := range []struct {
		name       string
		opts       identity.Options
		wantFormat string
		wantChain  int
		wantCN     string
	}{
		{"pem pkcs8", identity.Options{CertFile: chain, KeyFile: write(t, dir, "k8.pem", must(p.KeyPEMAs("client", "pkcs8", "")))}, "PEM", 2, "client.example.test"},
		{"pem sec1", identity.Options{CertFile: chain, KeyFile: write(t, dir, "ec.pem", must(p.KeyPEMAs("client", "sec1", "")))}, "PEM", 2, "client.example.test"},
		{"pem pkcs1", identity.Options{CertFile: rsaChain, KeyFile: write(t, dir, "rsa.pem", must(p.KeyPEMAs("client-rsa", "pkcs1", "")))}, "PEM", 2, "rsa.client.example.test"},
		{"encrypted pkcs8", identity.Options{CertFile: chain, KeyFile: write(t, dir, "enc8.pem", must(p.KeyPEMAs("client", "pkcs8-encrypted", "s3cret"))), KeyPassword: pw("s3cret")}, "PEM", 2, "client.example.test"},
		{"legacy encrypted rsa", identity.Options{CertFile: rsaChain, KeyFile: write(t, dir, "legacy-rsa.pem", must(p.KeyPEMAs("client-rsa", "legacy-encrypted", "s3cret"))), KeyPassword: pw("s3cret")}, "PEM", 2, "rsa.client.example.test"},
		{"legacy encrypted ec", identity.Options{CertFile: chain, KeyFile: write(t, dir, "legacy-ec.pem", must(p.KeyPEMAs("client", "legacy-encrypted", "s3cret"))), KeyPassword: pw("s3cret")}, "PEM", 2, "client.example.test"},
		{"cert and key in one file", identity.Options{CertFile: combined}, "PEM", 2, "client.example.test"},
		{"der cert", identity.Options{CertFile: der, KeyFile: write(t, dir, "k8b.pem", p.Get("client").KeyPEM())}, "DER", 1, "client.example.test"},
		{"pkcs12 with chain", identity.Options{CertFile: write(t, dir, "c.p12", must(p.PKCS12("pw12", "client", "intermediate", "root"))), CertPassword: pw("pw12")}, "PKCS#12", 3, "client.example.test"},
		{"pkcs12 chain out of order is ordered", identity.Options{CertFile: write(t, dir, "c2.p12", must(p.PKCS12("pw12", "client-deep", "intermediate", "issuing"))), CertPassword: pw("pw12")}, "PKCS#12", 3, "deep.client.example.test"},
		{"jks", identity.Options{Keystore: write(t, dir, "c.jks", must(p.JKS("changeit", fixtures.JKSEntry{Alias: "client", Chain: []string{"client", "intermediate"}}))), KeystorePassword: pw("changeit")}, "JKS", 2, "client.example.test"},
		{"jks with alias among several", identity.Options{Keystore: write(t, dir, "multi.jks", must(p.JKS("changeit",
			fixtures.JKSEntry{Alias: "one", Chain: []string{"client", "intermediate"}},
			fixtures.JKSEntry{Alias: "two", Chain: []string{"client-other", "other-intermediate"}},
			fixtures.JKSEntry{Alias: "ca", Chain: []string{"root"}, Trusted: true}))), KeystorePassword: pw("changeit"), Alias: "two"}, "JKS", 2, "other.client.example.test"},
		{"pkcs12 as keystore", identity.Options{Keystore: write(t, dir, "ks.p12", must(p.PKCS12("changeit", "client", "intermediate"))), KeystorePassword: pw("changeit")}, "PKCS#12", 2, "client.example.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := identity.Load(tc.opts)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if id.Format != tc.wantFormat {
				t.Errorf("format = %q, want %q", id.Format, tc.wantFormat)
			}
			if len(id.Chain) != tc.wantChain || len(id.Certificate.Certificate) != tc.wantChain {
				t.Errorf("chain has %d certificates (%d in tls.Certificate), want %d", len(id.Chain), len(id.Certificate.Certificate), tc.wantChain)
			}
			if cn := id.Chain[0].Subject.CommonName; cn != tc.wantCN {
				t.Errorf("leaf CN = %q, want %q", cn, tc.wantCN)
			}
			for i := 1; i < len(id.Chain); i++ {
				if err := id.Chain[i-1].CheckSignatureFrom(id.Chain[i]); err != nil {
					t.Errorf("chain[%d] is not issued by chain[%d]: the chain must be in sending order", i-1, i)
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	l := lab(t)
	p := l.PKI
	dir := t.TempDir()
	chain := write(t, dir, "client-chain.pem", p.ChainPEM("client", "intermediate"))
	otherKey := write(t, dir, "other.key", p.Get("client-other").KeyPEM())
	enc8 := write(t, dir, "enc8.key", must(p.KeyPEMAs("client", "pkcs8-encrypted", "Pw-R1ght-7x")))
	legacy := write(t, dir, "legacy.key", must(p.KeyPEMAs("client", "legacy-encrypted", "Pw-R1ght-7x")))
	p12 := write(t, dir, "c.p12", must(p.PKCS12("Pw-R1ght-7x", "client", "intermediate")))
	trust12 := write(t, dir, "trust.p12", must(p.PKCS12TrustStore("Pw-R1ght-7x", "root")))
	jks := write(t, dir, "c.jks", must(p.JKS("Pw-R1ght-7x", fixtures.JKSEntry{Alias: "mykey", Chain: []string{"client", "intermediate"}}, fixtures.JKSEntry{Alias: "myca", Chain: []string{"root"}, Trusted: true})))
	trustJKS := write(t, dir, "trust.jks", must(p.JKS("Pw-R1ght-7x", fixtures.JKSEntry{Alias: "root-ca", Chain: []string{"root"}, Trusted: true})))
	jceks := write(t, dir, "c.jceks", []byte{0xCE, 0xCE, 0xCE, 0xCE, 0, 0, 0, 2})
	ssh := write(t, dir, "id_ed25519", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"))
	p7 := write(t, dir, "c.p7b", []byte("-----BEGIN PKCS7-----\nMIIB\n-----END PKCS7-----\n"))
	junk := write(t, dir, "junk.bin", []byte("hello, this is not a certificate"))
	for _, tc := range []struct {
		name    string
		opts    identity.Options
		wantErr error
		want    []string // substrings of the message
	}{
		{"wrong password encrypted pkcs8", identity.Options{CertFile: chain, KeyFile: enc8, KeyPassword: pw("Pw-Wr0ng-9q")}, identity.ErrWrongPassword, []string{"--key " + enc8, "wrong password"}},
		{"wrong password legacy pem", identity.Options{CertFile: chain, KeyFile: legacy, KeyPassword: pw("Pw-Wr0ng-9q")}, identity.ErrWrongPassword, []string{"--key " + legacy, "wrong password"}},
		{"wrong password pkcs12", identity.Options{CertFile: p12, CertPassword: pw("Pw-Wr0ng-9q")}, identity.ErrWrongPassword, []string{"--cert " + p12, "wrong password"}},
		{"wrong password jks", identity.Options{Keystore: jks, KeystorePassword: pw("Pw-Wr0ng-9q")}, identity.ErrWrongPassword, []string{"--keystore " + jks, "wrong keystore password"}},
		{"key does not match", identity.Options{CertFile: chain, KeyFile: otherKey}, identity.ErrKeyMismatch, []string{"does not match", "certificate public key SHA-256", "private key's public key SHA-256"}},
		{"encrypted pkcs8 without password", identity.Options{CertFile: chain, KeyFile: enc8}, identity.ErrNeedPassword, []string{"encrypted PKCS#8 key", "no password"}},
		{"legacy encrypted without password", identity.Options{CertFile: chain, KeyFile: legacy}, identity.ErrNeedPassword, []string{"Proc-Type: 4,ENCRYPTED", "no password"}},
		{"pkcs12 truststore has no key", identity.Options{CertFile: trust12, CertPassword: pw("Pw-R1ght-7x")}, identity.ErrNoPrivateKey, []string{"no private key entry"}},
		{"jks truststore has no key", identity.Options{Keystore: trustJKS, KeystorePassword: pw("Pw-R1ght-7x")}, identity.ErrNoPrivateKey, []string{"no private key entry", `"root-ca"`}},
		{"alias not found lists aliases", identity.Options{Keystore: jks, KeystorePassword: pw("Pw-R1ght-7x"), Alias: "nope"}, identity.ErrAliasNotFound, []string{`"nope" is not in`, `"mykey"`, `"myca"`}},
		{"alias is a trusted cert", identity.Options{Keystore: jks, KeystorePassword: pw("Pw-R1ght-7x"), Alias: "myca"}, identity.ErrNoPrivateKey, []string{"trusted certificate", `"mykey"`}},
		{"jceks unsupported", identity.Options{Keystore: jceks, KeystorePassword: pw("x")}, identity.ErrUnsupported, []string{"JCEKS"}},
		{"openssh key unsupported", identity.Options{CertFile: chain, KeyFile: ssh}, identity.ErrUnsupported, []string{"OpenSSH private key"}},
		{"pkcs7 unsupported", identity.Options{CertFile: p7}, identity.ErrUnsupported, []string{"PKCS#7"}},
		{"unknown format", identity.Options{CertFile: junk}, identity.ErrUnsupported, []string{"not a certificate or key format"}},
		{"jks given as --cert", identity.Options{CertFile: jks}, identity.ErrUnsupported, []string{"JKS keystore", "--cert " + jks}},
		{"pem without key", identity.Options{CertFile: chain}, identity.ErrMissingKeyInput, []string{"no private key"}},
		{"key without cert", identity.Options{KeyFile: otherKey}, nil, []string{"--key", "without --cert"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := identity.Load(tc.opts)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			var ie *identity.Error
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is %T, want *identity.Error", err, err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q does not wrap %v", err, tc.wantErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, secret := range []string{"Pw-R1ght-7x", "Pw-Wr0ng-9q"} {
				if strings.Contains(err.Error()+ie.Hint, secret) {
					t.Errorf("error %q or hint %q shows a password", err, ie.Hint)
				}
			}
		})
	}
}

// TestKeytoolKeystores loads keystores made by the real keytool (Java), the
// files our users have, in both store types.
func TestKeytoolKeystores(t *testing.T) {
	keytool, err := exec.LookPath("keytool")
	if err != nil {
		t.Skip("keytool not installed (apt-get install -y default-jdk-headless)")
	}
	dir := t.TempDir()
	for _, typ := range []string{"PKCS12", "JKS"} {
		t.Run(typ, func(t *testing.T) {
			ks := filepath.Join(dir, "client-"+typ)
			cmd := exec.Command(keytool, "-genkeypair", "-keystore", ks, "-storetype", typ, "-storepass", "changeit", "-keypass", "changeit",
				"-alias", "myclient", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=keytool client,O=Example", "-validity", "30",
				"-ext", "EKU=clientAuth")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("keytool: %v\n%s", err, out)
			}
			id, err := identity.Load(identity.Options{Keystore: ks, KeystorePassword: pw("changeit"), Alias: "myclient"})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cn := id.Chain[0].Subject.CommonName; cn != "keytool client" {
				t.Errorf("CN = %q", cn)
			}
			_, err = identity.Load(identity.Options{Keystore: ks, KeystorePassword: pw("nottheone")})
			if !errors.Is(err, identity.ErrWrongPassword) {
				t.Errorf("wrong password: got %v, want ErrWrongPassword", err)
			}
		})
	}
}

func FuzzDetectAndLoad(f *testing.F) {
	// A small EC-only PKI: RSA key generation is slow under the fuzzer's
	// coverage instrumentation.
	p, err := fixtures.Build(testNow,
		fixtures.CertSpec{Name: "ca", CommonName: "Fuzz CA", IsCA: true},
		fixtures.CertSpec{Name: "client", Parent: "ca", CommonName: "fuzz client"})
	if err != nil {
		f.Fatal(err)
	}
	p12, _ := p.PKCS12("pw", "client", "ca")
	jks, _ := p.JKS("changeit", fixtures.JKSEntry{Alias: "a", Chain: []string{"client"}})
	enc, _ := p.KeyPEMAs("client", "pkcs8-encrypted", "pw")
	f.Add(p.ChainPEM("client", "ca"))
	f.Add(p.Get("client").KeyPEM())
	f.Add(enc)
	f.Add(p12)
	f.Add(jks)
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = identity.Detect(data)
		dir := t.TempDir()
		path := filepath.Join(dir, "in")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _ = identity.Load(identity.Options{CertFile: path, CertPassword: pw("pw")})
		_, _ = identity.Load(identity.Options{Keystore: path, KeystorePassword: pw("changeit")})
	})
}
