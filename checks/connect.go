package checks

// The checks about how the server was reached: STARTTLS, proxies, TLS
// interception, every backend behind a name (--all-ips), SNI, and a
// server that refuses every handshake before sending a certificate.

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/certmemo"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// targetWord is host:port of the target as the user gave it, for
// commands.
func targetWord(t probe.Target) string { return hostPort(t.Host, t.Port) }

func transcriptEvidence(d *probe.DialLog) []string {
	if d == nil || d.StartTLS == nil {
		return nil
	}
	var out []string
	for _, l := range d.StartTLS.Transcript {
		arrow := "S:"
		if l.From == "client" {
			arrow = "C:"
		}
		out = append(out, arrow+" "+oneLine(l.Text))
	}
	if d.StartTLS.Truncated {
		out = append(out, "(transcript cut: the server said more)")
	}
	return out
}

// starttlsUnsupported reports a STARTTLS exchange that did not end with
// the server's go-ahead: TLS not offered, refused, or a broken exchange.
func starttlsUnsupported(in *Input) []Finding {
	a := in.Rec.Primary()
	if a == nil || a.Error == nil || a.Error.Stage != probe.StageStartTLS {
		return nil
	}
	e := a.Error
	t := in.Rec.Target
	proto := ""
	if a.Dial != nil && a.Dial.StartTLS != nil {
		proto = a.Dial.StartTLS.Protocol
	}
	where := hostPort(t.ConnectHost, t.ConnectPort)
	f := Finding{Evidence: append([]string{errText(e)}, transcriptEvidence(a.Dial)...)}
	step := map[string]string{"greeting": "its greeting", "capabilities": "its capabilities", "upgrade": "the upgrade command"}[e.Step]
	if step == "" {
		step = "the exchange"
	}
	switch e.Kind {
	case probe.KindStartTLSUnsupported:
		f.Title = fmt.Sprintf("%s does not offer STARTTLS (%s)", where, proto)
		f.Detail = fmt.Sprintf("The server speaks %s but did not offer to upgrade the connection to TLS (%s): TLS is not enabled on this service, or not on this port. A client that requires TLS (as it should) cannot connect; one that does not would send everything, passwords included, in clear text.", proto, step)
		f.Fix = append(f.Fix, Say("Enable TLS on the service, or connect to its implicit-TLS port:"))
		f.Fix = append(f.Fix, startTLSServerFix(proto)...)
	case probe.KindStartTLSRejected:
		f.Title = fmt.Sprintf("%s refused STARTTLS (%s) at %s", where, proto, step)
		f.Detail = fmt.Sprintf("The server answered %s with a refusal (its answer is in the evidence). A server that offers TLS only after authentication, or has TLS configured but broken (a missing certificate or key file), answers like this; its log says which.", step)
		f.Fix = append(f.Fix, Say("Check the service's log for the refusal, and that its TLS certificate and key are configured and readable:"))
		f.Fix = append(f.Fix, startTLSServerFix(proto)...)
	default:
		f.Title = fmt.Sprintf("the %s exchange with %s failed before TLS (%s)", proto, where, step)
		f.Detail = "The plain-text exchange that precedes the upgrade did not complete: " + errText(e) + ". The port may speak another protocol than " + proto + ", or the server closed or stalled the connection."
		f.Fix = append(f.Fix, Say("Check that this port speaks "+proto+", or pick the protocol by port:"),
			Cmd("tlsdoctor", "tlsdoctor "+ShellQuote(targetWord(t))+" --starttls auto"))
	}
	if proto != "" {
		f.Fix = append(f.Fix, Say("Compare with OpenSSL:"), Cmd("openssl", opensslStartTLS(proto, t)))
	}
	return []Finding{f}
}

