package inputfile

import (
	"encoding/asn1"
	"errors"
	"testing"
)

type pbe struct {
	Salt       []byte
	Iterations int
}

func TestCheckKeyDerivation(t *testing.T) {
	der := func(ns ...int) []byte {
		var parts []asn1.RawValue
		for _, n := range ns {
			b, _ := asn1.Marshal(pbe{Salt: []byte("12345678"), Iterations: n})
			parts = append(parts, asn1.RawValue{FullBytes: b})
		}
		b, _ := asn1.Marshal(parts)
		return b
	}
	for _, tc := range []struct {
		name string
		der  []byte
		ok   bool
	}{
		{"OpenSSL's 2048, three times", der(2048, 2048, 2048), true},
		{"OWASP's 600000 once", der(600000), true},
		{"10 million once", der(10_000_000), false},
		{"one million, three times", der(1_000_000, 1_000_000, 1_000_000), false},
	} {
		err := CheckKeyDerivation(tc.der)
		if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, ErrTooManyIterations)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
