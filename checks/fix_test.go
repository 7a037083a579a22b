package checks

import (
	"os/exec"
	"strings"
	"testing"
)

// TestHint: the stderr hint is the first step that can be acted on by
// itself, with the command it introduces; a heading is never a hint.
func TestHint(t *testing.T) {
	for _, tc := range []struct {
		steps []Step
		want  string
	}{
		{nil, ""},
		{[]Step{Say("Two ways out:"), Say("Client side: rebuild the keystore:"), Cmd("openssl", "openssl pkcs12 -export -in c.crt"), Say("Or server side:")},
			"Client side: rebuild the keystore: openssl pkcs12 -export -in c.crt"},
		{[]Step{Say("Check the port."), Cmd("ss", "ss -ltnp")}, "Check the port."},
		{[]Step{Say("Enable TLS 1.2:"), Set("nginx", "ssl_protocols TLSv1.2 TLSv1.3;")}, "Enable TLS 1.2: in nginx, ssl_protocols TLSv1.2 TLSv1.3;"},
		{[]Step{Say("Serve TLS:"), Set("nginx", "listen 443 ssl;\nssl_certificate x;")}, "Serve TLS (the settings are in the report)."},
		{[]Step{Cmd("openssl", "openssl x509 -in a")}, "run: openssl x509 -in a"},
	} {
		if got := Hint(tc.steps); got != tc.want {
			t.Errorf("Hint(%v) = %q, want %q", tc.steps, got, tc.want)
		}
	}
}

// TestShellQuoteRoundTrip: a real sh gives back each value, whatever it
// holds, as one word.
func TestShellQuoteRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, v := range []string{"plain.example", "", "a b", "it's", `$(touch marker)`, "`x`", "a;b&c|d", `"q"`, "*", "~root", "-x", "a\\b", "é"} {
		out, err := exec.Command(sh, "-c", "printf %s "+ShellQuote(v)).Output()
		if err != nil || string(out) != v {
			t.Errorf("ShellQuote(%q) = %s: sh gives %q (%v)", v, ShellQuote(v), out, err)
		}
	}
}

func TestValidNames(t *testing.T) {
	for s, want := range map[string]bool{
		"example.com": true, "*.example.com": true, "a_b.example": true, "localhost": true, "xn--bcher-kva.example": true,
		"a\nb": false, "a]b": false, "x=y": false, "a b": false, "": false, "-a.example": false, "a..b": false, "a*.example": false,
		"é.example": false, "bell\a": false,
	} {
		if got := ValidDNSName(s); got != want {
			t.Errorf("ValidDNSName(%q) = %v", s, got)
		}
	}
	for s, want := range map[string]bool{
		"http://ca.example/root.der": true, "http://127.0.0.1:8080/a;b$(c)'d'.der": true, "https://[::1]:443/x": true,
		"http://ca.example/a b": false, "http://ca.example/\n": false, "http://ca.example/`x`": false, `http://ca.example/"`: false,
		"file:///etc/passwd": false, "http:///nohost": false, "http://bad_host!/x": false,
	} {
		if got := ValidURL(s); got != want {
			t.Errorf("ValidURL(%q) = %v", s, got)
		}
	}
}

// TestCommandRefusesBadValues: a value that fails its check never reaches
// a command; the step says why instead.
func TestCommandRefusesBadValues(t *testing.T) {
	if s := command("dig", "dig", hostArg("evil\n.example")); s.Kind != StepText || !strings.Contains(s.Text, "invalid-name-characters") {
		t.Errorf("bad host: %+v", s)
	}
	if s := command("keytool", "keytool -keystore", fileArg("-J-Dx=y")); s.Kind != StepText {
		t.Errorf("a file name that is an option: %+v", s)
	}
	if s := command("curl", "curl -o a", urlArg("http://h/x'y")); s.Kind != StepCommand || s.Text != `curl -o a 'http://h/x'\''y'` {
		t.Errorf("good URL: %+v", s)
	}
}
