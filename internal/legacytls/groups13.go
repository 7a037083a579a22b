package legacytls

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// helloRetryRandom is the ServerHello.random of a HelloRetryRequest
// (RFC 8446 section 4.1.3): SHA-256("HelloRetryRequest").
var helloRetryRandom = []byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// GroupHello sends a TLS 1.3 ClientHello whose key_share is empty and whose
// supported_groups are groups, so the server must answer with a
// HelloRetryRequest naming the group it wants (RFC 8446 section 4.2.8), or
// with an alert when it supports none. No key is ever generated, so any
// group can be tested: X25519MLKEM768, FFDHE, X448, brainpool.
// Result.Group is the group named; Result.Suite the suite it chose among
// suites, offered in that order (nil means the five TLS 1.3 suites,
// TLS_AES_128_GCM_SHA256 first).
func GroupHello(ctx context.Context, dial DialFunc, sni string, groups, suites []uint16, halfClose bool) Result {
	if suites == nil {
		suites = tls13Suites
	}
	return retryHello(ctx, dial, tls13ClientHello(sni, groups, suites, groupHelloSigAlgs), halfClose)
}

// retryHello sends one key-share-less TLS 1.3 ClientHello and reads the
// server's first answer.
func retryHello(ctx context.Context, dial DialFunc, hello []byte, halfClose bool) Result {
	conn, err := open(ctx, dial, halfClose)
	if err != nil {
		return Result{Err: fmt.Errorf("connect: %w", err)}
	}
	defer conn.Close()
	if _, err := conn.Write(hello); err != nil {
		return Result{Err: err}
	}
	r := readTLS13Answer(conn)
	r.Silent = conn.read == 0
	return r
}

// groupHelloSigAlgs are the signature_algorithms of GroupHello.
var groupHelloSigAlgs = []uint16{0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601}

// WideGroups13, WideSuites13 and WideSigAlgs13 are what WideHello13
// offers: every TLS 1.3 group, cipher suite and signature scheme with a
// code point a server may choose (RFC 8446, RFC 7919, RFC 8734, the
// hybrid ML-KEM groups), the ones crypto/tls lacks included (X448, FFDHE,
// brainpool, CCM, Ed448, RSA-PSS with PSS keys).
var (
	WideGroups13  = []uint16{4588, 29, 23, 24, 25, 30, 256, 257, 258, 259, 260, 31, 32, 33, 4587, 4589}
	WideSuites13  = []uint16{0x1301, 0x1302, 0x1303, 0x1304, 0x1305}
	WideSigAlgs13 = []uint16{0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B,
		0x081A, 0x081B, 0x081C, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201}
)

// CryptoTLSSigAlgs are the signature_algorithms crypto/tls offers by
// default (Go 1.24+; SHA-1 is not offered).
var CryptoTLSSigAlgs = []uint16{0x0804, 0x0403, 0x0807, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0503, 0x0603}

// WideHello13 sends one TLS 1.3 ClientHello offering WideGroups13,
// WideSuites13 and WideSigAlgs13, with no key share, and reads the
// answer as GroupHello does: the group and suite the server picks, or
// its alert. It tells a server that refuses a narrower hello (crypto/tls's)
// for lack of a parameter from one that refuses every TLS 1.3 hello.
//
// sigAlgs, when set, replace WideSigAlgs13: with CryptoTLSSigAlgs the
// hello differs from crypto/tls's in its groups and suites only.
func WideHello13(ctx context.Context, dial DialFunc, sni string, sigAlgs []uint16) Result {
	if sigAlgs == nil {
		sigAlgs = WideSigAlgs13
	}
	return retryHello(ctx, dial, tls13ClientHello(sni, WideGroups13, WideSuites13, sigAlgs), false)
}

func u16(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }

// ext appends one extension: type, length, body.
func ext(b []byte, typ uint16, body []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, typ)
	b = u16(b, len(body))
	return append(b, body...)
}

// tls13Suites are the TLS 1.3 cipher suites of RFC 8446 section B.4, in
// code-point order.
var tls13Suites = []uint16{0x1301, 0x1302, 0x1303, 0x1304, 0x1305}

