package dial_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// The line-based protocols, each as a scripted fake: upgraded, not
// offered, refused.
func TestStartTLSText(t *testing.T) {
	smtpCaps := "250-fake.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
	cases := []struct {
		proto, name string
		steps       []step
		wantKind    dial.Kind // "" means upgraded
		wantStep    string
	}{
		{"smtp", "ok", []step{{"", "220 fake.test ESMTP\r\n"}, {"EHLO tlsdoctor.invalid", smtpCaps}, {"STARTTLS", "220 2.0.0 Ready to start TLS\r\n"}}, "", ""},
		{"smtp", "multi-line greeting", []step{{"", "220-fake.test ESMTP\r\n220 hello\r\n"}, {"EHLO", smtpCaps}, {"STARTTLS", "220 go\r\n"}}, "", ""},
		{"smtp", "no STARTTLS", []step{{"", "220 fake.test ESMTP\r\n"}, {"EHLO", "250-fake.test\r\n250 8BITMIME\r\n"}}, dial.KindUnsupported, "capabilities"},
		{"smtp", "refused", []step{{"", "220 fake.test ESMTP\r\n"}, {"EHLO", smtpCaps}, {"STARTTLS", "454 4.7.0 TLS not available due to local problem\r\n"}}, dial.KindRejected, "upgrade"},
		{"smtp", "busy", []step{{"", "554 5.3.2 no service\r\n"}}, dial.KindRejected, "greeting"},
		{"smtp", "not smtp", []step{{"", "SSH-2.0-OpenSSH_9.2\r\n"}}, dial.KindMalformed, "greeting"},
		{"lmtp", "ok", []step{{"", "220 fake.test LMTP\r\n"}, {"LHLO tlsdoctor.invalid", smtpCaps}, {"STARTTLS", "220 go\r\n"}}, "", ""},
		{"imap", "ok, capabilities in greeting", []step{{"", "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"}, {"a2 STARTTLS", "a2 OK Begin TLS negotiation now\r\n"}}, "", ""},
		{"imap", "ok, CAPABILITY asked", []step{{"", "* OK ready\r\n"}, {"a1 CAPABILITY", "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n"}, {"a2 STARTTLS", "a2 OK go\r\n"}}, "", ""},
		{"imap", "no STARTTLS", []step{{"", "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n"}}, dial.KindUnsupported, "capabilities"},
		{"imap", "refused", []step{{"", "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"}, {"a2 STARTTLS", "a2 NO TLS is broken\r\n"}}, dial.KindRejected, "upgrade"},
		{"imap", "preauth", []step{{"", "* PREAUTH logged in\r\n"}}, dial.KindRejected, "greeting"},
		{"pop3", "ok", []step{{"", "+OK ready\r\n"}, {"CAPA", "+OK\r\nUSER\r\nSTLS\r\n.\r\n"}, {"STLS", "+OK Begin TLS\r\n"}}, "", ""},
		{"pop3", "no STLS", []step{{"", "+OK ready\r\n"}, {"CAPA", "+OK\r\nUSER\r\n.\r\n"}}, dial.KindUnsupported, "capabilities"},
		{"pop3", "no CAPA, STLS unknown", []step{{"", "+OK ready\r\n"}, {"CAPA", "-ERR unknown\r\n"}, {"STLS", "-ERR unknown command\r\n"}}, dial.KindUnsupported, "upgrade"},
		{"ftp", "ok", []step{{"", "220-Welcome\r\n  to the fake\r\n220 ready\r\n"}, {"FEAT", "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n"}, {"AUTH TLS", "234 Proceed with negotiation.\r\n"}}, "", ""},
		{"ftp", "no FEAT", []step{{"", "220 ready\r\n"}, {"FEAT", "500 unknown\r\n"}, {"AUTH TLS", "234 go\r\n"}}, "", ""},
		{"ftp", "not in FEAT", []step{{"", "220 ready\r\n"}, {"FEAT", "211-Features:\r\n PASV\r\n211 End\r\n"}}, dial.KindUnsupported, "capabilities"},
		{"ftp", "not implemented", []step{{"", "220 ready\r\n"}, {"FEAT", "500 unknown\r\n"}, {"AUTH TLS", "502 Command not implemented\r\n"}}, dial.KindUnsupported, "upgrade"},
		{"ftp", "refused", []step{{"", "220 ready\r\n"}, {"FEAT", "211-Features:\r\n AUTH TLS\r\n211 End\r\n"}, {"AUTH TLS", "534 Policy requires SSL\r\n"}}, dial.KindRejected, "upgrade"},
		{"sieve", "ok", []step{{"", "\"IMPLEMENTATION\" \"fake\"\r\n\"SIEVE\" \"fileinto\"\r\n\"STARTTLS\"\r\nOK \"ready\"\r\n"}, {"STARTTLS", "OK \"Begin TLS\"\r\n"}}, "", ""},
		{"sieve", "no STARTTLS", []step{{"", "\"IMPLEMENTATION\" \"fake\"\r\n\"SASL\" \"PLAIN\"\r\nOK\r\n"}}, dial.KindUnsupported, "capabilities"},
		{"sieve", "refused", []step{{"", "\"IMPLEMENTATION\" \"fake\"\r\n\"STARTTLS\"\r\nOK\r\n"}, {"STARTTLS", "NO \"not now\"\r\n"}}, dial.KindRejected, "upgrade"},
		{"nntp", "ok", []step{{"", "200 fake news\r\n"}, {"CAPABILITIES", "101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n"}, {"STARTTLS", "382 Continue with TLS negotiation\r\n"}}, "", ""},
		{"nntp", "no STARTTLS", []step{{"", "200 fake news\r\n"}, {"CAPABILITIES", "101 Capability list:\r\nVERSION 2\r\n.\r\n"}}, dial.KindUnsupported, "capabilities"},
		{"nntp", "refused", []step{{"", "200 fake news\r\n"}, {"CAPABILITIES", "101 Capability list:\r\nSTARTTLS\r\n.\r\n"}, {"STARTTLS", "580 Can not initiate TLS negotiation\r\n"}}, dial.KindRejected, "upgrade"},
	}
	for _, c := range cases {
		t.Run(c.proto+"/"+c.name, func(t *testing.T) {
			p := scripted(t, c.steps, c.wantKind == "")
			conn, log, err := dialPort(t, dial.Options{StartTLS: c.proto}, p)
			if log.StartTLS == nil || log.StartTLS.Protocol != c.proto || len(log.StartTLS.Transcript) == 0 {
				t.Fatalf("log = %+v, want a %s transcript", log.StartTLS, c.proto)
			}
			if c.wantKind == "" {
				if err != nil {
					t.Fatalf("dial: %v; transcript %+v", err, log.StartTLS.Transcript)
				}
				defer conn.Close()
				if !log.StartTLS.Upgraded {
					t.Error("Upgraded = false after the go-ahead")
				}
				handshake(t, conn)
				return
			}
			var de *dial.Error
			if !errors.As(err, &de) || de.Stage != dial.StageStartTLS || de.Kind != c.wantKind || de.Step != c.wantStep {
				t.Fatalf("err = %#v, want stage starttls, kind %s, step %s", err, c.wantKind, c.wantStep)
			}
			if log.StartTLS.Upgraded {
				t.Error("Upgraded = true after a failure")
			}
		})
	}
}

