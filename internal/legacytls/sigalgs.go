package legacytls

import (
	"crypto"
	"errors"
	"net"

	ztls "github.com/zmap/zcrypto/tls"
	"golang.org/x/crypto/cryptobyte"
)

// zcrypto always sends its own signature_algorithms list; Hello.SigAlgs
// replaces it in the ClientHello bytes on their way out, and the scheme
// the server chose is read from the raw ServerKeyExchange, because
// zcrypto logs that message only when it could check it.

// maxCapture bounds how much of the server's first flight is kept to find
// the ServerKeyExchange (certificate chains are rarely above 16 KB).
const maxCapture = 64 << 10

// withSigAlgs returns the ClientHello record rec with its
// signature_algorithms extension (13) replaced by algs. A hello without
// that extension (TLS 1.0/1.1) is returned unchanged.
func withSigAlgs(rec []byte, algs []uint16) ([]byte, error) {
	bad := errors.New("legacytls: cannot rewrite the ClientHello")
	s := cryptobyte.String(rec)
	var recType, hsType uint8
	var recVersion, helloVersion uint16
	var frag, body, random, sid, suites, comp, exts cryptobyte.String
	if !s.ReadUint8(&recType) || recType != 22 || !s.ReadUint16(&recVersion) ||
		!s.ReadUint16LengthPrefixed(&frag) || !s.Empty() ||
		!frag.ReadUint8(&hsType) || hsType != 1 || !frag.ReadUint24LengthPrefixed(&body) || !frag.Empty() ||
		!body.ReadUint16(&helloVersion) || !body.ReadBytes((*[]byte)(&random), 32) ||
		!body.ReadUint8LengthPrefixed(&sid) || !body.ReadUint16LengthPrefixed(&suites) ||
		!body.ReadUint8LengthPrefixed(&comp) || !body.ReadUint16LengthPrefixed(&exts) || !body.Empty() {
		return nil, bad
	}
	found := false
	var b cryptobyte.Builder
	b.AddUint8(22)
	b.AddUint16(recVersion)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint8(1)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint16(helloVersion)
			b.AddBytes(random)
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sid) })
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(suites) })
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(comp) })
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for !exts.Empty() {
					var typ uint16
					var data cryptobyte.String
					if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
						b.SetError(bad)
						return
					}
					b.AddUint16(typ)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						if typ != 13 {
							b.AddBytes(data)
							return
						}
						found = true
						b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
							for _, a := range algs {
								b.AddUint16(a)
							}
						})
					})
				}
			})
		})
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, bad
	}
	if !found {
		return rec, nil
	}
	return out, nil
}

// skeParams finds the ServerKeyExchange in the server's first flight (raw
// records as read) and returns its ECDHE named group (0 for DHE) and TLS
// 1.2 signature scheme, zeros when there is none (RSA key exchange, TLS
// 1.0/1.1, cut short). Send takes the group from it only when zcrypto
// did not log the message: zcrypto logs it only when it could check its
// signature, and the scan offers schemes it cannot check.
func skeParams(flight []byte) (group, alg uint16) {
	var hs []byte
	s := cryptobyte.String(flight)
	for !s.Empty() {
		var typ uint8
		var version uint16
		var frag cryptobyte.String
		if !s.ReadUint8(&typ) || !s.ReadUint16(&version) || !s.ReadUint16LengthPrefixed(&frag) {
			break // the last record, partly read
		}
		if typ != 22 {
			break
		}
		hs = append(hs, frag...)
	}
	m := cryptobyte.String(hs)
	for !m.Empty() {
		var typ uint8
		var body cryptobyte.String
		if !m.ReadUint8(&typ) || !m.ReadUint24LengthPrefixed(&body) {
			return 0, 0
		}
		if typ == 12 {
			return paramsOfSKE(body)
		}
	}
	return 0, 0
}

// paramsOfSKE reads the group and signature scheme of a TLS 1.2
// ServerKeyExchange, ECDHE (RFC 8422: named curve, point) or DHE (RFC
// 5246: p, g, Ys): the layout that leaves exactly a signature after the
// scheme wins.
func paramsOfSKE(body cryptobyte.String) (group, alg uint16) {
	try := func(params func(*cryptobyte.String) bool) uint16 {
		s := body
		var alg uint16
		var sig cryptobyte.String
		if params(&s) && s.ReadUint16(&alg) && s.ReadUint16LengthPrefixed(&sig) && s.Empty() {
			return alg
		}
		return 0
	}
	var curve uint16
	if alg := try(func(s *cryptobyte.String) bool {
		var curveType uint8
		var point cryptobyte.String
		return s.ReadUint8(&curveType) && curveType == 3 && s.ReadUint16(&curve) && s.ReadUint8LengthPrefixed(&point)
	}); alg != 0 {
		return curve, alg
	}
	return 0, try(func(s *cryptobyte.String) bool {
		var p, g, y cryptobyte.String
		return s.ReadUint16LengthPrefixed(&p) && s.ReadUint16LengthPrefixed(&g) && s.ReadUint16LengthPrefixed(&y)
	})
}

// SHA1SigningListener serves TLS 1.2 on ln the way an old server does:
// it signs its key exchange only with SHA-1 (rsa_pkcs1_sha1 or
// ecdsa_sha1, after the key), so a client that does not offer SHA-1
// signatures gets a handshake_failure alert. chain is DER, leaf first.
// It is a fault server for fixtures, here because this package is the
// only one that imports zcrypto.
func SHA1SigningListener(ln net.Listener, chain [][]byte, key crypto.PrivateKey) net.Listener {
	return ztls.NewListener(ln, &ztls.Config{
		Certificates: []ztls.Certificate{{
			Certificate: chain, PrivateKey: key,
			SupportedSignatureAlgorithms: []ztls.SignatureScheme{ztls.PKCS1WithSHA1, ztls.ECDSAWithSHA1},
		}},
		MinVersion: ztls.VersionTLS12,
		MaxVersion: ztls.VersionTLS12,
	})
}
