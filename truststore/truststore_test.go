package truststore

import (
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

func lab(t *testing.T) *fixtures.Lab {
	t.Helper()
	l := fixtures.TestLab(t, time.Now())
	return l
}

// keytool runs the JDK's keytool in dir, skipping the test without it.
func keytool(t *testing.T, dir string, args ...string) {
	t.Helper()
	fixtures.RunTool(t, dir, "keytool", args...)
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadPEMAndDER(t *testing.T) {
	l := lab(t)
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"bundle.pem": l.PKI.PEMBundle("root", "intermediate"),
		"root.der":   l.PKI.Get("root").Cert.Raw,
	} {
		certs, f, err := Load(write(t, dir, name, data), Password{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !certs[0].Equal(l.PKI.Get("root").Cert) {
			t.Errorf("%s: first certificate is %s, want the root", name, certs[0].Subject)
		}
		if want := map[string]Format{"bundle.pem": FormatPEM, "root.der": FormatDER}[name]; f != want {
			t.Errorf("%s: format %s, want %s", name, f, want)
		}
	}
}

// TestKeytoolStores reads JKS and PKCS#12 truststores made by the real
// keytool, with the right, a wrong and no password, and the formats and
// states we refuse (JCEKS, empty).
func TestKeytoolStores(t *testing.T) {
	l := lab(t)
	dir := t.TempDir()
	write(t, dir, "root.pem", l.RootPEM())
	write(t, dir, "other.pem", l.PKI.PEMBundle("other-root"))
	for _, typ := range []string{"JKS", "PKCS12"} {
		t.Run(typ, func(t *testing.T) {
			file := "ts-" + typ
			keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", file, "-storepass", "s3cret!", "-storetype", typ)
			keytool(t, dir, "-importcert", "-noprompt", "-alias", "other", "-file", "other.pem", "-keystore", file, "-storepass", "s3cret!", "-storetype", typ)
			path := filepath.Join(dir, file)
			certs, f, err := Load(path, Password{Value: "s3cret!", Set: true})
			if err != nil {
				t.Fatal(err)
			}
			if string(f) != map[string]string{"JKS": "JKS", "PKCS12": "PKCS#12"}[typ] {
				t.Errorf("format %s", f)
			}
			if len(certs) != 2 {
				t.Fatalf("read %d certificates, want 2", len(certs))
			}
			found := false
			for _, c := range certs {
				found = found || c.Equal(l.PKI.Get("root").Cert)
			}
			if !found {
				t.Error("the root imported by keytool was not read back")
			}
			if _, _, err := Load(path, Password{Value: "wrong", Set: true}); !errors.Is(err, ErrWrongPassword) {
				t.Errorf("wrong password: got %v, want ErrWrongPassword", err)
			}
			if _, _, err := Load(path, Password{}); !errors.Is(err, ErrPasswordNeeded) {
				t.Errorf("no password: got %v, want ErrPasswordNeeded", err)
			}
		})
	}
	t.Run("JCEKS", func(t *testing.T) {
		keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "ts.jceks", "-storepass", "changeit", "-storetype", "JCEKS")
		_, f, err := Load(filepath.Join(dir, "ts.jceks"), Password{Value: "changeit", Set: true})
		if !errors.Is(err, ErrUnsupported) || f != FormatJCEKS {
			t.Errorf("got %v (%s), want ErrUnsupported for JCEKS", err, f)
		}
	})
	t.Run("empty", func(t *testing.T) {
		keytool(t, dir, "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "empty.jks", "-storepass", "changeit", "-storetype", "JKS")
		keytool(t, dir, "-delete", "-alias", "root", "-keystore", "empty.jks", "-storepass", "changeit")
		if _, _, err := Load(filepath.Join(dir, "empty.jks"), Password{Value: "changeit", Set: true}); !errors.Is(err, ErrNoCertificates) {
			t.Errorf("got %v, want ErrNoCertificates", err)
		}
	})
}

func TestNotAStore(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"empty.pem": {},
		"notes.txt": []byte(`{"hello": "world"}`),
		"key.pem":   []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
		"junk.bin":  {0x01, 0x02, 0x03},
	} {
		if _, _, err := Load(write(t, dir, name, data), Password{}); !errors.Is(err, ErrNoCertificates) {
			t.Errorf("%s: got %v, want ErrNoCertificates", name, err)
		}
	}
	if _, _, err := Load(filepath.Join(dir, "missing.pem"), Password{}); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestJavaCacerts(t *testing.T) {
	path, err := JavaCacerts(os.Getenv, exec.LookPath)
	if err != nil {
		t.Skipf("no JDK cacerts on this machine (install default-jdk-headless): %v", err)
	}
	certs, err := Java(path, Password{})
	if err != nil {
		t.Fatalf("reading %s with Java's default password: %v", path, err)
	}
	if len(certs) < 50 {
		t.Errorf("%s holds %d certificates; a JDK ships over 50", path, len(certs))
	}
	// JAVA_HOME wins over PATH and Debian's location.
	home := t.TempDir()
	sec := filepath.Join(home, "lib", "security")
	if err := os.MkdirAll(sec, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, sec, "cacerts", []byte("x"))
	got, err := JavaCacerts(func(k string) string {
		if k == "JAVA_HOME" {
			return home
		}
		return ""
	}, nil)
	if err != nil || got != filepath.Join(sec, "cacerts") {
		t.Errorf("with JAVA_HOME: got %q, %v", got, err)
	}
}

func TestMozilla(t *testing.T) {
	certs, err := Mozilla()
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) < 100 {
		t.Errorf("%d Mozilla roots, want over 100", len(certs))
	}
}

func FuzzParse(f *testing.F) {
	l := fixtures.TestLab(f, time.Now())
	f.Add(l.RootPEM())
	f.Add(l.PKI.Get("root").Cert.Raw)
	f.Add([]byte{0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0, 0, 0, 0})
	f.Add([]byte{0xCE, 0xCE, 0xCE, 0xCE})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = Parse(data, Password{Value: "changeit", Set: true})
	})
}

