package inspect

import (
	"crypto/x509"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// The network checks judge a chain as a server sends it. A keystore
// entry is exactly that chain, so inspect runs those same checks on a
// record that holds only the entry's chain: the IDs, severities, wording
// and client verdicts stay the checks package's, with no second copy of
// their rules here.

// chainRecord is a record of a server that sends chain, for name.
func chainRecord(chain []*x509.Certificate, name string, now time.Time) *probe.Record {
	var certs []probe.Certificate
	for _, c := range chain {
		certs = append(certs, probe.Certificate{DER: c.Raw})
	}
	return &probe.Record{
		StartedAt: now,
		Target:    probe.Target{Input: name, Host: name, Port: 443, SNI: name, ConnectHost: name, ConnectPort: 443},
		Attempts:  []probe.Attempt{{Purpose: probe.PurposePrimary, Outcome: "ok", Certificates: certs}},
	}
}

// runChecks runs the named checks (in the checks package's order) on a
// chain, against stores (none: the sent chain alone is judged).
func runChecks(chain []*x509.Certificate, name string, ids []string, env checks.Env) []checks.Finding {
	if len(chain) == 0 {
		return nil
	}
	in := checks.NewInput(chainRecord(chain, name, env.Now), env)
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []checks.Finding
	for _, c := range checks.All() {
		if !want[c.ID] {
			continue
		}
		for _, f := range c.Run(in) {
			if f.ID == "" {
				f.ID = c.ID
			}
			if f.Severity == 0 {
				f.Severity = c.Severity
			}
			out = append(out, f)
		}
	}
	return out
}

// trustOf builds the best path from chain to store with the checks
// package's path builder (the one the live checks use).
func trustOf(chain []*x509.Certificate, name string, store checks.Truststore, now time.Time) *checks.TrustResult {
	if len(chain) == 0 {
		return nil
	}
	in := checks.NewInput(chainRecord(chain, name, now), checks.Env{Now: now, Truststores: []checks.Truststore{store}})
	return in.Trust(0)
}
