package checks

import (
	"fmt"
	"strings"
)

// cert-policy-violation: Go (1.22+) and Java validate certificate
// policies (RFC 5280 6.1: requireExplicitPolicy, inhibitPolicyMapping,
// inhibitAnyPolicy) and refuse a path whose policy tree ends empty when a
// CA requires an explicit policy. OpenSSL does not check policies unless
// asked (-policy_check), so curl and Python connect (measured).

func certPolicyViolation(in *Input) []Finding {
	g := in.GoVerify(0)
	tr := in.Trust(0)
	if g == nil || tr == nil || goErrorKind(g.PathErr) != goPolicy || !strings.Contains(g.PathErr.Error(), "invalid policies") {
		return nil
	}
	var ev []string
	for i, c := range tr.Path {
		var parts []string
		if c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero {
			parts = append(parts, fmt.Sprintf("requireExplicitPolicy %d", c.RequireExplicitPolicy))
		}
		if c.InhibitPolicyMapping > 0 || c.InhibitPolicyMappingZero {
			parts = append(parts, fmt.Sprintf("inhibitPolicyMapping %d", c.InhibitPolicyMapping))
		}
		if c.InhibitAnyPolicy > 0 || c.InhibitAnyPolicyZero {
			parts = append(parts, fmt.Sprintf("inhibitAnyPolicy %d", c.InhibitAnyPolicy))
		}
		var pols []string
		for _, p := range c.Policies {
			pols = append(pols, p.String())
		}
		if len(pols) == 0 {
			pols = []string{"none"}
		}
		line := fmt.Sprintf("%s %q: certificate policies %s", pathRole(in, i), Name(c), strings.Join(pols, ", "))
		if len(parts) > 0 {
			line += "; " + strings.Join(parts, ", ")
		}
		ev = append(ev, line)
	}
	return []Finding{{
		Title:    "the path's certificate policies are invalid: a CA requires an explicit policy that the certificates below it do not carry",
		Detail:   "A CA on the path sets policy constraints (requireExplicitPolicy, inhibitAnyPolicy or inhibitPolicyMapping), and following them leaves no acceptable certificate policy for the leaf. Go and Java validate policies and refuse the path; OpenSSL (curl, Python) does not check policies by default and connects.",
		Evidence: append(ev, describeGo(g, tr.Store.Name)),
		Clients: []ClientVerdict{
			pathClient("java-policy"),
			{Client: "go", Fails: true, Message: g.Message()},
			connects("curl", "connects: OpenSSL checks policies only when asked (-policy_check)"),
			connects("openssl", "connects: OpenSSL checks policies only when asked (-policy_check)"),
			connects("python", "connects: OpenSSL checks policies only when asked (-policy_check)"),
		},
		Fix: []Step{
			Say("Reissue the intermediate(s) and leaf with a certificatePolicies extension that carries a policy the constraining CA allows (or anyPolicy where it is not inhibited); or remove the policy constraint from the CA certificate if nothing relies on it."),
			Set("openssl.cnf", "certificatePolicies = 2.23.140.1.2.1"),
		},
	}}
}
