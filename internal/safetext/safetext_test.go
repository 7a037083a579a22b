package safetext

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"plain, Ünïcödé, 日本, ǅ, 🙂, U+FFFD �":      "plain, Ünïcödé, 日本, ǅ, 🙂, U+FFFD �",
		"nbsp\u00a0ideographic\u3000space":        "nbsp\u00a0ideographic\u3000space",
		"a\x1b[31mb":                              `a\x1b[31mb`,
		"bell\x07 cr\r nl\n tab\t nul\x00":        `bell\x07 cr\r nl\n tab\t nul\x00`,
		"del\x7f c1\u009b\u0085":                  `del\x7f c1\u009b\u0085`,
		"rlo\u202egnp.exe":                        `rlo\u202egnp.exe`,
		"lre\u202a rle\u202b pdf\u202c lro\u202d": `lre\u202a rle\u202b pdf\u202c lro\u202d`,
		"isolates\u2066\u2067\u2068x\u2069":       `isolates\u2066\u2067\u2068x\u2069`,
		"marks\u200e\u200f\u061c":                 `marks\u200e\u200f\u061c`,
		"zw\u200b\u200c\u200d\u2060\ufeff":        `zw\u200b\u200c\u200d\u2060\ufeff`,
		"seps\u2028\u2029":                        `seps\u2028\u2029`,
		"soft\u00adhyphen":                        `soft\u00adhyphen`,
		"nonchar\ufffe\uffff pua\ue000":           `nonchar\ufffe\uffff pua\ue000`,
		"tag\U000e0041":                           `tag\U000e0041`,
		"bad\xffutf8 \xef\xbf cut":                `bad\xffutf8 \xef\xbf cut`,
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Prose("one\nline\x1b\ttwo"); got != `one`+"\n"+`line\x1b\ttwo` {
		t.Errorf("Prose = %q", got)
	}
	if got := Text("a\n\tb\r", KeepNewlines|KeepTabs); got != "a\n\tb\\r" {
		t.Errorf("Text keeping layout = %q", got)
	}
}

func TestLineMax(t *testing.T) {
	if got := LineMax("short", 10); got != "short" {
		t.Errorf("LineMax kept %q", got)
	}
	// A cut never splits an escape or a rune.
	for _, c := range []struct{ in, want string }{
		{"abc\u202edef", `abc\u202e…`},
		{"abcd\u202edef", `abcd…`},
		{"abcdefghi\u202e", `abcdefghi…`},
		{"ab\u202ecd", `ab\u202ec…`},
		{"ééééé", "éééé…"},
	} {
		if got := LineMax(c.in, 9); got != c.want {
			t.Errorf("LineMax(%q, 9) = %q, want %q", c.in, got, c.want)
		}
	}
	for i := 0; i < 1000; i++ {
		s := randomString(rand.New(rand.NewPCG(uint64(i), 2)))
		got := LineMax(s, 32)
		if len(strings.TrimSuffix(got, "…")) > 32 {
			t.Fatalf("LineMax(%q, 32) = %q: %d bytes", s, got, len(got))
		}
		if !strings.HasPrefix(Line(s), strings.TrimSuffix(got, "…")) {
			t.Fatalf("LineMax(%q) = %q is not a prefix of Line's %q", s, got, Line(s))
		}
	}
}

// hostileRunes are what randomString draws from: the characters that
// must never reach a reader raw, mixed with ordinary text.
var hostileRunes = []rune("aZ09 .-_/é日🙂\u00a0\u3000\\" +
	"\x00\x07\x08\t\n\v\f\r\x1b\x7f\u0080\u0085\u009b\u009f" +
	"\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e" +
	"\u2060\u2066\u2067\u2068\u2069\ufeff\u00ad\ufffe\uffff\ue000\U000e0001\U0010ffff\ufffd")

func randomString(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(24); n > 0; n-- {
		switch r.IntN(8) {
		case 0:
			b.WriteByte(byte(0x80 + r.IntN(0x80))) // a stray byte: invalid UTF-8
		case 1:
			b.WriteRune(rune(r.IntN(0x3000))) // anything in the first blocks
		default:
			b.WriteRune(hostileRunes[r.IntN(len(hostileRunes))])
		}
	}
	return b.String()
}

// checkText is the property: Text's output is valid UTF-8, holds no
// unsafe character but the layout it keeps, leaves a safe string as it
// is, and (for a string without a backslash, which Text does not escape)
// decodes back to s.
func checkText(t *testing.T, s string, keep Keep) {
	t.Helper()
	out := Text(s, keep)
	if !utf8.ValidString(out) {
		t.Fatalf("Text(%q) = %q: invalid UTF-8", s, out)
	}
	for _, r := range out {
		if Unsafe(r) && !kept(r, keep) {
			t.Fatalf("Text(%q) = %q holds %U raw", s, out, r)
		}
	}
	if firstUnsafe(s, keep) < 0 && out != s {
		t.Fatalf("Text changed the safe %q to %q", s, out)
	}
	if !strings.Contains(s, `\`) {
		back, err := unescape(out)
		if err != nil || back != s {
			t.Fatalf("Text(%q) = %q decodes to %q, %v", s, out, back, err)
		}
	}
}

func TestTextProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		s := randomString(r)
		for _, keep := range []Keep{0, KeepNewlines, KeepNewlines | KeepTabs} {
			checkText(t, s, keep)
		}
	}
}

// go test ./internal/safetext -run '^$' -fuzz FuzzText -fuzztime 1m
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x1b[31m\u202eb\xff", "\u2066\U000e0001\r\n\t", "é\xef\xbf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkText(t, s, 0)
		checkText(t, s, KeepNewlines|KeepTabs)
	})
}

// unescape reads Text's escapes back: \n \t \r, \xNN (a byte), \uNNNN,
// \UNNNNNNNN.
func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", strconv.ErrSyntax
		}
		width := 0
		switch s[i+1] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'x':
			width = 2
		case 'u':
			width = 4
		case 'U':
			width = 8
		default:
			return "", strconv.ErrSyntax
		}
		if width == 0 {
			i++
			continue
		}
		if i+2+width > len(s) {
			return "", strconv.ErrSyntax
		}
		v, err := strconv.ParseUint(s[i+2:i+2+width], 16, 32)
		if err != nil {
			return "", err
		}
		if width == 2 {
			b.WriteByte(byte(v))
		} else {
			b.WriteRune(rune(v))
		}
		i += 1 + width
	}
	return b.String(), nil
}
