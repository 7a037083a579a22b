// Package identity loads a TLS client identity (certificate chain and
// private key) from the files users have: PEM certificate and key files
// (PKCS#1, PKCS#8, SEC 1 EC; encrypted PKCS#8 and legacy encrypted PEM),
// PKCS#12 (.p12/.pfx) and Java keystores (JKS, or PKCS#12 used as a
// keystore). It reads files only, never the network, and never prints or
// keeps a password: errors name the file and what is wrong with it, and the
// loaded Identity exposes the public chain for recording.
package identity

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
	"github.com/tlsdoctor/tlsdoctor/truststore"
)

// Options say where the identity is. Either CertFile (PEM or DER with
// KeyFile, or a PKCS#12 file alone) or Keystore is set, not both.
type Options struct {
	CertFile string
	KeyFile  string
	// KeyPassword decrypts an encrypted PEM key; for a keystore it is the
	// entry's key password when it differs from the store password.
	KeyPassword *string
	// CertPassword opens a PKCS#12 given as CertFile.
	CertPassword *string
	Keystore     string
	// KeystorePassword opens Keystore.
	KeystorePassword *string
	// Alias picks the keystore entry; empty means the only private key
	// entry.
	Alias string
}

// Identity is a loaded client identity.
type Identity struct {
	// Certificate is what the TLS client presents: the chain as it will be
	// sent, leaf first, and the private key.
	Certificate tls.Certificate
	// Chain is Certificate's chain, parsed.
	Chain []*x509.Certificate
	// Format is "PEM", "DER", "PKCS#12" or "JKS".
	Format string
	// Source says where it came from, for people and the record
	// ("client.crt + client.key", "client.p12", "ks.jks alias client").
	Source string
	// CertFile and KeyFile are the PEM or DER files it was read from, as
	// given (--cert, --key); KeyFile is CertFile when the key is in it.
	// Both are empty for PKCS#12 and keystores.
	CertFile, KeyFile string
}

// Error is an unusable identity input. Flag and File name what is wrong,
// Hint says how to fix it. It never contains a password.
type Error struct {
	Flag string // "--cert", "--key", "--keystore", "--alias", ...
	File string
	Msg  string
	Hint string
	Err  error // the underlying cause, when there is one
}

func (e *Error) Error() string {
	s := e.Flag
	if e.File != "" {
		s += " " + e.File
	}
	return s + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinel causes, for errors.Is.
var (
	ErrWrongPassword   = errors.New("wrong password")
	ErrNeedPassword    = errors.New("password required")
	ErrKeyMismatch     = errors.New("private key does not match certificate")
	ErrNoPrivateKey    = errors.New("no private key entry")
	ErrAliasNotFound   = errors.New("alias not found")
	ErrUnsupported     = errors.New("unsupported format")
	ErrNoCertificate   = errors.New("no certificate")
	ErrMissingKeyInput = errors.New("no private key given")
)

// Load reads the identity the options describe.
func Load(o Options) (*Identity, error) {
	switch {
	case o.Keystore != "" && o.CertFile != "":
		return nil, &Error{Flag: "--keystore", Msg: "cannot be combined with --cert", Hint: "give either --cert/--key (PEM or .p12) or --keystore, not both"}
	case o.Keystore != "":
		return loadKeystore(o)
	case o.CertFile != "":
		return loadCert(o)
	case o.KeyFile != "":
		return nil, &Error{Flag: "--key", File: o.KeyFile, Msg: "given without --cert", Hint: "add --cert client.crt (the certificate that goes with this key)"}
	}
	return nil, nil
}

// readFile reads an identity file, bounded in size and time (a FIFO or
// /dev/zero fails at once).
func readFile(flag, path string) ([]byte, error) {
	limit := int64(inputfile.MaxCertificateFile)
	if flag == "--key" {
		limit = inputfile.MaxKeyFile
	}
	data, err := inputfile.Read(path, limit)
	if err != nil {
		return nil, &Error{Flag: flag, File: path, Msg: "cannot read: " + err.Error(), Err: err}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Flag: flag, File: path, Msg: "is empty", Err: ErrNoCertificate}
	}
	return data, nil
}

// Kind names what a file holds, detected from its content.
type Kind string

