package checks_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// TestJVMOptionQuote: the quoted option is one word for sh (a java
// command line) and for the JVM's own JAVA_TOOL_OPTIONS splitter, which
// refused ShellQuote's form of a path holding a single quote (it closes
// the quote, escapes one, reopens: "Unmatched quote in JAVA_TOOL_OPTIONS").
func TestJVMOptionQuote(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed (apt-get install -y default-jdk-headless)")
	}
	for _, path := range []string{"/tmp/a/t.jks", "/tmp/a b/t.jks", "/tmp/it's/t.jks", "/tmp/it's a/t.jks"} {
		opt := "-Djavax.net.ssl.trustStore=" + path
		q := checks.JVMOptionQuote(opt)
		out, err := exec.Command("sh", "-c", "printf '%s\\n' "+q).Output()
		if err != nil || string(out) != opt+"\n" {
			t.Errorf("sh reads %s as %q (%v), want %q", q, out, err, opt)
		}
		cmd := exec.Command(java, "-XshowSettings:properties", "-version")
		cmd.Env = append(os.Environ(), "JAVA_TOOL_OPTIONS="+q)
		jout, _ := cmd.CombinedOutput()
		if !strings.Contains(string(jout), "javax.net.ssl.trustStore = "+path+"\n") {
			t.Errorf("JAVA_TOOL_OPTIONS=%s: the JVM did not set the property to %q:\n%s", q, path, jout)
		}
	}
}
