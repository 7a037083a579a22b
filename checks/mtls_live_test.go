package checks_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// liveLab is built on the real clock: the in-process servers verify client
// certificates with time.Now.
func liveLab(t *testing.T) *fixtures.Lab {
	t.Helper()
	l := fixtures.TestLab(t, time.Now())
	return l
}

// probeMTLS probes a server on 127.0.0.1:port offering the named client
// chain (none when names is empty) and judges the record.
func probeMTLS(t *testing.T, l *fixtures.Lab, port int, maxV uint16, names ...string) (*probe.Record, []checks.Finding) {
	t.Helper()
	opts := probe.Options{
		Target: probe.Target{Input: fmt.Sprintf("https://localhost:%d/", port), Host: fixtures.Host, Port: port, Scheme: "https",
			ConnectHost: "127.0.0.1", ConnectPort: port},
		MaxVersion: maxV,
	}
	if len(names) > 0 {
		c := l.PKI.TLSCert(names...)
		opts.ClientCertificate, opts.ClientSource = &c, "PEM test"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := probe.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	store := checks.NewTruststore("lab root", []*x509.Certificate{l.PKI.Get("root").Cert})
	return rec, checks.Run(rec, checks.Env{Now: l.PKI.Now, Truststores: []checks.Truststore{store}})
}

func TestMTLSAgainstGoServers(t *testing.T) {
	l := liveLab(t)
	type tc struct {
		name     string
		spec     fixtures.MTLSSpec
		identity []string
		want     []string // finding IDs that must be present
		// detail are substrings expected in the first wanted finding's
		// detail + evidence.
		detail []string
	}
	mtlsIDs := []string{"client-cert-required", "client-cert-ca-not-accepted", "client-cert-rejected", "client-chain-incomplete",
		"client-cert-expired", "client-cert-not-yet-valid", "client-eku-missing", "client-key-weak", "client-ca-list-empty", "client-auth-optional", "handshake-failed"}
	cases := []tc{
		{name: "required, none given", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}},
			want: []string{"client-cert-required"}, detail: []string{"CN=Example Root CA,O=Example"}},
		{name: "required, good chain", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}},
			identity: []string{"client", "intermediate"}},
		{name: "required, leaf only", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}},
			identity: []string{"client"}, want: []string{"client-cert-rejected", "client-chain-incomplete"}, detail: []string{"unknown_ca", "1. we sent no intermediate", "which the server names (the server's own chain holds the intermediate)"}},
		{name: "required, expired", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}},
			identity: []string{"client-expired", "intermediate"}, want: []string{"client-cert-rejected", "client-cert-expired"}, detail: []string{"certificate_expired", "1. our leaf certificate \"expired.client.example.test\" expired 30 days ago"}},
		{name: "required, not yet valid", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}},
			identity: []string{"client-not-yet-valid", "intermediate"}, want: []string{"client-cert-rejected", "client-cert-not-yet-valid"}, detail: []string{"1. our leaf certificate \"future.client.example.test\" is not valid until"}},
		{name: "required, other CA", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}},
			identity: []string{"client-other", "other-intermediate", "other-root"}, want: []string{"client-cert-rejected", "client-cert-ca-not-accepted"}, detail: []string{"unknown_ca", "1. our chain ends at \"CN=Other Root CA,O=Other\""}},
		{name: "required, other CA without its root", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}},
			identity: []string{"client-other", "other-intermediate"}, want: []string{"client-cert-ca-not-accepted", "client-cert-rejected"}, detail: []string{"CN=Other Root CA,O=Other", "so they send none at all"}},
		{name: "required, other CA leaf only", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}},
			identity: []string{"client-other"}, want: []string{"client-cert-rejected", "client-chain-incomplete"},
			detail: []string{"unknown_ca", "1. either the server does not trust our CA at all, or we sent no intermediate: tlsdoctor cannot tell which"}},
		{name: "intermediate named, leaf only is enough", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"intermediate"}},
			identity: []string{"client"}},
		{name: "required, no clientAuth EKU", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}},
			identity: []string{"client-noeku", "intermediate"}, want: []string{"client-cert-rejected", "client-eku-missing"}, detail: []string{"bad_certificate", "1. our certificate's extended key usage does not allow TLS client authentication (serverAuth)"}},
		{name: "required, weak key accepted", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}},
			identity: []string{"client-weak", "intermediate"}, want: []string{"client-key-weak"}, detail: []string{"RSA 1024 bits"}},
		{name: "optional, none given", spec: fixtures.MTLSSpec{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: []string{"root"}},
			want: []string{"client-auth-optional"}, detail: []string{"without a client certificate: accepted"}},
		{name: "optional, good chain", spec: fixtures.MTLSSpec{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: []string{"root"}},
			identity: []string{"client", "intermediate"}, want: []string{"client-auth-optional"}, detail: []string{"a second handshake without our client certificate: accepted"}},
		{name: "optional, other CA rejected", spec: fixtures.MTLSSpec{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: []string{"root"}},
			identity: []string{"client-other", "other-intermediate", "other-root"}, want: []string{"client-cert-rejected", "client-cert-ca-not-accepted", "client-auth-optional"},
			detail: []string{"Without a certificate the server lets us in"}},
		{name: "request only, no CAs named", spec: fixtures.MTLSSpec{ClientAuth: tls.RequestClientCert},
			identity: []string{"client-other", "other-intermediate"}, want: []string{"client-ca-list-empty", "client-auth-optional"}},
		{name: "require any, no CAs, none given", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAnyClientCert},
			want: []string{"client-cert-required", "client-ca-list-empty"}, detail: []string{"names no CA"}},
		{name: "silent close, none given", spec: fixtures.MTLSSpec{SilentClose: true, ClientCAs: []string{"root"}},
			want: []string{"client-cert-required"}, detail: []string{"closed the connection when none came", "without an alert or an answer"}},
		{name: "silent close, other CA", spec: fixtures.MTLSSpec{SilentClose: true, ClientCAs: []string{"root"}},
			identity: []string{"client-other", "other-intermediate"}, want: []string{"client-cert-rejected", "client-cert-ca-not-accepted"}, detail: []string{"closed the connection after receiving our client certificate", "1. our chain ends at"}},
		{name: "silent close, good chain", spec: fixtures.MTLSSpec{SilentClose: true, ClientCAs: []string{"root"}},
			identity: []string{"client", "intermediate"}},
		{name: "require and verify without ClientCAs", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert},
			identity: []string{"client", "intermediate"}, want: []string{"client-cert-rejected", "client-ca-list-empty"}, detail: []string{"unknown_ca"}},
		// A server that names no CA (and here trusts none): only what we
		// sent and the alert speak.
		{name: "require and verify without ClientCAs, rejected", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert},
			identity: []string{"client", "intermediate"}, want: []string{"client-cert-rejected", "client-ca-list-empty"},
			detail: []string{"1. the server does not trust the CA our chain ends at (\"CN=Example Root CA,O=Example\")"}},
		{name: "require and verify without ClientCAs, leaf only", spec: fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert},
			identity: []string{"client-other"}, want: []string{"client-cert-rejected", "client-ca-list-empty", "client-chain-incomplete"},
			detail: []string{"1. we sent only part of our chain", "cannot tell whether it trusts the CA above it"}},
	}
	for _, v := range []struct {
		name string
		max  uint16
	}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}} {
		for _, c := range cases {
			t.Run(v.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				spec := c.spec
				spec.MaxVersion = v.max
				srv, err := l.StartMTLS(spec)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(srv.Close)
				rec, fs := probeMTLS(t, l, srv.Port, v.max, c.identity...)
				got := ids(fs)
				for _, w := range c.want {
					if find(fs, w) == nil {
						t.Errorf("finding %s missing; got %v", w, got)
					}
				}
				for _, id := range mtlsIDs {
					if find(fs, id) != nil && !contains(c.want, id) {
						t.Errorf("unexpected finding %s (%s); got %v", id, find(fs, id).Title, got)
					}
				}
				if len(c.want) > 0 && len(c.detail) > 0 {
					f := find(fs, c.want[0])
					if f != nil {
						text := f.Title + "\n" + f.Detail + "\n" + strings.Join(f.Evidence, "\n")
						for _, d := range c.detail {
							if !strings.Contains(text, d) {
								t.Errorf("%s does not say %q:\n%s", f.ID, d, text)
							}
						}
					}
				}
				if f := find(fs, "client-cert-ca-not-accepted"); f != nil && v.max == tls.VersionTLS13 && c.spec.ClientAuth == tls.RequireAndVerifyClientCert {
					// shared/client-errors.md, fault client-cert-ca-not-accepted:
					// Java and Go send no certificate, curl sends it.
					want := map[string]string{
						"java": "Received fatal alert: certificate_required",
						"go":   "remote error: tls: certificate required",
						"curl": "error:0A000418:SSL routines::tlsv1 alert unknown ca, errno 0",
					}
					for _, cv := range f.Clients {
						if w, ok := want[cv.Client]; ok {
							if !strings.Contains(cv.Message, w) || !cv.Fails {
								t.Errorf("%s verdict %+v, want it to fail with %q", cv.Client, cv, w)
							}
							delete(want, cv.Client)
						}
					}
					if len(want) > 0 {
						t.Errorf("no verdict for %v in %+v", want, f.Clients)
					}
				}
				checkRecord(t, rec, c.identity)
			})
		}
	}
}

