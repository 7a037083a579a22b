package inspect

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// Stores made by the real keytool (Java 17) and openssl pkcs12, read
// back; the keytool commands our fixes print are run and their result
// read again.

func tool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	return string(fixtures.RunTool(t, dir, name, args...))
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readPath(t *testing.T, path string, o Options) *Store {
	t.Helper()
	data, err := ReadFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, path, data, o)
}

// runFix runs a printed command line in dir with sh, as a user pastes it.
func runFix(t *testing.T, dir, line string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the printed fix failed: %s\n%v\n%s", line, err, out)
	}
}

func TestKeytoolStores(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "store-password.txt", []byte("storepass\n"))
	writeFile(t, dir, "key-password.txt", []byte("keypass1\n"))
	storePW := Password{Value: "storepass", Set: true, Source: "--password-file store-password.txt", File: "store-password.txt"}
	for _, typ := range []string{"JKS", "PKCS12", "JCEKS"} {
		t.Run(typ, func(t *testing.T) {
			file := "ks." + strings.ToLower(typ)
			tool(t, dir, "keytool", "-genkeypair", "-noprompt", "-alias", "Server", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=api.example.test",
				"-ext", "SAN=dns:api.example.test", "-ext", "EKU=serverAuth", "-keystore", file, "-storetype", typ, "-storepass", "storepass", "-keypass", "storepass")
			s := readPath(t, filepath.Join(dir, file), Options{Password: storePW})
			if string(s.Format) != typ || len(s.Entries) != 1 {
				t.Fatalf("format %s, %d entries", s.Format, len(s.Entries))
			}
			e := s.Entries[0]
			// keytool lower-cases aliases.
			if e.Alias != "server" || e.Kind != KindPrivateKey || e.Key.Matches == nil || !*e.Key.Matches || e.Key.Type != "RSA 2048" {
				t.Errorf("entry %q %s key %+v", e.Alias, e.Kind, e.Key)
			}
			if got := e.Certificates[0].SANs; len(got) != 1 || got[0] != "DNS:api.example.test" {
				t.Errorf("SANs %v", got)
			}
			list := tool(t, dir, "keytool", "-list", "-v", "-keystore", file, "-storepass", "storepass")
			if !strings.Contains(list, e.Certificates[0].SHA256) || !strings.Contains(list, e.Certificates[0].SHA1) {
				t.Errorf("keytool -list prints other fingerprints than %s / %s:\n%s", e.Certificates[0].SHA256, e.Certificates[0].SHA1, list)
			}
			if typ == "JCEKS" {
				f := has(Findings(s, Judge{Now: testNow}), "keystore-java-compat")
				if f == nil {
					t.Fatal("JCEKS without keystore-java-compat")
				}
				runFix(t, dir, checks.Commands(f.Fix, "keytool")[0])
				conv := readPath(t, filepath.Join(dir, "converted.p12"), Options{Password: storePW})
				if conv.Format != FormatPKCS12 || conv.Entries[0].Alias != "server" || conv.Entries[0].key == nil {
					t.Errorf("converted store: %s %+v", conv.Format, conv.Entries)
				}
			}
		})
	}
	t.Run("JKS key password", func(t *testing.T) {
		tool(t, dir, "keytool", "-genkeypair", "-noprompt", "-alias", "server", "-keyalg", "EC", "-dname", "CN=api.example.test",
			"-keystore", "two.jks", "-storetype", "JKS", "-storepass", "storepass", "-keypass", "keypass1")
		path := filepath.Join(dir, "two.jks")
		fs := Findings(readPath(t, path, Options{Password: storePW}), Judge{Now: testNow})
		f := has(fs, "keystore-key-password")
		if f == nil {
			t.Fatalf("no keystore-key-password: %v", ids(fs))
		}
		cmd := checks.Commands(f.Fix, "keytool")[0]
		runFix(t, dir, strings.Replace(cmd, path, "two.jks", 1))
		if f := has(Findings(readPath(t, path, Options{Password: storePW}), Judge{Now: testNow}), "keystore-key-password"); f != nil {
			t.Errorf("after the printed keytool -keypasswd the key password still differs")
		}
	})
}

