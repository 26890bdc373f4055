package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"labmap/api/auth"
	"labmap/data"
	"labmap/tiles"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series, in a registry the Server
// owns (never the global default one, so that two servers in one process,
// as in tests, count apart).
type metrics struct {
	registry *prometheus.Registry
	handler  http.Handler

	requests   *prometheus.CounterVec   // by route template and status
	latency    *prometheus.HistogramVec // by route template
	inFlight   prometheus.Gauge
	tileHits   prometheus.Counter
	tileMisses prometheus.Counter
	rendering  prometheus.Gauge
	admitted   prometheus.Gauge
	queueWait  prometheus.Histogram
	rejected   *prometheus.CounterVec // by reason
	storeDown  prometheus.Counter     // 503s for an unreachable store

	// series caches the request counter and histogram of each route and
	// status, so that counting a warm tile does not format and hash labels.
	series sync.Map // routeStatus → *routeSeries
}

type routeStatus struct {
	route  string
	status int
}

type routeSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

func newMetrics(store data.Store, tileService *tiles.Service, slots int, queued func() float64, storeUp func() bool) *metrics {
	m := &metrics{registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "labmap_http_requests_total",
		Help: "HTTP requests answered, by route template and status (499: the client went away)."}, []string{"route", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "labmap_http_request_duration_seconds",
		Help:    "Time from a request's arrival to the end of its response, by route template.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "labmap_http_requests_in_flight",
		Help: "HTTP requests being served."})
	m.tileHits = prometheus.NewCounter(prometheus.CounterOpts{Name: "labmap_tile_cache_hits_total",
		Help: "Public tile requests answered from the tile cache."})
	m.tileMisses = prometheus.NewCounter(prometheus.CounterOpts{Name: "labmap_tile_cache_misses_total",
		Help: "Tile requests not in the cache (rendered, or joined to a render under way)."})
	m.rendering = prometheus.NewGauge(prometheus.GaugeOpts{Name: "labmap_tile_renders_in_flight",
		Help: "Tile requests waiting for a render."})
	m.admitted = prometheus.NewGauge(prometheus.GaugeOpts{Name: "labmap_admission_in_flight",
		Help: "Expensive requests (tile renders, items, stats, reports, packs) holding an admission slot."})
	m.queueWait = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "labmap_admission_queue_wait_seconds",
		Help:    "Time requests waited in the admission queue, admitted or not.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "labmap_admission_rejected_total",
		Help: "Requests refused with 503 by admission control: queue_full, or wait (no slot within the wait)."}, []string{"reason"})
	m.storeDown = prometheus.NewCounter(prometheus.CounterOpts{Name: "labmap_store_unavailable_responses_total",
		Help: "Responses 503 because the store was unreachable."})
	cache := tileService.Cache()
	m.registry.MustRegister(m.requests, m.latency, m.inFlight, m.tileHits, m.tileMisses, m.rendering,
		m.admitted, m.queueWait, m.rejected, m.storeDown,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "labmap_admission_slots",
			Help: "Expensive requests served at once at most (--max-in-flight)."}, func() float64 { return float64(slots) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "labmap_admission_queued",
			Help: "Requests waiting for an admission slot."}, queued),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "labmap_tile_cache_reused_total",
			Help: "Tiles served at a new dataset version from the cache of an earlier one, which the import between left as they were (counted among the hits)."},
			func() float64 { return float64(tileService.Reused()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "labmap_tile_cache_bytes",
			Help: "Bytes held by the tile cache."}, func() float64 { _, b := cache.Stats(); return float64(b) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "labmap_tile_cache_entries",
			Help: "Tiles held by the tile cache."}, func() float64 { n, _ := cache.Stats(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "labmap_store_up",
			Help: "1 unless the store's last answer was that it is unreachable."}, func() float64 {
			if storeUp() {
				return 1
			}
			return 0
		}),
		&storeCollector{store: store},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

// observe counts one finished request.
func (m *metrics) observe(route string, status int, elapsed time.Duration) {
	key := routeStatus{route, status}
	v, ok := m.series.Load(key)
	if !ok {
		v, _ = m.series.LoadOrStore(key, &routeSeries{
			requests: m.requests.WithLabelValues(route, strconv.Itoa(status)),
			latency:  m.latency.WithLabelValues(route),
		})
	}
	rs := v.(*routeSeries)
	rs.requests.Inc()
	rs.latency.Observe(elapsed.Seconds())
}

// storeCollector reads the store when scraped: its dataset version and,
// for a store with a pool, the pool's statistics.
type storeCollector struct{ store data.Store }

var (
	versionDesc  = prometheus.NewDesc("labmap_dataset_version", "The store's dataset version (bumped by every import).", nil, nil)
	poolConns    = prometheus.NewDesc("labmap_db_pool_connections", "Database pool connections by state (max: the pool's size).", []string{"state"}, nil)
	poolWaits    = prometheus.NewDesc("labmap_db_pool_waits_total", "Connection acquires that found no idle connection and waited.", nil, nil)
	poolCanceled = prometheus.NewDesc("labmap_db_pool_canceled_acquires_total", "Connection acquires given up because their request ended first.", nil, nil)
	poolWait     = prometheus.NewDesc("labmap_db_pool_wait_seconds_total", "Total time acquires waited for a connection.", nil, nil)
	sourceUp     = prometheus.NewDesc("labmap_db_read_source_up", "1 while a read source (replica or primary) answers; a replica at 0 is left out of reads.", []string{"source", "role"}, nil)
	sourceVer    = prometheus.NewDesc("labmap_db_read_source_dataset_version", "The dataset version a read source was last seen to have (a replica behind the primary lags).", []string{"source", "role"}, nil)
	sourceServes = prometheus.NewDesc("labmap_db_read_source_serving", "1 for the read source reads go to now.", []string{"source", "role"}, nil)
)

// scrapeStoreTimeout bounds the store's answer to a scrape: /metrics must
// answer while the store is down.
const scrapeStoreTimeout = 2 * time.Second

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- versionDesc
	if _, ok := c.store.(data.Pooled); ok {
		ch <- poolConns
		ch <- poolWaits
		ch <- poolCanceled
		ch <- poolWait
	}
	if _, ok := c.store.(data.ReadRouted); ok {
		ch <- sourceUp
		ch <- sourceVer
		ch <- sourceServes
	}
}