// The transcript keeps what the server said, bounded.
func TestStartTLSTranscriptBounded(t *testing.T) {
	long := strings.Repeat("x", 1000)
	var caps strings.Builder
	caps.WriteString("250-fake.test\r\n")
	for i := 0; i < 100; i++ {
		caps.WriteString("250-" + long[:500] + "\r\n")
	}
	caps.WriteString("250 SIZE\r\n")
	p := scripted(t, []step{{"", "220 " + long + "\r\n"}, {"EHLO", caps.String()}}, false)
	_, log, err := dialPort(t, dial.Options{StartTLS: "smtp"}, p)
	var de *dial.Error
	if !errors.As(err, &de) || de.Kind != dial.KindUnsupported {
		t.Fatalf("err = %v, want unsupported", err)
	}
	st := log.StartTLS
	if !st.Truncated || len(st.Transcript) > 40 {
		t.Errorf("transcript has %d lines, truncated %v; want at most 40 and truncated", len(st.Transcript), st.Truncated)
	}
	total := 0
	for _, l := range st.Transcript {
		total += len(l.Text)
		if len(l.Text) > 310 {
			t.Errorf("a recorded line is %d bytes long", len(l.Text))
		}
	}
	if total > 8<<10 {
		t.Errorf("transcript holds %d bytes", total)
	}
	if !strings.HasPrefix(st.Transcript[0].Text, "220 xxx") || st.Transcript[0].From != "server" || st.Transcript[1].Text != "EHLO tlsdoctor.invalid" {
		t.Errorf("transcript starts %+v", st.Transcript[:2])
	}
}

