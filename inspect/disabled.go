package inspect

import (
	"crypto"
	//lint:ignore SA1019 to size DSA keys, not to use them
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A JDK refuses algorithms its java.security lists in
// jdk.certpath.disabledAlgorithms (certificate paths) and
// jdk.tls.disabledAlgorithms (protocol versions, cipher suites, and again
// keys and signatures in the handshake). Each entry is an algorithm name,
// optionally with constraints joined by '&': keySize OP N, jdkCA (only
// paths anchored at a root shipped in the JDK's cacerts), usage
// TLSServer|TLSClient|SignedJAR, denyAfter DATE. A name matches an
// algorithm or any of its parts, as the JDK's decomposer splits them
// (SHA1withRSA is SHA1 and RSA; TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA is
// ECDHE, RSA, 3DES_EDE_CBC and SHA).

// Disabled is one thing a JDK refuses, and the entry that refuses it.
type Disabled struct {
	Property string `json:"property"`
	Entry    string `json:"entry"`
	What     string `json:"what"`
}

type constraint struct {
	raw       string
	algorithm string
	keyOp     string
	keySize   int
	jdkCA     bool
	usage     []string
	denyAfter time.Time
}

func parseConstraint(e string) constraint {
	c := constraint{raw: e}
	parts := strings.Split(e, "&")
	first := strings.Fields(strings.TrimSpace(parts[0]))
	if len(first) == 0 {
		return c
	}
	c.algorithm = first[0]
	rest := append([]string{strings.Join(first[1:], " ")}, parts[1:]...)
	for _, p := range rest {
		f := strings.Fields(strings.TrimSpace(p))
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "keySize":
			if len(f) == 3 {
				c.keyOp = f[1]
				c.keySize, _ = strconv.Atoi(f[2])
			}
		case "jdkCA":
			c.jdkCA = true
		case "usage":
			c.usage = f[1:]
		case "denyAfter":
			if len(f) == 2 {
				c.denyAfter, _ = time.Parse("2006-01-02", f[1])
			}
		}
	}
	return c
}

func (c constraint) sizeHits(n int) bool {
	switch c.keyOp {
	case "<":
		return n < c.keySize
	case "<=":
		return n <= c.keySize
	case ">":
		return n > c.keySize
	case ">=":
		return n >= c.keySize
	case "==":
		return n == c.keySize
	case "!=":
		return n != c.keySize
	}
	return false
}

// context is where a constraint is judged.
type context struct {
	usage  string // "TLSServer", "TLSClient"
	jdkCA  bool   // the path ends at a root of the JDK's cacerts
	now    time.Time
	keyAlg string // the key a keySize constraint may size
	bits   int
}

// applies reports whether the constraint disables an algorithm with the
// given parts in ctx.
func (c constraint) applies(parts []string, ctx context) bool {
	if c.algorithm == "" {
		return false
	}
	match := false
	for _, p := range parts {
		if strings.EqualFold(p, c.algorithm) || strings.EqualFold(strings.ReplaceAll(p, "-", ""), strings.ReplaceAll(c.algorithm, "-", "")) {
			match = true
		}
	}
	if !match {
		return false
	}
	if c.keyOp != "" {
		if !strings.EqualFold(ctx.keyAlg, c.algorithm) || ctx.bits == 0 || !c.sizeHits(ctx.bits) {
			return false
		}
	}
	if c.jdkCA && !ctx.jdkCA {
		return false
	}
	if len(c.usage) > 0 {
		ok := false
		for _, u := range c.usage {
			ok = ok || strings.EqualFold(u, ctx.usage)
		}
		if !ok {
			return false
		}
	}
	if !c.denyAfter.IsZero() && !ctx.now.After(c.denyAfter) {
		return false
	}
	return true
}

// javaSigAlg names a certificate signature algorithm as Java does, with
// its parts.
func javaSigAlg(a x509.SignatureAlgorithm) []string {
	switch a {
	case x509.MD2WithRSA:
		return []string{"MD2withRSA", "MD2", "RSA"}
	case x509.MD5WithRSA:
		return []string{"MD5withRSA", "MD5", "RSA"}
	case x509.SHA1WithRSA:
		return []string{"SHA1withRSA", "SHA1", "RSA"}
	case x509.SHA256WithRSA:
		return []string{"SHA256withRSA", "SHA256", "RSA"}
	case x509.SHA384WithRSA:
		return []string{"SHA384withRSA", "SHA384", "RSA"}
	case x509.SHA512WithRSA:
		return []string{"SHA512withRSA", "SHA512", "RSA"}
	case x509.DSAWithSHA1:
		return []string{"SHA1withDSA", "SHA1", "DSA"}
	case x509.DSAWithSHA256:
		return []string{"SHA256withDSA", "SHA256", "DSA"}
	case x509.ECDSAWithSHA1:
		return []string{"SHA1withECDSA", "SHA1", "ECDSA"}
	case x509.ECDSAWithSHA256:
		return []string{"SHA256withECDSA", "SHA256", "ECDSA"}
	case x509.ECDSAWithSHA384:
		return []string{"SHA384withECDSA", "SHA384", "ECDSA"}
	case x509.ECDSAWithSHA512:
		return []string{"SHA512withECDSA", "SHA512", "ECDSA"}
	case x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS:
		h := map[x509.SignatureAlgorithm]string{x509.SHA256WithRSAPSS: "SHA256", x509.SHA384WithRSAPSS: "SHA384", x509.SHA512WithRSAPSS: "SHA512"}[a]
		return []string{"RSASSA-PSS", h, "RSA"}
	case x509.PureEd25519:
		return []string{"Ed25519", "EdDSA"}
	}
	return []string{a.String()}
}