// Collect implements prometheus.Collector. A version the store cannot
// give (it is down) is left out rather than reported as a number.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeStoreTimeout)
	defer cancel()
	if v, err := c.store.Version(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(versionDesc, prometheus.GaugeValue, float64(v))
	}
	if rr, ok := c.store.(data.ReadRouted); ok {
		for _, src := range rr.ReadSources() {
			role := "replica"
			if src.Primary {
				role = "primary"
			}
			ch <- prometheus.MustNewConstMetric(sourceUp, prometheus.GaugeValue, bool01(src.Up), src.Name, role)
			ch <- prometheus.MustNewConstMetric(sourceVer, prometheus.GaugeValue, float64(src.Version), src.Name, role)
			ch <- prometheus.MustNewConstMetric(sourceServes, prometheus.GaugeValue, bool01(src.Serving), src.Name, role)
		}
	}
	p, ok := c.store.(data.Pooled)
	if !ok {
		return
	}
	st := p.PoolStats()
	for _, s := range []struct {
		state string
		n     int32
	}{{"max", st.Max}, {"total", st.Total}, {"idle", st.Idle}, {"acquired", st.Acquired}} {
		ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.n), s.state)
	}
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(st.Waits))
	ch <- prometheus.MustNewConstMetric(poolCanceled, prometheus.CounterValue, float64(st.Canceled))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, st.WaitTime.Seconds())
}

// metricsEndpoint serves /metrics to admin tokens and to clients on the
// server's own machine that came through no proxy: the series name routes,
// traffic and the pool, which is operator business, not the public's
// (README, "Operations").
func (s *Server) metricsEndpoint(w http.ResponseWriter, r *http.Request) error {
	if !s.mayReadMetrics(r) {
		return &Error{Status: http.StatusForbidden, Msg: "/metrics is served to admin tokens and to clients on the server's own machine"}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}

// mayReadMetrics: an admin token, or a loopback connection without a
// forwarding header. A proxy on the same machine makes every client
// loopback, and it says so with X-Forwarded-For (or Forwarded); with
// --trust-proxy every connection is the proxy's, so loopback means nothing.
func (s *Server) mayReadMetrics(r *http.Request) bool {
	if auth.FromContext(r.Context()).Role == auth.RoleAdmin {
		return true
	}
	if s.opt.TrustProxy || r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != "" {
		return false
	}
	ip := net.ParseIP(clientAddress(r))
	return ip != nil && ip.IsLoopback()
}

// outageLog logs a store outage as two lines, not one per refused request:
// a WARN when the store becomes unreachable, an INFO when it answers again
// with how long it was down and how many requests were refused meanwhile.
type outageLog struct {
	log     *slog.Logger
	metrics *metrics
	down    atomic.Bool // read without the lock on every data request

	mu      sync.Mutex
	since   time.Time
	refused int
}

// unavailable records a request refused because the store is unreachable.
func (o *outageLog) unavailable(ctx context.Context, path string, err error) {
	o.metrics.storeDown.Inc()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.down.Load() {
		o.refused++
		return
	}
	o.down.Store(true)
	o.since, o.refused = time.Now(), 1
	o.log.WarnContext(ctx, "store unavailable: data requests answer 503 until it is back", "path", path, "err", err)
}

// available records that the store answered a data request.
func (o *outageLog) available(ctx context.Context) {
	if !o.down.Load() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.down.Load() {
		return
	}
	o.down.Store(false)
	o.log.InfoContext(ctx, "store available again", "down_for", time.Since(o.since).Round(time.Millisecond).String(), "refused", o.refused)
}

// up reports whether the store is taken to be reachable.
func (o *outageLog) up() bool { return !o.down.Load() }

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
