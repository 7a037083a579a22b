// Package inspect reads the certificate and key files users have — PEM
// (any mix of certificates and keys, encrypted or not), DER, PKCS#12, JKS,
// JCEKS, Kubernetes TLS secrets — and says what they hold (per entry:
// alias, kind, chain, fingerprints, key, names, usages) and what is wrong
// with them, the way Java, OpenSSL and Kubernetes will see them. It also
// answers whether a server keystore and a client truststore align, which
// truststore a JVM really reads, and how that JDK's java.security judges a
// chain.
//
// It owns parsing and judging local files. It must not touch the network
// (the live probe of --for is run by internal/cli through probe/), print
// anything (report/ renders its Report), or keep or show a password or a
// private key: a decrypted key stays in memory only to be compared with
// its certificate. Findings reuse the checks package's logic (same IDs,
// severities and client verdicts) wherever a network check applies to a
// file; only what only a file shows has IDs of its own.
package inspect

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// MaxFileSize bounds every file inspect reads: a keystore or a secret is
// kilobytes, a large CA bundle a few hundred; 16 MiB is far above both.
const MaxFileSize = 16 << 20

// Format is the real type of a file, read from its content.
type Format string

const (
	FormatPEM     Format = "PEM"
	FormatDER     Format = "DER"
	FormatPKCS12  Format = "PKCS12"
	FormatJKS     Format = "JKS"
	FormatJCEKS   Format = "JCEKS"
	FormatKubeTLS Format = "Kubernetes secret"
	FormatUnknown Format = "unknown"
)

// Kinds of entries, as keytool names them.
const (
	KindPrivateKey = "PrivateKeyEntry"
	KindTrusted    = "trustedCertEntry"
	KindSecretKey  = "SecretKeyEntry"
	// KindCertificate is a certificate in a PEM/DER file or a secret
	// (no alias, no trust flag: what it is depends on who reads it).
	KindCertificate = "certificate"
	// KindKey is a private key in a PEM file or a secret, with the
	// certificates that go with it when the file has them.
	KindKey = "key"
)

// Password is a password given by the user, or none.
type Password struct {
	Value string
	Set   bool
	// Source says where it came from ("--password-file pw.txt",
	// "TLSDOCTOR_PASSWORD", "--password"), for fixes that must name it;
	// never the value.
	Source string
	// File is the password file, when Source is a file flag; Env the
	// environment variable, when it came from one.
	File string
	Env  string
}

// ReopenOption is the tlsdoctor inspect option that opens a store with
// this password as the user gave it, by file or environment variable ("",
// for a password typed on the command line, which is not repeated).
func (p Password) ReopenOption() string {
	switch {
	case p.File != "":
		return " --password-file " + checks.ShellQuote(p.File)
	case p.Env != "" && p.Env != "TLSDOCTOR_PASSWORD":
		return " --password-env " + checks.ShellQuote(p.Env)
	}
	return ""
}

// Options say how to read one file.
type Options struct {
	// Name is the file name shown in messages; "-" is stdin.
	Name string
	// Password opens the store (and its keys unless KeyPassword is set).
	Password Password
	// KeyPassword opens key entries whose password differs.
	KeyPassword Password
	// Type is what the user (--type) says the file is; empty: from the
	// extension.
	Type string
}

// Store is one inspected file.
type Store struct {
	File string `json:"file"`
	// Format is the real type, from the content.
	Format Format `json:"type"`
	// Container says what wraps the store, for a Kubernetes secret
	// ("Kubernetes secret default/api-tls (YAML)").
	Container string `json:"container,omitempty"`
	// Declared is the type the extension or --type claims, when it
	// differs from Format (see TypeMismatch).
	Declared     string        `json:"declared_type,omitempty"`
	TypeMismatch *TypeMismatch `json:"type_mismatch,omitempty"`
	// PasswordUsed says which password opened the store, without the
	// value: "given", "default changeit (none given)", "empty (none
	// given)", "none needed", "not verified: ...".
	PasswordUsed string `json:"password,omitempty"`
	// Integrity is "verified", "not verified (...)" or "none" (PEM).
	Integrity string `json:"integrity,omitempty"`
	// Protection describes a PKCS#12 file's algorithms.
	Protection *Protection `json:"protection,omitempty"`
	Entries    []*Entry    `json:"entries"`
	// Notes are facts about the file that are not findings.
	Notes []string `json:"notes,omitempty"`

	storePassword *string  // the password that opened it, for key decryption
	opened        Password // how the user gave it, for the fixes' keytool options
	raw           []byte   // the first bytes, for Java's parse errors
}

