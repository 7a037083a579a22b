package exporter

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// yamlBlocks are the ```yaml blocks of a document.
func yamlBlocks(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(data), -1) {
		out = append(out, m[1])
	}
	return out
}

// TestMonitoringDocPromtool: the scrape configuration and alert rules of
// docs/monitoring.md are what Prometheus' own checker accepts, and the
// module example loads.
func TestMonitoringDocPromtool(t *testing.T) {
	blocks := yamlBlocks(t, "../docs/monitoring.md")
	dir := t.TempDir()
	var rules, scrape, modules string
	for _, b := range blocks {
		switch {
		case strings.HasPrefix(b, "groups:"):
			rules = b
		case strings.HasPrefix(b, "scrape_configs:"):
			scrape = b
		case strings.HasPrefix(b, "modules:"):
			modules = b
		}
	}
	if rules == "" || scrape == "" || modules == "" {
		t.Fatalf("docs/monitoring.md lacks a rules, scrape or modules block (%d yaml blocks)", len(blocks))
	}

	// The modules example: every key parses; its files do not exist here,
	// so loading stops at the first file, with its line.
	p := filepath.Join(dir, "exporter.yaml")
	if err := os.WriteFile(p, []byte(modules), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := parseFile(p); err != nil {
		t.Errorf("the documented configuration does not parse: %v", err)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install -y prometheus)")
	}
	rp := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(rp, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", rp).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
	cp := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cp, []byte(scrape+"\nrule_files: [rules.yml]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", cp).CombinedOutput(); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
	// The sharding snippet, inside a job.
	shards := 0
	for _, b := range blocks {
		if !strings.HasPrefix(strings.TrimSpace(b), "relabel_configs:") {
			continue
		}
		shards++
		job := "scrape_configs:\n  - job_name: shard\n    metrics_path: /probe\n    static_configs: [{targets: [a.example.com:443]}]\n" + b
		sp := filepath.Join(dir, "shard.yml")
		if err := os.WriteFile(sp, []byte(job), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(promtool, "check", "config", sp).CombinedOutput(); err != nil {
			t.Errorf("promtool check config (hashmod): %v\n%s", err, out)
		}
	}
	if shards == 0 {
		t.Error("docs/monitoring.md has no relabel_configs block for hashmod sharding")
	}
}
