package report

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// forgedName is what a forgedName certificate carries in its names: a carriage
// return, a newline and a bidi override, so that a name written into a
// finding as it is starts a line of the report that looks like
// tlsdoctor's own text.
const forgedName = "\r\nFORGED:all-good\u202e"

// hostilePKI builds a root, an intermediate, a leaf and a client
// certificate whose CN, O and OU (and the leaf's and the client's SANs)
// hold forgedName. A DNS SAN must be IA5: it gets the newline, not U+202E.
func hostilePKI(t *testing.T, rec *probe.Record) *fixtures.PKI {
	t.Helper()
	ou := func(c *x509.Certificate) { c.Subject.OrganizationalUnit = []string{"Unit" + forgedName} }
	san := "localhost\r\nFORGED:san"
	p, err := fixtures.Build(rec.StartedAt,
		fixtures.CertSpec{Name: "root", CommonName: "Hostile Root" + forgedName, Organization: "Org" + forgedName, IsCA: true, Mutate: ou},
		fixtures.CertSpec{Name: "inter", Parent: "root", CommonName: "Hostile Intermediate" + forgedName, Organization: "Org" + forgedName, IsCA: true, Mutate: ou,
			IssuingCertificateURL: []string{"http://aia.example/inter.crt\nFORGED:url"}},
		fixtures.CertSpec{Name: "leaf", Parent: "inter", CommonName: "localhost" + forgedName, Organization: "Org" + forgedName, DNSNames: []string{"localhost", san}, Mutate: ou},
		fixtures.CertSpec{Name: "expired", Parent: "root", CommonName: "localhost" + forgedName, DNSNames: []string{san}, NotBefore: -48 * time.Hour, NotAfter: -24 * time.Hour},
		fixtures.CertSpec{Name: "self", CommonName: "Self" + forgedName, DNSNames: []string{san}, Mutate: ou},
		fixtures.CertSpec{Name: "client", Parent: "inter", CommonName: "Client" + forgedName, DNSNames: []string{san},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, Mutate: ou},
	)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ders(p *fixtures.PKI, names ...string) []probe.Certificate {
	var out []probe.Certificate
	for _, n := range names {
		out = append(out, probe.Certificate{DER: p.Get(n).DER})
	}
	return out
}

// TestNoForgedDetailLines: certificate names (subject and issuer CN, O,
// OU, SANs), the acceptable CAs of a CertificateRequest, an HTTP status
// line, a STARTTLS or proxy answer, an alert or error message and every
// other string of a record hold "\r\n" and U+202E; every check runs on
// every recorded case with several forgedName chains, and no line of the
// text report (the finding's detail included, whose own newlines are
// kept) starts with the forged text.
func TestNoForgedDetailLines(t *testing.T) {
	files, err := filepath.Glob("../testdata/records/*.json")
	if err != nil || len(files) == 0 {
		t.Fatal("no records", err)
	}
	shapes := map[string][]string{
		"full":    {"leaf", "inter"},
		"alone":   {"leaf"},
		"root":    {"leaf", "inter", "root"},
		"reverse": {"inter", "leaf"},
		"expired": {"expired"},
		"self":    {"self"},
	}
	seen := map[string]bool{} // one error per finding and chain
	triggered := map[string]int{}
	defer func() { t.Logf("triggered: %v", triggered) }()
	inputs := map[string][]byte{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(file)] = data
	}
	for name, data := range failureRecords(t, inputs["refused.json"]) {
		inputs[name] = data
	}
	for file, data := range inputs {
		for shape, names := range shapes {
			rec, err := probe.DecodeRecord(data)
			if err != nil {
				t.Fatal(err)
			}
			p := hostilePKI(t, rec)
			root := p.Get("root").Cert
			for i := range rec.Attempts {
				a := &rec.Attempts[i]
				if len(a.Certificates) > 0 {
					a.Certificates = ders(p, names...)
				}
				if a.CertificateRequest != nil {
					a.CertificateRequest.AcceptableCAs = []probe.DistinguishedName{
						{DER: root.RawSubject, Text: root.Subject.String()},
						{DER: mustDN(t, "Other CA"+forgedName), Text: "CN=Other CA" + forgedName},
					}
				}
			}
			if rec.ClientIdentity != nil {
				rec.ClientIdentity.Certificates = ders(p, "client", "inter")
			}
			rec.Truststores = []probe.RecordedTruststore{{Name: "hostile"}, {Name: "with-root", Certificates: ders(p, "root")}}
			poisonFree(reflect.ValueOf(rec), forgedName)
			env := checks.Env{Now: rec.StartedAt}
			for _, rt := range rec.Truststores {
				ts, _ := checks.RecordedTruststore(rt)
				env.Truststores = append(env.Truststores, ts)
			}
			fs := checks.Run(rec, env)
			for _, f := range fs {
				triggered[f.ID]++
			}
			trust := checks.StoreVerdicts(checks.NewInput(rec, env))
			r := Report{Record: rec, Findings: fs, Now: rec.StartedAt, Trust: trust, Truststores: []string{"hostile", "with-root"}}
			for _, o := range []TextOptions{{Verbose: true, Width: -1}, {Verbose: true, Width: 60}} {
				var b bytes.Buffer
				if err := Text(&b, r, o); err != nil {
					t.Fatal(err)
				}
				for _, m := range forged.FindAllIndex(b.Bytes(), -1) {
					where := findingAt(b.Bytes(), m[0])
					if key := where + "/" + shape; !seen[key] {
						seen[key] = true
						t.Errorf("%s/%s (width %d): a record string forged a line in %s:\n%s", file, shape, o.Width, where, around(b.Bytes(), m[0]))
					}
				}
			}
			if testing.Verbose() && shape == "full" {
				t.Logf("%s: %d findings", file, len(fs))
			}
		}
	}
}

