package checks

import "testing"

// alertMessages must reproduce what the clients printed on these machines
// (shared/client-errors.md), including OpenSSL's error code 0x0A000000 +
// 1000 + alert and curl's exit 35 (during) vs 56 (after the handshake).
func TestAlertMessagesMatchMeasuredClients(t *testing.T) {
	cases := []struct {
		name              string
		code              uint8
		after             bool
		java, curl, goMsg string
	}{
		{"protocol_version", 70, false,
			"javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version",
			"curl: (35) OpenSSL/3.0: error:0A00042E:SSL routines::tlsv1 alert protocol version",
			"remote error: tls: protocol version not supported"},
		{"handshake_failure", 40, false,
			"javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure",
			"curl: (35) OpenSSL/3.0: error:0A000410:SSL routines::sslv3 alert handshake failure",
			"remote error: tls: handshake failure"},
		{"certificate_required", 116, true,
			"javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_required",
			"curl: (56) OpenSSL SSL_read: OpenSSL/3.0: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0",
			"remote error: tls: certificate required"},
		{"unknown_ca", 48, true,
			"javax.net.ssl.SSLHandshakeException: Received fatal alert: unknown_ca",
			"curl: (56) OpenSSL SSL_read: OpenSSL/3.0: error:0A000418:SSL routines::tlsv1 alert unknown ca, errno 0",
			"remote error: tls: unknown certificate authority"},
		{"certificate_expired", 45, true,
			"javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_expired",
			"curl: (56) OpenSSL SSL_read: OpenSSL/3.0: error:0A000415:SSL routines::sslv3 alert certificate expired, errno 0",
			"remote error: tls: expired certificate"},
	}
	for _, c := range cases {
		got := map[string]string{}
		for _, v := range alertMessages(c.name, c.code, c.after) {
			got[v.Client] = v.Message
			if !v.Fails {
				t.Errorf("%s: %s marked as connecting", c.name, v.Client)
			}
		}
		for client, want := range map[string]string{"java": c.java, "curl": c.curl, "go": c.goMsg} {
			if got[client] != want {
				t.Errorf("%s %s:\n got %q\nwant %q", c.name, client, got[client], want)
			}
		}
	}
}
