package inspect

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"unicode/utf16"

	"github.com/tlsdoctor/tlsdoctor/inspect/internal/rc2"
)

// PKCS#12 is read here rather than through go-pkcs12, whose decoders take
// one key or only Java-trusted certificates and drop the friendly names
// (aliases), the MAC and encryption algorithms and the trust attribute,
// which are what inspect must show.

var (
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEncryptedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidKeyBag        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 1}
	oidShroudedBag   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidCertBag       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
	oidSecretBag     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 5}
	oidSafeContents  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 6}
	oidX509Cert      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 1}
	oidFriendlyName  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 20}
	oidLocalKeyID    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 21}
	// oidJavaTrusted marks a certificate bag as a Java trusted
	// certificate entry (keytool writes it; openssl only with -jdktrust).
	oidJavaTrusted = asn1.ObjectIdentifier{2, 16, 840, 1, 113894, 746875, 1, 1}
	oidSHA1        = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA224      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	oidSHA256      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidPBMAC1      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
)

type p12PFX struct {
	Version  int
	AuthSafe p12ContentInfo
	MacData  p12MacData `asn1:"optional"`
}

type p12ContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type p12MacData struct {
	Mac struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

type p12EncryptedData struct {
	Version              int
	EncryptedContentInfo struct {
		ContentType                asn1.ObjectIdentifier
		ContentEncryptionAlgorithm pkix.AlgorithmIdentifier
		EncryptedContent           []byte `asn1:"tag:0,optional"`
	}
}

type p12SafeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue     `asn1:"tag:0,explicit"`
	Attributes []p12BagAttribute `asn1:"set,optional"`
}

