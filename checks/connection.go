package checks

import (
	"fmt"
	"net"
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
			Evidence: []string{"DNS lookup of " + t.ConnectHost + ": " + errText(e)},
		}
		bypass := Say("To bypass DNS, give the server's address with --connect-to ADDRESS:" + strconv.Itoa(t.ConnectPort) + ".")
		if e.Kind == probe.KindTimeout {
			f.Detail = "The DNS lookup timed out: the resolver did not answer in time."
			f.Fix = []Step{
				Say("Check the resolver this machine uses (/etc/resolv.conf) and that it answers:"),
				command("dig", "dig", hostArg(t.ConnectHost)),
				bypass,
			}
		} else {
			f.Detail = "The name does not resolve to any address: it is misspelt, not published in DNS, or only resolvable inside another network (VPN, corporate DNS)."
			f.Fix = []Step{
				Say("Check the spelling and look the name up:"),
				command("dig", "dig +short", hostArg(t.ConnectHost)),
				command("getent", "getent hosts", hostArg(t.ConnectHost)),
				Say("If the name is internal, run tlsdoctor from inside that network. " + bypass.Text),
			}
		}
		return []Finding{f}
	}
	a := r.Primary()
	if a == nil || a.Error == nil || a.Error.Stage != probe.StageConnect {
		return nil
	}
	e := a.Error
	f := Finding{Evidence: []string{"TCP connect to " + a.Address + ": " + errText(e)}}
	if len(r.DNS.Addresses) > 0 && !probe.IsIP(t.ConnectHost) {
		f.Evidence = append(f.Evidence, t.ConnectHost+" resolves to "+strings.Join(r.DNS.Addresses, ", "))
	}
	switch e.Kind {
	case probe.KindRefused:
		f.Title = "connection refused by " + where
		f.Detail = "The host answered but nothing listens on port " + strconv.Itoa(t.ConnectPort) + " (the TCP SYN was refused with a RST). The service is down, listens on another port, or listens only on another address."
		port := strconv.Itoa(t.ConnectPort)
		f.Fix = []Step{
			Say("Check the port, and on the server that the service is running and listens on this address:"),
			Cmd("ss", "ss -ltnp sport = :"+port),
			Say("The setting that picks the port:"),
			Set("nginx", "listen "+port+" ssl;"),
			Set("spring", "server.port="+port),
		}
	case probe.KindTimeout:
		f.Title = "connection to " + where + " timed out"
		f.Detail = "No answer to the TCP connection attempt before the timeout: a firewall or security group is dropping the packets, the address is wrong, or the route needs a proxy or VPN."
		f.Fix = []Step{
			Say("Check firewalls and security groups between here and " + where + " (allow TCP " + strconv.Itoa(t.ConnectPort) + "), and that the address is right. Test plain TCP reachability:"),
			command("nc", "nc -vz -w 5", hostArg(t.ConnectHost), portArg(t.ConnectPort)),
			Say("If you go through an HTTP proxy, run tlsdoctor from a host with direct access."),
		}
	case probe.KindNoRoute:
		f.Title = "no route to " + where
		f.Detail = "The network says the address is unreachable from this machine."
		f.Fix = []Step{Say("Check the address, this machine's routes and any VPN that the target needs.")}
		if h, _, err := net.SplitHostPort(a.Address); err == nil && net.ParseIP(h) != nil {
			f.Fix = append(f.Fix, Say("The route this machine would use:"), command("ip", "ip route get", hostArg(h)))
		}
	default:
		f.Title = "cannot connect to " + where
		f.Detail = "The TCP connection failed: " + errText(e) + "."
		f.Fix = []Step{
			Say("Check that the host and port are right and reachable:"),
			command("nc", "nc -vz -w 5", hostArg(t.ConnectHost), portArg(t.ConnectPort)),
		}
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
		f.Fix = []Step{
			Say("Use the server's HTTPS port, or use http:// if plain HTTP is intended."),
			Say("To serve TLS on this port:"),
			Set("nginx", "listen "+port+" ssl;\nssl_certificate /etc/nginx/fullchain.pem;\nssl_certificate_key /etc/nginx/server.key;"),
			Set("spring", "server.ssl.enabled=true\nserver.ssl.key-store=file:server.p12\nserver.ssl.key-store-type=PKCS12\nserver.ssl.key-store-password=PASSWORD"),
			Set("apache", "SSLEngine on\nSSLCertificateFile /etc/apache2/fullchain.pem\nSSLCertificateKeyFile /etc/apache2/server.key"),
		}
	case "":
		f.Detail = "The peer answered our TLS ClientHello with bytes that are not a TLS record."
		f.Fix = []Step{Say("Check that this is the TLS port of the service. If the protocol starts in plain text and upgrades (SMTP, IMAP, LDAP, PostgreSQL), it needs STARTTLS, not a direct TLS connection.")}
	default:
		f.Title = fmt.Sprintf("%s speaks %s, not TLS", hostPort(t.ConnectHost, t.ConnectPort), e.Protocol)
		f.Detail = "The server on this port speaks " + e.Protocol + " in plain text. It is the wrong port, or the protocol upgrades to TLS with STARTTLS instead of starting with TLS."
		f.Fix = []Step{Say("Use the service's implicit-TLS port (for example 465 for SMTP, 993 for IMAP, 995 for POP3, 636 for LDAP), or a client that speaks STARTTLS.")}
		if st, ok := starttlsNames[e.Protocol]; ok {
			f.Fix[0].Text += " With openssl:"
			f.Fix = append(f.Fix, sClient(in, "-starttls "+st))
		}
	}
	f.Fix = append(f.Fix, startTLSHint(in)...) // checks/connect.go
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
	// Refused our TLS 1.3 hello but answered a wider one: a parameter
	// crypto/tls lacks (checks/wide13.go).
	if f, ok := wide13Failure(in, a); ok {
		return []Finding{f}
	}
	// Refused with SNI and without, at every version: the server's
	// keystore (checks/connect.go).
	if f, ok := keystoreFailure(in, a); ok {
		return []Finding{f}
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
			if name == "unrecognized_name" && a.Offered.SNI == "" {
				m = "the server needs SNI: it has no certificate for clients that send no server name (none was sent)"
			}
			f.Detail = "This alert usually means " + m + "."
		} else {
			f.Detail = "The server ended the handshake with this alert."
		}
		f.Clients = alertVerdicts(in, a)
		f.Fix = alertFix(in, a, name)
	case probe.KindTimeout:
		f.Title = "the server accepted the connection but never completed the handshake"
		f.Detail = "The TCP connection was accepted but no TLS answer came before the timeout. The service behind the port may be hung, expect a different protocol that waits for the client, or a middlebox swallows the ClientHello."
		f.Evidence = append(f.Evidence, errText(e))
		f.Fix = []Step{
			Say("Check the service's health and logs on the server, and any load balancer or proxy in between that holds connections. To confirm with openssl:"),
			sClient(in),
		}
	case probe.KindReset, probe.KindClosed:
		f.Title = "the server dropped the connection during the handshake"
		f.Detail = "The connection was closed (" + string(e.Kind) + ") without a TLS alert. Common causes: a firewall or IPS that filters on SNI, a server that speaks only old TLS versions and drops anything else, or a TLS terminator with no certificate for this name."
		f.Evidence = append(f.Evidence, errText(e))
		f.Fix = []Step{Say("Check the server's TLS configuration and logs for this name; run tlsdoctor again without SNI (--no-sni) or with another name (--sni NAME) to see if the name is the cause.")}
	default:
		f.Title = "the handshake failed"
		f.Detail = "Our TLS client gave up: " + errText(e) + "."
		f.Evidence = append(f.Evidence, errText(e))
		f.Fix = []Step{Say("Run tlsdoctor again with -v, and compare with openssl:"), sClient(in)}
	}
	if l := in.Rec.Attempt(probe.PurposeLegacy); l != nil {
		if l.Outcome == "ok" {
			f.Detail += fmt.Sprintf(" A retry offering %s with every cipher suite succeeded with %s and %s: the server only speaks legacy protocol versions or cipher suites that current clients no longer offer by default.", versionRange(l.Offered), l.Version, l.CipherSuite)
			f.Evidence = append(f.Evidence, fmt.Sprintf("retry offering %s: negotiated %s, %s", versionRange(l.Offered), l.Version, l.CipherSuite))
			f.Fix = append(enableModernTLS(true),
				Say("Only as a stop-gap on the client: Java, remove "+javaVersionName(l.Version)+" from jdk.tls.disabledAlgorithms in $JAVA_HOME/conf/security/java.security; openssl and curl, allow the old version at security level 0:"),
				legacyClientCmd(in, l.Version))
		} else if l.Error != nil {
			f.Evidence = append(f.Evidence, fmt.Sprintf("retry offering %s with every cipher suite also failed: %s", versionRange(l.Offered), errText(l.Error)))
		}
	}
	return []Finding{f}
}

