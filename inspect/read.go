package inspect

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
)

// ReadFile reads path ("-" is stdin) up to MaxFileSize, with
// inputfile.Read for a path: a device is refused and a FIFO or pipe that
// sends nothing fails after inputfile.PipeTimeout instead of hanging.
func ReadFile(path string, stdin io.Reader) ([]byte, error) {
	const tooLargeHint = "a keystore or certificate file is far smaller; is this the right file?"
	if path != "-" {
		data, err := inputfile.Read(path, MaxFileSize)
		switch {
		case errors.Is(err, inputfile.ErrTooLarge):
			return nil, inputErr(path, ErrTooLarge, tooLargeHint, "%v", err)
		case errors.Is(err, inputfile.ErrNotAFile), errors.Is(err, inputfile.ErrTimeout):
			return nil, inputErr(path, ErrNotAStore, "give a file, not a device or a pipe", "%v", err)
		case errors.As(err, new(syscall.Errno)):
			return nil, inputErr(path, err, "check the path", "cannot read: %v", err)
		case err != nil: // "is a directory"
			return nil, inputErr(path, ErrNotAStore, "give a file, not a directory", "%v", err)
		}
		return data, nil
	}
	if stdin == nil {
		return nil, inputErr("-", ErrNotAStore, "pipe the file in: kubectl get secret NAME -o yaml | tlsdoctor inspect -", "no standard input")
	}
	data, err := io.ReadAll(io.LimitReader(stdin, MaxFileSize+1))
	if err != nil {
		return nil, inputErr(path, err, "", "cannot read: %v", err)
	}
	if len(data) > MaxFileSize {
		return nil, inputErr(path, ErrTooLarge, tooLargeHint, "is larger than %d MiB", MaxFileSize>>20)
	}
	return data, nil
}

// Read inspects one file's content.
func Read(data []byte, o Options) (*Store, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, inputErr(o.Name, ErrNotAStore, "", "is empty")
	}
	f := Sniff(data)
	s := &Store{File: o.Name, Format: f, opened: o.Password, raw: data[:min(len(data), 16)]}
	if d, by := DeclaredType(o.Name, o.Type); d != "" {
		if m := mismatch(data, f, d, by); m != nil {
			s.Declared, s.TypeMismatch = d, m
		}
	}
	var err error
	switch f {
	case FormatPEM:
		err = readPEMStore(s, data, o)
	case FormatDER:
		err = readDERStore(s, data, o)
	case FormatPKCS12:
		err = readPKCS12Store(s, data, o)
	case FormatJKS, FormatJCEKS:
		err = readJKSStore(s, data, o)
	case FormatKubeTLS:
		err = readSecret(s, data, o)
	default:
		return nil, inputErr(o.Name, ErrNotAStore, "tlsdoctor reads PEM, DER, PKCS#12 (.p12/.pfx), JKS, JCEKS and Kubernetes TLS secrets (YAML or JSON)",
			"is not a certificate, key or keystore file (%s)", describeUnknown(data))
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// describeUnknown says what content that is no store is, from what can
// be established: a file signature (magic bytes), a DER header or
// structure that actually parses, or text (valid UTF-8 without control
// characters). Anything else is "unrecognised binary content", never a
// guess.
func describeUnknown(data []byte) string {
	t := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(t, []byte("PuTTY-User-Key-File")):
		return "a PuTTY private key"
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return "a gzip file (signature 1f 8b): decompress it first"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return "a zip archive (signature PK 03 04; a .zip or .jar): extract the store from it first"
	case isBKS(data):
		return "a BouncyCastle BKS/UBER keystore (version " + string(rune('0'+data[3])) + " header with a 20-byte salt)"
	case data[0] == 0x30:
		return describeDER(data)
	case isText(data):
		return "text that is neither PEM nor a Kubernetes secret"
	}
	return "unrecognised binary content"
}

// isBKS recognises the header BouncyCastle writes: a version (1 or 2),
// the salt length (20) and a salt, then the iteration count.
func isBKS(data []byte) bool {
	if len(data) < 4+4+20+4 || !bytes.HasPrefix(data, []byte{0, 0, 0}) || data[3] != 1 && data[3] != 2 {
		return false
	}
	if !bytes.Equal(data[4:8], []byte{0, 0, 0, 20}) {
		return false
	}
	it := int(data[28])<<24 | int(data[29])<<16 | int(data[30])<<8 | int(data[31])
	return it > 0 && it <= 1<<20
}

