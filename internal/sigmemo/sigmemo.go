// Package sigmemo remembers the outcome of signature verifications, so
// that one diagnosis (and the next: an exporter or a many-target run sees
// the same intermediates and responders again and again) does not verify
// the same signature several times. The probe links issuers, the checks
// build paths and judge OCSP answers: each asks for the same few
// signatures.
//
// The memo is process-wide and bounded. It stores only the outcome of a
// pure function of its inputs (the key, the algorithm, the signed bytes,
// the signature: all in the cache key), so it can never change an answer,
// only its cost; it is safe for concurrent use.
package sigmemo

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"sync"
)

// maxEntries bounds the memo; when full it starts over.
const maxEntries = 1 << 14

var memo = struct {
	sync.Mutex
	m map[[32]byte]error
}{m: map[[32]byte]error{}}

// CheckSignature is parent.CheckSignature(alg, signed, signature),
// remembered.
func CheckSignature(parent *x509.Certificate, alg x509.SignatureAlgorithm, signed, signature []byte) error {
	h := sha256.New()
	var n [8]byte
	for _, part := range [][]byte{parent.RawSubjectPublicKeyInfo, signed, signature} {
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	binary.BigEndian.PutUint64(n[:], uint64(alg))
	h.Write(n[:])
	var key [32]byte
	h.Sum(key[:0])
	memo.Lock()
	err, ok := memo.m[key]
	memo.Unlock()
	if ok {
		return err
	}
	err = parent.CheckSignature(alg, signed, signature)
	memo.Lock()
	if len(memo.m) >= maxEntries {
		clear(memo.m)
	}
	memo.m[key] = err
	memo.Unlock()
	return err
}

// Signed reports whether parent's key signed child (the signature only:
// names and constraints are the caller's).
func Signed(parent, child *x509.Certificate) error {
	return CheckSignature(parent, child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
}
