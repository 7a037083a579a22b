package truststore

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseCertificates feeds arbitrary bytes to the CA-file parser: it
// must return certificates or an error, never panic, and never both none
// and no error.
func FuzzParseCertificates(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{0x30, 0x82, 0x01, 0x00})
	f.Add([]byte{0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2})
	if pems, _ := filepath.Glob("/etc/ssl/certs/*.pem"); len(pems) > 0 {
		if data, err := os.ReadFile(pems[0]); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCertificates(data)
		if err == nil && len(certs) == 0 {
			t.Fatal("no certificates and no error")
		}
	})
}