const (
	KindPEM        Kind = "PEM"
	KindDERCert    Kind = "DER certificate"
	KindDERKey     Kind = "DER private key"
	KindPKCS12     Kind = "PKCS#12"
	KindJKS        Kind = "JKS keystore"
	KindJCEKS      Kind = "JCEKS keystore"
	KindBKS        Kind = "BKS keystore"
	KindOpenSSHKey Kind = "OpenSSH private key"
	KindPuTTYKey   Kind = "PuTTY private key"
	KindPKCS7      Kind = "PKCS#7 bundle"
	KindUnknown    Kind = "unknown"
)

// Detect names the format of data.
func Detect(data []byte) Kind {
	t := bytes.TrimSpace(data)
	switch {
	case len(t) >= 4 && bytes.Equal(t[:4], []byte{0xFE, 0xED, 0xFE, 0xED}):
		return KindJKS
	case len(t) >= 4 && bytes.Equal(t[:4], []byte{0xCE, 0xCE, 0xCE, 0xCE}):
		return KindJCEKS
	case bytes.Contains(t, []byte("-----BEGIN OPENSSH PRIVATE KEY-----")):
		return KindOpenSSHKey
	case bytes.HasPrefix(t, []byte("PuTTY-User-Key-File")):
		return KindPuTTYKey
	case bytes.Contains(t, []byte("-----BEGIN PKCS7-----")):
		return KindPKCS7
	case bytes.Contains(t, []byte("-----BEGIN ")):
		return KindPEM
	case len(data) > 0 && data[0] == 0x30:
		if _, err := x509.ParseCertificate(data); err == nil {
			return KindDERCert
		}
		if _, err := ParseDERKey(data); err == nil {
			return KindDERKey
		}
		if truststore.IsPKCS12(data) {
			return KindPKCS12
		}
		if isPKCS7(data) {
			return KindPKCS7
		}
	case len(t) >= 4 && (bytes.Equal(t[:4], []byte{0, 0, 0, 1}) || bytes.Equal(t[:4], []byte{0, 0, 0, 2})):
		return KindBKS
	}
	return KindUnknown
}

var (
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
)

func isPKCS7(data []byte) bool {
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
	}
	_, err := asn1.Unmarshal(data, &ci)
	return err == nil && ci.ContentType.Equal(oidSignedData)
}

func unsupported(flag, path string, k Kind) error {
	e := &Error{Flag: flag, File: path, Err: ErrUnsupported}
	switch k {
	case KindJCEKS:
		e.Msg = "is a JCEKS keystore, which tlsdoctor does not read"
		e.Hint = "convert it: keytool -importkeystore -srckeystore " + checks.ShellQuote(path) + " -srcstoretype JCEKS -destkeystore client.p12 -deststoretype PKCS12, then --keystore client.p12"
	case KindBKS:
		e.Msg = "looks like a BouncyCastle (BKS/UBER) keystore, which tlsdoctor does not read"
		e.Hint = "convert it with keytool -importkeystore -srcstoretype BKS -providerpath bcprov.jar ... -deststoretype PKCS12"
	case KindOpenSSHKey:
		e.Msg = "is an OpenSSH private key, not a TLS key"
		e.Hint = "TLS needs a PEM key (PKCS#8 or PKCS#1); if this is the right key, convert a copy: ssh-keygen -p -m PKCS8 -f COPY"
	case KindPuTTYKey:
		e.Msg = "is a PuTTY private key, not a TLS key"
		e.Hint = "export it as OpenSSL PEM: puttygen " + checks.ShellQuote(path) + " -O private-openssh -o client.key"
	case KindPKCS7:
		e.Msg = "is a PKCS#7 certificate bundle (.p7b), which holds no private key"
		e.Hint = "extract the certificates: openssl pkcs7 -print_certs -in " + checks.ShellQuote(path) + " -out client.pem, then --cert client.pem --key client.key"
	default:
		e.Msg = "is not a certificate or key format tlsdoctor knows (not PEM, DER, PKCS#12 or JKS)"
		e.Hint = "check the file with: openssl x509 -in " + checks.ShellQuote(path) + " -noout -subject, or openssl pkcs12 -info -in " + checks.ShellQuote(path)
	}
	return e
}

