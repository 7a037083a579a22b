package report

import (
	"bytes"
	"os"
	"reflect"
	"regexp"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// forge is appended to every string of a record: a field written
// without Escape starts a line of its own with it.
const forge = "\nFORGED: all good\u202e"

// forged finds a line the forge made.
var forged = regexp.MustCompile(`(?m)^[\s│|>*#\-–✗✓•]*FORGED:`)

// poisonFields appends s to every exported string of v (a pointer) but
// the fields named in skip (multi-line prose, whose newlines are kept).
func poisonFields(v reflect.Value, s string, skip map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			poisonFields(v.Elem(), s, skip)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() && !skip[f.Name] {
				poisonFields(v.Field(i), s, skip)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := 0; i < v.Len(); i++ {
				poisonFields(v.Index(i), s, skip)
			}
		}
	case reflect.String:
		v.SetString(v.String() + s)
	}
}

// TestNoForgedLines: a newline in any string of a record, of the
// findings judged from it, of a fleet target (its input, its error) or
// of a baseline name never starts a line of the text report, the fleet
// table, the quiet lines or the changes: every such field is written
// with Escape. (A finding's Detail is prose: its newlines are kept.)
func TestNoForgedLines(t *testing.T) {
	prose := map[string]bool{"Detail": true}
	var fleet Fleet
	for _, name := range []string{"mtls-ca-not-accepted-tls12", "scan-go-rc4-3des", "trust-missing-intermediate-aia", "good", "dns-failure", "plain-http", "client-cert-required", "expired"} {
		data, err := os.ReadFile("../testdata/records/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		rec, err := probe.DecodeRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		if rec.SNICheck == nil && len(rec.Attempts) > 0 {
			// The handshakes kept outside Attempts, which -v lists.
			n, b := rec.Attempts[0], rec.Attempts[0]
			n.Purpose, b.Purpose = probe.PurposeNoSNI, probe.PurposeBackend
			rec.SNICheck, rec.Backends = &n, []probe.Attempt{b}
		}
		env := checks.Env{Now: rec.StartedAt}
		for _, rt := range rec.Truststores {
			ts, _ := checks.RecordedTruststore(rt)
			env.Truststores = append(env.Truststores, ts)
		}
		poisonFields(reflect.ValueOf(rec), forge, nil)
		fs := checks.Run(rec, env)
		for i := range fs {
			// Detail is prose (its newlines are kept): the checks wrote the
			// record's strings into it on one line (checks/recordtext.go).
			poisonFields(reflect.ValueOf(&fs[i]), forge, prose)
		}
		trust := checks.StoreVerdicts(checks.NewInput(rec, env))
		for i := range trust {
			poisonFields(reflect.ValueOf(&trust[i]), forge, nil)
		}
		r := Report{Record: rec, Findings: fs, Now: rec.StartedAt, Trust: trust, Truststores: []string{"store" + forge}}
		for _, o := range []TextOptions{{}, {Verbose: true, Width: -1}, {Verbose: true, Width: 60}, {Quiet: true}} {
			var b bytes.Buffer
			if err := Text(&b, r, o); err != nil {
				t.Fatal(err)
			}
			if m := forged.FindIndex(b.Bytes()); m != nil {
				t.Errorf("%s %+v: a field forged a line:\n%s", name, o, around(b.Bytes(), m[0]))
			}
		}
		fleet.Targets = append(fleet.Targets, Target{Input: name + forge, Report: r, Command: "tlsdoctor " + name})
	}
	fleet.Targets = append(fleet.Targets, Target{Input: "broken" + forge, Err: "internal" + forge})
	fleet.Asked, fleet.FailOn = len(fleet.Targets), checks.Error
	fleet.Baseline, fleet.Gone = "base.json"+forge, []string{"gone" + forge}
	renders := map[string]func(*bytes.Buffer) error{
		"fleet": func(b *bytes.Buffer) error {
			return FleetText(b, fleet, FleetTextOptions{Details: DetailsAll, TextOptions: TextOptions{Verbose: true}})
		},
		"quiet":   func(b *bytes.Buffer) error { return FleetQuiet(b, fleet, TextOptions{}) },
		"changes": func(b *bytes.Buffer) error { ChangesText(b, fleet, TextOptions{}); return nil },
	}
	for name, render := range renders {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		if m := forged.FindIndex(b.Bytes()); m != nil {
			t.Errorf("%s: a field forged a line:\n%s", name, around(b.Bytes(), m[0]))
		}
		if s := rawControl(b.Bytes(), false); s != "" {
			t.Errorf("%s: raw control character near %q", name, s)
		}
	}
}

func around(b []byte, i int) string {
	return string(b[max(0, i-300):min(len(b), i+80)])
}
