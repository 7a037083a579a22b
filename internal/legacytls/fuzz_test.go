package legacytls

import (
	"bytes"
	"testing"
)

// The two hand-written parsers read whatever a server sends: they must
// never panic, and must not claim an answer from a record that is not a
// handshake.
func FuzzReadTLS13Answer(f *testing.F) {
	hrr := []byte{2, 0, 0, 0, 3, 3}
	hrr = append(hrr, helloRetryRandom...)
	hrr = append(hrr, 0, 0x13, 0x01, 0, 0, 12, 0x00, 0x2B, 0, 2, 3, 4, 0x00, 0x33, 0, 2, 0, 29)
	f.Add(append([]byte{22, 3, 3, 0, byte(len(hrr))}, hrr...))
	f.Add([]byte{21, 3, 3, 0, 2, 2, 40})
	f.Add([]byte{22, 3, 3, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := readTLS13Answer(bytes.NewReader(data))
		if r.Answered && (len(data) < 5 || data[0] != 22) {
			t.Errorf("answer claimed from record type %v", data[:min(1, len(data))])
		}
	})
}

func FuzzReadServerHello(f *testing.F) {
	sh := append([]byte{2, 0, 0, 38, 3, 0}, make([]byte, 32)...)
	sh = append(sh, 0, 0, 5, 0)
	f.Add(append([]byte{22, 3, 0, 0, byte(len(sh))}, sh...))
	f.Add([]byte{21, 3, 0, 0, 2, 2, 40})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := readServerHello(bytes.NewReader(data))
		if r.Answered && (len(data) < 5 || data[0] != 22) {
			t.Errorf("answer claimed from record type %v", data[:min(1, len(data))])
		}
	})
}

func TestHRRSeedParses(t *testing.T) {
	hrr := []byte{2, 0, 0, 0, 3, 3}
	hrr = append(hrr, helloRetryRandom...)
	hrr = append(hrr, 0, 0x13, 0x01, 0, 0, 12, 0x00, 0x2B, 0, 2, 3, 4, 0x00, 0x33, 0, 2, 0, 29)
	r := readTLS13Answer(bytes.NewReader(append([]byte{22, 3, 3, 0, byte(len(hrr))}, hrr...)))
	if !r.Answered || r.Version != 0x0304 || r.Suite != 0x1301 || r.Group != 29 {
		t.Fatalf("HRR parsed as %+v, want TLS 1.3, 0x1301, group 29", r)
	}
}
