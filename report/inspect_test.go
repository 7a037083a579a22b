package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/inspect"
)

// A keystore's alias and a certificate's subject come from the file: a
// newline cannot forge a line of the inspect report, and no control or
// bidi character reaches the terminal raw.
func TestInspectTextEscapes(t *testing.T) {
	r := &inspect.Report{Stores: []*inspect.Store{{
		File:   "s.p12",
		Format: "PKCS12",
		Entries: []*inspect.Entry{{
			Alias:        "srv\nForged: all good",
			Kind:         "PrivateKeyEntry",
			Certificates: []inspect.CertInfo{{Subject: "CN=abc\u202egpj.exe", Issuer: "CN=x\x1b]0;title\x07"}},
		}},
	}}}
	var b bytes.Buffer
	if err := InspectText(&b, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"\u202e", "\x1b", "\x07"} {
		if strings.Contains(out, bad) {
			t.Errorf("raw %q in the output:\n%s", bad, out)
		}
	}
	if strings.Contains(out, "\nForged") {
		t.Errorf("the alias's newline forged a line:\n%s", out)
	}
	for _, want := range []string{`Entry "srv\nForged: all good"`, `CN=abc\u202egpj.exe`, `CN=x\x1b]0;title\x07`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

// InspectJSON escapes them as the other JSON writers do.
func TestInspectJSONEscapes(t *testing.T) {
	r := &inspect.Report{Stores: []*inspect.Store{{File: "s.p12", Format: "PKCS12",
		Entries: []*inspect.Entry{{Alias: "abc\u202egpj.exe", Kind: "PrivateKeyEntry"}}}}}
	var b bytes.Buffer
	if err := InspectJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\u202e") || !strings.Contains(b.String(), `abc\u202egpj.exe`) {
		t.Errorf("the alias is not escaped: %s", b.String())
	}
}
