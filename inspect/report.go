package inspect

import (
	"encoding/json"
	"time"

	"github.com/tlsdoctor/tlsdoctor/checks"
)

// ReportVersion is the version of the inspect JSON format
// (docs/inspect.md). New optional fields do not change it.
const ReportVersion = 1

// Report is everything `tlsdoctor inspect` found, for report/ to render.
type Report struct {
	Version int       `json:"inspect_version"`
	Now     time.Time `json:"now"`
	Stores  []*Store  `json:"stores"`
	// Alignment are the verdicts of --keystore/--truststore and
	// --client-keystore/--server-truststore.
	Alignment []Verdict `json:"alignment,omitempty"`
	// Java is the truststore a JVM reads (--java).
	Java *JavaTrust `json:"java,omitempty"`
	// Findings are every store's findings, most severe first.
	Findings []checks.Finding `json:"findings"`
	// Live is the JSON report of the live probe (--for), as
	// `tlsdoctor HOST --format json` prints it.
	Live json.RawMessage `json:"live,omitempty"`
}

// Inspect judges the stores and fills what the report shows.
func Inspect(stores []*Store, j Judge) *Report {
	r := &Report{Version: ReportVersion, Now: j.Now.UTC(), Stores: stores, Findings: []checks.Finding{}}
	for _, s := range stores {
		DescribeStore(s, j.Now)
		r.Findings = append(r.Findings, Findings(s, j)...)
	}
	return r
}

// DescribeStore fills the certificate details of every entry.
func DescribeStore(s *Store, now time.Time) {
	for _, e := range s.Entries {
		e.Certificates = e.Certificates[:0]
		for _, c := range e.Chain {
			e.Certificates = append(e.Certificates, Describe(c, now))
		}
	}
}

// Sort orders findings most severe first, stable.
func Sort(fs []checks.Finding) {
	for i := 1; i < len(fs); i++ {
		for k := i; k > 0 && fs[k].Severity > fs[k-1].Severity; k-- {
			fs[k], fs[k-1] = fs[k-1], fs[k]
		}
	}
}
