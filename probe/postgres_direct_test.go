package probe_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// pg17Direct is a fake PostgreSQL 17 server with ssl=on, as
// src/backend/tcop/backend_startup.c (ProcessSSLStartup) and
// src/backend/libpq/be-secure-openssl.c (alpn_cb) behave:
//   - a first byte of 0x16 starts TLS at once (direct SSL);
//   - a ClientHello offering ALPN without "postgresql" is refused with a
//     fatal no_application_protocol alert (alpn_cb returns
//     SSL_TLSEXT_ERR_ALERT_FATAL);
//   - a ClientHello without ALPN completes the handshake, then the
//     server closes the connection ("received direct SSL connection
//     request without ALPN protocol negotiation extension");
//   - any other first byte is the classic startup: an SSLRequest gets
//     'S' and TLS follows.
//
// noALPN counts the handshakes refused after completion for lack of ALPN.
type pg17Direct struct {
	port   int
	mu     sync.Mutex
	noALPN int
	alpn   []string
}

func startPG17Direct(t *testing.T, cert tls.Certificate) *pg17Direct {
	ln := listen(t)
	s := &pg17Direct{port: port(ln)}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"postgresql"}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				first, err := br.Peek(1)
				if err != nil {
					return
				}
				if first[0] != 0x16 {
					req := make([]byte, 8)
					if _, err := io.ReadFull(br, req); err != nil || string(req) != "\x00\x00\x00\x08\x04\xd2\x16\x2f" {
						return
					}
					if _, err := c.Write([]byte{'S'}); err != nil {
						return
					}
				}
				tc := tls.Server(bufConn{c, br}, cfg)
				if err := tc.Handshake(); err != nil {
					return
				}
				st := tc.ConnectionState()
				s.mu.Lock()
				s.alpn = append(s.alpn, st.NegotiatedProtocol)
				if st.NegotiatedProtocol != "postgresql" {
					s.noALPN++
					s.mu.Unlock()
					return // reject: the connection closes
				}
				s.mu.Unlock()
				_, _ = tc.Read(make([]byte, 1)) // hold until the client goes
			}()
		}
	}()
	return s
}

// bufConn reads what a bufio.Reader holds before the connection.
type bufConn struct {
	net.Conn
	br *bufio.Reader
}

func (b bufConn) Read(p []byte) (int, error) { return b.br.Read(p) }

// PostgreSQL 17 direct TLS: --starttls postgres-direct offers ALPN
// postgresql and connects; a ClientHello with other protocols (here h2,
// http/1.1) gets no_application_protocol, and the fix names
// postgres-direct; without ALPN the server completes the handshake and
// drops the connection.
func TestPostgresDirect(t *testing.T) {
	l := testLab(t)
	srv := startPG17Direct(t, l.PKI.TLSCert("leaf", "intermediate"))
	tg := target(srv.port)

	rec := run(t, probe.Options{Target: tg, Connect: dial.Options{StartTLS: "postgres-direct"}, SNICheck: probe.SNICheckOff, NoAIA: true, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}}, 10*time.Second)
	a := rec.Primary()
	if a.Outcome != "ok" || a.ALPN != "postgresql" || strings.Join(a.Offered.ALPN, ",") != "postgresql" {
		t.Fatalf("postgres-direct: outcome %s, ALPN %q offered %q, error %+v", a.Outcome, a.ALPN, a.Offered.ALPN, a.Error)
	}
	if rec.Connection == nil || rec.Connection.StartTLS != "postgres-direct" || a.Dial != nil {
		t.Errorf("connection %+v, dial %+v: want postgres-direct with no plain-text exchange", rec.Connection, a.Dial)
	}

	tg.ALPN = []string{"h2", "http/1.1"}
	rec = run(t, probe.Options{Target: tg, SNICheck: probe.SNICheckOff, NoAIA: true, NoFallback: true, Revocation: probe.RevocationOptions{Mode: probe.RevocationOff}}, 10*time.Second)
	a = rec.Primary()
	if a.Error == nil || a.Error.Alert == nil || a.Error.Alert.Name != "no_application_protocol" {
		t.Fatalf("ALPN h2,http/1.1: error %+v, want the no_application_protocol alert", a.Error)
	}
	fs := checks.Run(rec, checks.Env{Now: time.Now()})
	f := findingByID(fs, "handshake-failed")
	if f == nil {
		t.Fatalf("findings %v, want handshake-failed", findingIDs(fs))
	}
	if cmds := checks.Commands(f.Fix, "tlsdoctor"); len(cmds) == 0 || !strings.Contains(cmds[0], "--starttls postgres-direct") {
		t.Errorf("the fix does not name postgres-direct: %q", checks.FixText(f.Fix))
	}

	// Without ALPN: the handshake completes, then the server closes.
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake without ALPN: %v", err)
	}
	if _, err := tc.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("read after a handshake without ALPN: %v, want the server to close", err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.noALPN != 1 {
		t.Errorf("the fake saw %d handshakes without ALPN, want 1 (negotiated %q)", srv.noALPN, srv.alpn)
	}
}
