package checks

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// What makes a fetched CRL usable for one certificate beyond its issuer,
// signature and dates (RFC 5280 5.2, 5.3 and 6.3.3; PKITS 4.4 and 4.14),
// as OpenSSL 3.0 with -crl_check applies it (x509_vfy.c get_crl_score,
// crl_crldp_check; x_crl.c) and Java's PKIX revocation checker:
//   - the issuer's keyUsage must allow cRLSign;
//   - a critical CRL extension other than authorityKeyIdentifier,
//     issuingDistributionPoint and deltaCRLIndicator, or a critical entry
//     extension other than certificateIssuer (on any entry), makes the
//     whole CRL unusable;
//   - a delta CRL is not a complete CRL: tlsdoctor does not apply deltas;
//   - issuingDistributionPoint limits its scope: only end-entity or only
//     CA certificates, only attribute certificates, some reasons only, an
//     indirect CRL (OpenSSL needs extended CRL support for the last two),
//     and a distribution point name that must be one the certificate
//     names.
// A CRL that fails one of these says nothing about the certificate:
// "invalid" (unknown status), never good.

var (
	oidCRLAuthorityKeyID = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidCRLNumber         = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidIssuingDistPoint  = asn1.ObjectIdentifier{2, 5, 29, 28}
	oidCertificateIssuer = asn1.ObjectIdentifier{2, 5, 29, 29}
)

var crlExtensionNames = map[string]string{
	"2.5.29.35": "authorityKeyIdentifier", "2.5.29.20": "cRLNumber", "2.5.29.27": "deltaCRLIndicator",
	"2.5.29.28": "issuingDistributionPoint", "2.5.29.46": "freshestCRL", "2.5.29.29": "certificateIssuer",
	"2.5.29.21": "reasonCode", "2.5.29.24": "invalidityDate", "2.5.29.23": "holdInstructionCode",
}

func crlExtName(oid string) string {
	if n, ok := crlExtensionNames[oid]; ok {
		return oid + " (" + n + ")"
	}
	return oid
}

// crlFacts are what the scope rules read of a CRL: its extensions and
// the critical extensions of its entries.
type crlFacts struct {
	Extensions []pkix.Extension
	// CriticalEntryExts are the OIDs of critical entry extensions other
	// than certificateIssuer, once each.
	CriticalEntryExts []string
	// CertificateIssuer is set when an entry names another certificate
	// issuer (an indirect CRL's entries).
	CertificateIssuer bool
}

// maxCRLFactOIDs bounds the entry extension OIDs kept.
const maxCRLFactOIDs = 16

func factsOf(rl *x509.RevocationList) crlFacts {
	f := crlFacts{Extensions: rl.Extensions}
	seen := map[string]bool{}
	for _, e := range rl.RevokedCertificateEntries {
		for _, x := range e.Extensions {
			switch {
			case x.Id.Equal(oidCertificateIssuer):
				f.CertificateIssuer = true
			case x.Critical && !seen[x.Id.String()] && len(f.CriticalEntryExts) < maxCRLFactOIDs:
				seen[x.Id.String()] = true
				f.CriticalEntryExts = append(f.CriticalEntryExts, x.Id.String())
			}
		}
	}
	return f
}

func factsOfSummary(s *probe.CRLSummary) crlFacts {
	f := crlFacts{CriticalEntryExts: s.CriticalEntryExtensions, CertificateIssuer: s.CertificateIssuerEntries}
	for _, e := range s.Extensions {
		var oid asn1.ObjectIdentifier
		for _, part := range strings.Split(e.OID, ".") {
			var n int
			if _, err := fmt.Sscanf(part, "%d", &n); err != nil {
				oid = nil
				break
			}
			oid = append(oid, n)
		}
		f.Extensions = append(f.Extensions, pkix.Extension{Id: oid, Critical: e.Critical, Value: e.Value})
	}
	return f
}

// OpenSSL's errors for the CRLs below, measured with openssl verify
// -crl_check (-crl_check_all for an intermediate), OpenSSL 3.0 (see
// TestCRLRulesOpenSSL); s_client prints them as "Verification error: ...".
const (
	opensslCRLKeyUsage = "key usage does not include CRL signing (verify error:num=35)"
	opensslCRLCritical = "unhandled critical CRL extension (verify error:num=36)"
	opensslCRLScope    = "different CRL scope (verify error:num=44)"
	opensslCRLNone     = "unable to get certificate CRL (verify error:num=3)"
	opensslCRLFuture   = "CRL is not yet valid (verify error:num=11)"
	opensslCRLExpired  = "CRL has expired (verify error:num=12)"
)

// crlIssuerProblem is why issuer may not sign CRLs ("" when it may), and
// OpenSSL's error.
func crlIssuerProblem(issuer *x509.Certificate) (problem, openssl string) {
	switch {
	case issuer.BasicConstraintsValid && !issuer.IsCA:
		return fmt.Sprintf("its signer %q is not a CA certificate (basicConstraints CA:FALSE), so it may not sign CRLs", Name(issuer)), ""
	case issuer.KeyUsage != 0 && issuer.KeyUsage&x509.KeyUsageCRLSign == 0:
		return fmt.Sprintf("the issuer %q may not sign CRLs: its keyUsage lacks cRLSign, so verifiers refuse its CRL", Name(issuer)), opensslCRLKeyUsage
	}
	return "", ""
}

