package api

import (
	"encoding/json"
	"io"
	"labmap/internal/testsignal"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// TestAdmission fills the one slot with a stats request held at the
// store's gate and the one queue place with another, then checks who waits,
// who is refused and that warm tiles pass by; waits end on the test's
// signal, not a clock.
func TestAdmission(t *testing.T) {
	g := newGatedStatsStore(t)
	s, h := chainServer(t, g, io.Discard, Options{MaxInFlight: 1, QueueDepth: 1, TileCacheBytes: 1 << 20}, nil)
	waiting := make(chan struct{}, 4)
	expire := make(chan time.Time, 1)
	s.admission.waiting = func() { waiting <- struct{}{} }
	s.admission.timer = func(time.Duration) (<-chan time.Time, func() bool) { return expire, func() bool { return true } }

	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	async := func(path string) <-chan *httptest.ResponseRecorder {
		out := make(chan *httptest.ResponseRecorder, 1)
		go func() { out <- get(path) }()
		return out
	}
	busy := func(t *testing.T, what string, w *httptest.ResponseRecorder) {
		t.Helper()
		var body struct {
			Error  string
			Status int
		}
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" ||
			json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Status != 503 || body.Error == "" {
			t.Fatalf("%s: status %d, Retry-After %q, body %q; want a JSON 503 with Retry-After", what, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
	warm := kertijayanTile()
	if w := get(warm); w.Code != 200 {
		t.Fatalf("warming %s: status %d", warm, w.Code)
	}
	cold := maptile.At([2]float64{109.665, -6.935}, 13)
	coldPath := "/tiles/villages/13/" + itoa(int(cold.X)) + "/" + itoa(int(cold.Y)) + ".mvt"

	first := async("/api/stats?level=village")
	testsignal.Await(t, "the first request to hold the slot", g.entered)
	second := async("/api/stats?level=district")
	testsignal.Await(t, "the second request to queue", waiting)

	busy(t, "a third request, queue full", get("/api/stats?level=zone"))
	busy(t, "a tile to render, queue full", get(coldPath))
	if w := get(warm); w.Code != 200 || w.Body.Len() == 0 {
		t.Fatalf("a warm tile while the slot is taken: status %d, %d bytes; warm tiles must not queue", w.Code, w.Body.Len())
	}
	if w := get("/api/zones"); w.Code != 200 {
		t.Fatalf("a light request while the slot is taken: status %d", w.Code)
	}

	expire <- time.Now() // the second request's wait runs out
	busy(t, "the queued request after its wait", testsignal.Await(t, "the second request", second))

	third := async("/api/stats?level=district")
	testsignal.Await(t, "the third request to queue", waiting)
	close(g.gate)
	for _, c := range []<-chan *httptest.ResponseRecorder{first, third} {
		if w := testsignal.Await(t, "an admitted request", c); w.Code != 200 {
			t.Fatalf("admitted request: status %d: %s", w.Code, w.Body)
		}
	}
	for _, tc := range []struct {
		reason string
		want   float64
	}{{"queue_full", 2}, {"wait", 1}} {
		if got := metricValue(t, s.metrics.rejected.WithLabelValues(tc.reason)); got != tc.want {
			t.Errorf("rejections %s: %v, want %v", tc.reason, got, tc.want)
		}
	}
	if got := metricValue(t, s.metrics.admitted); got != 0 {
		t.Errorf("%v slots still held after every request ended", got)
	}
}

func TestDefaultMaxInFlight(t *testing.T) {
	// A store that computes in the process: one slot per CPU, at least 2
	// (TestMetricsPool checks a PostGIS store's pool).
	if n := DefaultMaxInFlight(newGatedStatsStore(t)); n < 2 || n < runtime.GOMAXPROCS(0) {
		t.Errorf("memory store: %d slots with GOMAXPROCS %d", n, runtime.GOMAXPROCS(0))
	}
}

// metricValue reads one counter or gauge.
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	if out.Counter != nil {
		return out.Counter.GetValue()
	}
	return out.Gauge.GetValue()
}
