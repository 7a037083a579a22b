package identity

import (
	"encoding/asn1"
	"errors"
	"testing"
	"time"
)

type pbeParams struct {
	Salt       []byte
	Iterations int
}

func TestCheckIterations(t *testing.T) {
	ok, _ := asn1.Marshal(pbeParams{Salt: []byte("12345678"), Iterations: 2048})
	huge, _ := asn1.Marshal(pbeParams{Salt: []byte("12345678"), Iterations: 2_000_000_000})
	wrapped, _ := asn1.Marshal(struct{ Inner []byte }{huge}) // DER inside an OCTET STRING, as PKCS#12 does
	if err := checkIterations(ok); err != nil {
		t.Errorf("2048 iterations refused: %v", err)
	}
	for name, der := range map[string][]byte{"direct": huge, "inside an OCTET STRING": wrapped} {
		if err := checkIterations(der); !errors.Is(err, errTooManyIterations) {
			t.Errorf("%s: 2e9 iterations: got %v, want errTooManyIterations", name, err)
		}
	}
}

func TestCheckJKSRefusesHugeLengths(t *testing.T) {
	head := []byte{0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0, 0, 0, 1}
	for name, data := range map[string][]byte{
		"entry count past the end": {0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFF},
		"key length of 4 GiB":      append(append([]byte(nil), head...), 0, 0, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xF0),
		"unknown entry type":       append(append([]byte(nil), head...), 0, 0, 0, 9, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0),
	} {
		t0 := time.Now()
		if err := checkJKS(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if d := time.Since(t0); d > time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
}
