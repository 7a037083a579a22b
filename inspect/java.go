package inspect

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
)

// The truststore a JVM reads is decided, in order, by the system property
// javax.net.ssl.trustStore (the last of JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS,
// the command line and _JAVA_OPTIONS wins: measured with Java 17), else ${java.home}/lib/security/jssecacerts when it
// exists, else .../cacerts (sun.security.ssl.TrustStoreManager). Its type
// is javax.net.ssl.trustStoreType, else java.security's keystore.type;
// its password javax.net.ssl.trustStorePassword, else none (a JKS file
// is then read without its integrity check, a PKCS#12 one sees only its
// unencrypted certificates: usually none).

// JavaOptions say which JVM to resolve.
type JavaOptions struct {
	// JavaHome is --java-home; empty: JAVA_HOME, then java on PATH.
	JavaHome string
	// JVMOptions is --jvm-options, the options the application's java
	// command line carries.
	JVMOptions string
	Getenv     func(string) string
	LookPath   func(string) (string, error)
	// Dir resolves relative trustStore paths (the JVM's working
	// directory); empty: the current directory.
	Dir string
}

// Prop is one system property as the JVM would see it.
type Prop struct {
	Name  string `json:"name"`
	Value string `json:"value"` // "(set, not shown)" for passwords
	From  string `json:"from"`
}

// JavaTrust is the resolution: which file, which type, which password,
// and what that JDK's java.security disables.
type JavaTrust struct {
	JavaHome     string `json:"java_home"`
	JavaHomeFrom string `json:"java_home_from"`
	Version      string `json:"version,omitempty"`
	// Properties are the javax.net.ssl.* and java.security.* properties
	// found, with where each came from.
	Properties []Prop `json:"properties,omitempty"`
	// TrustStore is the file the JVM reads ("NONE" for none) and From
	// why that one.
	TrustStore     string   `json:"truststore"`
	TrustStoreFrom string   `json:"truststore_from"`
	Tried          []string `json:"tried,omitempty"`
	// Type is the KeyStore type the JVM asks for and TypeFrom why.
	Type     string `json:"type"`
	TypeFrom string `json:"type_from"`
	// PasswordSet is whether javax.net.ssl.trustStorePassword is set
	// (its value is never shown).
	PasswordSet  bool   `json:"password_set"`
	PasswordFrom string `json:"password_from,omitempty"`
	SecurityFile string `json:"java_security"`
	// SecurityExtra is the java.security.properties file appended (or,
	// with "==", substituted).
	SecurityExtra string `json:"java_security_extra,omitempty"`
	// TLSDisabled and CertPathDisabled are jdk.tls.disabledAlgorithms
	// and jdk.certpath.disabledAlgorithms, includes expanded.
	TLSDisabled      []string `json:"tls_disabled_algorithms"`
	CertPathDisabled []string `json:"certpath_disabled_algorithms"`
	// JavaSees says what the JVM gets from the file with this type and
	// password (for example no certificate at all).
	JavaSees string `json:"java_sees,omitempty"`
	// Password is the truststore password (for reading the file); never
	// serialised.
	Password Password `json:"-"`
	// Cacerts is the JDK's own cacerts (for the jdkCA constraint).
	Cacerts string `json:"cacerts,omitempty"`

	security map[string]string
}

