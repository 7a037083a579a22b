package inspect

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/youmark/pkcs8"

	"github.com/tlsdoctor/tlsdoctor/identity"
)

// maxBlocks bounds the PEM blocks of one file (a CA bundle has ~150).
const maxBlocks = 4096

// pemItem is one certificate or key of a PEM file (or a secret's field).
type pemItem struct {
	cert  *x509.Certificate
	key   *pem.Block
	where string
}

// readPEM reads every CERTIFICATE and PRIVATE KEY block; other blocks
// (parameters, CSRs) are noted and skipped.
func readPEM(data []byte, where string, notes *[]string) ([]pemItem, error) {
	var items []pemItem
	rest := data
	for n := 1; ; n++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if n > maxBlocks {
			return nil, fmt.Errorf("has more than %d PEM blocks", maxBlocks)
		}
		at := fmt.Sprintf("%sPEM block %d", where, n)
		switch {
		case b.Type == "CERTIFICATE" || b.Type == "TRUSTED CERTIFICATE" || b.Type == "X509 CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s (CERTIFICATE) does not parse: %v", at, err)
			}
			items = append(items, pemItem{cert: c, where: at})
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			items = append(items, pemItem{key: b, where: at})
		default:
			*notes = append(*notes, fmt.Sprintf("%s is a %q block, skipped", at, b.Type))
		}
	}
	return items, nil
}

// readPEMStore turns a PEM file into entries: one key entry per private
// key (with the certificate that matches it and that certificate's
// issuers from the file, in issuing order), and one certificate entry per
// certificate no key entry uses.
func readPEMStore(s *Store, data []byte, o Options) error {
	items, err := readPEM(data, "", &s.Notes)
	if err != nil {
		return inputErr(o.Name, ErrCorrupt, checkHint(o.Name, FormatPEM, "openssl x509 -in "+fileArg(o.Name, FormatPEM)+" -noout -text"), "%v", err)
	}
	if len(items) == 0 {
		if b, _ := pem.Decode(data); b != nil && b.Type == "PKCS7" {
			return inputErr(o.Name, ErrNotAStore, pkcs7Hint(o.Name, ""), "is a PKCS#7 bundle (.p7b, PEM), which tlsdoctor does not read")
		}
		return inputErr(o.Name, ErrNotAStore, "a PEM file holds '-----BEGIN CERTIFICATE-----' or '-----BEGIN PRIVATE KEY-----' blocks", "has PEM blocks but no certificate and no private key")
	}
	s.Integrity = "none (PEM has no integrity check)"
	s.Entries, err = groupPEM(items, o)
	return err
}