// A server that never ends its line, or floods, or stalls, is cut off:
// by the line limit, the byte limit, or the context.
func TestStartTLSHostilePeers(t *testing.T) {
	flood := fake(t, func(c net.Conn) {
		junk := []byte(strings.Repeat("220-", 1024))
		for {
			if _, err := c.Write(junk); err != nil {
				return
			}
		}
	})
	lines := fake(t, func(c net.Conn) {
		for {
			if _, err := c.Write([]byte("220-more\r\n")); err != nil {
				return
			}
		}
	})
	stall := fake(t, func(c net.Conn) { time.Sleep(5 * time.Second) })
	for name, p := range map[string]int{"endless line": flood, "endless reply": lines} {
		t.Run(name, func(t *testing.T) {
			t0 := time.Now()
			_, _, err := dialPort(t, dial.Options{StartTLS: "smtp"}, p)
			var de *dial.Error
			if !errors.As(err, &de) || de.Stage != dial.StageStartTLS {
				t.Fatalf("err = %v, want a starttls error", err)
			}
			if time.Since(t0) > 3*time.Second {
				t.Errorf("took %s", time.Since(t0))
			}
		})
	}
	t.Run("stall", func(t *testing.T) {
		d, _ := dial.New(dial.Options{StartTLS: "imap"}, dial.Target{Host: "127.0.0.1", Port: stall})
		t0 := time.Now()
		_, _, err := d.Dial(ctxT(t, 300*time.Millisecond), "127.0.0.1:"+strconv.Itoa(stall))
		if err == nil || time.Since(t0) > 2*time.Second {
			t.Fatalf("err = %v after %s, want a timeout within the context", err, time.Since(t0))
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("err = %v, want a timeout", err)
		}
	})
}

// Bytes after the go-ahead and before the ClientHello are dropped, and
// counted.
func TestStartTLSInjectedBytesDropped(t *testing.T) {
	cert := serverCert(t)
	p := fake(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		_, _ = c.Write([]byte("220 fake ESMTP\r\n"))
		_, _ = br.ReadString('\n')
		_, _ = c.Write([]byte("250-fake\r\n250 STARTTLS\r\n"))
		_, _ = br.ReadString('\n')
		_, _ = c.Write([]byte("220 go ahead\r\n250 injected\r\n"))
		_ = tlsServer(c, br, cert)
	})
	conn, log, err := dialPort(t, dial.Options{StartTLS: "smtp"}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if log.StartTLS.Leftover != len("250 injected\r\n") {
		t.Errorf("leftover = %d, want %d", log.StartTLS.Leftover, len("250 injected\r\n"))
	}
}