// describeDER reads the outer DER header of content that starts with
// SEQUENCE.
func describeDER(data []byte) string {
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(data, &v)
	if err == nil && !validDER(v.Bytes, 0) {
		return "binary content starting with byte 0x30 that is not valid DER"
	}
	switch {
	case err == nil && len(rest) == 0:
		return fmt.Sprintf("a DER SEQUENCE of %d bytes, but not a certificate, key, PKCS#7 or PKCS#12", len(data))
	case err == nil:
		return fmt.Sprintf("a DER SEQUENCE of %d bytes followed by %d other bytes, not a certificate, key, PKCS#7 or PKCS#12", len(data)-len(rest), len(rest))
	}
	if n, ok := derLength(data); ok && n > len(data) {
		return fmt.Sprintf("binary content whose first bytes read as a DER SEQUENCE header announcing %d bytes, but the file has %d (truncated DER, or not DER)", n, len(data))
	}
	return "binary content starting with byte 0x30 that is not valid DER"
}

// validDER is true when b is a series of DER elements, each constructed
// one's content again such a series (at most 32 deep): the structure
// really parses, not only the outer header.
func validDER(b []byte, depth int) bool {
	if depth > 32 {
		return false
	}
	for len(b) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(b, &v)
		if err != nil {
			return false
		}
		if v.IsCompound && !validDER(v.Bytes, depth+1) {
			return false
		}
		b = rest
	}
	return true
}

// derLength is the total length (header and content) a DER header at
// the start of data announces, when the header itself is well formed.
func derLength(data []byte) (int, bool) {
	if len(data) < 2 {
		return 0, false
	}
	l := int(data[1])
	if l < 0x80 {
		return 2 + l, true
	}
	n := l & 0x7f
	if n == 0 || n > 4 || len(data) < 2+n || data[2] == 0 {
		return 0, false
	}
	l = 0
	for _, b := range data[2 : 2+n] {
		l = l<<8 | int(b)
	}
	if l < 0x80 {
		return 0, false // not the shortest form: not DER
	}
	return 2 + n + l, true
}

// isText is true for valid UTF-8 without control characters other than
// tab, newline and carriage return (the first 64 KiB).
func isText(data []byte) bool {
	head := data[:min(len(data), 64<<10)]
	cut := len(data) > len(head)
	for len(head) > 0 {
		r, size := utf8.DecodeRune(head)
		if r == utf8.RuneError && size <= 1 {
			// A rune cut at the 64 KiB boundary is still text.
			return cut && len(head) < utf8.UTFMax
		}
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
		head = head[size:]
	}
	return true
}

// candidates are the store passwords to try: the one given, else
// Java's default "changeit" and the empty password, labelled as such.
func candidates(pw Password) []struct{ value, label string } {
	if pw.Set {
		return []struct{ value, label string }{{pw.Value, "given (" + pw.Source + ")"}}
	}
	return []struct{ value, label string }{
		{"changeit", "none given; Java's default \"changeit\" opened it"},
		{"", "none given; the empty password opened it"},
	}
}

func passwordHint(o Options) string {
	return "give it with --password-file FILE, --password or TLSDOCTOR_PASSWORD (tried: changeit and empty)"
}

