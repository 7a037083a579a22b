package report

import (
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// connectLines are the header lines on how the server was reached: the
// proxy, the STARTTLS exchange, the address family, every address.
func connectLines(kv func(k, v string), rec *probe.Record) {
	ci := rec.Connection
	if ci == nil {
		return
	}
	if px := ci.Proxy; px != nil {
		v := fmt.Sprintf("%s://%s (%s)", px.Scheme, px.Address, px.Source)
		if px.Auth {
			v += ", with credentials"
		}
		if rec.DNS.ByProxy {
			v += "; the proxy resolved the name"
		}
		if a := rec.Primary(); a != nil && a.Dial != nil && a.Dial.Proxy != nil && a.Dial.Proxy.Status != "" {
			v += fmt.Sprintf("; answer: %q", a.Dial.Proxy.Status)
		}
		kv("proxy", v)
	}
	if ci.StartTLS != "" {
		v := ci.StartTLS
		if ci.StartTLSByPort {
			v += " (by port)"
		}
		if a := rec.Primary(); a != nil && a.Dial != nil && a.Dial.StartTLS != nil {
			st := a.Dial.StartTLS
			if len(st.Transcript) > 0 && st.Transcript[0].From == "server" {
				v += ", greeting " + fmt.Sprintf("%q", st.Transcript[0].Text)
			}
			if st.Upgraded {
				v += ", upgraded"
			}
			if st.Leftover > 0 {
				v += fmt.Sprintf(", %d bytes after the go-ahead dropped", st.Leftover)
			}
		}
		kv("starttls", v)
	}
	if ci.Family != "" {
		kv("family", string(ci.Family)+" only")
	}
	if len(rec.Backends) > 0 {
		var parts []string
		for _, b := range rec.Backends {
			r := b.Outcome
			if b.Error != nil {
				r = string(b.Error.Kind)
			} else if b.Version != "" {
				r = b.Version
			}
			parts = append(parts, Escape(b.Address)+" "+Escape(r))
		}
		kv("backends", strings.Join(parts, " · "))
	}
}

// extraAttempts lists, with -v, the handshakes kept outside Attempts.
func extraAttempts(kv func(k, v string), rec *probe.Record) {
	list := append([]probe.Attempt(nil), rec.Backends...)
	if rec.SNICheck != nil {
		list = append(list, *rec.SNICheck)
	}
	for _, at := range list {
		res := Escape(at.Outcome)
		if at.Error != nil {
			res += ": " + Escape(string(at.Error.Kind)) + ": " + Escape(at.Error.Message)
		} else if at.Version != "" {
			res += ": " + Escape(at.Version) + " " + Escape(at.CipherSuite)
		}
		kv(Escape(at.Purpose), fmt.Sprintf("%s → %s", Escape(at.Address), res))
	}
	if a := rec.Primary(); a != nil && a.Dial != nil && a.Dial.StartTLS != nil {
		for _, l := range a.Dial.StartTLS.Transcript {
			who := "S:"
			if l.From == "client" {
				who = "C:"
			}
			kv("starttls", fmt.Sprintf("%s %q", who, l.Text))
		}
	}
}