// ResolveJava resolves the JVM truststore without reading it.
func ResolveJava(o JavaOptions) (*JavaTrust, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	jt := &JavaTrust{}
	props := map[string]Prop{}
	var order []string
	for _, src := range []struct{ from, val string }{
		{"JAVA_TOOL_OPTIONS", getenv("JAVA_TOOL_OPTIONS")},
		{"JDK_JAVA_OPTIONS", getenv("JDK_JAVA_OPTIONS")},
		{"--jvm-options", o.JVMOptions},
		// _JAVA_OPTIONS is read last by the JVM and beats the command line.
		{"_JAVA_OPTIONS", getenv("_JAVA_OPTIONS")},
	} {
		words, err := splitWords(src.val)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", src.from, err)
		}
		for _, w := range words {
			if !strings.HasPrefix(w, "-D") {
				continue
			}
			k, v, _ := strings.Cut(w[2:], "=")
			if _, ok := props[k]; !ok {
				order = append(order, k)
			}
			props[k] = Prop{Name: k, Value: v, From: src.from}
		}
	}
	for _, k := range order {
		p := props[k]
		if strings.HasPrefix(k, "javax.net.ssl.") || strings.HasPrefix(k, "java.security") || k == "java.home" {
			if strings.Contains(strings.ToLower(k), "password") {
				p.Value = "(set, not shown)"
			}
			jt.Properties = append(jt.Properties, p)
		}
	}
	// java.home
	switch {
	case o.JavaHome != "":
		jt.JavaHome, jt.JavaHomeFrom = o.JavaHome, "--java-home"
	case getenv("JAVA_HOME") != "":
		jt.JavaHome, jt.JavaHomeFrom = getenv("JAVA_HOME"), "JAVA_HOME"
	case o.LookPath != nil:
		j, err := o.LookPath("java")
		if err != nil {
			return nil, errors.New("no JDK found: give --java-home DIR (or set JAVA_HOME, or put java on PATH)")
		}
		real, err := filepath.EvalSymlinks(j)
		if err != nil {
			real = j
		}
		jt.JavaHome, jt.JavaHomeFrom = filepath.Dir(filepath.Dir(real)), "java on PATH ("+j+")"
	default:
		return nil, errors.New("no JDK found: give --java-home DIR")
	}
	if st, err := os.Stat(jt.JavaHome); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("java home %s (%s) is not a directory", jt.JavaHome, jt.JavaHomeFrom)
	}
	// A JDK 8 keeps its runtime in jre/.
	home := jt.JavaHome
	if st, err := os.Stat(filepath.Join(home, "jre", "lib", "security")); err == nil && st.IsDir() {
		home = filepath.Join(home, "jre")
	}
	jt.Version = releaseVersion(jt.JavaHome)
	// java.security
	for _, p := range []string{filepath.Join(home, "conf", "security", "java.security"), filepath.Join(home, "lib", "security", "java.security")} {
		if _, err := os.Stat(p); err == nil {
			jt.SecurityFile = p
			break
		}
	}
	if jt.SecurityFile == "" {
		return nil, fmt.Errorf("%s has no conf/security/java.security or lib/security/java.security: is it a JDK?", jt.JavaHome)
	}
	sec, err := readProperties(jt.SecurityFile)
	if err != nil {
		return nil, err
	}
	if extra, ok := props["java.security.properties"]; ok && !strings.EqualFold(sec["security.overridePropertiesFile"], "false") {
		file := extra.Value
		replace := strings.HasPrefix(file, "=")
		file = strings.TrimPrefix(file, "=")
		jt.SecurityExtra = file
		more, err := readProperties(resolve(o.Dir, file))
		if err != nil {
			return nil, fmt.Errorf("-Djava.security.properties (%s): %v", extra.From, err)
		}
		if replace {
			sec = map[string]string{}
		}
		for k, v := range more {
			sec[k] = v
		}
	}
	jt.security = sec
	jt.TLSDisabled = expandDisabled(sec, "jdk.tls.disabledAlgorithms")
	jt.CertPathDisabled = expandDisabled(sec, "jdk.certpath.disabledAlgorithms")
	jt.Cacerts = filepath.Join(home, "lib", "security", "cacerts")
	// The truststore file.
	if p, ok := props["javax.net.ssl.trustStore"]; ok {
		jt.TrustStore, jt.TrustStoreFrom = p.Value, "javax.net.ssl.trustStore (from "+p.From+")"
		if p.Value != "NONE" {
			jt.TrustStore = resolve(o.Dir, p.Value)
		}
	} else {
		for _, n := range []string{"jssecacerts", "cacerts"} {
			f := filepath.Join(home, "lib", "security", n)
			jt.Tried = append(jt.Tried, f)
			if st, err := os.Stat(f); err == nil && !st.IsDir() {
				jt.TrustStore, jt.TrustStoreFrom = f, "the JDK's "+n+" (no javax.net.ssl.trustStore)"
				if n == "cacerts" {
					jt.TrustStoreFrom += "; jssecacerts, which would win, does not exist"
				} else {
					jt.TrustStoreFrom += "; it wins over cacerts"
				}
				break
			}
		}
		if jt.TrustStore == "" {
			return nil, fmt.Errorf("%s has neither lib/security/jssecacerts nor lib/security/cacerts", home)
		}
	}
	// Type.
	if p, ok := props["javax.net.ssl.trustStoreType"]; ok {
		jt.Type, jt.TypeFrom = p.Value, "javax.net.ssl.trustStoreType (from "+p.From+")"
	} else if t := sec["keystore.type"]; t != "" {
		jt.Type, jt.TypeFrom = t, "keystore.type in "+jt.SecurityFile
	} else {
		jt.Type, jt.TypeFrom = "jks", "Java's built-in default (keystore.type unset)"
	}
	if p, ok := props["javax.net.ssl.trustStorePassword"]; ok {
		jt.PasswordSet, jt.PasswordFrom = true, "javax.net.ssl.trustStorePassword (from "+p.From+")"
		jt.Password = Password{Value: p.Value, Set: true, Source: jt.PasswordFrom}
	}
	return jt, nil
}

