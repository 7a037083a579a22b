package identity

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
)

// The libraries that decrypt keys trust the file: a PKCS#12 or encrypted
// PKCS#8 file may ask for billions of PBKDF iterations, and a JKS file may
// announce a 4 GiB field that keystore-go allocates before reading. A
// corrupt or hostile file must fail fast instead of hanging tlsdoctor, so
// these checks run first. The iteration bound is shared with truststore
// (inputfile.CheckKeyDerivation).

var errTooManyIterations = inputfile.ErrTooManyIterations

func checkIterations(der []byte) error { return inputfile.CheckKeyDerivation(der) }

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
