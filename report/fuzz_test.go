package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// pipeline is diagnose --record on data: decode and validate, every
// check, every renderer. It fails t on a panic (by not recovering), on a
// raw control character in the text or JSON output, and on a record
// accepted without its required fields.
func pipeline(t *testing.T, data []byte) {
	t.Helper()
	rec, err := probe.DecodeRecord(data)
	if err != nil {
		return
	}
	if rec.Target.Host == "" || rec.RecordVersion < 1 || rec.RecordVersion > probe.RecordVersion {
		t.Fatalf("accepted a record without its required fields: %+v", rec.Target)
	}
	env := checks.Env{Now: rec.StartedAt}
	for _, rt := range rec.Truststores {
		if ts, err := checks.RecordedTruststore(rt); err == nil {
			env.Truststores = append(env.Truststores, ts)
		}
	}
	fs := checks.Run(rec, env)
	r := Report{Record: rec, Findings: fs, Now: rec.StartedAt, Trust: checks.StoreVerdicts(checks.NewInput(rec, env))}
	for _, o := range []TextOptions{{Verbose: true}, {Color: true, Width: 200}, {Quiet: true}} {
		var b bytes.Buffer
		if err := Text(&b, r, o); err != nil {
			t.Fatal(err)
		}
		if s := rawControl(b.Bytes(), o.Color); s != "" {
			t.Fatalf("raw control character in the text report near %q", s)
		}
	}
	var b bytes.Buffer
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if s := rawControl(b.Bytes(), false); s != "" {
		t.Fatalf("raw control character in the JSON report near %q", s)
	}
}

// FuzzRecord fuzzes diagnose --record: decode, validate, every check,
// every renderer. Seeds: the recorded handshakes, and the crafted corpus
// (each recorded handshake mutated one field at a time: fields removed or
// nulled, lists emptied or repeated, numbers out of range, strings with
// control and bidi characters).
//
//	go test ./report -run '^$' -fuzz FuzzRecord -fuzztime 10m -timeout 20m
func FuzzRecord(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/records/*.json")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	for _, data := range craftedRecords(10) {
		f.Add(data)
	}
	f.Fuzz(pipeline)
}

// The crafted corpus, a sample of it in every run (TLSDOCTOR_CRAFTED=all
// runs all of it, about 17,000 records, in a couple of minutes).
func TestCraftedRecords(t *testing.T) {
	n := 20
	if os.Getenv("TLSDOCTOR_CRAFTED") == "all" {
		n = 0
	}
	for _, data := range craftedRecords(n) {
		pipeline(t, data)
	}
}
