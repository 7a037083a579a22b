package checks_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// TestRevocationReversedChain: a server that sends [intermediate, leaf]
// (chain-order) with a revoked leaf whose OCSP responder is the lab's.
// The probe asks about each (certificate, issuer) pair the chain holds,
// found by signature, and takes the staple as the leaf's answer wherever
// the leaf sits; the checks judge the real leaf, not certificate #0:
// cert-revoked names the leaf, and the revocation lines describe the leaf
// as the leaf.
func TestRevocationReversedChain(t *testing.T) {
	l := fixtures.TestLab(t, time.Now())
	for _, staple := range []bool{false, true} {
		name := "no staple"
		if staple {
			name = "revoked staple"
		}
		t.Run(name, func(t *testing.T) {
			tc := tls.Certificate{Certificate: [][]byte{l.PKI.Get("intermediate").DER, l.PKI.Get("revoked").DER}, PrivateKey: l.PKI.Get("revoked").Key}
			if staple {
				resp, err := l.Responder.Response("revoked", "intermediate", fixtures.OCSPGood)
				if err != nil {
					t.Fatal(err)
				}
				tc.OCSPStaple = resp
			}
			ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{tc}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = ln.Close() })
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func(c net.Conn) {
						_ = c.SetDeadline(time.Now().Add(5 * time.Second))
						_ = c.(*tls.Conn).Handshake()
						_ = c.Close()
					}(c)
				}
			}()
			port := ln.Addr().(*net.TCPAddr).Port
			root := l.PKI.Get("root").Cert
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			rec, err := probe.Run(ctx, probe.Options{
				Target:     probe.Target{Host: fixtures.Host, Port: port, ConnectHost: "127.0.0.1", ConnectPort: port},
				Revocation: probe.RevocationOptions{Mode: probe.RevocationFull, Issuers: []*x509.Certificate{root}},
			})
			if err != nil {
				t.Fatal(err)
			}
			env := checks.Env{Now: time.Now(), Truststores: []checks.Truststore{checks.NewTruststore("lab root", []*x509.Certificate{root})}}
			fs := checks.Run(rec, env)
			if find(fs, "chain-order") == nil {
				t.Errorf("no chain-order; got %v", ids(fs))
			}
			f := find(fs, "cert-revoked")
			if f == nil {
				t.Fatalf("no cert-revoked for the reversed chain's revoked leaf; got %v\n%+v", ids(fs), checks.Revocation(rec, env))
			}
			if !strings.Contains(f.Title, `the leaf certificate "`+fixtures.Host+`" is revoked`) {
				t.Errorf("cert-revoked does not name the leaf: %s", f.Title)
			}
			var leaf *checks.CertRevocation
			for _, cr := range checks.Revocation(rec, env) {
				cr := cr
				if cr.Cert.Equal(l.PKI.Get("revoked").Cert) {
					leaf = &cr
				} else if cr.Role == "leaf" {
					t.Errorf("the revocation lines call %q the leaf", checks.Name(cr.Cert))
				}
			}
			if leaf == nil || leaf.Role != "leaf" || leaf.Status != checks.RevocationRevoked {
				t.Fatalf("the real leaf's revocation: %+v", leaf)
			}
			if staple {
				if !rec.Revocation.LeafFromStaple {
					t.Error("the usable staple for the leaf did not spare its responder (LeafFromStaple unset)")
				}
				for _, fe := range rec.Revocation.Fetches {
					if fe.CertIndex == 1 {
						t.Errorf("the leaf's responder was asked although the staple answers for it: %+v", fe.URL)
					}
				}
			}
		})
	}
}
