// Package ciphersuite names TLS cipher suites and splits an IANA suite name
// into its parts (key exchange, authentication, cipher, MAC). It holds
// facts from the IANA registry only: no judgement, no network.
package ciphersuite

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Info is a cipher suite split into its parts.
type Info struct {
	ID   uint16
	Name string
	// KeyExchange is "RSA", "DHE", "ECDHE", "DH", "ECDH", "PSK", "SRP",
	// "KRB5", ... or "TLS13" for the TLS 1.3 suites (the key exchange is
	// negotiated separately, always ephemeral).
	KeyExchange string
	// Auth is "RSA", "ECDSA", "DSS", "anon", "PSK", ... ("" for TLS 1.3).
	Auth string
	// Cipher is the bulk cipher as named, e.g. "AES_128_GCM", "3DES_EDE_CBC",
	// "RC4_128", "NULL".
	Cipher string
	// MAC is the MAC or PRF hash: "SHA", "SHA256", "MD5", ...
	MAC string
	// Export marks the 1990s EXPORT suites (40/56-bit).
	Export bool
	// Bits is the effective key size of the cipher, 0 for NULL.
	Bits int
}

// Lookup returns the suite's Info; unknown code points get a hex name and
// empty parts.
func Lookup(id uint16) Info {
	name, ok := registry[id]
	if !ok {
		return Info{ID: id, Name: fmt.Sprintf("0x%04X", id)}
	}
	return parse(id, name)
}

// Name returns the IANA name of a suite, or its code point in hex.
func Name(id uint16) string { return Lookup(id).Name }

// ByName finds a suite by IANA name (TLS_ or SSL_ prefix optional,
// case-insensitive) or by OpenSSL name.
func ByName(s string) (Info, bool) {
	u := strings.ToUpper(strings.TrimSpace(s))
	// Built once, not per entry: the checks' tables look up a few
	// hundred names at start-up.
	tlsU, sslU := "TLS_"+u, "SSL_"+u
	for id, n := range registry {
		if n == u || n == tlsU || n == sslU {
			return parse(id, n), true
		}
	}
	for id, n := range opensslNames {
		if strings.EqualFold(n, s) {
			return Lookup(id), true
		}
	}
	if strings.HasPrefix(u, "0X") {
		if v, err := strconv.ParseUint(u[2:], 16, 16); err == nil {
			return Lookup(uint16(v)), true
		}
	}
	return Info{}, false
}