// opensslStartTLS is the s_client line for the same exchange, when
// s_client speaks the protocol.
func opensslStartTLS(proto string, t probe.Target) string {
	sp := map[string]string{"smtp": "smtp", "lmtp": "lmtp", "imap": "imap", "pop3": "pop3", "ftp": "ftp", "ldap": "ldap",
		"postgres": "postgres", "mysql": "mysql", "xmpp": "xmpp", "xmpp-server": "xmpp-server", "sieve": "sieve", "nntp": "nntp"}[proto]
	line := "openssl s_client -connect " + ShellQuote(hostPort(t.ConnectHost, t.ConnectPort))
	if sp != "" {
		line += " -starttls " + sp
	}
	if proto == "postgres-direct" {
		line += " -alpn postgresql"
	}
	if proto == "xmpp" || proto == "xmpp-server" {
		line += " -xmpphost " + ShellQuote(t.Host)
	}
	return line + " </dev/null"
}

// startTLSServerFix are the settings that enable TLS for the common
// server of each protocol.
func startTLSServerFix(proto string) []Step {
	switch proto {
	case "smtp", "lmtp":
		return []Step{Set("postfix", "smtpd_tls_cert_file = /etc/ssl/certs/mail.pem\nsmtpd_tls_key_file = /etc/ssl/private/mail.key\nsmtpd_tls_security_level = may"),
			Say("The implicit-TLS port for submission is 465.")}
	case "imap", "pop3", "sieve":
		return []Step{Set("dovecot", "ssl = yes\nssl_cert = </etc/ssl/certs/mail.pem\nssl_key = </etc/ssl/private/mail.key"),
			Say("The implicit-TLS ports are 993 (IMAP) and 995 (POP3).")}
	case "ftp":
		return []Step{Set("vsftpd", "ssl_enable=YES\nrsa_cert_file=/etc/ssl/certs/ftp.pem\nrsa_private_key_file=/etc/ssl/private/ftp.key")}
	case "ldap":
		return []Step{Set("slapd", "olcTLSCertificateFile: /etc/ldap/tls/server.pem\nolcTLSCertificateKeyFile: /etc/ldap/tls/server.key"),
			Say("The implicit-TLS port (ldaps) is 636.")}
	case "postgres", "postgres-direct":
		return []Step{Set("postgresql", "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'")}
	case "mysql":
		return []Step{Set("mariadb", "[mariadb]\nssl_cert = /etc/mysql/server.pem\nssl_key = /etc/mysql/server.key")}
	case "xmpp", "xmpp-server":
		return []Step{Set("prosody", "certificates = \"certs\"\nc2s_require_encryption = true")}
	}
	return nil
}

// startTLSHint is the STARTTLS suggestion for a port that answered in a
// plain-text protocol (appended to not-tls's fix).
func startTLSHint(in *Input) []Step {
	t := in.Rec.Target
	a := in.Rec.Primary()
	if a == nil || a.Error == nil || a.Dial != nil && a.Dial.StartTLS != nil {
		return nil
	}
	proto := map[string]string{"SMTP": "smtp", "POP3": "pop3", "IMAP": "imap"}[a.Error.Protocol]
	if proto == "" {
		if p := dial.ProtocolForPort(t.ConnectPort); p != nil {
			proto = p.Name
		}
	}
	if proto == "" {
		return nil
	}
	return []Step{Say("To diagnose the TLS behind its STARTTLS:"), command("tlsdoctor", "tlsdoctor", wordArg(targetWord(t)), "--starttls", proto)}
}

