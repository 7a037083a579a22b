package legacytls

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net"
	"testing"

	ztls "github.com/zmap/zcrypto/tls"
)

// TestSigAlgsOfferedAndRead: Hello.SigAlgs replaces zcrypto's list in the
// ClientHello, and Result.SigAlg is the scheme of the ServerKeyExchange.
// Against the SHA-1-only fault server, a hello without SHA-1 schemes gets
// no signed key exchange.
func TestSigAlgsOfferedAndRead(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	sl := SHA1SigningListener(ln, [][]byte{selfSigned(t, k, &k.PublicKey)}, k)
	go func() {
		for {
			c, err := sl.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _ = c.(*ztls.Conn).Handshake() }()
		}
	}()
	addr := ln.Addr().String()
	for _, tt := range []struct {
		offer []uint16
		want  uint16
	}{
		{[]uint16{0x0403, 0x0203}, 0x0203}, // ecdsa_sha1 is all it signs with
		{nil, 0x0203},                      // zcrypto's own list has ecdsa_sha1
		{[]uint16{0x0403, 0x0503}, 0},      // no SHA-1: nothing to sign with
	} {
		r := Send(ctx(t), TCP(addr), Hello{Version: ztls.VersionTLS12, Suites: ECDHESuites(), SigAlgs: tt.offer})
		if r.SigAlg != tt.want {
			t.Errorf("offer %04x: signed with %04x (answered %v, alert %v), want %04x", tt.offer, r.SigAlg, r.Answered, r.AlertSeen, tt.want)
		}
		if tt.want == 0 && !r.AlertSeen {
			t.Errorf("offer %04x: no alert (%v)", tt.offer, r.Err)
		}
	}

	// An RSA server signs with the first scheme we list that it can use.
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ztls.Config{Certificates: []ztls.Certificate{zcert(t, selfSigned(t, rk, &rk.PublicKey), rk)}, MaxVersion: ztls.VersionTLS12}
	raddr := serve(t, func(c net.Conn) { _ = ztls.Server(c, cfg).Handshake() })
	for _, want := range []uint16{0x0501, 0x0601, 0x0201, 0x0804, 0x0806} {
		r := Send(ctx(t), TCP(raddr), Hello{Version: ztls.VersionTLS12, Suites: ECDHESuites(), SigAlgs: []uint16{0x0403, want}, Groups: []uint16{24, 23}})
		if r.SigAlg != want {
			t.Errorf("offered ecdsa_secp256r1_sha256 and %04x: signed with %04x", want, r.SigAlg)
		}
		// The group, whether or not zcrypto could check the signature.
		if r.Group != 24 {
			t.Errorf("signed with %04x: group %d, want 24 (P-384)", want, r.Group)
		}
	}
}

func TestWithSigAlgsLeavesOtherHellosAlone(t *testing.T) {
	// A TLS 1.0 ClientHello has no signature_algorithms: unchanged.
	body := append([]byte{3, 1}, make([]byte, 32)...)
	body = append(body, 0, 0, 2, 0x00, 0x2F, 1, 0, 0, 0)
	hs := append([]byte{1, 0, 0, byte(len(body))}, body...)
	rec := append([]byte{22, 3, 1, 0, byte(len(hs))}, hs...)
	out, err := withSigAlgs(rec, []uint16{0x0201})
	if err != nil || !bytes.Equal(out, rec) {
		t.Errorf("TLS 1.0 hello changed (%v)", err)
	}
	if _, err := withSigAlgs(rec[:len(rec)-3], []uint16{0x0201}); err == nil {
		t.Error("a truncated hello was rewritten")
	}
	// With the extension: replaced, lengths fixed.
	ext := []byte{0, 13, 0, 4, 0, 2, 0x04, 0x03}
	body2 := append(append([]byte(nil), body[:len(body)-2]...), 0, byte(len(ext)))
	body2 = append(body2, ext...)
	hs2 := append([]byte{1, 0, 0, byte(len(body2))}, body2...)
	rec2 := append([]byte{22, 3, 1, 0, byte(len(hs2))}, hs2...)
	out, err = withSigAlgs(rec2, []uint16{0x0201, 0x0203})
	if err != nil || len(out) != len(rec2)+2 || !bytes.HasSuffix(out, []byte{0, 13, 0, 6, 0, 4, 0x02, 0x01, 0x02, 0x03}) {
		t.Errorf("rewritten hello % x (%v)", out, err)
	}
}

// FuzzSKESigAlg: the ServerKeyExchange reader takes whatever a server
// sends and must never panic.
func FuzzSKESigAlg(f *testing.F) {
	ske := []byte{3, 0, 29, 1, 0xAA, 0x02, 0x01, 0, 1, 0xBB}
	f.Add(append([]byte{22, 3, 3, 0, byte(4 + len(ske)), 12, 0, 0, byte(len(ske))}, ske...))
	f.Add([]byte{22, 3, 3, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = skeParams(data)
	})
}

func TestSKESigAlgLayouts(t *testing.T) {
	ecdhe := []byte{3, 0, 29, 1, 0xAA, 0x02, 0x01, 0, 1, 0xBB}
	dhe := []byte{0, 1, 0x17, 0, 1, 2, 0, 1, 5, 0x06, 0x01, 0, 1, 0xCC}
	for _, tt := range []struct {
		ske  []byte
		want uint16
	}{{ecdhe, 0x0201}, {dhe, 0x0601}, {ecdhe[:7], 0}} {
		flight := append([]byte{22, 3, 3, 0, byte(4 + len(tt.ske)), 12, 0, 0, byte(len(tt.ske))}, tt.ske...)
		if _, got := skeParams(flight); got != tt.want {
			t.Errorf("SKE % x: %04x, want %04x", tt.ske, got, tt.want)
		}
	}
	if g, _ := skeParams(append([]byte{22, 3, 3, 0, byte(4 + len(ecdhe)), 12, 0, 0, byte(len(ecdhe))}, ecdhe...)); g != 29 {
		t.Errorf("ECDHE SKE group %d, want 29", g)
	}
	if g, _ := skeParams(append([]byte{22, 3, 3, 0, byte(4 + len(dhe)), 12, 0, 0, byte(len(dhe))}, dhe...)); g != 0 {
		t.Errorf("DHE SKE group %d, want 0", g)
	}
}
