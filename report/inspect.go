package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/inspect"
)

// InspectJSON writes an inspect report as one JSON document
// (docs/inspect.md).
func InspectJSON(w io.Writer, r *inspect.Report) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	return writeJSON(w, b.Bytes())
}

// compactAbove is the number of entries above which a store is listed one
// line per entry (a JDK's cacerts has ~140); -v lists every detail.
const compactAbove = 8

// InspectText writes an inspect report for people. Like Text, it goes
// through writeTerminal: a control or bidi character that a field left
// (an alias, a subject from the file) never reaches the terminal raw.
func InspectText(w io.Writer, r *inspect.Report, o TextOptions) error {
	var b bytes.Buffer
	inspectText(&b, r, o)
	return writeTerminal(w, b.Bytes(), o.Color)
}

func inspectText(w io.Writer, r *inspect.Report, o TextOptions) {
	p := newPalette(o.Color)
	if o.Quiet {
		for _, f := range r.Findings {
			fmt.Fprintf(w, "%s %s: %s\n", p.sev(f.Severity).Sprint(strings.ToUpper(f.Severity.String())), Escape(f.ID), Escape(f.Title))
		}
		return
	}
	if r.Java != nil {
		javaSection(w, p, r.Java)
	}
	for i, s := range r.Stores {
		if i > 0 || r.Java != nil {
			fmt.Fprintln(w)
		}
		storeSection(w, p, s, o)
	}
	if len(r.Alignment) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, p.bold.Sprint("Alignment"))
		for _, v := range r.Alignment {
			alignLine(w, p, v)
		}
	}
	if len(r.Live) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, p.bold.Sprint("Live probe with this truststore"))
		fmt.Fprint(w, string(r.Live))
	}
	fmt.Fprintln(w)
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, p.ok.Sprint("✓ No problems found."))
		return
	}
	fmt.Fprintln(w, p.bold.Sprintf("Findings: %s", countLine(summarize(r.Findings))))
	pg := newPage(w, o)
	for _, f := range r.Findings {
		finding(pg, f)
	}
}

func kv(w io.Writer, k, v string) { fmt.Fprintf(w, "  %-11s %s\n", k, v) }

func storeSection(w io.Writer, p palette, s *inspect.Store, o TextOptions) {
	fmt.Fprintln(w, p.bold.Sprint("tlsdoctor inspect ")+p.bold.Sprint(Escape(s.File)))
	typ := string(s.Format)
	if s.Container != "" {
		typ = Escape(s.Container)
	}
	if m := s.TypeMismatch; m != nil {
		typ += p.warn.Sprintf(" — but %s says %s", m.By, m.Declared)
	}
	kv(w, "type", typ)
	if s.PasswordUsed != "" {
		kv(w, "password", s.PasswordUsed)
	}
	if s.Integrity != "" {
		kv(w, "integrity", s.Integrity)
	}
	if pr := s.Protection; pr != nil {
		mac := pr.MAC
		if pr.MACIterations > 0 {
			mac += fmt.Sprintf(" (%d iterations)", pr.MACIterations)
		}
		kv(w, "protection", "MAC "+mac)
		kv(w, "", "certificates: "+orNone(pr.Certificates))
		kv(w, "", "keys: "+orNone(pr.Keys))
	}
	kv(w, "entries", entryCount(s))
	for _, n := range s.Notes {
		kv(w, "note", Escape(n))
	}
	compact := len(s.Entries) > compactAbove && !o.Verbose
	for _, e := range s.Entries {
		if compact {
			compactEntry(w, e)
			continue
		}
		entrySection(w, p, e)
	}
	if compact {
		fmt.Fprintf(w, "  (%d entries, one line each; -v shows every detail)\n", len(s.Entries))
	}
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}

