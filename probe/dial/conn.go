package dial

import (
	"bufio"
	"errors"
	"io"
	"net"
	"syscall"
	"unicode/utf8"
)

// Bounds of what is read and recorded before the ClientHello.
const (
	// maxExchange is the most bytes read from the server before TLS.
	maxExchange = 64 << 10
	// maxLineBytes is the longest line read; longer is malformed.
	maxLineBytes = 4096
	// maxLines and maxRecordedBytes bound a transcript in the record;
	// clipBytes bounds one recorded line.
	maxLines         = 40
	maxRecordedBytes = 8 << 10
	clipBytes        = 300
)

var (
	errTooMuch     = errors.New("the server sent more than 64 KiB before TLS")
	errLineTooLong = errors.New("the server sent a line longer than 4 KiB")
)

// capReader fails once left bytes have been read.
type capReader struct {
	r    io.Reader
	left int
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errTooMuch
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= n
	return n, err
}

// readLine reads one line, without its CR LF, of at most maxLineBytes.
func readLine(br *bufio.Reader) (string, error) {
	b, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errLineTooLong
	}
	if err != nil {
		if len(b) > 0 && errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	s := string(b[:len(b)-1])
	if len(s) > 0 && s[len(s)-1] == '\r' {
		s = s[:len(s)-1]
	}
	return s, nil
}

// clip bounds a recorded string: at most clipBytes, cut on a rune
// boundary, with an ellipsis when cut. Bytes that are not UTF-8 are kept
// as they are; report/ escapes everything it prints.
func clip(s string) string {
	if len(s) <= clipBytes {
		return s
	}
	cut := clipBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// tunnelConn is a connection through a proxy: reads start with what the
// proxy's reader had buffered, and it has no CloseWrite, since a TCP FIN
// to a proxy is not a half-close towards the server.
type tunnelConn struct {
	net.Conn
	br *bufio.Reader
}

func (t *tunnelConn) Read(p []byte) (int, error) {
	if t.br != nil {
		if t.br.Buffered() > 0 {
			return t.br.Read(p)
		}
		t.br = nil
	}
	return t.Conn.Read(p)
}

func tunnel(c net.Conn, br *bufio.Reader) net.Conn {
	if br != nil && br.Buffered() == 0 {
		br = nil
	}
	return &tunnelConn{Conn: c, br: br}
}

func isConnReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
