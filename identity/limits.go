package identity

import (
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
)

// The libraries that decrypt keys trust the file: a PKCS#12 or encrypted
// PKCS#8 file may ask for billions of PBKDF iterations, and a JKS file may
// announce a 4 GiB field that keystore-go allocates before reading. A
// corrupt or hostile file must fail fast instead of hanging tlsdoctor, so
// these checks run first.

// maxIterations is far above what any tool writes (OpenSSL 2048, keytool
// 10000, OWASP's 600000 for PBKDF2-SHA256).
const maxIterations = 10_000_000

var errTooManyIterations = errors.New("too many key-derivation iterations")

// checkIterations walks DER looking for PBE parameters (a salt OCTET STRING
// followed by an iteration-count INTEGER, as in PKCS#5 PBES1/PBES2,
// PKCS#12 pbeParams and MacData) and fails when a count is over the limit.
func checkIterations(der []byte) error {
	n, err := walkIterations(der, 0)
	if err != nil {
		return err
	}
	if n > maxIterations {
		return fmt.Errorf("%w: the file asks for %d, tlsdoctor's limit is %d (is it corrupt?)", errTooManyIterations, n, maxIterations)
	}
	return nil
}

func walkIterations(der []byte, depth int) (int64, error) {
	if depth > 32 {
		return 0, nil
	}
	var most int64
	rest := der
	prevOctet := false
	for len(rest) > 0 {
		var v asn1.RawValue
		r, err := asn1.Unmarshal(rest, &v)
		if err != nil {
			return most, nil // not (more) DER: nothing to check here
		}
		rest = r
		switch {
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagInteger && prevOctet:
			n := new(big.Int).SetBytes(v.Bytes)
			if len(v.Bytes) > 0 && v.Bytes[0]&0x80 != 0 {
				n.SetInt64(0) // negative: not an iteration count
			}
			if !n.IsInt64() {
				return 1 << 62, nil
			}
			most = max(most, n.Int64())
		case v.IsCompound:
			n, err := walkIterations(v.Bytes, depth+1)
			if err != nil {
				return 0, err
			}
			most = max(most, n)
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString:
			// PKCS#12 wraps DER in OCTET STRINGs.
			n, _ := walkIterations(v.Bytes, depth+1)
			most = max(most, n)
		}
		prevOctet = v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString
	}
	return most, nil
}

// checkJKS walks a JKS file's structure and fails when a length points past
// the end of the file, before keystore-go allocates it.
func checkJKS(data []byte) error {
	p := 0
	errTrunc := errors.New("JKS keystore is truncated or corrupt: a length field points past the end of the file")
	u16 := func() (int, bool) {
		if p+2 > len(data) {
			return 0, false
		}
		v := int(binary.BigEndian.Uint16(data[p:]))
		p += 2
		return v, true
	}
	u32 := func() (int, bool) {
		if p+4 > len(data) {
			return 0, false
		}
		v := binary.BigEndian.Uint32(data[p:])
		p += 4
		if uint64(v) > uint64(len(data)) {
			return 0, false
		}
		return int(v), true
	}
	skip := func(n int) bool {
		if n < 0 || p+n > len(data) {
			return false
		}
		p += n
		return true
	}
	str := func() bool {
		n, ok := u16()
		return ok && skip(n)
	}
	cert := func(version int) bool {
		if version == 2 && !str() {
			return false
		}
		n, ok := u32()
		return ok && skip(n)
	}
	if !skip(4) {
		return errTrunc
	}
	version, ok := u32()
	if !ok {
		return errTrunc
	}
	count, ok := u32()
	if !ok {
		return errTrunc
	}
	for i := 0; i < count; i++ {
		tag, ok := u32()
		if !ok || !str() || !skip(8) {
			return errTrunc
		}
		switch tag {
		case 1:
			n, ok := u32()
			if !ok || !skip(n) {
				return errTrunc
			}
			certs, ok := u32()
			if !ok {
				return errTrunc
			}
			for j := 0; j < certs; j++ {
				if !cert(version) {
					return errTrunc
				}
			}
		case 2:
			if !cert(version) {
				return errTrunc
			}
		default:
			return fmt.Errorf("JKS keystore is corrupt: entry %d has unknown type %d", i, tag)
		}
	}
	return nil
}
