package inspect

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

var testNow = time.Now()

// pki is a small hierarchy: root → intermediate → leaf (server, for
// api.example.test), a client leaf, an expired CA, another root's leaf.
func pki(t testing.TB) *fixtures.PKI {
	t.Helper()
	p, err := fixtures.Build(testNow,
		fixtures.CertSpec{Name: "root", CommonName: "Test Root CA", IsCA: true},
		fixtures.CertSpec{Name: "intermediate", Parent: "root", CommonName: "Test Intermediate CA", IsCA: true},
		fixtures.CertSpec{Name: "leaf", Parent: "intermediate", CommonName: "api.example.test", DNSNames: []string{"api.example.test"}, Key: fixtures.RSA2048},
		fixtures.CertSpec{Name: "client", Parent: "intermediate", CommonName: "client-a", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		fixtures.CertSpec{Name: "old-ca", CommonName: "Old CA", IsCA: true, NotBefore: -400 * 24 * time.Hour, NotAfter: -10 * 24 * time.Hour},
		fixtures.CertSpec{Name: "other", CommonName: "Other CA", IsCA: true},
		fixtures.CertSpec{Name: "other-leaf", Parent: "other", CommonName: "api.example.test", DNSNames: []string{"api.example.test"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func pw(s string) Password { return Password{Value: s, Set: true, Source: "test"} }

func read(t *testing.T, name string, data []byte, o Options) *Store {
	t.Helper()
	o.Name = name
	s, err := Read(data, o)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	DescribeStore(s, testNow)
	return s
}

func ids(fs []checks.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func has(fs []checks.Finding, id string) *checks.Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

func TestSniff(t *testing.T) {
	p := pki(t)
	p12, _ := p.PKCS12("changeit", "leaf", "intermediate")
	jks, _ := p.JKS("changeit", fixtures.JKSEntry{Alias: "a", Chain: []string{"root"}, Trusted: true})
	key, _ := p.KeyPEMAs("leaf", "pkcs8", "")
	for name, tc := range map[string]struct {
		data []byte
		want Format
	}{
		"pem":     {p.PEMBundle("leaf"), FormatPEM},
		"der":     {p.Get("root").Cert.Raw, FormatDER},
		"p12":     {p12, FormatPKCS12},
		"jks":     {jks, FormatJKS},
		"jceks":   {append([]byte{0xCE, 0xCE, 0xCE, 0xCE}, 0, 0, 0, 2), FormatJCEKS},
		"secret":  {[]byte("apiVersion: v1\nkind: Secret\ndata:\n  tls.crt: AAAA\n"), FormatKubeTLS},
		"json":    {[]byte(`{"apiVersion":"v1","kind":"Secret","data":{"tls.crt":"AAAA"}}`), FormatKubeTLS},
		"key":     {key, FormatPEM},
		"garbage": {[]byte("hello world"), FormatUnknown},
		"empty":   {nil, FormatUnknown},
	} {
		if got := Sniff(tc.data); got != tc.want {
			t.Errorf("%s: Sniff = %s, want %s", name, got, tc.want)
		}
	}
}

// TestPEMMix: certificates and keys in any order, keys encrypted or not,
// grouped into one key entry with its chain.
func TestPEMMix(t *testing.T) {
	p := pki(t)
	for _, form := range []string{"pkcs8", "pkcs1", "pkcs8-encrypted", "legacy-encrypted"} {
		t.Run(form, func(t *testing.T) {
			key, err := p.KeyPEMAs("leaf", form, "s3cret")
			if err != nil {
				t.Fatal(err)
			}
			data := append(append(p.PEMBundle("intermediate"), key...), p.PEMBundle("leaf", "root")...)
			s := read(t, "bundle.pem", data, Options{Password: pw("s3cret")})
			if len(s.Entries) != 1 || s.Entries[0].Kind != KindKey {
				t.Fatalf("entries %+v", s.Entries)
			}
			e := s.Entries[0]
			if len(e.Chain) != 3 || !e.Chain[0].Equal(p.Get("leaf").Cert) || !e.Chain[2].Equal(p.Get("root").Cert) {
				t.Errorf("chain not leaf → intermediate → root: %v", e.Certificates)
			}
			if e.Key.Matches == nil || !*e.Key.Matches || e.Key.Type != "RSA 2048" {
				t.Errorf("key %+v", e.Key)
			}
			if strings.Contains(form, "encrypted") == (e.Key.Encrypted == "none") {
				t.Errorf("encryption %q for %s", e.Key.Encrypted, form)
			}
			if fs := Findings(s, Judge{Now: testNow}); len(fs) != 0 {
				t.Errorf("findings on a good bundle: %v", ids(fs))
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		key, _ := p.KeyPEMAs("leaf", "pkcs8-encrypted", "s3cret")
		s := read(t, "k.pem", append(p.PEMBundle("leaf"), key...), Options{Password: pw("nope")})
		if !errors.Is(s.Entries[0].keyErr, ErrWrongPassword) {
			t.Errorf("key error %v, want ErrWrongPassword", s.Entries[0].keyErr)
		}
	})
	t.Run("mismatch", func(t *testing.T) {
		key, _ := p.KeyPEMAs("other-leaf", "pkcs8", "")
		s := read(t, "k.pem", append(p.PEMBundle("leaf"), key...), Options{})
		f := has(Findings(s, Judge{Now: testNow}), "key-cert-mismatch")
		if f == nil || f.Severity != checks.Error {
			t.Fatalf("no key-cert-mismatch error")
		}
	})
}

func TestPKCS12Encoders(t *testing.T) {
	p := pki(t)
	leaf, inter := p.Get("leaf"), p.Get("intermediate")
	for name, enc := range map[string]*pkcs12.Encoder{"modern": pkcs12.Modern, "legacy-rc2": pkcs12.LegacyRC2, "legacy-des": pkcs12.LegacyDES} {
		t.Run(name, func(t *testing.T) {
			data, err := enc.Encode(leaf.Key, leaf.Cert, []*x509.Certificate{inter.Cert}, "pa55word")
			if err != nil {
				t.Fatal(err)
			}
			s := read(t, "k.p12", data, Options{Password: pw("pa55word")})
			if len(s.Entries) != 1 || s.Entries[0].Kind != KindPrivateKey || len(s.Entries[0].Chain) != 2 {
				t.Fatalf("entries: %+v", s.Entries)
			}
			if m := s.Entries[0].Key.Matches; m == nil || !*m {
				t.Errorf("key does not match: %+v", s.Entries[0].Key)
			}
			compat := has(Findings(s, Judge{Now: testNow}), "keystore-java-compat")
			if (name == "modern") != (compat != nil) {
				t.Errorf("keystore-java-compat %v for %s (protection %+v)", compat != nil, name, s.Protection)
			}
			if _, err := Read(data, Options{Name: "k.p12", Password: pw("wrong")}); !errors.Is(err, ErrWrongPassword) {
				t.Errorf("wrong password: %v", err)
			}
			if _, err := Read(data, Options{Name: "k.p12"}); !errors.Is(err, ErrNeedPassword) {
				t.Errorf("no password: %v", err)
			}
		})
	}
	t.Run("truststore", func(t *testing.T) {
		data, _ := pkcs12.Modern.EncodeTrustStoreEntries([]pkcs12.TrustStoreEntry{{Cert: p.Get("root").Cert, FriendlyName: "root"}}, "changeit")
		s := read(t, "ts.p12", data, Options{})
		if s.Entries[0].Kind != KindTrusted || s.Entries[0].Alias != "root" || !strings.Contains(s.PasswordUsed, "changeit") {
			t.Errorf("entry %+v, password %q", s.Entries[0], s.PasswordUsed)
		}
	})
	t.Run("passwordless", func(t *testing.T) {
		data, err := pkcs12.Passwordless.EncodeTrustStore([]*x509.Certificate{p.Get("root").Cert}, "")
		if err != nil {
			t.Fatal(err)
		}
		s := read(t, "ts.p12", data, Options{})
		if s.Protection.MAC != "none" || s.Entries[0].Kind != KindTrusted {
			t.Errorf("protection %+v entries %+v", s.Protection, s.Entries)
		}
	})
}

// jksStore builds a JKS file whose key entry is protected with keyPW.
func jksStore(t *testing.T, p *fixtures.PKI, storePW, keyPW string, entries ...fixtures.JKSEntry) []byte {
	t.Helper()
	ks := keystore.New()
	for _, e := range entries {
		if e.Trusted {
			if err := ks.SetTrustedCertificateEntry(e.Alias, keystore.TrustedCertificateEntry{CreationTime: testNow, Certificate: keystore.Certificate{Type: "X509", Content: p.Get(e.Chain[0]).Cert.Raw}}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		der, _ := x509.MarshalPKCS8PrivateKey(p.Get(e.Chain[0]).Key)
		pe := keystore.PrivateKeyEntry{CreationTime: testNow, PrivateKey: der}
		for _, n := range e.Chain {
			pe.CertificateChain = append(pe.CertificateChain, keystore.Certificate{Type: "X509", Content: p.Get(n).Cert.Raw})
		}
		if err := ks.SetPrivateKeyEntry(e.Alias, pe, []byte(keyPW)); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := ks.Store(&buf, []byte(storePW)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJKSFindings(t *testing.T) {
	p := pki(t)
	server := fixtures.JKSEntry{Alias: "server", Chain: []string{"leaf"}}
	t.Run("key password differs", func(t *testing.T) {
		data := jksStore(t, p, "storepass", "keypass", server)
		s := read(t, "ks.jks", data, Options{Password: pw("storepass")})
		if has(Findings(s, Judge{Now: testNow}), "keystore-key-password") == nil {
			t.Error("no keystore-key-password finding without the key password")
		}
		s = read(t, "ks.jks", data, Options{Password: pw("storepass"), KeyPassword: pw("keypass")})
		if s.Entries[0].key == nil || !s.Entries[0].keyPasswordDiffers {
			t.Errorf("key not opened with the key password: %+v", s.Entries[0].Key)
		}
		if f := has(Findings(s, Judge{Now: testNow}), "keystore-key-password"); f == nil || !strings.Contains(strings.Join(checks.Commands(f.Fix, "keytool"), " "), "-keypasswd") {
			t.Error("keystore-key-password without the keytool -keypasswd fix")
		}
	})
	t.Run("no password: listed, unverified", func(t *testing.T) {
		data := jksStore(t, p, "storepass", "storepass", server)
		s := read(t, "ks.jks", data, Options{})
		if !strings.HasPrefix(s.Integrity, "NOT verified") || len(s.Entries) != 1 || s.Entries[0].Leaf() == nil {
			t.Errorf("integrity %q entries %d", s.Integrity, len(s.Entries))
		}
		if _, err := Read(data, Options{Name: "ks.jks", Password: pw("wrong")}); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("wrong password: %v", err)
		}
	})
	t.Run("chain incomplete, issuer in the store", func(t *testing.T) {
		data := jksStore(t, p, "changeit", "changeit", server, fixtures.JKSEntry{Alias: "inter", Chain: []string{"intermediate"}, Trusted: true})
		s := read(t, "ks.jks", data, Options{})
		f := has(Findings(s, Judge{Now: testNow}), "keystore-chain-incomplete")
		if f == nil || f.Severity != checks.Error || !strings.Contains(f.Title, "Test Intermediate CA") {
			t.Errorf("finding %+v", f)
		}
	})
	t.Run("chain complete", func(t *testing.T) {
		data := jksStore(t, p, "changeit", "changeit", fixtures.JKSEntry{Alias: "server", Chain: []string{"leaf", "intermediate"}})
		if f := has(Findings(read(t, "ks.jks", data, Options{}), Judge{Now: testNow}), "keystore-chain-incomplete"); f != nil {
			t.Errorf("complete chain reported incomplete: %s", f.Title)
		}
	})
	t.Run("aliases", func(t *testing.T) {
		data := jksStore(t, p, "changeit", "changeit", server, fixtures.JKSEntry{Alias: "client", Chain: []string{"client", "intermediate"}})
		s := read(t, "ks.jks", data, Options{})
		if has(Findings(s, Judge{Now: testNow}), "keystore-alias-ambiguous") == nil {
			t.Error("two key entries, no alias: no keystore-alias-ambiguous")
		}
		f := has(Findings(s, Judge{Now: testNow, Alias: "srv"}), "keystore-alias-missing")
		if f == nil || f.Severity != checks.Error || !strings.Contains(strings.Join(f.Evidence, " "), `"server"`) {
			t.Errorf("missing alias: %+v", f)
		}
		f = has(Findings(s, Judge{Now: testNow, Alias: "SERVER"}), "keystore-alias-missing")
		if f == nil || f.Severity != checks.Info {
			t.Errorf("case-only mismatch: %+v", f)
		}
		if f := has(Findings(s, Judge{Now: testNow, Alias: "server"}), "keystore-alias-missing"); f != nil {
			t.Errorf("existing alias reported: %s", f.Title)
		}
	})
	t.Run("truststore problems", func(t *testing.T) {
		data := jksStore(t, p, "changeit", "changeit",
			fixtures.JKSEntry{Alias: "root", Chain: []string{"root"}, Trusted: true},
			fixtures.JKSEntry{Alias: "root-again", Chain: []string{"root"}, Trusted: true},
			fixtures.JKSEntry{Alias: "old", Chain: []string{"old-ca"}, Trusted: true},
			fixtures.JKSEntry{Alias: "pinned", Chain: []string{"leaf"}, Trusted: true})
		fs := Findings(read(t, "ts.jks", data, Options{}), Judge{Now: testNow})
		for _, id := range []string{"keystore-duplicate-cert", "truststore-ca-expired", "truststore-holds-leaf"} {
			if has(fs, id) == nil {
				t.Errorf("no %s in %v", id, ids(fs))
			}
		}
	})
	t.Run("reused checks", func(t *testing.T) {
		q, err := fixtures.Build(testNow,
			fixtures.CertSpec{Name: "root", CommonName: "R", IsCA: true},
			fixtures.CertSpec{Name: "expired", Parent: "root", CommonName: "old.example.test", DNSNames: []string{"old.example.test"}, NotBefore: -100 * 24 * time.Hour, NotAfter: -time.Hour},
			fixtures.CertSpec{Name: "weak", Parent: "root", CommonName: "weak.example.test", DNSNames: []string{"weak.example.test"}, Key: fixtures.RSA1024},
		)
		if err != nil {
			t.Fatal(err)
		}
		for alias, want := range map[string]string{"expired": "cert-expired", "weak": "weak-key"} {
			data := jksStore(t, q, "changeit", "changeit", fixtures.JKSEntry{Alias: alias, Chain: []string{alias, "root"}})
			fs := Findings(read(t, "ks.jks", data, Options{}), Judge{Now: testNow})
			f := has(fs, want)
			if f == nil || f.Evidence[0] != `ks.jks entry "`+alias+`" (PrivateKeyEntry)` {
				t.Errorf("%s: %v", alias, ids(fs))
			}
		}
		data := jksStore(t, p, "changeit", "changeit", fixtures.JKSEntry{Alias: "server", Chain: []string{"leaf", "intermediate"}})
		if has(Findings(read(t, "ks.jks", data, Options{}), Judge{Now: testNow, Name: "www.example.test"}), "hostname-mismatch") == nil {
			t.Error("--name not covered: no hostname-mismatch")
		}
	})
}

func TestTypeMismatch(t *testing.T) {
	p := pki(t)
	jks := jksStore(t, p, "changeit", "changeit", fixtures.JKSEntry{Alias: "root", Chain: []string{"root"}, Trusted: true})
	s := read(t, "trust.p12", jks, Options{})
	f := has(Findings(s, Judge{Now: testNow}), "store-type-mismatch")
	if f == nil || !strings.Contains(strings.Join(f.Evidence, "\n"), "lengthTag=109, too big.") {
		t.Fatalf("JKS named .p12: %+v", f)
	}
	if f.Severity != checks.Warning {
		t.Errorf("Java 17 reads a JKS file as PKCS12: severity %s, want warning", f.Severity)
	}
	s = read(t, "bundle.pem", p.PEMBundle("root"), Options{Type: "pkcs12"})
	if f := has(Findings(s, Judge{Now: testNow}), "store-type-mismatch"); f == nil || f.Severity != checks.Error || !strings.Contains(strings.Join(f.Evidence, " "), "toDerInputStream rejects tag type 45") {
		t.Errorf("PEM as PKCS12: %+v", f)
	}
}

// secretYAML is a kubectl get secret -o yaml document.
func secretYAML(crt, key, ca []byte) []byte {
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	s := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-tls\n  namespace: prod\ntype: kubernetes.io/tls\ndata:\n"
	s += "  tls.crt: " + b64(crt) + "\n  tls.key: " + b64(key) + "\n"
	if ca != nil {
		s += "  ca.crt: " + b64(ca) + "\n"
	}
	return []byte(s)
}

func TestKubernetesSecret(t *testing.T) {
	p := pki(t)
	key, _ := p.KeyPEMAs("leaf", "pkcs8", "")
	y := secretYAML(p.PEMBundle("leaf", "intermediate"), key, p.PEMBundle("root"))
	s := read(t, "-", y, Options{})
	if s.Container != "Kubernetes secret prod/api-tls (YAML)" || len(s.Entries) != 2 {
		t.Fatalf("container %q, %d entries", s.Container, len(s.Entries))
	}
	if e := s.Entries[0]; e.Kind != KindKey || len(e.Chain) != 2 || e.Key.Matches == nil || !*e.Key.Matches {
		t.Errorf("tls.crt/tls.key entry %+v", e)
	}
	if e := s.Entries[1]; e.Alias != "prod/api-tls ca.crt" || !e.Leaf().Equal(p.Get("root").Cert) {
		t.Errorf("ca.crt entry %+v", e)
	}
	// The same as JSON, and in a List.
	j := fmt.Sprintf(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"},"type":"kubernetes.io/tls","stringData":{"tls.crt":%q,"tls.key":%q}}]}`, p.PEMBundle("leaf"), key)
	s = read(t, "secret.json", []byte(j), Options{})
	if s.Container != "Kubernetes secret x (JSON)" || s.Entries[0].Kind != KindKey {
		t.Errorf("JSON list: %q %+v", s.Container, s.Entries)
	}
	// A bad value is reported with its line.
	bad := bytes.Replace(y, []byte("tls.key: "), []byte("tls.key: x%%"), 1)
	_, err := Read(bad, Options{Name: "s.yaml"})
	if err == nil || !strings.Contains(err.Error(), "line 9: data.tls.key is not valid base64") {
		t.Errorf("bad base64: %v", err)
	}
	if _, err := Read([]byte("apiVersion: v1\nkind: ConfigMap\ndata:\n  tls.crt: x\n"), Options{Name: "cm.yaml"}); err == nil || !strings.Contains(err.Error(), "ConfigMap, not a Secret") {
		t.Errorf("ConfigMap: %v", err)
	}
}

func TestAlign(t *testing.T) {
	p := pki(t)
	ksFull := read(t, "server.jks", jksStore(t, p, "changeit", "changeit", fixtures.JKSEntry{Alias: "server", Chain: []string{"leaf", "intermediate", "root"}}), Options{})
	ksLeaf := read(t, "leaf.jks", jksStore(t, p, "changeit", "changeit", fixtures.JKSEntry{Alias: "server", Chain: []string{"leaf"}}), Options{})
	tsRoot := read(t, "trust.jks", jksStore(t, p, "changeit", "changeit", fixtures.JKSEntry{Alias: "root", Chain: []string{"root"}, Trusted: true}), Options{})
	tsOther := read(t, "other.jks", jksStore(t, p, "changeit", "changeit", fixtures.JKSEntry{Alias: "other", Chain: []string{"other"}, Trusted: true}), Options{})
	for _, tc := range []struct {
		ks, ts *Store
		name   string
		ok     bool
		id     string
	}{
		{ksFull, tsRoot, "api.example.test", true, ""},
		{ksFull, tsRoot, "www.example.test", false, "hostname-mismatch"},
		{ksLeaf, tsRoot, "api.example.test", false, "chain-incomplete"},
		{ksFull, tsOther, "api.example.test", false, "untrusted-root"},
	} {
		vs, err := Align(ServerToClient, tc.ks, "", tc.ts, tc.name, testNow)
		if err != nil {
			t.Fatal(err)
		}
		v := vs[0]
		if v.OK != tc.ok || (tc.id != "" && has(v.Findings, tc.id) == nil) {
			t.Errorf("%s → %s (%s): ok=%v findings %v, want ok=%v %s", tc.ks.File, tc.ts.File, tc.name, v.OK, ids(v.Findings), tc.ok, tc.id)
		}
	}
	// mTLS: a server certificate presented as a client certificate.
	vs, _ := Align(ClientToServer, ksFull, "", tsRoot, "", testNow)
	if vs[0].OK || has(vs[0].Findings, "client-eku-missing") == nil {
		t.Errorf("server cert as client cert: %+v", vs[0])
	}
}

func TestParseProperties(t *testing.T) {
	props := parseProperties([]byte("# comment\nkeystore.type=pkcs12\njdk.tls.disabledAlgorithms=SSLv3, TLSv1, \\\n    RC4, include jdk.disabled.namedCurves\njdk.disabled.namedCurves = secp112r1, \\\n  secp128r1\n! other comment\nkey: value with spaces\n"))
	if props["keystore.type"] != "pkcs12" || props["key"] != "value with spaces" {
		t.Errorf("props %v", props)
	}
	got := strings.Join(expandDisabled(props, "jdk.tls.disabledAlgorithms"), "|")
	if got != "SSLv3|TLSv1|RC4|secp112r1|secp128r1" {
		t.Errorf("disabled %q", got)
	}
}

func TestDisabledAlgorithms(t *testing.T) {
	jt := &JavaTrust{
		TLSDisabled:      []string{"SSLv3", "TLSv1", "RC4", "3DES_EDE_CBC", "anon", "NULL", "ECDH", "DH keySize < 1024"},
		CertPathDisabled: []string{"MD5", "SHA1 jdkCA & usage TLSServer", "RSA keySize < 2048"},
	}
	if d := jt.JudgeHandshake("TLS 1.0", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"); len(d) != 1 || d[0].Entry != "TLSv1" {
		t.Errorf("TLS 1.0: %+v", d)
	}
	if d := jt.JudgeHandshake("TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"); len(d) != 0 {
		t.Errorf("ECDHE must not match ECDH: %+v", d)
	}
	if d := jt.JudgeHandshake("TLS 1.2", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"); len(d) != 1 || d[0].Entry != "3DES_EDE_CBC" {
		t.Errorf("3DES: %+v", d)
	}
	if d := jt.JudgeHandshake("TLS 1.2", "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"); len(d) != 2 {
		t.Errorf("ECDH anon: %+v", d)
	}
	q, err := fixtures.Build(testNow,
		fixtures.CertSpec{Name: "root", CommonName: "R", IsCA: true, Key: fixtures.RSA2048},
		fixtures.CertSpec{Name: "sha1", Parent: "root", CommonName: "s", SigAlg: x509.SHA1WithRSA, Key: fixtures.RSA1024},
	)
	if err != nil {
		t.Fatal(err)
	}
	path := []*x509.Certificate{q.Get("sha1").Cert, q.Get("root").Cert}
	d := jt.JudgeChain(path, "TLSServer", false, testNow)
	if len(d) != 1 || d[0].Entry != "RSA keySize < 2048" {
		t.Errorf("not a JDK CA: only the key size applies: %+v", d)
	}
	if d := jt.JudgeChain(path, "TLSServer", true, testNow); len(d) != 2 {
		t.Errorf("JDK CA: SHA1 jdkCA applies too: %+v", d)
	}
	if d := jt.JudgeChain(path, "TLSClient", true, testNow); len(d) != 1 {
		t.Errorf("usage TLSServer does not apply to a client chain: %+v", d)
	}
}

func TestSplitWords(t *testing.T) {
	w, err := splitWords(`-Xmx1g -Djavax.net.ssl.trustStore="/opt/my app/trust.jks" '-Da=b c'`)
	if err != nil || len(w) != 3 || w[1] != "-Djavax.net.ssl.trustStore=/opt/my app/trust.jks" || w[2] != "-Da=b c" {
		t.Errorf("%q %v", w, err)
	}
	if _, err := splitWords(`"open`); err == nil {
		t.Error("unterminated quote accepted")
	}
	// As the JVM splits JAVA_TOOL_OPTIONS (measured, Java 17): one quote
	// inside the other is a character; \v, \f and \r separate words.
	w, err = splitWords("-Djavax.net.ssl.trustStore=\"/opt/it's here/t.jks\"\v-Da='say \"hi\"'\r\f-Db")
	if err != nil || len(w) != 3 || w[0] != "-Djavax.net.ssl.trustStore=/opt/it's here/t.jks" || w[1] != `-Da=say "hi"` || w[2] != "-Db" {
		t.Errorf("%q %v", w, err)
	}
	if _, err := splitWords(`-Djavax.net.ssl.trustStore=/opt/it's/t.jks`); err == nil || !strings.Contains(err.Error(), "Unmatched quote") {
		t.Errorf("an unquoted ' (the JVM refuses it): %v", err)
	}
}

// TestChecksDocumented keeps docs/inspect.md's table true: every
// file-only ID is in it with its severity.
func TestChecksDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/inspect.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Checks() {
		row := "| `" + c.ID + "` | " + c.Severity.String()
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/inspect.md has no row %q", row)
		}
	}
}
