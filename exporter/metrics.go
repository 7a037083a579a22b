package exporter

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Observation is one diagnosis of one address of a target.
type Observation struct {
	// IP is the address diagnosed, set only when the module probes every
	// address (all_ips); it becomes the ip label of every series.
	IP     string
	Result *engine.Result
}

// ProbeResult is what one /probe answer reports: the diagnoses and how
// long they took.
type ProbeResult struct {
	Duration time.Duration
	// Observations has one entry, or one per address with all_ips.
	Observations []Observation
	// PerAddress says the observations are per address (all_ips): every
	// per-target series gets an ip label and
	// tlsdoctor_backend_inconsistent is reported.
	PerAddress bool
}

// maxCertSeries bounds the certificate series of one observation, so a
// server that sends a hundred certificates cannot blow up a scrape.
const maxCertSeries = 16

// maxLabelLen bounds a label value taken from a certificate.
const maxLabelLen = 256

// Collector turns a ProbeResult into metrics. It is an unchecked
// collector (it describes nothing up front): the families it emits depend
// on what the diagnosis saw.
type Collector struct{ Result ProbeResult }

// Describe sends nothing: see Collector.
func (c Collector) Describe(chan<- *prometheus.Desc) {}

// Collect emits the metrics of every observation (see docs/monitoring.md
// for each family, its labels and cardinality).
func (c Collector) Collect(ch chan<- prometheus.Metric) {
	r := c.Result
	e := emitter{ch: ch, perIP: r.PerAddress}
	e.gauge(nil, "probe_duration_seconds", "How long the probe took, in seconds (blackbox_exporter).", r.Duration.Seconds())
	for _, o := range r.Observations {
		e.ip = o.IP
		e.observation(o.Result)
	}
	if r.PerAddress {
		e.ip = ""
		e.perIP = false
		e.gauge(nil, "tlsdoctor_backend_inconsistent", "1 when the addresses of the target differ: handshake outcome, leaf, chain sent, TLS version or findings.", b2f(inconsistent(r.Observations)))
	}
}

// emitter writes const metrics, adding the ip label when the probe is
// per address.
type emitter struct {
	ch    chan<- prometheus.Metric
	perIP bool
	ip    string
}

func (e emitter) emit(name, help string, t prometheus.ValueType, labels []string, values []string, v float64) {
	if e.perIP {
		labels = append([]string{"ip"}, labels...)
		values = append([]string{e.ip}, values...)
	}
	clean := make([]string, len(values))
	for i, s := range values {
		clean[i] = labelValue(s)
	}
	m, err := prometheus.NewConstMetric(prometheus.NewDesc(name, help, labels, nil), t, v, clean...)
	if err != nil {
		// Only a bug here (a label count mismatch) can fail: values are
		// made valid UTF-8 above.
		m = prometheus.NewInvalidMetric(prometheus.NewDesc(name, help, labels, nil), err)
	}
	e.ch <- m
}

