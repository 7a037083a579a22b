package inspect

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// The key-cert-mismatch fix prints the commands that hash the two public
// keys the way its evidence does: SHA-256 of the DER SubjectPublicKeyInfo
// (openssl pkey -pubin/-pubout -outform DER | openssl dgst -sha256 -c),
// never of the PEM text, so that the user sees the evidence's hashes.

// spkiHash is the SHA-256 of pub's DER SubjectPublicKeyInfo as
// openssl dgst -sha256 -c prints it (lowercase, colon-separated). Go and
// OpenSSL encode the SPKI of RSA, EC (named curve) and Ed25519 keys the
// same way; both sides are re-encoded, so a certificate's unusual
// encoding of the same key still matches its key.
func spkiHash(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "(unknown key type)"
	}
	sum := sha256.Sum256(der)
	return strings.ToLower(colonHex(sum[:]))
}

func keySPKIHash(e *Entry) string {
	signer, ok := e.key.(crypto.Signer)
	if !ok {
		return "(unknown key type)"
	}
	return spkiHash(signer.Public())
}

// hashSPKI is the end of both pipelines: the public key, in PEM, to the
// hash of its DER form.
const hashSPKI = " | openssl pkey -pubin -outform DER | openssl dgst -sha256 -c"

// mismatchCommands are the commands that print the certificate's and the
// key's public key hashes for entry e of s, or nil where the file format
// gives no such command (a Kubernetes secret, several keys in one PEM or
// PKCS#12 file, a JKS key with its own password or of another algorithm
// than its certificate).
func mismatchCommands(s *Store, e *Entry) (cert, key []checks.Step) {
	keys := 0
	for _, o := range s.Entries {
		if o.Kind == KindPrivateKey || o.Kind == KindKey {
			keys++
		}
	}
	file := s.arg()
	switch s.Format {
	case FormatPEM:
		if keys != 1 {
			return nil, nil
		}
		// openssl reads the first certificate and the first key of the
		// file: with one key, its entry's certificate is the first one.
		pass := ""
		if e.Key.Encrypted != "" && e.Key.Encrypted != "none" {
			pass = opensslPass(s, " -passin ")
		}
		return []checks.Step{checks.Cmd("openssl", "openssl x509 -in "+file+" -noout -pubkey"+hashSPKI)},
			[]checks.Step{checks.Cmd("openssl", "openssl pkey -in "+file+pass+" -pubout -outform DER | openssl dgst -sha256 -c")}
	case FormatPKCS12:
		if keys != 1 {
			return nil, nil
		}
		pass := opensslPass(s, " -passin ")
		return []checks.Step{checks.Cmd("openssl", "openssl pkcs12 -in "+file+pass+" -nokeys -clcerts | openssl x509 -noout -pubkey"+hashSPKI)},
			[]checks.Step{checks.Cmd("openssl", "openssl pkcs12 -in "+file+pass+" -nocerts -nodes | openssl pkey -pubout -outform DER | openssl dgst -sha256 -c")}
	case FormatJKS, FormatJCEKS:
		// keytool refuses to copy a key whose algorithm is not the
		// certificate's (measured, Java 17: "private key algorithm does
		// not match algorithm of public key in end entity certificate").
		signer, ok := e.key.(crypto.Signer)
		if e.keyPasswordDiffers || !ok || fmt.Sprintf("%T", signer.Public()) != fmt.Sprintf("%T", e.Leaf().PublicKey) {
			return nil, nil
		}
		alias := checks.ShellQuote(e.Alias)
		store := " -keystore " + file + " -storetype " + string(s.Format)
		// keytool exports no private key: the entry is copied to a
		// PKCS#12 file (with the same password) that openssl reads.
		tmp := "key-check.p12"
		return []checks.Step{checks.Cmd("keytool", "keytool -exportcert -rfc -alias "+alias+store+keytoolPass(s, "-storepass")+" | openssl x509 -noout -pubkey"+hashSPKI)},
			[]checks.Step{
				checks.Cmd("keytool", "keytool -importkeystore -noprompt -srckeystore "+file+" -srcstoretype "+string(s.Format)+" -srcalias "+alias+keytoolPass(s, "-srcstorepass")+
					" -destkeystore "+tmp+" -deststoretype PKCS12"+keytoolPass(s, "-deststorepass")),
				checks.Cmd("openssl", "openssl pkcs12 -in "+tmp+opensslPass(s, " -passin ")+" -nocerts -nodes | openssl pkey -pubout -outform DER | openssl dgst -sha256 -c"),
				checks.Cmd("sh", "rm "+tmp),
			}
	}
	return nil, nil
}

// opensslPass is the -passin (or -passout) option that gives openssl the
// password the store was opened with, as the user gave it: a file, an
// environment variable, or Java's default changeit; empty (openssl asks)
// for a password typed on the command line.
func opensslPass(s *Store, opt string) string {
	p := s.opened
	switch {
	case p.File != "":
		return opt + checks.ShellQuote("file:"+p.File)
	case p.Env != "":
		return opt + "env:" + p.Env
	case s.storePassword != nil && (*s.storePassword == "changeit" || *s.storePassword == "") && !p.Set:
		return opt + "pass:" + *s.storePassword
	}
	return ""
}
