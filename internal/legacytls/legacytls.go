// Package legacytls sends ClientHellos the standard library refuses to
// send: SSL 3.0, and any list of cipher suite code points (EXPORT, NULL,
// anon, RC4, 3DES, CAMELLIA, ARIA…), and reports the server's choice from
// its ServerHello. It is the only package that imports
// github.com/zmap/zcrypto/tls.
//
// zcrypto sets GODEBUG=rsa1024min=0 for the whole process when imported;
// only the --scan code path imports this package, and nothing in the
// default run depends on that setting. The package never verifies
// anything and never judges: it reports what the server sent.
package legacytls

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	ztls "github.com/zmap/zcrypto/tls"
	zx509 "github.com/zmap/zcrypto/x509"
)

// emptyRoots is the RootCAs of every hello: see Send.
var emptyRoots = zx509.NewCertPool()

// Hello is one ClientHello to send.
type Hello struct {
	// Version is the only protocol version offered (0x0300 for SSL 3.0 up
	// to 0x0304 for TLS 1.3).
	Version uint16
	// Suites are offered exactly in this order, implemented or not.
	Suites []uint16
	// Groups are the supported_groups offered, in order; nil means
	// zcrypto's defaults. For TLS 1.3 the key share is for the first.
	Groups []uint16
	// SigAlgs, when set, replace zcrypto's TLS 1.2 signature_algorithms
	// (RSA-PSS, ECDSA, Ed25519, RSA PKCS#1 with SHA-2, then SHA-1) in the
	// ClientHello, in this order.
	SigAlgs []uint16
	// SNI is the server name sent, empty for none.
	SNI string
	// HalfClose shuts down our sending side right after the ClientHello
	// (TCP FIN), so the server learns at once that no second flight will
	// come instead of one round trip later: a server that handles one
	// connection at a time is freed as soon as it has answered. A server
	// (or middlebox) that gives up on the FIN sends nothing; the caller
	// sees Result.Silent and should ask again without HalfClose.
	HalfClose bool
}

// Result is what the server answered.
type Result struct {
	// Answered is true when a ServerHello came back.
	Answered bool
	// Version and Suite are the server's choice from its ServerHello.
	Version uint16
	Suite   uint16
	// Group is the named group of the key exchange: from the
	// ServerKeyExchange (TLS 1.2 ECDHE) or the key_share (TLS 1.3); 0
	// when unknown.
	Group uint16
	// DHBits is the size of the DH prime in a ServerKeyExchange (DHE
	// suites zcrypto implements), 0 when none was seen.
	DHBits int
	// DHGroup names the DH prime when it is an RFC 7919 group
	// ("ffdhe2048"), empty for custom parameters.
	DHGroup string
	// DHPrime and DHGenerator are the server's DH parameters p and g from
	// the ServerKeyExchange, big-endian, when one was seen.
	DHPrime, DHGenerator []byte
	// SigAlg is the TLS 1.2 signature scheme of the ServerKeyExchange
	// (hash << 8 | signature, 0x0201 rsa_pkcs1_sha1...), 0 when none was
	// seen (RSA key exchange, TLS 1.3, or no answer).
	SigAlg uint16
	// Certificates is the chain the server sent, DER, when it got that far.
	Certificates [][]byte
	// Alert is the alert the server sent; AlertSeen says whether one came.
	Alert     uint8
	AlertSeen bool
	// Silent is true when the server sent not a single byte.
	Silent bool
	// Err is the error that ended the exchange, nil when the handshake
	// completed. A failure after the ServerHello (for example a suite
	// zcrypto cannot finish) is expected and does not make the answer
	// invalid.
	Err error
}

// DialFunc opens the connection a hello is sent on, ready for the
// ClientHello (the caller's dial layer: direct, through a proxy, after
// STARTTLS). A connection with a CloseWrite method can be half-closed.
type DialFunc func(ctx context.Context) (net.Conn, error)

// TCP is a DialFunc that connects directly to addr.
func TCP(addr string) DialFunc {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
}

