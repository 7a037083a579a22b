package identity

import (
	"encoding/asn1"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// The hint for a PKCS#12 file with too many iterations names the file in
// an openssl command: pasted into sh, the path reaches openssl as one
// word, whatever it holds.
func TestIterationHintQuotesPath(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	huge, _ := asn1.Marshal(pbeParams{Salt: []byte("12345678"), Iterations: 2_000_000_000})
	for _, path := range []string{"/tmp/my keys/client's.p12", "a;b$(x)`y`.p12", "plain.p12"} {
		_, err := loadPKCS12(huge, "--cert", path, nil, "--cert-password")
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: %v", path, err)
		}
		_, after, ok := strings.Cut(e.Hint, "openssl pkcs12 ")
		cmd, _, ok2 := strings.Cut(after, ", then ")
		if !ok || !ok2 {
			t.Fatalf("hint %q", e.Hint)
		}
		// The command's words, as sh splits them (printf stands in for
		// openssl, which would run the 2e9 iterations).
		out, err := exec.Command("sh", "-c", `printf '%s\n' `+cmd).Output()
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		words := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(words) != 4 || words[0] != "-in" || words[1] != path || words[2] != "-out" {
			t.Errorf("%q: sh reads the hint's command %q as %q", path, cmd, words)
		}
	}
}