func readJKSStore(s *Store, data []byte, o Options) error {
	f, err := parseJKS(data)
	if err != nil {
		return inputErr(o.Name, ErrCorrupt, checkHint(o.Name, s.Format, "keytool -list -keystore "+fileArg(o.Name, s.Format)), "%s: %v", s.Format, err)
	}
	var storePW *string
	for _, c := range candidates(o.Password) {
		if f.verify(c.value) {
			v := c.value
			storePW, s.PasswordUsed = &v, c.label
			break
		}
	}
	switch {
	case storePW != nil:
		s.Integrity = "verified"
	case o.Password.Set && !f.truncated:
		return inputErr(o.Name, ErrWrongPassword, checkHint(o.Name, s.Format, "keytool -list -keystore "+fileArg(o.Name, s.Format)),
			"wrong password: the %s keystore's integrity check fails with the password given (keytool says \"Keystore was tampered with, or password was incorrect\")", s.Format)
	case f.truncated:
		s.Integrity = "not verified (a JCEKS secret key entry stops tlsdoctor's reading; later entries are not shown)"
		s.PasswordUsed = "not verified"
	default:
		s.Integrity = "NOT verified: no password given, and neither changeit nor the empty password matches; entries are listed as a JVM without a trustStorePassword reads them, keys cannot be decrypted"
		s.PasswordUsed = "none given; changeit and empty did not match"
	}
	s.storePassword = storePW
	work := newBudget()
	for _, je := range f.entries {
		e := &Entry{Alias: je.alias}
		created := je.created
		e.Created = &created
		for i, der := range je.certs {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return inputErr(o.Name, ErrCorrupt, "", "entry %q: certificate %d does not parse: %v", je.alias, i+1, err)
			}
			e.Chain = append(e.Chain, c)
		}
		switch je.tag {
		case 1:
			e.Kind = KindPrivateKey
			e.Key = &KeyInfo{}
			if err := openJKSKey(work, e, je.keyDER, storePW, o); err != nil {
				return inputErr(o.Name, err, "", "entry %q: %v", je.alias, err)
			}
			fillKeyInfo(e)
		case 2:
			e.Kind = KindTrusted
		case 3:
			e.Kind = KindSecretKey
		}
		s.Entries = append(s.Entries, e)
	}
	if len(s.Entries) == 0 {
		s.Notes = append(s.Notes, "the keystore has no entries")
	}
	return nil
}

// openJKSKey decrypts a key entry: with the store password, else the
// key password. Java's KeyManagerFactory uses one password for every
// key; a key that opens only with another one is a finding.
func openJKSKey(work *budget, e *Entry, der []byte, storePW *string, o Options) error {
	var tried []string
	if storePW != nil {
		if k, enc, err := decryptJKSKey(work, der, *storePW); err == nil {
			e.Key.Encrypted, e.Key.Password = enc, "store password"
			e.key, _ = x509.ParsePKCS8PrivateKey(k)
			return nil
		} else {
			e.Key.Encrypted = enc
			if errors.Is(err, ErrCorrupt) {
				return err
			}
			if !errors.Is(err, ErrWrongPassword) {
				e.keyErr, e.Key.Error = err, err.Error()
				return nil
			}
		}
		tried = append(tried, "the store password")
	}
	if o.KeyPassword.Set {
		k, enc, err := decryptJKSKey(work, der, o.KeyPassword.Value)
		e.Key.Encrypted = enc
		if err == nil {
			e.key, _ = x509.ParsePKCS8PrivateKey(k)
			e.Key.Password = "key password (" + o.KeyPassword.Source + ")"
			e.keyPasswordDiffers = storePW != nil
			return nil
		}
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		tried = append(tried, "the key password")
	}
	if storePW == nil {
		e.Key.Error = "not decrypted: the store password is unknown"
		e.keyErr = ErrNeedPassword
		return nil
	}
	e.keyPasswordDiffers = true
	e.keyErr = ErrWrongPassword
	e.Key.Error = "the key does not decrypt with " + strings.Join(tried, " or ") + " (Java: java.security.UnrecoverableKeyException: Cannot recover key)"
	return nil
}

