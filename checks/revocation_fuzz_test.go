package checks

import (
	"encoding/asn1"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// FuzzSCTList feeds arbitrary extension values to the SCT list parser:
// it must never panic, and every SCT it returns either parsed or says why.
func FuzzSCTList(f *testing.F) {
	sct := fixtures.FixtureSCT(0, time.Unix(1700000000, 0))
	list := append([]byte{0, byte(len(sct) + 2), 0, byte(len(sct))}, sct...)
	val, _ := asn1.Marshal(list)
	f.Add(val)
	f.Add([]byte{4, 2, 0, 5})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range sctList("fuzz", b) {
			if s.Problem == "" && len(s.LogID) != 32 {
				t.Fatalf("SCT without problem has a %d-byte log ID", len(s.LogID))
			}
		}
	})
}

// FuzzJudgeAnswers feeds arbitrary bytes as OCSP responses and CRLs: the
// judges must never panic and never call garbage good or revoked.
func FuzzJudgeAnswers(f *testing.F) {
	lab := fixtures.TestLab(f, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	leaf, issuer := lab.PKI.Get("leaf").Cert, lab.PKI.Get("intermediate").Cert
	good, err := lab.Responder.Response("leaf", "intermediate", fixtures.OCSPGood)
	if err != nil {
		f.Fatal(err)
	}
	crl, err := lab.Responder.CRL("intermediate", false)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(crl)
	f.Add([]byte{0x30, 0x03, 0x0A, 0x01, 0x03})
	now := lab.PKI.Now
	f.Fuzz(func(t *testing.T, b []byte) {
		o := judgeOCSP(b, leaf, issuer, now)
		c := judgeCRL(b, leaf, issuer, now)
		for _, a := range []RevocationAnswer{o, c} {
			if a.Verdict == "" {
				t.Fatal("no verdict")
			}
		}
		if (o.Verdict == AnswerGood || o.Verdict == AnswerRevoked) && string(b) != string(good) && o.SignedBy == "" {
			t.Fatalf("unsigned input judged %s", o.Verdict)
		}
	})
}
