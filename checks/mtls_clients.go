package checks

// What each client prints when the server refuses its client certificate
// (or its absence): the alert the server sent, worded by each client, with
// what Java prints instead against a server that closes before Java reads
// the alert, and recomputed for a client that stops at TLS 1.2.

import (
	"slices"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// jsseAlerts are the alerts a Java (JSSE) server sends when it refuses a
// client certificate or its absence (measured on OpenJDK 17:
// bad_certificate for none, certificate_unknown or bad_certificate for one
// it does not trust). Go servers send bad_certificate too.
var jsseAlerts = map[string]bool{"bad_certificate": true, "certificate_unknown": true}

// jsseJavaNote is what a Java client prints against a JSSE server that
// refuses it: it is usually still writing when the server closes, and
// reports the closed socket instead of the alert (shared/client-errors.md:
// TLS 1.2 8/8 Broken pipe; TLS 1.3 about half the time, "Error writing to
// server" from HttpsURLConnection, "Broken pipe" from a plain SSLSocket).
func jsseJavaNote(version uint16) string {
	if version == vTLS13 {
		return " — from a Java (JSSE) server often instead: java.io.IOException: Error writing to server (HttpsURLConnection) or java.net.SocketException: Broken pipe"
	}
	return " — from a Java (JSSE) server usually instead: java.net.SocketException: Broken pipe"
}

// mtlsAlertClients are the client lines for the alert that ended attempt
// a, for the mutual-TLS findings.
func mtlsAlertClients(in *Input, a *probe.Attempt) []ClientVerdict {
	if a == nil || a.Error == nil || a.Error.Alert == nil {
		return nil
	}
	if c := in.Env.Client; c != nil && len(c.Versions) > 0 && slices.Max(c.Versions) < vTLS13 && a.VersionID == vTLS13 {
		return []ClientVerdict{{Client: c.Name, Unknown: true,
			Message: "the record holds the server's TLS 1.3 verdict; " + c.Name + " stops at TLS 1.2, where the refusal comes during the handshake (curl exits 35, not 56) with an alert of the server's choosing: run tlsdoctor against the server with this client named to record it"}}
	}
	out := alertClients(a)
	version := a.VersionID
	if version == 0 {
		version = vTLS12 // the handshake failed: TLS 1.2 (TLS 1.3 refusals come after it)
	}
	for i := range out {
		if out[i].Client == "java" && jsseAlerts[a.Error.Alert.Name] {
			out[i].Message += jsseJavaNote(version)
		}
	}
	if c := in.Env.Client; c != nil {
		var kept []ClientVerdict
		for _, v := range out {
			if v.Client == clientFamily(c) {
				kept = append(kept, v)
			}
		}
		if len(kept) > 0 {
			return kept
		}
	}
	return out // every client's line, for a custom client
}

// malformedCAListClients are the lines of a server whose TLS 1.3
// CertificateRequest carries an empty certificate_authorities extension
// and that (its TLS 1.2 answer shows) requires a certificate: Java and Go
// stop at the extension, OpenSSL and curl accept it and meet the
// server's TLS 1.3 refusal, which the record does not hold (Go could not
// get that far).
func malformedCAListClients() []ClientVerdict {
	return []ClientVerdict{
		{Client: "java", Fails: true, Message: "javax.net.ssl.SSLProtocolException: Invalid certificate_authorities extension: insufficient data"},
		{Client: "go", Fails: true, Message: "local error: tls: error decoding message"},
		{Client: "curl", Fails: true, Message: "after the handshake, the server's TLS 1.3 refusal (from OpenSSL servers: curl: (56) OpenSSL SSL_read: OpenSSL/3.0: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0)"},
		{Client: "openssl", Fails: true, Message: "after the handshake, the server's TLS 1.3 refusal (from OpenSSL servers: error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required (SSL alert number 116))"},
	}
}