// Send dials with dial, sends the ClientHello and reads the server's
// answer. The whole exchange is bounded by ctx.
func Send(ctx context.Context, dial DialFunc, h Hello) Result {
	if h.Version == VersionSSL30 {
		return sendSSLv3(ctx, dial, h)
	}
	raw, err := open(ctx, dial, h.HalfClose)
	if err != nil {
		return Result{Err: fmt.Errorf("connect: %w", err)}
	}
	defer raw.Close()
	cfg := &ztls.Config{
		ServerName:         h.SNI,
		InsecureSkipVerify: true,
		// zcrypto validates the chain for its log even when told not to
		// verify, against the system roots when RootCAs is nil: loading
		// and checking those took about 150 ms of CPU on the first hello.
		// An empty pool keeps that validation trivial; the checks judge
		// the chain from the DER with crypto/x509.
		RootCAs:          emptyRoots,
		MinVersion:       h.Version,
		MaxVersion:       h.Version,
		CipherSuites:     h.Suites,
		ForceSuites:      true,
		ClientDSAEnabled: true,
	}
	if h.Groups != nil {
		cfg.ExplicitCurvePreferences = true
		for _, g := range h.Groups {
			cfg.CurvePreferences = append(cfg.CurvePreferences, ztls.CurveID(g))
		}
	}
	raw.capture = true
	conn := ztls.Client(&helloOnly{Conn: raw, sigAlgs: h.SigAlgs}, cfg)
	err = conn.HandshakeContext(ctx)
	skeGroup, skeAlg := skeParams(raw.flight)
	res := Result{Err: err, Silent: raw.read == 0, SigAlg: skeAlg}
	log := conn.GetHandshakeLog()
	if log != nil && log.ServerHello != nil {
		sh := log.ServerHello
		res.Answered = true
		res.Version = uint16(sh.Version)
		if sh.SupportedVersions != nil {
			res.Version = uint16(sh.SupportedVersions.SelectedVersion)
		}
		res.Suite = uint16(sh.CipherSuite)
		if sh.KeyShare != nil && sh.KeyShare.KeyExchange != nil {
			res.Group = uint16(*sh.KeyShare.KeyExchange)
		}
	}
	if log != nil && log.ServerCertificates != nil {
		sc := log.ServerCertificates
		if len(sc.Certificate.Raw) > 0 {
			res.Certificates = append(res.Certificates, sc.Certificate.Raw)
		}
		for _, c := range sc.Chain {
			res.Certificates = append(res.Certificates, c.Raw)
		}
	}
	if log != nil && log.ServerKeyExchange != nil {
		skx := log.ServerKeyExchange
		if skx.DHParams != nil && skx.DHParams.Prime != nil {
			res.DHBits = skx.DHParams.Prime.BitLen()
			res.DHGroup = ffdheName(skx.DHParams.Prime)
			res.DHPrime = skx.DHParams.Prime.Bytes()
			if skx.DHParams.Generator != nil {
				res.DHGenerator = skx.DHParams.Generator.Bytes()
			}
		}
		if skx.ECDHParams != nil && skx.ECDHParams.TLSCurveID != 0 {
			res.Group = uint16(skx.ECDHParams.TLSCurveID)
		}
	}
	if res.Group == 0 && res.Answered && res.Version <= ztls.VersionTLS12 {
		// Not logged: signed with a scheme zcrypto does not check.
		res.Group = skeGroup
	}
	// An alert the server sent arrives as a "remote error"; one we sent
	// ourselves is a "local error" and says nothing about the server.
	var op *net.OpError
	var alert ztls.Alert
	if errors.As(err, &op) && op.Op == "remote error" && errors.As(op.Err, &alert) {
		res.Alert, res.AlertSeen = uint8(alert), true
	}
	return res
}

// ffdheName returns the RFC 7919 name of a DH prime, or "".
func ffdheName(p *big.Int) string {
	for name, hex := range ffdhePrimes {
		if q, ok := new(big.Int).SetString(hex, 16); ok && q.Cmp(p) == 0 {
			return name
		}
	}
	return ""
}