// gauge emits a gauge; labels alternate name, value.
func (e emitter) gauge(labels []string, name, help string, v float64) {
	var names, values []string
	for i := 0; i+1 < len(labels); i += 2 {
		names, values = append(names, labels[i]), append(values, labels[i+1])
	}
	e.emit(name, help, prometheus.GaugeValue, names, values, v)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Established reports whether a TLS session was established (the
// handshake, and for mutual TLS the server's verdict, succeeded).
func Established(rec *probe.Record) bool {
	a := rec.Primary()
	return rec.DNS.Error == nil && a != nil && a.Outcome == "ok"
}

// Success is probe_success: a TLS session was established and no finding
// is an error, which is what a verifying client needs (a trusted, valid
// chain for the name, no revoked certificate, no refused key or
// signature).
func Success(res *engine.Result) bool {
	return Established(res.Record) && res.Worst() < checks.Error
}

func (e emitter) observation(res *engine.Result) {
	rec := res.Record
	in := checks.NewInput(rec, res.Env)
	established := Established(rec)
	success := Success(res)

	// blackbox_exporter and ssl_exporter compatibility.
	e.gauge(nil, "probe_success", "1 when a TLS session was established and no finding is an error (blackbox_exporter).", b2f(success))
	e.gauge(nil, "ssl_probe_success", "1 when a TLS session was established and no finding is an error (ssl_exporter 2.x).", b2f(success))
	e.gauge(nil, "ssl_tls_connect_success", "1 when a TLS session was established and no finding is an error (ssl_exporter 1.x).", b2f(success))
	if rec.DNS.Error == nil {
		e.gauge(nil, "probe_dns_lookup_time_seconds", "How long resolving the target took, in seconds (blackbox_exporter).", rec.DNS.DurationMS/1000)
	}
	if a := rec.Primary(); a != nil && a.Address != "" {
		if host, _, err := net.SplitHostPort(a.Address); err == nil {
			proto := 4.0
			if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
				proto = 6
			}
			e.gauge(nil, "probe_ip_protocol", "The IP protocol of the address connected to: 4 or 6 (blackbox_exporter).", proto)
		}
	}
	if established {
		v := rec.Primary().Version
		e.gauge([]string{"version", v}, "probe_tls_version_info", "The TLS version negotiated; always 1 (blackbox_exporter).", 1)
		e.gauge([]string{"version", v}, "ssl_tls_version_info", "The TLS version negotiated; always 1 (ssl_exporter).", 1)
	}
	if len(in.Chain) > 0 {
		e.chain(in, rec)
	}
	e.clientChain(rec, len(in.Chain) > 0)
	e.revocation(in, res)

	// tlsdoctor's own.
	seen := map[string]bool{}
	for _, f := range res.Findings {
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		e.gauge([]string{"id", f.ID, "severity", f.Severity.String()}, "tlsdoctor_finding", "1 for each finding of the diagnosis (see tlsdoctor checks).", 1)
	}
	e.gauge(nil, "tlsdoctor_worst_severity", "The most severe finding: 0 none, 1 info, 2 warning, 3 error.", float64(res.Worst()))
	if !established {
		reason, kind, alert := FailureCause(res)
		e.gauge([]string{"reason", reason, "kind", kind, "alert", alert}, "tlsdoctor_handshake_failure",
			"Present (1) when no TLS session was established: reason is the finding that explains it, kind the network-level error, alert the TLS alert.", 1)
	}
}

// pathOf is the certification path the checks judged: the best path to
// the first truststore (sent, AIA-fetched and anchor certificates), else
// the chain as sent.
func pathOf(in *checks.Input) ([]*x509.Certificate, *checks.TrustResult) {
	if tr := in.Trust(0); tr != nil && len(tr.Path) > 0 {
		return tr.Path, tr
	}
	return in.Chain, nil
}

func (e emitter) chain(in *checks.Input, rec *probe.Record) {
	path, tr := pathOf(in)
	earliest := path[0].NotAfter
	for _, c := range path {
		if c.NotAfter.Before(earliest) {
			earliest = c.NotAfter
		}
	}
	e.gauge(nil, "probe_ssl_earliest_cert_expiry", "The earliest notAfter, as a Unix time, of the certificates on the certification path the checks judged (leaf to trust anchor; not other certificates the server sends) (blackbox_exporter).", unix(earliest))
	if tr != nil && tr.Verdict == checks.Trusted {
		e.gauge(nil, "probe_ssl_last_chain_expiry_timestamp_seconds", "The earliest notAfter, as a Unix time, on the trusted certification path; absent when the chain is not trusted (blackbox_exporter).", unix(earliest))
	}
	leaf := in.Chain[0]
	fp := sha256.Sum256(leaf.Raw)
	e.gauge([]string{"fingerprint_sha256", hex.EncodeToString(fp[:]), "issuer", leaf.Issuer.String(), "subject", leaf.Subject.String(), "subjectalternative", strings.Join(leaf.DNSNames, ",")},
		"probe_ssl_last_chain_info", "The leaf certificate; always 1 (blackbox_exporter).", 1)

	// ssl_exporter: the certificates as sent, once each (by serial and
	// issuer CN, as ssl_exporter counts them).
	sslLabels := []string{"serial_no", "issuer_cn", "cn", "dnsnames", "ips", "emails", "ou"}
	seen := map[string]bool{}
	n := 0
	for _, c := range in.Chain {
		k := c.SerialNumber.String() + "\x00" + c.Issuer.CommonName
		if seen[k] || n >= maxCertSeries {
			continue
		}
		seen[k] = true
		n++
		vals := []string{c.SerialNumber.String(), c.Issuer.CommonName, c.Subject.CommonName, commaList(c.DNSNames), commaList(ipStrings(c.IPAddresses)), commaList(c.EmailAddresses), commaList(c.Subject.OrganizationalUnit)}
		e.emit("ssl_cert_not_after", "The notAfter of a certificate the server sent, as a Unix time (ssl_exporter).", prometheus.GaugeValue, sslLabels, vals, unix(c.NotAfter))
		e.emit("ssl_cert_not_before", "The notBefore of a certificate the server sent, as a Unix time (ssl_exporter).", prometheus.GaugeValue, sslLabels, vals, unix(c.NotBefore))
	}

	// tlsdoctor: every certificate of the path, by role and position.
	for i, c := range path {
		if i >= maxCertSeries {
			break
		}
		origin := "sent"
		switch {
		case containsCert(in.Chain, c):
		case in.FetchedFrom(c) != nil:
			origin = "aia"
		default:
			origin = "truststore"
		}
		e.certNotAfter(checks.Role(i, c), i, origin, c)
	}
	for i, ts := range in.Env.Truststores {
		if t := in.Trust(i); t != nil {
			e.gauge([]string{"store", ts.Name}, "tlsdoctor_chain_trusted", "1 when the chain leads to an anchor of this truststore.", b2f(t.Verdict == checks.Trusted))
		}
	}
}

func (e emitter) certNotAfter(role string, pos int, origin string, c *x509.Certificate) {
	e.gauge([]string{"role", role, "position", strconv.Itoa(pos), "origin", origin, "cn", checks.Name(c), "issuer_cn", c.Issuer.CommonName, "serial", checks.SerialHex(c)},
		"tlsdoctor_cert_not_after_seconds", "The notAfter, as a Unix time, of each certificate on the path (role leaf, intermediate, root; origin sent, aia or truststore) and of the client certificate chain (role client).", unix(c.NotAfter))
}

// clientChain reports the client certificate chain the module presents,
// and ssl_exporter's stapling gauge once a server chain came.
func (e emitter) clientChain(rec *probe.Record, gotChain bool) {
	if gotChain {
		stapled := false
		for _, a := range rec.Attempts {
			if len(a.Certificates) > 0 {
				stapled = len(a.OCSPStaple) > 0
				break
			}
		}
		e.gauge(nil, "ssl_ocsp_response_stapled", "1 when the server stapled an OCSP response (ssl_exporter).", b2f(stapled))
	}
	if rec.ClientIdentity == nil {
		return
	}
	for i, c := range rec.ClientIdentity.Certificates {
		if i >= maxCertSeries {
			break
		}
		cert, err := x509.ParseCertificate(c.DER)
		if err != nil {
			continue
		}
		e.certNotAfter("client", i, "identity", cert)
	}
}

// Revocation status codes, as ssl_exporter's ssl_ocsp_response_status.
const (
	revGood    = 0
	revRevoked = 1
	revUnknown = 2
)

func (e emitter) revocation(in *checks.Input, res *engine.Result) {
	revs := checks.Revocation(res.Record, res.Env)
	path, _ := pathOf(in)
	for _, cr := range revs {
		code := -1
		switch cr.Status {
		case checks.RevocationGood:
			code = revGood
		case checks.RevocationRevoked:
			code = revRevoked
		case checks.RevocationUnknown:
			code = revUnknown
		}
		if code >= 0 {
			pos := cr.Index
			for i, c := range path {
				if c.Equal(cr.Cert) {
					pos = i
				}
			}
			e.gauge([]string{"role", cr.Role, "position", strconv.Itoa(pos)}, "tlsdoctor_revocation_status",
				"Revocation status of each certificate checked: 0 good, 1 revoked, 2 unknown (absent when not checked).", float64(code))
		}
		if cr.Index != 0 {
			continue
		}
		// ssl_exporter reads the stapled response only, unverified; we
		// report its verdict once tlsdoctor has validated it.
		for _, a := range cr.Answers {
			if a.Source != checks.SourceStapled {
				continue
			}
			switch a.Verdict {
			case checks.AnswerGood:
				e.gauge(nil, "ssl_ocsp_response_status", "The stapled OCSP response's status once validated: 0 good, 1 revoked, 2 unknown (ssl_exporter).", revGood)
			case checks.AnswerRevoked:
				e.gauge(nil, "ssl_ocsp_response_status", "The stapled OCSP response's status once validated: 0 good, 1 revoked, 2 unknown (ssl_exporter).", revRevoked)
			case checks.AnswerUnknown:
				e.gauge(nil, "ssl_ocsp_response_status", "The stapled OCSP response's status once validated: 0 good, 1 revoked, 2 unknown (ssl_exporter).", revUnknown)
			}
		}
	}
}

// failureFindings are the findings that explain why no TLS session was
// established, most specific first.
var failureFindings = []string{
	"connect-failed", "not-tls",
	"client-cert-required", "client-cert-rejected", "client-cert-ca-not-accepted", "client-chain-incomplete",
	"client-cert-expired", "client-cert-not-yet-valid", "client-eku-missing",
	"version-mismatch", "cipher-mismatch", "handshake-failed",
}

// FailureCause classifies a failed diagnosis for tlsdoctor_handshake_failure:
// the finding that explains it (or "unexplained"), the probe's error kind
// (timeout, connection-refused, alert, ...) and the TLS alert's name.
func FailureCause(res *engine.Result) (reason, kind, alert string) {
	reason = "unexplained"
	ids := map[string]bool{}
	for _, f := range res.Findings {
		ids[f.ID] = true
	}
	for _, id := range failureFindings {
		if ids[id] {
			reason = id
			break
		}
	}
	rec := res.Record
	var pe *probe.ProbeError
	switch a := rec.Primary(); {
	case rec.DNS.Error != nil:
		pe = rec.DNS.Error
	case a != nil && a.Error != nil:
		pe = a.Error
	case a != nil && a.PostHandshake != nil && a.PostHandshake.Error != nil:
		pe = a.PostHandshake.Error
	}
	if pe != nil {
		kind = string(pe.Kind)
		if pe.Alert != nil {
			alert = pe.Alert.Name
		}
	}
	return reason, kind, alert
}

// inconsistent reports whether the addresses of a target behave
// differently.
func inconsistent(obs []Observation) bool {
	sig := func(res *engine.Result) string {
		rec := res.Record
		var b strings.Builder
		b.WriteString(strconv.FormatBool(Established(rec)))
		if a := rec.Primary(); a != nil {
			b.WriteString("|" + a.Version)
		}
		for _, c := range rec.Chain() {
			h := sha256.Sum256(c.DER)
			b.WriteString("|" + hex.EncodeToString(h[:8]))
		}
		var ids []string
		for _, f := range res.Findings {
			ids = append(ids, f.ID)
		}
		sort.Strings(ids)
		b.WriteString("|" + strings.Join(ids, ","))
		return b.String()
	}
	for i := 1; i < len(obs); i++ {
		if sig(obs[i].Result) != sig(obs[0].Result) {
			return true
		}
	}
	return false
}

func containsCert(cs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range cs {
		if x.Equal(c) {
			return true
		}
	}
	return false
}

func unix(t time.Time) float64 { return float64(t.Unix()) }

// commaList is ssl_exporter's list label: ",a,b," (empty for none).
func commaList(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return "," + strings.Join(ss, ",") + ","
}

func ipStrings(ips []net.IP) []string {
	var out []string
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	return out
}

// labelValue makes a value from a certificate safe as a label: valid
// UTF-8, no control characters, at most maxLabelLen bytes.
func labelValue(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
	if len(s) > maxLabelLen {
		cut := maxLabelLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
