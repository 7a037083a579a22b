package dial_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

var (
	certOnce sync.Once
	testCert tls.Certificate
)

// serverCert is a self-signed certificate for the fakes' TLS side.
func serverCert(t testing.TB) tls.Certificate {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake.test"}, DNSNames: []string{"fake.test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		testCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	})
	return testCert
}

// fake serves each connection with handle until the test ends, on
// 127.0.0.1; it returns the port.
func fake(t testing.TB, handle func(c net.Conn)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// step is one turn of a scripted plain-text server: read a line that
// starts with expect (none when expect is empty), then write reply.
type step struct{ expect, reply string }

// scripted is a line-based fake: it plays steps, then, when tlsAfter,
// completes a TLS handshake as the server.
func scripted(t testing.TB, steps []step, tlsAfter bool) int {
	cert := serverCert(t)
	return fake(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for _, s := range steps {
			if s.expect != "" {
				l, err := br.ReadString('\n')
				if err != nil || !strings.HasPrefix(l, s.expect) {
					return
				}
			}
			if _, err := c.Write([]byte(s.reply)); err != nil {
				return
			}
		}
		if tlsAfter {
			_ = tlsServer(c, br, cert)
			return
		}
		// Hold the connection until the client goes.
		_, _ = br.ReadString(0)
	})
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// dialPort dials 127.0.0.1:port with o, as name.
func dialPort(t testing.TB, o dial.Options, port int) (net.Conn, *dial.Log, error) {
	t.Helper()
	d, err := dial.New(o, dial.Target{Host: "127.0.0.1", Port: port, Name: "fake.test"})
	if err != nil {
		t.Fatal(err)
	}
	return d.Dial(ctxT(t, 5*time.Second), "127.0.0.1:"+strconv.Itoa(port))
}

// handshake completes a TLS handshake on c, as a client.
func handshake(t testing.TB, c net.Conn) {
	t.Helper()
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: "fake.test"})
	if err := tc.HandshakeContext(ctxT(t, 5*time.Second)); err != nil {
		t.Fatalf("TLS handshake after the exchange: %v", err)
	}
}

// bufConn reads what a bufio.Reader still holds before the connection.
type bufConn struct {
	net.Conn
	br *bufio.Reader
}

func (b bufConn) Read(p []byte) (int, error) { return b.br.Read(p) }

// tlsServer completes a TLS handshake as the server on c (after what br
// buffered, when br is not nil) and holds the connection a moment.
func tlsServer(c net.Conn, br *bufio.Reader, cert tls.Certificate) error {
	var nc net.Conn = c
	if br != nil {
		nc = bufConn{Conn: c, br: br}
	}
	tc := tls.Server(nc, &tls.Config{Certificates: []tls.Certificate{cert}})
	err := tc.Handshake()
	if err == nil {
		_, _ = tc.Read(make([]byte, 1))
	}
	return err
}