func TestOpenSSLPKCS12(t *testing.T) {
	p := pki(t)
	dir := t.TempDir()
	writeFile(t, dir, "leaf.pem", p.PEMBundle("leaf"))
	writeFile(t, dir, "chain.pem", p.PEMBundle("intermediate", "root"))
	key, _ := p.KeyPEMAs("leaf", "pkcs8", "")
	writeFile(t, dir, "leaf.key", key)
	writeFile(t, dir, "pw.txt", []byte("pa55word\n"))
	pass := Password{Value: "pa55word", Set: true, Source: "--password-file pw.txt", File: "pw.txt"}
	for _, mode := range []string{"modern", "legacy"} {
		t.Run(mode, func(t *testing.T) {
			args := []string{"pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-certfile", "chain.pem", "-name", "MyServer", "-out", mode + ".p12", "-passout", "pass:pa55word"}
			if mode == "legacy" {
				args = append(args, "-legacy")
			}
			tool(t, dir, "openssl", args...)
			s := readPath(t, filepath.Join(dir, mode+".p12"), Options{Password: pass})
			if len(s.Entries) != 1 {
				t.Fatalf("%d entries: %+v", len(s.Entries), s.Entries)
			}
			e := s.Entries[0]
			if e.Alias != "MyServer" || len(e.Chain) != 3 || e.key == nil {
				t.Errorf("entry %q chain %d key %+v", e.Alias, len(e.Chain), e.Key)
			}
			compat := has(Findings(s, Judge{Now: testNow}), "keystore-java-compat")
			switch mode {
			case "legacy":
				if s.Protection.MAC != "HmacPBESHA1" || !strings.Contains(strings.Join(s.Protection.Certificates, ""), "RC2-40") || compat != nil {
					t.Errorf("legacy protection %+v, compat %v", s.Protection, compat != nil)
				}
			case "modern":
				if s.Protection.MAC != "HmacPBESHA256" || compat == nil {
					t.Fatalf("modern protection %+v, compat %v", s.Protection, compat != nil)
				}
				runFix(t, dir, checks.Commands(compat.Fix, "keytool")[0])
				l := readPath(t, filepath.Join(dir, "legacy.p12"), Options{Password: pass})
				if l.Protection.MAC != "HmacPBESHA1" || has(Findings(l, Judge{Now: testNow}), "keystore-java-compat") != nil || l.Entries[0].key == nil {
					t.Errorf("after the printed conversion: protection %+v", l.Protection)
				}
			}
		})
	}
	t.Run("leaf only, completed by the printed keytool fix", func(t *testing.T) {
		tool(t, dir, "openssl", "pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-name", "server", "-out", "leafonly.p12", "-passout", "pass:pa55word")
		path := filepath.Join(dir, "leafonly.p12")
		f := has(Findings(readPath(t, path, Options{Password: pass}), Judge{Now: testNow}), "keystore-chain-incomplete")
		if f == nil {
			t.Fatal("a leaf-only keystore without keystore-chain-incomplete")
		}
		writeFile(t, dir, "chain.pem", p.PEMBundle("leaf", "intermediate")) // leaf, then each intermediate, as the fix says
		runFix(t, dir, strings.Replace(checks.Commands(f.Fix, "keytool")[0], path, "leafonly.p12", 1))
		s := readPath(t, path, Options{Password: pass})
		if len(s.Entries[0].Chain) != 2 || has(Findings(s, Judge{Now: testNow}), "keystore-chain-incomplete") != nil {
			t.Errorf("after the printed keytool -importcert: chain %d", len(s.Entries[0].Chain))
		}
		writeFile(t, dir, "chain.pem", p.PEMBundle("intermediate", "root"))
	})
	t.Run("truststore without Java's attribute", func(t *testing.T) {
		tool(t, dir, "openssl", "pkcs12", "-export", "-nokeys", "-in", "chain.pem", "-out", "ts.p12", "-passout", "pass:changeit")
		fs := Findings(readPath(t, filepath.Join(dir, "ts.p12"), Options{}), Judge{Now: testNow})
		if has(fs, "pkcs12-not-java-trusted") == nil {
			t.Errorf("openssl truststore: %v", ids(fs))
		}
	})
}

// javaLoadProbe opens each file as each KeyStore type, as an application
// does with javax.net.ssl.trustStoreType, and prints what happens.
const javaLoadProbe = `
import java.security.KeyStore; import java.io.*;
public class LoadProbe { public static void main(String[] a) throws Exception {
  for (int i = 0; i + 1 < a.length; i += 2) {
    try (InputStream in = new FileInputStream(a[i])) {
      KeyStore ks = KeyStore.getInstance(a[i+1]); ks.load(in, "changeit".toCharArray());
      System.out.println(a[i] + " " + a[i+1] + " OK " + ks.size());
    } catch (Exception e) { System.out.println(a[i] + " " + a[i+1] + " " + e); }
  }
}}
`

