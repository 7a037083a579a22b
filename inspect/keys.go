package inspect

import (
	"crypto"
	//lint:ignore SA1019 to name DSA keys, not to use them
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"

	"github.com/tlsdoctor/tlsdoctor/identity"
)

// fillKeyInfo describes the entry's key (type, public key hash) and
// whether it matches the entry's certificate.
func fillKeyInfo(e *Entry) {
	if e.Key == nil {
		e.Key = &KeyInfo{}
	}
	if e.key == nil {
		if e.Key.Type == "" {
			e.Key.Type = "unknown (not decrypted)"
		}
		return
	}
	signer, ok := e.key.(crypto.Signer)
	if !ok {
		e.Key.Type = fmt.Sprintf("%T", e.key)
		return
	}
	e.Key.Type = PublicKeyDesc(signer.Public())
	e.Key.PublicSHA256 = identity.KeyFingerprint(signer.Public())
	if leaf := e.Leaf(); leaf != nil {
		m := matchesKey(leaf, e.key)
		e.Key.Matches = &m
	}
}

func matchesKey(c *x509.Certificate, k crypto.PrivateKey) bool {
	signer, ok := k.(crypto.Signer)
	if !ok {
		return false
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := c.PublicKey.(equaler)
	return ok && pub.Equal(signer.Public())
}

// PublicKeyDesc names a public key as keytool and openssl do: "RSA 2048",
// "EC P-256", "Ed25519".
func PublicKeyDesc(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "EC " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	case *dsa.PublicKey:
		return fmt.Sprintf("DSA %d", k.P.BitLen())
	}
	return fmt.Sprintf("%T", pub)
}

var (
	oidPBES2           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt          = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
	oidHmacSHA1        = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHmacSHA224      = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHmacSHA256      = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHmacSHA384      = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHmacSHA512      = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC       = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC       = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC       = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC      = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
	oidDESCBC          = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 7}
	oidPBESHA1RC4128   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 1}
	oidPBESHA1RC440    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 2}
	oidPBESHA13DES     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
	oidPBESHA12DES     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 4}
	oidPBESHA1RC2128   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 5}
	oidPBESHA1RC240    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 6}
	oidPBEMD5DES       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 3}
	oidPBESHA1DES      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 10}
	oidSunJKSProtector = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 42, 2, 17, 1, 1}
)

// algorithmName names an encryption AlgorithmIdentifier the way users
// meet it in openssl and keytool output.
func algorithmName(a pkix.AlgorithmIdentifier) string {
	switch {
	case a.Algorithm.Equal(oidPBESHA13DES):
		return "3DES-CBC (PBE-SHA1, legacy)"
	case a.Algorithm.Equal(oidPBESHA12DES):
		return "2-key 3DES-CBC (PBE-SHA1, legacy)"
	case a.Algorithm.Equal(oidPBESHA1RC240):
		return "RC2-40-CBC (PBE-SHA1, legacy)"
	case a.Algorithm.Equal(oidPBESHA1RC2128):
		return "RC2-128-CBC (PBE-SHA1, legacy)"
	case a.Algorithm.Equal(oidPBESHA1RC4128):
		return "RC4-128 (PBE-SHA1, legacy)"
	case a.Algorithm.Equal(oidPBESHA1RC440):
		return "RC4-40 (PBE-SHA1, legacy)"
	case a.Algorithm.Equal(oidPBEMD5DES):
		return "DES-CBC (PBE-MD5, legacy)"
	case a.Algorithm.Equal(oidPBESHA1DES):
		return "DES-CBC (PBE-SHA1, legacy)"
	case a.Algorithm.Equal(oidSunJKSProtector):
		return "JKS proprietary (SHA-1 keystream)"
	case a.Algorithm.Equal(oidPBES2):
		var p pbes2Params
		if _, err := asn1.Unmarshal(a.Parameters.FullBytes, &p); err != nil {
			return "PBES2 (unreadable parameters)"
		}
		return cipherName(p.EncryptionScheme.Algorithm) + " (PBES2, " + kdfName(p.KeyDerivationFunc) + ")"
	}
	return "unknown algorithm " + a.Algorithm.String()
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       asn1.RawValue
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

func cipherName(o asn1.ObjectIdentifier) string {
	switch {
	case o.Equal(oidAES128CBC):
		return "AES-128-CBC"
	case o.Equal(oidAES192CBC):
		return "AES-192-CBC"
	case o.Equal(oidAES256CBC):
		return "AES-256-CBC"
	case o.Equal(oidDESEDE3CBC):
		return "3DES-CBC"
	case o.Equal(oidDESCBC):
		return "DES-CBC"
	}
	return "cipher " + o.String()
}

func kdfName(a pkix.AlgorithmIdentifier) string {
	switch {
	case a.Algorithm.Equal(oidScrypt):
		return "scrypt"
	case a.Algorithm.Equal(oidPBKDF2):
		var p pbkdf2Params
		if _, err := asn1.Unmarshal(a.Parameters.FullBytes, &p); err != nil {
			return "PBKDF2"
		}
		return "PBKDF2-" + prfName(p.PRF.Algorithm)
	}
	return "KDF " + a.Algorithm.String()
}

func prfName(o asn1.ObjectIdentifier) string {
	switch {
	case len(o) == 0 || o.Equal(oidHmacSHA1):
		return "HMAC-SHA1"
	case o.Equal(oidHmacSHA224):
		return "HMAC-SHA224"
	case o.Equal(oidHmacSHA256):
		return "HMAC-SHA256"
	case o.Equal(oidHmacSHA384):
		return "HMAC-SHA384"
	case o.Equal(oidHmacSHA512):
		return "HMAC-SHA512"
	}
	return "PRF " + o.String()
}

// pkcs8Scheme names the encryption of an EncryptedPrivateKeyInfo.
func pkcs8Scheme(der []byte) string {
	var epki struct {
		Algo pkix.AlgorithmIdentifier
		Data []byte
	}
	if _, err := asn1.Unmarshal(der, &epki); err != nil {
		return "(unreadable encryption parameters)"
	}
	return algorithmName(epki.Algo)
}
