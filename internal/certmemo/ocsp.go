package certmemo

import (
	"crypto/x509"
	"encoding/binary"

	"golang.org/x/crypto/ocsp"
)

// The OCSP memo: the probe (is the staple or answer usable?) and the
// checks (revocation, SCTs in the staple) each parse the same response,
// and an exporter or fleet gets the same responder answer for every
// target under one intermediate.
type ocspResult struct {
	resp *ocsp.Response
	err  error
}

var responses = newMemo[ocspResult](maxEntries, maxBytes)

// ParseOCSPForCert is ocsp.ParseResponseForCert(raw, cert, nil),
// remembered: the answer for cert (its serial) without checking the
// signature (the callers check it with internal/sigmemo). The response is
// shared: callers must not modify it.
func ParseOCSPForCert(raw []byte, cert *x509.Certificate) (*ocsp.Response, error) {
	// The result depends on raw and on cert's serial number only. The
	// serial, with its sign and length, comes first, so that no other
	// response and serial make the same key.
	serial := cert.SerialNumber.Bytes()
	head := binary.BigEndian.AppendUint32([]byte{byte(cert.SerialNumber.Sign() + 1)}, uint32(len(serial)))
	key := string(head) + string(serial) + string(raw)
	r := responses.get(key, func(own []byte) ocspResult {
		resp, err := ocsp.ParseResponseForCert(own[len(key)-len(raw):], cert, nil)
		return ocspResult{resp, err}
	})
	return r.resp, r.err
}
