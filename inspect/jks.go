package inspect

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf16"
)

// JKS and JCEKS are read here, structure first with every length checked
// against the file, so that a corrupt or hostile file fails fast instead
// of making a library allocate what it announces. keytool lists the
// entries of a JKS file without its password (and a JVM reads a
// truststore without one); so do we, saying the integrity is unverified.

type jksEntry struct {
	tag     uint32 // 1 key, 2 trusted certificate, 3 secret key (JCEKS)
	alias   string
	created time.Time
	keyDER  []byte // EncryptedPrivateKeyInfo
	certs   [][]byte
}

type jksFile struct {
	magic   uint32
	entries []jksEntry
	// truncated is set when a JCEKS secret key (a serialized Java object
	// tlsdoctor does not parse) stopped the walk.
	truncated bool
	body      []byte // what the digest covers
	digest    []byte
}

const (
	magicJKS   = 0xFEEDFEED
	magicJCEKS = 0xCECECECE
)

var errJKSTrunc = errors.New("the keystore is truncated or corrupt: a length field points past the end of the file")

func parseJKS(data []byte) (*jksFile, error) {
	p := 0
	need := func(n int) bool { return n >= 0 && p+n <= len(data)-20 }
	u16 := func() (int, error) {
		if !need(2) {
			return 0, errJKSTrunc
		}
		v := int(binary.BigEndian.Uint16(data[p:]))
		p += 2
		return v, nil
	}
	u32 := func() (uint32, error) {
		if !need(4) {
			return 0, errJKSTrunc
		}
		v := binary.BigEndian.Uint32(data[p:])
		p += 4
		return v, nil
	}
	blob := func() ([]byte, error) {
		n, err := u32()
		if err != nil {
			return nil, err
		}
		if !need(int(n)) || int(n) < 0 {
			return nil, errJKSTrunc
		}
		b := data[p : p+int(n)]
		p += int(n)
		return b, nil
	}
	utf := func() (string, error) {
		n, err := u16()
		if err != nil {
			return "", err
		}
		if !need(n) {
			return "", errJKSTrunc
		}
		s := decodeModifiedUTF8(data[p : p+n])
		p += n
		return s, nil
	}
	if len(data) < 12+20 {
		return nil, errJKSTrunc
	}
	f := &jksFile{}
	f.magic, _ = u32()
	version, err := u32()
	if err != nil {
		return nil, err
	}
	if version != 1 && version != 2 {
		return nil, fmt.Errorf("the keystore has unknown version %d", version)
	}
	count, err := u32()
	if err != nil {
		return nil, err
	}
	if count > 100000 {
		return nil, fmt.Errorf("the keystore announces %d entries (corrupt?)", count)
	}
	cert := func() ([]byte, error) {
		if version == 2 {
			if _, err := utf(); err != nil { // certificate type, "X.509"
				return nil, err
			}
		}
		return blob()
	}
	for i := uint32(0); i < count; i++ {
		var e jksEntry
		if e.tag, err = u32(); err != nil {
			return nil, err
		}
		if e.alias, err = utf(); err != nil {
			return nil, err
		}
		ts, err := u32()
		if err != nil {
			return nil, err
		}
		ts2, err := u32()
		if err != nil {
			return nil, err
		}
		e.created = time.UnixMilli(int64(uint64(ts)<<32 | uint64(ts2))).UTC()
		switch e.tag {
		case 1:
			if e.keyDER, err = blob(); err != nil {
				return nil, err
			}
			n, err := u32()
			if err != nil {
				return nil, err
			}
			if n > 64 {
				return nil, fmt.Errorf("entry %q announces a chain of %d certificates (corrupt?)", e.alias, n)
			}
			for j := uint32(0); j < n; j++ {
				c, err := cert()
				if err != nil {
					return nil, err
				}
				e.certs = append(e.certs, c)
			}
		case 2:
			c, err := cert()
			if err != nil {
				return nil, err
			}
			e.certs = [][]byte{c}
		case 3:
			if f.magic != magicJCEKS {
				return nil, fmt.Errorf("entry %q has unknown type 3 in a JKS file", e.alias)
			}
			f.entries = append(f.entries, e)
			f.truncated = true
			return f, nil
		default:
			return nil, fmt.Errorf("entry %d has unknown type %d", i, e.tag)
		}
		f.entries = append(f.entries, e)
	}
	if p != len(data)-20 {
		return nil, fmt.Errorf("the keystore has %d bytes of trailing data before its digest", len(data)-20-p)
	}
	f.body, f.digest = data[:p], data[p:]
	return f, nil
}

