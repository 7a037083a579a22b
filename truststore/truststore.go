// Package truststore loads trust anchors from the files users have and from
// the system. It reads files and never touches the network.
package truststore

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoCertificates is returned for a readable file that holds no
// certificate.
var ErrNoCertificates = errors.New("holds no certificate")

// LoadFile reads a bundle of certificates, PEM or DER, detected from the
// content. Errors name the file and say what is wrong.
func LoadFile(path string) ([]*x509.Certificate, error) { return loadFile(nil, path) }

func loadFile(p *Parser, path string) ([]*x509.Certificate, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	certs, err := parseCertificates(p, data)
	if err != nil {
		return nil, fmt.Errorf("%s %w", path, err)
	}
	return certs, nil
}

// ParseCertificates parses PEM (every CERTIFICATE block; other blocks are
// skipped) or a single DER certificate. A certificate that appears more
// than once (bundles concatenated from several sources; a hostile file of
// 50,000 copies) is parsed and returned once.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) { return parseCertificates(nil, data) }

func parseCertificates(p *Parser, data []byte) ([]*x509.Certificate, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("is empty: %w", ErrNoCertificates)
	}
	var certs []*x509.Certificate
	rest := data
	sawPEM := false
	seen := map[[32]byte]bool{}
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		sawPEM = true
		if b.Type != "CERTIFICATE" && b.Type != "TRUSTED CERTIFICATE" {
			continue
		}
		sum := sha256.Sum256(b.Bytes)
		if seen[sum] {
			continue
		}
		seen[sum] = true
		c, err := p.parse(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("has a CERTIFICATE block that does not parse: %v", err)
		}
		certs = append(certs, c)
	}
	if sawPEM {
		if len(certs) == 0 {
			return nil, fmt.Errorf("has PEM blocks but no CERTIFICATE block: %w", ErrNoCertificates)
		}
		return certs, nil
	}
	if c, err := p.parse(data); err == nil {
		return []*x509.Certificate{c}, nil
	}
	if cs, err := x509.ParseCertificates(data); err == nil && len(cs) > 0 {
		return cs, nil
	}
	return nil, fmt.Errorf("is neither PEM nor DER (%s): %w", sniff(data), ErrNoCertificates)
}

// sniff says what a non-certificate file looks like, for the error.
func sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xFE, 0xED, 0xFE, 0xED}):
		return "it looks like a JKS keystore"
	case bytes.HasPrefix(data, []byte{0xCE, 0xCE, 0xCE, 0xCE}):
		return "it looks like a JCEKS keystore"
	case len(data) > 0 && data[0] == 0x30:
		return "it is DER but not an X.509 certificate; a PKCS#12 or key file?"
	case bytes.Contains(data[:min(len(data), 512)], []byte("{")):
		return "it looks like text or JSON"
	}
	return "unrecognised content"
}

// systemFiles and systemDirs are where Linux distributions keep the
// system roots (the same list crypto/x509 uses).
var systemFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

var systemDirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}

// System loads the system roots, honouring SSL_CERT_FILE and SSL_CERT_DIR
// as OpenSSL and Go do.
func System() ([]*x509.Certificate, error) { return (*Parser)(nil).System() }

// System is System, sharing what p has parsed.
func (p *Parser) System() ([]*x509.Certificate, error) {
	files := systemFiles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	for _, f := range files {
		if certs, err := loadFile(p, f); err == nil {
			return certs, nil
		}
	}
	dirs := systemDirs
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		dirs = strings.Split(d, ":")
	}
	var certs []*x509.Certificate
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if cs, err := loadFile(p, filepath.Join(d, e.Name())); err == nil {
				certs = append(certs, cs...)
			}
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("no system root certificates found (install ca-certificates, or pass --ca-file)")
	}
	return certs, nil
}
