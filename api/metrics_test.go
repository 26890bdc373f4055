package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"labmap/data/postgis"
	"labmap/data/postgis/pgtest"

	"github.com/gorilla/mux"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics from h as a client on the server's machine and
// parses it with Prometheus's own text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics: status %d: %s", resp.StatusCode, b)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("/metrics: Cache-Control %q", cc)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value is the value of the series of family name whose labels include
// every pair in labels (name, value, name, value…); ok is false when no
// series matches.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// TestMetrics asks a tile twice and the stats once, then reads /metrics:
// the series exist and move with the requests.
func TestMetrics(t *testing.T) {
	_, store := newTestServer(t)
	srv := httptest.NewServer(New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{TileCacheBytes: 1 << 20}))
	defer srv.Close()
	get := func(path string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: status %d", path, resp.StatusCode)
		}
	}
	// Counters start where an earlier request in this server left them.
	before := scrape(t, srv.URL)
	const tileRoute = "/tiles/{layers}/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.{ext:(?:mvt|pbf)}"
	count := func(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
		v, _ := value(fams, name, labels...)
		return v
	}
	get(kertijayanTile())
	get(kertijayanTile())
	get("/api/stats?level=village")
	after := scrape(t, srv.URL)
	version, err := store.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		series string
		labels []string
		moved  float64 // how much it must have grown since before; NaN: its value is want
		want   float64
	}{
		{"tile requests", "labmap_http_requests_total", []string{"route", tileRoute, "status", "200"}, 2, 0},
		{"tile latency", "labmap_http_request_duration_seconds", []string{"route", tileRoute}, 2, 0},
		{"stats requests", "labmap_http_requests_total", []string{"route", "/api/stats", "status", "200"}, 1, 0},
		{"the first tile missed", "labmap_tile_cache_misses_total", nil, 1, 0},
		{"the second hit", "labmap_tile_cache_hits_total", nil, 1, 0},
		{"the scrape itself", "labmap_http_requests_total", []string{"route", "/metrics", "status", "200"}, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := value(after, tc.series, tc.labels...); !ok {
				t.Fatalf("no series %s %v", tc.series, tc.labels)
			}
			if d := count(after, tc.series, tc.labels...) - count(before, tc.series, tc.labels...); d != tc.moved {
				t.Errorf("%s %v moved by %v, want %v", tc.series, tc.labels, d, tc.moved)
			}
		})
	}
	for _, tc := range []struct {
		series string
		ok     func(float64) bool
	}{
		{"labmap_dataset_version", func(v float64) bool { return v == float64(version) }},
		{"labmap_tile_cache_bytes", func(v float64) bool { return v > 0 }},
		{"labmap_tile_cache_entries", func(v float64) bool { return v == 1 }},
		{"labmap_http_requests_in_flight", func(v float64) bool { return v == 1 }}, // the scrape
		{"labmap_tile_renders_in_flight", func(v float64) bool { return v == 0 }},
		{"labmap_admission_in_flight", func(v float64) bool { return v == 0 }},
		{"labmap_admission_slots", func(v float64) bool { return v >= 2 }},
		{"labmap_admission_queued", func(v float64) bool { return v == 0 }},
		{"labmap_admission_queue_wait_seconds", func(v float64) bool { return v == 0 }},
		{"labmap_store_up", func(v float64) bool { return v == 1 }},
		{"process_resident_memory_bytes", func(v float64) bool { return v > 0 }},
		{"go_goroutines", func(v float64) bool { return v > 0 }},
	} {
		if v, ok := value(after, tc.series); !ok || !tc.ok(v) {
			t.Errorf("%s: %v (present %v)", tc.series, v, ok)
		}
	}
	t.Run("labels are route templates, never URLs", func(t *testing.T) {
		// No village code, filter or query value can reach a label: the
		// series stay few and say nothing of what was asked.
		s := newServer(store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{}, testDist())
		templates := map[string]bool{"(none)": true, "(preflight)": true}
		s.routes().Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
			tpl, _ := r.GetPathTemplate()
			templates[tpl] = true
			return nil
		})
		for _, name := range []string{"labmap_http_requests_total", "labmap_http_request_duration_seconds"} {
			for _, m := range after[name].GetMetric() {
				for _, l := range m.Label {
					if l.GetName() == "route" && !templates[l.GetValue()] {
						t.Errorf("%s: route label %q is not a route template", name, l.GetValue())
					}
				}
			}
		}
	})
}

