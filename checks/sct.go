package checks

import (
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"time"

	"github.com/tlsdoctor/tlsdoctor/internal/certmemo"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Where an SCT came from.
const (
	SCTFromCertificate = "certificate"
	SCTFromTLS         = "TLS extension"
	SCTFromOCSP        = "OCSP"
)

// SCT is a signed certificate timestamp, parsed (RFC 6962 section 3.2).
// tlsdoctor does not verify SCTs: it has no log list.
type SCT struct {
	Source    string
	Version   int
	LogID     []byte
	Timestamp time.Time
	// Problem is set when the SCT does not parse.
	Problem string
}

var (
	oidSCTCert = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
	oidSCTOCSP = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 5}
)

// SCTs returns the SCTs the server delivered for its leaf: embedded in
// the certificate, in the TLS extension, and in the stapled OCSP response.
func SCTs(rec *probe.Record) []SCT {
	chain := rec.Chain()
	if len(chain) == 0 {
		return nil
	}
	leaf, err := certmemo.Parse(chain[0].DER)
	if err != nil {
		return nil
	}
	var out []SCT
	for _, e := range leaf.Extensions {
		if e.Id.Equal(oidSCTCert) {
			out = append(out, sctList(SCTFromCertificate, e.Value)...)
		}
	}
	for _, a := range rec.Attempts {
		if len(a.Certificates) == 0 {
			continue
		}
		for _, raw := range a.SCTs {
			out = append(out, parseSCT(SCTFromTLS, raw))
		}
		if len(a.OCSPStaple) > 0 {
			if resp, err := certmemo.ParseOCSPForCert(a.OCSPStaple, leaf); err == nil {
				for _, e := range resp.Extensions {
					if e.Id.Equal(oidSCTOCSP) {
						out = append(out, sctList(SCTFromOCSP, e.Value)...)
					}
				}
			}
		}
		break
	}
	return out
}

// sctList parses an extension value: an OCTET STRING holding a TLS
// SignedCertificateTimestampList.
func sctList(source string, value []byte) []SCT {
	var list []byte
	if rest, err := asn1.Unmarshal(value, &list); err != nil || len(rest) > 0 {
		return []SCT{{Source: source, Problem: "the SCT list extension is not an OCTET STRING"}}
	}
	body, _, err := vec16(list)
	if err != nil {
		return []SCT{{Source: source, Problem: "the SCT list is truncated"}}
	}
	var out []SCT
	for len(body) > 0 {
		var one []byte
		one, body, err = vec16(body)
		if err != nil {
			return append(out, SCT{Source: source, Problem: "the SCT list is truncated"})
		}
		out = append(out, parseSCT(source, one))
	}
	return out
}

var errShort = errors.New("truncated")

func vec16(b []byte) (body, rest []byte, err error) {
	if len(b) < 2 {
		return nil, nil, errShort
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return nil, nil, errShort
	}
	return b[2 : 2+n], b[2+n:], nil
}

func parseSCT(source string, b []byte) SCT {
	s := SCT{Source: source}
	if len(b) < 1+32+8 {
		s.Problem = "the SCT is truncated"
		return s
	}
	s.Version = int(b[0]) + 1
	s.LogID = append([]byte(nil), b[1:33]...)
	s.Timestamp = time.UnixMilli(int64(binary.BigEndian.Uint64(b[33:41]))).UTC()
	if b[0] != 0 {
		s.Problem = "unknown SCT version"
	}
	return s
}
