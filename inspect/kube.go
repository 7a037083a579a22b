package inspect

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A Kubernetes TLS secret (kubectl get secret NAME -o yaml, or -o json,
// or a manifest) holds tls.crt (the chain, PEM), tls.key (the key, PEM)
// and optionally ca.crt, base64-encoded under data: or as text under
// stringData:. A List of secrets (kubectl get secrets -o yaml) is read
// item by item. Errors name the line.

// maxSecretNodes bounds the YAML documents' size in nodes (an alias bomb
// is refused by the decoder itself).
const maxSecretNodes = 100000

type secretField struct {
	value []byte
	line  int
	where string // "data.tls.crt"
}

type secret struct {
	name, namespace, typ string
	line                 int
	fields               map[string]secretField
}

// ParseSecrets reads the TLS secrets of a YAML or JSON document (a
// Secret, a List of them, or several YAML documents). It fails with the
// line of the first problem.
func ParseSecrets(data []byte) ([]secret, string, error) {
	format := "YAML"
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		format = "JSON"
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []secret
	nodes := 0
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, format, fmt.Errorf("is not valid %s: %v", format, err)
		}
		nodes += countNodes(&doc, maxSecretNodes)
		if nodes > maxSecretNodes {
			return nil, format, fmt.Errorf("has more than %d %s nodes", maxSecretNodes, format)
		}
		if len(doc.Content) == 0 {
			continue
		}
		ss, err := secretsOf(doc.Content[0])
		if err != nil {
			return nil, format, err
		}
		out = append(out, ss...)
	}
	if len(out) == 0 {
		return nil, format, fmt.Errorf("holds no Kubernetes Secret with tls.crt, tls.key or ca.crt")
	}
	return out, format, nil
}

func countNodes(n *yaml.Node, limit int) int {
	c := 1
	for _, k := range n.Content {
		if c > limit {
			return c
		}
		c += countNodes(k, limit-c)
	}
	return c
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func secretsOf(n *yaml.Node) ([]secret, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: expected a Kubernetes object (a mapping with kind: Secret)", n.Line)
	}
	switch kind := scalar(mapGet(n, "kind")); kind {
	case "List", "SecretList":
		items := mapGet(n, "items")
		if items == nil || items.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("line %d: a %s without items", n.Line, kind)
		}
		var out []secret
		for _, it := range items.Content {
			ss, err := secretsOf(it)
			if err != nil {
				return nil, err
			}
			out = append(out, ss...)
		}
		return out, nil
	case "Secret", "":
		// A bare data: mapping (kubectl get secret -o jsonpath='{.data}')
		// has no kind; accept it when it holds the TLS fields.
	default:
		return nil, fmt.Errorf("line %d: is a Kubernetes %s, not a Secret", n.Line, kind)
	}
	s := secret{line: n.Line, fields: map[string]secretField{}, typ: scalar(mapGet(n, "type"))}
	if md := mapGet(n, "metadata"); md != nil {
		s.name, s.namespace = scalar(mapGet(md, "name")), scalar(mapGet(md, "namespace"))
	}
	data, stringData := mapGet(n, "data"), mapGet(n, "stringData")
	if data == nil && stringData == nil && scalar(mapGet(n, "kind")) == "" {
		data = n
	}
	for _, part := range []struct {
		name string
		node *yaml.Node
		b64  bool
	}{{"data", data, true}, {"stringData", stringData, false}} {
		if part.node == nil {
			continue
		}
		if part.node.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: %s is not a mapping", part.node.Line, part.name)
		}
		for i := 0; i+1 < len(part.node.Content); i += 2 {
			k, v := part.node.Content[i].Value, part.node.Content[i+1]
			if k != "tls.crt" && k != "tls.key" && k != "ca.crt" {
				continue
			}
			where := part.name + "." + k
			if v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: %s is not a string", v.Line, where)
			}
			val := []byte(v.Value)
			if part.b64 {
				d, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v.Value), ""))
				if err != nil {
					return nil, fmt.Errorf("line %d: %s is not valid base64 (%v); values under data: are base64, under stringData: plain text", v.Line, where, err)
				}
				val = d
			}
			s.fields[k] = secretField{value: val, line: v.Line, where: where}
		}
	}
	if len(s.fields) == 0 {
		what := "the Secret"
		if s.name != "" {
			what = "Secret " + s.name
		}
		return nil, fmt.Errorf("line %d: %s has no tls.crt, tls.key or ca.crt (type %q)", n.Line, what, s.typ)
	}
	return []secret{s}, nil
}

func readSecret(s *Store, data []byte, o Options) error {
	secrets, format, err := ParseSecrets(data)
	if err != nil {
		return inputErr(o.Name, ErrNotAStore, "a TLS secret has data: {tls.crt: BASE64, tls.key: BASE64}; see kubectl create secret tls --help", "%v", err)
	}
	s.Integrity = "none (a Kubernetes secret has no integrity check)"
	var names []string
	for _, sec := range secrets {
		name := sec.name
		if sec.namespace != "" {
			name = sec.namespace + "/" + name
		}
		if name == "" {
			name = fmt.Sprintf("(unnamed, line %d)", sec.line)
		}
		names = append(names, name)
		if sec.typ != "" && sec.typ != "kubernetes.io/tls" {
			s.Notes = append(s.Notes, fmt.Sprintf("secret %s has type %q; ingress controllers want kubernetes.io/tls", name, sec.typ))
		}
		crt, key, ca := sec.fields["tls.crt"], sec.fields["tls.key"], sec.fields["ca.crt"]
		var items []pemItem
		for _, f := range []secretField{crt, key} {
			if f.value == nil {
				continue
			}
			where := fmt.Sprintf("%s %s (line %d): ", name, f.where, f.line)
			if !bytes.Contains(f.value, []byte("-----BEGIN ")) {
				return inputErr(o.Name, ErrNotAStore, "the value must be PEM (base64 once more under data:)", "line %d: %s does not hold PEM", f.line, f.where)
			}
			its, err := readPEM(f.value, where, &s.Notes)
			if err != nil {
				return inputErr(o.Name, ErrCorrupt, "", "line %d: %v", f.line, err)
			}
			items = append(items, its...)
		}
		if crt.value == nil {
			s.Notes = append(s.Notes, "secret "+name+" has no tls.crt")
		}
		if key.value == nil && crt.value != nil {
			s.Notes = append(s.Notes, "secret "+name+" has no tls.key: a TLS secret needs both")
		}
		entries, err := groupPEM(items, o)
		if err != nil {
			return err
		}
		for _, e := range entries {
			e.Alias = name + " tls.crt"
			if e.Kind == KindKey {
				e.Alias = name + " tls.crt/tls.key"
			}
		}
		s.Entries = append(s.Entries, entries...)
		if ca.value != nil {
			its, err := readPEM(ca.value, fmt.Sprintf("%s ca.crt (line %d): ", name, ca.line), &s.Notes)
			if err != nil {
				return inputErr(o.Name, ErrCorrupt, "", "line %d: %v", ca.line, err)
			}
			for _, it := range its {
				if it.cert != nil {
					s.Entries = append(s.Entries, &Entry{Alias: name + " ca.crt", Kind: KindCertificate, Chain: chainFrom(it.cert, nil), Source: it.where})
				}
			}
		}
	}
	s.Container = fmt.Sprintf("Kubernetes secret %s (%s)", strings.Join(names, ", "), format)
	return nil
}