// proxyRefused reports a proxy that gave no tunnel to the server.
func proxyRefused(in *Input) []Finding {
	a := in.Rec.Primary()
	if a == nil || a.Error == nil || a.Error.Stage != probe.StageProxy {
		return nil
	}
	e := a.Error
	t := in.Rec.Target
	var px *dial.ProxyExchange
	if a.Dial != nil {
		px = a.Dial.Proxy
	}
	proxy, source := "the proxy", ""
	if px != nil {
		proxy, source = px.Address, px.Source
	}
	dest := hostPort(t.ConnectHost, t.ConnectPort)
	f := Finding{Evidence: []string{errText(e)}}
	if px != nil {
		f.Evidence = append(f.Evidence, fmt.Sprintf("proxy %s://%s, from %s", px.Scheme, px.Address, px.Source))
		if px.Request != "" {
			f.Evidence = append(f.Evidence, "sent: "+px.Request+authNote(px))
		}
		if px.Status != "" {
			f.Evidence = append(f.Evidence, "answer: "+oneLine(px.Status))
		}
		for _, h := range px.Headers {
			if strings.HasPrefix(strings.ToLower(h), "proxy-authenticate:") || strings.HasPrefix(strings.ToLower(h), "via:") || strings.HasPrefix(strings.ToLower(h), "server:") || strings.HasPrefix(strings.ToLower(h), "x-squid-error:") {
				f.Evidence = append(f.Evidence, "header: "+h)
			}
		}
	}
	code := 0
	if px != nil {
		code = px.StatusCode
	}
	switch {
	case e.Kind == probe.KindProxyRefused && code == 407:
		f.Title = fmt.Sprintf("the proxy %s requires authentication (407)", proxy)
		f.Detail = "The proxy answered CONNECT with 407 Proxy Authentication Required: it wants credentials" + authWord(px) + ". Its Proxy-Authenticate header (in the evidence) names the schemes it accepts; Basic works everywhere, NTLM and Negotiate (Kerberos) only with clients that speak them."
		if ci := in.Rec.Connection; ci != nil && ci.StartTLS != "" {
			// HTTPS_PROXY does not apply to STARTTLS targets: only --proxy.
			f.Fix = []Step{
				Say("Give the proxy credentials in --proxy (other users can read a command line in ps):"),
				rerun(in, "--starttls", wordArg(ci.StartTLS), "--proxy", arg{"http://USER:PASSWORD@" + proxy, ValidHostName(hostOnly(proxy))}),
			}
			break
		}
		f.Fix = []Step{
			Say("Give the proxy credentials (the environment keeps them out of ps and shell history):"),
			Cmd("sh", "export HTTPS_PROXY="+ShellQuote("http://USER:PASSWORD@"+proxy)),
			curlCmd(in, "--proxy", urlArg("http://"+proxy), "--proxy-user", "USER"),
			Say("Java sends Basic credentials to an HTTPS tunnel only when Basic is not disabled for tunnelling (it is by default since 8u111), and needs an Authenticator (or the proxy's NTLM/Kerberos support):"),
			Set("java", "-Dhttps.proxyHost="+hostOnly(proxy)+" -Dhttps.proxyPort="+portOnly(proxy)+" -Djdk.http.auth.tunneling.disabledSchemes=\"\""),
		}
	case e.Kind == probe.KindProxyRefused:
		f.Title = fmt.Sprintf("the proxy %s refused to connect to %s", proxy, dest)
		switch {
		case code == 403:
			f.Detail = "The proxy answered CONNECT with 403 Forbidden: its policy does not allow a tunnel to this host or port. Many proxies allow CONNECT to port 443 only (Squid's default SSL_ports ACL)."
		case code == 502 || code == 503 || code == 504:
			f.Detail = fmt.Sprintf("The proxy answered %d: it could not reach %s itself (the name does not resolve from the proxy, nothing listens there, or the proxy's own firewall blocks it).", code, dest)
		case px != nil && px.Scheme == "socks5":
			f.Detail = "The SOCKS5 proxy refused the connection: " + oneLine(px.Status) + "."
		default:
			f.Detail = "The proxy did not open a tunnel: " + errText(e) + "."
		}
		f.Fix = []Step{Say("Ask the proxy's administrators to allow CONNECT to " + dest + ", or reach the server from a network without the proxy. To check the proxy alone:"),
			curlCmd(in, "-v", "--proxy", urlArgAny(proxyURL(px)))}
	default:
		switch e.Kind {
		case probe.KindRefused:
			f.Title = "cannot connect to the proxy " + proxy + ": connection refused"
			f.Detail = "Nothing listens at the proxy's address. The proxy setting is wrong or the proxy is down."
		case probe.KindTimeout:
			f.Title = "the proxy " + proxy + " did not answer in time"
			f.Detail = "The proxy accepted no connection, or accepted it and never answered CONNECT, before the timeout."
		default:
			f.Title = "the connection through the proxy " + proxy + " failed"
			f.Detail = "The proxy exchange failed: " + errText(e) + "."
		}
		f.Fix = []Step{Say("Check the proxy setting (" + orNone(source) + ") and that the proxy is reachable; without a proxy:"),
			rerun(in, "--proxy", "none")}
	}
	if ci := in.Rec.Connection; ci == nil || ci.StartTLS == "" {
		// Measured with HTTPS clients; a STARTTLS client is another program.
		f.Clients = proxyRefusedClients(px)
	}
	return []Finding{f}
}