func loadCert(o Options) (*Identity, error) {
	data, err := readFile("--cert", o.CertFile)
	if err != nil {
		return nil, err
	}
	switch k := Detect(data); k {
	case KindPKCS12:
		if o.KeyFile != "" {
			return nil, &Error{Flag: "--key", File: o.KeyFile, Msg: "is not needed: " + o.CertFile + " is a PKCS#12 file that holds the key", Hint: "drop --key; give the PKCS#12 password with --cert-password"}
		}
		return loadPKCS12(data, "--cert", o.CertFile, o.CertPassword, "--cert-password")
	case KindJKS:
		return nil, &Error{Flag: "--cert", File: o.CertFile, Msg: "is a JKS keystore, not a certificate", Err: ErrUnsupported,
			Hint: "use --keystore " + checks.ShellQuote(o.CertFile) + " --keystore-password ... [--alias NAME]"}
	case KindPEM, KindDERCert:
		return loadPEMPair(data, o)
	case KindDERKey:
		return nil, &Error{Flag: "--cert", File: o.CertFile, Msg: "is a private key, not a certificate", Err: ErrNoCertificate, Hint: "pass the key with --key and the certificate with --cert"}
	default:
		return nil, unsupported("--cert", o.CertFile, k)
	}
}

func loadPEMPair(certData []byte, o Options) (*Identity, error) {
	var chain []*x509.Certificate
	var keyBlocks []*pem.Block
	if Detect(certData) == KindDERCert {
		c, _ := x509.ParseCertificate(certData)
		chain = []*x509.Certificate{c}
	} else {
		var err error
		chain, keyBlocks, err = parsePEMBundle(certData, "--cert", o.CertFile)
		if err != nil {
			return nil, err
		}
	}
	if len(chain) == 0 {
		e := &Error{Flag: "--cert", File: o.CertFile, Msg: "holds no CERTIFICATE block", Err: ErrNoCertificate}
		if len(keyBlocks) > 0 {
			e.Msg = "holds a private key but no certificate"
			e.Hint = "pass the key with --key and the certificate with --cert"
		}
		return nil, e
	}
	source := o.CertFile
	keyFlag, keyFile := "--key", o.KeyFile
	var key crypto.PrivateKey
	switch {
	case o.KeyFile != "":
		data, err := readFile("--key", o.KeyFile)
		if err != nil {
			return nil, err
		}
		source += " + " + o.KeyFile
		key, err = parseKeyFile(data, o.KeyFile, o.KeyPassword)
		if err != nil {
			return nil, err
		}
	case len(keyBlocks) > 0:
		keyFlag, keyFile = "--cert", o.CertFile
		var err error
		key, err = parseKeyBlock(keyBlocks[0], keyFlag, keyFile, o.KeyPassword)
		if err != nil {
			return nil, err
		}
	default:
		return nil, &Error{Flag: "--cert", File: o.CertFile, Msg: "holds no private key and no --key was given", Err: ErrMissingKeyInput,
			Hint: "add --key client.key (or use a .p12 with --cert client.p12 --cert-password ...)"}
	}
	id, err := newIdentity(chain, key, keyFlag, keyFile)
	if err != nil {
		return nil, err
	}
	id.Format, id.Source = "PEM", source
	id.CertFile, id.KeyFile = o.CertFile, keyFile
	if Detect(certData) == KindDERCert {
		id.Format = "DER"
	}
	return id, nil
}

// parsePEMBundle returns the certificates of a PEM file in order and its
// private key blocks.
func parsePEMBundle(data []byte, flag, path string) ([]*x509.Certificate, []*pem.Block, error) {
	var certs []*x509.Certificate
	var keys []*pem.Block
	rest := data
	for i := 0; ; i++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE" || b.Type == "TRUSTED CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, nil, &Error{Flag: flag, File: path, Msg: fmt.Sprintf("CERTIFICATE block #%d does not parse: %v", len(certs)+1, err), Err: err}
			}
			certs = append(certs, c)
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			keys = append(keys, b)
		}
	}
	return certs, keys, nil
}

