package inputfile

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// Key derivation. The libraries that open PKCS#12 files and encrypted
// PKCS#8 keys trust the iteration counts the file asks for, and derivation
// cannot be interrupted: a file asking for 10 million iterations held
// tlsdoctor for 9 seconds before --timeout even started. CheckKeyDerivation
// runs before any derivation and refuses a file that asks for more work
// than any real one does.
//
// Real files ask for 2048 (OpenSSL 3, Windows), 10000 (keytool since JDK
// 12), at most OWASP's 600000 for PBKDF2-SHA256; a PKCS#12 file derives
// keys two or three times (the MAC, the key bag, the certificate bag), and
// one derivation costs about 1 µs per iteration on a current CPU (PBKDF2-
// HMAC-SHA256 and the PKCS#12 SHA-1 KDF alike, measured with go-pkcs12).
const (
	// MaxIterations bounds one iteration count.
	MaxIterations = 1_000_000
	// MaxTotalIterations bounds the sum of a file's iteration counts:
	// about 2 s of derivation at worst.
	MaxTotalIterations = 2_000_000
)

// ErrTooManyIterations is wrapped by CheckKeyDerivation's error.
var ErrTooManyIterations = errors.New("too many key-derivation iterations")

// CheckKeyDerivation walks DER (a PKCS#12 file, an encrypted PKCS#8 key)
// for PBE parameters (a salt OCTET STRING followed by an iteration-count
// INTEGER, as in PKCS#5 PBES1/PBES2, PKCS#12 pbeParams and MacData) and
// fails when one count or their sum is over its limit.
func CheckKeyDerivation(der []byte) error {
	var w iterWalk
	w.walk(der, 0)
	switch {
	case w.most > MaxIterations:
		return fmt.Errorf("%w: the file asks for %d iterations; tlsdoctor's limit is %d (real files use 2048 to 600000; is it corrupt or hostile?)", ErrTooManyIterations, w.most, MaxIterations)
	case w.total > MaxTotalIterations:
		return fmt.Errorf("%w: the file asks for %d iterations in all; tlsdoctor's limit is %d (real files use 2048 to 600000 per key; is it corrupt or hostile?)", ErrTooManyIterations, w.total, MaxTotalIterations)
	}
	return nil
}

type iterWalk struct {
	most, total int64
	nodes       int
}

// walk visits at most 100000 DER nodes, 32 deep: a file cannot make the
// walk itself expensive.
func (w *iterWalk) walk(der []byte, depth int) {
	if depth > 32 {
		return
	}
	rest := der
	prevOctet := false
	for len(rest) > 0 && w.nodes < 100_000 {
		w.nodes++
		var v asn1.RawValue
		r, err := asn1.Unmarshal(rest, &v)
		if err != nil {
			return // not (more) DER: nothing to check here
		}
		rest = r
		switch {
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagInteger && prevOctet:
			n := new(big.Int).SetBytes(v.Bytes)
			switch {
			case len(v.Bytes) > 0 && v.Bytes[0]&0x80 != 0:
				// negative: not an iteration count
			case !n.IsInt64() || n.Int64() > 1<<40:
				w.add(1 << 40)
			default:
				w.add(n.Int64())
			}
		case v.IsCompound:
			w.walk(v.Bytes, depth+1)
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString:
			// PKCS#12 wraps DER in OCTET STRINGs.
			w.walk(v.Bytes, depth+1)
		}
		prevOctet = v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString
	}
}

func (w *iterWalk) add(n int64) {
	w.most = max(w.most, n)
	w.total = min(w.total+n, 1<<50)
}
