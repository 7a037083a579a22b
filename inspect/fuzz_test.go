package inspect

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// seeds are files of every type inspect reads, generated (no key is
// checked in): the corpus the fuzzers start from.
func seeds(f *testing.F) [][]byte {
	p := pki(f)
	key, _ := p.KeyPEMAs("leaf", "pkcs8", "")
	enc, _ := p.KeyPEMAs("leaf", "pkcs8-encrypted", "changeit")
	jks, _ := p.JKS("changeit",
		fixtures.JKSEntry{Alias: "server", Chain: []string{"leaf", "intermediate"}},
		fixtures.JKSEntry{Alias: "root", Chain: []string{"root"}, Trusted: true})
	modern, _ := p.PKCS12("changeit", "leaf", "intermediate")
	leaf, inter := p.Get("leaf"), p.Get("intermediate")
	legacy, _ := pkcs12.LegacyRC2.WithIterations(1).Encode(leaf.Key, leaf.Cert, nil, "changeit")
	trust, _ := pkcs12.LegacyDES.WithIterations(1).EncodeTrustStore([]*x509.Certificate{inter.Cert}, "changeit")
	return [][]byte{
		append(p.PEMBundle("leaf", "intermediate"), key...),
		append(p.PEMBundle("leaf"), enc...),
		p.Get("root").Cert.Raw,
		jks, modern, legacy, trust,
		{0xCE, 0xCE, 0xCE, 0xCE, 0, 0, 0, 2, 0, 0, 0, 0},
		secretYAML(p.PEMBundle("leaf"), key, p.PEMBundle("root")),
		[]byte(`{"apiVersion":"v1","kind":"List","items":[{"kind":"Secret","stringData":{"tls.crt":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}}]}`),
	}
}

// FuzzRead feeds arbitrary bytes to the sniffer and every parser: Read
// must return a store or an *InputError (one line naming the file),
// never panic, and agree with Sniff.
func FuzzRead(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s, "store.p12")
		f.Add(s, "-")
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		if len(data) > 1<<16 || strings.ContainsAny(name, "\n\r") {
			return // the name is the user's own argument
		}
		format := Sniff(data)
		s, err := Read(data, Options{Name: "x" + name, Password: Password{Value: "changeit", Set: len(name)%2 == 0}})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || strings.Contains(ie.Error(), "\n") && format != FormatKubeTLS {
				t.Fatalf("error is not one InputError line: %T %q", err, err)
			}
			if format == FormatUnknown && !errors.Is(err, ErrNotAStore) {
				t.Fatalf("unknown content failed with %v", err)
			}
			return
		}
		if s.Format != format || format == FormatUnknown {
			t.Fatalf("Read says %s, Sniff %s", s.Format, format)
		}
		_ = Findings(s, Judge{Now: testNow, Alias: "server", Name: "api.example.test"})
	})
}

// FuzzParseSecrets feeds arbitrary YAML/JSON to the Kubernetes secret
// parser.
func FuzzParseSecrets(f *testing.F) {
	for _, s := range seeds(f)[8:] {
		f.Add(s)
	}
	f.Add([]byte("kind: List\nitems:\n- kind: Secret\n  data:\n    ca.crt: AAAA\n"))
	f.Add([]byte("a: &x [*x, *x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, _, err := ParseSecrets(data)
		if err == nil && len(ss) == 0 {
			t.Fatal("no secret and no error")
		}
	})
}

// FuzzParseProperties: a java.security file never panics the reader.
func FuzzParseProperties(f *testing.F) {
	f.Add([]byte("jdk.tls.disabledAlgorithms=SSLv3, TLSv1, \\\n  RC4, include jdk.disabled.namedCurves\njdk.disabled.namedCurves=secp112r1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		props := parseProperties(data)
		for _, e := range expandDisabled(props, "jdk.tls.disabledAlgorithms") {
			_ = parseConstraint(e).applies([]string{"RSA"}, context{keyAlg: "RSA", bits: 1024})
		}
	})
}
