package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// connectHelp is the usage of the connection flags; a test keeps its
// protocol list equal to dial.ProtocolNames.
const connectHelp = `      --starttls PROTO     speak PROTO in plain text and upgrade (STARTTLS) before the handshake: smtp, lmtp,
                           imap, pop3, ftp, ldap, postgres, postgres-direct, mysql, xmpp, xmpp-server, sieve, nntp;
                           auto picks one by well-known port (25/587 smtp, 143 imap, 110 pop3, 21 ftp,
                           389 ldap, 5432 postgres, 3306 mysql, 5222/5269 xmpp, 4190 sieve, 119 nntp)
      --proxy URL          connect through a proxy: http://[user:pass@]host:port (CONNECT, Basic auth) or
                           socks5://[user:pass@]host:port; the proxy resolves the name. Default: HTTPS_PROXY
                           and NO_PROXY for TLS targets (not STARTTLS ones); --proxy none ignores them.
                           AIA and OCSP/CRL fetches use --proxy too (else HTTP_PROXY/HTTPS_PROXY/NO_PROXY).
                           Credentials are never printed or recorded; HTTPS_PROXY keeps them out of ps
      --no-direct-check    through a proxy, do not also try the server directly (by default one handshake
                           goes around the proxy, to compare certificates: TLS interception)
      --no-sni-check       do not make the second handshake without SNI that a run by name makes, next to
                           the first, to tell whether the server needs SNI (sni-required): one round trip
                           less on a server that serves one connection at a time
  -4, --ipv4 / -6, --ipv6  use only IPv4 / only IPv6 addresses
      --all-ips            probe every address the name resolves to (at most 4 at once) and report a
                           backend that differs: certificate, chain, version, cipher, client auth, failure;
                           with --scan, every address is scanned and what each accepts is compared
`

// connectOptions are the flags that say how to reach the server: they
// fill a dial.Options, the connection half of a run.
type connectOptions struct {
	starttls   string
	proxy      string
	ipv4, ipv6 bool
	allIPs     bool
	noDirect   bool
	noSNICheck bool
}

func (c *connectOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.starttls, "starttls", "", "")
	fs.StringVar(&c.proxy, "proxy", "", "")
	fs.BoolVarP(&c.ipv4, "ipv4", "4", false, "")
	fs.BoolVarP(&c.ipv6, "ipv6", "6", false, "")
	fs.BoolVar(&c.allIPs, "all-ips", false, "")
	fs.BoolVar(&c.noDirect, "no-direct-check", false, "")
	fs.BoolVar(&c.noSNICheck, "no-sni-check", false, "")
}

// options validates the flags against the target and returns the dial
// options, with the proxy environment read through env.
func (c *connectOptions) options(t probe.Target, env Env) (dial.Options, error) {
	o := dial.Options{StartTLS: c.starttls, Proxy: c.proxy, AllIPs: c.allIPs, Env: dial.ReadProxyEnv(env.Getenv)}
	switch {
	case c.ipv4 && c.ipv6:
		return o, &usageError{msg: "-4 and -6 contradict each other", hint: "-4 uses only IPv4 addresses, -6 only IPv6; without either, both"}
	case c.ipv4:
		o.Family = dial.IPv4
	case c.ipv6:
		o.Family = dial.IPv6
	}
	if c.starttls != "" && c.starttls != "auto" && dial.LookupProtocol(c.starttls) == nil {
		return o, &usageError{msg: fmt.Sprintf("--starttls %q is not a protocol tlsdoctor speaks", c.starttls),
			hint: "--starttls " + strings.Join(dial.ProtocolNames(), "|") + "|auto"}
	}
	if c.starttls != "" && c.starttls != "auto" && c.starttls != "postgres-direct" && t.Scheme == "https" {
		return o, &usageError{msg: fmt.Sprintf("an https:// target does not start with %s", c.starttls), hint: "give the target as host:port with --starttls"}
	}
	host, port := t.ConnectHost, t.ConnectPort
	if _, err := dial.New(o, dial.Target{Host: host, Port: port, Name: t.Host}); err != nil {
		hint := "--proxy http://proxy.example:3128, --proxy socks5://127.0.0.1:1080, or --proxy none"
		switch {
		case strings.Contains(err.Error(), "IPv"):
			hint = "drop -4/-6, or give an address of the other family"
		case c.proxy == "":
			hint = "fix or unset the proxy environment variable, or run with --proxy none"
		}
		flag := "--proxy"
		if c.proxy == "" && !strings.Contains(err.Error(), "IPv") {
			flag = "proxy environment"
		}
		if strings.Contains(err.Error(), "IPv") {
			flag = "-4/-6"
		}
		return o, &usageError{msg: flag + ": " + err.Error(), hint: hint}
	}
	if _, err := dial.HTTPProxy(o); err != nil {
		return o, &usageError{msg: "proxy environment: " + err.Error(), hint: "fix or unset HTTP_PROXY/HTTPS_PROXY, or run with --proxy none"}
	}
	return o, nil
}

// describe is the verbose progress line's "how".
func describeConnect(rec *probe.Record) string {
	ci := rec.Connection
	if ci == nil {
		return ""
	}
	var parts []string
	if ci.Proxy != nil {
		parts = append(parts, fmt.Sprintf("via %s proxy %s (%s)", ci.Proxy.Scheme, ci.Proxy.Address, ci.Proxy.Source))
	}
	if ci.StartTLS != "" {
		parts = append(parts, "STARTTLS "+ci.StartTLS)
	}
	if ci.Family != "" {
		parts = append(parts, string(ci.Family)+" only")
	}
	if ci.AllIPs {
		parts = append(parts, "every address")
	}
	return strings.Join(parts, ", ")
}

// directCheck is the probe's direct-path setting.
func (c *connectOptions) directCheck() probe.DirectCheckMode {
	if c.noDirect {
		return probe.DirectCheckOff
	}
	return probe.DirectCheckAuto
}
