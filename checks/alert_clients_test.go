package checks_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// alertAttempt is an attempt the server ended with alert name before any
// certificate (after it when certs is set).
func alertAttempt(purpose, lo, hi, sni, name string, code uint8, stage probe.Stage) probe.Attempt {
	return probe.Attempt{Purpose: purpose, Outcome: "failed", Address: "127.0.0.1:8443",
		Offered: probe.Offer{MinVersion: lo, MaxVersion: hi, SNI: sni},
		Error: &probe.ProbeError{Stage: stage, Kind: probe.KindAlert, Message: "remote error: tls: " + name,
			Alert: &probe.Alert{Code: code, Name: name, Direction: "received"}}}
}

func alertRecord(attempts []probe.Attempt, noSNI *probe.Attempt) *probe.Record {
	return &probe.Record{RecordVersion: probe.RecordVersion, StartedAt: time.Now(),
		Target:   probe.Target{Input: "srv.test:8443", Host: "srv.test", Port: 8443, SNI: "srv.test", ConnectHost: "127.0.0.1", ConnectPort: 8443},
		Attempts: attempts, SNICheck: noSNI}
}

// TestAlertClientsDerived: the per-client lines of handshake-failed say
// that a client fails with the alert our probe received only where the
// record proves it (the offer cannot matter, or a refused hello held all
// the client offers), and "cannot tell" elsewhere. The old lines copied
// the alert to every client: the X448-only, Ed448-key and
// illegal_parameter cases fail on that code (Java, curl and openssl
// connect to the first two, measured in client-errors.md, 2026-12-02).
func TestAlertClientsDerived(t *testing.T) {
	hf := func(p, lo, hi, sni string) probe.Attempt {
		return alertAttempt(p, lo, hi, sni, "handshake_failure", 40, probe.StageHandshake)
	}
	pv := func(p, lo, hi string) probe.Attempt {
		return alertAttempt(p, lo, hi, "srv.test", "protocol_version", 70, probe.StageHandshake)
	}
	allSuites := func(a probe.Attempt) probe.Attempt {
		a.Offered.Suites = []uint16{0xC02B, 0xC02F, 0x009E}
		for _, id := range []uint16{0x0804, 0x0809, 0x0807, 0x0808, 0x0403, 0x0401, 0x0201} {
			a.Offered.SigAlgs = append(a.Offered.SigAlgs, probe.SigAlgName(id))
		}
		return a
	}
	noSNI := hf(probe.PurposeNoSNI, "TLS 1.2", "TLS 1.3", "")
	// An Ed448 key: zcrypto's all-suites hello (every scheme) gets a
	// ServerHello, crypto/tls's hellos a handshake_failure.
	ed448 := allSuites(probe.Attempt{Purpose: probe.PurposeAllSuites, Outcome: "server-hello", Address: "127.0.0.1:8443",
		Offered: probe.Offer{MinVersion: "TLS 1.2", MaxVersion: "TLS 1.2", SNI: "srv.test"},
		Version: "TLS 1.2", VersionID: 0x0303, CipherSuite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", CipherID: 0xC02B, SigAlgID: 0x0808})
	postHS := alertAttempt(probe.PurposePrimary, "TLS 1.2", "TLS 1.3", "srv.test", "certificate_required", 116, probe.StagePostHandshake)
	afterCert := alertAttempt(probe.PurposePrimary, "TLS 1.2", "TLS 1.3", "srv.test", "decode_error", 50, probe.StageHandshake)
	leaf := selfSigned(t, "srv.test")
	afterCert.Certificates = []probe.Certificate{{DER: leaf.Raw}}
	env := checks.Env{Now: time.Now(), Truststores: []checks.Truststore{checks.NewTruststore("test", []*x509.Certificate{leaf})}}

	const (
		fails   = "fails"
		unknown = "unknown"
	)
	for _, c := range []struct {
		name string
		rec  *probe.Record
		// want is per client: "fails" (with the message, when given after
		// a colon) or "unknown".
		want map[string]string
	}{
		{
			// openssl s_server -groups X448 -tls1_3: every hello refused,
			// the keystore finding. Only Go's hello is the probe's.
			name: "x448-only",
			rec: alertRecord([]probe.Attempt{hf(probe.PurposePrimary, "TLS 1.2", "TLS 1.3", "srv.test"),
				pv(probe.PurposeLegacy, "TLS 1.0", "TLS 1.2"), allSuites(pv(probe.PurposeAllSuites, "TLS 1.2", "TLS 1.2"))}, &noSNI),
			want: map[string]string{"java": unknown, "curl": unknown, "openssl": unknown, "go": fails + ":remote error: tls: handshake failure"},
		},
		{
			name: "ed448-key",
			rec: alertRecord([]probe.Attempt{hf(probe.PurposePrimary, "TLS 1.2", "TLS 1.3", "srv.test"),
				hf(probe.PurposeLegacy, "TLS 1.0", "TLS 1.2", "srv.test"), ed448}, &noSNI),
			want: map[string]string{"java": unknown, "curl": unknown, "openssl": unknown, "go": fails + ":remote error: tls: handshake failure"},
		},
		{
			// An alert about the hello itself: only the same hello (Go's).
			name: "illegal-parameter",
			rec: alertRecord([]probe.Attempt{alertAttempt(probe.PurposePrimary, "TLS 1.2", "TLS 1.3", "srv.test", "illegal_parameter", 47, probe.StageHandshake),
				alertAttempt(probe.PurposeLegacy, "TLS 1.0", "TLS 1.2", "srv.test", "illegal_parameter", 47, probe.StageHandshake)}, nil),
			want: map[string]string{"java": unknown, "curl": unknown, "openssl": unknown, "go": fails + ":remote error: tls: illegal parameter"},
		},
		{
			// No version spoken from TLS 1.0 to 1.3: every client gets
			// protocol_version, whatever else it offers.
			name: "no-version",
			rec: alertRecord([]probe.Attempt{pv(probe.PurposePrimary, "TLS 1.2", "TLS 1.3"),
				pv(probe.PurposeLegacy, "TLS 1.0", "TLS 1.2"), allSuites(pv(probe.PurposeAllSuites, "TLS 1.2", "TLS 1.2"))}, nil),
			want: map[string]string{"java": fails + ":javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version",
				"curl": fails + ":curl: (35) OpenSSL/3.0: error:0A00042E:SSL routines::tlsv1 alert protocol version", "openssl": fails, "go": fails + ":remote error: tls: protocol version not supported"},
		},
		{
			// The name refused: every client that connects by it.
			name: "unrecognized-name",
			rec:  alertRecord([]probe.Attempt{alertAttempt(probe.PurposePrimary, "TLS 1.2", "TLS 1.3", "srv.test", "unrecognized_name", 112, probe.StageHandshake)}, nil),
			want: map[string]string{"java": fails + ":javax.net.ssl.SSLHandshakeException: Received fatal alert: unrecognized_name", "curl": fails, "openssl": fails, "go": fails},
		},
		{
			// After the handshake: the verdict on the (absent) client
			// certificate, curl's read error 56 as measured.
			name: "post-handshake",
			rec:  alertRecord([]probe.Attempt{postHS}, nil),
			want: map[string]string{"java": fails, "curl": fails + ":curl: (56) OpenSSL SSL_read: OpenSSL/3.0: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0", "openssl": fails, "go": fails + ":remote error: tls: certificate required"},
		},
		{
			// After the server's certificate, no client certificate asked
			// for: it answers what our client sent next.
			name: "after-certificate",
			rec:  alertRecord([]probe.Attempt{afterCert}, nil),
			want: map[string]string{"java": unknown, "curl": unknown, "openssl": unknown, "go": unknown},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := checks.Run(c.rec, env)
			f := find(fs, "handshake-failed")
			if f == nil {
				t.Fatalf("no handshake-failed; got %s", findingIDs(fs))
			}
			got := map[string]checks.ClientVerdict{}
			for _, v := range f.Clients {
				got[v.Client] = v
			}
			for cl, w := range c.want {
				v, ok := got[cl]
				if !ok {
					t.Errorf("no line for %s; lines %+v", cl, f.Clients)
					continue
				}
				kind, msg, _ := strings.Cut(w, ":")
				switch {
				case kind == unknown && (!v.Unknown || v.Fails || !strings.HasPrefix(v.Message, "cannot tell")):
					t.Errorf("%s: want cannot tell, got fails=%v unknown=%v %q", cl, v.Fails, v.Unknown, v.Message)
				case kind == fails && (!v.Fails || v.Unknown):
					t.Errorf("%s: want fails, got fails=%v unknown=%v %q", cl, v.Fails, v.Unknown, v.Message)
				case kind == fails && msg != "" && v.Message != msg:
					t.Errorf("%s: message %q, want %q", cl, v.Message, msg)
				}
			}
		})
	}
}

// selfSigned is a CA-less ECDSA certificate for name, valid now.
func selfSigned(t *testing.T, name string) *x509.Certificate {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