type p12BagAttribute struct {
	ID    asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"set"`
}

type p12CertBag struct {
	ID   asn1.ObjectIdentifier
	Data []byte `asn1:"tag:0,explicit"`
}

type p12EPKI struct {
	Algo pkix.AlgorithmIdentifier
	Data []byte
}

// p12Bag is a decoded bag with the attributes Java reads.
type p12Bag struct {
	kind         string // "key", "cert", "secret"
	friendlyName string
	localKeyID   string
	javaTrusted  bool
	cert         *x509.Certificate
	keyDER       []byte // PrivateKeyInfo (decrypted) or nil
	keyEnc       string
	keyErr       error
}

// p12File is a parsed PKCS#12 file before its bags are decrypted.
type p12File struct {
	work    *budget
	pfx     p12PFX
	content []byte // the AuthenticatedSafe DER, what the MAC covers
	safes   []p12ContentInfo
}

func parseP12(data []byte) (*p12File, error) {
	f := &p12File{work: newBudget()}
	rest, err := asn1.Unmarshal(data, &f.pfx)
	if err != nil {
		return nil, fmt.Errorf("PKCS#12 structure does not parse: %v", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("PKCS#12 file has trailing data")
	}
	if !f.pfx.AuthSafe.ContentType.Equal(oidData) {
		return nil, errors.New("PKCS#12 file is public-key protected (signedData), which tlsdoctor does not read")
	}
	if _, err := asn1.Unmarshal(f.pfx.AuthSafe.Content.Bytes, &f.content); err != nil {
		return nil, fmt.Errorf("PKCS#12 content does not parse: %v", err)
	}
	if _, err := asn1.Unmarshal(f.content, &f.safes); err != nil {
		return nil, fmt.Errorf("PKCS#12 safes do not parse: %v", err)
	}
	return f, nil
}

// protection describes the file's MAC and encryption, which is what
// decides whether an old JDK reads it.
func (f *p12File) protection() *Protection {
	p := &Protection{MAC: "none"}
	if alg := f.pfx.MacData.Mac.Algorithm.Algorithm; len(alg) > 0 {
		p.MAC = macName(alg)
		p.MACIterations = f.pfx.MacData.Iterations
	}
	for _, s := range f.safes {
		switch {
		case s.ContentType.Equal(oidEncryptedData):
			var ed p12EncryptedData
			if _, err := asn1.Unmarshal(s.Content.Bytes, &ed); err == nil {
				p.Certificates = appendOnce(p.Certificates, algorithmName(ed.EncryptedContentInfo.ContentEncryptionAlgorithm))
			}
		case s.ContentType.Equal(oidData):
			var raw []byte
			if _, err := asn1.Unmarshal(s.Content.Bytes, &raw); err != nil {
				continue
			}
			var bags []p12SafeBag
			if _, err := asn1.Unmarshal(raw, &bags); err != nil {
				continue
			}
			for _, b := range bags {
				switch {
				case b.ID.Equal(oidShroudedBag):
					var e p12EPKI
					if _, err := asn1.Unmarshal(b.Value.Bytes, &e); err == nil {
						p.Keys = appendOnce(p.Keys, algorithmName(e.Algo))
					}
				case b.ID.Equal(oidKeyBag):
					p.Keys = appendOnce(p.Keys, "none")
				case b.ID.Equal(oidCertBag):
					p.Certificates = appendOnce(p.Certificates, "none")
				}
			}
		}
	}
	return p
}

func appendOnce(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}

func macName(o asn1.ObjectIdentifier) string {
	switch {
	case o.Equal(oidSHA1):
		return "HmacPBESHA1"
	case o.Equal(oidSHA224):
		return "HmacPBESHA224"
	case o.Equal(oidSHA256):
		return "HmacPBESHA256"
	case o.Equal(oidSHA384):
		return "HmacPBESHA384"
	case o.Equal(oidSHA512):
		return "HmacPBESHA512"
	case o.Equal(oidPBMAC1):
		return "PBMAC1"
	}
	return "MAC " + o.String()
}

// verifyMAC checks the MAC with password; ok is false for a wrong
// password, err is set for a MAC tlsdoctor cannot compute.
func (f *p12File) verifyMAC(password string) (bool, error) {
	md := f.pfx.MacData
	alg := md.Mac.Algorithm.Algorithm
	if alg.Equal(oidPBMAC1) {
		var p struct {
			KDF    pkix.AlgorithmIdentifier
			MacAlg pkix.AlgorithmIdentifier
		}
		if _, err := asn1.Unmarshal(md.Mac.Algorithm.Parameters.FullBytes, &p); err != nil || !p.KDF.Algorithm.Equal(oidPBKDF2) {
			return false, errors.New("PBMAC1 parameters tlsdoctor does not read")
		}
		var kp pbkdf2Params
		if _, err := asn1.Unmarshal(p.KDF.Parameters.FullBytes, &kp); err != nil {
			return false, errors.New("PBMAC1 parameters tlsdoctor does not read")
		}
		var salt []byte
		if _, err := asn1.Unmarshal(kp.Salt.FullBytes, &salt); err != nil {
			return false, errors.New("PBMAC1 salt tlsdoctor does not read")
		}
		h, prf := prfHash(p.MacAlg.Algorithm), prfHash(kp.PRF.Algorithm)
		if h == nil || prf == nil || kp.KeyLength <= 0 || kp.KeyLength > 64 || kp.Iterations < 1 || kp.Iterations > maxKDFIterations {
			return false, errors.New("PBMAC1 parameters tlsdoctor does not accept")
		}
		if err := f.work.spend(kp.Iterations); err != nil {
			return false, err
		}
		key, err := pbkdf2.Key(prf, password, salt, kp.Iterations, kp.KeyLength)
		if err != nil {
			return false, err
		}
		m := hmac.New(h, key)
		m.Write(f.content)
		return hmac.Equal(m.Sum(nil), md.Mac.Digest), nil
	}
	h, u, v := digestFor(alg)
	if h == nil {
		return false, fmt.Errorf("MAC algorithm %s tlsdoctor does not read", alg)
	}
	for _, pw := range bmpCandidates(password) {
		if err := f.work.spend(md.Iterations); err != nil {
			return false, err
		}
		key := p12KDF(h, u, v, md.MacSalt, pw, md.Iterations, 3, u)
		m := hmac.New(h, key)
		m.Write(f.content)
		if hmac.Equal(m.Sum(nil), md.Mac.Digest) {
			return true, nil
		}
	}
	return false, nil
}

// maxKDFIterations bounds one key derivation: far above what any tool
// writes (OpenSSL 2048, keytool 10000, OWASP's 600000), far below what
// would hang tlsdoctor on a hostile file. maxWork bounds the sum over a
// whole file (every MAC and decryption, every password tried).
const (
	maxKDFIterations = 1_000_000
	maxWork          = 8_000_000
)

// budget counts the key-derivation iterations spent on one file.
type budget struct{ left int }

func newBudget() *budget { return &budget{left: maxWork} }

func (b *budget) spend(n int) error {
	if n < 1 || n > maxKDFIterations {
		return fmt.Errorf("%w: a key derivation asks for %d iterations (tlsdoctor's limit is %d; is the file corrupt?)", ErrCorrupt, n, maxKDFIterations)
	}
	if b.left -= n; b.left < 0 {
		return fmt.Errorf("%w: the file asks for more than %d key-derivation iterations in all (is it corrupt?)", ErrCorrupt, maxWork)
	}
	return nil
}

func prfHash(o asn1.ObjectIdentifier) func() hash.Hash {
	switch {
	case len(o) == 0 || o.Equal(oidHmacSHA1):
		return sha1.New
	case o.Equal(oidHmacSHA224):
		return sha256.New224
	case o.Equal(oidHmacSHA256):
		return sha256.New
	case o.Equal(oidHmacSHA384):
		return sha512.New384
	case o.Equal(oidHmacSHA512):
		return sha512.New
	}
	return nil
}

// digestFor returns the hash and its u (output) and v (block) sizes in
// bytes for the PKCS#12 KDF.
func digestFor(o asn1.ObjectIdentifier) (func() hash.Hash, int, int) {
	switch {
	case o.Equal(oidSHA1):
		return sha1.New, 20, 64
	case o.Equal(oidSHA224):
		return sha256.New224, 28, 64
	case o.Equal(oidSHA256):
		return sha256.New, 32, 64
	case o.Equal(oidSHA384):
		return sha512.New384, 48, 128
	case o.Equal(oidSHA512):
		return sha512.New, 64, 128
	}
	return nil, 0, 0
}

// bmpCandidates is the password as PKCS#12 encodes it (UTF-16BE with a
// terminating zero); an empty password is also tried as no bytes, as
// some writers do.
func bmpCandidates(pw string) [][]byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(pw)) {
		b = append(b, byte(u>>8), byte(u))
	}
	b = append(b, 0, 0)
	if pw == "" {
		return [][]byte{b, nil}
	}
	return [][]byte{b}
}

// p12KDF is RFC 7292 appendix B.2.
func p12KDF(h func() hash.Hash, u, v int, salt, password []byte, r int, id byte, size int) []byte {
	fill := func(p []byte) []byte {
		if len(p) == 0 {
			return nil
		}
		n := v * ((len(p) + v - 1) / v)
		out := make([]byte, n)
		for i := range out {
			out[i] = p[i%len(p)]
		}
		return out
	}
	D := bytes.Repeat([]byte{id}, v)
	I := append(fill(salt), fill(password)...)
	var A []byte
	one := big.NewInt(1)
	for len(A) < size {
		hh := h()
		hh.Write(D)
		hh.Write(I)
		Ai := hh.Sum(nil)
		for j := 1; j < r; j++ {
			hh = h()
			hh.Write(Ai)
			Ai = hh.Sum(nil)
		}
		A = append(A, Ai...)
		if len(A) >= size {
			break
		}
		B := fill(Ai)[:v]
		Bn := new(big.Int).SetBytes(B)
		for j := 0; j < len(I)/v; j++ {
			Ij := new(big.Int).SetBytes(I[j*v : (j+1)*v])
			Ij.Add(Ij, Bn).Add(Ij, one)
			b := Ij.Bytes()
			if len(b) > v {
				b = b[len(b)-v:]
			}
			copy(I[j*v:(j+1)*v], make([]byte, v))
			copy(I[(j+1)*v-len(b):(j+1)*v], b)
		}
	}
	_ = u
	return A[:size]
}

// p12Decrypt decrypts data encrypted under alg with password.
func p12Decrypt(work *budget, alg pkix.AlgorithmIdentifier, data []byte, password string) ([]byte, error) {
	var block cipher.Block
	var iv []byte
	switch {
	case alg.Algorithm.Equal(oidPBES2):
		var p pbes2Params
		if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &p); err != nil {
			return nil, errors.New("PBES2 parameters do not parse")
		}
		if !p.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
			return nil, errors.New("PBES2 with a KDF other than PBKDF2 is not supported")
		}
		var kp pbkdf2Params
		if _, err := asn1.Unmarshal(p.KeyDerivationFunc.Parameters.FullBytes, &kp); err != nil {
			return nil, errors.New("PBKDF2 parameters do not parse")
		}
		var salt []byte
		if _, err := asn1.Unmarshal(kp.Salt.FullBytes, &salt); err != nil {
			return nil, errors.New("PBKDF2 salt does not parse")
		}
		if err := work.spend(kp.Iterations); err != nil {
			return nil, err
		}
		prf := prfHash(kp.PRF.Algorithm)
		if prf == nil {
			return nil, errors.New("PBKDF2 PRF not supported")
		}
		var keyLen int
		enc := p.EncryptionScheme.Algorithm
		switch {
		case enc.Equal(oidAES128CBC):
			keyLen = 16
		case enc.Equal(oidAES192CBC):
			keyLen = 24
		case enc.Equal(oidAES256CBC):
			keyLen = 32
		case enc.Equal(oidDESEDE3CBC):
			keyLen = 24
		default:
			return nil, fmt.Errorf("PBES2 cipher %s is not supported", enc)
		}
		key, err := pbkdf2.Key(prf, password, salt, kp.Iterations, keyLen)
		if err != nil {
			return nil, err
		}
		if _, err := asn1.Unmarshal(p.EncryptionScheme.Parameters.FullBytes, &iv); err != nil {
			return nil, errors.New("PBES2 IV does not parse")
		}
		if enc.Equal(oidDESEDE3CBC) {
			block, err = des.NewTripleDESCipher(key)
		} else {
			block, err = aes.NewCipher(key)
		}
		if err != nil {
			return nil, err
		}
	default:
		var p struct {
			Salt       []byte
			Iterations int
		}
		if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &p); err != nil {
			return nil, errors.New("PBE parameters do not parse")
		}
		if err := work.spend(2 * p.Iterations); err != nil { // key and IV
			return nil, err
		}
		pw := bmpCandidates(password)[0]
		kdf := func(id byte, n int) []byte { return p12KDF(sha1.New, 20, 64, p.Salt, pw, p.Iterations, id, n) }
		var err error
		switch {
		case alg.Algorithm.Equal(oidPBESHA13DES):
			block, err = des.NewTripleDESCipher(kdf(1, 24))
			iv = kdf(2, 8)
		case alg.Algorithm.Equal(oidPBESHA12DES):
			k := kdf(1, 16)
			block, err = des.NewTripleDESCipher(append(k, k[:8]...))
			iv = kdf(2, 8)
		case alg.Algorithm.Equal(oidPBESHA1RC240):
			block, err = rc2.New(kdf(1, 5), 40)
			iv = kdf(2, 8)
		case alg.Algorithm.Equal(oidPBESHA1RC2128):
			block, err = rc2.New(kdf(1, 16), 128)
			iv = kdf(2, 8)
		default:
			return nil, fmt.Errorf("encryption %s is not supported", algorithmName(alg))
		}
		if err != nil {
			return nil, err
		}
	}
	bs := block.BlockSize()
	if len(iv) != bs || len(data) == 0 || len(data)%bs != 0 {
		return nil, errors.New("encrypted data has a bad length")
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	n := int(out[len(out)-1])
	if n == 0 || n > bs || n > len(out) {
		return nil, ErrWrongPassword
	}
	for _, b := range out[len(out)-n:] {
		if int(b) != n {
			return nil, ErrWrongPassword
		}
	}
	return out[:len(out)-n], nil
}

// bags decrypts every safe and returns the bags, in file order. Key bags
// are decrypted with keyPassword (PKCS#12 writers use the store
// password for both).
func (f *p12File) bags(password, keyPassword string) ([]p12Bag, error) {
	var out []p12Bag
	for _, s := range f.safes {
		var raw []byte
		switch {
		case s.ContentType.Equal(oidData):
			if _, err := asn1.Unmarshal(s.Content.Bytes, &raw); err != nil {
				return nil, fmt.Errorf("a PKCS#12 safe does not parse: %v", err)
			}
		case s.ContentType.Equal(oidEncryptedData):
			var ed p12EncryptedData
			if _, err := asn1.Unmarshal(s.Content.Bytes, &ed); err != nil {
				return nil, fmt.Errorf("an encrypted PKCS#12 safe does not parse: %v", err)
			}
			d, err := p12Decrypt(f.work, ed.EncryptedContentInfo.ContentEncryptionAlgorithm, ed.EncryptedContentInfo.EncryptedContent, password)
			if err != nil {
				return nil, fmt.Errorf("the certificates do not decrypt: %w", err)
			}
			raw = d
		default:
			return nil, fmt.Errorf("a PKCS#12 safe of type %s is not supported", s.ContentType)
		}
		bags, err := decodeBags(f.work, raw, keyPassword, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, bags...)
	}
	return out, nil
}

func decodeBags(work *budget, raw []byte, keyPassword string, depth int) ([]p12Bag, error) {
	if depth > 4 {
		return nil, errors.New("PKCS#12 safe contents nest too deep")
	}
	var sbs []p12SafeBag
	if _, err := asn1.Unmarshal(raw, &sbs); err != nil {
		return nil, fmt.Errorf("PKCS#12 bags do not parse: %v", err)
	}
	var out []p12Bag
	for _, sb := range sbs {
		b := p12Bag{}
		for _, a := range sb.Attributes {
			switch {
			case a.ID.Equal(oidFriendlyName):
				var v asn1.RawValue
				if _, err := asn1.Unmarshal(a.Value.Bytes, &v); err == nil {
					b.friendlyName = decodeBMP(v.Bytes)
				}
			case a.ID.Equal(oidLocalKeyID):
				var v []byte
				if _, err := asn1.Unmarshal(a.Value.Bytes, &v); err == nil {
					b.localKeyID = hex.EncodeToString(v)
				}
			case a.ID.Equal(oidJavaTrusted):
				b.javaTrusted = true
			}
		}
		switch {
		case sb.ID.Equal(oidCertBag):
			var cb p12CertBag
			if _, err := asn1.Unmarshal(sb.Value.Bytes, &cb); err != nil {
				return nil, fmt.Errorf("a PKCS#12 certificate bag does not parse: %v", err)
			}
			if !cb.ID.Equal(oidX509Cert) {
				continue // SDSI certificates: nobody uses them
			}
			c, err := x509.ParseCertificate(cb.Data)
			if err != nil {
				return nil, fmt.Errorf("a certificate in the PKCS#12 file does not parse: %v", err)
			}
			b.kind, b.cert = "cert", c
		case sb.ID.Equal(oidKeyBag):
			b.kind, b.keyDER, b.keyEnc = "key", sb.Value.Bytes, "none"
		case sb.ID.Equal(oidShroudedBag):
			b.kind = "key"
			var e p12EPKI
			if _, err := asn1.Unmarshal(sb.Value.Bytes, &e); err != nil {
				return nil, fmt.Errorf("a PKCS#12 key bag does not parse: %v", err)
			}
			b.keyEnc = algorithmName(e.Algo)
			if d, err := p12Decrypt(work, e.Algo, e.Data, keyPassword); err == nil {
				b.keyDER = d
			} else {
				if errors.Is(err, ErrCorrupt) {
					return nil, err
				}
				b.keyErr = err
			}
		case sb.ID.Equal(oidSecretBag):
			b.kind = "secret"
		case sb.ID.Equal(oidSafeContents):
			nested, err := decodeBags(work, sb.Value.Bytes, keyPassword, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, nested...)
			continue
		default:
			continue
		}
		out = append(out, b)
	}
	return out, nil
}

func decodeBMP(b []byte) string {
	if len(b)%2 != 0 {
		return ""
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	if n := len(u); n > 0 && u[n-1] == 0 {
		u = u[:n-1]
	}
	return string(utf16.Decode(u))
}
