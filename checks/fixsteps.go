package checks

// Fix steps that several checks share: how to reach the target again
// (openssl s_client, curl, tlsdoctor itself) and how to make a client
// trust a CA certificate. Every value from the record goes through an arg
// (fixargs.go).

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// connectArg is the host:port the probe connected to, for
// openssl s_client -connect.
func connectArg(in *Input) arg {
	t := in.Rec.Target
	return arg{hostPort(t.ConnectHost, t.ConnectPort), ValidHostName(t.ConnectHost)}
}

// sniWords are the s_client options that send the SNI the probe sent.
func sniWords(in *Input) []any {
	if sni := in.Rec.Target.SNI; sni != "" {
		return []any{"-servername", hostArg(sni)}
	}
	return []any{"-noservername"}
}

// sClient is openssl s_client against the target, with extra options
// (tlsdoctor's own words) after the connection ones.
func sClient(in *Input, extra ...any) Step {
	words := append([]any{"openssl s_client -connect", connectArg(in)}, sniWords(in)...)
	if ts := primaryStore(in); ts.Path != "" && ts.Format == "PEM" {
		words = append(words, "-CAfile", fileArg(ts.Path))
	}
	return command("openssl", append(words, extra...)...)
}

// curlWords are curl's options to reach the target where the probe did
// (--connect-to when it connected elsewhere than the name), then the URL.
func curlWords(in *Input) []any {
	t := in.Rec.Target
	var out []any
	name := in.ExpectedName()
	if t.ConnectHost != "" && (t.ConnectHost != name || t.ConnectPort != t.Port) && !strings.Contains(name, ":") {
		ch := t.ConnectHost
		if strings.Contains(ch, ":") {
			ch = "[" + ch + "]"
		}
		out = append(out, "--connect-to", arg{fmt.Sprintf("%s:%d:%s:%d", name, t.Port, ch, t.ConnectPort), ValidHostName(name) && ValidHostName(t.ConnectHost)})
	}
	return append(out, urlArg(httpsURL(in)))
}

// curlCmd is curl with leading options (tlsdoctor's words or args), then
// the CA file the user gave (unless opts name one), then how to reach the
// target.
func curlCmd(in *Input, opts ...any) Step {
	words := append([]any{"curl"}, opts...)
	if ts := primaryStore(in); ts.Path != "" && ts.Format == "PEM" && !slices.Contains(opts, any("--cacert")) {
		words = append(words, "--cacert", fileArg(ts.Path))
	}
	return command("curl", append(words, curlWords(in)...)...)
}

// rerun is the tlsdoctor command that repeats this diagnosis (target,
// where to connect, SNI, the truststores the user named), with extra
// options after it.
func rerun(in *Input, extra ...any) Step {
	t := in.Rec.Target
	words := []any{"tlsdoctor", wordArg(t.Input)}
	if t.ConnectHost != "" && (t.ConnectHost != t.Host || t.ConnectPort != t.Port) {
		words = append(words, "--connect-to", arg{hostPort(t.ConnectHost, t.ConnectPort), ValidHostName(t.ConnectHost)})
	}
	switch {
	case t.SNI == "" && !isIPName(t.Host):
		words = append(words, "--no-sni")
	case t.SNI != "" && t.SNI != t.Host:
		words = append(words, "--sni", hostArg(t.SNI))
	}
	for _, ts := range in.Env.Truststores {
		switch {
		case ts.Flag == "":
		case ts.Path != "":
			words = append(words, ts.Flag, fileArg(ts.Path))
		default:
			words = append(words, ts.Flag, wordArg(ts.Name))
		}
	}
	return command("tlsdoctor", append(words, extra...)...)
}

// keystoreFormat reports whether a truststore file is a Java keystore
// (keytool can import into it) and its -storetype.
func keystoreFormat(ts Truststore) (string, bool) {
	switch ts.Format {
	case "PKCS#12":
		return "PKCS12", true
	case "JKS":
		return "JKS", true
	case "JCEKS":
		return "JCEKS", true
	}
	return "", false
}

// primaryStore is the truststore the user's client is assumed to use.
func primaryStore(in *Input) Truststore {
	if len(in.Env.Truststores) == 0 {
		return Truststore{}
	}
	return in.Env.Truststores[0]
}

