package checks_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// The flag has its own name so that it cannot clash with another -update
// registered in this test binary.
var updateMTLS = flag.Bool("update-mtls", false, "re-record testdata/records/mtls-*.json from live servers")

// TestMTLSRecords judges saved mutual-TLS records offline, at the time
// they were made and with the truststore they embed, the way `tlsdoctor
// diagnose --record` does: the verdict must not depend on the network or
// the clock. Run with -update-mtls to re-record them (needs openssl and
// nginx for two of them).
func TestMTLSRecords(t *testing.T) {
	goServer := func(spec fixtures.MTLSSpec) func(*testing.T, *fixtures.Lab) int {
		return func(t *testing.T, l *fixtures.Lab) int {
			srv, err := l.StartMTLS(spec)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			return srv.Port
		}
	}
	noCANamesTLS13 := func(t *testing.T, l *fixtures.Lab) int {
		openssl, err := exec.LookPath("openssl")
		if err != nil {
			t.Skip("openssl not installed (apt-get install -y openssl)")
		}
		f := writePeerFiles(t, l)
		port := freePort(t)
		startPeer(t, port, filepath.Join(f.dir, "s_server.log"), openssl, "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
			"-cert", f.leaf, "-cert_chain", f.chain, "-key", f.key, "-Verify", "1", "-verify_return_error", "-CAfile", f.root, "-no_ca_names", "-www", "-quiet", "-tls1_3")
		return port
	}
	require := fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}}
	tls12 := require
	tls12.MaxVersion = tls.VersionTLS12
	for _, tc := range []struct {
		name     string
		start    func(*testing.T, *fixtures.Lab) int
		identity []string
		want     []string
	}{
		{"mtls-required-tls13", goServer(require), nil, []string{"client-cert-required"}},
		{"mtls-required-tls12", goServer(tls12), nil, []string{"client-cert-required"}},
		{"mtls-ca-not-accepted-tls12", goServer(tls12), []string{"client-other", "other-intermediate"}, []string{"client-cert-ca-not-accepted", "client-cert-rejected"}},
		{"mtls-expired-tls13", goServer(require), []string{"client-expired", "intermediate"}, []string{"client-cert-rejected", "client-cert-expired"}},
		{"mtls-leaf-only-tls13", goServer(require), []string{"client"}, []string{"client-cert-rejected", "client-chain-incomplete"}},
		{"mtls-optional-tls13", goServer(fixtures.MTLSSpec{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: []string{"root"}}), []string{"client", "intermediate"}, []string{"client-auth-optional"}},
		{"mtls-empty-ca-extension-tls13", noCANamesTLS13, nil, []string{"client-ca-list-empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "records", tc.name+".json")
			if *updateMTLS {
				l := liveLab(t)
				port := tc.start(t, l)
				rec, _ := probeMTLS(t, l, port, 0, tc.identity...)
				rec.Truststores = []probe.RecordedTruststore{{Name: "lab root", Certificates: []probe.Certificate{{DER: l.PKI.Get("root").Cert.Raw}}}}
				data, err := json.MarshalIndent(rec, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./checks -run TestMTLSRecords -update-mtls)", err)
			}
			rec, err := probe.DecodeRecord(data)
			if err != nil {
				t.Fatal(err)
			}
			var stores []checks.Truststore
			for _, rt := range rec.Truststores {
				var certs []*x509.Certificate
				for _, c := range rt.Certificates {
					cert, err := x509.ParseCertificate(c.DER)
					if err != nil {
						t.Fatal(err)
					}
					certs = append(certs, cert)
				}
				stores = append(stores, checks.NewTruststore(rt.Name, certs))
			}
			got := ids(checks.Run(rec, checks.Env{Now: rec.StartedAt, Truststores: stores}))
			sort.Strings(got)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("findings = %v, want exactly %v", got, want)
			}
		})
	}
}