// proxyRefusedClients is what curl 7.88 (-x), Java 17 (HttpsURLConnection
// with -Dhttps.proxyHost/-Dhttps.proxyPort) and Python 3.11 (urllib and
// requests with https_proxy) printed when an HTTP proxy answered CONNECT
// with an error status (measured with 407, 403 and 502, client-errors.md).
// Java and Python quote the proxy's status line; other refusals (SOCKS, a
// proxy that is down or silent) were not measured.
func proxyRefusedClients(px *dial.ProxyExchange) []ClientVerdict {
	if px == nil || px.Scheme != "http" || px.StatusCode < 300 || !strings.HasPrefix(px.Status, "HTTP/") {
		return nil
	}
	_, codeReason, _ := strings.Cut(px.Status, " ")
	return []ClientVerdict{
		{Client: "curl", Fails: true, Message: fmt.Sprintf("curl: (56) CONNECT tunnel failed, response %d", px.StatusCode)},
		{Client: "java", Fails: true, Message: "java.io.IOException: Unable to tunnel through proxy. Proxy returns \"" + oneLine(px.Status) + "\""},
		{Client: "python", Fails: true, Message: "urllib.error.URLError: <urlopen error Tunnel connection failed: " + codeReason + ">"},
		{Client: "python-requests", Fails: true, Message: "requests.exceptions.ProxyError: ... (Caused by ProxyError('Unable to connect to proxy', OSError('Tunnel connection failed: " + codeReason + "')))"},
	}
}

func authNote(px *dial.ProxyExchange) string {
	if px.Auth {
		return " (with Proxy-Authorization: credentials sent, not recorded)"
	}
	return " (without credentials)"
}

func authWord(px *dial.ProxyExchange) string {
	if px != nil && px.Auth {
		return ", and refused the ones sent"
	}
	return ", and none were sent"
}

func proxyURL(px *dial.ProxyExchange) string {
	if px == nil {
		return "http://PROXY:PORT"
	}
	return px.Scheme + "://" + px.Address
}

func hostOnly(hp string) string {
	if i := strings.LastIndex(hp, ":"); i > 0 {
		return strings.Trim(hp[:i], "[]")
	}
	return hp
}

func portOnly(hp string) string {
	if i := strings.LastIndex(hp, ":"); i > 0 {
		return hp[i+1:]
	}
	return "3128"
}

func leafDiffers(p, b *probe.Attempt) bool {
	if len(p.Certificates) == 0 || len(b.Certificates) == 0 {
		return len(p.Certificates) != len(b.Certificates)
	}
	return !bytes.Equal(p.Certificates[0].DER, b.Certificates[0].DER)
}

func sameDER(a, b []probe.Certificate) bool {
	for i := range a {
		if !bytes.Equal(a[i].DER, b[i].DER) {
			return false
		}
	}
	return true
}