// fingerprintSteps check a saved certificate against the fingerprint
// tlsdoctor saw.
func fingerprintSteps(file, fp string) []Step {
	return []Step{
		Say("Check that " + file + " is that certificate before you trust it: the fingerprint must be SHA-256 " + fp + "."),
		Cmd("openssl", "openssl x509 -in "+file+" -noout -fingerprint -sha256"),
	}
}

// trustSteps make the failing client trust the CA certificate in file
// (PEM, made by the steps before), under alias: in the truststore the
// user gave when it is a keystore or a PEM file, else in a new one; for
// Java, Spring Boot, MuleSoft, curl and the Debian system store.
func trustSteps(in *Input, file, alias string) []Step {
	ts := primaryStore(in)
	steps := []Step{Say("Trust it in the client that fails (never by turning verification off).")}
	storeFile, storeType := "truststore.p12", "PKCS12"
	switch t, ok := keystoreFormat(ts); {
	case ts.Path != "" && ok:
		storeFile, storeType = ts.Path, t
		steps = append(steps,
			Say("Java: import it into the truststore you gave (keytool asks for its password and to confirm):"),
			command("keytool", "keytool -importcert -trustcacerts -alias", alias, "-file", file, "-keystore", fileArg(ts.Path)))
	case ts.Name == "java" && ts.Flag != "":
		storeFile = ""
		steps = append(steps,
			Say("Java: import it into the JDK's cacerts, as the JDK's owner (keytool asks for the store password, changeit unless it was changed):"),
			command("keytool", "keytool -importcert -trustcacerts -cacerts -alias", alias, "-file", file))
	default:
		steps = append(steps,
			Say("Java: import it into a truststore file of your own (keytool asks for a new password and to confirm). That file replaces the JDK's cacerts for the client, so import the other CAs the client needs too, or import into the JDK's cacerts instead (keytool -importcert -cacerts):"),
			command("keytool", "keytool -importcert -trustcacerts -alias", alias, "-file", file, "-keystore", storeFile, "-storetype", storeType))
	}
	if storeFile != "" && printableWord(storeFile) {
		steps = append(steps,
			Say("Then run the Java client with that truststore:"),
			Set("java", JVMOptionQuote("-Djavax.net.ssl.trustStore="+storeFile)+" -Djavax.net.ssl.trustStorePassword=PASSWORD"),
			Say("A Spring Boot (3.1+) client: declare it as an SSL bundle and apply the bundle to the client (for example RestTemplateBuilder.setSslBundle(sslBundles.getBundle(\"partner\"))); server.ssl.* would configure Spring's own embedded server, not its clients."),
			Set("spring", "spring.ssl.bundle.jks.partner.truststore.location=file:"+storeFile+"\n"+
				"spring.ssl.bundle.jks.partner.truststore.password=PASSWORD\n"+
				"spring.ssl.bundle.jks.partner.truststore.type="+storeType),
			Set("mulesoft", "<tls:context>\n  <tls:trust-store path=\""+storeFile+"\" type=\""+strings.ToLower(storeType)+"\" password=\"PASSWORD\"/>\n</tls:context>"))
	}
	if ts.Path != "" && ts.Format == "PEM" {
		steps = append(steps,
			Say("curl, OpenSSL and Python: add it to the CA file you gave, and use that file:"),
			command("cat", "cat", file, ">>", fileArg(ts.Path)),
			curlCmd(in, "--cacert", fileArg(ts.Path)))
	} else {
		steps = append(steps, Say("curl, OpenSSL and Python: give the file as the CA file:"), curlCmd(in, "--cacert", file))
	}
	steps = append(steps,
		Say("Debian and Ubuntu, for every program that uses the system store (as root):"),
		Cmd("cp", "cp "+file+" /usr/local/share/ca-certificates/"+alias+".crt"),
		Cmd("update-ca-certificates", "update-ca-certificates"))
	if ts.Flag != "" {
		steps = append(steps, Say("Check with the truststore you gave:"), rerun(in))
	}
	return steps
}

// portArg is a port number for a command line.
func portArg(p int) string { return strconv.Itoa(p) }
