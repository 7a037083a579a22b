package exporter

import (
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

func collect(res *engine.Result) Collector {
	return Collector{Result: ProbeResult{Duration: 1500 * time.Millisecond, Observations: []Observation{{Result: res}}}}
}

func unixOf(c *x509.Certificate) float64 { return float64(c.NotAfter.Unix()) }

// TestMetricsPerScenario diagnoses the lab's fault servers and checks the
// series an alert rule would read.
func TestMetricsPerScenario(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.load(t, labConfig)
	pki := e.lab.PKI
	leaf, inter, root := pki.Get("leaf").Cert, pki.Get("intermediate").Cert, pki.Get("root").Cert
	earliest := min(unixOf(leaf), unixOf(inter), unixOf(root))
	type want struct {
		has    map[string]float64 // series that must be there, with this value
		absent []string           // families that must not be there
	}
	cases := []struct {
		scenario, module string
		want             want
	}{
		{"good", "default", want{has: map[string]float64{
			"probe_success": 1, "ssl_probe_success": 1, "ssl_tls_connect_success": 1,
			"probe_duration_seconds":                        1.5,
			`probe_tls_version_info{version="TLS 1.3"}`:     1,
			`ssl_tls_version_info{version="TLS 1.3"}`:       1,
			"probe_ssl_earliest_cert_expiry":                earliest,
			"probe_ssl_last_chain_expiry_timestamp_seconds": earliest,
			`tlsdoctor_cert_not_after_seconds{cn="localhost",issuer_cn="Example Intermediate CA",origin="sent",position="0",role="leaf",serial="` + checks.SerialHex(leaf) + `"}`:                unixOf(leaf),
			`tlsdoctor_cert_not_after_seconds{cn="Example Intermediate CA",issuer_cn="Example Root CA",origin="sent",position="1",role="intermediate",serial="` + checks.SerialHex(inter) + `"}`: unixOf(inter),
			`tlsdoctor_cert_not_after_seconds{cn="Example Root CA",issuer_cn="Example Root CA",origin="truststore",position="2",role="root",serial="` + checks.SerialHex(root) + `"}`:            unixOf(root),
			`ssl_cert_not_after{cn="localhost",dnsnames=",localhost,",emails="",ips=",127.0.0.1,::1,",issuer_cn="Example Intermediate CA",ou="",serial_no="` + leaf.SerialNumber.String() + `"}`: unixOf(leaf),
			`tlsdoctor_chain_trusted{store="ca-file ca.pem"}`:               1,
			`tlsdoctor_revocation_status{position="0",role="leaf"}`:         revGood,
			`tlsdoctor_revocation_status{position="1",role="intermediate"}`: revGood,
			"ssl_ocsp_response_stapled":                                     1,
			"ssl_ocsp_response_status":                                      revGood,
			"tlsdoctor_worst_severity":                                      0,
			`probe_ssl_last_chain_info{fingerprint_sha256="` + fingerprint(leaf) + `",issuer="CN=Example Intermediate CA,O=Example",subject="CN=localhost",subjectalternative="localhost"}`: 1,
		}, absent: []string{"tlsdoctor_handshake_failure", "tlsdoctor_finding"}}},
		// An expired leaf still has all its metrics: the handshake works,
		// only a verifying client refuses it.
		{"expired", "default", want{has: map[string]float64{
			"probe_success": 0, "ssl_probe_success": 0,
			`probe_tls_version_info{version="TLS 1.3"}`:             1,
			"probe_ssl_earliest_cert_expiry":                        unixOf(pki.Get("expired").Cert),
			`tlsdoctor_finding{id="cert-expired",severity="error"}`: 1,
			"tlsdoctor_worst_severity":                              3,
			`tlsdoctor_revocation_status{position="0",role="leaf"}`: revGood,
			`tlsdoctor_chain_trusted{store="ca-file ca.pem"}`:       1,
		}, absent: []string{"tlsdoctor_handshake_failure"}}},
		{"untrusted-root", "default", want{has: map[string]float64{
			"probe_success": 0,
			`tlsdoctor_finding{id="untrusted-root",severity="error"}`:       1,
			`tlsdoctor_chain_trusted{store="ca-file ca.pem"}`:               0,
			`tlsdoctor_revocation_status{position="1",role="intermediate"}`: revUnknown,
			"probe_ssl_earliest_cert_expiry":                                min(unixOf(pki.Get("other-leaf").Cert), unixOf(pki.Get("other-intermediate").Cert)),
		}, absent: []string{"probe_ssl_last_chain_expiry_timestamp_seconds", "tlsdoctor_handshake_failure"}}},
		{"client-cert-required", "default", want{has: map[string]float64{
			"probe_success": 0,
			`tlsdoctor_handshake_failure{alert="certificate_required",kind="alert",reason="client-cert-required"}`: 1,
			`tlsdoctor_finding{id="client-cert-required",severity="error"}`:                                        1,
			"probe_ssl_earliest_cert_expiry": earliest,
		}, absent: []string{"probe_tls_version_info"}}},
		// With the module's identity the same server accepts us, and the
		// client certificate's expiry is reported.
		{"client-cert-required", "mtls", want{has: map[string]float64{
			"probe_success": 1,
			`tlsdoctor_cert_not_after_seconds{cn="client.example.test",issuer_cn="Example Intermediate CA",origin="identity",position="0",role="client",serial="` + checks.SerialHex(pki.Get("client").Cert) + `"}`: unixOf(pki.Get("client").Cert),
			`tlsdoctor_cert_not_after_seconds{cn="Example Intermediate CA",issuer_cn="Example Root CA",origin="identity",position="1",role="client",serial="` + checks.SerialHex(inter) + `"}`:                      unixOf(inter),
		}, absent: []string{"tlsdoctor_handshake_failure"}}},
		{"revoked", "default", want{has: map[string]float64{
			"probe_success": 0,
			`tlsdoctor_finding{id="cert-revoked",severity="error"}`: 1,
			`tlsdoctor_revocation_status{position="0",role="leaf"}`: revRevoked,
			"ssl_ocsp_response_status":                              revRevoked,
		}}},
		{"plain-http", "default", want{has: map[string]float64{
			"probe_success": 0,
			`tlsdoctor_handshake_failure{alert="",kind="not-tls",reason="not-tls"}`: 1,
		}, absent: []string{"probe_ssl_earliest_cert_expiry", "ssl_cert_not_after", "tlsdoctor_cert_not_after_seconds", "probe_tls_version_info", "ssl_ocsp_response_stapled"}}},
	}
	for _, c := range cases {
		t.Run(c.scenario+"/"+c.module, func(t *testing.T) {
			res := diagnose(t, cfg.Modules[c.module], e.start(t, c.scenario))
			got := series(t, collect(res))
			for k, v := range c.want.has {
				gv, ok := got[k]
				if !ok {
					t.Errorf("no series %s; family: %v", k, named(got, k[:strings.IndexAny(k+"{", "{")]))
					continue
				}
				if gv != v {
					t.Errorf("%s = %v, want %v", k, gv, v)
				}
			}
			for _, f := range c.want.absent {
				if s := named(got, f); len(s) > 0 {
					t.Errorf("%s present: %v", f, s)
				}
			}
		})
	}
}

func fingerprint(c *x509.Certificate) string {
	return strings.ToLower(strings.ReplaceAll(checks.Fingerprint(c), ":", ""))
}

// TestExpositionHandshakeFailure pins the whole exposition of a failed
// handshake with the client library's testutil: the families, their help,
// type and labels.
func TestExpositionHandshakeFailure(t *testing.T) {
	rec := &probe.Record{
		RecordVersion: probe.RecordVersion, Target: probe.Target{Host: "db.example.test", Port: 5432},
		DNS: probe.DNSResult{Addresses: []string{"192.0.2.10"}, DurationMS: 2},
		Attempts: []probe.Attempt{{Purpose: probe.PurposePrimary, Address: "192.0.2.10:5432", Outcome: "failed",
			Error: &probe.ProbeError{Stage: probe.StageHandshake, Kind: probe.KindReset, Message: "connection reset by peer"}}},
	}
	res := engine.Judge(rec, engine.Judgement{}, time.Unix(1_800_000_000, 0))
	want := `
# HELP probe_dns_lookup_time_seconds How long resolving the target took, in seconds (blackbox_exporter).
# TYPE probe_dns_lookup_time_seconds gauge
probe_dns_lookup_time_seconds 0.002
# HELP probe_duration_seconds How long the probe took, in seconds (blackbox_exporter).
# TYPE probe_duration_seconds gauge
probe_duration_seconds 1.5
# HELP probe_ip_protocol The IP protocol of the address connected to: 4 or 6 (blackbox_exporter).
# TYPE probe_ip_protocol gauge
probe_ip_protocol 4
# HELP probe_success 1 when a TLS session was established and no finding is an error (blackbox_exporter).
# TYPE probe_success gauge
probe_success 0
# HELP ssl_probe_success 1 when a TLS session was established and no finding is an error (ssl_exporter 2.x).
# TYPE ssl_probe_success gauge
ssl_probe_success 0
# HELP ssl_tls_connect_success 1 when a TLS session was established and no finding is an error (ssl_exporter 1.x).
# TYPE ssl_tls_connect_success gauge
ssl_tls_connect_success 0
# HELP tlsdoctor_finding 1 for each finding of the diagnosis (see tlsdoctor checks).
# TYPE tlsdoctor_finding gauge
tlsdoctor_finding{id="handshake-failed",severity="error"} 1
# HELP tlsdoctor_handshake_failure Present (1) when no TLS session was established: reason is the finding that explains it, kind the network-level error, alert the TLS alert.
# TYPE tlsdoctor_handshake_failure gauge
tlsdoctor_handshake_failure{alert="",kind="connection-reset",reason="handshake-failed"} 1
# HELP tlsdoctor_worst_severity The most severe finding: 0 none, 1 info, 2 warning, 3 error.
# TYPE tlsdoctor_worst_severity gauge
tlsdoctor_worst_severity 3
`
	if err := testutil.CollectAndCompare(collect(res), strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// TestExpositionLint runs the client library's linter on tlsdoctor's own
// families (the compatibility names are what the other exporters chose).
func TestExpositionLint(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.load(t, labConfig)
	res := diagnose(t, cfg.Modules["mtls"], e.start(t, "client-cert-required"))
	names := []string{"tlsdoctor_finding", "tlsdoctor_worst_severity", "tlsdoctor_cert_not_after_seconds", "tlsdoctor_chain_trusted", "tlsdoctor_revocation_status"}
	if n := testutil.CollectAndCount(collect(res), names...); n < 6 {
		t.Fatalf("only %d tlsdoctor series", n)
	}
	problems, err := testutil.CollectAndLint(collect(res), names...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestPerAddress: with one observation per address every series has an
// ip label, and tlsdoctor_backend_inconsistent says whether they differ.
func TestPerAddress(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.load(t, labConfig)
	good := diagnose(t, cfg.Modules["default"], e.start(t, "good"))
	good2 := diagnose(t, cfg.Modules["default"], e.start(t, "good"))
	expired := diagnose(t, cfg.Modules["default"], e.start(t, "expired"))
	same := series(t, Collector{Result: ProbeResult{PerAddress: true, Observations: []Observation{{IP: "192.0.2.1", Result: good}, {IP: "192.0.2.2", Result: good2}}}})
	if v, ok := same["tlsdoctor_backend_inconsistent"]; !ok || v != 0 {
		t.Errorf("two identical backends: inconsistent = %v (present %v)", v, ok)
	}
	mixed := series(t, Collector{Result: ProbeResult{PerAddress: true, Observations: []Observation{{IP: "192.0.2.1", Result: good}, {IP: "192.0.2.2", Result: expired}}}})
	if mixed["tlsdoctor_backend_inconsistent"] != 1 {
		t.Errorf("good and expired backends: inconsistent = %v", mixed["tlsdoctor_backend_inconsistent"])
	}
	if mixed[`probe_success{ip="192.0.2.1"}`] != 1 || mixed[`probe_success{ip="192.0.2.2"}`] != 0 {
		t.Errorf("probe_success per ip: %v", named(mixed, "probe_success"))
	}
	if _, ok := mixed[`tlsdoctor_finding{id="cert-expired",ip="192.0.2.2",severity="error"}`]; !ok {
		t.Errorf("the expired backend's finding lacks its ip: %v", named(mixed, "tlsdoctor_finding"))
	}
	for k := range mixed {
		if !strings.Contains(k, `ip="`) && k != "tlsdoctor_backend_inconsistent" && k != "probe_duration_seconds" {
			t.Errorf("%s has no ip label", k)
		}
	}
	if _, ok := series(t, collect(good))["tlsdoctor_backend_inconsistent"]; ok {
		t.Error("tlsdoctor_backend_inconsistent reported without all_ips")
	}
}

// TestHostileLabels: names from a server's certificate are made valid
// label values, bounded, and a chain of many certificates yields a
// bounded number of series.
func TestHostileLabels(t *testing.T) {
	for in, want := range map[string]string{
		"ok": "ok", "a\xffb": `a\xffb`, "line\nbreak\x1b[31m": `line\nbreak\x1b[31m`,
		"evil\u202egnp.exe": `evil\u202egnp.exe`, "zw\u200bsp\u2066": `zw\u200bsp\u2066`,
	} {
		if got := labelValue(in); got != want {
			t.Errorf("labelValue(%q) = %q, want %q", in, got, want)
		}
	}
	if got := labelValue(strings.Repeat("é", 400)); len(got) > maxLabelLen+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("long label not cut: %d bytes", len(got))
	}

	e := newTestEnv(t)
	var chain []probe.Certificate
	for i := 0; i < 40; i++ {
		chain = append(chain, probe.Certificate{DER: e.lab.PKI.Get("other-intermediate").Cert.Raw})
	}
	chain[0] = probe.Certificate{DER: e.lab.PKI.Get("leaf").Cert.Raw}
	rec := &probe.Record{RecordVersion: probe.RecordVersion, Target: probe.Target{Host: "localhost", Port: 443},
		Attempts: []probe.Attempt{{Purpose: probe.PurposePrimary, Address: "127.0.0.1:443", Outcome: "ok", Version: "TLS 1.3", Certificates: chain}}}
	// Distinct certificates: re-issue 40 intermediates.
	for i := 1; i < 40; i++ {
		is, err := e.lab.PKI.Issue(fixturesSpec(i))
		if err != nil {
			t.Fatal(err)
		}
		rec.Attempts[0].Certificates[i] = probe.Certificate{DER: is.Cert.Raw}
	}
	res := engine.Judge(rec, engine.Judgement{}, time.Now())
	s := series(t, collect(res))
	if n := len(named(s, "ssl_cert_not_after")); n != maxCertSeries {
		t.Errorf("%d ssl_cert_not_after series for 40 certificates, want %d", n, maxCertSeries)
	}
}

var _ prometheus.Collector = Collector{}

func fixturesSpec(i int) fixtures.CertSpec {
	return fixtures.CertSpec{Name: fmt.Sprintf("extra-%d", i), Parent: "root", CommonName: fmt.Sprintf("Extra CA %d", i), IsCA: true}
}
