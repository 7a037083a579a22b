package cli

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/inspect"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// javaTrust resolves the JVM's truststore, inspects it, judges it with
// that JDK's disabled algorithms and, with --for, probes the host live
// with exactly that store. It returns the live probe's exit code.
func (o *inspectOptions) javaTrust(ctx context.Context, r *inspect.Report, j inspect.Judge, env Env) (int, error) {
	jt, err := inspect.ResolveJava(inspect.JavaOptions{JavaHome: o.javaHome, JVMOptions: o.jvmOptions, Getenv: env.Getenv, LookPath: exec.LookPath})
	if err != nil {
		hint := "give the JDK your application runs on: --java-home /usr/lib/jvm/java-17-openjdk-amd64"
		if strings.Contains(err.Error(), "quote") {
			hint = `--jvm-options takes the options as JAVA_TOOL_OPTIONS does: --jvm-options "-Djavax.net.ssl.trustStore=\"/opt/it's/trust.jks\""`
		}
		return 0, &usageError{msg: "--java: " + err.Error(), hint: hint}
	}
	r.Java = jt
	if jt.TrustStore == "NONE" {
		jt.JavaSees = "no truststore at all (javax.net.ssl.trustStore=NONE): only a PKCS#11 token or the application's own TrustManager can trust anything"
		return ExitOK, nil
	}
	pw := jt.Password
	if !pw.Set {
		// The JVM reads it without a password; tlsdoctor lists it with the
		// password given for it, else the usual defaults.
		if pw, err = o.tsPassword.resolve(env); err != nil {
			return 0, err
		}
	}
	s, err := readStore(jt.TrustStore, inspect.Options{Name: jt.TrustStore, Password: pw, Type: jt.Type}, env)
	if err != nil {
		return 0, err
	}
	seen, fs := inspect.JavaView(jt, s)
	inspect.DescribeStore(s, j.Now)
	r.Stores = append(r.Stores, s)
	for _, f := range inspect.Findings(s, j) {
		if f.ID == "truststore-ca-expired" && jt.Default() {
			f.Severity = checks.Info // the JDK's (or distribution's) own store: updated with the JDK
		}
		r.Findings = append(r.Findings, f)
	}
	r.Findings = append(r.Findings, fs...)
	cacerts := jdkRoots(jt)
	for _, a := range seen {
		if ds := jt.JudgeChain([]*x509.Certificate{a}, "TLSServer", isIn(cacerts, a), j.Now); len(ds) > 0 {
			r.Findings = append(r.Findings, inspect.DisabledFinding(jt, ds, checks.Warning, fmt.Sprintf("the trust anchor %q in %s", checks.Name(a), s.File)))
		}
	}
	if o.forHost == "" {
		return ExitOK, nil
	}
	store := checks.NewTruststore("java ("+jt.TrustStore+")", seen)
	store.Source = jt.TrustStore
	var rec *probe.Record
	hook := probeHook{
		stores: func(Env) ([]checks.Truststore, []probe.RecordedTruststore, error) {
			rt := probe.RecordedTruststore{Name: store.Name}
			for _, c := range seen {
				rt.Certificates = append(rt.Certificates, probe.Certificate{DER: c.Raw})
			}
			return []checks.Truststore{store}, []probe.RecordedTruststore{rt}, nil
		},
		record: func(pr *probe.Record, _ []checks.Truststore) { rec = pr },
	}
	args := []string{o.forHost, "--timeout", o.timeout.String(), "--format", o.out.format, "--color", o.out.color, "--fail-on", o.out.failOn}
	if o.out.verbose {
		args = append(args, "-v")
	}
	var buf bytes.Buffer
	sub := env
	sub.Stdout = &buf
	code, err := runProbeWith(ctx, args, sub, hook)
	if err != nil {
		return 0, err
	}
	if o.out.format == "json" {
		r.Live = json.RawMessage(bytes.TrimSpace(buf.Bytes()))
	} else {
		r.Live = buf.Bytes()
	}
	if rec != nil {
		in := checks.NewInput(rec, checks.Env{Now: j.Now, Truststores: []checks.Truststore{store}})
		if tr := in.Trust(0); tr != nil {
			jdkCA := tr.Anchor != nil && isIn(cacerts, tr.Anchor)
			if ds := jt.JudgeChain(tr.Path, "TLSServer", jdkCA, j.Now); len(ds) > 0 {
				r.Findings = append(r.Findings, inspect.DisabledFinding(jt, ds, checks.Error, "the chain "+o.forHost+" presents"))
			}
		}
		if a := rec.Primary(); a != nil && a.Version != "" {
			if ds := jt.JudgeHandshake(a.Version, a.CipherSuite); len(ds) > 0 {
				r.Findings = append(r.Findings, inspect.DisabledFinding(jt, ds, checks.Error, "the handshake "+o.forHost+" negotiated"))
			}
		}
	}
	return code, nil
}

// jdkRoots are the JDK's own cacerts, for the jdkCA constraint (a path
// anchored at a root the JDK ships). Unreadable: none.
func jdkRoots(jt *inspect.JavaTrust) []*x509.Certificate {
	data, err := inspect.ReadFile(jt.Cacerts, nil)
	if err != nil {
		return nil
	}
	s, err := inspect.Read(data, inspect.Options{Name: jt.Cacerts})
	if err != nil {
		return nil
	}
	return inspect.Anchors(s)
}

func isIn(cs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range cs {
		if x.Equal(c) {
			return true
		}
	}
	return false
}
