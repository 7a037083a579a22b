package probe_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/internal/legacytls"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// benchSuites are the ~20 TLS 1.2 suites of scripts/bench-scan.sh.
var benchSuites = strings.Join([]string{
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305",
	"DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305", "ECDHE-RSA-AES128-SHA256",
	"ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA", "DHE-RSA-AES128-SHA256", "DHE-RSA-AES256-SHA256",
	"DHE-RSA-AES128-SHA", "DHE-RSA-AES256-SHA", "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA256", "AES256-SHA256",
	"AES128-SHA", "AES256-SHA", "CAMELLIA128-SHA",
}, ":")

// With several connections, a scan runs parallel chains when the server
// follows the client's order and one chain when it has its own. On real
// openssl s_server configurations it must find exactly what a scan with
// one connection at a time finds: the same suites in the same order, the
// same preferences, the same groups.
func TestScanParallelFindsTheSameOnOpenSSL(t *testing.T) {
	leaf := rsaLeaf(t, time.Now())
	for _, tt := range []struct {
		name string
		args []string
		// pref is the TLS 1.2 preference both scans must find.
		pref string
	}{
		{"client order", []string{"-no_tls1", "-no_tls1_1", "-cipher", benchSuites}, "client"},
		{"server order", []string{"-no_tls1", "-no_tls1_1", "-serverpref", "-cipher", benchSuites}, "server"},
		// Server order, except that a client listing ChaCha first gets
		// it: the first round can look like client order, the parallel
		// chains must notice it is not.
		{"chacha prioritised", []string{"-no_tls1", "-no_tls1_1", "-serverpref", "-prioritize_chacha", "-cipher", benchSuites}, "server"},
		{"TLS 1.0 only", []string{"-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:AES128-SHA:AES256-SHA:@SECLEVEL=0"}, "client"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startSServer(t, leaf, tt.args...)
			one := scan(t, s.Port, probe.ScanOptions{MaxConns: 1})
			par := scan(t, s.Port, probe.ScanOptions{MaxConns: 4})
			if o, p := scanFacts(one.Scan), scanFacts(par.Scan); !reflect.DeepEqual(o, p) {
				t.Errorf("parallel scan differs from the one-connection scan:\none %+v\npar %+v", o, p)
			}
			var pref string
			for _, v := range par.Scan.Versions {
				if v.Supported && v.Version != "TLS 1.3" {
					pref = v.Preference
				}
			}
			if pref != tt.pref {
				t.Errorf("preference %q, want %q", pref, tt.pref)
			}
			if tt.name == "client order" && len(par.Scan.Versions[3].Suites) != 21 {
				t.Errorf("TLS 1.2: %d suites, want the 21 an RSA key allows", len(par.Scan.Versions[3].Suites))
			}
			// Every ECDHE suite zcrypto reads the key exchange of names
			// its group, even when the answer that found it was signed
			// with a scheme zcrypto does not check (rsa_pkcs1_sha224):
			// the key-exchange column.
			for _, rec := range []*probe.Record{one, par} {
				for _, v := range rec.Scan.Versions {
					for _, su := range v.Suites {
						if slices.Contains(legacytls.ECDHESuites(), su.ID) && su.Group == "" {
							t.Errorf("%s %s: no group", v.Version, su.Name)
						}
					}
				}
			}
		})
	}
}
