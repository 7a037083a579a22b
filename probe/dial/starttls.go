package dial

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Protocol is a plain-text protocol that upgrades to TLS on the
// connection (STARTTLS and its relatives).
type Protocol struct {
	// Name is the --starttls value: "smtp", "imap", ...
	Name string
	// Ports are the well-known ports --starttls auto picks it for.
	Ports []int
	// ALPN, when set, must be offered in the ClientHello (PostgreSQL 17's
	// direct TLS requires "postgresql").
	ALPN []string
	// Description says what is exchanged, for the usage text and docs.
	Description string
	// speak runs the exchange up to the server's go-ahead; nil for none.
	speak func(*exchange) error
}

// Protocols lists every protocol in a fixed order.
func Protocols() []Protocol {
	return []Protocol{
		{Name: "smtp", Ports: []int{25, 587}, Description: "greeting, EHLO, STARTTLS (RFC 3207)", speak: func(x *exchange) error { return smtp(x, "EHLO") }},
		{Name: "lmtp", Ports: []int{24}, Description: "greeting, LHLO, STARTTLS (RFC 2033)", speak: func(x *exchange) error { return smtp(x, "LHLO") }},
		{Name: "imap", Ports: []int{143}, Description: "greeting, CAPABILITY, STARTTLS (RFC 3501)", speak: imap},
		{Name: "pop3", Ports: []int{110}, Description: "greeting, CAPA, STLS (RFC 2595)", speak: pop3},
		{Name: "ftp", Ports: []int{21}, Description: "greeting, AUTH TLS (RFC 4217)", speak: ftp},
		{Name: "ldap", Ports: []int{389}, Description: "StartTLS extended operation (RFC 4511)", speak: ldap},
		{Name: "postgres", Ports: []int{5432}, Description: "SSLRequest", speak: postgres},
		{Name: "postgres-direct", ALPN: []string{"postgresql"}, Description: "TLS from the first byte with ALPN postgresql (PostgreSQL 17 sslnegotiation=direct)"},
		{Name: "mysql", Ports: []int{3306}, Description: "server handshake, SSLRequest (MySQL, MariaDB)", speak: mysql},
		{Name: "xmpp", Ports: []int{5222}, Description: "client stream, features, <starttls/> (RFC 6120)", speak: func(x *exchange) error { return xmpp(x, "jabber:client") }},
		{Name: "xmpp-server", Ports: []int{5269}, Description: "server stream, features, <starttls/> (RFC 6120)", speak: func(x *exchange) error { return xmpp(x, "jabber:server") }},
		{Name: "sieve", Ports: []int{4190}, Description: "capabilities, STARTTLS (ManageSieve, RFC 5804)", speak: sieve},
		{Name: "nntp", Ports: []int{119}, Description: "greeting, CAPABILITIES, STARTTLS (RFC 4642)", speak: nntp},
	}
}

// ProtocolNames are the --starttls values, in order.
func ProtocolNames() []string {
	var out []string
	for _, p := range Protocols() {
		out = append(out, p.Name)
	}
	return out
}

// LookupProtocol returns the protocol named, or nil.
func LookupProtocol(name string) *Protocol {
	for _, p := range Protocols() {
		if p.Name == name {
			return &p
		}
	}
	return nil
}

// ProtocolForPort is the protocol --starttls auto picks for a port, or
// nil (implicit-TLS ports such as 443, 465, 993, 995, 636 and 990 need
// none).
func ProtocolForPort(port int) *Protocol {
	for _, p := range Protocols() {
		for _, q := range p.Ports {
			if q == port {
				return &p
			}
		}
	}
	return nil
}

// upgrade speaks the protocol on c up to the server's go-ahead.
func (d *Dialer) upgrade(ctx context.Context, c net.Conn, log *Log) error {
	stop := bound(ctx, c)
	defer stop()
	st := &StartTLSExchange{Protocol: d.protocol.Name, Transcript: []Line{}}
	log.StartTLS = st
	x := &exchange{c: c, br: bufio.NewReaderSize(&capReader{r: c, left: maxExchange}, maxLineBytes), log: st, name: d.target.Name, step: "greeting"}
	t0 := time.Now()
	err := d.protocol.speak(x)
	st.DurationMS = ms(time.Since(t0))
	if err != nil {
		var de *Error
		if errors.As(err, &de) {
			return de
		}
		msg := "the connection failed"
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			msg = "the server closed the connection"
		}
		return &Error{Stage: StageStartTLS, Step: x.step, Msg: msg, Err: err}
	}
	st.Upgraded = true
	// Bytes after the go-ahead and before our ClientHello are plain text
	// an attacker may have injected (CVE-2011-0411): drop them, as fixed
	// clients do, and say so.
	st.Leftover = x.br.Buffered()
	return nil
}

// exchange is one plain-text conversation: a bounded reader over the
// server and the transcript being recorded.
type exchange struct {
	c    net.Conn
	br   *bufio.Reader
	log  *StartTLSExchange
	name string
	// step is the step under way: "greeting", "capabilities", "upgrade".
	step     string
	recorded int
}

func (x *exchange) record(from, text string) {
	text = clip(text)
	if len(x.log.Transcript) >= maxLines || x.recorded+len(text) > maxRecordedBytes {
		x.log.Truncated = true
		return
	}
	x.recorded += len(text)
	x.log.Transcript = append(x.log.Transcript, Line{From: from, Text: text})
}

// send writes one command line (CR LF added) and records it.
func (x *exchange) send(line string) error {
	x.record("client", line)
	_, err := io.WriteString(x.c, line+"\r\n")
	return err
}

// sendRaw writes bytes and records desc in their place.
func (x *exchange) sendRaw(b []byte, desc string) error {
	x.record("client", desc)
	_, err := x.c.Write(b)
	return err
}

// line reads one line from the server and records it.
func (x *exchange) line() (string, error) {
	l, err := readLine(x.br)
	if err != nil {
		return "", err
	}
	x.record("server", l)
	return l, nil
}

// fail is a refusal or malformed answer at the current step.
func (x *exchange) fail(kind Kind, format string, args ...any) error {
	return &Error{Stage: StageStartTLS, Kind: kind, Step: x.step, Msg: fmt.Sprintf(format, args...)}
}