func alertFix(in *Input, a *probe.Attempt, name string) []Step {
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
			return []Step{
				Say("The server asked for a client certificate issued by: " + cas + ". Present one (with its key):"),
				curlCmd(in, "--cert client.crt --key client.key"),
				Set("java", "-Djavax.net.ssl.keyStore=client.p12 -Djavax.net.ssl.keyStoreType=PKCS12 -Djavax.net.ssl.keyStorePassword=PASSWORD"),
				Set("spring", "spring.ssl.bundle.jks.partner.keystore.location=file:client.p12\nspring.ssl.bundle.jks.partner.keystore.type=PKCS12\nspring.ssl.bundle.jks.partner.keystore.password=PASSWORD"),
			}
		}
		return []Step{
			Say("Compare what the server accepts (nginx ssl_protocols and ssl_ciphers, Apache SSLProtocol and SSLCipherSuite) with what a current client offers:"),
			sClient(in),
		}
	case "protocol_version":
		return enableModernTLS(false)
	case "unrecognized_name":
		if a.Offered.SNI == "" {
			return []Step{
				Say("Send the server's name as SNI (--sni NAME; curl and Java send it when they connect by name), or give the server a default certificate for clients that send no SNI:"),
				Set("nginx", "listen 443 ssl default_server;"),
			}
		}
		return []Step{Say("Connect with the name the server is configured for (--sni NAME), or add this name to the server's server_name (nginx) or ServerName/ServerAlias (Apache).")}
	case "unknown_ca", "bad_certificate", "certificate_expired", "certificate_revoked", "certificate_unknown", "access_denied", "unsupported_certificate":
		return []Step{
			Say("The server rejected the client certificate. Check its dates:"),
			Cmd("openssl", "openssl x509 -in client.crt -noout -dates"),
			Say("and that its issuer is in the server's client-CA list (nginx ssl_client_certificate, Spring Boot server.ssl.trust-store on the server side), and that the intermediate is sent with it."),
		}
	case "no_application_protocol":
		return append([]Step{Say("Offer a protocol the server supports (--alpn http/1.1), or add it to the server's ALPN list.")}, postgresDirectHint(in, a)...)
	}
	return []Step{Say("Check the server's TLS configuration and error log for this handshake.")}
}

