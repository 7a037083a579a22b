package dial

// XMPP (RFC 6120 section 5): open a stream to the server's domain, read
// its features, ask for <starttls/>, wait for <proceed/>.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

const (
	nsStreams = "http://etherx.jabber.org/streams"
	nsTLS     = "urn:ietf:params:xml:ns:xmpp-tls"
)

// teeBytes records what the XML decoder reads. It is an io.ByteReader,
// so the decoder reads through it byte by byte and never past the
// element it needs.
type teeBytes struct {
	r   io.ByteReader
	buf bytes.Buffer
}

func (t *teeBytes) ReadByte() (byte, error) {
	b, err := t.r.ReadByte()
	if err == nil && t.buf.Len() < clipBytes+1 {
		t.buf.WriteByte(b)
	}
	return b, err
}

func (t *teeBytes) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := t.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

// flush records what was read since the last flush as one server line.
func (t *teeBytes) flush(x *exchange) {
	if s := strings.TrimSpace(t.buf.String()); s != "" {
		x.record("server", s)
	}
	t.buf.Reset()
}

func xmpp(x *exchange, ns string) error {
	var to bytes.Buffer
	_ = xml.EscapeText(&to, []byte(x.name))
	open := "<?xml version='1.0'?><stream:stream xmlns='" + ns + "' xmlns:stream='" + nsStreams + "' to='" + to.String() + "' version='1.0'>"
	if err := x.sendRaw([]byte(open), open); err != nil {
		return err
	}
	tee := &teeBytes{r: x.br}
	dec := xml.NewDecoder(tee)
	dec.Strict = true
	defer tee.flush(x)
	next := func() (xml.StartElement, error) {
		for {
			tok, err := dec.RawToken()
			if err != nil {
				var se *xml.SyntaxError
				if errors.As(err, &se) {
					return xml.StartElement{}, x.fail(KindMalformed, "the server's answer is not XMPP XML: %s", se.Msg)
				}
				return xml.StartElement{}, err
			}
			if s, ok := tok.(xml.StartElement); ok {
				return s, nil
			}
		}
	}
	// RawToken does not resolve prefixes: compare local names, and the
	// stream prefix the server declared.
	root, err := next()
	if err != nil {
		return err
	}
	if root.Name.Local != "stream" {
		return x.fail(KindMalformed, "the server did not open an XMPP stream (got <%s>)", root.Name.Local)
	}
	x.step = "capabilities"
	offered := false
	depth := 0
features:
	for {
		tok, err := dec.RawToken()
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return x.fail(KindMalformed, "the server's answer is not XMPP XML: %s", se.Msg)
			}
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && t.Name.Local == "error":
				tee.flush(x)
				return x.fail(KindRejected, "the server closed the stream with an error%s", xmppErrorCondition(dec))
			case depth == 2 && t.Name.Local == "starttls":
				offered = true
			}
		case xml.EndElement:
			depth--
			if depth == 0 && t.Name.Local == "features" {
				break features
			}
			if depth < 0 {
				tee.flush(x)
				return x.fail(KindRejected, "the server closed the stream before sending its features")
			}
		}
	}
	tee.flush(x)
	if !offered {
		return x.fail(KindUnsupported, "the server's stream features do not include <starttls/>")
	}
	x.step = "upgrade"
	req := "<starttls xmlns='" + nsTLS + "'/>"
	if err := x.sendRaw([]byte(req), req); err != nil {
		return err
	}
	el, err := next()
	if err != nil {
		return err
	}
	switch el.Name.Local {
	case "proceed":
		return nil
	case "failure":
		return x.fail(KindRejected, "the server answered <starttls/> with <failure/>")
	case "error":
		tee.flush(x)
		return x.fail(KindRejected, "the server closed the stream with an error%s", xmppErrorCondition(dec))
	}
	return x.fail(KindMalformed, "the server answered <starttls/> with <%s>", el.Name.Local)
}

// xmppErrorCondition reads the defined condition of a stream error
// (<host-unknown/>, ...), best effort.
func xmppErrorCondition(dec *xml.Decoder) string {
	for i := 0; i < 8; i++ {
		tok, err := dec.RawToken()
		if err != nil {
			return ""
		}
		if s, ok := tok.(xml.StartElement); ok && s.Name.Local != "text" {
			return ": " + s.Name.Local
		}
	}
	return ""
}
