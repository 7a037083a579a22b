package checks_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

type (
	x509Cert = x509.Certificate
	pkixExt  = pkix.Extension
)

// sctOCSPExt is the OCSP SCT-list extension (1.3.6.1.4.1.11129.2.4.5)
// with one fixture SCT.
func sctOCSPExt(t *testing.T) pkix.Extension {
	t.Helper()
	sct := fixtures.FixtureSCT(3, time.Unix(1700000000, 0))
	list := binary.BigEndian.AppendUint16(nil, uint16(len(sct)))
	list = append(list, sct...)
	val, err := asn1.Marshal(append(binary.BigEndian.AppendUint16(nil, uint16(len(list))), list...))
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 5}, Value: val}
}
