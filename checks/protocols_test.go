package checks_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// protocolIDs are the IDs owned by the protocol/cipher checks.
var protocolIDs = []string{"protocol-legacy", "weak-cipher", "weak-dh", "tls13-missing", "no-forward-secrecy", "server-ignores-preference", "version-mismatch", "cipher-mismatch", "client-compatible", "policy-deviation"}

func loadScanRecord(t *testing.T, name string) *probe.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "records", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := probe.DecodeRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// run judges a record at its own time and returns the protocol findings
// as "id:severity" strings.
func run(t *testing.T, rec *probe.Record, client string) ([]string, []checks.Finding) {
	t.Helper()
	env := checks.Env{Now: rec.StartedAt}
	if client != "" {
		p, ok := checks.LookupClient(client)
		if !ok {
			t.Fatalf("no client profile %q", client)
		}
		env.Client = &p
	}
	var got []string
	var fs []checks.Finding
	for _, f := range checks.Run(rec, env) {
		if slices.Contains(protocolIDs, f.ID) {
			got = append(got, f.ID+":"+f.Severity.String())
			fs = append(fs, f)
		}
	}
	slices.Sort(got)
	return got, fs
}

func TestProtocolChecksFromScans(t *testing.T) {
	tests := []struct {
		record, client string
		want           []string
		// titles that must appear (a word each), to pin the verdict
		titles []string
	}{
		{"scan-tls10-only", "", []string{"protocol-legacy:warning", "server-ignores-preference:info", "tls13-missing:info", "version-mismatch:error", "weak-cipher:error", "weak-cipher:warning"}, []string{"the server only speaks TLS 1.0"}},
		{"scan-tls10-only", "java17", []string{"protocol-legacy:warning", "server-ignores-preference:info", "tls13-missing:info", "version-mismatch:error", "weak-cipher:error", "weak-cipher:warning"}, []string{"java17 cannot connect: no common protocol version"}},
		{"scan-tls10-only", "openssl1.0.2", []string{"client-compatible:info", "protocol-legacy:warning", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:error", "weak-cipher:warning"}, []string{"openssl1.0.2 can connect: TLS 1.0"}},
		// -no_tls1_3 at SECLEVEL 0 leaves TLS 1.0 and 1.1 on: protocol-legacy is right.
		{"scan-null", "", []string{"cipher-mismatch:error", "protocol-legacy:warning", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:error", "weak-cipher:warning"}, []string{"insecure", "cipher mismatch"}},
		{"scan-null", "go", []string{"cipher-mismatch:error", "protocol-legacy:warning", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:error", "weak-cipher:warning"}, []string{"go cannot connect: no common cipher suite at TLS 1.2"}},
		{"scan-dhe1024", "", []string{"cipher-mismatch:error", "protocol-legacy:warning", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:warning", "weak-dh:warning"}, []string{"1024-bit", "cipher mismatch"}},
		{"scan-dhe1024", "openssl3", []string{"cipher-mismatch:error", "protocol-legacy:warning", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:warning", "weak-dh:warning"}, []string{"DH group is too small"}},
		{"scan-dhe1024", "java17", []string{"client-compatible:info", "protocol-legacy:warning", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:warning", "weak-dh:warning"}, []string{"java17 can connect: TLS 1.2 with TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"}},
		{"scan-dhe1024", "go", []string{"cipher-mismatch:error", "protocol-legacy:warning", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:warning", "weak-dh:warning"}, []string{"no common cipher suite"}},
		// An Ed25519 leaf serves the ECDHE_ECDSA suites in TLS 1.2 (RFC
		// 8422): openssl s_server -tls1_2 with an Ed25519 certificate;
		// Java 17, Go and Python connect with ECDHE-ECDSA-AES256-GCM-SHA384.
		{"scan-ed25519-tls12", "java17", []string{"client-compatible:info", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:info", "weak-cipher:warning"}, []string{"java17 can connect: TLS 1.2"}},
		{"scan-ed25519-tls12", "go", []string{"client-compatible:info", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:info", "weak-cipher:warning"}, []string{"go can connect: TLS 1.2"}},
		{"scan-ed25519-tls12", "java8", []string{"cipher-mismatch:error", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:info", "weak-cipher:warning"}, []string{"java8 cannot connect"}},
		{"scan-tls13-only", "", nil, nil},
		{"scan-tls13-only", "openssl1.0.2", []string{"version-mismatch:error"}, []string{"no common protocol version"}},
		{"scan-tls13-only", "java8", []string{"client-compatible:info"}, nil},
		// Java 8 has no X25519.
		{"scan-x25519-only", "java8", []string{"cipher-mismatch:error"}, []string{"java8 cannot connect: no common key-exchange group"}},
		{"scan-x25519-only", "java17", []string{"client-compatible:info"}, nil},
		{"scan-serverpref", "", []string{"tls13-missing:info", "weak-cipher:warning"}, nil},
		{"scan-nofs-preferred", "", []string{"no-forward-secrecy:warning", "tls13-missing:info", "weak-cipher:warning"}, []string{"prefers suites without forward secrecy"}},
		{"scan-nofs", "", []string{"cipher-mismatch:error", "no-forward-secrecy:warning", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:warning"}, []string{"no forward-secret key exchange", "cipher mismatch"}},
		{"scan-clientpref", "", []string{"server-ignores-preference:info", "tls13-missing:info", "weak-cipher:warning"}, []string{"client's cipher order"}},
		{"scan-go-rc4-3des", "", []string{"tls13-missing:info", "weak-cipher:error", "weak-cipher:warning"}, nil},
		// A server that signs TLS 1.2 key exchanges only with SHA-1: Java
		// 17 offers rsa_pkcs1_sha1 and connects; OpenSSL 3 and Go do not.
		{"scan-sha1-signatures", "", []string{"cipher-mismatch:error", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:info", "weak-cipher:warning"}, []string{"signature algorithm mismatch: the server signs TLS 1.2 key exchanges with rsa_pkcs1_sha1"}},
		{"scan-sha1-signatures", "openssl3", []string{"cipher-mismatch:error", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:info", "weak-cipher:warning"}, []string{"openssl3 cannot connect: no common signature algorithm (the server signs only with rsa_pkcs1_sha1)"}},
		{"scan-sha1-signatures", "go", []string{"cipher-mismatch:error", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:info", "weak-cipher:warning"}, []string{"go cannot connect: no common signature algorithm"}},
		{"scan-sha1-signatures", "java17", []string{"client-compatible:info", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:info", "weak-cipher:warning"}, []string{"java17 can connect: TLS 1.2"}},
		// Signature schemes unknown for OpenSSL 1.1.1: not judged on them.
		{"scan-sha1-signatures", "openssl1.1.1", []string{"client-compatible:info", "server-ignores-preference:info", "tls13-missing:info", "weak-cipher:info", "weak-cipher:warning"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.record+"/"+tt.client, func(t *testing.T) {
			got, fs := run(t, loadScanRecord(t, tt.record), tt.client)
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings = %v\nwant       %v", got, tt.want)
			}
			var titles []string
			for _, f := range fs {
				titles = append(titles, f.Title)
			}
			all := strings.Join(titles, " | ")
			for _, w := range tt.titles {
				if !strings.Contains(all, w) {
					t.Errorf("no finding title contains %q; titles: %s", w, all)
				}
			}
		})
	}
}

func TestWeakCipherReasons(t *testing.T) {
	rec := loadScanRecord(t, "scan-go-rc4-3des")
	_, fs := run(t, rec, "")
	ev := ""
	for _, f := range fs {
		if f.ID == "weak-cipher" {
			ev += strings.Join(f.Evidence, "\n") + "\n"
		}
	}
	for _, want := range []string{"TLS_RSA_WITH_RC4_128_SHA (RC4-SHA) — RC4", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "Sweet32", "no forward secrecy"} {
		if !strings.Contains(ev, want) {
			t.Errorf("weak-cipher evidence lacks %q:\n%s", want, ev)
		}
	}
}

func TestClientProfiles(t *testing.T) {
	for _, p := range checks.ClientProfiles() {
		if p.Source == "" || len(p.Versions) == 0 || len(p.Suites) == 0 {
			t.Errorf("profile %s is incomplete: source %q, %d versions, %d suites", p.Name, p.Source, len(p.Versions), len(p.Suites))
		}
	}
	want := []string{"java8", "java11", "java17", "java21", "openssl1.0.2", "openssl1.1.1", "openssl3", "curl", "go", "python", "node", "dotnet"}
	if got := checks.ClientProfileNames(); !slices.Equal(got, want) {
		t.Errorf("profiles = %v, want %v", got, want)
	}
}

// TestDefaultRunMismatch judges the default run's attempts alone (the
// scan removed): the legacy-versions retry names the mismatch.
func TestDefaultRunMismatch(t *testing.T) {
	tests := []struct {
		record string
		want   []string
		title  string
	}{
		// The retry negotiated TLS 1.0 with a CBC-SHA1 suite: that is
		// proof enough for protocol-legacy and weak-cipher (issue 10).
		{"scan-tls10-only", []string{"protocol-legacy:warning", "version-mismatch:error", "weak-cipher:warning"}, "version mismatch: the server only speaks TLS 1.0"},
		{"scan-nofs", []string{"cipher-mismatch:error", "no-forward-secrecy:warning", "weak-cipher:warning"}, "cipher mismatch: the server only accepts suites Go's defaults do not offer, such as TLS_RSA_WITH_AES_"},
		{"scan-tls13-only", nil, ""},
		// Go cannot speak DHE: the all-suites ClientHello names the suite.
		{"scan-dhe1024", []string{"cipher-mismatch:error"}, "cipher mismatch: the server only accepts suites Go's defaults do not offer, such as TLS_DHE_RSA_WITH_"},
		// Go offers the suite; the retry with OpenSSL 3's signature
		// schemes was refused: the signature is the mismatch.
		{"scan-sha1-signatures", []string{"cipher-mismatch:error"}, "signature algorithm mismatch: the server signs TLS 1.2 key exchanges with rsa_pkcs1_sha1"},
	}
	for _, tt := range tests {
		t.Run(tt.record, func(t *testing.T) {
			rec := loadScanRecord(t, tt.record)
			rec.Scan = nil
			got, fs := run(t, rec, "")
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings = %v, want %v", got, tt.want)
			}
			found := tt.title == ""
			for _, f := range fs {
				if strings.HasPrefix(f.Title, tt.title) {
					found = true
				}
			}
			if !found {
				t.Errorf("no finding titled %q", tt.title)
			}
		})
	}
}

func TestPolicyDeviation(t *testing.T) {
	tests := []struct {
		record, policy string
		want           []string // evidence lines that must appear, as prefixes
		count          int
	}{
		// OpenSSL 3.0 also accepts X448, P-521 and the five FFDHE groups in TLS 1.3.
		{"scan-tls13-only", "mozilla-modern", []string{"group: CurveP521 is accepted", "group: X448 is accepted", "group: ffdhe2048 is accepted", "certificate: RSA key; mozilla-modern requires ECDSA"}, 8},
		{"scan-tls13-only", "mozilla-intermediate", []string{"version: TLS 1.2 is not enabled", "group: CurveP521 is accepted", "group: ffdhe8192 is accepted"}, 8},
		{"scan-dhe1024", "mozilla-intermediate", []string{"version: TLS 1.0 is enabled", "version: TLS 1.1 is enabled", "version: TLS 1.3 is not enabled", "suite: TLS 1.2 accepts TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", "key exchange: TLS 1.2 DH parameters are 1024 bits; mozilla-intermediate requires 2048"}, 5},
		{"scan-dhe1024", "mozilla-modern", []string{"version: TLS 1.2 is enabled; mozilla-modern allows only TLS 1.3", "version: TLS 1.3 is not enabled", "certificate: RSA key"}, 5},
		{"scan-go-rc4-3des", "mozilla-old", []string{"suite: TLS 1.2 accepts TLS_RSA_WITH_RC4_128_SHA (RC4-SHA), not in mozilla-old", "version: TLS 1.3 is not enabled"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.record+"/"+tt.policy, func(t *testing.T) {
			rec := loadScanRecord(t, tt.record)
			p, ok := checks.LookupPolicy(tt.policy)
			if !ok {
				t.Fatal("no policy", tt.policy)
			}
			var f *checks.Finding
			for _, x := range checks.Run(rec, checks.Env{Now: rec.StartedAt, Policy: &p}) {
				if x.ID == "policy-deviation" {
					f = &x
				}
			}
			if f == nil || f.Severity != checks.Warning {
				t.Fatalf("policy-deviation finding = %+v, want a warning", f)
			}
			if tt.count > 0 && len(f.Evidence) != tt.count {
				t.Errorf("%d deviations, want %d: %q", len(f.Evidence), tt.count, f.Evidence)
			}
			for _, w := range tt.want {
				if !slices.ContainsFunc(f.Evidence, func(e string) bool { return strings.HasPrefix(e, w) }) {
					t.Errorf("no deviation starting %q in %q", w, f.Evidence)
				}
			}
		})
	}
}

func TestClientVerdictUnknownWhenIncomplete(t *testing.T) {
	rec := loadScanRecord(t, "scan-tls10-only")
	rec.Scan.Incomplete = true
	rec.Scan.Errors = []string{"TLS 1.2: timeout: i/o timeout"}
	got, fs := run(t, rec, "java17")
	if !slices.Contains(got, "version-mismatch:info") || slices.Contains(got, "version-mismatch:error") || slices.Contains(got, "client-compatible:info") {
		t.Fatalf("findings %v; want only an info saying the verdict is unknown", got)
	}
	for _, f := range fs {
		if f.ID == "version-mismatch" && !strings.HasPrefix(f.Title, "could not establish whether java17 can connect") {
			t.Errorf("title %q", f.Title)
		}
	}
}

// TestDefaultRunNoFalseMismatch: when the retry negotiates something the
// primary attempt offered too, the failure had another cause; no
// mismatch is claimed.
func TestDefaultRunNoFalseMismatch(t *testing.T) {
	rec := loadScanRecord(t, "scan-serverpref")
	rec.Scan = nil
	p := rec.Attempts[0]
	p.Outcome = "failed"
	p.Error = &probe.ProbeError{Stage: probe.StageHandshake, Kind: probe.KindAlert, Message: "remote error: tls: handshake failure", Alert: &probe.Alert{Code: 40, Name: "handshake_failure", Direction: "received"}}
	retry := rec.Attempts[0]
	retry.Purpose, retry.Outcome = probe.PurposeLegacy, "ok"
	retry.Version, retry.VersionID = "TLS 1.2", 0x0303
	retry.CipherSuite, retry.CipherID = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC02F
	rec.Attempts = []probe.Attempt{p, retry}
	got, _ := run(t, rec, "")
	for _, g := range got {
		if strings.HasPrefix(g, "cipher-mismatch") || strings.HasPrefix(g, "version-mismatch") {
			t.Errorf("findings %v claim a mismatch the retry does not show", got)
		}
	}
}

// The weak-cipher titles name only the weaknesses found: a server whose
// only weak suites lack forward secrecy is not said to accept 3DES or MD5.
func TestWeakCipherTitleNamesWhatWasFound(t *testing.T) {
	_, fs := run(t, loadScanRecord(t, "scan-nofs"), "")
	var title string
	for _, f := range fs {
		if f.ID == "weak-cipher" && f.Severity == checks.Warning {
			title = f.Title
		}
	}
	if !strings.Contains(title, "(no forward secrecy, CBC with HMAC-SHA1)") {
		t.Errorf("title %q: want exactly the reasons found, (no forward secrecy, CBC with HMAC-SHA1)", title)
	}
	_, fs = run(t, loadScanRecord(t, "scan-go-rc4-3des"), "")
	titles := ""
	for _, f := range fs {
		titles += f.Title + " | "
	}
	for _, w := range []string{"RC4", "3DES"} {
		if !strings.Contains(titles, w) {
			t.Errorf("titles %q lack %s", titles, w)
		}
	}
}

// TestSigAlgMismatchNeedsTheRefusal: an answer signed with SHA-1 alone
// proves nothing when the same hello with current schemes was answered
// too (the server merely preferred SHA-1): no mismatch is claimed, and the
// failure stays unexplained (handshake-failed).
func TestSigAlgMismatchNeedsTheRefusal(t *testing.T) {
	rec := loadScanRecord(t, "scan-sha1-signatures")
	rec.Scan = nil
	for i := range rec.Attempts {
		if a := &rec.Attempts[i]; a.Purpose == probe.PurposeModernSigAlgs {
			a.Outcome, a.Error = "server-hello", nil
			a.SigAlg, a.SigAlgID = "rsa_pkcs1_sha256", 0x0401
		}
	}
	var ids []string
	for _, f := range checks.Run(rec, checks.Env{Now: rec.StartedAt}) {
		ids = append(ids, f.ID)
	}
	if slices.Contains(ids, "cipher-mismatch") || !slices.Contains(ids, "handshake-failed") {
		t.Errorf("findings %v: want handshake-failed and no cipher-mismatch", ids)
	}
}
