package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/identity"
	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
)

// identityOptions are the client-identity flags.
type identityOptions struct {
	cert, key, keystore, alias string
	pw                         map[string]*string // flag name -> value
}

// passwordFlags are the password flags, each with a -file twin and an
// environment variable.
var passwordFlags = []string{"key-password", "cert-password", "keystore-password"}

func (o *identityOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.cert, "cert", "", "")
	fs.StringVar(&o.key, "key", "", "")
	fs.StringVar(&o.keystore, "keystore", "", "")
	fs.StringVar(&o.alias, "alias", "", "")
	o.pw = map[string]*string{}
	for _, n := range passwordFlags {
		o.pw[n] = fs.String(n, "", "")
		o.pw[n+"-file"] = fs.String(n+"-file", "", "")
	}
}

// password resolves one password from its flag, its -file flag or its
// environment variable, in that order; nil means none was given.
func (o *identityOptions) password(fs *pflag.FlagSet, name string, env Env) (*string, error) {
	flagSet, fileSet := fs.Changed(name), fs.Changed(name+"-file")
	switch {
	case flagSet && fileSet:
		return nil, &usageError{msg: fmt.Sprintf("--%s and --%s-file both given", name, name), hint: "give the password one way"}
	case flagSet:
		v := *o.pw[name]
		return &v, nil
	case fileSet:
		path := *o.pw[name+"-file"]
		v, err := inputfile.ReadPassword(path)
		if err != nil {
			return nil, &inputError{err: fmt.Errorf("--%s-file: cannot read %s: %w", name, path, err)}
		}
		return &v, nil
	}
	envName := "TLSDOCTOR_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if env.Getenv != nil {
		if v := env.Getenv(envName); v != "" {
			return &v, nil
		}
	}
	return nil, nil
}

// load reads the client identity the flags name; nil when none was given.
func (o *identityOptions) load(fs *pflag.FlagSet, env Env) (*identity.Identity, error) {
	opts := identity.Options{CertFile: o.cert, KeyFile: o.key, Keystore: o.keystore, Alias: o.alias}
	var err error
	if opts.KeyPassword, err = o.password(fs, "key-password", env); err != nil {
		return nil, err
	}
	if opts.CertPassword, err = o.password(fs, "cert-password", env); err != nil {
		return nil, err
	}
	if opts.KeystorePassword, err = o.password(fs, "keystore-password", env); err != nil {
		return nil, err
	}
	switch {
	case o.alias != "" && o.keystore == "":
		return nil, &usageError{msg: "--alias needs --keystore", hint: "--keystore client.jks --alias NAME"}
	case (fs.Changed("cert-password") || fs.Changed("cert-password-file")) && o.cert == "":
		return nil, &usageError{msg: "--cert-password given without --cert", hint: "--cert client.p12 --cert-password-file pw.txt"}
	case (fs.Changed("keystore-password") || fs.Changed("keystore-password-file")) && o.keystore == "":
		return nil, &usageError{msg: "--keystore-password given without --keystore", hint: "--keystore client.jks --keystore-password-file pw.txt"}
	}
	id, err := identity.Load(opts)
	if err != nil {
		var ie *identity.Error
		if errors.As(err, &ie) {
			return nil, &usageError{msg: ie.Error(), hint: ie.Hint}
		}
		return nil, &inputError{err: err}
	}
	return id, nil
}
