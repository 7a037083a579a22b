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

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/internal/safetext"
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
type Collector struct {
	Result ProbeResult
	// Descs are the exporter's descriptors; nil builds them.
	Descs *Descs
}

// Describe sends nothing: see Collector.
func (c Collector) Describe(chan<- *prometheus.Desc) {}

// Collect emits the metrics of every observation (see docs/monitoring.md
// for each family, its labels and cardinality).
func (c Collector) Collect(ch chan<- prometheus.Metric) {
	r := c.Result
	d := c.Descs
	if d == nil {
		d = NewDescs()
	}
	e := emitter{ch: ch, descs: d.plain}
	if r.PerAddress {
		e.descs = d.perIP
	}
	e.set("probe_duration_seconds", r.Duration.Seconds())
	for _, o := range r.Observations {
		e.ip = o.IP
		e.observation(o.Result)
	}
	if r.PerAddress {
		e.ip = ""
		e.set("tlsdoctor_backend_inconsistent", b2f(inconsistent(r.Observations)))
	}
}

// emitter writes const metrics, with the ip label first when the probe
// is per address.
type emitter struct {
	ch    chan<- prometheus.Metric
	descs map[string]*prometheus.Desc
	ip    string
}

// set emits a gauge of the named family with these label values.
func (e emitter) set(name string, v float64, values ...string) {
	desc := e.descs[name]
	clean := make([]string, 0, len(values)+1)
	if e.ip != "" {
		clean = append(clean, e.ip)
	}
	for _, s := range values {
		clean = append(clean, labelValue(s))
	}
	m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, v, clean...)
	if err != nil {
		// Only a bug (a label count mismatch) can fail here: values are
		// made valid UTF-8 above (the ip label is an address we parsed).
		m = prometheus.NewInvalidMetric(desc, err)
	}
	e.ch <- m
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
	in := res.Input
	if in == nil {
		in = checks.NewInput(rec, res.Env)
	}
	established := Established(rec)
	success := Success(res)

	// blackbox_exporter and ssl_exporter compatibility.
	e.set("probe_success", b2f(success))
	e.set("ssl_probe_success", b2f(success))
	e.set("ssl_tls_connect_success", b2f(success))
	if rec.DNS.Error == nil {
		e.set("probe_dns_lookup_time_seconds", rec.DNS.DurationMS/1000)
	}
	if a := rec.Primary(); a != nil && a.Address != "" {
		if host, _, err := net.SplitHostPort(a.Address); err == nil {
			proto := 4.0
			if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
				proto = 6
			}
			e.set("probe_ip_protocol", proto)
		}
	}
	if established {
		v := rec.Primary().Version
		e.set("probe_tls_version_info", 1, v)
		e.set("ssl_tls_version_info", 1, v)
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
		e.set("tlsdoctor_finding", 1, f.ID, f.Severity.String())
	}
	e.set("tlsdoctor_worst_severity", float64(res.Worst()))
	if !established {
		reason, kind, alert := FailureCause(res)
		e.set("tlsdoctor_handshake_failure", 1, reason, kind, alert)
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
	e.set("probe_ssl_earliest_cert_expiry", unix(earliest))
	if tr != nil && tr.Verdict == checks.Trusted {
		e.set("probe_ssl_last_chain_expiry_timestamp_seconds", unix(earliest))
	}
	leaf := in.Chain[0]
	fp := sha256.Sum256(leaf.Raw)
	e.set("probe_ssl_last_chain_info", 1, hex.EncodeToString(fp[:]), leaf.Issuer.String(), leaf.Subject.String(), strings.Join(leaf.DNSNames, ","))

	// ssl_exporter: the certificates as sent, once each (by serial and
	// issuer CN, as ssl_exporter counts them).
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
		e.set("ssl_cert_not_after", unix(c.NotAfter), vals...)
		e.set("ssl_cert_not_before", unix(c.NotBefore), vals...)
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
			e.set("tlsdoctor_chain_trusted", b2f(t.Verdict == checks.Trusted), ts.Name)
		}
	}
}

func (e emitter) certNotAfter(role string, pos int, origin string, c *x509.Certificate) {
	e.set("tlsdoctor_cert_not_after_seconds", unix(c.NotAfter), role, strconv.Itoa(pos), origin, checks.Name(c), c.Issuer.CommonName, checks.SerialHex(c))
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
		e.set("ssl_ocsp_response_stapled", b2f(stapled))
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
	revs := in.Revocations()
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
			e.set("tlsdoctor_revocation_status", float64(code), cr.Role, strconv.Itoa(pos))
		}
		if !cr.Leaf {
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
				e.set("ssl_ocsp_response_status", revGood)
			case checks.AnswerRevoked:
				e.set("ssl_ocsp_response_status", revRevoked)
			case checks.AnswerUnknown:
				e.set("ssl_ocsp_response_status", revUnknown)
			}
		}
	}
}

// failureFindings are the findings that explain why no TLS session was
// established, most specific first.
var failureFindings = []string{
	"proxy-refused", "starttls-unsupported", "connect-failed", "not-tls",
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

// labelValue makes a value from a certificate, a server or a request
// safe as a label: escaped the way report/ prints it (internal/safetext:
// control, bidi, zero-width and other invisible characters and invalid
// UTF-8 become \x1b, \n, \u202e, \xff), so a name in Grafana or on the
// /metrics page reads as it does in a terminal, and cut to maxLabelLen
// bytes (then "…") without splitting an escape.
func labelValue(s string) string { return safetext.LineMax(s, maxLabelLen) }