func groupPEM(items []pemItem, o Options) ([]*Entry, error) {
	var certs []*x509.Certificate
	where := map[*x509.Certificate]string{}
	for _, it := range items {
		if it.cert != nil {
			certs = append(certs, it.cert)
			where[it.cert] = it.where
		}
	}
	used := map[*x509.Certificate]bool{}
	var out []*Entry
	for _, it := range items {
		if it.key == nil {
			continue
		}
		e := &Entry{Kind: KindKey, Source: it.where}
		e.Key = &KeyInfo{}
		k, enc, err := decodeKeyBlock(it.key, o.Password, o.KeyPassword)
		e.Key.Encrypted = enc
		if err != nil {
			e.keyErr = err
			e.Key.Error = err.Error()
		} else {
			e.key = k
			e.Key.Password = "none"
			if enc != "none" {
				e.Key.Password = "given"
			}
		}
		// The leaf is the certificate of this key; without a decrypted
		// key, the first certificate no other entry took.
		var leaf *x509.Certificate
		for _, c := range certs {
			if e.key != nil && matchesKey(c, e.key) {
				leaf = c
				break
			}
		}
		if leaf == nil {
			for _, c := range certs {
				if !used[c] {
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
			e.Source = where[leaf] + " + " + it.where
		}
		fillKeyInfo(e)
		out = append(out, e)
	}
	for _, c := range certs {
		if !used[c] {
			out = append(out, &Entry{Kind: KindCertificate, Chain: []*x509.Certificate{c}, Source: where[c]})
		}
	}
	return out, nil
}

// chainFrom is leaf followed by its issuers found in pool, in issuing
// order (each certificate is followed by the one that signed it), up to a
// self-signed root.
func chainFrom(leaf *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	out := []*x509.Certificate{leaf}
	for cur := leaf; len(out) < 16 && !selfSigned(cur); {
		var next *x509.Certificate
		for _, c := range pool {
			if !contains(out, c) && signed(c, cur) {
				next = c
				break
			}
		}
		if next == nil {
			break
		}
		out = append(out, next)
		cur = next
	}
	return out
}

// decodeKeyBlock decrypts and parses a PEM key block. enc names its
// protection. The key password is tried first, then the store password.
func decodeKeyBlock(b *pem.Block, pw, keyPW Password) (crypto.PrivateKey, string, error) {
	passwords := func() []string {
		var out []string
		if keyPW.Set {
			out = append(out, keyPW.Value)
		}
		if pw.Set {
			out = append(out, pw.Value)
		}
		return out
	}
	switch {
	case b.Type == "ENCRYPTED PRIVATE KEY":
		enc := "PKCS#8 " + pkcs8Scheme(b.Bytes)
		if err := identity.CheckIterations(b.Bytes); err != nil {
			return nil, enc, err
		}
		if err := checkPKCS8Work(b.Bytes); err != nil {
			return nil, enc, err
		}
		pws := passwords()
		if len(pws) == 0 {
			return nil, enc, fmt.Errorf("the key is encrypted and no password was given (--password-file, --key-password-file): %w", ErrNeedPassword)
		}
		var lastErr error
		for _, p := range pws {
			k, _, err := pkcs8.ParsePrivateKey(b.Bytes, []byte(p))
			if err == nil {
				return k, enc, nil
			}
			lastErr = err
		}
		return nil, enc, fmt.Errorf("the key does not decrypt with the password given (%v): %w", short(lastErr), ErrWrongPassword)
	//lint:ignore SA1019 legacy encrypted PEM is what users have; it is read, never written
	case x509.IsEncryptedPEMBlock(b):
		enc := "legacy PEM " + b.Headers["DEK-Info"]
		if i := strings.Index(enc, ","); i > 0 {
			enc = enc[:i]
		}
		pws := passwords()
		if len(pws) == 0 {
			return nil, enc, fmt.Errorf("the key is encrypted (Proc-Type: 4,ENCRYPTED) and no password was given: %w", ErrNeedPassword)
		}
		for _, p := range pws {
			der, err := x509.DecryptPEMBlock(b, []byte(p)) //lint:ignore SA1019 see above
			if err != nil {
				continue
			}
			if k, err := parseKeyDER(b.Type, der); err == nil {
				return k, enc, nil
			}
		}
		return nil, enc, fmt.Errorf("the key does not decrypt with the password given: %w", ErrWrongPassword)
	}
	k, err := parseKeyDER(b.Type, b.Bytes)
	return k, "none", err
}

// checkPKCS8Work refuses an encrypted PKCS#8 key whose key derivation
// would take tlsdoctor more than a moment: PBKDF2 over maxKDFIterations,
// or scrypt asking for more than 128 MiB (OpenSSL writes N=16384, r=8:
// 16 MiB).
func checkPKCS8Work(der []byte) error {
	var epki p12EPKI
	if _, err := asn1.Unmarshal(der, &epki); err != nil || !epki.Algo.Algorithm.Equal(oidPBES2) {
		return nil
	}
	var p pbes2Params
	if _, err := asn1.Unmarshal(epki.Algo.Parameters.FullBytes, &p); err != nil {
		return nil
	}
	switch {
	case p.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2):
		var kp pbkdf2Params
		if _, err := asn1.Unmarshal(p.KeyDerivationFunc.Parameters.FullBytes, &kp); err == nil && kp.Iterations > maxKDFIterations {
			return fmt.Errorf("%w: the key asks for %d PBKDF2 iterations (tlsdoctor's limit is %d)", ErrCorrupt, kp.Iterations, maxKDFIterations)
		}
	case p.KeyDerivationFunc.Algorithm.Equal(oidScrypt):
		var sp struct {
			Salt      []byte
			N, R, P   int
			KeyLength int `asn1:"optional"`
		}
		if _, err := asn1.Unmarshal(p.KeyDerivationFunc.Parameters.FullBytes, &sp); err != nil {
			return fmt.Errorf("%w: unreadable scrypt parameters", ErrCorrupt)
		}
		if sp.N <= 1 || sp.R < 1 || sp.P < 1 || sp.P > 16 || sp.N > 1<<20 || 128*sp.N*sp.R > 128<<20 {
			return fmt.Errorf("%w: the key asks for scrypt N=%d r=%d p=%d, more than tlsdoctor allows (128 MiB)", ErrCorrupt, sp.N, sp.R, sp.P)
		}
	}
	return nil
}

func parseKeyDER(typ string, der []byte) (crypto.PrivateKey, error) {
	switch typ {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(der)
	case "PRIVATE KEY":
		return x509.ParsePKCS8PrivateKey(der)
	case "DSA PRIVATE KEY":
		return nil, errors.New("is a DSA key, which tlsdoctor does not read (TLS 1.2 and 1.3 peers no longer use DSA)")
	case "OPENSSH PRIVATE KEY":
		return nil, errors.New("is an OpenSSH key, not a TLS key (convert a copy: ssh-keygen -p -m PKCS8 -f COPY)")
	}
	return nil, fmt.Errorf("has an unsupported key block %q", typ)
}

// readDERStore reads a DER file: certificates, or one private key.
func readDERStore(s *Store, data []byte, o Options) error {
	s.Integrity = "none (DER has no integrity check)"
	if certs, err := x509.ParseCertificates(data); err == nil && len(certs) > 0 {
		for i, c := range certs {
			s.Entries = append(s.Entries, &Entry{Kind: KindCertificate, Chain: []*x509.Certificate{c}, Source: fmt.Sprintf("DER certificate %d", i+1)})
		}
		return nil
	}
	if k, err := identity.ParseDERKey(data); err == nil {
		e := &Entry{Kind: KindKey, key: k, Key: &KeyInfo{Encrypted: "none", Password: "none"}, Source: "DER private key"}
		fillKeyInfo(e)
		s.Entries = append(s.Entries, e)
		return nil
	}
	if isPKCS7(data) {
		return inputErr(o.Name, ErrNotAStore, pkcs7Hint(o.Name, " -inform DER"), "is a PKCS#7 bundle (.p7b), which tlsdoctor does not read")
	}
	e := &Entry{Kind: KindKey, Key: &KeyInfo{Encrypted: "PKCS#8 " + pkcs8Scheme(data)}, Source: "DER encrypted private key"}
	b := &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: data}
	k, _, err := decodeKeyBlock(b, o.Password, o.KeyPassword)
	if err != nil {
		e.keyErr, e.Key.Error = err, err.Error()
	} else {
		e.key, e.Key.Password = k, "given"
	}
	fillKeyInfo(e)
	s.Entries = append(s.Entries, e)
	return nil
}

func short(err error) string {
	if err == nil {
		return ""
	}
	m := err.Error()
	if len(m) > 120 {
		m = m[:120] + "…"
	}
	return m
}

func contains(cs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range cs {
		if x.Equal(c) {
			return true
		}
	}
	return false
}

// signed reports whether parent signed child (by name, key identifier and
// signature; a weak algorithm still links, it is a finding of its own).
func signed(parent, child *x509.Certificate) bool {
	if !bytes.Equal(parent.RawSubject, child.RawIssuer) {
		return false
	}
	if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 && !bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId) {
		return false
	}
	err := parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
	var ia x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &ia)
}

func selfSigned(c *x509.Certificate) bool { return signed(c, c) }
