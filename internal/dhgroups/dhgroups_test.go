package dhgroups

import (
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os/exec"
	"strings"
	"testing"
)

// Every group is what its RFC says: a safe prime with generator 2, or
// (RFC 5114) a prime p with a prime q dividing p-1 and g of order q.
func TestGroupsAreWhatTheySay(t *testing.T) {
	one := big.NewInt(1)
	for _, g := range All() {
		p, _ := new(big.Int).SetString(g.P, 16)
		if p.BitLen() > 4096 {
			continue // seconds each; TestMODPFormula and TestMatchesOpenSSL cover them
		}
		gen, _ := new(big.Int).SetString(g.G, 16)
		if !p.ProbablyPrime(0) {
			t.Errorf("%s: p is not prime", g.Name)
		}
		q := new(big.Int).Rsh(new(big.Int).Sub(p, one), 1)
		if g.Safe() {
			if !q.ProbablyPrime(0) || gen.Cmp(big.NewInt(2)) != 0 {
				t.Errorf("%s: not a safe prime with generator 2", g.Name)
			}
			continue
		}
		q = g.Order()
		if !q.ProbablyPrime(0) || new(big.Int).Mod(new(big.Int).Sub(p, one), q).Sign() != 0 || new(big.Int).Exp(gen, q, p).Cmp(one) != 0 {
			t.Errorf("%s: g does not generate a subgroup of prime order q", g.Name)
		}
	}
}

// RFC 2409 §6 / RFC 3526: p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k).
// The formula reproduces each MODP prime, the two RFC 2409 ones included
// (OpenSSL does not name those).
func TestMODPFormula(t *testing.T) {
	ks := map[string]struct {
		n uint
		k int64
	}{"modp768": {768, 149686}, "modp1024": {1024, 129093}, "modp1536": {1536, 741804}, "modp2048": {2048, 124476},
		"modp3072": {3072, 1690314}, "modp4096": {4096, 240904}, "modp6144": {6144, 929484}, "modp8192": {8192, 4743158}}
	for _, g := range All() {
		c, ok := ks[g.Name]
		if !ok {
			continue
		}
		delete(ks, g.Name)
		if got := oakley(c.n, c.k); !strings.EqualFold(got.Text(16), g.P) {
			t.Errorf("%s: the RFC 2409 formula gives a different prime", g.Name)
		}
	}
	if len(ks) > 0 {
		t.Errorf("groups missing from the table: %v", ks)
	}
}

// The table matches OpenSSL's built-in groups, where OpenSSL has them.
func TestMatchesOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed (apt-get install -y openssl)")
	}
	for _, g := range All() {
		name := g.Name
		switch {
		case strings.HasPrefix(name, "ffdhe"):
		case strings.HasPrefix(name, "modp") && name != "modp768" && name != "modp1024":
			name = "modp_" + strings.TrimPrefix(name, "modp")
		default:
			continue
		}
		out, err := exec.Command("openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:"+name).Output()
		if err != nil {
			t.Fatalf("openssl genpkey group:%s: %v", name, err)
		}
		blk, _ := pem.Decode(out)
		var params struct{ P, G *big.Int }
		if blk == nil {
			t.Fatalf("openssl genpkey group:%s: no PEM", name)
		}
		if _, err := asn1.Unmarshal(blk.Bytes, &params); err != nil {
			t.Fatalf("openssl genpkey group:%s: %v", name, err)
		}
		if !strings.EqualFold(params.P.Text(16), g.P) || params.G.Int64() != 2 {
			t.Errorf("%s: OpenSSL's %s has other parameters", g.Name, name)
		}
	}
}

func TestLookup(t *testing.T) {
	g := byName(t, "ffdhe2048")
	p, _ := new(big.Int).SetString(g.P, 16)
	if got, same, ok := Lookup(p, big.NewInt(2)); !ok || !same || got.Name != "ffdhe2048" {
		t.Errorf("Lookup(ffdhe2048, 2) = %v %v %v", got.Name, same, ok)
	}
	if _, same, ok := Lookup(p, big.NewInt(5)); !ok || same {
		t.Errorf("Lookup(ffdhe2048, 5): ok %v, same generator %v; want true, false", ok, same)
	}
	if _, _, ok := Lookup(new(big.Int).Add(p, big.NewInt(2)), big.NewInt(2)); ok {
		t.Error("an unknown prime was found")
	}
}

func byName(t *testing.T, name string) Group {
	for _, g := range All() {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("no group %s", name)
	return Group{}
}

func atanInv(x int64, prec uint) *big.Int {
	one := new(big.Int).Lsh(big.NewInt(1), prec)
	x2 := big.NewInt(x * x)
	term := new(big.Int).Div(one, big.NewInt(x))
	sum := new(big.Int).Set(term)
	for n := int64(3); term.Sign() != 0; n += 2 {
		term.Div(term, x2)
		t := new(big.Int).Div(term, big.NewInt(n))
		if (n/2)%2 == 1 {
			sum.Sub(sum, t)
		} else {
			sum.Add(sum, t)
		}
	}
	return sum
}

func oakley(n uint, k int64) *big.Int {
	prec := n + 64
	pi := new(big.Int).Sub(new(big.Int).Mul(big.NewInt(16), atanInv(5, prec)), new(big.Int).Mul(big.NewInt(4), atanInv(239, prec)))
	f := new(big.Int).Rsh(pi, prec-(n-130))
	p := new(big.Int).Lsh(big.NewInt(1), n)
	p.Sub(p, new(big.Int).Lsh(big.NewInt(1), n-64))
	p.Sub(p, big.NewInt(1))
	return p.Add(p, new(big.Int).Lsh(new(big.Int).Add(f, big.NewInt(k)), 64))
}