// Default reports whether the JVM reads the JDK's own cacerts or
// jssecacerts (no javax.net.ssl.trustStore).
func (jt *JavaTrust) Default() bool { return strings.HasPrefix(jt.TrustStoreFrom, "the JDK's") }

func resolve(dir, p string) string {
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

func releaseVersion(home string) string {
	data, err := inputfile.Read(filepath.Join(home, "release"), inputfile.MaxPasswordFile)
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "JAVA_VERSION="); ok {
			return strings.Trim(v, "\" \r")
		}
	}
	return ""
}

// readProperties reads a java.util.Properties file: key=value or key:
// value or key value, # and ! comments, backslash line continuations.
func readProperties(path string) (map[string]string, error) {
	data, err := inputfile.Read(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	return parseProperties(data), nil
}

func parseProperties(data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var logical strings.Builder
	flush := func() {
		l := strings.TrimSpace(logical.String())
		logical.Reset()
		if l == "" || l[0] == '#' || l[0] == '!' {
			return
		}
		i := strings.IndexAny(l, "=: \t")
		if i < 0 {
			out[l] = ""
			return
		}
		k, v := l[:i], strings.TrimLeft(l[i:], " \t")
		if len(v) > 0 && (v[0] == '=' || v[0] == ':') {
			v = strings.TrimLeft(v[1:], " \t")
		}
		out[k] = v
	}
	for sc.Scan() {
		line := sc.Text()
		if logical.Len() == 0 {
			if t := strings.TrimSpace(line); t != "" && (t[0] == '#' || t[0] == '!') {
				continue
			}
		}
		trimmed := strings.TrimRight(line, " \t\r")
		if n := len(trimmed) - len(strings.TrimRight(trimmed, `\`)); n%2 == 1 {
			logical.WriteString(strings.TrimLeft(trimmed[:len(trimmed)-1], " \t"))
			continue
		}
		logical.WriteString(strings.TrimLeft(line, " \t"))
		flush()
	}
	flush()
	return out
}

// expandDisabled splits a disabledAlgorithms property into its entries,
// expanding "include OTHER.PROPERTY".
func expandDisabled(sec map[string]string, key string) []string {
	var out []string
	var walk func(k string, depth int)
	walk = func(k string, depth int) {
		if depth > 4 {
			return
		}
		for _, e := range strings.Split(sec[k], ",") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			if inc, ok := strings.CutPrefix(e, "include "); ok {
				walk(strings.TrimSpace(inc), depth+1)
				continue
			}
			out = append(out, e)
		}
	}
	walk(key, 0)
	return out
}

// splitWords splits a JVM options string as the JVM splits
// JAVA_TOOL_OPTIONS and _JAVA_OPTIONS (hotspot's parse_options_buffer)
// and the launcher JDK_JAVA_OPTIONS: white space (isspace) separates
// words, a single or double quote groups up to the same quote (the other
// quote is a plain character: "/opt/it's/trust.jks" is one path), and
// there is no backslash escape. An unmatched quote is an error, as it is
// for the JVM, which then does not start (measured, Java 17: "Unmatched
// quote in JAVA_TOOL_OPTIONS").
func splitWords(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unmatched %c quote (the JVM does not start on one: \"Unmatched quote in ...\"); quote a value holding %c with the other quote", quote, quote)
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}