func parse(a *probe.Attempt) *x509.Certificate {
	if len(a.Certificates) == 0 {
		return nil
	}
	c, err := certmemo.Parse(a.Certificates[0].DER)
	if err != nil {
		return nil
	}
	return c
}

func parseAll(a *probe.Attempt) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range a.Certificates {
		if cert, err := certmemo.Parse(c.DER); err == nil {
			out = append(out, cert)
		}
	}
	return out
}

// noSNIClients are the clients that send no SNI, and what each printed
// against a server that needs SNI (measured, shared/client-errors.md:
// Java 17 with -Djsse.enableSNIExtension=false or a host name without a
// dot, curl 7.88, Python 3.11 and Go 1.26 connecting to an IP address,
// openssl s_client -noservername, Python's ssl with server_hostname=None).
// n is the handshake without SNI; ip is the address the probe reached.
func noSNIClients(n *probe.Attempt, name, ip string) []ClientVerdict {
	if len(n.Certificates) == 0 {
		// The alert, as each client that sends no SNI prints it: Java
		// and openssl when told not to, curl and Go only when they
		// connect to an address, Python either way.
		var out []ClientVerdict
		for _, v := range alertClients(n) {
			v.Client += map[string]string{"curl": "-ip", "go": "-ip"}[v.Client]
			if !strings.Contains(v.Client, "-") {
				v.Client += "-nosni"
			}
			out = append(out, v)
		}
		if n.Error != nil && n.Error.Alert != nil {
			if m := pythonAlert(n.Error.Alert.Name); m != "" {
				out = append(out, ClientVerdict{Client: "python-nosni", Fails: true, Message: m}, ClientVerdict{Client: "python-ip", Fails: true, Message: m})
			}
		}
		return out
	}
	// The other certificate, judged by each client's own name rules
	// (hostnameClients): by the name for clients that send no SNI, by the
	// address for clients that connect to it.
	python := ClientVerdict{Client: "python-nosni", Fails: false, Message: "connects, to the other certificate: sending no SNI needs check_hostname off, so nothing checks the name"}
	c := parse(n)
	if c == nil {
		return []ClientVerdict{
			{Client: "java-nosni", Fails: true, Message: "javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching " + name + " found."},
			{Client: "openssl-nosni", Fails: true, Message: "Verification error: hostname mismatch (verify error:num=62)"},
			python,
		}
	}
	var out []ClientVerdict
	for _, v := range hostnameClients(c, name) {
		if v.Client == "java" || v.Client == "openssl" {
			v.Client += "-nosni"
			out = append(out, v)
		}
	}
	out = append(out, python)
	if net.ParseIP(ip) == nil || c.VerifyHostname(ip) == nil {
		return out
	}
	for _, v := range hostnameClients(c, ip) {
		if v.Fails && v.Client != "openssl" {
			v.Client += "-ip"
			out = append(out, v)
		}
	}
	return out
}

