package checks

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
)

// compromised-root: a truststore trusts a root whose private key is
// public. Anyone can issue a certificate for any name that chains to it,
// so a client trusting it can be intercepted silently. Matched by key
// (SHA-256 of the SubjectPublicKeyInfo), so that every certificate for a
// published key is recognised, however it was re-issued.

// compromisedKey is one published root key.
type compromisedKey struct {
	Name string
	// SPKISHA256 is the SHA-256 of the DER SubjectPublicKeyInfo, hex.
	SPKISHA256 string
	// CertSHA256 is the fingerprint of the certificate that shipped it.
	CertSHA256 string
	What       string
	Sources    []string
}

// compromisedKeys are the roots installed by software with a private key
// that was extracted and published. The key hashes were computed from the
// certificates and keys published at badssl.com (certs/foreign in
// github.com/chromium/badssl.com), which serves test sites signed by them.
var compromisedKeys = []compromisedKey{
	{
		Name:       "Superfish, Inc.",
		SPKISHA256: "4bb8f35ba1e126f8dde1b0c420625ed86dce61a7bddadbdea9aba578ff13145e",
		CertSHA256: "B6:FE:91:51:40:2B:AD:1C:06:D7:E6:6D:B6:7A:26:AA:73:56:F2:E6:C6:44:DB:CF:9F:98:96:8F:F6:32:E1:B7",
		What:       "installed by the Superfish VisualDiscovery adware preloaded on Lenovo laptops (2014-2015), with the same private key on every machine; the key was extracted and published in February 2015",
		Sources:    []string{"https://www.cisa.gov/news-events/alerts/2015/02/20/lenovo-superfish-adware-vulnerable-https-spoofing (US-CERT TA15-051A)", "https://github.com/chromium/badssl.com/tree/master/certs/foreign (superfish.crt, superfish.key)"},
	},
	{
		Name:       "eDellRoot",
		SPKISHA256: "cdee9f3305572a677e1a6c82dc1e02a35b11cae6a684338c9f37fe1ac8daec23",
		What:       "installed by Dell Foundation Services on Dell computers (2015) with its private key on the machine; the key was published in November 2015",
		Sources:    []string{"https://github.com/chromium/badssl.com/tree/master/certs/foreign (eDellRoot.key)", "https://edellroot.badssl.com/"},
	},
	{
		Name:       "DSDTestProvider",
		SPKISHA256: "130ad4e0633521290531b6651f5759b0bc7bc656709ff8f365c2143b0389b6f6",
		CertSHA256: "0F:91:2F:D7:BE:76:0B:E2:5A:FB:C5:6B:DC:09:CD:9E:5D:CC:9C:6F:6A:55:A7:78:AE:FC:B6:AA:30:E3:15:54",
		What:       "installed by Dell System Detect (2015) with its private key on the machine; the key was published in November 2015",
		Sources:    []string{"https://github.com/chromium/badssl.com/tree/master/certs/foreign (DSDTestProvider.crt)", "https://dsdtestprovider.badssl.com/"},
	},
}

// compromisedKeyOf returns the published key c carries, or nil.
func compromisedKeyOf(c *x509.Certificate) *compromisedKey {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	h := hex.EncodeToString(sum[:])
	for i := range compromisedKeys {
		if compromisedKeys[i].SPKISHA256 == h {
			return &compromisedKeys[i]
		}
	}
	return nil
}