func parseKeyFile(data []byte, path string, password *string) (crypto.PrivateKey, error) {
	switch k := Detect(data); k {
	case KindPEM:
		_, keys, err := parsePEMBundle(data, "--key", path)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, &Error{Flag: "--key", File: path, Msg: "holds no PRIVATE KEY block", Err: ErrMissingKeyInput,
				Hint: "the key is the file with '-----BEGIN ... PRIVATE KEY-----'"}
		}
		return parseKeyBlock(keys[0], "--key", path, password)
	case KindDERKey:
		return ParseDERKey(data)
	case KindDERCert:
		return nil, &Error{Flag: "--key", File: path, Msg: "is a certificate, not a private key", Err: ErrMissingKeyInput, Hint: "swap the files? --cert takes the certificate, --key the private key"}
	case KindPKCS12:
		return nil, &Error{Flag: "--key", File: path, Msg: "is a PKCS#12 file", Err: ErrUnsupported, Hint: "give it alone as --cert " + checks.ShellQuote(path) + " --cert-password ..., without --key"}
	default:
		if Detect(data) == KindUnknown && len(data) > 0 && data[0] == 0x30 {
			return nil, &Error{Flag: "--key", File: path, Msg: "is DER data that is not a private key tlsdoctor can read (PKCS#1, PKCS#8 or SEC 1)", Err: ErrUnsupported,
				Hint: "an encrypted DER key needs converting: openssl pkcs8 -in " + checks.ShellQuote(path) + " -inform DER -out client.key"}
		}
		return nil, unsupported("--key", path, k)
	}
}

// ParseDERKey reads a DER private key in any of the unencrypted forms
// keys come in: PKCS#8, PKCS#1 (RSA) or SEC 1 (EC).
func ParseDERKey(der []byte) (crypto.PrivateKey, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("not a PKCS#1, PKCS#8 or SEC 1 private key")
}

func parseKeyBlock(b *pem.Block, flag, path string, password *string) (crypto.PrivateKey, error) {
	needPW := func(kind string) error {
		return &Error{Flag: flag, File: path, Msg: "is an encrypted " + kind + " and no password was given", Err: ErrNeedPassword,
			Hint: "give it with --key-password-file FILE, --key-password or the TLSDOCTOR_KEY_PASSWORD environment variable"}
	}
	wrongPW := func(err error) error {
		return &Error{Flag: flag, File: path, Msg: "wrong password: the key does not decrypt with the password given", Err: fmt.Errorf("%w: %v", ErrWrongPassword, err),
			Hint: "check it with: openssl pkey -in " + checks.ShellQuote(path) + " -noout"}
	}
	der := b.Bytes
	switch {
	case b.Type == "ENCRYPTED PRIVATE KEY":
		if password == nil {
			return nil, needPW("PKCS#8 key")
		}
		if err := checkIterations(der); err != nil {
			return nil, &Error{Flag: flag, File: path, Msg: err.Error(), Err: err}
		}
		k, _, err := pkcs8.ParsePrivateKey(der, []byte(*password))
		if err != nil {
			if isUnsupportedPKCS8(err) {
				return nil, &Error{Flag: flag, File: path, Msg: "is an encrypted PKCS#8 key with an unsupported scheme (" + err.Error() + ")", Err: ErrUnsupported,
					Hint: "re-encrypt a copy with a modern scheme: openssl pkcs8 -topk8 -v2 aes-256-cbc -in " + checks.ShellQuote(path) + " -out client.key"}
			}
			return nil, wrongPW(err)
		}
		return k, nil
	case x509.IsEncryptedPEMBlock(b): //nolint:staticcheck // legacy encrypted PEM is what users have; RFC 1423 is read, never written
		if password == nil {
			return nil, needPW("PEM key (Proc-Type: 4,ENCRYPTED)")
		}
		d, err := x509.DecryptPEMBlock(b, []byte(*password)) //nolint:staticcheck // see above
		if err != nil {
			return nil, wrongPW(err)
		}
		der = d
	}
	var k crypto.PrivateKey
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(der)
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(der)
	case "DSA PRIVATE KEY":
		return nil, &Error{Flag: flag, File: path, Msg: "is a DSA key, which TLS 1.2 and 1.3 clients no longer use", Err: ErrUnsupported, Hint: "issue a new RSA (2048+) or ECDSA P-256 client certificate"}
	default:
		return nil, &Error{Flag: flag, File: path, Msg: fmt.Sprintf("has an unsupported key block %q", b.Type), Err: ErrUnsupported}
	}
	if err != nil {
		if x509.IsEncryptedPEMBlock(b) { //nolint:staticcheck // see above
			// RFC 1423 has no integrity check: a wrong password usually
			// shows up as garbage that does not parse.
			return nil, wrongPW(err)
		}
		return nil, &Error{Flag: flag, File: path, Msg: fmt.Sprintf("%s block does not parse: %v", b.Type, err), Err: err}
	}
	return k, nil
}