// TestKeystoreAsTruststore: a keystore holding a key entry (used as a
// truststore, as Java allows) yields the key entry's certificate.
func TestKeystoreAsTruststore(t *testing.T) {
	dir := t.TempDir()
	for _, typ := range []string{"JKS", "PKCS12"} {
		file := "ks-" + typ
		keytool(t, dir, "-genkeypair", "-noprompt", "-alias", "server", "-keyalg", "EC", "-dname", "CN=keystore.example.test", "-keystore", file, "-storepass", "changeit", "-keypass", "changeit", "-storetype", typ)
		certs, _, err := Load(filepath.Join(dir, file), Password{Value: "changeit", Set: true})
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if len(certs) != 1 || certs[0].Subject.CommonName != "keystore.example.test" {
			t.Errorf("%s: read %d certificates, want the key entry's", typ, len(certs))
		}
	}
}

// TestDuplicateBundleIsCheap: a CA bundle of 50,000 copies of one
// certificate took about a minute to load and judge; it loads as one
// certificate, quickly.
func TestDuplicateBundleIsCheap(t *testing.T) {
	p, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "root", CommonName: "Duplicated Root", IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	one := p.Get("root").PEM()
	data := make([]byte, 0, len(one)*50000)
	for i := 0; i < 50000; i++ {
		data = append(data, one...)
	}
	f := write(t, t.TempDir(), "dup.pem", data)
	t0 := time.Now()
	certs, _, err := Load(f, Password{})
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 1 {
		t.Errorf("%d certificates, want the duplicate once", len(certs))
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("loading 50,000 copies took %v", d)
	}
}

// Stores loaded with one Parser share the parsed form of a root they both
// hold; without one, each parses its own.
func TestParserShares(t *testing.T) {
	var p Parser
	var wg sync.WaitGroup
	got := make([][]*x509.Certificate, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if got[i], err = p.Mozilla(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(got[0]) == 0 || len(got[0]) != len(got[3]) {
		t.Fatalf("%d and %d roots", len(got[0]), len(got[3]))
	}
	for i := range got[0] {
		if got[0][i] != got[3][i] {
			t.Fatalf("root %d parsed twice with one Parser", i)
		}
	}
	plain, err := Mozilla()
	if err != nil {
		t.Fatal(err)
	}
	if plain[0] == got[0][0] || !plain[0].Equal(got[0][0]) {
		t.Error("Mozilla() without a Parser should parse its own, equal, certificates")
	}
}

// A subject is the server's text: a newline in its CN must not write
// lines of the server's choosing into an exported PEM truststore through
// the "# subject" comment (a stray BEGIN line or text that OpenSSL or a
// reviewer of the file then reads).
func TestWritePEMCommentIsOneLine(t *testing.T) {
	cn := "Shown CA\n-----BEGIN CERTIFICATE-----\nnot a comment\r\n"
	p, err := fixtures.Build(time.Now(), fixtures.CertSpec{Name: "shown", CommonName: cn, IsCA: true})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "trust.pem")
	if err := Write(f, FormatPEM, []*x509.Certificate{p.Get("shown").Cert}, []string{"shown"}, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	in, begins := false, 0
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "-----BEGIN"):
			in = true
			begins++
		case strings.HasPrefix(l, "-----END"):
			in = false
		case !in && !strings.HasPrefix(l, "# "):
			t.Errorf("line %q outside the certificate is not a comment:\n%s", l, data)
		}
	}
	if begins != 1 {
		t.Errorf("%d BEGIN lines for one certificate:\n%s", begins, data)
	}
	if certs, _, err := Load(f, Password{}); err != nil || len(certs) != 1 {
		t.Errorf("read back: %d certificates, %v", len(certs), err)
	}
}