// TestMetricsAccess: /metrics goes to admin tokens and to clients on the
// server's machine that came through no proxy; nobody else.
func TestMetricsAccess(t *testing.T) {
	f := newAuthFixture(t)
	for _, tc := range []struct {
		name, client, auth string
		header             map[string]string
		want               int
	}{
		{"loopback", "127.0.0.1", "", nil, 200},
		{"loopback IPv6", "::1", "", nil, 200},
		{"the public", "192.0.2.9", "", nil, 403},
		{"through a proxy on the machine", "127.0.0.1", "", map[string]string{"X-Forwarded-For": "192.0.2.9"}, 403},
		{"through an RFC 7239 proxy", "127.0.0.1", "", map[string]string{"Forwarded": "for=192.0.2.9"}, 403},
		{"admin token from afar", "192.0.2.9", "admin", nil, 200},
		{"analyst token", "192.0.2.9", "analyst", nil, 403},
		{"staff token", "192.0.2.9", "staff", nil, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			r.RemoteAddr = netJoin(tc.client, "40000")
			if tc.auth != "" {
				r.Header.Set("Authorization", "Bearer "+f.tok[tc.auth])
			}
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			body := w.Body.String()
			if tc.want == 200 && !strings.Contains(body, "labmap_admission_slots") {
				t.Errorf("no series in the answer: %.200s", body)
			}
			if tc.want != 200 && strings.Contains(body, "labmap_") {
				t.Errorf("a refusal carries series: %.200s", body)
			}
			if tc.auth != "" && w.Header().Get("Cache-Control") != "private, no-store" {
				t.Errorf("Cache-Control %q for a token's answer", w.Header().Get("Cache-Control"))
			}
		})
	}
	t.Run("behind --trust-proxy, loopback is the proxy", func(t *testing.T) {
		_, h := chainServer(t, nil, io.Discard, Options{TrustProxy: true}, nil)
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 403 {
			t.Errorf("status %d, want 403", w.Code)
		}
	})
}

func netJoin(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

// TestMetricsPool reads the PostGIS store's pool on /metrics and sizes the
// default admission from it, one connection kept free.
func TestMetricsPool(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := postgis.Migrate(ctx, url, quiet); err != nil {
		t.Fatal(err)
	}
	store, err := postgis.Open(ctx, url, postgis.Options{Log: quiet, MaxConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if n := DefaultMaxInFlight(store); n < 1 || n > 2 {
		t.Errorf("pool of 3: %d admission slots, want 1 or 2", n)
	}
	srv := httptest.NewServer(New(store, quiet, Options{}))
	defer srv.Close()
	fams := scrape(t, srv.URL)
	for _, tc := range []struct {
		series string
		labels []string
		ok     func(float64) bool
	}{
		{"labmap_db_pool_connections", []string{"state", "max"}, func(v float64) bool { return v == 3 }},
		{"labmap_db_pool_connections", []string{"state", "total"}, func(v float64) bool { return v >= 0 && v <= 3 }},
		{"labmap_db_pool_connections", []string{"state", "acquired"}, func(v float64) bool { return v >= 0 }},
		{"labmap_db_pool_waits_total", nil, func(v float64) bool { return v >= 0 }},
		{"labmap_db_pool_wait_seconds_total", nil, func(v float64) bool { return v >= 0 }},
		{"labmap_dataset_version", nil, func(v float64) bool { return v >= 0 }},
		{"labmap_admission_slots", nil, func(v float64) bool { return v == float64(DefaultMaxInFlight(store)) }},
	} {
		if v, ok := value(fams, tc.series, tc.labels...); !ok || !tc.ok(v) {
			t.Errorf("%s %v: %v (present %v)", tc.series, tc.labels, v, ok)
		}
	}
}