// TypeMismatch is a file whose name or --type says one type and whose
// content is another, with what Java prints when it is opened as the
// declared type.
type TypeMismatch struct {
	Declared string `json:"declared"`
	Actual   Format `json:"actual"`
	// By says what declared it: "extension .p12" or "--type JKS".
	By string `json:"by"`
	// Java are the errors each Java version prints (java8, java17).
	Java []JavaError `json:"java"`
}

// JavaError is what one Java version does with a file.
type JavaError struct {
	Java    string `json:"java"`
	Fails   bool   `json:"fails"`
	Message string `json:"message"`
}

// Protection is how a PKCS#12 file is protected.
type Protection struct {
	MAC           string `json:"mac"` // "HmacPBESHA256", "HmacPBESHA1", "PBMAC1", "none"
	MACIterations int    `json:"mac_iterations,omitempty"`
	// Certificates and Keys are the encryption algorithms of the
	// certificate safes and the key bags ("AES-256-CBC (PBES2,
	// PBKDF2-HMAC-SHA256)", "RC2-40-CBC (PBE-SHA1)", "none").
	Certificates []string `json:"certificates,omitempty"`
	Keys         []string `json:"keys,omitempty"`
}

// Entry is one entry of a store: a key with its chain, a trusted
// certificate, or a certificate of a PEM/DER file.
type Entry struct {
	Alias string `json:"alias,omitempty"`
	Kind  string `json:"kind"`
	// Created is the entry's creation date (JKS, JCEKS).
	Created *time.Time `json:"created,omitempty"`
	// Chain is the entry's certificates, leaf first, as stored.
	Chain []*x509.Certificate `json:"-"`
	// Certificates describes Chain (filled by Inspect).
	Certificates []CertInfo `json:"chain"`
	// Key describes the private key, when the entry has one.
	Key *KeyInfo `json:"key,omitempty"`
	// Source says where in the file the entry is ("PEM blocks 1-3",
	// "data.tls.crt line 7").
	Source string `json:"source,omitempty"`

	key crypto.PrivateKey
	// keyErr is why the key could not be read, when it could not.
	keyErr error
	// keyPasswordDiffers is set when the store password does not open
	// the key and the key password does (or none given did).
	keyPasswordDiffers bool
}

// KeyInfo describes a private key without revealing it.
type KeyInfo struct {
	// Type is "RSA 2048", "EC P-256", "Ed25519", or "unknown" when it
	// could not be decrypted.
	Type string `json:"type,omitempty"`
	// Encrypted names the protection ("PKCS#8 PBES2 AES-256-CBC",
	// "JKS proprietary", "legacy PEM AES-256-CBC", "none").
	Encrypted string `json:"encrypted,omitempty"`
	// Matches is whether it is the key of the entry's certificate; nil
	// when unknown (not decrypted, or no certificate).
	Matches *bool `json:"matches_certificate,omitempty"`
	// PublicSHA256 is the SHA-256 of the public key (SPKI), what
	// `openssl pkey -pubout | openssl sha256` compares.
	PublicSHA256 string `json:"public_key_sha256,omitempty"`
	// Password says which password opened it: "store password", "key
	// password", "none"; empty when it did not open.
	Password string `json:"password,omitempty"`
	// Error is why the key could not be read.
	Error string `json:"error,omitempty"`
}

// PrivateKey returns the entry's decrypted private key, or nil. It is
// for comparing with certificates and for tests; never print it.
func (e *Entry) PrivateKey() crypto.PrivateKey { return e.key }

// Leaf is the entry's first certificate, or nil.
func (e *Entry) Leaf() *x509.Certificate {
	if len(e.Chain) == 0 {
		return nil
	}
	return e.Chain[0]
}

// InputError is a file that cannot be inspected: one line naming it and
// what is wrong, and a hint.
type InputError struct {
	File string
	Msg  string
	Hint string
	Err  error
}

func (e *InputError) Error() string { return e.File + ": " + e.Msg }
func (e *InputError) Unwrap() error { return e.Err }

// Sentinel causes, for errors.Is.
var (
	ErrWrongPassword = errors.New("wrong password")
	ErrNeedPassword  = errors.New("password needed")
	ErrNotAStore     = errors.New("not a certificate or key file")
	ErrTooLarge      = errors.New("file too large")
	ErrCorrupt       = errors.New("corrupt file")
)

func inputErr(file string, cause error, hint, format string, args ...any) *InputError {
	return &InputError{File: file, Msg: fmt.Sprintf(format, args...), Hint: hint, Err: cause}
}
