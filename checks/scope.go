package checks

// scanOnly are the checks that look only at a --scan: without one they
// cannot find anything, so a report must not present them as passed.
var scanOnly = map[string]bool{
	"protocol-legacy": true, "weak-cipher": true, "weak-dh": true, "no-forward-secrecy": true,
	"server-ignores-preference": true, "policy-deviation": true,
}

// NeedsScan reports whether the check id judges only what a --scan
// enumerates (versions, suites, groups, DH sizes): without a scan it was
// not run, not passed.
func NeedsScan(id string) bool { return scanOnly[id] }
