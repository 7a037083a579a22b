package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"syscall"

	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// alertNames are the IANA names of TLS alerts (RFC 8446 section 6 and the
// TLS Alerts registry), the spelling users see in Java and OpenSSL logs.
var alertNames = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
	21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure",
	40: "handshake_failure", 41: "no_certificate", 42: "bad_certificate",
	43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
	46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
	49: "access_denied", 50: "decode_error", 51: "decrypt_error",
	60: "export_restriction", 70: "protocol_version", 71: "insufficient_security",
	80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
	100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension",
	111: "certificate_unobtainable", 112: "unrecognized_name",
	113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
	115: "unknown_psk_identity", 116: "certificate_required",
	120: "no_application_protocol", 121: "ech_required",
}

// AlertName returns the IANA name of a TLS alert code.
func AlertName(code uint8) string {
	if n, ok := alertNames[code]; ok {
		return n
	}
	return "alert_" + itoa(int(code))
}

func itoa(n int) string {
	var b [4]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

var tlsAlertType = reflect.TypeOf(tls.AlertError(0))

// alertOf extracts a TLS alert from err by type. crypto/tls reports alerts
// as a *net.OpError ("remote error" when received, "local error" when sent)
// wrapping its unexported alert type, or as the exported tls.AlertError;
// both are uint8 types declared in crypto/tls.
func alertOf(err error) *Alert {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return &Alert{Code: uint8(ae), Name: AlertName(uint8(ae)), Direction: "received"}
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Err == nil {
		return nil
	}
	v := reflect.ValueOf(op.Err)
	if v.Kind() != reflect.Uint8 || v.Type().PkgPath() != tlsAlertType.PkgPath() {
		return nil
	}
	code := uint8(v.Uint())
	dir := "received"
	if op.Op == "local error" {
		dir = "sent"
	}
	return &Alert{Code: code, Name: AlertName(code), Direction: dir}
}

// classify turns an error from stage into a ProbeError. firstBytes are the
// first bytes read from the peer, used to name a non-TLS protocol.
func classify(stage Stage, err error, firstBytes []byte) *ProbeError {
	var de *dial.Error
	if errors.As(err, &de) {
		return classifyDial(de)
	}
	pe := &ProbeError{Stage: stage, Message: err.Error()}
	var dnsErr *net.DNSError
	var rhe tls.RecordHeaderError
	switch {
	case policyRefusal(err) != nil:
		pe.Kind = KindPolicy
		pe.Message = policyRefusal(err).Error()
	case errors.As(err, &dnsErr):
		pe.Kind = KindDNS
		if dnsErr.IsTimeout {
			pe.Kind = KindTimeout
		}
	case errors.As(err, &rhe):
		pe.Kind = KindNotTLS
		pe.FirstBytes = firstBytes
		if len(pe.FirstBytes) == 0 {
			pe.FirstBytes = rhe.RecordHeader[:]
		}
		pe.Protocol = guessProtocol(pe.FirstBytes)
		pe.Message = "the peer's first bytes are not a TLS record"
	case alertOf(err) != nil:
		pe.Kind = KindAlert
		pe.Alert = alertOf(err)
		if pe.Alert.Direction == "sent" {
			pe.Kind = KindLocal
		}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), isTimeout(err):
		pe.Kind = KindTimeout
	case errors.Is(err, context.Canceled):
		pe.Kind = KindCancelled
	case errors.Is(err, syscall.ECONNREFUSED):
		pe.Kind = KindRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		pe.Kind = KindReset
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		pe.Kind = KindNoRoute
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		pe.Kind = KindClosed
		pe.Message = "the peer closed the connection without a TLS alert"
	default:
		pe.Kind = KindOther
		if stage == StageHandshake {
			// crypto/tls reports protocol violations it detects itself as
			// plain errors after sending an alert.
			pe.Kind = KindLocal
		}
	}
	return pe
}

// classifyDial classifies a failure of the dial layer: the stage it
// names, and a kind from what the peer answered or, for a network error,
// from the error.
func classifyDial(de *dial.Error) *ProbeError {
	stage := Stage(de.Stage)
	var pe *ProbeError
	if de.Err != nil {
		pe = classify(stage, de.Err, nil)
		if pe.Kind == KindOther && stage != StageConnect {
			pe.Kind = KindProtocolError
		}
	} else {
		pe = &ProbeError{Stage: stage}
	}
	switch de.Kind {
	case dial.KindRefused:
		pe.Kind = KindProxyRefused
	case dial.KindUnsupported:
		pe.Kind = KindStartTLSUnsupported
	case dial.KindRejected:
		pe.Kind = KindStartTLSRejected
	case dial.KindMalformed:
		pe.Kind = KindProtocolError
	}
	if stage != StageConnect {
		pe.Message = de.Error()
	}
	pe.Step = de.Step
	return pe
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// guessProtocol names the protocol a non-TLS peer speaks from its first
// bytes. It only names what is unambiguous.
func guessProtocol(b []byte) string {
	switch {
	case len(b) == 0:
		return ""
	case bytes.HasPrefix(b, []byte("HTTP/")):
		return "HTTP"
	case bytes.HasPrefix(b, []byte("SSH-")):
		return "SSH"
	case bytes.HasPrefix(b, []byte("220")) && (bytes.Contains(b, []byte("SMTP")) || bytes.Contains(b, []byte("ESMTP"))):
		return "SMTP"
	case bytes.HasPrefix(b, []byte("220")):
		return "FTP or SMTP"
	case bytes.HasPrefix(b, []byte("+OK")):
		return "POP3"
	case bytes.HasPrefix(b, []byte("* OK")):
		return "IMAP"
	case bytes.HasPrefix(b, []byte("<html")), bytes.HasPrefix(b, []byte("<!DOCTYPE")), bytes.HasPrefix(bytes.ToLower(b), []byte("<!doctype")):
		return "HTTP"
	}
	if isPrintable(b) {
		return "a text protocol"
	}
	return ""
}

func isPrintable(b []byte) bool {
	for _, c := range b {
		if c != '\r' && c != '\n' && c != '\t' && (c < 0x20 || c > 0x7e) {
			return false
		}
	}
	return strings.TrimSpace(string(b)) != ""
}
