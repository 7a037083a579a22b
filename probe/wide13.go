package probe

import (
	"context"
	"crypto/tls"
	"sync"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/internal/legacytls"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// PurposeWide13 is the attempt made when the primary handshake was
// refused with an alert before any certificate: one TLS 1.3 ClientHello
// offering every group, suite and signature scheme (legacytls.WideHello13),
// no key share. A ServerHello or HelloRetryRequest to it says the server
// speaks TLS 1.3 and refused our hello for a parameter crypto/tls lacks
// (the group and suite it picked are recorded), not for want of a
// certificate; an alert says it refuses that too. It stops at the
// server's first message: no key is generated, nothing is recorded past
// the group and suite.
const PurposeWide13 = "tls13-wide"

// PurposeWide13GoSchemes is made next to PurposeWide13: the same hello
// with crypto/tls's signature schemes. When the wide hello is answered
// and this one is refused, the schemes are what the server refused ours
// for; when both are answered, the server asks for a group before it
// looks at them (Go and Java servers do so even with no usable key).
const PurposeWide13GoSchemes = "tls13-wide-go-schemes"

// needsWide13 says whether a failed primary attempt gets the wide TLS 1.3
// hello: TLS 1.3 was offered and the server answered with an alert about
// what it was offered, before any certificate.
func needsWide13(a *Attempt, maxV uint16) bool {
	if maxV < tls.VersionTLS13 || a.Error == nil || a.Error.Stage != StageHandshake || len(a.Certificates) > 0 ||
		a.Error.Kind != KindAlert || a.Error.Alert == nil {
		return false
	}
	switch a.Error.Alert.Name {
	case "handshake_failure", "insufficient_security", "illegal_parameter", "internal_error":
		return true
	}
	return false
}

// wide13Attempt makes the PurposeWide13 attempt to addr.
func wide13Attempt(ctx context.Context, d *dial.Dialer, t Target, addr string, hosts *Hosts, purpose string) Attempt {
	sigAlgs := legacytls.WideSigAlgs13
	if purpose == PurposeWide13GoSchemes {
		sigAlgs = legacytls.CryptoTLSSigAlgs
	}
	a := Attempt{Purpose: purpose, Outcome: "failed", Address: addr,
		Offered: Offer{MinVersion: VersionName(tls.VersionTLS13), MaxVersion: VersionName(tls.VersionTLS13), SNI: t.SNI,
			Suites: legacytls.WideSuites13, Groups: legacytls.WideGroups13}}
	for _, id := range sigAlgs {
		a.Offered.SigAlgs = append(a.Offered.SigAlgs, SigAlgName(id))
	}
	r, ok := timedHello(ctx, &a, addr, hosts, func(hctx context.Context) legacytls.Result {
		return legacytls.WideHello13(hctx, connector(d, addr, &a.Dial), t.SNI, sigAlgs)
	})
	if !ok {
		return a
	}
	switch {
	case r.Answered:
		a.Outcome = "server-hello"
		a.Version, a.VersionID = VersionName(r.Version), r.Version
		a.CipherSuite, a.CipherID = ciphersuite.Name(r.Suite), r.Suite
		if r.Group != 0 {
			a.Group, a.GroupID = GroupName(r.Group), r.Group
		}
	case r.AlertSeen:
		a.Error = &ProbeError{Stage: StageHandshake, Kind: KindAlert, Message: "remote error: " + AlertName(r.Alert),
			Alert: &Alert{Code: r.Alert, Name: AlertName(r.Alert), Direction: "received"}}
	default:
		a.Error = classify(StageHandshake, r.Err, nil)
	}
	return a
}

// anyAnswered says whether some attempt got the server's hello.
func anyAnswered(as []Attempt) bool {
	for _, a := range as {
		if a.Outcome == "ok" || a.Outcome == "server-hello" {
			return true
		}
	}
	return false
}

// wide13Attempts makes both wide TLS 1.3 hellos at once.
func wide13Attempts(ctx context.Context, d *dial.Dialer, t Target, addr string, hosts *Hosts) []Attempt {
	out := make([]Attempt, 2)
	var wg sync.WaitGroup
	for i, p := range []string{PurposeWide13, PurposeWide13GoSchemes} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = wide13Attempt(ctx, d, t, addr, hosts, p)
		}()
	}
	wg.Wait()
	return out
}
