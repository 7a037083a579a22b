package legacytls

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	ztls "github.com/zmap/zcrypto/tls"
)

func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestSSLv3FromServerHello answers an SSL 3.0 ClientHello with an SSL 3.0
// ServerHello, as an old server does: Send must report acceptance from it.
func TestSSLv3FromServerHello(t *testing.T) {
	got := make(chan []byte, 1)
	addr := serve(t, func(c net.Conn) {
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		got <- append(hdr, body...)
		// ServerHello: version 3.0, random, empty session id, RC4-SHA, null compression.
		sh := []byte{0x03, 0x00}
		sh = append(sh, make([]byte, 32)...)
		sh = append(sh, 0, 0x00, 0x05, 0)
		hs := append([]byte{2, 0, 0, byte(len(sh))}, sh...)
		_, _ = c.Write(append([]byte{22, 3, 0, 0, byte(len(hs))}, hs...))
	})
	r := Send(ctx(t), TCP(addr), Hello{Version: VersionSSL30, Suites: []uint16{0x000A, 0x0005}})
	if !r.Answered || r.Version != VersionSSL30 || r.Suite != 0x0005 {
		t.Fatalf("result %+v, want an SSL 3.0 answer choosing 0x0005", r)
	}
	hello := <-got
	if hello[0] != 22 || hello[1] != 3 || hello[2] != 0 || hello[9] != 3 || hello[10] != 0 {
		t.Errorf("ClientHello does not offer SSL 3.0: % x", hello[:11])
	}
}

func TestSSLv3Refused(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		buf := make([]byte, 512)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte{21, 3, 0, 0, 2, 2, 40}) // fatal handshake_failure
	})
	r := Send(ctx(t), TCP(addr), Hello{Version: VersionSSL30, Suites: []uint16{0x002F}})
	if r.Answered || !r.AlertSeen || r.Alert != 40 {
		t.Fatalf("result %+v, want alert 40 and no answer", r)
	}
}

func selfSigned(t *testing.T, key any, pub any) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// zcert loads a key pair the way zcrypto wants it (its own key types).
func zcert(t *testing.T, der []byte, key any) ztls.Certificate {
	t.Helper()
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ztls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestZcryptoServerRC4And3DES enumerates an in-process zcrypto server that
// speaks RC4 and 3DES, which crypto/tls clients no longer offer.
func TestZcryptoServerRC4And3DES(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert := zcert(t, selfSigned(t, k, &k.PublicKey), k)
	cfg := &ztls.Config{Certificates: []ztls.Certificate{cert}, MaxVersion: ztls.VersionTLS12, MinVersion: ztls.VersionTLS10,
		CipherSuites: []uint16{0x0005, 0x000A}, PreferServerCipherSuites: true}
	addr := serve(t, func(c net.Conn) { _ = ztls.Server(c, cfg).Handshake() })
	offer := []uint16{0xC02F, 0x000A, 0x0005, 0x002F}
	var found []uint16
	for i := 0; i < 4; i++ {
		r := Send(ctx(t), TCP(addr), Hello{Version: ztls.VersionTLS12, Suites: offer})
		if !r.Answered {
			break
		}
		if len(r.Certificates) != 1 {
			t.Errorf("got %d certificates, want the server's 1", len(r.Certificates))
		}
		found = append(found, r.Suite)
		var next []uint16
		for _, s := range offer {
			if s != r.Suite {
				next = append(next, s)
			}
		}
		offer = next
	}
	if len(found) != 2 || found[0] != 0x0005 || found[1] != 0x000A {
		t.Fatalf("found %#04x, want RC4-SHA then 3DES in server order", found)
	}
}

// TestECDHEGroupFromKeyExchange reads the curve from a TLS 1.2
// ServerKeyExchange.
func TestECDHEGroupFromKeyExchange(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert := zcert(t, selfSigned(t, k, &k.PublicKey), k)
	cfg := &ztls.Config{Certificates: []ztls.Certificate{cert}, MaxVersion: ztls.VersionTLS12, CurvePreferences: []ztls.CurveID{ztls.CurveP384}}
	addr := serve(t, func(c net.Conn) { _ = ztls.Server(c, cfg).Handshake() })
	r := Send(ctx(t), TCP(addr), Hello{Version: ztls.VersionTLS12, Suites: []uint16{0xC02B}, Groups: []uint16{29, 23, 24}})
	if !r.Answered || r.Suite != 0xC02B || r.Group != 24 {
		t.Fatalf("result %+v, want ECDHE-ECDSA-AES128-GCM-SHA256 over secp384r1 (24)", r)
	}
}

// TestGODEBUGRestored: zcrypto's init turns off crypto/rsa's 1024-bit
// minimum for the whole process; this package turns it back on, so the
// default run's crypto/tls behaves as without zcrypto.
func TestGODEBUGRestored(t *testing.T) {
	if strings.Contains(os.Getenv("GODEBUG"), "rsa1024min=0") {
		t.Fatalf("GODEBUG=%q still disables the RSA minimum", os.Getenv("GODEBUG"))
	}
	if _, err := rsa.GenerateKey(rand.Reader, 512); err == nil {
		t.Fatal("crypto/rsa made a 512-bit key: the rsa1024min=0 setting from zcrypto is still in force")
	}
}