// Scannable returns every registered suite a scanner should offer, in a
// fixed order: all code points except the signalling values (SCSVs) and
// TLS_NULL_WITH_NULL_NULL, which are not real suites.
func Scannable() []uint16 {
	var out []uint16
	for id, n := range registry {
		if id == 0x0000 || strings.HasSuffix(n, "_SCSV") || n == "TLS_RENEGO_PROTECTION_REQUEST" || n == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" {
			continue
		}
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// TLS13 returns the TLS 1.3 suites (RFC 8446 section B.4).
func TLS13() []uint16 { return []uint16{0x1301, 0x1302, 0x1303, 0x1304, 0x1305} }

func parse(id uint16, name string) Info {
	in := Info{ID: id, Name: name}
	n := strings.TrimPrefix(strings.TrimPrefix(name, "TLS_"), "SSL_")
	kx, rest, ok := strings.Cut(n, "_WITH_")
	if !ok {
		// TLS 1.3: TLS_AES_128_GCM_SHA256.
		in.KeyExchange = "TLS13"
		i := max(strings.LastIndex(n, "_"), 0)
		in.Cipher, in.MAC = n[:i], strings.TrimPrefix(n[i:], "_")
		in.Bits = cipherBits(in.Cipher)
		return in
	}
	if c, ok := strings.CutPrefix(kx, "EN_"); ok {
		// Netscape's SSL_EN_RC2_128_CBC_WITH_MD5: RSA key exchange, the
		// cipher before _WITH_, the MAC after.
		in.KeyExchange, in.Auth, in.Cipher, in.MAC = "RSA", "RSA", c, rest
		in.Bits = cipherBits(in.Cipher)
		return in
	}
	if strings.Contains(kx, "_EXPORT") {
		in.Export = true
		kx = strings.Replace(strings.Replace(kx, "_EXPORT1024", "", 1), "_EXPORT", "", 1)
	}
	parts := strings.SplitN(kx, "_", 2)
	in.KeyExchange = parts[0]
	if len(parts) == 2 {
		in.Auth = parts[1]
	} else {
		switch parts[0] {
		case "RSA", "PSK", "SRP", "KRB5", "ECCPWD":
			in.Auth = parts[0]
		}
	}
	if strings.EqualFold(in.Auth, "anon") {
		in.Auth = "anon"
	}
	switch in.KeyExchange {
	case "DH", "ECDH":
		if in.Auth == "anon" {
			// Anonymous DH is ephemeral, but unauthenticated.
			in.KeyExchange += "E"
		}
	}
	i := strings.LastIndex(rest, "_")
	if i < 0 {
		i = len(rest)
	}
	in.Cipher, in.MAC = rest[:i], strings.TrimPrefix(rest[i:], "_")
	if in.MAC == "8" || in.MAC == "CCM" { // AES_128_CCM_8, AES_128_CCM
		in.Cipher, in.MAC = rest, ""
	}
	in.Bits = cipherBits(in.Cipher)
	return in
}

func cipherBits(c string) int {
	switch {
	case c == "NULL":
		return 0
	case strings.Contains(c, "_40"):
		return 40
	case strings.Contains(c, "_56"):
		return 56
	case strings.HasPrefix(c, "3DES"):
		return 112 // three-key 3DES gives 112 bits against meet-in-the-middle
	case strings.HasPrefix(c, "DES"):
		return 56
	case strings.HasPrefix(c, "CHACHA20"):
		return 256
	case strings.HasPrefix(c, "IDEA"), strings.HasPrefix(c, "RC4_128"), strings.HasPrefix(c, "SEED"), strings.HasPrefix(c, "RC2_CBC_128"):
		return 128
	}
	for _, f := range strings.Split(c, "_") {
		if b, err := strconv.Atoi(f); err == nil && b >= 64 {
			return b
		}
	}
	return 0
}

// ForwardSecret says whether the key exchange is ephemeral.
func (in Info) ForwardSecret() bool {
	switch in.KeyExchange {
	case "TLS13", "DHE", "ECDHE":
		return true
	}
	return false
}

// AEAD says whether the cipher is an AEAD (GCM, CCM, ChaCha20-Poly1305).
func (in Info) AEAD() bool {
	return strings.Contains(in.Cipher, "GCM") || strings.Contains(in.Cipher, "CCM") || strings.Contains(in.Cipher, "POLY1305")
}

// CBC says whether the cipher is a block cipher in CBC mode.
func (in Info) CBC() bool { return strings.Contains(in.Cipher, "CBC") }

// OpenSSL returns the OpenSSL name of the suite, or "" when OpenSSL has none
// we know of.
func (in Info) OpenSSL() string {
	if n, ok := opensslNames[in.ID]; ok {
		return n
	}
	return legacyOpenSSLNames[in.ID]
}

// legacyOpenSSLNames are OpenSSL 1.x names of suites OpenSSL 3 no longer
// builds (RC4, single DES, 3DES, EXPORT), from OpenSSL 1.1.1's
// ssl/s3_lib.c; users still meet them in old nginx/Apache configs.
var legacyOpenSSLNames = map[uint16]string{
	0x0003: "EXP-RC4-MD5", 0x0004: "RC4-MD5", 0x0005: "RC4-SHA", 0x0009: "DES-CBC-SHA",
	0x000A: "DES-CBC3-SHA", 0x0013: "EDH-DSS-DES-CBC3-SHA", 0x0016: "EDH-RSA-DES-CBC3-SHA",
	0x0018: "ADH-RC4-MD5", 0x001B: "ADH-DES-CBC3-SHA", 0xC007: "ECDHE-ECDSA-RC4-SHA",
	0xC008: "ECDHE-ECDSA-DES-CBC3-SHA", 0xC011: "ECDHE-RSA-RC4-SHA", 0xC012: "ECDHE-RSA-DES-CBC3-SHA",
}
