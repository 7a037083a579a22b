package truststore

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"
)

// Write writes certs as a truststore that keytool and every Java since 8
// read: JKS (trusted certificate entries), PKCS#12 (certificates marked
// trusted for Java, 3DES/SHA-1 so that JDKs before 8u301 read it too: a
// truststore holds only public certificates) or PEM (a bundle for
// OpenSSL, curl and Go). aliases name the entries; the password protects
// JKS and PKCS#12 integrity. The file is written whole or not at all.
func Write(path string, f Format, certs []*x509.Certificate, aliases []string, password string, now time.Time) error {
	var out []byte
	switch f {
	case FormatPEM:
		for _, c := range certs {
			out = append(out, []byte(fmt.Sprintf("# %s\n# SHA-256 %s\n", oneLine(c.Subject.String()), fingerprint(c)))...)
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
	case FormatJKS:
		ks := keystore.New()
		for i, c := range certs {
			if err := ks.SetTrustedCertificateEntry(aliases[i], keystore.TrustedCertificateEntry{
				CreationTime: now, Certificate: keystore.Certificate{Type: "X509", Content: c.Raw},
			}); err != nil {
				return err
			}
		}
		var buf bytes.Buffer
		if err := ks.Store(&buf, []byte(password)); err != nil {
			return err
		}
		out = buf.Bytes()
	case FormatPKCS12:
		var entries []pkcs12.TrustStoreEntry
		for i, c := range certs {
			entries = append(entries, pkcs12.TrustStoreEntry{Cert: c, FriendlyName: aliases[i]})
		}
		var err error
		if out, err = pkcs12.LegacyDES.EncodeTrustStoreEntries(entries, password); err != nil {
			return err
		}
	default:
		return fmt.Errorf("cannot write a %s truststore", f)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// FormatFor names the truststore format a file name asks for: .jks, .p12
// or .pfx, .pem or .crt.
func FormatFor(path string) (Format, bool) {
	l := strings.ToLower(path)
	switch {
	case strings.HasSuffix(l, ".jks"):
		return FormatJKS, true
	case strings.HasSuffix(l, ".p12"), strings.HasSuffix(l, ".pfx"):
		return FormatPKCS12, true
	case strings.HasSuffix(l, ".pem"), strings.HasSuffix(l, ".crt"):
		return FormatPEM, true
	}
	return "", false
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256sum(c.Raw)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

func sha256sum(b []byte) [32]byte { return sha256.Sum256(b) }

// oneLine escapes what would end or disturb a "# subject" comment line:
// control characters (a newline in a server's CN would otherwise write
// lines of its choosing, a BEGIN line among them, into the file), the
// Unicode line separators and invalid UTF-8, as \n, \x1b, \u2028, \xff.
func oneLine(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case unicode.IsControl(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}
