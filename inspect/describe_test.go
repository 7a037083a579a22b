package inspect

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"math/rand"
	"strings"
	"testing"
)

// What inspect says of a file that is no store: only what it can
// establish from the bytes.
func describeRead(t *testing.T, data []byte) string {
	t.Helper()
	_, err := Read(data, Options{Name: "f"})
	var ie *InputError
	if !errors.As(err, &ie) || !errors.Is(err, ErrNotAStore) {
		t.Fatalf("%v, want not a store", err)
	}
	msg, ok := strings.CutPrefix(ie.Msg, "is not a certificate, key or keystore file (")
	if !ok {
		t.Fatalf("message %q", ie.Msg)
	}
	return strings.TrimSuffix(msg, ")")
}

func TestDescribeUnknown(t *testing.T) {
	// Random bytes: no format is claimed, and never "text".
	rng := rand.New(rand.NewSource(20261201))
	for i := 0; i < 500; i++ {
		b := make([]byte, 1+rng.Intn(4096))
		rng.Read(b)
		if i%50 == 0 {
			b[0] = 0x30 // starts like DER
		}
		if Sniff(b) != FormatUnknown {
			continue
		}
		got := describeRead(t, b)
		if !strings.HasPrefix(got, "unrecognised binary content") && !strings.HasPrefix(got, "binary content") {
			t.Errorf("random bytes (%d, first % x) described as %q", len(b), b[:min(len(b), 8)], got)
		}
	}

	p := pki(t)
	der := p.Get("leaf").Cert.Raw
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(p.PEMBundle("leaf"))
	zw.Close()
	var zb bytes.Buffer
	za := zip.NewWriter(&zb)
	w, _ := za.Create("keystore.p12")
	w.Write(der)
	za.Close()
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated DER", der[:len(der)/2], "binary content whose first bytes read as a DER SEQUENCE header announcing "},
		{"a DER sequence that is no certificate", []byte{0x30, 0x03, 0x02, 0x01, 0x05}, "a DER SEQUENCE of 5 bytes, but not a certificate"},
		{"gzip", gz.Bytes(), "a gzip file"},
		{"zip", zb.Bytes(), "a zip archive"},
		{"text", []byte("server.ssl.key-store=classpath:keystore.p12\nserver.port: 8443\n"), "text that is neither PEM nor a Kubernetes secret"},
		{"UTF-8 text", []byte("clé: ünïcode\tvalue\r\n"), "text that is neither PEM nor a Kubernetes secret"},
		{"text with a NUL", []byte("key: value\x00\n"), "unrecognised binary content"},
		{"BKS header", append([]byte{0, 0, 0, 2, 0, 0, 0, 20}, append(make([]byte, 20), 0, 0, 4, 0, 1, 2, 3)...), "a BouncyCastle BKS/UBER keystore"},
		{"four bytes like a BKS version", []byte{0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3}, "unrecognised binary content"},
	} {
		if got := describeRead(t, tc.data); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q…", tc.name, got, tc.want)
		}
	}
	if got := describeRead(t, der[:len(der)/2]); !strings.Contains(got, "the file has "+itoa(len(der)/2)) {
		t.Errorf("truncated DER: %q", got)
	}
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}
