package exporter

// The files a module names: truststores, the client identity and the
// password files, loaded when the configuration is, through truststore/
// and identity/ with the command line's conventions.

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/identity"
	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
	"github.com/tlsdoctor/tlsdoctor/truststore"
)

// Named truststores, as on the command line.
const (
	storeSystem  = "system"
	storeMozilla = "mozilla"
	storeJava    = "java"
)

// stores loads truststore (one name or file, or a list) and
// tls_config.ca_file, in that order, as the CLI does with --truststore
// and --ca-file. With neither it is system, plus mozilla and java (when a
// JDK is found) for the per-store verdict.
func (l *loader) stores(y *moduleYAML, key func(string) string) ([]checks.Truststore, error) {
	var entries []*yaml.Node
	switch n := &y.Truststore; n.Kind {
	case 0:
	case yaml.ScalarNode:
		entries = append(entries, n)
	case yaml.SequenceNode:
		entries = append(entries, n.Content...)
	default:
		return nil, l.fail(n, key("truststore"), "must be a name or file, or a list of them", "truststore: [system, /etc/ssl/partner-ca.pem]")
	}
	var caFile *yaml.Node
	if y.TLSConfig != nil && y.TLSConfig.CAFile.Kind != 0 {
		caFile = &y.TLSConfig.CAFile
	}
	pw, err := l.password(&y.TruststorePassword, key("truststore_password_file"), "TLSDOCTOR_TRUSTSTORE_PASSWORD")
	if err != nil {
		return nil, err
	}
	tsPW := truststore.Password{}
	if pw != nil {
		tsPW = truststore.Password{Value: *pw, Set: true}
	}
	if len(entries) == 0 && caFile == nil {
		if y.TruststorePassword.Kind != 0 {
			return nil, l.fail(&y.TruststorePassword, key("truststore_password_file"), "given without truststore", "add truststore: FILE (a PKCS#12 or JKS truststore)")
		}
		sys, err := l.named(storeSystem, nil, key("truststore"), tsPW)
		if err != nil {
			return nil, err
		}
		out := []checks.Truststore{sys}
		if moz, err := l.named(storeMozilla, nil, key("truststore"), tsPW); err == nil {
			out = append(out, moz)
		}
		if jv, err := l.named(storeJava, nil, key("truststore"), tsPW); err == nil {
			out = append(out, jv)
		}
		return out, nil
	}
	var out []checks.Truststore
	for _, n := range entries {
		s, err := l.str(n, key("truststore"))
		if err != nil {
			return nil, err
		}
		switch s {
		case storeSystem, storeMozilla, storeJava:
			ts, err := l.named(s, n, key("truststore"), tsPW)
			if err != nil {
				return nil, err
			}
			out = append(out, ts)
			continue
		}
		ts, err := l.storeFile(n, key("truststore"), s, s, tsPW)
		if err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	if caFile != nil {
		s, err := l.str(caFile, key("tls_config.ca_file"))
		if err != nil {
			return nil, err
		}
		ts, err := l.storeFile(caFile, key("tls_config.ca_file"), s, "ca-file "+s, tsPW)
		if err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	return out, nil
}

func (l *loader) storeFile(n *yaml.Node, key, file, name string, pw truststore.Password) (checks.Truststore, error) {
	certs, format, err := truststore.Load(l.path(file), pw)
	if err != nil {
		return checks.Truststore{}, l.storeError(n, key, file, err)
	}
	ts := checks.NewTruststore(name, certs)
	ts.Source = fmt.Sprintf("%s (%s, %d certificates)", file, format, len(certs))
	return ts, nil
}

func (l *loader) storeError(n *yaml.Node, key, file string, err error) error {
	hint := ""
	switch {
	case errors.Is(err, truststore.ErrWrongPassword):
		hint = "check the password in truststore_password_file (or TLSDOCTOR_TRUSTSTORE_PASSWORD) with: keytool -list -keystore " + file
	case errors.Is(err, truststore.ErrPasswordNeeded):
		hint = "give it with truststore_password_file: FILE or the TLSDOCTOR_TRUSTSTORE_PASSWORD environment variable"
	case errors.Is(err, truststore.ErrNoCertificates):
		hint = "a truststore holds CA certificates: a PEM bundle, a DER certificate, a PKCS#12 or a JKS file"
	case errors.Is(err, truststore.ErrUnsupported):
		hint = "convert it to PKCS#12: keytool -importkeystore -srckeystore " + file + " -destkeystore truststore.p12 -deststoretype PKCS12"
	}
	return l.fail(n, key, pathErr(err).Error(), hint)
}

// named loads system, mozilla or java once per configuration.
func (l *loader) named(name string, n *yaml.Node, key string, pw truststore.Password) (checks.Truststore, error) {
	if ts, ok := l.namedStores[name]; ok {
		return ts, nil
	}
	var ts checks.Truststore
	switch name {
	case storeSystem:
		certs, err := truststore.System()
		if err != nil {
			return ts, l.fail(n, key, err.Error(), "install the ca-certificates package, or name a truststore file")
		}
		ts = checks.NewTruststore(storeSystem, certs)
		ts.Source = "system roots"
	case storeMozilla:
		certs, err := truststore.Mozilla()
		if err != nil {
			return ts, l.fail(n, key, err.Error(), "")
		}
		ts = checks.NewTruststore(storeMozilla, certs)
		ts.Source, ts.Public = "Mozilla roots embedded in tlsdoctor", true
	case storeJava:
		lp := l.opts.LookPath
		if lp == nil {
			lp = exec.LookPath
		}
		path, err := truststore.JavaCacerts(l.opts.getenv, lp)
		if err != nil {
			return ts, l.fail(n, key, "java: "+err.Error(), "set JAVA_HOME for the exporter to the JDK your application runs on, or name its cacerts file")
		}
		certs, err := truststore.Java(path, pw)
		if err != nil {
			return ts, l.storeError(n, key, path, err)
		}
		ts = checks.NewTruststore(storeJava, certs)
		ts.Source = path
	}
	l.namedStores[name] = ts
	return ts, nil
}

// identity loads the client identity: tls_config.cert_file (with
// key_file, or a PKCS#12 alone) or keystore (with keystore_alias).
func (l *loader) identity(y *moduleYAML, key func(string) string) (*identity.Identity, error) {
	var o identity.Options
	nodes := map[string]*yaml.Node{}
	var err error
	if t := y.TLSConfig; t != nil {
		if t.CertFile.Kind != 0 {
			if o.CertFile, err = l.str(&t.CertFile, key("tls_config.cert_file")); err != nil {
				return nil, err
			}
			o.CertFile, nodes["--cert"] = l.path(o.CertFile), &t.CertFile
		}
		if t.KeyFile.Kind != 0 {
			if o.KeyFile, err = l.str(&t.KeyFile, key("tls_config.key_file")); err != nil {
				return nil, err
			}
			o.KeyFile, nodes["--key"] = l.path(o.KeyFile), &t.KeyFile
		}
	}
	if y.Keystore.Kind != 0 {
		if o.Keystore, err = l.str(&y.Keystore, key("keystore")); err != nil {
			return nil, err
		}
		o.Keystore, nodes["--keystore"] = l.path(o.Keystore), &y.Keystore
	}
	if y.KeystoreAlias.Kind != 0 {
		if o.Alias, err = l.str(&y.KeystoreAlias, key("keystore_alias")); err != nil {
			return nil, err
		}
		nodes["--alias"] = &y.KeystoreAlias
		if o.Keystore == "" {
			return nil, l.fail(&y.KeystoreAlias, key("keystore_alias"), "given without keystore", "keystore: client.jks")
		}
	}
	for _, p := range []struct {
		n        *yaml.Node
		key, env string
		dst      **string
		needs    string
	}{
		{&y.KeyPassword, "key_password_file", "TLSDOCTOR_KEY_PASSWORD", &o.KeyPassword, ""},
		{&y.CertPassword, "cert_password_file", "TLSDOCTOR_CERT_PASSWORD", &o.CertPassword, o.CertFile},
		{&y.KeystorePassword, "keystore_password_file", "TLSDOCTOR_KEYSTORE_PASSWORD", &o.KeystorePassword, o.Keystore},
	} {
		if p.n.Kind != 0 && p.key != "key_password_file" && p.needs == "" {
			return nil, l.fail(p.n, key(p.key), "given without the file it opens", "cert_password_file goes with tls_config.cert_file, keystore_password_file with keystore")
		}
		if *p.dst, err = l.password(p.n, key(p.key), p.env); err != nil {
			return nil, err
		}
	}
	if o.CertFile == "" && o.Keystore == "" && o.KeyFile == "" {
		return nil, nil
	}
	id, err := identity.Load(o)
	if err != nil {
		var ie *identity.Error
		if !errors.As(err, &ie) {
			return nil, l.fail(nil, key("tls_config"), err.Error(), "")
		}
		n := nodes[ie.Flag]
		k := configKey(ie.Flag)
		msg := ie.Msg
		if ie.File != "" {
			msg = ie.File + ": " + msg
		}
		return nil, l.fail(n, key(k), configKeys.Replace(msg), configKeys.Replace(ie.Hint))
	}
	return id, nil
}

// configKeys rewrites the identity package's flag names into this file's
// keys, for its messages and hints.
var configKeys = strings.NewReplacer(
	"--keystore-password-file", "keystore_password_file",
	"--keystore-password", "keystore_password_file",
	"--key-password-file", "key_password_file",
	"--key-password", "key_password_file",
	"--cert-password-file", "cert_password_file",
	"--cert-password", "cert_password_file",
	"--keystore", "keystore",
	"--cert", "tls_config.cert_file",
	"--key", "tls_config.key_file",
	"--alias", "keystore_alias",
)

func configKey(flag string) string {
	switch flag {
	case "--cert":
		return "tls_config.cert_file"
	case "--key":
		return "tls_config.key_file"
	case "--keystore":
		return "keystore"
	case "--alias":
		return "keystore_alias"
	}
	return strings.ReplaceAll(strings.TrimPrefix(flag, "--"), "-", "_")
}

// password reads a *_password_file, else its environment variable; nil
// when neither is given. The password itself never appears in an error.
func (l *loader) password(n *yaml.Node, key, env string) (*string, error) {
	if n.Kind != 0 {
		file, err := l.str(n, key)
		if err != nil {
			return nil, err
		}
		v, err := inputfile.ReadPassword(l.path(file))
		if err != nil {
			return nil, l.fail(n, key, "cannot read "+file+": "+err.Error(), "the file holds the password on its first line")
		}
		return &v, nil
	}
	if v := l.opts.getenv(env); v != "" {
		return &v, nil
	}
	return nil, nil
}
