package checks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

func connectFailed(in *Input) []Finding {
	r := in.Rec
	t := r.Target
	where := hostPort(t.ConnectHost, t.ConnectPort)
	if e := r.DNS.Error; e != nil {
		f := Finding{
			Title:    fmt.Sprintf("cannot resolve %s", t.ConnectHost),
			Evidence: []string{"DNS lookup of " + t.ConnectHost + ": " + e.Message},
		}
		if e.Kind == probe.KindTimeout {
			f.Detail = "The DNS lookup timed out: the resolver did not answer in time."
			f.Remediation = "Check the resolver this machine uses (/etc/resolv.conf) and that it is reachable: `dig " + t.ConnectHost + "`.\n" +
				"To bypass DNS, give the address directly: `tlsdoctor " + t.Host + " --connect-to IP:" + strconv.Itoa(t.ConnectPort) + "`."
		} else {
			f.Detail = "The name does not resolve to any address: it is misspelt, not published in DNS, or only resolvable inside another network (VPN, corporate DNS)."
			f.Remediation = "Check the spelling and look the name up: `dig +short " + t.ConnectHost + "` or `getent hosts " + t.ConnectHost + "`.\n" +
				"If the name is internal, run this from inside that network, or give the address: `tlsdoctor " + t.Host + " --connect-to IP:" + strconv.Itoa(t.ConnectPort) + "`."
		}
		return []Finding{f}
	}
	a := r.Primary()
	if a == nil || a.Error == nil || a.Error.Stage != probe.StageConnect {
		return nil
	}
	e := a.Error
	f := Finding{Evidence: []string{"TCP connect to " + a.Address + ": " + e.Message}}
	if len(r.DNS.Addresses) > 0 && !probe.IsIP(t.ConnectHost) {
		f.Evidence = append(f.Evidence, t.ConnectHost+" resolves to "+strings.Join(r.DNS.Addresses, ", "))
	}
	switch e.Kind {
	case probe.KindRefused:
		f.Title = "connection refused by " + where
		f.Detail = "The host answered but nothing listens on port " + strconv.Itoa(t.ConnectPort) + " (the TCP SYN was refused with a RST). The service is down, listens on another port, or listens only on another address."
		f.Remediation = "Check the port, and on the server that the service is running and listening on this address: `ss -ltnp | grep :" + strconv.Itoa(t.ConnectPort) + "`.\n" +
			"nginx: `listen " + strconv.Itoa(t.ConnectPort) + " ssl;`; Spring Boot: `server.port=" + strconv.Itoa(t.ConnectPort) + "`."
	case probe.KindTimeout:
		f.Title = "connection to " + where + " timed out"
		f.Detail = "No answer to the TCP connection attempt before the timeout: a firewall or security group is dropping the packets, the address is wrong, or the route needs a proxy or VPN."
		f.Remediation = "Check firewalls and security groups between here and " + where + " (allow TCP " + strconv.Itoa(t.ConnectPort) + "), and that the address is right.\n" +
			"Test plain TCP reachability: `nc -vz -w 5 " + t.ConnectHost + " " + strconv.Itoa(t.ConnectPort) + "`. If you go through an HTTP proxy, run tlsdoctor from a host with direct access."
	case probe.KindNoRoute:
		f.Title = "no route to " + where
		f.Detail = "The network says the address is unreachable from this machine."
		f.Remediation = "Check the address, this machine's routes (`ip route get " + t.ConnectHost + "`) and any VPN that the target needs."
	default:
		f.Title = "cannot connect to " + where
		f.Detail = "The TCP connection failed: " + e.Message + "."
		f.Remediation = "Check that the host and port are right and reachable: `nc -vz -w 5 " + t.ConnectHost + " " + strconv.Itoa(t.ConnectPort) + "`."
	}
	return []Finding{f}
}

func hostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

func notTLS(in *Input) []Finding {
	a := in.Rec.Primary()
	if a == nil || a.Error == nil || a.Error.Kind != probe.KindNotTLS {
		return nil
	}
	e := a.Error
	t := in.Rec.Target
	f := Finding{
		Title:    fmt.Sprintf("%s does not speak TLS", hostPort(t.ConnectHost, t.ConnectPort)),
		Evidence: []string{"first bytes received: " + quoteBytes(e.FirstBytes)},
		Clients:  clients("not-tls"),
	}
	port := strconv.Itoa(t.ConnectPort)
	switch e.Protocol {
	case "HTTP":
		f.Title = fmt.Sprintf("%s answers plain HTTP, not HTTPS", hostPort(t.ConnectHost, t.ConnectPort))
		f.Detail = "The server on this port speaks unencrypted HTTP: it answered our TLS ClientHello with an HTTP error. Either this is the HTTP port (the HTTPS one is usually 443 or 8443) or TLS is not enabled on this listener."
		f.Remediation = "Use the server's HTTPS port, or use http:// if plain HTTP is intended.\n" +
			"To serve TLS here: nginx `listen " + port + " ssl;` with `ssl_certificate`/`ssl_certificate_key`; Spring Boot `server.ssl.enabled=true` with `server.ssl.key-store=...`; Apache `SSLEngine on` in the VirtualHost."
	case "":
		f.Detail = "The peer answered our TLS ClientHello with bytes that are not a TLS record."
		f.Remediation = "Check that this is the TLS port of the service. If the protocol starts in plain text and upgrades (SMTP, IMAP, LDAP, PostgreSQL), it needs STARTTLS, not a direct TLS connection."
	default:
		f.Title = fmt.Sprintf("%s speaks %s, not TLS", hostPort(t.ConnectHost, t.ConnectPort), e.Protocol)
		f.Detail = "The server on this port speaks " + e.Protocol + " in plain text. It is the wrong port, or the protocol upgrades to TLS with STARTTLS instead of starting with TLS."
		f.Remediation = "Use the service's implicit-TLS port (for example 465 for SMTP, 993 for IMAP, 995 for POP3, 636 for LDAP), or a STARTTLS-capable client: `openssl s_client -starttls smtp -connect " + hostPort(t.ConnectHost, t.ConnectPort) + "`."
	}
	return []Finding{f}
}

