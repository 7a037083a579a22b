package certmemo

import (
	"crypto/x509"
	"sync"

	"golang.org/x/crypto/ocsp"
)

// The OCSP memo: the probe (is the staple or answer usable?) and the
// checks (revocation, SCTs in the staple) each parse the same response,
// and an exporter or fleet gets the same responder answer for every
// target under one intermediate.
const (
	maxOCSPEntries = 4096
	maxOCSPBytes   = 16 << 20
)

type ocspResult struct {
	resp *ocsp.Response
	err  error
}

var ocspMemo = struct {
	sync.Mutex
	m     map[string]ocspResult
	bytes int
}{m: map[string]ocspResult{}}

// ParseOCSPForCert is ocsp.ParseResponseForCert(raw, cert, nil),
// remembered: the answer for cert (its serial) without checking the
// signature (the callers check it with internal/sigmemo). The response is
// shared: callers must not modify it.
func ParseOCSPForCert(raw []byte, cert *x509.Certificate) (*ocsp.Response, error) {
	// The result depends on raw and on cert's serial number only.
	key := string(raw) + string([]byte{byte(cert.SerialNumber.Sign() + 1)}) + string(cert.SerialNumber.Bytes())
	ocspMemo.Lock()
	r, ok := ocspMemo.m[key]
	ocspMemo.Unlock()
	if ok {
		return r.resp, r.err
	}
	resp, err := ocsp.ParseResponseForCert([]byte(key[:len(raw)]), cert, nil)
	ocspMemo.Lock()
	if len(ocspMemo.m) >= maxOCSPEntries || ocspMemo.bytes+len(key) > maxOCSPBytes {
		clear(ocspMemo.m)
		ocspMemo.bytes = 0
	}
	if len(key) <= maxOCSPBytes {
		ocspMemo.m[key] = ocspResult{resp, err}
		ocspMemo.bytes += len(key)
	}
	ocspMemo.Unlock()
	return resp, err
}
