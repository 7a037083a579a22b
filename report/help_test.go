package report

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFoldHelp(t *testing.T) {
	in := "Connection:\n" +
		"      --connect-to H[:P]   connect to H:P instead of the target's address (the name is still checked)\n" +
		"      --truststore-password PASS, --truststore-password-file FILE\n" +
		"                           password of PKCS#12/JKS truststores (or TLSDOCTOR_TRUSTSTORE_PASSWORD);\n" +
		"                           Java's own cacerts uses changeit\n" +
		"  tlsdoctor partner.example:8443 --keystore client.jks --keystore-password-file pw.txt --alias client\n"
	got := FoldHelp(in, 80)
	want := "Connection:\n" +
		"      --connect-to H[:P]   connect to H:P instead of the target's address (the\n" +
		"                           name is still checked)\n" +
		"      --truststore-password PASS, --truststore-password-file FILE\n" +
		"                           password of PKCS#12/JKS truststores (or\n" +
		"                           TLSDOCTOR_TRUSTSTORE_PASSWORD); Java's own cacerts\n" +
		"                           uses changeit\n" +
		"  tlsdoctor partner.example:8443 --keystore client.jks --keystore-password-file pw.txt --alias client\n"
	if got != want {
		t.Errorf("FoldHelp:\n%s\nwant:\n%s", got, want)
	}
	for _, l := range strings.Split(got, "\n") {
		if utf8.RuneCountInString(l) > 80 && !isCommandLine(l) {
			t.Errorf("too wide: %q", l)
		}
	}
}
