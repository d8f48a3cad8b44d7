package metrics

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/sockrun/sockrun/luaapi/metricset"
)

// clientFamilies are the go_ and process_ families, with their types,
// that Prometheus' Go client (client_golang 1.25's NewGoCollector and
// NewProcessCollector) served at sockrun's /metrics on Linux.
var clientFamilies = map[string]string{
	"go_gc_duration_seconds":               "summary",
	"go_gc_gogc_percent":                   "gauge",
	"go_gc_gomemlimit_bytes":               "gauge",
	"go_goroutines":                        "gauge",
	"go_info":                              "gauge",
	"go_memstats_alloc_bytes":              "gauge",
	"go_memstats_alloc_bytes_total":        "counter",
	"go_memstats_buck_hash_sys_bytes":      "gauge",
	"go_memstats_frees_total":              "counter",
	"go_memstats_gc_sys_bytes":             "gauge",
	"go_memstats_heap_alloc_bytes":         "gauge",
	"go_memstats_heap_idle_bytes":          "gauge",
	"go_memstats_heap_inuse_bytes":         "gauge",
	"go_memstats_heap_objects":             "gauge",
	"go_memstats_heap_released_bytes":      "gauge",
	"go_memstats_heap_sys_bytes":           "gauge",
	"go_memstats_last_gc_time_seconds":     "gauge",
	"go_memstats_mallocs_total":            "counter",
	"go_memstats_mcache_inuse_bytes":       "gauge",
	"go_memstats_mcache_sys_bytes":         "gauge",
	"go_memstats_mspan_inuse_bytes":        "gauge",
	"go_memstats_mspan_sys_bytes":          "gauge",
	"go_memstats_next_gc_bytes":            "gauge",
	"go_memstats_other_sys_bytes":          "gauge",
	"go_memstats_stack_inuse_bytes":        "gauge",
	"go_memstats_stack_sys_bytes":          "gauge",
	"go_memstats_sys_bytes":                "gauge",
	"go_sched_gomaxprocs_threads":          "gauge",
	"go_threads":                           "gauge",
	"process_cpu_seconds_total":            "counter",
	"process_max_fds":                      "gauge",
	"process_network_receive_bytes_total":  "counter",
	"process_network_transmit_bytes_total": "counter",
	"process_open_fds":                     "gauge",
	"process_resident_memory_bytes":        "gauge",
	"process_start_time_seconds":           "gauge",
	"process_virtual_memory_bytes":         "gauge",
	"process_virtual_memory_max_bytes":     "gauge",
}

// TestScrape: /metrics is the text format, plain or gzipped as the
// scraper asks, that Prometheus' parser reads, with sockrun's families,
// the script's, and the Go client's go_ and process_ families.
func TestScrape(t *testing.T) {
	set := metricset.New()
	m, err := set.Define(metricset.Def{Name: "requests_total", Help: "h", Kind: metricset.Counter, Labels: []string{"code"}})
	if err != nil {
		t.Fatal(err)
	}
	m.Add([]string{"200"}, 3)
	s, err := Start("127.0.0.1:0", set)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, gz := range []bool{false, true} {
		req, _ := http.NewRequest("GET", s.URL, nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		} else {
			req.Header.Set("Accept-Encoding", "identity")
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8; escaping=underscores" {
			t.Errorf("Content-Type %q", ct)
		}
		body := io.Reader(resp.Body)
		if ce := resp.Header.Get("Content-Encoding"); gz != (ce == "gzip") {
			t.Fatalf("Accept-Encoding gzip %v: Content-Encoding %q", gz, ce)
		}
		if gz {
			if body, err = gzip.NewReader(resp.Body); err != nil {
				t.Fatal(err)
			}
		}
		text, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		parser := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := parser.TextToMetricFamilies(strings.NewReader(string(text)))
		if err != nil {
			t.Fatalf("Prometheus' parser: %v\n%s", err, text)
		}
		for name, typ := range clientFamilies {
			f := fams[name]
			if f == nil || !strings.EqualFold(f.GetType().String(), typ) {
				t.Errorf("family %s: %v, want a %s", name, f, typ)
			}
		}
		if v := fams["requests_total"].GetMetric()[0].GetCounter().GetValue(); v != 3 {
			t.Errorf("requests_total = %v, want 3", v)
		}
		if f := fams["sockrun_workers"]; f == nil || f.GetType() != dto.MetricType_GAUGE || f.GetMetric()[0].GetGauge().GetValue() != 0 {
			t.Errorf("sockrun_workers: %v", f)
		}
		if v := fams["process_resident_memory_bytes"].GetMetric()[0].GetGauge().GetValue(); v <= 0 {
			t.Errorf("process_resident_memory_bytes = %v", v)
		}
		if v := fams["go_goroutines"].GetMetric()[0].GetGauge().GetValue(); v < 1 {
			t.Errorf("go_goroutines = %v", v)
		}
	}
}

// TestHealthStateMovesForward: /healthz answers starting, ok, stopping in
// that order and never goes back, so a Running set after a handled
// SIGTERM's Stopping (the two come from different goroutines) leaves it
// stopping.
func TestHealthStateMovesForward(t *testing.T) {
	s, err := Start("127.0.0.1:0", metricset.New())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	health := strings.TrimSuffix(s.URL, "/metrics") + "/healthz"
	get := func() (int, string) {
		t.Helper()
		resp, err := http.Get(health)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	for _, step := range []struct {
		set  State
		code int
		text string
	}{
		{Starting, 503, "starting"},
		{Running, 200, "ok"},
		{Starting, 200, "ok"},
		{Stopping, 503, "stopping"},
		{Running, 503, "stopping"},
	} {
		s.SetState(step.set)
		if code, text := get(); code != step.code || text != step.text {
			t.Errorf("after SetState(%d): %d %q, want %d %q", step.set, code, text, step.code, step.text)
		}
	}
}