// crlScopeProblem is why a correctly signed, current CRL cannot say
// whether cert is revoked ("" when it can), and OpenSSL's error ("" when
// OpenSSL uses it anyway or was not measured).
func crlScopeProblem(f crlFacts, cert *x509.Certificate) (problem, openssl string) {
	var idp *issuingDP
	for _, e := range f.Extensions {
		switch {
		case e.Id.Equal(oidDeltaCRLIndicator):
			return "it is a delta CRL (deltaCRLIndicator): it lists only the changes since a base CRL, and tlsdoctor does not fetch or apply base CRLs, so it cannot say the certificate is not revoked (OpenSSL -crl_check uses it as if it were complete: measured)", ""
		case e.Id.Equal(oidIssuingDistPoint):
			p, ok := parseIssuingDP(e.Value)
			if !ok {
				return "its issuingDistributionPoint extension does not parse, so its scope is unknown", ""
			}
			idp = &p
		case e.Critical && !e.Id.Equal(oidCRLAuthorityKeyID) && !e.Id.Equal(oidCRLNumber):
			return fmt.Sprintf("it carries the critical extension %s, which verifiers do not implement: a CRL with a critical extension the verifier cannot process must not be used, not even for the certificates it lists (RFC 5280 5.2)", crlExtName(e.Id.String())), opensslCRLCritical
		}
	}
	if len(f.CriticalEntryExts) > 0 {
		var names []string
		for _, o := range f.CriticalEntryExts {
			names = append(names, crlExtName(o))
		}
		return fmt.Sprintf("entries of it carry the critical extension %s: OpenSSL refuses a whole CRL with any critical entry extension but certificateIssuer, and RFC 5280 5.3 forbids using a CRL with one the verifier cannot process", strings.Join(names, ", ")), opensslCRLCritical
	}
	if idp == nil {
		if f.CertificateIssuer {
			return "its entries name other certificate issuers (certificateIssuer), as only an indirect CRL may; tlsdoctor does not attribute indirect CRL entries", ""
		}
		return "", ""
	}
	isCA := cert.BasicConstraintsValid && cert.IsCA
	switch {
	case idp.OnlyAttr:
		return "its issuingDistributionPoint says it covers only attribute certificates (onlyContainsAttributeCerts), not this certificate", opensslCRLScope
	case idp.OnlyUser && isCA:
		return "its issuingDistributionPoint says it covers only end-entity certificates (onlyContainsUserCerts), and this is a CA certificate: its revocation is on another CRL", opensslCRLScope
	case idp.OnlyCA && !isCA:
		return "its issuingDistributionPoint says it covers only CA certificates (onlyContainsCACerts), and this is an end-entity certificate: its revocation is on another CRL", opensslCRLScope
	case idp.Indirect || f.CertificateIssuer:
		return "it is an indirect CRL (issuingDistributionPoint indirectCRL): tlsdoctor does not attribute its entries to their issuers, and OpenSSL uses one only with extended CRL support", opensslCRLNone
	case idp.SomeReasons:
		return "its issuingDistributionPoint limits it to some revocation reasons (onlySomeReasons): a certificate revoked for another reason is on another CRL, and OpenSSL uses one only with extended CRL support", opensslCRLNone
	}
	if idp.HasDP {
		for _, u := range idp.URIs {
			for _, c := range cert.CRLDistributionPoints {
				if u == c {
					return "", ""
				}
			}
		}
		names := "names that are not URLs"
		if len(idp.URIs) > 0 {
			names = strings.Join(idp.URIs, ", ")
		}
		return fmt.Sprintf("its issuingDistributionPoint names the distribution point %s, which is none of the certificate's CRL distribution points (%s): it is the CRL of another partition, and the certificate's own may list it", names, strings.Join(cert.CRLDistributionPoints, ", ")), opensslCRLScope
	}
	return "", ""
}

// issuingDP is the issuingDistributionPoint extension (RFC 5280 5.2.5).
type issuingDP struct {
	HasDP                                bool
	URIs                                 []string
	OnlyUser, OnlyCA, OnlyAttr, Indirect bool
	SomeReasons                          bool
}

// maxIDPNames bounds the names read from an issuingDistributionPoint.
const maxIDPNames = 16

func parseIssuingDP(der []byte) (issuingDP, bool) {
	var p issuingDP
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return p, false
	}
	var dp cryptobyte.String
	if !seq.ReadOptionalASN1(&dp, &p.HasDP, cbasn1.Tag(0).ContextSpecific().Constructed()) {
		return p, false
	}
	if p.HasDP {
		var names cryptobyte.String
		var tag cbasn1.Tag
		if !dp.ReadAnyASN1(&names, &tag) {
			return p, false
		}
		if tag == cbasn1.Tag(0).ContextSpecific().Constructed() { // fullName
			for !names.Empty() {
				var gn cryptobyte.String
				var gtag cbasn1.Tag
				if !names.ReadAnyASN1(&gn, &gtag) {
					return p, false
				}
				if gtag == cbasn1.Tag(6).ContextSpecific() && len(p.URIs) < maxIDPNames {
					p.URIs = append(p.URIs, string(gn))
				}
			}
		}
	}
	flags := []*bool{&p.OnlyUser, &p.OnlyCA, nil, &p.Indirect, &p.OnlyAttr}
	for i, out := range flags {
		tag := cbasn1.Tag(i + 1).ContextSpecific()
		var v cryptobyte.String
		var present bool
		if !seq.ReadOptionalASN1(&v, &present, tag) {
			return p, false
		}
		switch {
		case !present:
		case out == nil:
			p.SomeReasons = true
		case len(v) != 1:
			return p, false
		default:
			*out = v[0] != 0
		}
	}
	return p, seq.Empty()
}
