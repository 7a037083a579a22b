package cli

import (
	"testing"
)

// TestFixBundleRerun: the tlsdoctor --fix-bundle command printed for a
// chain sent leaf-last and for a chain too large for clients repeats the
// diagnosis as it was run (the address given with --connect-to, the CA
// file given with --ca-file), so it writes the full chain; served, the
// finding is gone. (It used to drop both flags: with a private CA it
// wrote nothing, "no complete chain".)
func TestFixBundleRerun(t *testing.T) {
	bin := buildTlsdoctor(t)
	l := newLab(t)
	ca := writeFile(t, t.TempDir(), "root.pem", l.RootPEM())
	for _, tc := range []struct{ scenario, id string }{
		{"reversed-chain", "chain-order"},
		{"chain-too-large", "chain-too-large"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			srv := startScenario(t, l, tc.scenario)
			f := findingByID(t, diagnoseJSON(t, nil, srv.Port, "--ca-file", ca), tc.id)
			r := newFixRun(t, bin)
			r.runFix(f, "tlsdoctor") // tlsdoctor exits 1: the server still has the finding
			r.mustHaveRun("tlsdoctor localhost:")
			chain := r.read("fullchain.pem")
			if cs := pemCerts(t, chain); len(cs) != 2 || cs[0].Subject.CommonName != "localhost" {
				t.Fatalf("fullchain.pem holds %d certificates, want the leaf then the intermediate", len(cs))
			}
			noFindingOn(t, serveFiles(t, chain, labKey(l, "leaf")), tc.id, "--ca-file", ca)
		})
	}
}
