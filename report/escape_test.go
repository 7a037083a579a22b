package report

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain, Ünïcödé, 日本":       "plain, Ünïcödé, 日本",
		"a\x1b[31mb":               `a\x1b[31mb`,
		"bell\x07 cr\r nl\n tab\t": `bell\x07 cr\r nl\n tab\t`,
		"del\x7f c1\u009b":         `del\x7f c1\u009b`,
		"rlo\u202egnp.exe":         `rlo\u202egnp.exe`,
		"isolates\u2066x\u2069":    `isolates\u2066x\u2069`,
		"bad\xffutf8":              `bad\xffutf8`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := escapeProse("line one\nline\x1b two"); got != "line one\nline\\x1b two" {
		t.Errorf("escapeProse kept or lost the wrong things: %q", got)
	}
}

func TestWriteTerminal(t *testing.T) {
	var b bytes.Buffer
	_ = writeTerminal(&b, []byte("\x1b[31;1mred\x1b[0m \x1b]0;title\x07 \u202e\n\tx"), true)
	if got, want := b.String(), "\x1b[31;1mred\x1b[0m \\x1b]0;title\\x07 \\u202e\n\tx"; got != want {
		t.Errorf("with colour: %q, want %q", got, want)
	}
	b.Reset()
	_ = writeTerminal(&b, []byte("\x1b[31mred"), false)
	if got := b.String(); got != `\x1b[31mred` {
		t.Errorf("without colour the palette's codes are escaped too: %q", got)
	}
}

func TestTerminalWriterSplitRunes(t *testing.T) {
	var b bytes.Buffer
	w := TerminalWriter(&b)
	s := []byte("é\u202e\x1b")
	for i := range s {
		_, _ = w.Write(s[i : i+1])
	}
	if got := b.String(); got != `é\u202e\x1b` {
		t.Errorf("byte-by-byte writes: %q", got)
	}
}

func TestWriteJSONExact(t *testing.T) {
	in := map[string]string{"s": "a\x1b\u009b\u202e\u2066b\xff"}
	data, _ := json.Marshal(in)
	var b bytes.Buffer
	if err := writeJSON(&b, data); err != nil {
		t.Fatal(err)
	}
	if rawControl(b.Bytes(), false) != "" {
		t.Errorf("raw control in JSON: %q", b.String())
	}
	var out map[string]string
	if err := json.Unmarshal(b.Bytes(), &out); err != nil || out["s"] != "a\x1b\u009b\u202e\u2066b\uFFFD" {
		t.Errorf("JSON round trip = %q, %v", out["s"], err)
	}
}

// rawControl returns the first control or bidi character of out that a
// terminal would act on, or "".
func rawControl(out []byte, sgr bool) string {
	for i := 0; i < len(out); {
		if sgr && sgrLen(out[i:]) > 0 {
			i += sgrLen(out[i:])
			continue
		}
		c := out[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && c != '\n' && c != '\t' {
				return string(out[max(0, i-20):min(len(out), i+20)])
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(out[i:])
		if (r == utf8.RuneError && n == 1) || unsafeRune(r) {
			return string(out[max(0, i-20):min(len(out), i+20)])
		}
		i += n
	}
	return ""
}

const hostile = "evil\x1b[2J\x1b]0;pwned\x07\r\n\u202egnp.exe\u2066\u009b31m\x7f"

// poison sets every string of v (a pointer) to hostile.
func poison(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			poison(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				poison(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := 0; i < v.Len(); i++ {
				poison(v.Index(i))
			}
		}
	case reflect.String:
		v.SetString(v.String() + hostile)
	}
}

// Every string of every recorded handshake, and of the findings judged
// from it, made hostile: the text report holds no raw control or bidi
// character, with colour or without, and the JSON none either.
func TestHostileRecordFields(t *testing.T) {
	for _, name := range []string{"mtls-ca-not-accepted-tls12", "scan-go-rc4-3des", "trust-missing-intermediate-aia", "good", "dns-failure", "plain-http", "client-cert-required"} {
		data, err := os.ReadFile("../testdata/records/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		rec, err := probe.DecodeRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		env := checks.Env{Now: rec.StartedAt}
		for _, rt := range rec.Truststores {
			ts, _ := checks.RecordedTruststore(rt)
			env.Truststores = append(env.Truststores, ts)
		}
		poison(reflect.ValueOf(rec))
		fs := checks.Run(rec, env)
		for i := range fs {
			poison(reflect.ValueOf(&fs[i]))
		}
		trust := checks.StoreVerdicts(checks.NewInput(rec, env))
		for i := range trust {
			poison(reflect.ValueOf(&trust[i]))
		}
		r := Report{Record: rec, Findings: fs, Now: rec.StartedAt, Trust: trust, Truststores: []string{"store" + hostile}}
		for _, o := range []TextOptions{{}, {Color: true}, {Verbose: true, Width: -1}, {Quiet: true}} {
			var b bytes.Buffer
			if err := Text(&b, r, o); err != nil {
				t.Fatal(err)
			}
			if s := rawControl(b.Bytes(), o.Color); s != "" {
				t.Errorf("%s %+v: raw control character near %q", name, o, s)
			}
			if !strings.Contains(b.String(), `evil\x1b[2J\x1b]0;pwned\x07\r\n\u202egnp.exe`) && !o.Quiet {
				t.Errorf("%s %+v: the hostile value is not shown escaped", name, o)
			}
		}
		var b bytes.Buffer
		if err := JSON(&b, r); err != nil {
			t.Fatal(err)
		}
		if s := rawControl(b.Bytes(), false); s != "" {
			t.Errorf("%s JSON: raw control character near %q", name, s)
		}
	}
}