func isUnsupportedPKCS8(err error) bool {
	m := err.Error()
	return strings.Contains(m, "unsupported") || strings.Contains(m, "only PBES2") || strings.Contains(m, "only PKCS #5")
}

func loadPKCS12(data []byte, flag, path string, password *string, pwFlag string) (*Identity, error) {
	pw := ""
	if password != nil {
		pw = *password
	}
	if err := checkIterations(data); err != nil {
		return nil, &Error{Flag: flag, File: path, Msg: err.Error(), Err: err,
			Hint: "if the file is genuine, re-export it with the default iteration count: openssl pkcs12 -in " + checks.ShellQuote(path) + " -out client.pem, then openssl pkcs12 -export -in client.pem -out client.p12"}
	}
	key, leaf, cas, err := pkcs12.DecodeChain(data, pw)
	if err != nil {
		switch {
		case errors.Is(err, pkcs12.ErrIncorrectPassword), errors.Is(err, pkcs12.ErrDecryption):
			e := &Error{Flag: flag, File: path, Msg: "wrong password for this PKCS#12 file", Err: ErrWrongPassword,
				Hint: "give the right one with " + pwFlag + "-file FILE, " + pwFlag + " or " + envFor(pwFlag) + "; check it with: openssl pkcs12 -info -noout -in " + checks.ShellQuote(path)}
			if password == nil {
				e.Msg, e.Err = "needs a password (an empty one did not open it)", ErrNeedPassword
			}
			return nil, e
		case strings.Contains(err.Error(), "expected exactly one key bag"):
			return nil, &Error{Flag: flag, File: path, Msg: "holds more than one private key entry; tlsdoctor reads PKCS#12 files with one", Err: ErrUnsupported,
				Hint: "export the one entry you need: keytool -importkeystore -srckeystore " + checks.ShellQuote(path) + " -srcstoretype PKCS12 -srcalias NAME -destkeystore client.p12 -deststoretype PKCS12"}
		case strings.Contains(err.Error(), "private key missing"), strings.Contains(err.Error(), "certificate missing"):
			return nil, &Error{Flag: flag, File: path, Msg: "holds no private key entry (it is a truststore, or certificates only): " + err.Error(), Err: ErrNoPrivateKey,
				Hint: "build a client keystore with the key: openssl pkcs12 -export -in client.crt -inkey client.key -certfile ca-chain.pem -out client.p12"}
		default:
			return nil, &Error{Flag: flag, File: path, Msg: "PKCS#12 file cannot be read: " + err.Error(), Err: err,
				Hint: "list what it holds: openssl pkcs12 -info -noout -in " + checks.ShellQuote(path)}
		}
	}
	id, err := newIdentity(append([]*x509.Certificate{leaf}, orderChain(leaf, cas)...), key, flag, path)
	if err != nil {
		return nil, err
	}
	id.Format, id.Source = "PKCS#12", path
	return id, nil
}

func envFor(pwFlag string) string {
	return "TLSDOCTOR_" + strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(pwFlag, "--"), "-", "_"))
}

