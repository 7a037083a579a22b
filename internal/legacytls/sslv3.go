package legacytls

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// zcrypto's init appends rsa1024min=0 to GODEBUG for the whole process.
// Scanning only reads ServerHellos and never needs it, so undo it: the
// default run's crypto/tls must behave exactly as without this package.
func init() {
	const added = "rsa1024min=0"
	switch g := os.Getenv("GODEBUG"); {
	case g == added:
		os.Unsetenv("GODEBUG")
	case strings.HasSuffix(g, ","+added):
		os.Setenv("GODEBUG", strings.TrimSuffix(g, ","+added))
	}
}

// VersionSSL30 is SSL 3.0's wire version.
const VersionSSL30 = 0x0300

// sendSSLv3 sends an SSL 3.0 ClientHello by hand (zcrypto refuses to
// configure SSL 3.0) and reads the server's first handshake record: a
// ServerHello accepting SSL 3.0 is proof enough, even though the
// handshake cannot be finished.
func sendSSLv3(ctx context.Context, dial DialFunc, h Hello) Result {
	conn, err := open(ctx, dial, h.HalfClose)
	if err != nil {
		return Result{Err: fmt.Errorf("connect: %w", err)}
	}
	defer conn.Close()
	if _, err := conn.Write(sslv3ClientHello(h.Suites)); err != nil {
		return Result{Err: err}
	}
	r := readServerHello(conn)
	r.Silent = conn.read == 0
	return r
}

func sslv3ClientHello(suites []uint16) []byte {
	var body []byte
	body = append(body, 0x03, 0x00) // client_version
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	body = append(body, random...)
	body = append(body, 0) // empty session id
	body = binary.BigEndian.AppendUint16(body, uint16(2*len(suites)))
	for _, s := range suites {
		body = binary.BigEndian.AppendUint16(body, s)
	}
	body = append(body, 1, 0) // compression: null only
	hs := []byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	hs = append(hs, body...)
	rec := []byte{22, 0x03, 0x00, byte(len(hs) >> 8), byte(len(hs))}
	return append(rec, hs...)
}

// readServerHello reads one record and parses a ServerHello or an alert.
func readServerHello(r io.Reader) Result {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Result{Err: fmt.Errorf("reading the server's answer: %w", err)}
	}
	n := int(binary.BigEndian.Uint16(hdr[3:]))
	if n > 1<<14+2048 {
		return Result{Err: errors.New("the server's answer is not a TLS record")}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return Result{Err: fmt.Errorf("reading the server's answer: %w", err)}
	}
	switch hdr[0] {
	case 21: // alert
		if len(body) >= 2 {
			return Result{Alert: body[1], AlertSeen: true, Err: fmt.Errorf("remote error: alert %d", body[1])}
		}
	case 22: // handshake
		// type(1) len(3) version(2) random(32) sid_len(1) sid suite(2)
		if len(body) >= 4+2+32+1 && body[0] == 2 {
			sid := int(body[38])
			if len(body) >= 39+sid+2 {
				return Result{
					Answered: true,
					Version:  binary.BigEndian.Uint16(body[4:6]),
					Suite:    binary.BigEndian.Uint16(body[39+sid:]),
					Err:      errors.New("SSL 3.0 is detected from the ServerHello only"),
				}
			}
		}
	}
	return Result{Err: fmt.Errorf("unexpected answer (record type %d)", hdr[0])}
}
