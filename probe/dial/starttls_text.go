package dial

// The line-based protocols: SMTP and LMTP, IMAP, POP3, FTP, ManageSieve
// and NNTP. Each reads the greeting, asks for the capabilities where the
// protocol has them (to tell "not offered" from "refused"), and sends the
// upgrade command.

import (
	"strconv"
	"strings"
)

// ourName is the name we greet with (EHLO, LHLO): syntactically valid,
// and reserved so that it is never anyone's real host (RFC 2606).
const ourName = "tlsdoctor.invalid"

// maxReplyLines bounds one multi-line reply (the byte cap bounds it too).
const maxReplyLines = 200

// smtpReply reads one SMTP reply ("250-..." lines, then "250 ...").
func (x *exchange) smtpReply() (int, []string, error) {
	var lines []string
	for len(lines) < maxReplyLines {
		l, err := x.line()
		if err != nil {
			return 0, lines, err
		}
		if len(l) < 3 || !digits(l[:3]) || (len(l) > 3 && l[3] != ' ' && l[3] != '-') {
			return 0, lines, x.fail(KindMalformed, "the server's answer is not an SMTP reply: %q", clip(l))
		}
		lines = append(lines, l)
		if len(l) == 3 || l[3] == ' ' {
			code, _ := strconv.Atoi(l[:3])
			return code, lines, nil
		}
	}
	return 0, lines, x.fail(KindMalformed, "the server's reply has more than %d lines", maxReplyLines)
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func lastLine(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return clip(lines[len(lines)-1])
}

func smtp(x *exchange, hello string) error {
	code, lines, err := x.smtpReply()
	if err != nil {
		return err
	}
	if code != 220 {
		return x.fail(KindRejected, "the server's greeting is not 220 (ready): %q", lastLine(lines))
	}
	x.step = "capabilities"
	if err := x.send(hello + " " + ourName); err != nil {
		return err
	}
	code, lines, err = x.smtpReply()
	if err != nil {
		return err
	}
	if code != 250 {
		return x.fail(KindRejected, "the server refused %s: %q", hello, lastLine(lines))
	}
	offered := false
	for _, l := range lines {
		if len(l) > 4 && strings.EqualFold(firstWord(l[4:]), "STARTTLS") {
			offered = true
		}
	}
	if !offered {
		return x.fail(KindUnsupported, "the server's %s answer does not list STARTTLS", hello)
	}
	x.step = "upgrade"
	if err := x.send("STARTTLS"); err != nil {
		return err
	}
	code, lines, err = x.smtpReply()
	if err != nil {
		return err
	}
	if code != 220 {
		return x.fail(KindRejected, "the server refused STARTTLS: %q", lastLine(lines))
	}
	return nil
}

// imapTagged reads lines up to the tagged answer to tag and returns it,
// with the untagged lines before it.
func (x *exchange) imapTagged(tag string) (string, []string, error) {
	var untagged []string
	for len(untagged) < maxReplyLines {
		l, err := x.line()
		if err != nil {
			return "", untagged, err
		}
		if strings.HasPrefix(l, tag+" ") {
			return strings.TrimPrefix(l, tag+" "), untagged, nil
		}
		untagged = append(untagged, l)
	}
	return "", untagged, x.fail(KindMalformed, "no answer to %s after %d lines", tag, maxReplyLines)
}

func imapHasStartTLS(l string) bool {
	for _, w := range strings.Fields(strings.NewReplacer("[", " ", "]", " ").Replace(l)) {
		if strings.EqualFold(w, "STARTTLS") {
			return true
		}
	}
	return false
}

func imapCapabilityLine(l string) bool {
	u := strings.ToUpper(l)
	return strings.HasPrefix(u, "* CAPABILITY ") || strings.Contains(u, "[CAPABILITY ")
}

func imap(x *exchange) error {
	g, err := x.line()
	if err != nil {
		return err
	}
	ug := strings.ToUpper(g)
	switch {
	case strings.HasPrefix(ug, "* OK"):
	case strings.HasPrefix(ug, "* PREAUTH"):
		return x.fail(KindRejected, "the server pre-authenticated the connection (PREAUTH), after which STARTTLS is not allowed: %q", clip(g))
	case strings.HasPrefix(ug, "* BYE"):
		return x.fail(KindRejected, "the server refused the connection: %q", clip(g))
	default:
		return x.fail(KindMalformed, "the server's greeting is not IMAP: %q", clip(g))
	}
	x.step = "capabilities"
	caps, known := "", false
	if imapCapabilityLine(g) {
		caps, known = g, true
	} else {
		if err := x.send("a1 CAPABILITY"); err != nil {
			return err
		}
		st, untagged, err := x.imapTagged("a1")
		if err != nil {
			return err
		}
		for _, l := range untagged {
			if imapCapabilityLine(l) {
				caps, known = l, true
			}
		}
		if !strings.HasPrefix(strings.ToUpper(st), "OK") {
			known = false
		}
	}
	if known && !imapHasStartTLS(caps) {
		return x.fail(KindUnsupported, "the server's capabilities do not list STARTTLS")
	}
	x.step = "upgrade"
	if err := x.send("a2 STARTTLS"); err != nil {
		return err
	}
	st, _, err := x.imapTagged("a2")
	if err != nil {
		return err
	}
	if !strings.HasPrefix(strings.ToUpper(st), "OK") {
		kind := KindRejected
		if !known && strings.HasPrefix(strings.ToUpper(st), "BAD") {
			kind = KindUnsupported
		}
		return x.fail(kind, "the server refused STARTTLS: %q", clip("a2 "+st))
	}
	return nil
}

// dotList reads the lines of a list up to its "." line (POP3's CAPA and
// NNTP's CAPABILITIES answers, after their status line) and says whether
// one of them starts with word.
func (x *exchange) dotList(what, word string) (bool, error) {
	found := false
	for n := 0; ; n++ {
		if n > maxReplyLines {
			return false, x.fail(KindMalformed, "the %s answer has more than %d lines", what, maxReplyLines)
		}
		c, err := x.line()
		if err != nil {
			return false, err
		}
		if c == "." {
			return found, nil
		}
		if strings.EqualFold(firstWord(c), word) {
			found = true
		}
	}
}

// firstWord is the first space-separated word of s, "" for none.
func firstWord(s string) string {
	if w := strings.Fields(s); len(w) > 0 {
		return w[0]
	}
	return ""
}

func pop3(x *exchange) error {
	g, err := x.line()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(g, "+OK") {
		if strings.HasPrefix(g, "-ERR") {
			return x.fail(KindRejected, "the server refused the connection: %q", clip(g))
		}
		return x.fail(KindMalformed, "the server's greeting is not POP3: %q", clip(g))
	}
	x.step = "capabilities"
	if err := x.send("CAPA"); err != nil {
		return err
	}
	l, err := x.line()
	if err != nil {
		return err
	}
	known, offered := strings.HasPrefix(l, "+OK"), false
	if known {
		if offered, err = x.dotList("CAPA", "STLS"); err != nil {
			return err
		}
	}
	if known && !offered {
		return x.fail(KindUnsupported, "the server's CAPA answer does not list STLS")
	}
	x.step = "upgrade"
	if err := x.send("STLS"); err != nil {
		return err
	}
	l, err = x.line()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(l, "+OK") {
		kind := KindRejected
		if !known {
			kind = KindUnsupported
		}
		return x.fail(kind, "the server refused STLS: %q", clip(l))
	}
	return nil
}

// ftpReply reads one FTP reply: "ddd text", or "ddd-text" up to a line
// that starts with the same code and a space (RFC 959 section 4.2): its
// code and its lines.
func (x *exchange) ftpReply() (int, []string, error) {
	l, err := x.line()
	if err != nil {
		return 0, nil, err
	}
	if len(l) < 3 || !digits(l[:3]) || (len(l) > 3 && l[3] != ' ' && l[3] != '-') {
		return 0, nil, x.fail(KindMalformed, "the server's answer is not an FTP reply: %q", clip(l))
	}
	code, _ := strconv.Atoi(l[:3])
	lines := []string{l}
	if len(l) > 3 && l[3] == '-' {
		for {
			if len(lines) > maxReplyLines {
				return 0, nil, x.fail(KindMalformed, "the server's reply has more than %d lines", maxReplyLines)
			}
			next, err := x.line()
			if err != nil {
				return 0, nil, err
			}
			lines = append(lines, next)
			if strings.HasPrefix(next, l[:3]+" ") || next == l[:3] {
				break
			}
		}
	}
	return code, lines, nil
}

func ftp(x *exchange) error {
	code, lines, err := x.ftpReply()
	if err != nil {
		return err
	}
	if code != 220 {
		return x.fail(KindRejected, "the server's greeting is not 220 (ready): %q", lastLine(lines))
	}
	// FEAT (RFC 2389) lists AUTH TLS when it is offered: some servers
	// answer AUTH TLS without TLS configured with a login error (vsftpd:
	// 530), not with "not implemented".
	x.step = "capabilities"
	if err := x.send("FEAT"); err != nil {
		return err
	}
	code, lines, err = x.ftpReply()
	if err != nil {
		return err
	}
	feats := false
	for _, f := range lines[1:] {
		if w := strings.Fields(strings.ToUpper(f)); len(w) >= 2 && w[0] == "AUTH" && strings.Contains(strings.Join(w[1:], " "), "TLS") {
			feats = true
		}
	}
	if code == 211 && !feats {
		return x.fail(KindUnsupported, "the server's FEAT answer does not list AUTH TLS")
	}
	x.step = "upgrade"
	if err := x.send("AUTH TLS"); err != nil {
		return err
	}
	code, lines, err = x.ftpReply()
	if err != nil {
		return err
	}
	last := lastLine(lines)
	switch {
	case code == 234:
		return nil
	case code == 500 || code == 502 || code == 504:
		// Not understood, not implemented, or not for this parameter.
		return x.fail(KindUnsupported, "the server does not implement AUTH TLS: %q", last)
	}
	return x.fail(KindRejected, "the server refused AUTH TLS: %q", last)
}

// sieveResponse reads lines up to an OK, NO or BYE response (RFC 5804).
func (x *exchange) sieveResponse() (string, []string, error) {
	var lines []string
	for len(lines) < maxReplyLines {
		l, err := x.line()
		if err != nil {
			return "", lines, err
		}
		u := strings.ToUpper(l)
		if u == "OK" || u == "NO" || u == "BYE" || strings.HasPrefix(u, "OK ") || strings.HasPrefix(u, "NO ") || strings.HasPrefix(u, "BYE ") ||
			strings.HasPrefix(u, "OK(") || strings.HasPrefix(u, "NO(") || strings.HasPrefix(u, "BYE(") {
			return l, lines, nil
		}
		lines = append(lines, l)
	}
	return "", lines, x.fail(KindMalformed, "no OK after %d capability lines", maxReplyLines)
}

func sieve(x *exchange) error {
	end, caps, err := x.sieveResponse()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(strings.ToUpper(end), "OK") {
		return x.fail(KindRejected, "the server refused the connection: %q", clip(end))
	}
	if len(caps) == 0 || !strings.HasPrefix(caps[0], "\"") {
		return x.fail(KindMalformed, "the server's greeting is not ManageSieve capabilities: %q", clip(end))
	}
	x.step = "capabilities"
	offered := false
	for _, c := range caps {
		if strings.EqualFold(firstWord(c), `"STARTTLS"`) {
			offered = true
		}
	}
	if !offered {
		return x.fail(KindUnsupported, "the server's capabilities do not list STARTTLS")
	}
	x.step = "upgrade"
	if err := x.send("STARTTLS"); err != nil {
		return err
	}
	end, _, err = x.sieveResponse()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(strings.ToUpper(end), "OK") {
		return x.fail(KindRejected, "the server refused STARTTLS: %q", clip(end))
	}
	return nil
}

func nntp(x *exchange) error {
	g, err := x.line()
	if err != nil {
		return err
	}
	if len(g) < 3 || !digits(g[:3]) {
		return x.fail(KindMalformed, "the server's greeting is not NNTP: %q", clip(g))
	}
	if g[:3] != "200" && g[:3] != "201" {
		return x.fail(KindRejected, "the server refused the connection: %q", clip(g))
	}
	x.step = "capabilities"
	if err := x.send("CAPABILITIES"); err != nil {
		return err
	}
	l, err := x.line()
	if err != nil {
		return err
	}
	known, offered := strings.HasPrefix(l, "101"), false
	if known {
		if offered, err = x.dotList("CAPABILITIES", "STARTTLS"); err != nil {
			return err
		}
	}
	if known && !offered {
		return x.fail(KindUnsupported, "the server's CAPABILITIES do not list STARTTLS")
	}
	x.step = "upgrade"
	if err := x.send("STARTTLS"); err != nil {
		return err
	}
	l, err = x.line()
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(l, "382"):
		return nil
	case strings.HasPrefix(l, "500") || strings.HasPrefix(l, "501") || (!known && strings.HasPrefix(l, "502")):
		return x.fail(KindUnsupported, "the server does not implement STARTTLS: %q", clip(l))
	}
	return x.fail(KindRejected, "the server refused STARTTLS: %q", clip(l))
}
