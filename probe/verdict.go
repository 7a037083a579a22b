package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// When and how the probe asks for the server's verdict on our client
// certificate (or its absence) after a handshake that requested one.
//
// A TLS 1.3 server judges the certificate after its Finished, so its alert
// comes with the first read. An HTTP server may judge it in its HTTP layer
// instead: nginx with `ssl_verify_client on` completes the handshake (TLS
// 1.2 or 1.3) without a certificate and answers every request with 400. So
// the probe asks with an HTTP request whenever the service is, or may be,
// HTTP: ALPN said http/1.1 or h2, the target is an https:// URL or port
// 443, or, the protocol being unknown, the service turns out to answer
// HTTP. The port alone never decides: partner.example:8443 is HTTP too.

// verdictPlan is how to learn the verdict.
type verdictPlan int

const (
	// planNone: nothing to ask (TLS 1.2 with a negotiated non-HTTP
	// protocol: the verdict came in the handshake).
	planNone verdictPlan = iota
	// planRead: a bounded read, where a TLS 1.3 alert arrives; if the
	// server stays quiet and the protocol is unknown, then an HTTP request.
	planRead
	// planHTTP: the service speaks HTTP; ask with a request.
	planHTTP
	// planProbeHTTP: TLS 1.2, protocol unknown: the TLS verdict came in
	// the handshake, but the service may judge in its HTTP layer; send a
	// request and see whether it answers HTTP.
	planProbeHTTP
)

// schemeNotHTTP marks, in the copy of the target waitVerdict gets, a
// service known not to speak HTTP (after STARTTLS): no HTTP request is
// ever sent to it.
const schemeNotHTTP = "(not http)"

func planVerdict(version uint16, t Target, alpn string) verdictPlan {
	switch {
	case t.Scheme == schemeNotHTTP && version == tls.VersionTLS13:
		return planRead
	case t.Scheme == schemeNotHTTP:
		return planNone
	case alpn == "http/1.1" || alpn == "h2":
		return planHTTP
	case alpn == "" && (t.Scheme == "https" || t.Port == 443):
		return planHTTP
	case version == tls.VersionTLS13:
		return planRead
	case alpn == "":
		return planProbeHTTP
	}
	return planNone
}

// wantsVerdict reports whether to ask for the server's verdict on our
// client certificate after a handshake that requested one.
func wantsVerdict(version uint16, t Target, alpn string) bool {
	return planVerdict(version, t, alpn) != planNone
}

// httpRequest is the HEAD request the probe sends.
func httpRequest(t Target) string {
	path := t.Path
	if path == "" {
		path = "/"
	}
	return "HEAD " + path + " HTTP/1.1\r\nHost: " + hostHeader(t) + "\r\nUser-Agent: tlsdoctor\r\nConnection: close\r\n\r\n"
}

func hostHeader(t Target) string {
	host := t.Host
	if IsIP(host) && strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if t.Port != 443 {
		host += ":" + strconv.Itoa(t.Port)
	}
	return host
}

// readStatusLine reads the HTTP status line, and at most MaxLine of it:
// a server that answers with an endless line must not fill memory or the
// record. A longer line is kept short and says so.
func readStatusLine(r io.Reader) (string, error) {
	line, err := readLine(limitedReader(r, MaxLine+2), MaxLine)
	if errors.Is(err, ErrLineTooLong) {
		return clamp(line, 200) + fmt.Sprintf(" (no end of line within %d bytes)", MaxLine), nil
	}
	return line, err
}

// probeHTTPAfterQuiet runs after a TLS 1.3 read in which the server
// neither objected nor spoke, on a service whose protocol is unknown: one
// HTTP request, bounded by deadline, tells whether it is an HTTP server
// that judges the certificate in its HTTP layer. The read's verdict stands
// unless an HTTP status line or an alert comes back.
func probeHTTPAfterQuiet(conn *tls.Conn, t Target, deadline time.Time, ph *PostHandshake) *PostHandshake {
	_ = conn.SetDeadline(deadline)
	ph.HTTPProbe = true
	if _, err := conn.Write([]byte(httpRequest(t))); err != nil {
		return ph
	}
	line, err := readStatusLine(conn)
	switch {
	case strings.HasPrefix(line, "HTTP/"):
		ph.HTTPStatus, ph.Verdict = line, "accepted"
	case line == "" && err != nil:
		if pe := classify(StagePostHandshake, err, nil); pe.Kind == KindAlert && pe.Alert.Code != 0 {
			ph.Verdict, ph.Error = "rejected", pe
		}
	}
	return ph
}

// httpVerdict asks with one request, HTTP/1.1 or (ALPN h2) HTTP/2, and
// records the status line. probe marks a service whose protocol was
// unknown: a connection that gives no HTTP answer is then "not-http", not
// a verdict on our certificate.
func httpVerdict(ctx context.Context, conn *tls.Conn, t Target, alpn string, deadline time.Time, probe bool) *PostHandshake {
	ph := &PostHandshake{Method: "http", HTTPProbe: probe}
	_ = conn.SetDeadline(deadline)
	var line string
	var err error
	if alpn == "h2" {
		line, err = h2Status(ctx, conn, t, deadline)
	} else {
		if _, err = conn.Write([]byte(httpRequest(t))); err == nil {
			line, err = readStatusLine(conn)
		}
	}
	if strings.HasPrefix(line, "HTTP/") || (line != "" && !probe) {
		ph.HTTPStatus, ph.Verdict = line, "accepted"
		return ph
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	ph = verdictFromErr(ph, err)
	if probe && ph.Verdict != "rejected" {
		// No HTTP answer from a service that may not speak HTTP at all:
		// it says nothing about our certificate.
		ph.Verdict, ph.Error = "not-http", nil
	}
	return ph
}

// maxH2Header bounds the HTTP/2 response headers read.
const maxH2Header = 16 << 10

// h2Status sends one HEAD request over HTTP/2 on the established
// connection (net/http's HTTP/2 client, handed the connection) and
// returns "HTTP/2.0 400 Bad Request"-style status text.
func h2Status(ctx context.Context, conn *tls.Conn, t Target, deadline time.Time) (string, error) {
	used := false
	tr := &http.Transport{
		ForceAttemptHTTP2:      true,
		MaxResponseHeaderBytes: maxH2Header,
		DialTLSContext: func(context.Context, string, string) (net.Conn, error) {
			if used {
				return nil, io.ErrClosedPipe
			}
			used = true
			return conn, nil
		},
	}
	defer tr.CloseIdleConnections()
	rctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	path := t.Path
	if path == "" {
		path = "/"
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodHead, "https://"+hostHeader(t)+path, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", "tlsdoctor")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	return resp.Proto + " " + resp.Status, nil
}
