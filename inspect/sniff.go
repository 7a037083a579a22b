package inspect

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/identity"
	"github.com/tlsdoctor/tlsdoctor/truststore"
)

// Sniff names a file's real type from its content, never from its name.
// It reads at most the whole slice and never fails: unknown content is
// FormatUnknown.
func Sniff(data []byte) Format {
	t := bytes.TrimSpace(data)
	switch {
	case len(t) == 0:
		return FormatUnknown
	case bytes.HasPrefix(data, []byte{0xFE, 0xED, 0xFE, 0xED}):
		return FormatJKS
	case bytes.HasPrefix(data, []byte{0xCE, 0xCE, 0xCE, 0xCE}):
		return FormatJCEKS
	case bytes.Contains(t, []byte("-----BEGIN ")) && !looksLikeSecret(t):
		return FormatPEM
	case looksLikeSecret(t):
		return FormatKubeTLS
	case data[0] == 0x30:
		if truststore.IsPKCS12(data) {
			return FormatPKCS12
		}
		if isDERObject(data) {
			return FormatDER
		}
	}
	return FormatUnknown
}

// looksLikeSecret is true for YAML or JSON that names a Kubernetes
// object holding tls.crt (a Secret, or a List of them). PEM text pasted
// into a secret's stringData is still a secret.
func looksLikeSecret(t []byte) bool {
	head := t[:min(len(t), 64<<10)]
	return (bytes.Contains(head, []byte("kind")) || bytes.Contains(head, []byte("apiVersion"))) &&
		(bytes.Contains(head, []byte("tls.crt")) || bytes.Contains(head, []byte("ca.crt")) || bytes.Contains(head, []byte("Secret")))
}

// isDERObject recognises what a DER file of ours may hold: a
// certificate (or several), a private key (PKCS#1, PKCS#8, SEC 1, or an
// encrypted PKCS#8), or a PKCS#7 bundle.
func isDERObject(data []byte) bool {
	if _, err := x509.ParseCertificates(data); err == nil {
		return true
	}
	if _, err := identity.ParseDERKey(data); err == nil {
		return true
	}
	var epki struct {
		Algo struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue `asn1:"optional"`
		}
		Data []byte
	}
	if rest, err := asn1.Unmarshal(data, &epki); err == nil && len(rest) == 0 && len(epki.Data) > 0 {
		return true
	}
	return isPKCS7(data)
}

var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

func isPKCS7(data []byte) bool {
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
	}
	_, err := asn1.Unmarshal(data, &ci)
	return err == nil && ci.ContentType.Equal(oidSignedData)
}

// DeclaredType is the store type a file's name or --type claims, and what
// claims it; "" when the name says nothing (cacerts, a .txt).
func DeclaredType(name, flagType string) (typ, by string) {
	if flagType != "" {
		return normalType(flagType), "--type " + flagType
	}
	ext := strings.ToLower(filepath.Ext(name))
	switch ext {
	case ".jks", ".keystore", ".truststore", ".ks", ".ts":
		return string(FormatJKS), "the extension " + ext
	case ".p12", ".pfx", ".pkcs12":
		return string(FormatPKCS12), "the extension " + ext
	case ".jceks":
		return string(FormatJCEKS), "the extension " + ext
	case ".pem":
		return string(FormatPEM), "the extension " + ext
	case ".der":
		return string(FormatDER), "the extension " + ext
	case ".yaml", ".yml", ".json":
		return string(FormatKubeTLS), "the extension " + ext
	}
	return "", ""
}

// normalType maps a user's --type (jks, pkcs12, p12, PKCS#12, pem...) to
// a Format name; unknown values are returned upper-cased.
func normalType(s string) string {
	switch strings.ToUpper(strings.NewReplacer("#", "", "-", "", "_", "").Replace(s)) {
	case "JKS":
		return string(FormatJKS)
	case "PKCS12", "P12", "PFX":
		return string(FormatPKCS12)
	case "JCEKS":
		return string(FormatJCEKS)
	case "PEM", "CRT":
		return string(FormatPEM)
	case "DER", "CER":
		return string(FormatDER)
	case "YAML", "JSON", "SECRET", "KUBERNETES":
		return string(FormatKubeTLS)
	}
	return strings.ToUpper(s)
}

