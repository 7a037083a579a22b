package inspect

import (
	"fmt"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// A store read from standard input ("tlsdoctor inspect -") has no file
// keytool or openssl could open: "keytool -keystore -" looks for a file
// named "-". The commands a fix or hint prints for it name the file the
// user is asked to save the input to first.

// savedName is that file, by the store's type.
func savedName(f Format) string {
	switch f {
	case FormatJKS:
		return "keystore.jks"
	case FormatJCEKS:
		return "keystore.jceks"
	case FormatPKCS12:
		return "keystore.p12"
	case FormatDER:
		return "cert.der"
	case FormatKubeTLS:
		return "secret.yaml"
	}
	return "certs.pem"
}

// fileArg is the file name a command gives for a store: quoted for the
// shell, or the file to save standard input to.
func fileArg(name string, f Format) string {
	if name == "-" {
		return savedName(f)
	}
	return checks.ShellQuote(name)
}

func (s *Store) arg() string { return fileArg(s.File, s.Format) }

// saveStdin says how to turn standard input into the file the commands
// read.
func saveStdin(f Format) string { return saveStdinAs(savedName(f)) }

func saveStdinAs(n string) string {
	return "save standard input to " + n + " first (run the command you piped into tlsdoctor inspect - with > " + n + " in place of | tlsdoctor inspect -)"
}

// checkHint is an input error's hint that runs cmd (built with fileArg)
// on the file.
func checkHint(name string, f Format, cmd string) string {
	if name == "-" {
		return saveStdin(f) + ", then check it with: " + cmd
	}
	return "check it with: " + cmd
}

// stdinFixes puts the save step first in each fix whose commands read s,
// when s came from standard input.
func stdinFixes(s *Store, fs []checks.Finding) {
	if s.File != "-" {
		return
	}
	n := savedName(s.Format)
	for i := range fs {
		for _, st := range fs[i].Fix {
			if st.Kind == checks.StepCommand && hasWord(st.Text, n) {
				fs[i].Fix = append([]checks.Step{checks.Say("The store came from standard input, which these commands cannot open: " + saveStdin(s.Format) + ", then:")}, fs[i].Fix...)
				break
			}
		}
	}
}

func hasWord(line, w string) bool {
	for _, f := range strings.Fields(line) {
		if f == w {
			return true
		}
	}
	return false
}

// pkcs7Hint extracts the certificates of a PKCS#7 bundle with openssl
// (inform is "" for PEM, " -inform DER").
func pkcs7Hint(name, inform string) string {
	cmd := "openssl pkcs7" + inform + " -print_certs -in %s -out certs.pem"
	if name == "-" {
		return saveStdinAs("bundle.p7b") + ", then extract the certificates: " + fmt.Sprintf(cmd, "bundle.p7b")
	}
	return "extract the certificates: " + fmt.Sprintf(cmd, checks.ShellQuote(name))
}
