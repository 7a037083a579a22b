package exporter

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/tlsdoctor/tlsdoctor/engine"
	"github.com/tlsdoctor/tlsdoctor/fixtures"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// testEnv is the lab PKI, its fault servers and files on disk: the lab
// root as ca.pem, the lab client identity as client.crt/client.key.
type testEnv struct {
	lab *fixtures.Lab
	dir string
	now time.Time
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	now := time.Now()
	e := &testEnv{lab: fixtures.TestLab(t, now), dir: t.TempDir(), now: now}
	e.write(t, "ca.pem", e.lab.RootPEM())
	e.write(t, "client.crt", e.lab.PKI.ChainPEM("client", "intermediate"))
	e.write(t, "client.key", e.lab.PKI.Get("client").KeyPEM())
	return e
}

func (e *testEnv) write(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// start runs a lab scenario and returns its target, localhost:PORT.
func (e *testEnv) start(t testing.TB, scenario string) string {
	t.Helper()
	srv, err := e.lab.Start(scenario)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return "127.0.0.1:" + strconv.Itoa(srv.Port)
}

// load writes yaml as exporter.yaml and loads it.
func (e *testEnv) load(t testing.TB, yaml string) *Config {
	t.Helper()
	cfg, err := Load(e.write(t, "exporter.yaml", []byte(yaml)), LoadOptions{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

// labConfig has a module trusting the lab root and one presenting the
// lab client identity as well.
const labConfig = `modules:
  default:
    timeout: 5s
    tls_config:
      ca_file: ca.pem
  mtls:
    timeout: 5s
    tls_config:
      ca_file: ca.pem
      cert_file: client.crt
      key_file: client.key
`

// diagnose runs a module's diagnosis of target.
func diagnose(t testing.TB, m *Module, target string) *engine.Result {
	t.Helper()
	tg, err := probe.ParseTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := engine.Diagnose(ctx, m.Request(tg, m.Timeout, "tlsdoctor test"))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// series gathers a collector and returns every sample as
// `name{a="x",b="y"}` (labels sorted) -> value.
func series(t testing.TB, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	return flatten(mfs)
}

func flatten(mfs []*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+`"`+l.GetValue()+`"`)
			}
			sort.Strings(ls)
			k := mf.GetName()
			if len(ls) > 0 {
				k += "{" + strings.Join(ls, ",") + "}"
			}
			var v float64
			switch {
			case m.Gauge != nil:
				v = m.GetGauge().GetValue()
			case m.Counter != nil:
				v = m.GetCounter().GetValue()
			case m.Histogram != nil:
				v = float64(m.GetHistogram().GetSampleCount())
			}
			out[k] = v
		}
	}
	return out
}

// named returns the samples of one family.
func named(s map[string]float64, name string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range s {
		if k == name || strings.HasPrefix(k, name+"{") {
			out[k] = v
		}
	}
	return out
}
