package checks

// dh-group-unsafe: the finite-field DH group a server sends in its DHE
// ServerKeyExchange must be a prime p with a generator g of large order.
// A published group (RFC 2409, 3526, 5114, 7919) is recognised by value;
// any other is tested: p prime (a composite modulus gives no secrecy), g
// not 1 or p-1 (order 2 or less), and p a safe prime, (p-1)/2 prime (else
// the group has small subgroups a client cannot rule out). Clients do not
// check primality: Java, curl and openssl connect to a composite or
// non-safe group without a word (measured, shared/client-errors.md).

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/dhgroups"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// maxDHTestBits bounds the primality tests: a Baillie-PSW test of a
// 4096-bit number takes about a tenth of a second, of an 8192-bit one
// seconds. Larger custom groups are not judged.
const maxDHTestBits = 4096

// smallPrimeBound is how far p-1 is searched for small factors.
const smallPrimeBound = 1 << 17

// dhProblem is what is wrong with a DH group.
type dhProblem struct {
	sev    Severity
	title  string
	detail string
	facts  []string
}

// judgeDH says what is wrong with the group, nil when nothing is (or when
// it cannot be tested).
func judgeDH(dh *probe.DHParams) *dhProblem {
	if dh == nil || len(dh.Prime) == 0 {
		return nil
	}
	p, g := new(big.Int).SetBytes(dh.Prime), new(big.Int).SetBytes(dh.Generator)
	one, two := big.NewInt(1), big.NewInt(2)
	pm1 := new(big.Int).Sub(p, one)
	if g.Cmp(two) < 0 || g.Cmp(new(big.Int).Sub(p, two)) > 0 {
		return &dhProblem{sev: Error, title: fmt.Sprintf("the server's DH generator is %s: its order is 2 or less", generatorName(g, pm1)),
			detail: "A generator of 0, 1 or p-1 generates a subgroup of at most two elements: every shared secret is 1 or p-1, known to anyone watching. OpenSSL 3 (curl) and Java refuse such parameters; clients that do not check connect with no secrecy at all."}
	}
	if known, sameG, ok := dhgroups.Lookup(p, g); ok {
		if sameG || known.Safe() {
			return nil // a published group (with another g, a safe prime still leaves only orders q and 2q)
		}
		if q := known.Order(); new(big.Int).Exp(g, q, p).Cmp(one) == 0 {
			return nil
		}
		return &dhProblem{sev: Warning, title: "the server pairs the " + known.Name + " prime with a generator outside its prime-order subgroup",
			detail: known.Spec + " is meant to be used with its own generator, which generates a subgroup of prime order q; this generator does not, so the order of the group it generates is unknown and may have small factors."}
	}
	if p.Bit(0) == 1 && p.BitLen() > maxDHTestBits {
		return nil // too large to test here
	}
	if p.Bit(0) == 0 || !p.ProbablyPrime(0) {
		return &dhProblem{sev: Error, title: fmt.Sprintf("the server's %d-bit DH modulus is not a prime", p.BitLen()),
			detail: "Diffie-Hellman needs a prime modulus. With a composite one, whoever knows (or finds) its factors computes discrete logarithms in each small factor group and recovers the shared secret: the key exchange protects nothing. No client checks this (Java, curl, openssl and GnuTLS connect), so nothing warns the user. badssl.com's dh-composite is this fault."}
	}
	q := new(big.Int).Rsh(pm1, 1)
	if q.ProbablyPrime(0) {
		return nil // a safe prime: g has order q or 2q
	}
	factors, smooth := smallFactors(pm1)
	var facts []string
	if len(factors) > 0 {
		facts = append(facts, "small factors of p-1: "+strings.Join(factors, " · "))
	}
	if new(big.Int).Exp(g, smooth, p).Cmp(one) == 0 {
		ord := order(g, p, smooth, factors)
		if ord.BitLen() < 160 {
			return &dhProblem{sev: Error, title: fmt.Sprintf("the server's DH generator has a small order (%s)", ord.String()),
				detail: fmt.Sprintf("g generates a subgroup of only %s elements: an eavesdropper tries them all and recovers every shared secret. Clients do not check the order of g.", ord.String()), facts: facts}
		}
	}
	return &dhProblem{sev: Warning, title: fmt.Sprintf("the server's %d-bit DH prime is not a safe prime", p.BitLen()),
		detail: "(p-1)/2 is not prime, so the group has subgroups of small order and the server does not say which subgroup g generates: a client cannot check that the server's public value (or an attacker's) lies in a large subgroup. Servers that reuse DH keys leak them through small-subgroup attacks (CVE-2016-0701); `openssl dhparam -dsaparam` makes such groups. badssl.com's dh-small-subgroup is this fault.", facts: facts}
}

