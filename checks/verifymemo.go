package checks

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"sync"
	"time"
)

// verifyMemo remembers crypto/x509.Verify's successes across diagnoses:
// an exporter or a many-target run verifies the same chains against the
// same store again and again, and each Verify checks every signature of
// the path anew. Only a success is kept (an error's text can hold the
// clock, "current time ... is after ..."), for the same leaf, the same
// intermediates in the same order, the same store (its pool) and the same
// usages, and only while no certificate involved (the leaf, the
// intermediates, every certificate of the store) changes between valid
// and not valid: within that window Verify's answer cannot change. The
// memo is process-wide, bounded and safe for concurrent use.
var verifyMemo = struct {
	sync.Mutex
	m map[verifyKey]verifyEntry
}{m: map[verifyKey]verifyEntry{}}

const maxVerifyMemo = 4096

type verifyKey struct {
	pool *x509.CertPool
	sum  [32]byte
}

type verifyEntry struct {
	from, until time.Time // valid for from <= now < until
	chains      [][]*x509.Certificate
}

// memoVerify is leaf.Verify(opts) for opts with Roots set to store's pool
// and Intermediates built from inter, remembered (see verifyMemo).
func memoVerify(leaf *x509.Certificate, inter []*x509.Certificate, store Truststore, opts x509.VerifyOptions) ([][]*x509.Certificate, error) {
	h := sha256.New()
	var n [8]byte
	write := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	write(leaf.Raw)
	for _, c := range inter {
		write(c.Raw)
	}
	for _, u := range opts.KeyUsages {
		binary.BigEndian.PutUint64(n[:], uint64(u))
		h.Write(n[:])
	}
	key := verifyKey{pool: opts.Roots}
	h.Sum(key.sum[:0])
	now := opts.CurrentTime

	verifyMemo.Lock()
	e, ok := verifyMemo.m[key]
	verifyMemo.Unlock()
	if ok && !now.Before(e.from) && now.Before(e.until) {
		return remapChains(e.chains, leaf, inter), nil
	}
	chains, err := leaf.Verify(opts)
	if err != nil || now.IsZero() {
		return chains, err
	}
	from, until := validityWindow(now, leaf, inter, store.Certs)
	verifyMemo.Lock()
	if len(verifyMemo.m) >= maxVerifyMemo {
		clear(verifyMemo.m)
	}
	verifyMemo.m[key] = verifyEntry{from: from, until: until, chains: chains}
	verifyMemo.Unlock()
	return chains, nil
}

// validityWindow is the longest [from, until) around now in which none of
// the certificates changes between valid and not valid, by Verify's rule
// (valid when NotBefore <= now <= NotAfter).
func validityWindow(now time.Time, groups ...any) (from, until time.Time) {
	until = time.Unix(1<<62, 0)
	see := func(c *x509.Certificate) {
		for _, p := range [2]time.Time{c.NotBefore, c.NotAfter.Add(time.Nanosecond)} {
			if !p.After(now) {
				if p.After(from) {
					from = p
				}
			} else if p.Before(until) {
				until = p
			}
		}
	}
	for _, g := range groups {
		switch g := g.(type) {
		case *x509.Certificate:
			see(g)
		case []*x509.Certificate:
			for _, c := range g {
				see(c)
			}
		}
	}
	return from, until
}

// remapChains copies remembered chains, replacing each certificate that
// is the leaf or one of the intermediates by this diagnosis' own (the
// same bytes), so that pointer comparisons with the input hold.
func remapChains(chains [][]*x509.Certificate, leaf *x509.Certificate, inter []*x509.Certificate) [][]*x509.Certificate {
	own := func(c *x509.Certificate) *x509.Certificate {
		if c.Equal(leaf) {
			return leaf
		}
		for _, i := range inter {
			if c.Equal(i) {
				return i
			}
		}
		return c
	}
	out := make([][]*x509.Certificate, len(chains))
	for i, ch := range chains {
		out[i] = make([]*x509.Certificate, len(ch))
		for j, c := range ch {
			out[i][j] = own(c)
		}
	}
	return out
}