// quoteBytes shows bytes as a Go-quoted string, readable for text.
func quoteBytes(b []byte) string {
	if len(b) == 0 {
		return "(none)"
	}
	return strconv.Quote(string(b))
}

// alertMeanings say what a received alert usually means, most likely
// cause first.
var alertMeanings = map[string]string{
	"handshake_failure":       "the server found nothing acceptable in our ClientHello: no common cipher suite, key-exchange group or signature algorithm, or (TLS 1.2) it requires a client certificate and got none",
	"protocol_version":        "the server does not support any TLS version we offered",
	"insufficient_security":   "the server requires stronger (or different) cipher suites than we offered",
	"unrecognized_name":       "the server does not host the name we sent in SNI",
	"certificate_required":    "the server requires a client certificate (mutual TLS) and none was sent",
	"bad_certificate":         "the server rejected the client certificate (bad signature, wrong key usage, or unparsable)",
	"unsupported_certificate": "the server does not support the client certificate's type or key",
	"certificate_revoked":     "the server says the client certificate is revoked",
	"certificate_expired":     "the server says the client certificate is expired or not yet valid",
	"certificate_unknown":     "the server could not accept the client certificate for an unspecified reason",
	"unknown_ca":              "the server does not trust the CA that issued the client certificate",
	"access_denied":           "the server accepted the client certificate's chain but this identity is not allowed",
	"decrypt_error":           "a signature or key-exchange check failed; with a client certificate, often a key that does not match the certificate",
	"illegal_parameter":       "the server found a field in our handshake it considers invalid",
	"internal_error":          "the server hit an internal error (often a misconfigured certificate or key on the server)",
	"no_application_protocol": "the server supports none of the ALPN protocols offered",
	"inappropriate_fallback":  "the server detected a downgrade retry",
	"decode_error":            "the server could not parse one of our handshake messages",
	"unexpected_message":      "the server received a handshake message it did not expect (often a middlebox or a broken TLS stack)",
}

