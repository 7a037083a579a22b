package exporter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxConfigSize bounds the configuration file read.
const maxConfigSize = 4 << 20

// ConfigError is an unusable configuration: the file, the line (0 when
// the whole file is at fault), the key and what is wrong, with a hint.
// It never contains a password.
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
	Hint string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// The file's shape. Every leaf is a yaml.Node so that each value keeps
// its line for error messages; the decoder runs with KnownFields so an
// unknown key is refused (knownKeys names it with its line first).
type fileYAML struct {
	Modules        yaml.Node `yaml:"modules"`
	AllowedTargets yaml.Node `yaml:"allowed_targets"`
}

// moduleYAML holds blackbox_exporter's key names where they exist
// (timeout, tls_config, preferred_ip_protocol, ip_protocol_fallback,
// prober) and tlsdoctor's beside them.
type moduleYAML struct {
	Prober              yaml.Node `yaml:"prober"`
	Timeout             yaml.Node `yaml:"timeout"`
	TLSConfig           *tlsYAML  `yaml:"tls_config"`
	PreferredIPProtocol yaml.Node `yaml:"preferred_ip_protocol"`
	IPProtocolFallback  yaml.Node `yaml:"ip_protocol_fallback"`
	Truststore          yaml.Node `yaml:"truststore"`
	TruststorePassword  yaml.Node `yaml:"truststore_password_file"`
	Keystore            yaml.Node `yaml:"keystore"`
	KeystoreAlias       yaml.Node `yaml:"keystore_alias"`
	KeystorePassword    yaml.Node `yaml:"keystore_password_file"`
	KeyPassword         yaml.Node `yaml:"key_password_file"`
	CertPassword        yaml.Node `yaml:"cert_password_file"`
	StartTLS            yaml.Node `yaml:"starttls"`
	ProxyURL            yaml.Node `yaml:"proxy_url"`
	Revocation          yaml.Node `yaml:"revocation"`
	AllIPs              yaml.Node `yaml:"all_ips"`
	WarnDays            yaml.Node `yaml:"warn_days"`
	NoAIA               yaml.Node `yaml:"no_aia"`
	Scan                yaml.Node `yaml:"scan"`
	SNICheck            yaml.Node `yaml:"sni_check"`
}

// tlsYAML is blackbox_exporter's tls_config.
type tlsYAML struct {
	CAFile             yaml.Node `yaml:"ca_file"`
	CertFile           yaml.Node `yaml:"cert_file"`
	KeyFile            yaml.Node `yaml:"key_file"`
	ServerName         yaml.Node `yaml:"server_name"`
	MinVersion         yaml.Node `yaml:"min_version"`
	MaxVersion         yaml.Node `yaml:"max_version"`
	InsecureSkipVerify yaml.Node `yaml:"insecure_skip_verify"`
}

