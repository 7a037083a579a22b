package dial

// The binary protocols: LDAP's StartTLS extended operation, PostgreSQL's
// SSLRequest and MySQL's SSLRequest. Their messages are recorded in
// words, not bytes.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ldapStartTLS is the StartTLS ExtendedRequest (RFC 4511 section 4.14.1):
// LDAPMessage { messageID 1, [APPLICATION 23] { [0] "1.3.6.1.4.1.1466.20037" } }.
var ldapStartTLSRequest = []byte{
	0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16,
	'1', '.', '3', '.', '6', '.', '1', '.', '4', '.', '1', '.', '1', '4', '6', '6', '.', '2', '0', '0', '3', '7',
}

// ldapResultNames name the LDAP result codes a StartTLS answer carries
// (RFC 4511 appendix A).
var ldapResultNames = map[int]string{
	0: "success", 1: "operationsError", 2: "protocolError", 3: "timeLimitExceeded", 7: "authMethodNotSupported",
	8: "strongerAuthRequired", 12: "unavailableCriticalExtension", 13: "confidentialityRequired",
	48: "inappropriateAuthentication", 49: "invalidCredentials", 50: "insufficientAccessRights",
	51: "busy", 52: "unavailable", 53: "unwillingToPerform", 80: "other",
}

func ldapResultName(code int) string {
	if n, ok := ldapResultNames[code]; ok {
		return n
	}
	return fmt.Sprintf("resultCode %d", code)
}

// tlv is one BER element.
type tlv struct {
	tag  byte
	body []byte
}

// readTLV reads one BER element of at most maxExchange bytes.
func (x *exchange) readTLV() (tlv, error) {
	var h [2]byte
	if _, err := io.ReadFull(x.br, h[:]); err != nil {
		return tlv{}, err
	}
	n := int(h[1])
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			return tlv{}, x.fail(KindMalformed, "the server's answer is not an LDAP message (length field 0x%02x)", h[1])
		}
		b := make([]byte, k)
		if _, err := io.ReadFull(x.br, b); err != nil {
			return tlv{}, err
		}
		n = 0
		for _, c := range b {
			n = n<<8 | int(c)
		}
	}
	if n > maxExchange {
		return tlv{}, x.fail(KindMalformed, "the server's LDAP message is %d bytes long", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(x.br, body); err != nil {
		return tlv{}, err
	}
	return tlv{tag: h[0], body: body}, nil
}

// parseTLVs splits b into BER elements (definite short or long lengths).
func parseTLVs(b []byte) ([]tlv, error) {
	var out []tlv
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, errors.New("truncated element")
		}
		tag, n, off := b[0], int(b[1]), 2
		if n&0x80 != 0 {
			k := n & 0x7f
			if k == 0 || k > 3 || len(b) < 2+k {
				return nil, errors.New("bad length")
			}
			n = 0
			for _, c := range b[2 : 2+k] {
				n = n<<8 | int(c)
			}
			off += k
		}
		if len(b) < off+n {
			return nil, errors.New("truncated element")
		}
		out = append(out, tlv{tag: tag, body: b[off : off+n]})
		b = b[off+n:]
	}
	return out, nil
}

func ldap(x *exchange) error {
	x.step = "upgrade"
	if err := x.sendRaw(ldapStartTLSRequest, "ExtendedRequest StartTLS (1.3.6.1.4.1.1466.20037), messageID 1"); err != nil {
		return err
	}
	msg, err := x.readTLV()
	if err != nil {
		return err
	}
	if msg.tag != 0x30 {
		return x.fail(KindMalformed, "the server's answer is not an LDAP message (tag 0x%02x)", msg.tag)
	}
	parts, err := parseTLVs(msg.body)
	if err != nil || len(parts) < 2 || parts[0].tag != 0x02 {
		return x.fail(KindMalformed, "the server's LDAP message does not parse")
	}
	id := 0
	for _, c := range parts[0].body {
		id = id<<8 | int(c)
	}
	op := parts[1]
	fields, err := parseTLVs(op.body)
	if err != nil || len(fields) < 3 || fields[0].tag != 0x0a || len(fields[0].body) != 1 {
		return x.fail(KindMalformed, "the server's LDAP answer (operation tag 0x%02x) does not parse", op.tag)
	}
	code := int(fields[0].body[0])
	diag := clip(string(fields[2].body))
	what := "ExtendedResponse"
	switch {
	case op.tag == 0x78 && id == 0:
		what = "Notice of Disconnection"
	case op.tag != 0x78:
		what = fmt.Sprintf("an LDAP answer with operation tag 0x%02x", op.tag)
	}
	desc := fmt.Sprintf("%s, messageID %d: %s (%d)", what, id, ldapResultName(code), code)
	if diag != "" {
		desc += fmt.Sprintf(" %q", diag)
	}
	x.record("server", desc)
	switch {
	case op.tag == 0x78 && id == 1 && code == 0:
		return nil
	case op.tag == 0x78 && id == 1 && code == 2:
		// RFC 4511 4.14.2: protocolError is how a server that does not
		// support TLS (by design or by configuration) answers.
		return x.fail(KindUnsupported, "the server answered StartTLS with protocolError: it does not support TLS%s", quoted(diag))
	}
	return x.fail(KindRejected, "the server refused StartTLS with %s (%d)%s", ldapResultName(code), code, quoted(diag))
}