// generatorName shows a degenerate generator as 0, 1 or p-1.
func generatorName(g, pm1 *big.Int) string {
	if g.Cmp(pm1) == 0 {
		return "p-1"
	}
	if g.BitLen() <= 64 {
		return g.String()
	}
	return "out of range"
}

// smallFactors trial-divides n by the primes below smallPrimeBound and
// returns them (with multiplicity, as text) and their product.
func smallFactors(n *big.Int) ([]string, *big.Int) {
	rest := new(big.Int).Set(n)
	smooth := big.NewInt(1)
	var out []string
	mod := new(big.Int)
	composite := make([]bool, smallPrimeBound)
	for r := 2; r < smallPrimeBound; r++ {
		if composite[r] {
			continue
		}
		for k := r * r; k < smallPrimeBound; k += r {
			composite[k] = true
		}
		rb := big.NewInt(int64(r))
		for mod.Mod(rest, rb).Sign() == 0 {
			rest.Div(rest, rb)
			smooth.Mul(smooth, rb)
			out = append(out, rb.String())
		}
	}
	return out, smooth
}

// order is the order of g mod p, given that g^smooth = 1 and the prime
// factors of smooth.
func order(g, p, smooth *big.Int, factors []string) *big.Int {
	ord := new(big.Int).Set(smooth)
	one := big.NewInt(1)
	for _, f := range factors {
		r, _ := new(big.Int).SetString(f, 10)
		cand := new(big.Int).Div(ord, r)
		if new(big.Int).Mod(ord, r).Sign() == 0 && new(big.Int).Exp(g, cand, p).Cmp(one) == 0 {
			ord = cand
		}
	}
	return ord
}

// dhSeen is a DH group the record holds, with where it was seen.
type dhSeen struct {
	dh    *probe.DHParams
	where string
}

func dhGroupsSeen(in *Input) []dhSeen {
	var out []dhSeen
	add := func(dh *probe.DHParams, where string) {
		if dh == nil {
			return
		}
		for _, s := range out {
			if string(s.dh.Prime) == string(dh.Prime) && string(s.dh.Generator) == string(dh.Generator) {
				return
			}
		}
		out = append(out, dhSeen{dh, where})
	}
	if sc := scanOf(in); sc != nil {
		for _, v := range sc.Versions {
			add(v.DH, "scan, "+v.Version)
		}
	}
	for _, n := range negotiated(in) {
		add(n.a.DH, n.how())
	}
	return out
}

func dhGroupUnsafe(in *Input) []Finding {
	var out []Finding
	for _, s := range dhGroupsSeen(in) {
		pr := judgeDH(s.dh)
		if pr == nil {
			continue
		}
		p := new(big.Int).SetBytes(s.dh.Prime)
		g := new(big.Int).SetBytes(s.dh.Generator)
		gText := shortInt(g)
		if pm1 := new(big.Int).Sub(p, big.NewInt(1)); g.Cmp(pm1) == 0 {
			gText = "p-1"
		}
		ev := append([]string{fmt.Sprintf("%s: DHE group of %d bits, p = 0x%s…%s, g = %s", s.where, s.dh.Bits, hexHead(p), hexTail(p), gText)}, pr.facts...)
		out = append(out, Finding{
			Severity: pr.sev,
			Title:    pr.title,
			Detail:   pr.detail,
			Evidence: ev,
			Fix: []Step{
				Say("Server: use a published group (RFC 7919 ffdhe2048 or larger) or fresh safe-prime parameters (openssl dhparam without -dsaparam), or drop DHE suites and keep ECDHE:"),
				Cmd("openssl", "openssl dhparam -out dhparam.pem 2048"),
				Set("nginx", "ssl_dhparam /etc/nginx/dhparam.pem;"),
				Set("apache", "SSLOpenSSLConfCmd DHParameters /etc/apache2/dhparam.pem"),
				Say("Check a parameters file before deploying it (openssl says \"DH parameters appear to be ok.\"):"),
				Cmd("openssl", "openssl dhparam -in dhparam.pem -check -noout"),
			},
			Clients: negotiationClients(in),
		})
	}
	return out
}

func hexHead(n *big.Int) string {
	h := n.Text(16)
	return strings.ToUpper(h[:min(8, len(h))])
}

func hexTail(n *big.Int) string {
	h := n.Text(16)
	return strings.ToUpper(h[max(0, len(h)-8):])
}

func shortInt(n *big.Int) string {
	if n.BitLen() <= 64 {
		return n.String()
	}
	return fmt.Sprintf("a %d-bit number (0x%s…)", n.BitLen(), hexHead(n))
}
