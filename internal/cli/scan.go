package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/checks"
	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
)

const scanUsage = `
Scan (protocols and ciphers):
      --scan               enumerate every protocol version (SSL 3.0–TLS 1.3), cipher suite,
                           key-exchange group and DH size the server accepts
      --max-conns N        at most N connections at once during --scan (default 4)
      --delay DURATION     wait DURATION between connection starts (gentle: --max-conns 1 --delay 200ms)
      --client NAME        judge whether this client can connect (implies --scan): %s
      --tls-min V, --tls-max V
                           a custom client offering versions V (1.0, 1.1, 1.2, 1.3; implies --scan)
      --ciphers LIST       the custom client's suites, comma-separated IANA or OpenSSL names
      --policy NAME        list every deviation from a Mozilla profile (implies --scan):
                           mozilla-modern, mozilla-intermediate or mozilla-old (guidelines 5.7)
  e.g. tlsdoctor --scan api.partner.com
       tlsdoctor --client java8 api.partner.com
       tlsdoctor --scan --max-conns 1 --delay 200ms --policy mozilla-intermediate api.partner.com
`

// scanOptions are the --scan flags.
type scanOptions struct {
	scan     bool
	maxConns int
	delay    time.Duration
	client   string
	tlsMin   string
	tlsMax   string
	ciphers  []string
	policy   string
}

func (s *scanOptions) register(fs *pflag.FlagSet) {
	fs.BoolVar(&s.scan, "scan", false, "")
	fs.IntVar(&s.maxConns, "max-conns", 4, "")
	fs.DurationVar(&s.delay, "delay", 0, "")
	s.registerJudge(fs)
}

// registerJudge registers the flags that only change the verdict, not the
// probe: diagnose takes them to judge a saved scan offline.
func (s *scanOptions) registerJudge(fs *pflag.FlagSet) {
	fs.StringVar(&s.client, "client", "", "")
	fs.StringVar(&s.tlsMin, "tls-min", "", "")
	fs.StringVar(&s.tlsMax, "tls-max", "", "")
	fs.StringSliceVar(&s.ciphers, "ciphers", nil, "")
	fs.StringVar(&s.policy, "policy", "", "")
}

// policyProfile returns the --policy profile, or nil. A policy turns on
// --scan.
func (s *scanOptions) policyProfile() (*checks.Policy, error) {
	if s.policy == "" {
		return nil, nil
	}
	p, ok := checks.LookupPolicy(s.policy)
	if !ok {
		return nil, &usageError{msg: fmt.Sprintf("--policy %q is not a known policy", s.policy), hint: "policies: " + strings.Join(checks.PolicyNames(), ", ")}
	}
	s.scan = true
	return &p, nil
}

// validateConns checks --max-conns and --delay.
func (s *scanOptions) validateConns() error {
	switch {
	case s.maxConns < 1:
		return &usageError{msg: fmt.Sprintf("--max-conns must be at least 1, got %d", s.maxConns), hint: "--max-conns 1 --delay 200ms scans gently"}
	case s.maxConns > 16:
		return &usageError{msg: fmt.Sprintf("--max-conns %d would hammer the server (at most 16)", s.maxConns), hint: "the default, 4, is enough"}
	case s.delay < 0:
		return &usageError{msg: "--delay must not be negative", hint: "for example --delay 200ms"}
	}
	return nil
}

// profile validates the flags and returns the client profile they name,
// or nil. Naming a client turns on --scan.
func (s *scanOptions) profile() (*checks.ClientProfile, error) {
	if err := s.validateConns(); err != nil {
		return nil, err
	}
	custom := s.tlsMin != "" || s.tlsMax != "" || len(s.ciphers) > 0
	if s.client != "" && custom {
		return nil, &usageError{msg: "--client and --tls-min/--tls-max/--ciphers contradict each other", hint: "--client names a built-in profile; the others build a custom one"}
	}
	if s.client != "" {
		p, ok := checks.LookupClient(s.client)
		if !ok {
			return nil, &usageError{msg: fmt.Sprintf("--client %q is not a known client", s.client), hint: "clients: " + strings.Join(checks.ClientProfileNames(), ", ")}
		}
		s.scan = true
		return &p, nil
	}
	if !custom {
		return nil, nil
	}
	s.scan = true
	lo, hi := uint16(0x0303), uint16(0x0304)
	var err error
	if s.tlsMin != "" {
		if lo, err = parseVersionFlag("--tls-min", s.tlsMin); err != nil {
			return nil, err
		}
	}
	if s.tlsMax != "" {
		if hi, err = parseVersionFlag("--tls-max", s.tlsMax); err != nil {
			return nil, err
		}
	}
	if lo > hi {
		return nil, &usageError{msg: fmt.Sprintf("--tls-min %s is above --tls-max %s", s.tlsMin, s.tlsMax), hint: "for example --tls-min 1.2 --tls-max 1.3"}
	}
	p := &checks.ClientProfile{Name: "custom client", Description: "the client given by --tls-min/--tls-max/--ciphers", Source: "command-line flags", Kind: "custom"}
	for v := lo; v <= hi; v++ {
		p.Versions = append(p.Versions, v)
	}
	if len(s.ciphers) == 0 {
		p.Suites = ciphersuite.Scannable()
		p.Source += " (no --ciphers: every suite)"
	}
	for _, c := range s.ciphers {
		info, ok := ciphersuite.ByName(c)
		if !ok {
			return nil, &usageError{msg: fmt.Sprintf("--ciphers: %q is not a cipher suite name", c), hint: "use IANA names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or OpenSSL names (ECDHE-RSA-AES128-GCM-SHA256)"}
		}
		p.Suites = append(p.Suites, info.ID)
	}
	if hi >= 0x0304 && len(s.ciphers) > 0 && !hasTLS13Suite(p.Suites) {
		p.Suites = append(p.Suites, ciphersuite.TLS13()[:3]...)
	}
	return p, nil
}

func hasTLS13Suite(ids []uint16) bool {
	for _, id := range ids {
		if id >= 0x1301 && id <= 0x1305 {
			return true
		}
	}
	return false
}

func parseVersionFlag(flag, v string) (uint16, error) {
	switch strings.TrimPrefix(strings.ToLower(strings.ReplaceAll(v, " ", "")), "tlsv") {
	case "1.0", "1", "tls1.0":
		return 0x0301, nil
	case "1.1", "tls1.1":
		return 0x0302, nil
	case "1.2", "tls1.2":
		return 0x0303, nil
	case "1.3", "tls1.3":
		return 0x0304, nil
	}
	return 0, &usageError{msg: fmt.Sprintf("%s %q is not a TLS version", flag, v), hint: flag + " 1.2 (one of 1.0, 1.1, 1.2, 1.3)"}
}

// judge validates the verdict flags into out (for diagnose, which never
// scans: a record without a scan gets no client or policy verdict).
func (s *scanOptions) judge(out *outputOptions) error {
	s.maxConns = 4
	var err error
	if out.client, err = s.profile(); err != nil {
		return err
	}
	out.policy, err = s.policyProfile()
	return err
}
