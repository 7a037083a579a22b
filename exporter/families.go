package exporter

import "github.com/prometheus/client_golang/prometheus"

// family is one metric family /probe reports: its name, help and labels.
// With all_ips an ip label comes first on every per-address family.
type family struct {
	name, help string
	labels     []string
	// whole is set for the families about the whole probe, never per
	// address.
	whole bool
}

var sslCertLabels = []string{"serial_no", "issuer_cn", "cn", "dnsnames", "ips", "emails", "ou"}

// familyList is every family /probe can report (docs/monitoring.md
// describes each, with its cardinality).
func familyList() []family {
	return []family{
		// blackbox_exporter's names and labels.
		{name: "probe_success", help: "1 when a TLS session was established and no finding is an error (blackbox_exporter)."},
		{name: "probe_duration_seconds", help: "How long the probe took, in seconds (blackbox_exporter).", whole: true},
		{name: "probe_dns_lookup_time_seconds", help: "How long resolving the target took, in seconds (blackbox_exporter)."},
		{name: "probe_ip_protocol", help: "The IP protocol of the address connected to: 4 or 6 (blackbox_exporter)."},
		{name: "probe_tls_version_info", help: "The TLS version negotiated; always 1 (blackbox_exporter).", labels: []string{"version"}},
		{name: "probe_ssl_earliest_cert_expiry", help: "The earliest notAfter, as a Unix time, of the certificates on the certification path the checks judged (leaf to trust anchor; not other certificates the server sends) (blackbox_exporter)."},
		{name: "probe_ssl_last_chain_expiry_timestamp_seconds", help: "The earliest notAfter, as a Unix time, on the trusted certification path; absent when the chain is not trusted (blackbox_exporter)."},
		{name: "probe_ssl_last_chain_info", help: "The leaf certificate; always 1 (blackbox_exporter).", labels: []string{"fingerprint_sha256", "issuer", "subject", "subjectalternative"}},
		// ssl_exporter's.
		{name: "ssl_probe_success", help: "1 when a TLS session was established and no finding is an error (ssl_exporter 2.x)."},
		{name: "ssl_tls_connect_success", help: "1 when a TLS session was established and no finding is an error (ssl_exporter 1.x)."},
		{name: "ssl_tls_version_info", help: "The TLS version negotiated; always 1 (ssl_exporter).", labels: []string{"version"}},
		{name: "ssl_cert_not_after", help: "The notAfter of a certificate the server sent, as a Unix time (ssl_exporter).", labels: sslCertLabels},
		{name: "ssl_cert_not_before", help: "The notBefore of a certificate the server sent, as a Unix time (ssl_exporter).", labels: sslCertLabels},
		{name: "ssl_ocsp_response_stapled", help: "1 when the server stapled an OCSP response (ssl_exporter)."},
		{name: "ssl_ocsp_response_status", help: "The stapled OCSP response's status once validated: 0 good, 1 revoked, 2 unknown (ssl_exporter)."},
		// tlsdoctor's.
		{name: "tlsdoctor_finding", help: "1 for each finding of the diagnosis (see tlsdoctor checks).", labels: []string{"id", "severity"}},
		{name: "tlsdoctor_worst_severity", help: "The most severe finding: 0 none, 1 info, 2 warning, 3 error."},
		{name: "tlsdoctor_cert_not_after_seconds", help: "The notAfter, as a Unix time, of each certificate on the path (role leaf, intermediate, root; origin sent, aia or truststore) and of the client certificate chain (role client).",
			labels: []string{"role", "position", "origin", "cn", "issuer_cn", "serial"}},
		{name: "tlsdoctor_chain_trusted", help: "1 when the chain leads to an anchor of this truststore.", labels: []string{"store"}},
		{name: "tlsdoctor_revocation_status", help: "Revocation status of each certificate checked: 0 good, 1 revoked, 2 unknown (absent when not checked).", labels: []string{"role", "position"}},
		{name: "tlsdoctor_handshake_failure", help: "Present (1) when no TLS session was established: reason is the finding that explains it, kind the network-level error, alert the TLS alert.",
			labels: []string{"reason", "kind", "alert"}},
		{name: "tlsdoctor_backend_inconsistent", help: "1 when the addresses of the target differ: handshake outcome, leaf, chain sent, TLS version or findings.", whole: true},
	}
}

// Descs are the descriptors of every family, built once per exporter
// (building one is not free, and a scrape emits about thirty).
type Descs struct {
	plain, perIP map[string]*prometheus.Desc
}

// NewDescs builds the descriptors.
func NewDescs() *Descs {
	d := &Descs{plain: map[string]*prometheus.Desc{}, perIP: map[string]*prometheus.Desc{}}
	for _, f := range familyList() {
		d.plain[f.name] = prometheus.NewDesc(f.name, f.help, f.labels, nil)
		if f.whole {
			d.perIP[f.name] = d.plain[f.name]
			continue
		}
		d.perIP[f.name] = prometheus.NewDesc(f.name, f.help, append([]string{"ip"}, f.labels...), nil)
	}
	return d
}