// javaKey names a public key as Java does ("RSA", "EC", "DSA") with its
// size in bits.
func javaKey(pub crypto.PublicKey) (string, int) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "EC", k.Curve.Params().BitSize
	case *dsa.PublicKey:
		return "DSA", k.P.BitLen()
	case ed25519.PublicKey:
		return "EdDSA", 255
	}
	return "", 0
}

// JudgeChain says what the JDK refuses on a path (leaf first, ending at
// the trust anchor; a lone anchor is judged by its key only): each
// certificate's key, and each signature but the anchor's own. usage is "TLSServer" or "TLSClient"; jdkCA whether the
// anchor is one of the JDK's own roots.
func (jt *JavaTrust) JudgeChain(path []*x509.Certificate, usage string, jdkCA bool, now time.Time) []Disabled {
	var out []Disabled
	seen := map[string]bool{}
	add := func(prop, entry, what string) {
		if !seen[entry+what] {
			seen[entry+what] = true
			out = append(out, Disabled{Property: prop, Entry: entry, What: what})
		}
	}
	for _, prop := range []struct {
		name    string
		entries []string
	}{{"jdk.certpath.disabledAlgorithms", jt.CertPathDisabled}, {"jdk.tls.disabledAlgorithms", jt.TLSDisabled}} {
		for _, e := range prop.entries {
			c := parseConstraint(e)
			for i, cert := range path {
				alg, bits := javaKey(cert.PublicKey)
				ctx := context{usage: usage, jdkCA: jdkCA, now: now, keyAlg: alg, bits: bits}
				if c.applies([]string{alg}, ctx) {
					add(prop.name, e, fmt.Sprintf("the key of %q (%s %d)", name(cert), alg, bits))
				}
				if i == len(path)-1 {
					continue // the path ends at the anchor, whose own signature nobody checks
				}
				parts := javaSigAlg(cert.SignatureAlgorithm)
				if c.keyOp == "" && c.applies(parts, ctx) {
					add(prop.name, e, fmt.Sprintf("the %s signature on %q", parts[0], name(cert)))
				}
			}
		}
	}
	return out
}

// JudgeHandshake says what the JDK refuses in a negotiated handshake: the
// protocol version ("TLS 1.2" as the record writes it) and cipher suite
// (IANA name).
func (jt *JavaTrust) JudgeHandshake(version, suite string) []Disabled {
	var out []Disabled
	jv := map[string]string{"SSL 3.0": "SSLv3", "TLS 1.0": "TLSv1", "TLS 1.1": "TLSv1.1", "TLS 1.2": "TLSv1.2", "TLS 1.3": "TLSv1.3"}[version]
	parts := suiteParts(suite)
	for _, e := range jt.TLSDisabled {
		c := parseConstraint(e)
		if c.keyOp != "" {
			continue // sizes of handshake keys are not in the record
		}
		ctx := context{usage: "TLSServer"}
		if jv != "" && c.applies([]string{jv}, ctx) {
			out = append(out, Disabled{Property: "jdk.tls.disabledAlgorithms", Entry: e, What: "protocol " + jv})
		}
		if suite != "" && c.applies(parts, ctx) {
			out = append(out, Disabled{Property: "jdk.tls.disabledAlgorithms", Entry: e, What: "cipher suite " + suite})
		}
	}
	return out
}

// suiteParts decomposes an IANA cipher suite name the way the JDK's
// SSLAlgorithmDecomposer does: the suite, its key exchange parts, its
// cipher and its MAC.
func suiteParts(suite string) []string {
	out := []string{suite}
	s := strings.TrimPrefix(suite, "TLS_")
	s = strings.TrimPrefix(s, "SSL_")
	kx, rest, ok := strings.Cut(s, "_WITH_")
	if !ok {
		// TLS 1.3: TLS_AES_128_GCM_SHA256
		i := strings.LastIndex(s, "_")
		if i < 0 {
			return out
		}
		return append(out, s[:i], s[i+1:])
	}
	out = append(out, strings.Split(kx, "_")...)
	if strings.HasSuffix(kx, "_anon") {
		out = append(out, "anon")
	}
	i := strings.LastIndex(rest, "_")
	cipherName, mac := rest, ""
	if i > 0 {
		cipherName, mac = rest[:i], rest[i+1:]
	}
	out = append(out, cipherName)
	switch {
	case strings.HasPrefix(cipherName, "RC4"):
		out = append(out, "RC4")
	case strings.HasPrefix(cipherName, "DES40") || cipherName == "DES_CBC":
		out = append(out, "DES")
	case cipherName == "NULL":
		out = append(out, "NULL")
	}
	if mac != "" {
		out = append(out, mac)
		if mac == "SHA" {
			out = append(out, "SHA1")
		}
	}
	return out
}