func entryCount(s *inspect.Store) string {
	counts := map[string]int{}
	var order []string
	for _, e := range s.Entries {
		if counts[e.Kind] == 0 {
			order = append(order, e.Kind)
		}
		counts[e.Kind]++
	}
	var parts []string
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func compactEntry(w io.Writer, e *inspect.Entry) {
	label := e.Alias
	if label == "" {
		label = e.Source
	}
	if len(e.Certificates) == 0 {
		fmt.Fprintf(w, "  - %s (%s)\n", Escape(label), e.Kind)
		return
	}
	c := e.Certificates[0]
	left := fmt.Sprintf("%d d left", c.DaysLeft)
	if c.Expired {
		left = "EXPIRED"
	}
	fmt.Fprintf(w, "  - %s: %s, until %s (%s)\n", Escape(label), Escape(cn(c.Subject)), c.NotAfter.Format("2006-01-02"), left)
}

func cn(dn string) string {
	for _, part := range strings.Split(dn, ",") {
		if v, ok := strings.CutPrefix(part, "CN="); ok {
			return v
		}
	}
	return dn
}

func entrySection(w io.Writer, p palette, e *inspect.Entry) {
	fmt.Fprintln(w)
	title := "Entry"
	if e.Alias != "" {
		title += ` "` + Escape(e.Alias) + `"`
	}
	title += " — " + e.Kind
	if e.Created != nil {
		title += ", created " + e.Created.Format("2006-01-02")
	}
	fmt.Fprintln(w, p.bold.Sprint(title))
	if e.Source != "" {
		kv(w, "where", Escape(e.Source))
	}
	if k := e.Key; k != nil {
		desc := k.Type
		if k.Matches != nil {
			if *k.Matches {
				desc += ", matches the certificate"
			} else {
				desc += ", " + p.err.Sprint("does NOT match the certificate")
			}
		}
		kv(w, "key", desc)
		if k.Encrypted != "" {
			kv(w, "", "protected by "+k.Encrypted)
		}
		if k.Password != "" {
			kv(w, "", "opened with: "+k.Password)
		}
		if k.Error != "" {
			kv(w, "", p.warn.Sprint(Escape(k.Error)))
		}
	}
	if len(e.Certificates) > 0 {
		roles := e.Certificates[0].ServesAs
		s := strings.Join(roles, ", ")
		if len(roles) == 0 {
			s = "nothing TLS accepts (see its usages)"
		}
		kv(w, "serves as", s)
	}
	for i, c := range e.Certificates {
		role := "leaf"
		switch {
		case i == 0 && (e.Kind == inspect.KindPrivateKey || e.Kind == inspect.KindKey):
		case c.SelfSigned:
			role = "root"
		case i > 0 || c.CA:
			role = "CA"
		}
		fmt.Fprintf(w, "  #%d %-5s %s\n", i, role, Escape(c.Subject))
		sub := func(k, v string) { fmt.Fprintf(w, "       %-9s %s\n", k, v) }
		sub("issuer", Escape(c.Issuer))
		left := fmt.Sprintf("%d days left", c.DaysLeft)
		switch {
		case c.Expired:
			left = p.err.Sprintf("EXPIRED %d days ago", -c.DaysLeft)
		case c.NotYetValid:
			left = p.warn.Sprint("NOT YET VALID")
		}
		sub("valid", fmt.Sprintf("%s → %s (%s)", c.NotBefore.Format("2006-01-02"), c.NotAfter.Format("2006-01-02"), left))
		sub("SHA-256", c.SHA256)
		sub("SHA-1", c.SHA1)
		sub("key", c.Key+", signed "+c.Signature)
		if len(c.SANs) > 0 {
			sub("SANs", Escape(strings.Join(c.SANs, ", ")))
		}
		var use []string
		if len(c.KeyUsage) > 0 {
			use = append(use, strings.Join(c.KeyUsage, ", "))
		}
		if len(c.ExtKeyUsage) > 0 {
			use = append(use, "EKU "+strings.Join(c.ExtKeyUsage, ", "))
		}
		if c.CA {
			ca := "CA:TRUE"
			if c.PathLen != nil {
				ca += fmt.Sprintf(", pathlen %d", *c.PathLen)
			}
			use = append(use, ca)
		}
		if len(use) > 0 {
			sub("usage", strings.Join(use, "; "))
		}
	}
}

func alignLine(w io.Writer, p palette, v inspect.Verdict) {
	mark := p.ok.Sprint("✓")
	if !v.OK {
		mark = p.err.Sprint("✗")
	}
	what := "a client with"
	if v.Direction == inspect.ClientToServer {
		what = "a server with"
	}
	fmt.Fprintf(w, "  %s %s entry \"%s\" → %s %s: ", mark, Escape(v.Keystore), Escape(v.Alias), what, Escape(v.Truststore))
	if v.OK {
		fmt.Fprint(w, "accepts it")
		if v.Name != "" {
			fmt.Fprintf(w, " for %s", Escape(v.Name))
		}
		fmt.Fprintln(w)
	} else {
		var ids []string
		for _, f := range v.Findings {
			ids = append(ids, f.ID)
		}
		if len(ids) == 0 {
			ids = []string{v.Trust}
		}
		fmt.Fprintf(w, "refuses it (%s)\n", strings.Join(ids, ", "))
		for _, r := range v.Reasons {
			fmt.Fprintf(w, "      %s\n", Escape(r))
		}
	}
	if len(v.Path) > 0 {
		fmt.Fprintf(w, "      path: %s\n", Escape(strings.Join(v.Path, " → ")))
	}
}

func javaSection(w io.Writer, p palette, j *inspect.JavaTrust) {
	fmt.Fprintln(w, p.bold.Sprint("Java truststore"))
	home := j.JavaHome + " (" + j.JavaHomeFrom + ")"
	if j.Version != "" {
		home += ", Java " + j.Version
	}
	kv(w, "java home", Escape(home))
	for _, pr := range j.Properties {
		kv(w, "property", Escape(fmt.Sprintf("-D%s=%s (from %s)", pr.Name, pr.Value, pr.From)))
	}
	kv(w, "truststore", Escape(j.TrustStore))
	kv(w, "", Escape("because: "+j.TrustStoreFrom))
	kv(w, "type", Escape(j.Type+" ("+j.TypeFrom+")"))
	pw := "none set (javax.net.ssl.trustStorePassword is unset)"
	if j.PasswordSet {
		pw = "set by " + j.PasswordFrom
	}
	kv(w, "password", Escape(pw))
	if j.JavaSees != "" {
		kv(w, "java sees", Escape(j.JavaSees))
	}
	sec := j.SecurityFile
	if j.SecurityExtra != "" {
		sec += " + " + j.SecurityExtra
	}
	kv(w, "security", Escape(sec))
	kv(w, "tls off", Escape(strings.Join(j.TLSDisabled, ", ")))
	kv(w, "certs off", Escape(strings.Join(j.CertPathDisabled, ", ")))
}