func tls13ClientHello(sni string, groups, suites, sigs []uint16) []byte {
	var exts []byte
	if sni != "" {
		name := []byte(sni)
		entry := append([]byte{0}, u16(nil, len(name))...) // host_name
		entry = append(entry, name...)
		exts = ext(exts, 0x0000, append(u16(nil, len(entry)), entry...))
	}
	exts = ext(exts, 0x002B, []byte{2, 0x03, 0x04}) // supported_versions: TLS 1.3
	g := u16(nil, 2*len(groups))
	for _, id := range groups {
		g = binary.BigEndian.AppendUint16(g, id)
	}
	exts = ext(exts, 0x000A, g)            // supported_groups
	exts = ext(exts, 0x0033, []byte{0, 0}) // key_share: no share, ask for a retry
	sa := u16(nil, 2*len(sigs))
	for _, s := range sigs {
		sa = binary.BigEndian.AppendUint16(sa, s)
	}
	exts = ext(exts, 0x000D, sa)           // signature_algorithms
	exts = ext(exts, 0x002D, []byte{1, 1}) // psk_key_exchange_modes: psk_dhe_ke

	body := []byte{0x03, 0x03}
	random := make([]byte, 32+32)
	_, _ = rand.Read(random)
	body = append(body, random[:32]...)
	body = append(body, 32)
	body = append(body, random[32:]...) // legacy_session_id, for middlebox compatibility
	body = u16(body, 2*len(suites))
	for _, id := range suites {
		body = binary.BigEndian.AppendUint16(body, id)
	}
	body = append(body, 1, 0) // compression: null
	body = u16(body, len(exts))
	body = append(body, exts...)
	hs := append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	rec := []byte{22, 0x03, 0x01, byte(len(hs) >> 8), byte(len(hs))}
	return append(rec, hs...)
}

// readTLS13Answer reads the server's first record: a HelloRetryRequest (or
// ServerHello) or an alert.
func readTLS13Answer(r io.Reader) Result {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Result{Err: fmt.Errorf("reading the server's answer: %w", err)}
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
	if _, err := io.ReadFull(r, body); err != nil {
		return Result{Err: fmt.Errorf("reading the server's answer: %w", err)}
	}
	if hdr[0] == 21 && len(body) >= 2 {
		return Result{Alert: body[1], AlertSeen: true, Err: fmt.Errorf("remote error: alert %d", body[1])}
	}
	if hdr[0] != 22 || len(body) < 4+2+32+1 || body[0] != 2 {
		return Result{Err: fmt.Errorf("unexpected answer (record type %d)", hdr[0])}
	}
	m := body[4:]
	res := Result{Answered: true, Version: binary.BigEndian.Uint16(m), Err: errors.New("stopped after the HelloRetryRequest")}
	hrr := string(m[2:34]) == string(helloRetryRandom)
	m = m[34:]
	sid := int(m[0])
	if len(m) < 1+sid+3+2 {
		return Result{Err: errors.New("truncated ServerHello")}
	}
	m = m[1+sid:]
	res.Suite = binary.BigEndian.Uint16(m)
	m = m[3:]
	extLen := int(binary.BigEndian.Uint16(m))
	m = m[2:]
	if len(m) < extLen {
		return Result{Err: errors.New("truncated ServerHello extensions")}
	}
	m = m[:extLen]
	for len(m) >= 4 {
		typ, n := binary.BigEndian.Uint16(m), int(binary.BigEndian.Uint16(m[2:]))
		if len(m) < 4+n {
			break
		}
		data := m[4 : 4+n]
		switch {
		case typ == 0x002B && n == 2:
			res.Version = binary.BigEndian.Uint16(data)
		case typ == 0x0033 && n >= 2:
			// HRR: selected_group; ServerHello: the server's share's group.
			res.Group = binary.BigEndian.Uint16(data)
		}
		m = m[4+n:]
	}
	if !hrr && res.Group == 0 {
		res.Err = errors.New("ServerHello without a key share")
	}
	return res
}
