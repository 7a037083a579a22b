package report

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
)

// hostileStrings are put in string fields by the crafted corpus: terminal
// control sequences, bidi overrides, newlines, invalid UTF-8.
var hostileStrings = []string{
	"\x1b[2J\x1b[31mowned\x07\r\n\u202egnp.exe\u2066x\u2069",
	"",
	"\xff\xfe\x9b31m",
}

var hostileNumbers = []float64{-1, 0, 1 << 31, 99999999, 65535, 3}

// mutations returns every single-point mutation of the JSON value v:
// each object member removed or nulled, each array emptied or with its
// first element repeated, each number and string replaced.
func mutations(v any) []any {
	var out []any
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, alt := range append(mutations(x[k]), nil, "deleted") {
				c := make(map[string]any, len(x))
				for kk, vv := range x {
					c[kk] = vv
				}
				if s, ok := alt.(string); ok && s == "deleted" {
					delete(c, k)
				} else {
					c[k] = alt
				}
				out = append(out, c)
			}
		}
	case []any:
		out = append(out, []any{})
		if len(x) > 0 {
			out = append(out, append([]any{x[0], x[0], x[0]}, x...))
		}
		for i := range x {
			for _, alt := range mutations(x[i]) {
				c := append([]any(nil), x...)
				c[i] = alt
				out = append(out, c)
			}
		}
	case float64:
		for _, n := range hostileNumbers {
			out = append(out, n)
		}
	case string:
		for _, s := range hostileStrings {
			out = append(out, s)
		}
		out = append(out, "AAAA")
	case bool:
		out = append(out, !x)
	}
	return out
}

// craftedRecords are the recorded handshakes mutated one point at a time;
// perRecord > 0 keeps that many per record, picked deterministically.
func craftedRecords(perRecord int) [][]byte {
	paths, _ := filepath.Glob("../testdata/records/*.json")
	var out [][]byte
	rng := rand.New(rand.NewSource(16))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var v any
		if json.Unmarshal(data, &v) != nil {
			continue
		}
		ms := mutations(v)
		if perRecord > 0 && len(ms) > perRecord {
			rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
			ms = ms[:perRecord]
		}
		for _, m := range ms {
			if b, err := json.Marshal(m); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}