func mustDN(t *testing.T, cn string) []byte {
	t.Helper()
	der, err := asn1.Marshal(pkix.Name{CommonName: cn}.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// findingAt names the finding whose block holds offset i of a text
// report: the last "✗ ERROR id", "! WARNING id" or "i INFO id" line
// before it.
func findingAt(b []byte, i int) string {
	head := regexp.MustCompile(`(?m)^[✗!i] (ERROR|WARNING|INFO) (\S+)`)
	id := "the header"
	for _, m := range head.FindAllSubmatch(b[:i], -1) {
		id = string(m[2])
	}
	return id
}

// freeText are the record fields that hold text a server, a file or a
// user wrote (the others name what tlsdoctor did: a purpose, an outcome,
// a version, and must keep their meaning for the checks to run).
var freeText = map[string]bool{"Message": true, "HTTPStatus": true, "Text": true, "Status": true, "Headers": true,
	"Source": true, "CertFile": true, "KeyFile": true, "ContentType": true, "ForSubject": true, "Input": true,
	"NoClientCertificateReason": true, "Request": true}

// poisonFree appends s to every free-text string of v (a pointer).
func poisonFree(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			poisonFree(v.Elem(), s)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			switch {
			case !f.IsExported():
			case freeText[f.Name] && f.Type.Kind() == reflect.String:
				v.Field(i).SetString(v.Field(i).String() + s)
			case freeText[f.Name] && f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
				for j := 0; j < v.Field(i).Len(); j++ {
					e := v.Field(i).Index(j)
					e.SetString(e.String() + s)
				}
			default:
				poisonFree(v.Field(i), s)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := 0; i < v.Len(); i++ {
				poisonFree(v.Index(i), s)
			}
		}
	}
}

// failureRecords are refused.json with the primary attempt failing in the
// ways whose messages carry a server's words: a proxy's status line, a
// STARTTLS greeting or reply, an error from the TLS stack.
func failureRecords(t *testing.T, refused []byte) map[string][]byte {
	t.Helper()
	smtp := &dial.StartTLSExchange{Protocol: "smtp", Transcript: []dial.Line{{From: "server", Text: "220 mail.example ESMTP"}, {From: "client", Text: "EHLO tlsdoctor"}, {From: "server", Text: "454 TLS not available"}}}
	proxy := func(code int, status string) *dial.ProxyExchange {
		return &dial.ProxyExchange{ProxyInfo: dial.ProxyInfo{Scheme: "http", Address: "proxy.example:3128", Source: "HTTPS_PROXY"}, Target: "localhost:443",
			Request: "CONNECT localhost:443 HTTP/1.1", Status: status, StatusCode: code, Headers: []string{"Server: squid", "Proxy-Authenticate: Basic realm=x"}}
	}
	cases := map[string]struct {
		e   probe.ProbeError
		log *dial.Log
	}{
		"proxy-418":         {probe.ProbeError{Stage: probe.StageProxy, Kind: probe.KindProxyRefused, Message: "proxy answered HTTP/1.1 418 I'm a teapot"}, &dial.Log{Proxy: proxy(418, "HTTP/1.1 418 I'm a teapot")}},
		"proxy-407":         {probe.ProbeError{Stage: probe.StageProxy, Kind: probe.KindProxyRefused, Message: "proxy answered HTTP/1.1 407 Proxy Authentication Required"}, &dial.Log{Proxy: proxy(407, "HTTP/1.1 407 Proxy Authentication Required")}},
		"proxy-other":       {probe.ProbeError{Stage: probe.StageProxy, Kind: probe.KindOther, Message: "proxy said garbage"}, &dial.Log{Proxy: proxy(0, "")}},
		"starttls-rejected": {probe.ProbeError{Stage: probe.StageStartTLS, Kind: probe.KindStartTLSRejected, Step: "upgrade", Message: "server answered STARTTLS with 454 TLS not available"}, &dial.Log{StartTLS: smtp}},
		"starttls-greeting": {probe.ProbeError{Stage: probe.StageStartTLS, Kind: probe.KindProtocolError, Step: "greeting", Message: "unexpected greeting: 554 go away"}, &dial.Log{StartTLS: smtp}},
		"starttls-none":     {probe.ProbeError{Stage: probe.StageStartTLS, Kind: probe.KindStartTLSUnsupported, Step: "capabilities", Message: "no STARTTLS in 250 mail.example"}, &dial.Log{StartTLS: smtp}},
		"handshake-local":   {probe.ProbeError{Stage: probe.StageHandshake, Kind: probe.KindLocal, Message: "tls: server said something odd"}, nil},
		"handshake-other":   {probe.ProbeError{Stage: probe.StageHandshake, Kind: probe.KindOther, Message: "tls: first record does not look like a TLS handshake"}, nil},
		"connect-other":     {probe.ProbeError{Stage: probe.StageConnect, Kind: probe.KindOther, Message: "dial tcp: something"}, nil},
	}
	out := map[string][]byte{}
	for name, c := range cases {
		rec, err := probe.DecodeRecord(refused)
		if err != nil {
			t.Fatal(err)
		}
		e := c.e
		rec.Attempts[0].Error, rec.Attempts[0].Dial = &e, c.log
		data, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = data
	}
	return out
}
