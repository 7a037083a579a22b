package probe_test

import (
	"io"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// scanFacts is what a scan found, without timings and counters.
func scanFacts(sc *probe.Scan) any {
	type v struct {
		Version    string
		Supported  bool
		Suites     []uint16
		Preference string
		DHBits     int
	}
	var vs []v
	for _, x := range sc.Versions {
		var ids []uint16
		for _, s := range x.Suites {
			ids = append(ids, s.ID)
		}
		vs = append(vs, v{x.Version, x.Supported, ids, x.Preference, x.DHBits})
	}
	return struct {
		Versions             []v
		Groups, Gr12         []probe.ScanGroup
		GroupsVersion        string
		GroupsPref, Gr12Pref string
		SigAlgs              []probe.ScanSigAlg
		SigAlgsPref          string
	}{vs, sc.Groups, sc.GroupsTLS12, sc.GroupsVersion, sc.GroupsPreference, sc.GroupsTLS12Preference, sc.SigAlgs, sc.SigAlgsPreference}
}

// Half-closing after the ClientHello frees a one-connection-at-a-time
// server at once. On a real openssl s_server it must find exactly what a
// scan with connections kept open finds.
func TestScanHalfCloseFindsTheSameOnOpenSSL(t *testing.T) {
	s := startSServer(t, rsaLeaf(t, time.Now()), "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:AES128-SHA:AES256-SHA256:CAMELLIA128-SHA:@SECLEVEL=0")
	half := scan(t, s.Port, probe.ScanOptions{})
	open := scan(t, s.Port, probe.ScanOptions{NoHalfClose: true})
	if half.Scan.HalfClose != "used" || open.Scan.HalfClose != "off" {
		t.Fatalf("half_close = %q / %q, want used / off", half.Scan.HalfClose, open.Scan.HalfClose)
	}
	if h, o := scanFacts(half.Scan), scanFacts(open.Scan); !reflect.DeepEqual(h, o) {
		t.Errorf("half-closed scan differs from the plain one:\nhalf %+v\nopen %+v", h, o)
	}
	// The five suites configured, at TLS 1.2, and TLS 1.3 with its groups.
	if v := half.Scan.Versions[3]; !v.Supported || len(v.Suites) != 5 {
		t.Errorf("TLS 1.2: %+v, want the 5 configured suites", v)
	}
	if !half.Scan.Versions[4].Supported || len(half.Scan.Groups) == 0 {
		t.Errorf("TLS 1.3 or its groups not found: %+v %+v", half.Scan.Versions[4], half.Scan.Groups)
	}
	if half.Scan.Handshakes != open.Scan.Handshakes {
		t.Errorf("handshakes %d vs %d: half-closing must not cost connections", half.Scan.Handshakes, open.Scan.Handshakes)
	}
}

// finDropper relays to backend but, like some middleboxes, closes both
// sides as soon as the client half-closes, before the backend answers.
func finDropper(t *testing.T, backend string) int {
	t.Helper()
	ln := listen(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				go func() { _, _ = io.Copy(c, b) }()
				_, _ = io.Copy(b, c) // returns on the client's FIN: both close
			}()
		}
	}()
	return port(ln)
}

// Behind a relay that drops the connection on FIN, the first half-closed
// hello gets silence: the scan asks again with the connection kept open,
// stops half-closing, and finds the same as a plain scan.
func TestScanHalfCloseFallsBackOnSilence(t *testing.T) {
	s := startSServer(t, rsaLeaf(t, time.Now()), "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA", "-tls1_2")
	p := finDropper(t, s.Addr())
	got := scan(t, p, probe.ScanOptions{})
	want := scan(t, s.Port, probe.ScanOptions{NoHalfClose: true})
	if got.Scan.HalfClose != "dropped" {
		t.Errorf("half_close = %q, want dropped", got.Scan.HalfClose)
	}
	if g, w := scanFacts(got.Scan), scanFacts(want.Scan); !reflect.DeepEqual(g, w) {
		t.Errorf("after falling back the scan differs:\ngot  %+v\nwant %+v", g, w)
	}
	if extra := got.Scan.Handshakes - want.Scan.Handshakes; extra < 1 || extra > 8 {
		t.Errorf("%d handshakes vs %d plain: the fallback repeats only the hellos in flight when it switched (at most --max-conns 4 of them, twice over for slack)", got.Scan.Handshakes, want.Scan.Handshakes)
	}
}
