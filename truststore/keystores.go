package truststore

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf16"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
)

// Format is a truststore file format, detected from the content.
type Format string

const (
	FormatPEM    Format = "PEM"
	FormatDER    Format = "DER"
	FormatPKCS12 Format = "PKCS#12"
	FormatJKS    Format = "JKS"
	FormatJCEKS  Format = "JCEKS"
)

// Typed errors, for callers that map them to hints.
var (
	// ErrWrongPassword: the store's integrity check failed with the
	// password given.
	ErrWrongPassword = errors.New("wrong password")
	// ErrPasswordNeeded: the store is protected and no password was given.
	ErrPasswordNeeded = errors.New("needs a password")
	// ErrUnsupported: a format tlsdoctor does not read (JCEKS).
	ErrUnsupported = errors.New("unsupported keystore format")
)

// Password is an optional store password; Set is false when the user gave
// none (which differs from an empty password).
type Password struct {
	Value string
	Set   bool
}

// Detect names the format of a truststore file's content.
func Detect(data []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFE, 0xED, 0xFE, 0xED}):
		return FormatJKS, nil
	case bytes.HasPrefix(data, []byte{0xCE, 0xCE, 0xCE, 0xCE}):
		return FormatJCEKS, nil
	case bytes.Contains(data, []byte("-----BEGIN ")):
		return FormatPEM, nil
	case IsPKCS12(data):
		return FormatPKCS12, nil
	}
	if _, err := x509.ParseCertificate(data); err == nil {
		return FormatDER, nil
	}
	if cs, err := x509.ParseCertificates(data); err == nil && len(cs) > 0 {
		return FormatDER, nil
	}
	return "", fmt.Errorf("is not a certificate store (%s): %w", sniff(data), ErrNoCertificates)
}

// IsPKCS12 recognises a PFX (RFC 7292): SEQUENCE { INTEGER 3, ContentInfo
// { pkcs7-data or pkcs7-signedData, ... }, ... }. The identity package uses
// it too, so that truststores and client keystores are told apart alike.
func IsPKCS12(data []byte) bool {
	var pfx struct {
		Version  int
		AuthSafe struct {
			ContentType asn1.ObjectIdentifier
			Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
		}
		MacData asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(data, &pfx); err != nil {
		return false
	}
	return pfx.Version == 3 && (pfx.AuthSafe.ContentType.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}) ||
		pfx.AuthSafe.ContentType.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}))
}

// Load reads a truststore file in any supported format. Errors name the
// file and say what is wrong; they wrap ErrWrongPassword,
// ErrPasswordNeeded, ErrUnsupported or ErrNoCertificates.
func Load(path string, pw Password) ([]*x509.Certificate, Format, error) {
	return (*Parser)(nil).Load(path, pw)
}

// Load is Load, sharing what p has parsed.
func (p *Parser) Load(path string, pw Password) ([]*x509.Certificate, Format, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, "", err
	}
	certs, f, err := p.parseStore(data, pw)
	if err != nil {
		return nil, f, fmt.Errorf("%s %w", path, err)
	}
	return certs, f, nil
}

// readFile reads a certificate file or store, bounded in size and time
// (a FIFO or /dev/zero fails at once).
func readFile(path string) ([]byte, error) {
	data, err := inputfile.Read(path, inputfile.MaxCertificateFile)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return data, nil
}

// Parse reads a truststore's content; see Load.
func Parse(data []byte, pw Password) ([]*x509.Certificate, Format, error) {
	return (*Parser)(nil).parseStore(data, pw)
}

func (p *Parser) parseStore(data []byte, pw Password) ([]*x509.Certificate, Format, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, "", fmt.Errorf("is empty: %w", ErrNoCertificates)
	}
	f, err := Detect(data)
	if err != nil {
		return nil, "", err
	}
	var certs []*x509.Certificate
	switch f {
	case FormatPEM, FormatDER:
		certs, err = parseCertificates(p, data)
	case FormatJKS:
		certs, err = parseJKS(p, data, pw)
	case FormatPKCS12:
		certs, err = parsePKCS12(data, pw)
	case FormatJCEKS:
		err = fmt.Errorf("is a JCEKS keystore, which tlsdoctor does not read (%w); convert it: keytool -importkeystore -srckeystore FILE -srcstoretype JCEKS -destkeystore truststore.p12 -deststoretype PKCS12", ErrUnsupported)
	}
	if err != nil {
		return nil, f, err
	}
	if len(certs) == 0 {
		return nil, f, fmt.Errorf("is a %s store with no certificate in it: %w", f, ErrNoCertificates)
	}
	return certs, f, nil
}

// jksIntegrity checks a JKS file's keyed SHA-1 digest (password as
// UTF-16BE, then "Mighty Aphrodite", then the content), so that a wrong
// password is told apart from a corrupt file.
func jksIntegrity(data []byte, password string) bool {
	if len(data) < 20+12 {
		return false
	}
	h := sha1.New()
	for _, u := range utf16.Encode([]rune(password)) {
		h.Write([]byte{byte(u >> 8), byte(u)})
	}
	h.Write([]byte("Mighty Aphrodite"))
	h.Write(data[:len(data)-20])
	return bytes.Equal(h.Sum(nil), data[len(data)-20:])
}