// orderChain puts the CA certificates of a bundle in issuing order from the
// leaf, as a TLS client must send them; certificates that do not link are
// kept at the end in file order.
func orderChain(leaf *x509.Certificate, cas []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	used := make([]bool, len(cas))
	cur := leaf
	for {
		next := -1
		for i, c := range cas {
			if !used[i] && bytes.Equal(c.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(c) == nil {
				next = i
				break
			}
		}
		if next < 0 || bytes.Equal(cur.RawSubject, cur.RawIssuer) {
			break
		}
		used[next] = true
		cur = cas[next]
		out = append(out, cur)
	}
	for i, c := range cas {
		if !used[i] {
			out = append(out, c)
		}
	}
	return out
}

func loadKeystore(o Options) (*Identity, error) {
	data, err := readFile("--keystore", o.Keystore)
	if err != nil {
		return nil, err
	}
	switch k := Detect(data); k {
	case KindJKS:
		return loadJKS(data, o)
	case KindPKCS12:
		// Java 9+ keystores are PKCS#12 by default.
		if o.Alias != "" {
			return loadPKCS12Alias(data, o)
		}
		return loadPKCS12(data, "--keystore", o.Keystore, o.KeystorePassword, "--keystore-password")
	case KindPEM, KindDERCert:
		return nil, &Error{Flag: "--keystore", File: o.Keystore, Msg: "is a PEM/DER file, not a keystore", Err: ErrUnsupported, Hint: "use --cert " + checks.ShellQuote(o.Keystore) + " --key client.key"}
	default:
		return nil, unsupported("--keystore", o.Keystore, k)
	}
}

// loadPKCS12Alias honours --alias for a PKCS#12 keystore: go-pkcs12
// decodes only single-key files, whose friendly name must then match.
func loadPKCS12Alias(data []byte, o Options) (*Identity, error) {
	id, err := loadPKCS12(data, "--keystore", o.Keystore, o.KeystorePassword, "--keystore-password")
	if err != nil {
		return nil, err
	}
	pw := ""
	if o.KeystorePassword != nil {
		pw = *o.KeystorePassword
	}
	// ToPEM is deprecated for the key encoding it produces; only the
	// friendlyName headers are read here, which DecodeChain does not give.
	blocks, err := pkcs12.ToPEM(data, pw)
	if err != nil {
		return id, nil // the chain loaded; names are a nicety
	}
	var names []string
	for _, b := range blocks {
		if n := b.Headers["friendlyName"]; n != "" && strings.HasSuffix(b.Type, "PRIVATE KEY") {
			names = append(names, n)
		}
	}
	if len(names) > 0 && !containsFold(names, o.Alias) {
		return nil, &Error{Flag: "--alias", Msg: fmt.Sprintf("%q is not in %s; its private key entry is %s", o.Alias, o.Keystore, strings.Join(quoteAll(names), ", ")), Err: ErrAliasNotFound,
			Hint: "use --alias " + checks.ShellQuote(names[0])}
	}
	id.Source = o.Keystore + " alias " + o.Alias
	return id, nil
}

func loadJKS(data []byte, o Options) (*Identity, error) {
	if o.KeystorePassword == nil {
		return nil, &Error{Flag: "--keystore", File: o.Keystore, Msg: "is a JKS keystore and no password was given", Err: ErrNeedPassword,
			Hint: "give it with --keystore-password-file FILE, --keystore-password or TLSDOCTOR_KEYSTORE_PASSWORD"}
	}
	if err := checkJKS(data); err != nil {
		return nil, &Error{Flag: "--keystore", File: o.Keystore, Msg: err.Error(), Err: err}
	}
	ks := keystore.New(keystore.WithOrderedAliases())
	if err := ks.Load(bytes.NewReader(data), []byte(*o.KeystorePassword)); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &Error{Flag: "--keystore", File: o.Keystore, Msg: "JKS keystore is truncated: " + err.Error(), Err: err}
		}
		// The entries parsed; only the keyed integrity digest failed.
		return nil, &Error{Flag: "--keystore", File: o.Keystore, Msg: "wrong keystore password (the keystore's integrity check failed)", Err: ErrWrongPassword,
			Hint: "check it with: keytool -list -keystore " + checks.ShellQuote(o.Keystore)}
	}
	aliases := ks.Aliases()
	var keyAliases []string
	for _, a := range aliases {
		if ks.IsPrivateKeyEntry(a) {
			keyAliases = append(keyAliases, a)
		}
	}
	sort.Strings(keyAliases)
	alias := o.Alias
	switch {
	case len(keyAliases) == 0:
		return nil, &Error{Flag: "--keystore", File: o.Keystore, Msg: fmt.Sprintf("holds no private key entry, only trusted certificates (%s): it is a truststore", strings.Join(quoteAll(aliases), ", ")), Err: ErrNoPrivateKey,
			Hint: "a client keystore needs a PrivateKeyEntry: keytool -importkeystore -srckeystore client.p12 -srcstoretype PKCS12 -destkeystore client.jks"}
	case alias == "" && len(keyAliases) > 1:
		return nil, &Error{Flag: "--alias", Msg: fmt.Sprintf("%s holds %d private key entries (%s); say which", o.Keystore, len(keyAliases), strings.Join(quoteAll(keyAliases), ", ")), Err: ErrAliasNotFound,
			Hint: "add --alias " + checks.ShellQuote(keyAliases[0])}
	case alias == "":
		alias = keyAliases[0]
	case !ks.IsPrivateKeyEntry(alias) && ks.IsTrustedCertificateEntry(alias):
		return nil, &Error{Flag: "--alias", Msg: fmt.Sprintf("%q in %s is a trusted certificate, not a private key entry; private key entries: %s", alias, o.Keystore, strings.Join(quoteAll(keyAliases), ", ")), Err: ErrNoPrivateKey,
			Hint: "use --alias " + checks.ShellQuote(keyAliases[0])}
	case !ks.IsPrivateKeyEntry(alias):
		return nil, &Error{Flag: "--alias", Msg: fmt.Sprintf("%q is not in %s; its aliases are %s", alias, o.Keystore, strings.Join(quoteAll(aliases), ", ")), Err: ErrAliasNotFound,
			Hint: "use --alias " + checks.ShellQuote(keyAliases[0])}
	}
	keyPW := *o.KeystorePassword
	if o.KeyPassword != nil {
		keyPW = *o.KeyPassword
	}
	entry, err := ks.GetPrivateKeyEntry(alias, []byte(keyPW))
	if err != nil {
		e := &Error{Flag: "--keystore", File: o.Keystore, Msg: fmt.Sprintf("the key of entry %q does not decrypt with the password given", alias), Err: ErrWrongPassword,
			Hint: "if the key password differs from the store password, give it with --key-password-file or --key-password"}
		if o.KeyPassword != nil {
			e.Flag, e.File = "--key-password", ""
			e.Msg = fmt.Sprintf("wrong key password for entry %q in %s", alias, o.Keystore)
			e.Hint = ""
		}
		return nil, e
	}
	key, err := x509.ParsePKCS8PrivateKey(entry.PrivateKey)
	if err != nil {
		return nil, &Error{Flag: "--keystore", File: o.Keystore, Msg: fmt.Sprintf("the key of entry %q does not parse: %v", alias, err), Err: err}
	}
	var chain []*x509.Certificate
	for i, c := range entry.CertificateChain {
		cert, err := x509.ParseCertificate(c.Content)
		if err != nil {
			return nil, &Error{Flag: "--keystore", File: o.Keystore, Msg: fmt.Sprintf("certificate #%d of entry %q does not parse: %v", i, alias, err), Err: err}
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, &Error{Flag: "--keystore", File: o.Keystore, Msg: fmt.Sprintf("entry %q has no certificate", alias), Err: ErrNoCertificate}
	}
	id, err := newIdentity(chain, key, "--keystore", o.Keystore)
	if err != nil {
		return nil, err
	}
	id.Format, id.Source = "JKS", o.Keystore+" alias "+alias
	return id, nil
}