func quoted(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" %q", s)
}

// postgresSSLRequest is the SSLRequest message: length 8, code 80877103.
var postgresSSLRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

func postgres(x *exchange) error {
	x.step = "upgrade"
	if err := x.sendRaw(postgresSSLRequest, "SSLRequest"); err != nil {
		return err
	}
	b, err := x.br.ReadByte()
	if err != nil {
		return err
	}
	switch b {
	case 'S':
		x.record("server", "S (willing to perform TLS)")
		return nil
	case 'N':
		x.record("server", "N (unwilling to perform TLS)")
		return x.fail(KindUnsupported, "the server answered SSLRequest with N: TLS is not enabled (ssl = off)")
	case 'E':
		msg := x.postgresError()
		x.record("server", "ErrorResponse "+msg)
		return x.fail(KindRejected, "the server answered SSLRequest with an error: %s", msg)
	}
	x.record("server", fmt.Sprintf("0x%02x", b))
	return x.fail(KindMalformed, "the server's answer to SSLRequest is neither S nor N (0x%02x): not PostgreSQL?", b)
}

// postgresError reads the body of an ErrorResponse and returns its
// severity, code and message fields.
func (x *exchange) postgresError() string {
	var l [4]byte
	if _, err := io.ReadFull(x.br, l[:]); err != nil {
		return "(truncated)"
	}
	n := int(binary.BigEndian.Uint32(l[:])) - 4
	if n < 0 || n > maxLineBytes {
		return "(malformed)"
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(x.br, body); err != nil {
		return "(truncated)"
	}
	var parts []string
	for _, f := range strings.Split(string(body), "\x00") {
		if len(f) > 1 && strings.ContainsRune("SCM", rune(f[0])) {
			parts = append(parts, f[1:])
		}
	}
	return clip(strings.Join(parts, " "))
}

// MySQL capability flags (MySQL client/server protocol).
const (
	mysqlLongPassword     = 0x00000001
	mysqlLongFlag         = 0x00000004
	mysqlProtocol41       = 0x00000200
	mysqlSSL              = 0x00000800
	mysqlTransactions     = 0x00002000
	mysqlSecureConnection = 0x00008000
	mysqlPluginAuth       = 0x00080000
)

// readMySQLPacket reads one packet: 3-byte little-endian length, sequence
// id, payload.
func (x *exchange) readMySQLPacket() (byte, []byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(x.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	if n == 0 || n > maxExchange {
		return 0, nil, x.fail(KindMalformed, "the server's first packet is %d bytes long: not MySQL?", n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(x.br, p); err != nil {
		return 0, nil, err
	}
	return h[3], p, nil
}

func mysql(x *exchange) error {
	seq, p, err := x.readMySQLPacket()
	if err != nil {
		return err
	}
	if p[0] == 0xff {
		msg := ""
		if len(p) > 3 {
			rest := p[3:]
			if len(rest) > 6 && rest[0] == '#' {
				rest = rest[6:]
			}
			msg = clip(string(rest))
		}
		code := 0
		if len(p) >= 3 {
			code = int(binary.LittleEndian.Uint16(p[1:3]))
		}
		x.record("server", fmt.Sprintf("error packet %d %q", code, msg))
		return x.fail(KindRejected, "the server refused the connection with error %d: %q", code, msg)
	}
	if p[0] != 10 {
		x.record("server", fmt.Sprintf("handshake packet of protocol version %d", p[0]))
		return x.fail(KindMalformed, "the server's handshake is protocol version %d, not 10: not MySQL?", p[0])
	}
	end := 1
	for end < len(p) && p[end] != 0 {
		end++
	}
	version := clip(string(p[1:end]))
	// version NUL, connection id (4), auth data (8), filler (1), then
	// the low 16 bits of the capability flags.
	off := end + 1 + 4 + 8 + 1
	if off+2 > len(p) {
		x.record("server", "handshake v10 (truncated), server "+version)
		return x.fail(KindMalformed, "the server's handshake packet is truncated")
	}
	caps := uint32(binary.LittleEndian.Uint16(p[off : off+2]))
	if off+7 <= len(p) {
		caps |= uint32(binary.LittleEndian.Uint16(p[off+5:off+7])) << 16
	}
	ssl := "no SSL"
	if caps&mysqlSSL != 0 {
		ssl = "SSL offered"
	}
	x.record("server", fmt.Sprintf("handshake v10, server %s, capabilities 0x%08x (%s)", version, caps, ssl))
	if caps&mysqlSSL == 0 {
		return x.fail(KindUnsupported, "the server's handshake does not offer SSL (CLIENT_SSL not set): TLS is not enabled on %s", version)
	}
	x.step = "upgrade"
	ours := uint32(mysqlLongPassword | mysqlLongFlag | mysqlProtocol41 | mysqlSSL | mysqlTransactions | mysqlSecureConnection | mysqlPluginAuth)
	req := make([]byte, 4, 36)
	req[0], req[3] = 32, seq+1
	req = binary.LittleEndian.AppendUint32(req, ours)
	req = binary.LittleEndian.AppendUint32(req, 1<<24) // max packet size
	req = append(req, 0x21)                            // utf8_general_ci
	req = append(req, make([]byte, 23)...)
	return x.sendRaw(req, fmt.Sprintf("SSLRequest, capabilities 0x%08x", ours))
}