func compromisedRoot(in *Input) []Finding {
	var out []Finding
	tr := in.Trust(0)
	for si, ts := range in.Env.Truststores {
		for _, c := range ts.Certs {
			k := compromisedKeyOf(c)
			if k == nil {
				continue
			}
			f := Finding{
				Title:  fmt.Sprintf("%s trusts %q, a root whose private key is public", ts.Name, Name(c)),
				Detail: fmt.Sprintf("%q was %s. Anyone can issue a certificate for any site that chains to it, so every client using %s can be intercepted without a warning. Remove it from the store; nothing legitimate needs it.", Name(c), k.What, ts.Name),
				Evidence: []string{
					fmt.Sprintf("in %s: %s", ts.Name, Describe(c)),
					"published key: SPKI SHA-256 " + strings.ToUpper(k.SPKISHA256),
				},
				Fix: removeFromStore(ts, c),
			}
			for _, s := range k.Sources {
				f.Evidence = append(f.Evidence, "source: "+s)
			}
			if si == 0 && tr != nil && tr.Anchor != nil && tr.Anchor.Equal(c) {
				f.Title = fmt.Sprintf("the server's chain leads to %q, a root whose private key is public: this connection can be (and probably is) intercepted", Name(c))
				f.Detail = fmt.Sprintf("The path to the server's certificate ends at %q in %s. That root was %s, so the certificate was most likely minted by an interception proxy or malware on this machine or network, not by the site's CA. ", Name(c), ts.Name, k.What) + f.Detail
			}
			if ts.Source != "" {
				f.Evidence = append(f.Evidence, "store: "+ts.Source)
			}
			out = append(out, f)
		}
	}
	return out
}

// removeFromStore is how to delete c from the store it was loaded from:
// keytool for Java keystores, the Debian certificate directories for the
// system store, an awk/openssl filter for a PEM bundle.
func removeFromStore(ts Truststore, c *x509.Certificate) []Step {
	fp := Fingerprint(c)
	// The password comes from the variable tlsdoctor itself reads, so that
	// the command can be pasted as printed and no password is printed.
	pw := " -storepass:env TLSDOCTOR_TRUSTSTORE_PASSWORD"
	keytoolAlias := func(where string) string {
		return "keytool -delete " + where + pw + " -alias \"$(keytool -list " + where + pw + " | grep -B1 " + ShellQuote(fp) + " | head -n1 | cut -d, -f1)\""
	}
	switch {
	case ts.Name == "java":
		where := "-cacerts"
		if ts.Path != "" {
			where = "-keystore " + ShellQuote(ts.Path)
		}
		return []Step{
			Say("Delete it from the JDK's cacerts, with the store password in TLSDOCTOR_TRUSTSTORE_PASSWORD (Java's default is changeit; writing the JDK's file needs root):"),
			Cmd("keytool", keytoolAlias(where)),
		}
	case ts.Name == "system":
		return []Step{
			Say("Find the file it was installed from and remove it, then rebuild the system bundle (Debian, Ubuntu):"),
			Cmd("sh", "for f in /usr/local/share/ca-certificates/*.crt /usr/share/ca-certificates/*/*.crt; do openssl x509 -in \"$f\" -noout -fingerprint -sha256 2>/dev/null | grep -q "+ShellQuote(fp)+" && sudo rm -v \"$f\"; done; sudo update-ca-certificates --fresh"),
			Say("On RHEL and Fedora the sources are in /etc/pki/ca-trust/source/anchors (then run update-ca-trust); on Windows and macOS, remove it in certmgr.msc or Keychain Access."),
		}
	case ts.Format == "JKS" || ts.Format == "PKCS#12":
		return []Step{
			Say("Delete it from the keystore, with the store password in TLSDOCTOR_TRUSTSTORE_PASSWORD:"),
			Cmd("keytool", keytoolAlias("-keystore "+ShellQuote(ts.Path))),
		}
	case ts.Format == "PEM" && ts.Path != "":
		clean := ts.Path + ".clean"
		return []Step{
			Say("Write the bundle without it to " + clean + ", check it, then replace the original:"),
			Cmd("sh", "awk '/-----BEGIN CERTIFICATE-----/{n++; f=sprintf(\"tlsdoctor-split-%04d.pem\", n)} n{print > f} /-----END CERTIFICATE-----/{close(f)}' "+ShellQuote(ts.Path)+
				" && for c in tlsdoctor-split-*.pem; do openssl x509 -in \"$c\" -noout -fingerprint -sha256 | grep -q "+ShellQuote(fp)+" || cat \"$c\"; done > "+ShellQuote(clean)+" && rm -f tlsdoctor-split-*.pem"),
		}
	case ts.Format == "DER" && ts.Path != "":
		return []Step{Say("The file holds only this certificate: delete it and stop passing it as a truststore."), Cmd("sh", "rm -v "+ShellQuote(ts.Path))}
	}
	return []Step{Say(fmt.Sprintf("Remove the certificate with SHA-256 fingerprint %s from %s.", fp, ts.Name))}
}
