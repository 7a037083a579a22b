package probe

// certCapture reads the server's TLS records as they arrive and keeps its
// Certificate message while it is in the clear (TLS 1.2 and older; in TLS
// 1.3 it is encrypted and nothing is kept). crypto/tls hands the chain to
// VerifyPeerCertificate only once every certificate parsed and the message
// fits its 256 KiB limit; when it refuses the chain (a certificate it
// cannot parse, a message over the limit, an RSA key over 8192 bits) the
// capture is how the record still holds what the server sent, at its real
// positions, and how large the message was.
type certCapture struct {
	buf  []byte // record bytes not yet parsed
	hs   []byte // handshake bytes of the Certificate message so far
	skip int    // handshake bytes of other messages still to skip
	done bool
	// msgLen is the Certificate message body length once its header was
	// seen, -1 before.
	msgLen int
	// hdr holds a handshake header split across records.
	hdr   []byte
	inMsg bool
	certs [][]byte
	// truncated is set when the message was larger than captureMax: its
	// length is known, the certificates past the limit are not kept.
	truncated bool
}

// captureMax bounds what one attempt keeps: a Certificate message larger
// than any client accepts (OpenSSL 100 KiB, Go 256 KiB) still fits.
const captureMax = 512 << 10

// TLS record and handshake types read by the capture.
const (
	recordChangeCipherSpec = 20
	recordAlert            = 21
	recordHandshake        = 22
	recordApplicationData  = 23
	handshakeCertificate   = 11
	handshakeServerDone    = 14
)

func newCertCapture() *certCapture { return &certCapture{msgLen: -1} }

// feed consumes bytes read from the server.
func (c *certCapture) feed(p []byte) {
	if c.done {
		return
	}
	c.buf = append(c.buf, p...)
	for !c.done && len(c.buf) >= 5 {
		typ, n := c.buf[0], int(c.buf[3])<<8|int(c.buf[4])
		if typ < recordChangeCipherSpec || typ > recordApplicationData {
			c.done = true // not TLS: another check explains it
			return
		}
		if len(c.buf) < 5+n {
			if len(c.buf) > captureMax {
				c.done = true
			}
			return
		}
		frag := c.buf[5 : 5+n]
		if typ != recordHandshake {
			// From the first ChangeCipherSpec on (TLS 1.3 right after the
			// ServerHello) the rest is encrypted; an alert ends it too.
			c.done = true
			return
		}
		c.handshake(frag)
		c.buf = c.buf[5+n:]
	}
}

// handshake walks handshake messages, keeping the Certificate one.
func (c *certCapture) handshake(b []byte) {
	for len(b) > 0 && !c.done {
		switch {
		case c.skip > 0:
			k := min(c.skip, len(b))
			c.skip -= k
			b = b[k:]
		case c.inMsg:
			k := min(c.msgLen-len(c.hs), len(b))
			if room := captureMax - len(c.hs); k > room {
				c.hs = append(c.hs, b[:max(room, 0)]...)
				c.truncated = true
				c.finish()
				return
			}
			c.hs = append(c.hs, b[:k]...)
			b = b[k:]
			if len(c.hs) == c.msgLen {
				c.finish()
			}
		default:
			need := 4 - len(c.hdr)
			k := min(need, len(b))
			c.hdr = append(c.hdr, b[:k]...)
			b = b[k:]
			if len(c.hdr) < 4 {
				return
			}
			typ, n := c.hdr[0], int(c.hdr[1])<<16|int(c.hdr[2])<<8|int(c.hdr[3])
			c.hdr = c.hdr[:0]
			switch typ {
			case handshakeCertificate:
				c.msgLen, c.inMsg = n, true
				if n == 0 {
					c.finish()
				}
			case handshakeServerDone:
				c.done = true
			default:
				c.skip = n
			}
		}
	}
}

// finish parses the certificate_list (TLS 1.2: a 3-byte length, then
// 3-byte-length-prefixed DER certificates), keeping what fits.
func (c *certCapture) finish() {
	c.done = true
	b := c.hs
	if len(b) < 3 {
		return
	}
	b = b[3:]
	for len(b) >= 3 {
		n := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
		if len(b) < 3+n {
			c.truncated = true
			return
		}
		c.certs = append(c.certs, append([]byte(nil), b[3:3+n]...))
		b = b[3+n:]
	}
}

// recordRefusedCertificates copies what the capture saw into an attempt
// that crypto/tls itself failed (a local error: it refused the chain, or
// gave up after it) without handing the chain over: the certificates, and
// the message length. When the server aborted instead, nothing is copied:
// the chain was not the problem, and the retries judge the failure.
func (c *recordingConn) recordRefusedCertificates(a *Attempt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cc := c.capture
	if cc == nil || cc.msgLen < 0 || len(a.Certificates) > 0 {
		return
	}
	// crypto/tls stops at the header of a message over its limit: the
	// declared length is then all there is.
	a.CertificateMessageBytes = cc.msgLen
	if len(cc.certs) == 0 {
		return
	}
	for _, der := range cc.certs {
		a.Certificates = append(a.Certificates, Certificate{DER: der})
	}
	a.CertificatesFromWire, a.CertificatesTruncated = true, cc.truncated
}