// sniRequired compares the handshake without SNI with the primary one.
func sniRequired(in *Input) []Finding {
	p, n := in.Rec.Primary(), in.Rec.SNICheck
	if p == nil || n == nil || len(p.Certificates) == 0 || p.Offered.SNI == "" {
		return nil
	}
	name := p.Offered.SNI
	var detail string
	ev := []string{fmt.Sprintf("with SNI %s: %s", name, Describe(in.Chain[0]))}
	switch {
	case len(n.Certificates) == 0 && n.Error != nil && n.Error.Stage == probe.StageHandshake:
		ev = append(ev, "without SNI: "+string(n.Error.Kind)+": "+errText(n.Error))
		detail = "Without SNI the server refuses the handshake before sending any certificate"
		if n.Error.Alert != nil {
			detail += " (alert " + n.Error.Alert.Name + ")"
		}
		detail += ": it has no default certificate for clients that name no server."
	case len(n.Certificates) > 0 && leafDiffers(p, n):
		c := parse(n)
		if c == nil || c.VerifyHostname(name) == nil {
			return nil // another certificate that still covers the name: no client is hurt
		}
		ev = append(ev, "without SNI: "+Describe(c))
		detail = fmt.Sprintf("Without SNI the server presents another certificate, %s, which does not cover %s: a client that sends no SNI rejects it as a host name mismatch.", Describe(c), name)
	default:
		return nil
	}
	t := in.Rec.Target
	return []Finding{{
		Title: "the server needs SNI: clients that send none fail",
		Detail: detail + " Clients that send no SNI: Java started with -Djsse.enableSNIExtension=false, and Java for a host name without a dot (localhost, a short intranet name: measured on Java 17), clients that connect to an IP address (SNI cannot carry one), " +
			"openssl s_client -noservername, Python's ssl without server_hostname, and old stacks (Java 6, Windows XP).",
		Evidence: ev,
		Fix: []Step{
			Say("Server: make the certificate for " + name + " the one served without SNI (the default server of the port):"),
			Set("nginx", "listen "+strconv.Itoa(t.Port)+" ssl default_server;   # in the server block for "+name),
			Set("apache", "# the first <VirtualHost *:"+strconv.Itoa(t.Port)+"> is the default: put "+name+"'s first"),
			Set("tomcat", "<Connector ... defaultSSLHostConfigName=\""+name+"\">"),
			Say("Client: send SNI. Java: remove -Djsse.enableSNIExtension=false and connect by the fully qualified name (Java sends no SNI for localhost or a name without a dot); curl to an address, keeping the name:"),
			resolveCurl(in, name, t.Port, p.Address),
			command("openssl", append(append([]any{"openssl s_client -connect", arg{p.Address, ValidHostName(hostOnly(p.Address))}, "-servername", hostArg(name)}, caFileWords(in, "-CAfile")...), "</dev/null")...),
		},
		Clients: noSNIClients(n, name, hostOnly(p.Address)),
	}}
}