func newIdentity(chain []*x509.Certificate, key crypto.PrivateKey, flag, path string) (*Identity, error) {
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, &Error{Flag: flag, File: path, Msg: fmt.Sprintf("holds a %T key, which cannot sign a TLS handshake", key), Err: ErrUnsupported}
	}
	if !samePublicKey(chain[0].PublicKey, signer.Public()) {
		return nil, &Error{Flag: flag, File: path, Err: ErrKeyMismatch,
			Msg: fmt.Sprintf("the private key does not match the certificate %q (certificate public key SHA-256 %s, private key's public key SHA-256 %s)",
				chain[0].Subject.String(), KeyFingerprint(chain[0].PublicKey), KeyFingerprint(signer.Public())),
			Hint: "compare: openssl x509 -in client.crt -noout -pubkey | openssl sha256; openssl pkey -in client.key -pubout | openssl sha256"}
	}
	tc := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		tc.Certificate = append(tc.Certificate, c.Raw)
	}
	return &Identity{Certificate: tc, Chain: chain}, nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch k := a.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return k.(equaler).Equal(b)
	}
	return false
}

// KeyFingerprint is the SHA-256 of the public key's SubjectPublicKeyInfo in
// colon hex, what `openssl pkey -pubout -outform DER | openssl sha256` shows.
func KeyFingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "(unknown key type)"
	}
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func containsFold(ss []string, s string) bool {
	for _, x := range ss {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
