package inspect

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// JavaView returns the trust anchors a JVM gets from its truststore with
// the type and password the resolution found, sets jt.JavaSees, and
// returns the findings when that is not what the file holds.
func JavaView(jt *JavaTrust, s *Store) ([]*x509.Certificate, []checks.Finding) {
	java := "java17"
	if strings.HasPrefix(jt.Version, "1.8") || strings.HasPrefix(jt.Version, "8") {
		java = "java8"
	}
	if m := s.TypeMismatch; m != nil {
		m.By = jt.TypeFrom
		compatOff := strings.EqualFold(jt.security["keystore.type.compat"], "false")
		fails := false
		for _, je := range m.Java {
			if je.Java == java && je.Fails {
				jt.JavaSees = "nothing: the JVM opens it as " + jt.Type + " and fails: " + je.Message
				fails = true
			}
		}
		if !fails && compatOff && (m.Actual == FormatJKS || m.Actual == FormatPKCS12) {
			msg := "java.io.IOException: Invalid keystore format"
			if m.Declared == string(FormatPKCS12) {
				msg = "java.io.IOException: " + derLengthError(s.raw)
			}
			m.Java = []JavaError{{Java: java, Fails: true, Message: msg + " (keystore.type.compat=false in " + jt.SecurityFile + ")"}}
			jt.JavaSees = "nothing: the JVM opens it as " + jt.Type + " and fails: " + m.Java[0].Message
			fails = true
		}
		if fails {
			return nil, nil // store-type-mismatch says it, with the fix
		}
		// This JVM reads either format under either type: not a problem.
		s.TypeMismatch, s.Declared = nil, ""
	}
	anchors := Anchors(s)
	if !jt.PasswordSet && s.Format == FormatPKCS12 && s.Protection != nil && !contains2(s.Protection.Certificates, "none") && len(anchors) > 0 {
		jt.JavaSees = "no certificate: without javax.net.ssl.trustStorePassword the JVM opens this PKCS#12 file with no password and cannot decrypt its certificates"
		file := s.arg()
		return nil, []checks.Finding{{ID: "java-truststore-unreadable", Severity: checks.Error,
			Title: fmt.Sprintf("the JVM reads no certificate from %s: it is a password-protected PKCS#12 file and javax.net.ssl.trustStorePassword is not set", s.File),
			Detail: "Without a password, Java's PKCS12 KeyStore skips the encrypted certificates (keytool and OpenSSL encrypt them by default): the truststore is empty and every TLS connection fails " +
				"(\"the trustAnchors parameter must be non-empty\", or \"PKIX path building failed\" when other trust managers are chained). A JKS file, or a PKCS#12 file made without certificate encryption, is read without a password.",
			Evidence: []string{fmt.Sprintf("%s: %d certificate(s), encrypted with %s", s.File, len(anchors), strings.Join(s.Protection.Certificates, ", ")), "javax.net.ssl.trustStorePassword: not set (" + jt.TrustStoreFrom + ")"},
			Clients:  []checks.ClientVerdict{{Client: "java", Fails: true, Message: JavaNoAnchors}},
			Fix: []checks.Step{
				checks.Say("Give the JVM the password:"),
				checks.Set("java", "-Djavax.net.ssl.trustStorePassword=${TRUSTSTORE_PASSWORD}"),
				checks.Say("or rewrite the truststore without certificate encryption, which Java reads with no password:"),
				checks.Cmd("keytool", "keytool -J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE -J-Dkeystore.pkcs12.macAlgorithm=NONE -importkeystore -srckeystore "+file+" -srcstoretype PKCS12"+keytoolPass(s, "-srcstorepass")+" -destkeystore truststore-nopass.p12 -deststoretype PKCS12 -deststorepass changeit"),
			}}}
	}
	if len(anchors) == 0 {
		jt.JavaSees = "no certificate: the store holds no trusted certificate entry (\"the trustAnchors parameter must be non-empty\")"
		return nil, nil
	}
	jt.JavaSees = fmt.Sprintf("%d trust anchor(s)", len(anchors))
	if !jt.PasswordSet && s.Format == FormatJKS {
		jt.JavaSees += ", read without an integrity check (no javax.net.ssl.trustStorePassword)"
	}
	return anchors, nil
}

func contains2(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// DisabledFinding reports what a JDK's java.security disables in what
// (a chain, a handshake, a trust anchor).
func DisabledFinding(jt *JavaTrust, ds []Disabled, sev checks.Severity, what string) checks.Finding {
	var ev []string
	for _, d := range ds {
		ev = append(ev, fmt.Sprintf("%s: %q disables %s", d.Property, d.Entry, d.What))
	}
	ev = append(ev, "java.security: "+jt.SecurityFile)
	f := checks.Finding{ID: "java-disabled-algorithm", Severity: sev,
		Title: fmt.Sprintf("%s uses algorithms this JDK disables (%s)", what, ds[0].What),
		Detail: "The JDK at " + jt.JavaHome + " refuses what its java.security lists in jdk.certpath.disabledAlgorithms (certificate paths) and jdk.tls.disabledAlgorithms (protocols, suites, handshake keys): " +
			"the connection fails (\"Algorithm constraints check failed\", \"No appropriate protocol\", \"Received fatal alert: handshake_failure\") even though other clients connect. " +
			"Fix the server or the certificate; re-enabling an algorithm in java.security (a copy with -Djava.security.properties) is a last resort.",
		Evidence: ev,
		Fix: []checks.Step{
			checks.Say("Replace what is disabled: reissue certificates with SHA-256 signatures and RSA 2048+/EC P-256 keys; enable TLS 1.2 or 1.3 with AEAD suites on the server."),
		},
	}
	return f
}