func parseJKS(p *Parser, data []byte, pw Password) ([]*x509.Certificate, error) {
	if !pw.Set {
		return nil, fmt.Errorf("is a JKS keystore and %w (--truststore-password, TLSDOCTOR_TRUSTSTORE_PASSWORD or --truststore-password-file)", ErrPasswordNeeded)
	}
	if !jksIntegrity(data, pw.Value) {
		return nil, fmt.Errorf("is a JKS keystore and the password given is wrong (or the file is corrupt): %w", ErrWrongPassword)
	}
	ks := keystore.New()
	if err := ks.Load(bytes.NewReader(data), []byte(pw.Value)); err != nil {
		return nil, fmt.Errorf("is a JKS keystore that does not parse: %v", err)
	}
	var certs []*x509.Certificate
	for _, alias := range ks.Aliases() {
		var raw []keystore.Certificate
		switch {
		case ks.IsTrustedCertificateEntry(alias):
			e, err := ks.GetTrustedCertificateEntry(alias)
			if err != nil {
				return nil, fmt.Errorf("is a JKS keystore whose entry %q does not read: %v", alias, err)
			}
			raw = append(raw, e.Certificate)
		case ks.IsPrivateKeyEntry(alias):
			// A keystore used as truststore: Java trusts the chain of
			// each key entry.
			chain, err := ks.GetPrivateKeyEntryCertificateChain(alias)
			if err != nil {
				return nil, fmt.Errorf("is a JKS keystore whose entry %q does not read: %v", alias, err)
			}
			raw = append(raw, chain...)
		}
		for _, r := range raw {
			c, err := p.parse(r.Content)
			if err != nil {
				return nil, fmt.Errorf("is a JKS keystore whose entry %q holds a certificate that does not parse: %v", alias, err)
			}
			certs = append(certs, c)
		}
	}
	return certs, nil
}

func parsePKCS12(data []byte, pw Password) ([]*x509.Certificate, error) {
	// Before any key derivation, which cannot be interrupted.
	if err := inputfile.CheckKeyDerivation(data); err != nil {
		return nil, fmt.Errorf("is a PKCS#12 store that cannot be opened safely: %w", err)
	}
	pass := pw.Value
	certs, err := pkcs12.DecodeTrustStore(data, pass)
	if err == nil {
		return certs, nil
	}
	if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
		if !pw.Set {
			return nil, fmt.Errorf("is a PKCS#12 store and %w (--truststore-password, TLSDOCTOR_TRUSTSTORE_PASSWORD or --truststore-password-file)", ErrPasswordNeeded)
		}
		return nil, fmt.Errorf("is a PKCS#12 store and the password given is wrong: %w", ErrWrongPassword)
	}
	// Not a pure truststore (it holds a key too): take every certificate.
	_, leaf, cas, err2 := pkcs12.DecodeChain(data, pass)
	if err2 != nil {
		if errors.Is(err2, pkcs12.ErrIncorrectPassword) || errors.Is(err2, pkcs12.ErrDecryption) {
			return nil, fmt.Errorf("is a PKCS#12 store and the password given is wrong: %w", ErrWrongPassword)
		}
		return nil, fmt.Errorf("is a PKCS#12 store that does not parse: %v", err)
	}
	return append([]*x509.Certificate{leaf}, cas...), nil
}

// JavaCacerts finds the installed JDK's cacerts: $JAVA_HOME, then `java`
// on PATH (following symlinks), then Debian's /etc/ssl/certs/java/cacerts.
// lookPath is exec.LookPath, injectable for tests.
func JavaCacerts(getenv func(string) string, lookPath func(string) (string, error)) (string, error) {
	var tried []string
	try := func(p string) bool {
		tried = append(tried, p)
		st, err := os.Stat(p)
		return err == nil && st.Mode().IsRegular()
	}
	if jh := getenv("JAVA_HOME"); jh != "" {
		if p := filepath.Join(jh, "lib", "security", "cacerts"); try(p) {
			return p, nil
		}
	}
	if lookPath != nil {
		if j, err := lookPath("java"); err == nil {
			if real, err := filepath.EvalSymlinks(j); err == nil {
				if p := filepath.Join(filepath.Dir(filepath.Dir(real)), "lib", "security", "cacerts"); try(p) {
					return p, nil
				}
			}
		}
	}
	if p := "/etc/ssl/certs/java/cacerts"; try(p) {
		return p, nil
	}
	return "", fmt.Errorf("no Java cacerts found (tried %v; set JAVA_HOME)", tried)
}

// Java loads the JDK's cacerts, JKS or PKCS#12, with the password given
// or Java's default "changeit".
func Java(path string, pw Password) ([]*x509.Certificate, error) {
	return (*Parser)(nil).Java(path, pw)
}

// Java is Java, sharing what p has parsed.
func (p *Parser) Java(path string, pw Password) ([]*x509.Certificate, error) {
	if !pw.Set {
		pw = Password{Value: "changeit", Set: true}
	}
	certs, _, err := p.Load(path, pw)
	return certs, err
}