// decodeModifiedUTF8 reads Java's DataOutput.writeUTF encoding.
func decodeModifiedUTF8(b []byte) string {
	var u []uint16
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			u = append(u, uint16(c))
			i++
		case c&0xE0 == 0xC0 && i+1 < len(b):
			u = append(u, uint16(c&0x1F)<<6|uint16(b[i+1]&0x3F))
			i += 2
		case c&0xF0 == 0xE0 && i+2 < len(b):
			u = append(u, uint16(c&0x0F)<<12|uint16(b[i+1]&0x3F)<<6|uint16(b[i+2]&0x3F))
			i += 3
		default:
			u = append(u, 0xFFFD)
			i++
		}
	}
	return string(utf16.Decode(u))
}

func utf16be(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

// verify checks the keyed SHA-1 digest (password as UTF-16BE, "Mighty
// Aphrodite", the content) that JKS and JCEKS end with.
func (f *jksFile) verify(password string) bool {
	if f.truncated {
		return false
	}
	h := sha1.New()
	h.Write(utf16be(password))
	h.Write([]byte("Mighty Aphrodite"))
	h.Write(f.body)
	return bytes.Equal(h.Sum(nil), f.digest)
}

var oidJCEKSProtector = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 42, 2, 19, 1}

// decryptJKSKey decrypts a key entry's EncryptedPrivateKeyInfo: Sun's JKS
// key protector (a SHA-1 keystream with a SHA-1 check, so a wrong password
// is known) or JCEKS's PBEWithMD5AndTripleDES. It returns the PKCS#8
// PrivateKeyInfo.
func decryptJKSKey(work *budget, der []byte, password string) ([]byte, string, error) {
	var epki p12EPKI
	if _, err := asn1.Unmarshal(der, &epki); err != nil {
		return nil, "", fmt.Errorf("the key entry does not parse: %v", err)
	}
	switch {
	case epki.Algo.Algorithm.Equal(oidSunJKSProtector):
		enc := "JKS proprietary (SHA-1 keystream)"
		d := epki.Data
		if len(d) < 41 {
			return nil, enc, errors.New("the key entry is too short")
		}
		salt, body, check := d[:20], d[20:len(d)-20], d[len(d)-20:]
		pw := utf16be(password)
		out := make([]byte, len(body))
		digest := salt
		for i := 0; i < len(body); i += 20 {
			h := sha1.New()
			h.Write(pw)
			h.Write(digest)
			digest = h.Sum(nil)
			for j := 0; j < 20 && i+j < len(body); j++ {
				out[i+j] = body[i+j] ^ digest[j]
			}
		}
		h := sha1.New()
		h.Write(pw)
		h.Write(out)
		if !bytes.Equal(h.Sum(nil), check) {
			return nil, enc, ErrWrongPassword
		}
		return out, enc, nil
	case epki.Algo.Algorithm.Equal(oidJCEKSProtector):
		enc := "JCEKS PBEWithMD5AndTripleDES"
		var p struct {
			Salt       []byte
			Iterations int
		}
		if _, err := asn1.Unmarshal(epki.Algo.Parameters.FullBytes, &p); err != nil || len(p.Salt) != 8 {
			return nil, enc, errors.New("the key entry's parameters do not parse")
		}
		if err := work.spend(2 * p.Iterations); err != nil {
			return nil, enc, err
		}
		salt := append([]byte(nil), p.Salt...)
		if bytes.Equal(salt[:4], salt[4:]) {
			salt[0], salt[3] = salt[3], salt[0]
			salt[1], salt[2] = salt[2], salt[1]
		}
		pw := make([]byte, 0, len(password))
		for _, r := range password {
			pw = append(pw, byte(r&0x7f))
		}
		var derived []byte
		for i := 0; i < 2; i++ {
			t := salt[i*4 : i*4+4]
			for j := 0; j < p.Iterations; j++ {
				h := md5.New()
				h.Write(t)
				h.Write(pw)
				t = h.Sum(nil)
			}
			derived = append(derived, t...)
		}
		block, err := des.NewTripleDESCipher(derived[:24])
		if err != nil {
			return nil, enc, err
		}
		if len(epki.Data) == 0 || len(epki.Data)%8 != 0 {
			return nil, enc, errors.New("the key entry has a bad length")
		}
		out := make([]byte, len(epki.Data))
		cipher.NewCBCDecrypter(block, derived[24:32]).CryptBlocks(out, epki.Data)
		n := int(out[len(out)-1])
		if n == 0 || n > 8 {
			return nil, enc, ErrWrongPassword
		}
		for _, b := range out[len(out)-n:] {
			if int(b) != n {
				return nil, enc, ErrWrongPassword
			}
		}
		out = out[:len(out)-n]
		if _, err := x509.ParsePKCS8PrivateKey(out); err != nil {
			return nil, enc, ErrWrongPassword
		}
		return out, enc, nil
	}
	return nil, algorithmName(epki.Algo), fmt.Errorf("key protection %s is not supported", epki.Algo.Algorithm)
}
