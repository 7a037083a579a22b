package probe_test

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// silentServer behaves like Dovecot with an RSA key and no ssl_dh: it
// follows the client's order, and when the first suite it would take is a
// DHE suite it fails and closes the connection without a word; it never
// sends an alert either (a refusal is a silent close too). Everything else
// is a Go TLS server.
func silentServer(t *testing.T, cert tls.Certificate) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	var goSuites []uint16
	for _, cs := range tls.CipherSuites() {
		goSuites = append(goSuites, cs.ID)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				hello, suites, err := readClientHello(c)
				if err != nil {
					return
				}
				for _, id := range suites {
					if ciphersuite.Lookup(id).KeyExchange == "DHE" {
						return // "no DH parameters provided": closed
					}
					if slices.Contains(goSuites, id) {
						break
					}
				}
				srv := tls.Server(&noAlerts{Conn: c, r: io.MultiReader(bytes.NewReader(hello), c)}, cfg)
				_ = srv.Handshake()
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// readClientHello reads the first record and returns it with the cipher
// suites it offers.
func readClientHello(r io.Reader) ([]byte, []uint16, error) {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, err
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, nil, err
	}
	rec := append(hdr, body...)
	// handshake header (4), version (2), random (32), session id.
	if len(body) < 39 || body[0] != 1 {
		return rec, nil, nil
	}
	m := body[38:]
	if len(m) < 1+int(m[0])+2 {
		return rec, nil, nil
	}
	m = m[1+int(m[0]):]
	n := int(binary.BigEndian.Uint16(m))
	m = m[2:]
	var suites []uint16
	for i := 0; i+1 < n && i+1 < len(m); i += 2 {
		suites = append(suites, binary.BigEndian.Uint16(m[i:]))
	}
	return rec, suites, nil
}

// noAlerts replays the hello already read and closes instead of sending an
// alert.
type noAlerts struct {
	net.Conn
	r io.Reader
}

func (c *noAlerts) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *noAlerts) Write(p []byte) (int, error) {
	if len(p) > 0 && p[0] == 21 {
		c.Conn.Close()
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

// A silent close after the ClientHello is no refusal of the version: the
// server may have picked a suite it cannot finish. The scan asks again
// without the DHE suites, finds TLS 1.2 with its ECDHE suites, and counts
// the DHE suites (tested on their own, closed again) as not accepted.
func TestScanSilentCloseOnDHE(t *testing.T) {
	leaf := rsaLeaf(t, time.Now())
	port := silentServer(t, tls.Certificate{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key})
	for _, conns := range []int{1, 4} {
		rec := scan(t, port, probe.ScanOptions{MaxConns: conns})
		v := version(t, rec, "TLS 1.2")
		if !v.Supported {
			t.Fatalf("%d connections: TLS 1.2 recorded as refused (%s), although ECDHE works", conns, v.Refusal)
		}
		for _, su := range v.Suites {
			if kx := ciphersuite.Lookup(su.ID).KeyExchange; kx != "ECDHE" {
				t.Errorf("%d connections: %s (%s) listed as accepted", conns, su.Name, kx)
			}
		}
		if len(v.Suites) < 4 {
			t.Errorf("%d connections: TLS 1.2 suites %v, want Go's ECDHE-RSA suites", conns, suiteNames(v))
		}
		for _, name := range []string{"SSL 3.0", "TLS 1.0", "TLS 1.1"} {
			if version(t, rec, name).Supported {
				t.Errorf("%d connections: %s supported", conns, name)
			}
		}
		if len(rec.Scan.SigAlgs) == 0 || len(rec.Scan.Groups) == 0 {
			t.Errorf("%d connections: signature schemes %v, groups %v: want both found", conns, rec.Scan.SigAlgs, rec.Scan.Groups)
		}
		t.Logf("%d connections: %d handshakes, TLS 1.2 %v", conns, rec.Scan.Handshakes, suiteNames(v))
	}
}