// SigAlgs are the TLS 1.2 signature schemes (RFC 8446 §4.2.3 code points)
// a scan tests: RSA-PSS, EdDSA, ECDSA, RSA PKCS#1 and DSA, with SHA-2, then
// SHA-224, SHA-1 and MD5. zcrypto sends them as given and reads the one
// the server chose from its ServerKeyExchange.
func SigAlgs() []uint16 {
	return []uint16{
		0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha256/384/512
		0x0809, 0x080a, 0x080b, // rsa_pss_pss_sha256/384/512
		0x0807, 0x0808, // ed25519, ed448
		0x0403, 0x0503, 0x0603, // ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512
		0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha256/384/512
		0x0402, 0x0502, 0x0602, // dsa_sha256/384/512
		0x0303, 0x0301, 0x0302, // ecdsa_sha224, rsa_pkcs1_sha224, dsa_sha224
		0x0203, 0x0201, 0x0202, // ecdsa_sha1, rsa_pkcs1_sha1, dsa_sha1
		0x0103, 0x0101, 0x0102, // ecdsa_md5, rsa_md5, dsa_md5
	}
}

// DHESuites are DHE suites zcrypto can carry as far as the
// ServerKeyExchange, where the DH prime is read.
func DHESuites() []uint16 {
	return []uint16{0x009E, 0x009F, 0xCCAA, 0x0033, 0x0039, 0x0067, 0x006B, 0x0016}
}

// ECDHESuites are the TLS 1.2 ECDHE suites zcrypto carries as far as the
// ServerKeyExchange, where the curve is read.
func ECDHESuites() []uint16 {
	return []uint16{0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC009, 0xC013, 0xC00A, 0xC014, 0xC023, 0xC027, 0xC012, 0xC011, 0xC007}
}

// Readable are the suites zcrypto carries through the server's whole first
// flight (certificate and key exchange parsed): put first in an offer, a
// server that follows the client's order picks one of them.
func Readable() []uint16 {
	rsaKx := []uint16{0x009C, 0x009D, 0x002F, 0x0035, 0x003C, 0x000A, 0x0005}
	return append(append(ECDHESuites(), DHESuites()...), rsaKx...)
}

// ECDHEGroups are the named groups zcrypto can read a TLS 1.2
// ServerKeyExchange for: x25519, secp256r1, secp384r1, secp521r1.
func ECDHEGroups() []uint16 { return []uint16{29, 23, 24, 25} }

// helloOnly lets the ClientHello through and fails every later write:
// zcrypto reads the server's whole first flight (ServerHello, Certificate,
// ServerKeyExchange) and stops where it would send its key exchange. The
// scan needs nothing more, and it saves the server a round trip of work.
type helloOnly struct {
	net.Conn
	wrote bool
	// sigAlgs, when set, replace the hello's signature_algorithms.
	sigAlgs []uint16
}

var errHelloOnly = errors.New("legacytls: stopped after the server's first flight")

func (h *helloOnly) Write(p []byte) (int, error) {
	if h.wrote {
		return 0, errHelloOnly
	}
	h.wrote = true
	out := p
	if h.sigAlgs != nil {
		var err error
		if out, err = withSigAlgs(p, h.sigAlgs); err != nil {
			return 0, err
		}
	}
	if _, err := h.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// open connects with dial, with every later read and write bounded by
// ctx's deadline (ten seconds when ctx has none).
func open(ctx context.Context, dial DialFunc, halfClose bool) (*conn, error) {
	c, err := dial(ctx)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	} else {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	}
	return &conn{Conn: c, halfClose: halfClose}, nil
}

// conn counts the bytes the server sent (and, with capture, keeps the
// first maxCapture of them) and, with halfClose, shuts down our sending
// side after the first write (the ClientHello, one record).
type conn struct {
	net.Conn
	halfClose, wrote, capture bool
	read                      int
	flight                    []byte
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read += n
	if c.capture && len(c.flight) < maxCapture {
		c.flight = append(c.flight, p[:min(n, maxCapture-len(c.flight))]...)
	}
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if !c.wrote && err == nil && c.halfClose {
		// Only a connection that can half-close (TCP, directly or after
		// STARTTLS) does; a proxy's tunnel has no CloseWrite.
		if hc, ok := c.Conn.(interface{ CloseWrite() error }); ok {
			_ = hc.CloseWrite()
		}
	}
	c.wrote = true
	return n, err
}
