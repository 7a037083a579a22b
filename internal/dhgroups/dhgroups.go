// Package dhgroups knows the published finite-field Diffie-Hellman groups
// (RFC 2409, RFC 3526, RFC 5114, RFC 7919) by value, so that a group a
// server sends can be named. It holds data and lookups only: judging a
// group belongs to the checks.
package dhgroups

import "math/big"

// Group is a published DH group: hex p and g, and for the RFC 5114 groups
// the order q of the prime-order subgroup g generates (empty when p is a
// safe prime and g = 2).
type Group struct {
	Name string
	// Spec is where it is defined ("RFC 3526 group 14 (2048-bit MODP)").
	Spec    string
	P, G, Q string
}

// Safe says whether p is a safe prime, (p-1)/2 prime too: every published
// group except RFC 5114's, which use a small prime-order subgroup.
func (g Group) Safe() bool { return g.Q == "" }

// QBits is the size of the prime-order subgroup, 0 for a safe prime.
func (g Group) QBits() int {
	if g.Q == "" {
		return 0
	}
	q, _ := new(big.Int).SetString(g.Q, 16)
	return q.BitLen()
}

// All returns every known group, in a fixed order.
func All() []Group {
	out := make([]Group, len(known))
	copy(out, known)
	return out
}

// Lookup finds the published group whose prime is p. sameG says whether
// g is the group's own generator (a server may pair a published prime
// with another generator).
func Lookup(p, g *big.Int) (grp Group, sameG, ok bool) {
	for _, k := range known {
		kp, _ := new(big.Int).SetString(k.P, 16)
		if kp.Cmp(p) == 0 {
			kg, _ := new(big.Int).SetString(k.G, 16)
			return k, g != nil && kg.Cmp(g) == 0, true
		}
	}
	return Group{}, false, false
}

// Order returns q for an RFC 5114 group, nil for the others.
func (g Group) Order() *big.Int {
	if g.Q == "" {
		return nil
	}
	q, _ := new(big.Int).SetString(g.Q, 16)
	return q
}