// parseFile reads and decodes the configuration file. Errors name the
// line.
func parseFile(path string) (*fileYAML, map[string]*moduleYAML, []string, error) {
	fail := func(line int, key, msg, hint string) error {
		return &ConfigError{File: path, Line: line, Key: key, Msg: msg, Hint: hint}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, fail(0, "", "cannot read: "+pathErr(err).Error(), "give --config the path of a YAML file (see docs/monitoring.md)")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, nil, nil, fail(0, "", "cannot read: "+pathErr(err).Error(), "")
	}
	if len(data) > maxConfigSize {
		return nil, nil, nil, fail(0, "", fmt.Sprintf("is larger than %d MiB", maxConfigSize>>20), "a configuration file holds modules, not data")
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, nil, fail(syntaxErrorLine(data, err), "", "YAML syntax: "+stripLine(err), "check the indentation (spaces, not tabs), colons and quotes on that line")
	}
	if len(doc.Content) == 0 {
		return nil, nil, nil, fail(0, "", "is empty", "a configuration file has a modules: section (see docs/monitoring.md)")
	}
	root := doc.Content[0]
	if err := knownKeys(path, root, reflect.TypeOf(fileYAML{}), "", 0); err != nil {
		return nil, nil, nil, err
	}
	var top fileYAML
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&top); err != nil {
		line, msg := yamlErrorLine(err)
		return nil, nil, nil, fail(line, "", msg, "")
	}
	if top.Modules.Kind == 0 {
		return nil, nil, nil, fail(0, "modules", "missing", "add a modules: section with at least one module (see docs/monitoring.md)")
	}
	if top.Modules.Kind != yaml.MappingNode {
		return nil, nil, nil, fail(top.Modules.Line, "modules", "must be a mapping of module names to settings", "modules:\n  default:\n    timeout: 10s")
	}
	if len(top.Modules.Content) == 0 {
		return nil, nil, nil, fail(top.Modules.Line, "modules", "holds no module", "add at least one module, for example default: {timeout: 10s}")
	}
	mods := map[string]*moduleYAML{}
	var order []string
	for i := 0; i+1 < len(top.Modules.Content); i += 2 {
		k, v := top.Modules.Content[i], top.Modules.Content[i+1]
		name := k.Value
		if !validModuleName(name) {
			return nil, nil, nil, fail(k.Line, "modules", fmt.Sprintf("module name %q is not usable in a URL", name), "use letters, digits, '_', '-' and '.'")
		}
		var m moduleYAML
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			mods[name], order = &m, append(order, name)
			continue
		}
		if v.Kind != yaml.MappingNode {
			return nil, nil, nil, fail(v.Line, "modules."+name, "must be a mapping of settings", "for example timeout: 10s")
		}
		if err := v.Decode(&m); err != nil {
			line, msg := yamlErrorLine(err)
			return nil, nil, nil, fail(line, "modules."+name, msg, "")
		}
		mods[name], order = &m, append(order, name)
	}
	return &top, mods, order, nil
}

func validModuleName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
}

// knownKeys walks a mapping node and refuses any key the struct type t
// does not declare, naming its line and the keys that are known. It
// recurses into fields that are structs (tls_config) and into the
// modules mapping.
func knownKeys(path string, n *yaml.Node, t reflect.Type, where string, depth int) error {
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		what := "the file"
		if where != "" {
			what = where
		}
		return &ConfigError{File: path, Line: n.Line, Key: where, Msg: what + " must be a mapping of keys to values", Hint: "see docs/monitoring.md for the layout"}
	}
	fields := map[string]reflect.Type{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = f.Type
		names = append(names, tag)
	}
	sort.Strings(names)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		full := key
		if where != "" {
			full = where + "." + key
		}
		ft, ok := fields[key]
		if !ok {
			return &ConfigError{File: path, Line: k.Line, Key: full, Msg: "unknown key", Hint: "known keys here: " + strings.Join(names, ", ")}
		}
		if ft.Kind() == reflect.Ptr && ft.Elem().Kind() == reflect.Struct && ft.Elem() != reflect.TypeOf(yaml.Node{}) {
			if err := knownKeys(path, v, ft.Elem(), full, depth+1); err != nil {
				return err
			}
		}
		if depth == 0 && key == "modules" && v.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				mv := v.Content[j+1]
				if mv.Kind == yaml.MappingNode {
					if err := knownKeys(path, mv, reflect.TypeOf(moduleYAML{}), "modules."+v.Content[j].Value, depth+1); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// syntaxErrorLine finds the line of a YAML syntax error. The library
// reports the line where the enclosing block starts, not where the
// mistake is, so this parses growing prefixes of the file and returns the
// first line at which the same error appears (0 when it cannot tell).
func syntaxErrorLine(data []byte, err error) int {
	const maxLines = 5000
	want := stripLine(err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxLines {
		return 0
	}
	var prefix []byte
	for i, l := range lines {
		prefix = append(prefix, l...)
		var n yaml.Node
		if e := yaml.Unmarshal(prefix, &n); e != nil && stripLine(e) == want {
			return i + 1
		}
	}
	return 0
}

// stripLine is a yaml error's message without "yaml: line N: ".
func stripLine(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
		_, msg, _ = strings.Cut(msg, ":")
	}
	return strings.TrimSpace(msg)
}

// yamlErrorLine splits the line number out of a yaml error ("yaml: line
// 3: did not find expected key"), which the library reports only as text.
func yamlErrorLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		_, rest, _ := strings.Cut(msg, ":")
		return line, strings.TrimSpace(rest)
	}
	return 0, msg
}

// pathErr strips the path from an *os.PathError: messages name the file
// once, themselves.
func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
