package probe_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// Each crafted record is refused with the field named; each was a panic
// in a check or a renderer before records were validated.
func TestValidateRefuses(t *testing.T) {
	base := `"record_version":1,"started_at":"2026-01-01T00:00:00Z","target":{"host":"a","port":443,"connect_host":"a","connect_port":443}`
	for field, rec := range map[string]string{
		"attempts[0].error.alert":          `{` + base + `,"attempts":[{"purpose":"primary","outcome":"failed","error":{"stage":"handshake","kind":"alert","message":"x"}}]}`,
		"attempts[0].error":                `{` + base + `,"attempts":[{"purpose":"primary","outcome":"failed"}]}`,
		"scan.versions[1].suites":          `{` + base + `,"scan":{"versions":[{"version":"SSL 3.0","version_id":768},{"version":"TLS 1.0","version_id":769,"supported":true}]}}`,
		"revocation.fetches[0].cert_index": `{` + base + `,"revocation":{"mode":"full","fetches":[{"cert_index":5,"source":"ocsp","url":"http://x"}]}}`,
		"client_identity.certificates":     `{` + base + `,"client_identity":{"certificates":[]}}`,
		"target.port":                      `{"record_version":1,"target":{"host":"a","port":70000}}`,
		"target.input":                     `{"record_version":1,"target":{"host":"a","port":443,"input":"` + strings.Repeat("x", 70000) + `"}}`,
		"attempts[0].certificates":         `{` + base + `,"attempts":[{"purpose":"primary","outcome":"ok","certificates":[` + strings.Repeat(`{"der":"AA=="},`, 5000) + `{"der":"AA=="}]}]}`,
		"dns.error.alert":                  `{` + base + `,"dns":{"error":{"stage":"dns","kind":"alert","message":"x"}}}`,
	} {
		_, err := probe.DecodeRecord([]byte(rec))
		var re *probe.RecordError
		if !errors.As(err, &re) || re.Field != field || !errors.Is(err, probe.ErrInvalidRecord) {
			t.Errorf("%s: DecodeRecord = %v, want a RecordError naming %s", field, err, field)
		}
	}
}

// Every record the probe wrote passes.
func TestValidateAcceptsRecordedHandshakes(t *testing.T) {
	paths, _ := os.ReadDir("../testdata/records")
	for _, p := range paths {
		data, err := os.ReadFile("../testdata/records/" + p.Name())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := probe.DecodeRecord(data); err != nil {
			t.Errorf("%s: %v", p.Name(), err)
		}
	}
}