// TestJavaLoadMessages compares the Java 17 errors store-type-mismatch
// quotes with what Java 17 prints for the same files, and checks that
// Java sees nothing in an openssl-made PKCS#12 truststore.
func TestJavaLoadMessages(t *testing.T) {
	if _, err := exec.LookPath("javac"); err != nil {
		t.Skip("javac not installed (apt-get install -y default-jdk-headless)")
	}
	p := pki(t)
	dir := t.TempDir()
	writeFile(t, dir, "root.pem", p.PEMBundle("root"))
	writeFile(t, dir, "root.der", p.Get("root").Cert.Raw)
	for _, typ := range []string{"JKS", "PKCS12", "JCEKS"} {
		tool(t, dir, "keytool", "-importcert", "-noprompt", "-alias", "root", "-file", "root.pem", "-keystore", "ts."+typ, "-storetype", typ, "-storepass", "changeit")
	}
	tool(t, dir, "openssl", "pkcs12", "-export", "-nokeys", "-in", "root.pem", "-out", "openssl.p12", "-passout", "pass:changeit")
	writeFile(t, dir, "LoadProbe.java", []byte(javaLoadProbe))
	tool(t, dir, "javac", "LoadProbe.java")
	files := []string{"ts.JKS", "ts.PKCS12", "ts.JCEKS", "root.pem", "root.der", "openssl.p12"}
	var args []string
	for _, f := range files {
		for _, typ := range []string{"JKS", "PKCS12", "JCEKS"} {
			args = append(args, f, typ)
		}
	}
	out := tool(t, dir, "java", append([]string{"-cp", "."}, append([]string{"LoadProbe"}, args...)...)...)
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(l, " ", 3)
		got[f[0]+" "+f[1]] = f[2]
	}
	checked := 0
	for _, f := range files[:5] {
		s := readPath(t, filepath.Join(dir, f), Options{})
		for _, typ := range []string{"JKS", "PKCS12", "JCEKS"} {
			m := mismatch(s.raw, s.Format, typ, "test")
			java := got[f+" "+typ]
			if m == nil {
				if !strings.HasPrefix(java, "OK") {
					t.Errorf("%s as %s: we see no mismatch; Java 17 says %s", f, typ, java)
				}
				continue
			}
			for _, je := range m.Java {
				if je.Java != "java17" {
					continue
				}
				checked++
				if je.Fails != !strings.HasPrefix(java, "OK") || (je.Fails && java != je.Message) {
					t.Errorf("%s as %s: we say Java 17 %v %q; it printed %q", f, typ, je.Fails, je.Message, java)
				}
			}
		}
	}
	if checked < 8 {
		t.Errorf("only %d mismatches compared", checked)
	}
	if java := got["openssl.p12 PKCS12"]; java != "OK 0" {
		t.Errorf("openssl truststore: Java 17 printed %q; pkcs12-not-java-trusted says it sees no entry", java)
	}
}

// A .p7b, DER or PEM, is refused with a hint whose openssl command,
// pasted as printed (the file name has a space), extracts the
// certificates tlsdoctor then reads.
func TestPKCS7HintRuns(t *testing.T) {
	p := pki(t)
	dir := t.TempDir()
	writeFile(t, dir, "chain.pem", p.PEMBundle("leaf", "intermediate"))
	for _, form := range []string{"DER", "PEM"} {
		t.Run(form, func(t *testing.T) {
			name := "my " + form + " bundle.p7b"
			tool(t, dir, "openssl", "crl2pkcs7", "-nocrl", "-certfile", "chain.pem", "-outform", form, "-out", name)
			data, err := ReadFile(filepath.Join(dir, name), nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Read(data, Options{Name: name})
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(ie.Msg, "PKCS#7") {
				t.Fatalf("%v, want the PKCS#7 error", err)
			}
			hint, ok := strings.CutPrefix(ie.Hint, "extract the certificates: ")
			if !ok {
				t.Fatalf("hint %q", ie.Hint)
			}
			os.Remove(filepath.Join(dir, "certs.pem"))
			runFix(t, dir, hint)
			if s := readPath(t, filepath.Join(dir, "certs.pem"), Options{}); len(s.Entries) != 2 {
				t.Errorf("certs.pem: %d entries, want the two certificates", len(s.Entries))
			}
		})
	}
}