// enableModernTLS is how to turn on TLS 1.2 and 1.3 on the server, with
// the Java server setting when java is set.
func enableModernTLS(java bool) []Step {
	steps := []Step{
		Say("Enable TLS 1.2 and 1.3 on the server:"),
		Set("nginx", "ssl_protocols TLSv1.2 TLSv1.3;"),
		Set("apache", "SSLProtocol -all +TLSv1.2 +TLSv1.3"),
	}
	if java {
		steps = append(steps, Set("java", "-Djdk.tls.server.protocols=TLSv1.2,TLSv1.3"))
	}
	return steps
}

// javaVersionName is how Java names a protocol version ("TLSv1").
func javaVersionName(v string) string {
	switch v {
	case "TLS 1.0":
		return "TLSv1"
	case "SSL 3.0":
		return "SSLv3"
	}
	return strings.ReplaceAll(v, "TLS ", "TLSv")
}

// legacyClientCmd is openssl s_client allowing an old version v at
// security level 0: a stop-gap, to confirm the server answers.
func legacyClientCmd(in *Input, v string) Step {
	opt := map[string]string{"SSL 3.0": "-ssl3", "TLS 1.0": "-tls1", "TLS 1.1": "-tls1_1", "TLS 1.2": "-tls1_2"}[v]
	if opt == "" {
		opt = "-tls1"
	}
	return sClient(in, opt, "-cipher 'DEFAULT:@SECLEVEL=0' </dev/null")
}

// starttlsNames are openssl s_client -starttls names of the protocols
// the probe recognises in plain text.
var starttlsNames = map[string]string{"SMTP": "smtp", "IMAP": "imap", "POP3": "pop3", "FTP": "ftp", "LDAP": "ldap", "XMPP": "xmpp", "PostgreSQL": "postgres", "MySQL": "mysql"}

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