// ValidType reports whether --type names a type inspect knows.
func ValidType(s string) bool {
	switch Format(normalType(s)) {
	case FormatJKS, FormatPKCS12, FormatJCEKS, FormatPEM, FormatDER, FormatKubeTLS:
		return true
	}
	return false
}

// mismatch explains a file whose declared type differs from its real one.
// It returns nil when they agree, or when the difference does not matter
// to anyone (a .crt that is DER, a .pem bundle read as a truststore).
func mismatch(data []byte, actual Format, declared, by string) *TypeMismatch {
	if declared == "" || declared == string(actual) {
		return nil
	}
	// PEM and DER are both "a certificate file" for OpenSSL-style
	// readers; .cer/.crt are ambiguous by nature.
	if (declared == string(FormatPEM) || declared == string(FormatDER)) && (actual == FormatPEM || actual == FormatDER) {
		return nil
	}
	m := &TypeMismatch{Declared: declared, Actual: actual, By: by, Java: javaLoad(data, actual, declared)}
	return m
}

// javaLoad says what Java does when it opens content of type actual as a
// KeyStore of type declared (KeyStore.getInstance(declared).load(...)).
// The Java 17 messages were measured (keytool-made JKS, PKCS#12, JCEKS,
// PEM and DER files loaded as each type by Java 17.0.15). Java 8 has no
// JKS/PKCS#12 auto-detection for the PKCS12 type: its DER parser reads the
// file's first two bytes as tag and length, which gives the message below
// for any non-DER file.
func javaLoad(data []byte, actual Format, declared string) []JavaError {
	ok := func(java string) JavaError {
		return JavaError{Java: java, Message: "reads it (keystore.type.compat=true lets the JKS and PKCS12 types read either format)"}
	}
	fail := func(java, msg string) JavaError { return JavaError{Java: java, Fails: true, Message: msg} }
	switch declared {
	case string(FormatPKCS12):
		switch actual {
		case FormatJKS:
			return []JavaError{fail("java8", "java.io.IOException: "+derLengthError(data)), ok("java17")}
		case FormatJCEKS, FormatPEM:
			return []JavaError{fail("java8", "java.io.IOException: "+derLengthError(data)), fail("java17", "java.io.IOException: "+derLengthError(data))}
		case FormatDER:
			return []JavaError{fail("java17", "java.io.IOException: DerValue.getBigIntegerInternal, not expected 48")}
		}
		return []JavaError{fail("java17", "java.io.IOException: "+derLengthError(data))}
	case string(FormatJKS):
		switch actual {
		case FormatPKCS12:
			return []JavaError{ok("java17")}
		}
		return []JavaError{fail("java17", "java.io.IOException: Invalid keystore format")}
	case string(FormatJCEKS):
		switch actual {
		case FormatJKS:
			return []JavaError{{Java: "java17", Message: "reads it (the JCEKS type reads JKS files)"}}
		}
		return []JavaError{fail("java17", "java.io.IOException: Invalid keystore format")}
	}
	return nil
}

// derLengthError is what the JDK's DerValue parser says about a file that
// does not start with a DER SEQUENCE: the second byte is read as a length
// ("lengthTag=109, too big." for a JKS file's FE ED), else the first byte
// is rejected as a tag ("toDerInputStream rejects tag type 45" for PEM's
// "--").
func derLengthError(data []byte) string {
	if len(data) < 2 {
		return "DerInputStream.getLength(): lengthTag=0, too big."
	}
	if l := data[1]; l&0x80 != 0 && int(l&0x7f) > 4 {
		return fmt.Sprintf("DerInputStream.getLength(): lengthTag=%d, too big.", l&0x7f)
	}
	return fmt.Sprintf("toDerInputStream rejects tag type %d", data[0])
}