// The binary protocols: PostgreSQL, MySQL, LDAP.
func TestStartTLSBinary(t *testing.T) {
	cert := serverCert(t)
	pg := func(answer byte) int {
		return fake(t, func(c net.Conn) {
			var req [8]byte
			if _, err := io.ReadFull(c, req[:]); err != nil || binary.BigEndian.Uint32(req[4:]) != 80877103 {
				return
			}
			_, _ = c.Write([]byte{answer})
			if answer == 'S' {
				_ = tlsServer(c, nil, cert)
			}
		})
	}
	mysql := func(caps uint16) int {
		return fake(t, func(c net.Conn) {
			p := []byte{10}
			p = append(p, "10.11.6-MariaDB-fake\x00"...)
			p = append(p, 1, 0, 0, 0)
			p = append(p, "abcdefgh"...)
			p = append(p, 0)
			p = binary.LittleEndian.AppendUint16(p, caps)
			p = append(p, 0x21, 2, 0, 0, 0)
			pkt := append([]byte{byte(len(p)), 0, 0, 0}, p...)
			_, _ = c.Write(pkt)
			var h [4]byte
			if _, err := io.ReadFull(c, h[:]); err != nil || h[3] != 1 {
				return
			}
			body := make([]byte, int(h[0]))
			if _, err := io.ReadFull(c, body); err != nil || binary.LittleEndian.Uint32(body)&0x800 == 0 {
				return
			}
			_ = tlsServer(c, nil, cert)
		})
	}
	ldap := func(code byte) int {
		return fake(t, func(c net.Conn) {
			req := make([]byte, 31)
			if _, err := io.ReadFull(c, req); err != nil || !strings.Contains(string(req), "1.3.6.1.4.1.1466.20037") {
				return
			}
			diag := "no TLS here"
			resp := []byte{0x0a, 1, code, 0x04, 0, 0x04, byte(len(diag))}
			resp = append(resp, diag...)
			op := append([]byte{0x78, byte(len(resp))}, resp...)
			body := append([]byte{0x02, 1, 1}, op...)
			_, _ = c.Write(append([]byte{0x30, byte(len(body))}, body...))
			if code == 0 {
				_ = tlsServer(c, nil, cert)
			}
		})
	}
	cases := []struct {
		name, proto string
		port        int
		wantKind    dial.Kind
	}{
		{"postgres S", "postgres", pg('S'), ""},
		{"postgres N", "postgres", pg('N'), dial.KindUnsupported},
		{"postgres garbage", "postgres", pg('H'), dial.KindMalformed},
		{"mysql ssl", "mysql", mysql(0xffff), ""},
		{"mysql no ssl", "mysql", mysql(0xffff &^ 0x0800), dial.KindUnsupported},
		{"ldap success", "ldap", ldap(0), ""},
		{"ldap protocolError", "ldap", ldap(2), dial.KindUnsupported},
		{"ldap unavailable", "ldap", ldap(52), dial.KindRejected},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, log, err := dialPort(t, dial.Options{StartTLS: c.proto}, c.port)
			if c.wantKind == "" {
				if err != nil {
					t.Fatalf("dial: %v (%+v)", err, log.StartTLS)
				}
				defer conn.Close()
				handshake(t, conn)
				return
			}
			var de *dial.Error
			if !errors.As(err, &de) || de.Kind != c.wantKind {
				t.Fatalf("err = %v, want kind %s", err, c.wantKind)
			}
			if len(log.StartTLS.Transcript) == 0 {
				t.Errorf("transcript = %+v, want what the server said", log.StartTLS.Transcript)
			}
		})
	}
}

func TestStartTLSXMPP(t *testing.T) {
	cert := serverCert(t)
	srv := func(features, answer string) int {
		return fake(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			open, err := br.ReadString('>')
			if err != nil || !strings.Contains(open, "<?xml") {
				return
			}
			if open, err = br.ReadString('>'); err != nil || !strings.Contains(open, "to='fake.test'") {
				return
			}
			_, _ = c.Write([]byte("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' from='fake.test' version='1.0'>" + features))
			if answer == "" {
				return
			}
			if _, err := br.ReadString('>'); err != nil {
				return
			}
			_, _ = c.Write([]byte(answer))
			if strings.Contains(answer, "proceed") {
				_ = tlsServer(c, br, cert)
			}
		})
	}
	withTLS := "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"
	noTLS := "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"
	cases := []struct {
		name     string
		port     int
		wantKind dial.Kind
	}{
		{"proceed", srv(withTLS, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), ""},
		{"no starttls", srv(noTLS, ""), dial.KindUnsupported},
		{"failure", srv(withTLS, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), dial.KindRejected},
		{"stream error", srv("<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>", ""), dial.KindRejected},
		{"not xml", srv("<<<>>>", ""), dial.KindMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, log, err := dialPort(t, dial.Options{StartTLS: "xmpp"}, c.port)
			if c.wantKind == "" {
				if err != nil {
					t.Fatalf("dial: %v (%+v)", err, log.StartTLS)
				}
				defer conn.Close()
				handshake(t, conn)
				return
			}
			var de *dial.Error
			if !errors.As(err, &de) || de.Kind != c.wantKind {
				t.Fatalf("err = %v, want kind %s; transcript %+v", err, c.wantKind, log.StartTLS.Transcript)
			}
		})
	}
}

func TestProtocolForPort(t *testing.T) {
	for port, want := range map[int]string{25: "smtp", 587: "smtp", 143: "imap", 110: "pop3", 21: "ftp", 389: "ldap", 5432: "postgres",
		3306: "mysql", 5222: "xmpp", 5269: "xmpp-server", 4190: "sieve", 119: "nntp", 443: "", 465: "", 993: "", 995: "", 636: "", 990: ""} {
		got := ""
		if p := dial.ProtocolForPort(port); p != nil {
			got = p.Name
		}
		if got != want {
			t.Errorf("port %d: %q, want %q", port, got, want)
		}
	}
	if p := dial.LookupProtocol("postgres-direct"); p == nil || len(p.ALPN) != 1 || p.ALPN[0] != "postgresql" {
		t.Errorf("postgres-direct = %+v, want ALPN postgresql", p)
	}
}
