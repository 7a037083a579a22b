package ciphersuite

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		id                    uint16
		kx, auth, cipher, mac string
		bits                  int
		export, fs, aead, cbc bool
		openssl               string
	}{
		{0xC02F, "ECDHE", "RSA", "AES_128_GCM", "SHA256", 128, false, true, true, false, "ECDHE-RSA-AES128-GCM-SHA256"},
		{0x1301, "TLS13", "", "AES_128_GCM", "SHA256", 128, false, true, true, false, "TLS_AES_128_GCM_SHA256"},
		{0x000A, "RSA", "RSA", "3DES_EDE_CBC", "SHA", 112, false, false, false, true, "DES-CBC3-SHA"},
		{0x0005, "RSA", "RSA", "RC4_128", "SHA", 128, false, false, false, false, "RC4-SHA"},
		{0x0003, "RSA", "RSA", "RC4_40", "MD5", 40, true, false, false, false, "EXP-RC4-MD5"},
		{0x0034, "DHE", "anon", "AES_128_CBC", "SHA", 128, false, true, false, true, "ADH-AES128-SHA"},
		{0xC018, "ECDHE", "anon", "AES_128_CBC", "SHA", 128, false, true, false, true, "AECDH-AES128-SHA"},
		{0x0002, "RSA", "RSA", "NULL", "SHA", 0, false, false, false, false, "NULL-SHA"},
		{0xC0AC, "ECDHE", "ECDSA", "AES_128_CCM", "", 128, false, true, true, false, "ECDHE-ECDSA-AES128-CCM"},
		{0xCCAA, "DHE", "RSA", "CHACHA20_POLY1305", "SHA256", 256, false, true, true, false, "DHE-RSA-CHACHA20-POLY1305"},
		{0x0041, "RSA", "RSA", "CAMELLIA_128_CBC", "SHA", 128, false, false, false, true, "CAMELLIA128-SHA"},
	}
	for _, tt := range tests {
		in := Lookup(tt.id)
		if in.KeyExchange != tt.kx || in.Auth != tt.auth || in.Cipher != tt.cipher || in.MAC != tt.mac || in.Bits != tt.bits ||
			in.Export != tt.export || in.ForwardSecret() != tt.fs || in.AEAD() != tt.aead || in.CBC() != tt.cbc || in.OpenSSL() != tt.openssl {
			t.Errorf("Lookup(%#04x) = %+v fs=%v aead=%v cbc=%v openssl=%q; want %+v", tt.id, in, in.ForwardSecret(), in.AEAD(), in.CBC(), in.OpenSSL(), tt)
		}
	}
}

func TestByName(t *testing.T) {
	for _, n := range []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ecdhe_rsa_with_aes_128_gcm_sha256", "ECDHE-RSA-AES128-GCM-SHA256", "0xC02F"} {
		if in, ok := ByName(n); !ok || in.ID != 0xC02F {
			t.Errorf("ByName(%q) = %#04x, %v; want 0xC02F", n, in.ID, ok)
		}
	}
	if _, ok := ByName("NOPE"); ok {
		t.Error("ByName(NOPE) succeeded")
	}
}

func TestScannableExcludesSignals(t *testing.T) {
	s := Scannable()
	for _, id := range s {
		if id == 0x00FF || id == 0x5600 || id == 0x0000 {
			t.Errorf("Scannable contains signalling value %#04x", id)
		}
	}
	if len(s) < 300 {
		t.Errorf("Scannable has %d suites, want the whole registry (> 300)", len(s))
	}
}

// Every registered code point parses: a server may pick any of them, and
// the scan looks each up (Netscape's SSL_EN_RC2_128_CBC_WITH_MD5 once made
// Lookup panic).
func TestLookupEveryRegisteredSuite(t *testing.T) {
	for id := range registry {
		in := Lookup(id)
		if in.KeyExchange == "" || in.Name == "" {
			t.Errorf("Lookup(%#04x) = %+v: no key exchange", id, in)
		}
	}
	if in := Lookup(0xFF03); in.KeyExchange != "RSA" || in.Cipher != "RC2_128_CBC" || in.MAC != "MD5" || in.Bits != 128 {
		t.Errorf("Lookup(0xFF03) = %+v", in)
	}
}
