package checks_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

var (
	update     = flag.Bool("update", false, "re-record testdata/records from the fixture servers")
	updateOnly = flag.String("update-only", "", "with -update, re-record only this case (the others keep their certificates and goldens)")
)

const recordsDir = "../testdata/records"

// recordCases are the recorded handshakes and the findings each must give.
// They are recorded from the fixture servers with -update and judged
// offline at the time they were recorded.
var recordCases = []struct {
	name string
	want []string
}{
	{"good", nil},
	{"wrong-host", []string{"hostname-mismatch"}},
	{"expired", []string{"cert-expired"}},
	{"not-yet-valid", []string{"cert-not-yet-valid"}},
	{"self-signed", []string{"self-signed"}},
	{"untrusted-root", []string{"untrusted-root"}},
	{"missing-intermediate", []string{"chain-incomplete"}},
	{"client-cert-required", []string{"client-cert-required"}},
	{"tls10-only", []string{"version-mismatch", "protocol-legacy", "weak-cipher"}},
	{"sha1-signatures", []string{"cipher-mismatch"}},
	{"plain-http", []string{"not-tls"}},
	{"stall", []string{"handshake-failed"}},
	{"reset", []string{"handshake-failed"}},
	{"refused", []string{"connect-failed"}},
	{"dns-failure", []string{"connect-failed"}},
}

func TestRecordedHandshakes(t *testing.T) {
	if *update {
		record(t)
	}
	for _, c := range recordCases {
		t.Run(c.name, func(t *testing.T) {
			rec, env := loadRecord(t, c.name)
			got := ids(checks.Run(rec, env))
			if !slices.Equal(got, c.want) {
				t.Errorf("findings = %v, want %v", got, c.want)
			}
		})
	}
}

// The same records judged with a truststore that lacks the lab root: every
// CA-issued chain becomes untrusted, and nothing else changes.
func TestRecordedHandshakesOtherTruststore(t *testing.T) {
	rec, env := loadRecord(t, "good")
	env.Truststores = []checks.Truststore{checks.NewTruststore("empty", nil)}
	if got := ids(checks.Run(rec, env)); !slices.Equal(got, []string{"untrusted-root"}) {
		t.Errorf("good chain against an empty store: %v, want [untrusted-root]", got)
	}
}

// Judged a year later, the good record's leaf has expired.
func TestRecordedHandshakesClock(t *testing.T) {
	rec, env := loadRecord(t, "good")
	env.Now = env.Now.AddDate(1, 0, 0)
	// A year later the leaf has expired, and every OCSP answer recorded
	// (live for both certificates, and the staple) is stale.
	want := []string{"cert-expired", "revocation-unknown", "revocation-unknown", "ocsp-staple-stale"}
	if got := ids(checks.Run(rec, env)); !slices.Equal(got, want) {
		t.Errorf("a year later: %v, want %v", got, want)
	}
}

func ids(fs []checks.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
		if f.Title == "" || f.Detail == "" || checks.FixText(f.Fix) == "" || len(f.Evidence) == 0 {
			panic("finding " + f.ID + " lacks a title, detail, remediation or evidence")
		}
	}
	return out
}

// loadRecord reads a recorded handshake and the environment it is judged
// in: its own time and its recorded truststore.
func loadRecord(t testing.TB, name string) (*probe.Record, checks.Env) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(recordsDir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := probe.DecodeRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	env := checks.Env{Now: rec.StartedAt}
	for _, rt := range rec.Truststores {
		ts, err := checks.RecordedTruststore(rt)
		if err != nil {
			t.Fatal(err)
		}
		env.Truststores = append(env.Truststores, ts)
	}
	return rec, env
}

// record re-records every case from live fixture servers.
func record(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	lab := fixtures.TestLab(t, now)
	store := probe.RecordedTruststore{Name: "ca-file ca.pem", Certificates: []probe.Certificate{{DER: lab.PKI.Get("root").Cert.Raw}}}
	for _, c := range recordCases {
		if *updateOnly != "" && c.name != *updateOnly {
			continue
		}
		// The CLI's defaults: full revocation checking, the truststore's
		// roots as issuer candidates.
		opts := probe.Options{Now: func() time.Time { return now }, Tool: "tlsdoctor test",
			Revocation: probe.RevocationOptions{Mode: probe.RevocationFull, Issuers: []*x509.Certificate{lab.PKI.Get("root").Cert}}}
		switch c.name {
		case "refused":
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			p := ln.Addr().(*net.TCPAddr).Port
			ln.Close()
			opts.Target = labTarget(p)
		case "dns-failure":
			opts.Target = probe.Target{Input: "nosuch.example.test", Host: "nosuch.example.test", Port: 443}
			opts.Resolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
				return nil, &net.DNSError{Err: "no such host", Name: "nosuch.example.test", IsNotFound: true}
			}}
		default:
			srv, err := lab.Start(c.name)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			opts.Target = labTarget(srv.Port)
		}
		timeout := 5 * time.Second
		if c.name == "stall" {
			timeout = time.Second
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		rec, err := probe.Run(ctx, opts)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		rec.Truststores = []probe.RecordedTruststore{store}
		data, err := json.MarshalIndent(rec, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(recordsDir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(recordsDir, c.name+".json"), append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func labTarget(port int) probe.Target {
	return probe.Target{Input: "localhost:" + strconv.Itoa(port), Host: fixtures.Host, Port: port, ConnectHost: "127.0.0.1", ConnectPort: port}
}
