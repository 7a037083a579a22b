package inspect_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"regexp"
	"strings"
	"testing"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// key-cert-mismatch: the printed commands print the two hashes the
// evidence shows (SHA-256 of the DER SubjectPublicKeyInfo), for a PEM
// file, a PKCS#12 and a JKS keystore. They are run on the mismatching
// store the finding is about, then on a store of the same name and
// password whose key and certificate match: there the two hashes are the
// same, the certificate's.
func TestFixRunsKeyMismatchHashes(t *testing.T) {
	p := fixPKI(t)
	leaf := p.Get("leaf")
	// Another RSA key: keytool copies a JKS key only when its algorithm is
	// the certificate's.
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"PEM", "PKCS12", "JKS"} {
		for _, pa := range passwordArgs {
			if typ == "PEM" && pa.name != "changeit" {
				continue // an unencrypted PEM key has no password
			}
			t.Run(typ+" "+pa.name, func(t *testing.T) {
				d := awkwardDir(t)
				args := pa.args(d)
				pass := storePass(args)
				file := "server's store." + strings.ToLower(typ)
				put := func(key crypto.PrivateKey) {
					d.write(file, storeWith(t, typ, pass, key, leaf.Cert, p.Get("intermediate").Cert))
				}
				put(otherKey)
				rep := d.inspect(append([]string{d.path(file)}, args...)...)
				f := finding(rep.Findings, "key-cert-mismatch")
				if f == nil {
					t.Fatalf("no key-cert-mismatch: %v", findingIDs(rep.Findings))
				}
				certHash, keyHash := evidenceHash(t, f, "certificate public key"), evidenceHash(t, f, "private key's public key")
				if certHash == keyHash {
					t.Fatalf("evidence shows one hash for a mismatching pair: %v", f.Evidence)
				}
				if !strings.Contains(checks.FixText(f.Fix), "These commands print the two hashes above") {
					t.Errorf("fix: %s", checks.FixText(f.Fix))
				}
				got := runHashes(d, f)
				if len(got) != 2 || got[0] != certHash || got[1] != keyHash {
					t.Errorf("the printed commands print %q; the evidence shows certificate %s, key %s\n%s", got, certHash, keyHash, checks.FixText(f.Fix))
				}
				put(leaf.Key)
				if got := runHashes(d, f); len(got) != 2 || got[0] != certHash || got[1] != certHash {
					t.Errorf("on a matching pair the printed commands print %q; want %s twice", got, certHash)
				}
			})
		}
	}
	t.Run("JKS, an EC key with an RSA certificate: no commands", func(t *testing.T) {
		d := awkwardDir(t)
		d.write("server.jks", storeWith(t, "JKS", "changeit", p.Get("other").Key, leaf.Cert))
		rep := d.inspect(d.path("server.jks"))
		f := finding(rep.Findings, "key-cert-mismatch")
		if f == nil {
			t.Fatalf("no key-cert-mismatch: %v", findingIDs(rep.Findings))
		}
		for _, s := range f.Fix {
			if s.Kind == checks.StepCommand || strings.Contains(strings.ToLower(s.Text), "these commands") {
				t.Errorf("fix step %+v keytool cannot run", s)
			}
		}
	})
	t.Run("Kubernetes secret: no commands", func(t *testing.T) {
		d := awkwardDir(t)
		key, _ := p.KeyPEMAs("other", "pkcs8", "")
		b64 := base64.StdEncoding.EncodeToString
		d.write("secret.yaml", []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\ntype: kubernetes.io/tls\ndata:\n  tls.crt: "+b64(p.PEMBundle("leaf"))+"\n  tls.key: "+b64(key)+"\n"))
		rep := d.inspect(d.path("secret.yaml"))
		f := finding(rep.Findings, "key-cert-mismatch")
		if f == nil {
			t.Fatalf("no key-cert-mismatch: %v", findingIDs(rep.Findings))
		}
		for _, s := range f.Fix {
			if s.Kind == checks.StepCommand || strings.Contains(s.Text, "these commands") || strings.Contains(s.Text, "These commands") {
				t.Errorf("fix step %+v for a format with no command", s)
			}
		}
	})
}

var hashLine = regexp.MustCompile(`(?m)^SHA2-256\(stdin\)= ([0-9a-f:]+)$`)

// runHashes runs the fix's commands and returns the hashes they print.
func runHashes(d *fixDir, f *checks.Finding) []string {
	d.t.Helper()
	var out []string
	for _, s := range f.Fix {
		if s.Kind != checks.StepCommand {
			continue
		}
		res := d.sh(s.Text, nil)
		if res.code != 0 {
			d.t.Fatalf("%s: exit %d\n%s", s.Text, res.code, res.out)
		}
		for _, m := range hashLine.FindAllStringSubmatch(res.out, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

func evidenceHash(t *testing.T, f *checks.Finding, prefix string) string {
	t.Helper()
	for _, e := range f.Evidence {
		if strings.HasPrefix(e, prefix) {
			return e[strings.LastIndex(e, " ")+1:]
		}
	}
	t.Fatalf("no %q in the evidence %q", prefix, f.Evidence)
	return ""
}

// storeWith makes a PEM file, PKCS#12 or JKS keystore holding key with
// the chain, whether or not they match (openssl and keytool refuse to).
func storeWith(t *testing.T, typ, pass string, key crypto.PrivateKey, chain ...*x509.Certificate) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	switch typ {
	case "PEM":
		var b bytes.Buffer
		for _, c := range chain {
			_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		}
		_ = pem.Encode(&b, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
		return b.Bytes()
	case "PKCS12":
		data, err := pkcs12.Modern.Encode(key, chain[0], chain[1:], pass)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	ks := keystore.New()
	e := keystore.PrivateKeyEntry{PrivateKey: der}
	for _, c := range chain {
		e.CertificateChain = append(e.CertificateChain, keystore.Certificate{Type: "X509", Content: c.Raw})
	}
	if err := ks.SetPrivateKeyEntry("server", e, []byte(pass)); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := ks.Store(&b, []byte(pass)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