func handshakeFailed(in *Input) []Finding {
	a := in.Rec.Primary()
	if a == nil || a.Error == nil {
		return nil
	}
	e := a.Error
	if e.Stage != probe.StageHandshake && e.Stage != probe.StagePostHandshake || e.Kind == probe.KindNotTLS {
		return nil
	}
	if mtlsExplainsFailure(in) { // the client-cert-* checks explain it (checks/mtls.go)
		return nil
	}
	if chainExplainsFailure(in) { // unparseable-certificate, chain-too-large, chain-order (checks/chain_order.go)
		return nil
	}
	// The retries name a version, suite or signature mismatch (reported by
	// version-mismatch / cipher-mismatch, or judged per client with
	// --client): the generic alert text would only blur it.
	if _, kind := retryExplanation(in); kind != "" {
		return nil
	}
	t := in.Rec.Target
	where := hostPort(t.ConnectHost, t.ConnectPort)
	f := Finding{Evidence: []string{fmt.Sprintf("offered %s to %s, SNI %s", versionRange(a.Offered), where, orNone(a.Offered.SNI))}}
	when := "during the handshake"
	if e.Stage == probe.StagePostHandshake {
		when = "right after the handshake (TLS 1.3 servers judge the client certificate then)"
	}
	switch e.Kind {
	case probe.KindAlert:
		name := e.Alert.Name
		f.Title = fmt.Sprintf("the server aborted the handshake with alert %s (%d)", name, e.Alert.Code)
		f.Evidence = append(f.Evidence, fmt.Sprintf("received fatal alert %s (%d) %s", name, e.Alert.Code, when))
		if m, ok := alertMeanings[name]; ok {
			f.Detail = "This alert usually means " + m + "."
		} else {
			f.Detail = "The server ended the handshake with this alert."
		}
		f.Clients = alertClients(a)
		f.Remediation = alertRemediation(in, a, name)
	case probe.KindTimeout:
		f.Title = "the server accepted the connection but never completed the handshake"
		f.Detail = "The TCP connection was accepted but no TLS answer came before the timeout. The service behind the port may be hung, expect a different protocol that waits for the client, or a middlebox swallows the ClientHello."
		f.Evidence = append(f.Evidence, e.Message)
		f.Remediation = "Check the service's health and logs on the server; try `openssl s_client -connect " + where + "` to confirm; check for a load balancer or proxy in between that holds connections."
	case probe.KindReset, probe.KindClosed:
		f.Title = "the server dropped the connection during the handshake"
		f.Detail = "The connection was closed (" + string(e.Kind) + ") without a TLS alert. Common causes: a firewall or IPS that filters on SNI, a server that speaks only old TLS versions and drops anything else, or a TLS terminator with no certificate for this name."
		f.Evidence = append(f.Evidence, e.Message)
		f.Remediation = "Check the server's TLS configuration and logs for this name; try without SNI (`--no-sni`) or with another name (`--sni`) to see if the name is the cause."
	default:
		f.Title = "the handshake failed"
		f.Detail = "Our TLS client gave up: " + e.Message + "."
		f.Evidence = append(f.Evidence, e.Message)
		f.Remediation = "Re-run with -v and compare with `openssl s_client -connect " + where + " -servername " + orNone(a.Offered.SNI) + "`."
	}
	if l := in.Rec.Attempt(probe.PurposeLegacy); l != nil {
		if l.Outcome == "ok" {
			f.Detail += fmt.Sprintf(" A retry offering %s with every cipher suite succeeded with %s and %s: the server only speaks legacy protocol versions or cipher suites that current clients no longer offer by default.", versionRange(l.Offered), l.Version, l.CipherSuite)
			f.Evidence = append(f.Evidence, fmt.Sprintf("retry offering %s: negotiated %s, %s", versionRange(l.Offered), l.Version, l.CipherSuite))
			f.Remediation = "Enable TLS 1.2 and 1.3 on the server: nginx `ssl_protocols TLSv1.2 TLSv1.3;`, Apache `SSLProtocol -all +TLSv1.2 +TLSv1.3`, Java server `jdk.tls.server.protocols=TLSv1.2,TLSv1.3`.\n" +
				"Only as a stop-gap on the client: Java, remove " + strings.ReplaceAll(l.Version, " ", "v") + " from `jdk.tls.disabledAlgorithms` in $JAVA_HOME/conf/security/java.security; OpenSSL/curl, `openssl s_client -tls1 -cipher 'DEFAULT:@SECLEVEL=0'`."
		} else if l.Error != nil {
			f.Evidence = append(f.Evidence, fmt.Sprintf("retry offering %s with every cipher suite also failed: %s", versionRange(l.Offered), l.Error.Message))
		}
	}
	return []Finding{f}
}

func alertRemediation(in *Input, a *probe.Attempt, name string) string {
	switch name {
	case "certificate_required", "handshake_failure":
		if a.CertificateRequest != nil && !a.ClientCertificateSent {
			cas := "any CA (it named none)"
			if n := len(a.CertificateRequest.AcceptableCAs); n > 0 {
				var names []string
				for _, dn := range a.CertificateRequest.AcceptableCAs {
					names = append(names, dn.Text)
				}
				cas = strings.Join(names, "; ")
			}
			return "The server asked for a client certificate issued by: " + cas + ".\n" +
				"Present one: curl `--cert client.crt --key client.key`; Java `-Djavax.net.ssl.keyStore=client.p12 -Djavax.net.ssl.keyStorePassword=...`; Spring `spring.ssl.bundle.jks.<name>.keystore.location`."
		}
		return "Compare what the server accepts with what a current client offers: `openssl s_client -connect " + hostPort(in.Rec.Target.ConnectHost, in.Rec.Target.ConnectPort) + "` and the server's `ssl_protocols`/`ssl_ciphers` (nginx) or `SSLProtocol`/`SSLCipherSuite` (Apache)."
	case "protocol_version":
		return "Enable TLS 1.2 and 1.3 on the server: nginx `ssl_protocols TLSv1.2 TLSv1.3;`, Apache `SSLProtocol -all +TLSv1.2 +TLSv1.3`."
	case "unrecognized_name":
		return "Connect with the name the server is configured for (`--sni NAME`), or add this name to the server's `server_name` (nginx) / `ServerName`/`ServerAlias` (Apache)."
	case "unknown_ca", "bad_certificate", "certificate_expired", "certificate_revoked", "certificate_unknown", "access_denied", "unsupported_certificate":
		return "The server rejected the client certificate. Check its expiry (`openssl x509 -in client.crt -noout -dates`), that its issuer is in the server's client-CA list (nginx `ssl_client_certificate`, Spring `server.ssl.trust-store`), and that the intermediate is sent with it."
	case "no_application_protocol":
		return "Offer a protocol the server supports (`--alpn http/1.1`), or add it to the server's ALPN list."
	}
	return "Check the server's TLS configuration and error log for this handshake."
}

func versionRange(o probe.Offer) string {
	if o.MinVersion == o.MaxVersion {
		return o.MinVersion
	}
	return o.MinVersion + "–" + o.MaxVersion
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