// checkRecord asserts what the record says about the client identity.
func checkRecord(t *testing.T, rec *probe.Record, identity []string) {
	t.Helper()
	p := rec.Primary()
	if p.CertificateRequest == nil {
		t.Fatalf("primary attempt recorded no CertificateRequest: %+v", p)
	}
	nc := rec.Attempt(probe.PurposeNoClientCert)
	if len(identity) == 0 {
		if rec.ClientIdentity != nil || p.ClientCertificateSent || nc != nil {
			t.Errorf("no identity given, but the record has one (%v), sent=%v or a no-client-cert attempt", rec.ClientIdentity, p.ClientCertificateSent)
		}
		if p.NoClientCertificateReason != probe.ReasonNoIdentity {
			t.Errorf("reason = %q", p.NoClientCertificateReason)
		}
		return
	}
	if rec.ClientIdentity == nil || len(rec.ClientIdentity.Certificates) != len(identity) {
		t.Errorf("recorded client identity %v, want %d certificates", rec.ClientIdentity, len(identity))
	}
	if !p.ClientCertificateSent {
		t.Error("primary attempt did not send the client certificate")
	}
	if nc == nil || nc.ClientCertificateSent || nc.NoClientCertificateReason != probe.ReasonWithheld {
		t.Errorf("no-client-cert attempt missing or wrong: %+v", nc)
	}
	data, _ := json.Marshal(rec)
	if strings.Contains(strings.ToLower(string(data)), "private") {
		t.Error("the record mentions a private key")
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestClientCertRequiredReplacesHandshakeFailed: the demo's
// client-cert-required scenario is explained by the mTLS check alone.
func TestClientCertRequiredReplacesHandshakeFailed(t *testing.T) {
	l := liveLab(t)
	srv, err := l.Start("client-cert-required")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	_, fs := probeMTLS(t, l, srv.Port, 0)
	if got := ids(fs); len(got) != 1 || got[0] != "client-cert-required" {
		t.Errorf("findings = %v, want exactly [client-cert-required]", got)
	}
	f := find(fs, "client-cert-required")
	if f == nil {
		return
	}
	for _, want := range []string{"--cert client.crt --key client.key", "openssl pkcs12 -export", "keytool -importkeystore", "curl --cert"} {
		if !strings.Contains(checks.FixText(f.Fix), want) {
			t.Errorf("remediation lacks %q", want)
		}
	}
	if len(f.Clients) == 0 || f.Clients[0].Message != "javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_required" {
		t.Errorf("java verdict = %+v, want the certificate_required message of shared/client-errors.md", f.Clients)
	}
}

// TestIdentityNotRequested: a server that does not ask for a client
// certificate gets no extra handshake, and only the identity's own
// problems are reported, as warnings.
func TestIdentityNotRequested(t *testing.T) {
	l := liveLab(t)
	srv, err := l.Start("good")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	rec, fs := probeMTLS(t, l, srv.Port, 0, "client-expired", "intermediate")
	if len(rec.Attempts) != 1 {
		t.Errorf("made %d attempts, want only the primary: the server did not ask for a certificate", len(rec.Attempts))
	}
	if rec.Primary().ClientCertificateSent {
		t.Error("recorded a client certificate as sent, but none was requested")
	}
	if got := ids(fs); len(got) != 1 || got[0] != "client-cert-expired" || fs[0].Severity != checks.Warning {
		t.Errorf("findings = %v (%v), want only client-cert-expired as a warning", got, fs)
	}
}

// TestRejectionCausesByAlert: alerts our fixtures cannot provoke are
// decoded from a record whose verdict is replaced, the way a partner's
// server would answer.
func TestRejectionCausesByAlert(t *testing.T) {
	l := liveLab(t)
	srv, err := l.StartMTLS(fixtures.MTLSSpec{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: []string{"root"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	base, _ := probeMTLS(t, l, srv.Port, 0, "client", "intermediate")
	data, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		alert string
		code  uint8
		first string // start of the most likely cause
	}{
		{"access_denied", 49, "1. the chain was accepted but this identity (\"CN=client.example.test\") is not authorized"},
		{"certificate_revoked", 44, "1. the server's revocation data (CRL or OCSP) says our certificate is revoked"},
		{"decrypt_error", 51, "1. the server could not verify our CertificateVerify signature"},
		{"certificate_required", 116, "1. the server says it got no certificate although we sent one"},
		{"bad_certificate", 42, "1. nothing tlsdoctor can see on our side"},
	} {
		t.Run(tc.alert, func(t *testing.T) {
			rec, err := probe.DecodeRecord(data)
			if err != nil {
				t.Fatal(err)
			}
			p := rec.Primary()
			p.Outcome = "failed"
			p.Error = &probe.ProbeError{Stage: probe.StagePostHandshake, Kind: probe.KindAlert, Message: "remote error",
				Alert: &probe.Alert{Code: tc.code, Name: tc.alert, Direction: "received"}}
			fs := checks.Run(rec, checks.Env{Now: l.PKI.Now})
			f := find(fs, "client-cert-rejected")
			if f == nil {
				t.Fatalf("no client-cert-rejected; got %v", ids(fs))
			}
			if !strings.Contains(f.Detail, tc.first) {
				t.Errorf("detail does not rank %q first:\n%s", tc.first, f.Detail)
			}
			if find(fs, "handshake-failed") != nil {
				t.Error("handshake-failed repeats the rejection")
			}
			if len(f.Clients) == 0 || !strings.HasPrefix(f.Clients[0].Message, "javax.net.ssl.SSLHandshakeException: Received fatal alert: "+tc.alert) {
				t.Errorf("java verdict = %+v", f.Clients)
			}
		})
	}
}