// keystoreFailure is handshake-failed for a server that answers every
// ClientHello with an alert before any certificate: with SNI and without,
// with current and old versions and every cipher suite. It has no
// certificate and key it can use, which points at its own keystore.
func keystoreFailure(in *Input, a *probe.Attempt) (Finding, bool) {
	noCert := func(x *probe.Attempt) bool {
		return x != nil && x.Outcome != "ok" && len(x.Certificates) == 0 && x.Error != nil && x.Error.Stage == probe.StageHandshake && x.Error.Kind == probe.KindAlert
	}
	n := in.Rec.SNICheck
	if !noCert(a) || !noCert(n) || a.Offered.SNI == "" {
		return Finding{}, false
	}
	switch a.Error.Alert.Name {
	case "handshake_failure", "internal_error", "insufficient_security", "unrecognized_name", "illegal_parameter":
	default:
		return Finding{}, false
	}
	tried := []string{fmt.Sprintf("offered %s with SNI %s: alert %s", versionRange(a.Offered), a.Offered.SNI, a.Error.Alert.Name),
		fmt.Sprintf("offered %s without SNI: %s", versionRange(n.Offered), errText(n.Error))}
	if wideAnswer(in) != nil {
		return Finding{}, false // it wants what a wider TLS 1.3 hello offered (checks/wide13.go)
	}
	if w := in.Rec.Attempt(probe.PurposeWide13); w != nil && w.Outcome == "server-hello" {
		tried = append(tried, fmt.Sprintf("offered TLS 1.3 with every group, suite and signature scheme, and with crypto/tls's schemes: "+
			"the server asked for %s both times, before choosing a certificate (it says nothing of the key)", w.Group))
	}
	for _, purpose := range []string{probe.PurposeLegacy, probe.PurposeAllSuites, probe.PurposeWide13} {
		r := in.Rec.Attempt(purpose)
		if r == nil || r.Purpose == probe.PurposeWide13 && r.Outcome == "server-hello" {
			continue
		}
		if r.Outcome != "failed" || len(r.Certificates) > 0 {
			return Finding{}, false
		}
		msg := "failed"
		if r.Error != nil {
			msg = errText(r.Error)
		}
		tried = append(tried, fmt.Sprintf("offered %s (%s): %s", versionRange(r.Offered), purpose, msg))
	}
	return Finding{
		Title: fmt.Sprintf("the server refuses every handshake before sending a certificate (alert %s): check its keystore", a.Error.Alert.Name),
		Detail: "Whatever name was sent (" + a.Offered.SNI + ", or none) and whatever was offered, the server answered with an alert before sending any certificate: it has no certificate and private key it can use. " +
			"That points at the server's own keystore rather than at the client: a wrong alias (the configured alias is missing, or names a trustedCertEntry instead of a PrivateKeyEntry), " +
			"a key whose type matches no signature algorithm the client offers (a DSA key, or an EC key on a curve the client lacks), or a keystore without any key entry.",
		Evidence: tried,
		Fix: []Step{
			Say("List the server's keystore and check that the configured alias is a PrivateKeyEntry with an RSA or EC (P-256/P-384) key and its chain:"),
			Cmd("keytool", "keytool -list -v -keystore server-keystore.p12"),
			Say("Spring Boot: the alias must name that entry:"),
			Set("spring", "server.ssl.key-store=classpath:server-keystore.p12\nserver.ssl.key-alias=ALIAS_OF_THE_PRIVATE_KEY_ENTRY"),
			Set("tomcat", "<Certificate certificateKeystoreFile=\"conf/server-keystore.p12\" certificateKeyAlias=\"ALIAS_OF_THE_PRIVATE_KEY_ENTRY\" />"),
		},
		Clients: alertVerdicts(in, a),
	}, true
}

// postgresDirectHint is, for a server that refused every ALPN protocol
// offered with no_application_protocol, the PostgreSQL 17 case: a server
// with direct TLS refuses any ClientHello whose ALPN list lacks
// "postgresql" (be-secure-openssl.c alpn_cb), so a plain TLS client that
// offers h2 or http/1.1 gets this alert.
func postgresDirectHint(in *Input, a *probe.Attempt) []Step {
	if slices.Contains(a.Offered.ALPN, "postgresql") {
		return nil
	}
	if ci := in.Rec.Connection; ci != nil && ci.StartTLS != "" {
		return nil
	}
	return []Step{Say("If this is PostgreSQL 17 with direct TLS (libpq sslnegotiation=direct), it accepts only ALPN postgresql:"),
		command("tlsdoctor", "tlsdoctor", wordArg(targetWord(in.Rec.Target)), "--starttls", "postgres-direct")}
}

// caFileWords are the option naming the user's PEM CA file (--cacert for
// curl, -CAfile for openssl), when they gave one.
func caFileWords(in *Input, opt string) []any {
	if ts := primaryStore(in); ts.Path != "" && ts.Format == "PEM" {
		return []any{opt, fileArg(ts.Path)}
	}
	return nil
}

// resolveCurl is curl to https://name:port/ sent to addr (the address
// the probe reached), with SNI and the Host header for name: a client
// that connects to an address and still sends the name.
func resolveCurl(in *Input, name string, port int, addr string) Step {
	ip := hostOnly(addr)
	url := urlArg("https://" + hostPort(name, port) + "/")
	words := append([]any{"curl"}, caFileWords(in, "--cacert")...)
	if net.ParseIP(ip) == nil {
		return command("curl", append(words, url)...)
	}
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	return command("curl", append(append(words, "--resolve", arg{name + ":" + strconv.Itoa(port) + ":" + ip, ValidHostName(name)}), url)...)
}