func readPKCS12Store(s *Store, data []byte, o Options) error {
	f, err := parseP12(data)
	if err != nil {
		return inputErr(o.Name, ErrCorrupt, checkHint(o.Name, FormatPKCS12, "openssl pkcs12 -info -noout -in "+fileArg(o.Name, FormatPKCS12)), "%v", err)
	}
	s.Protection = f.protection()
	var pw *string
	hasMAC := len(f.pfx.MacData.Mac.Algorithm.Algorithm) > 0
	if hasMAC {
		for _, c := range candidates(o.Password) {
			ok, err := f.verifyMAC(c.value)
			if err != nil {
				return inputErr(o.Name, err, "", "PKCS#12: %v", err)
			}
			if ok {
				v := c.value
				pw, s.PasswordUsed = &v, c.label
				break
			}
		}
		if pw == nil {
			if o.Password.Set {
				return inputErr(o.Name, ErrWrongPassword, checkHint(o.Name, FormatPKCS12, "openssl pkcs12 -info -noout -in "+fileArg(o.Name, FormatPKCS12)),
					"wrong password: the PKCS#12 file's MAC (%s) does not verify with the password given (keytool says \"keystore password was incorrect\")", s.Protection.MAC)
			}
			return inputErr(o.Name, ErrNeedPassword, passwordHint(o), "is a PKCS#12 file protected by a password, and neither changeit nor the empty password opens it")
		}
		s.Integrity = "verified (" + s.Protection.MAC + ")"
	} else {
		s.Integrity = "none (the file has no MAC: a password-less PKCS#12)"
		for _, c := range candidates(o.Password) {
			if _, err := f.bags(c.value, c.value); err == nil {
				v := c.value
				pw, s.PasswordUsed = &v, c.label
				break
			}
		}
		if pw == nil {
			return inputErr(o.Name, ErrNeedPassword, passwordHint(o), "is a PKCS#12 file without a MAC whose contents do not decrypt with the password given (or changeit and empty)")
		}
		if !o.Password.Set {
			s.PasswordUsed = "none needed"
		}
	}
	s.storePassword = pw
	keyPW := *pw
	if o.KeyPassword.Set {
		keyPW = o.KeyPassword.Value
	}
	bags, err := f.bags(*pw, keyPW)
	if err != nil {
		if errors.Is(err, ErrWrongPassword) {
			return inputErr(o.Name, ErrWrongPassword, checkHint(o.Name, FormatPKCS12, "openssl pkcs12 -info -noout -in "+fileArg(o.Name, FormatPKCS12)), "the MAC verifies but the certificates do not decrypt with the same password (a file with two passwords?)")
		}
		return inputErr(o.Name, ErrCorrupt, checkHint(o.Name, FormatPKCS12, "openssl pkcs12 -info -noout -in "+fileArg(o.Name, FormatPKCS12)), "%v", err)
	}
	s.Entries = pkcs12Entries(bags)
	return nil
}

// pkcs12Entries turns bags into the entries Java's PKCS12 KeyStore
// shows: a key with the certificate of the same localKeyId and that
// certificate's issuers; a certificate marked trusted for Java. Other
// certificates are shown as certificates Java ignores.
func pkcs12Entries(bags []p12Bag) []*Entry {
	var certs []*x509.Certificate
	for _, b := range bags {
		if b.kind == "cert" {
			certs = append(certs, b.cert)
		}
	}
	used := map[*x509.Certificate]bool{}
	var out []*Entry
	for _, b := range bags {
		switch b.kind {
		case "key":
			e := &Entry{Alias: b.friendlyName, Kind: KindPrivateKey, Key: &KeyInfo{Encrypted: b.keyEnc}}
			if b.keyDER != nil {
				if k, err := x509.ParsePKCS8PrivateKey(b.keyDER); err == nil {
					e.key, e.Key.Password = k, "store password"
				} else {
					e.keyErr, e.Key.Error = err, "the key does not parse: "+err.Error()
				}
			} else if b.keyErr != nil {
				e.keyErr, e.Key.Error = b.keyErr, "the key does not decrypt: "+b.keyErr.Error()
			}
			var leaf *x509.Certificate
			for _, cb := range bags {
				if cb.kind == "cert" && b.localKeyID != "" && cb.localKeyID == b.localKeyID {
					leaf = cb.cert
					break
				}
			}
			if leaf == nil && e.key != nil {
				for _, c := range certs {
					if matchesKey(c, e.key) {
						leaf = c
						break
					}
				}
			}
			if leaf != nil {
				e.Chain = chainFrom(leaf, certs)
				for _, c := range e.Chain {
					used[c] = true
				}
			}
			fillKeyInfo(e)
			out = append(out, e)
		case "secret":
			out = append(out, &Entry{Alias: b.friendlyName, Kind: KindSecretKey})
		}
	}
	for _, b := range bags {
		if b.kind != "cert" {
			continue
		}
		switch {
		case b.javaTrusted:
			out = append(out, &Entry{Alias: b.friendlyName, Kind: KindTrusted, Chain: []*x509.Certificate{b.cert}})
		case !used[b.cert]:
			out = append(out, &Entry{Alias: b.friendlyName, Kind: KindCertificate, Chain: []*x509.Certificate{b.cert},
				Source: "certificate bag without a key and without Java's trusted-certificate attribute: Java's PKCS12 KeyStore ignores it"})
		}
	}
	return out
}

// JavaIgnored reports whether a PKCS#12 certificate entry is one Java's
// KeyStore does not show (no key, not marked trusted).
func (e *Entry) JavaIgnored(s *Store) bool {
	return s.Format == FormatPKCS12 && e.Kind == KindCertificate
}
