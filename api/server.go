// Package api is labmap's HTTP layer: routing, request parsing, JSON errors
// and the public statistics endpoints. It reads only aggregates from the
// store; no endpoint here serves household rows, points or names.
package api

import (
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"labmap/api/auth"
	"labmap/data"
	"labmap/tiles"
	"labmap/tiles/glyphs"

	"github.com/gorilla/mux"
)

// Options configures the HTTP server.
type Options struct {
	// MinHouseholds is the suppression threshold the store applies, reported
	// to clients so they can explain hidden areas.
	MinHouseholds int
	// TileCacheBytes bounds the tile cache; 0 turns it off.
	TileCacheBytes int
	// BasemapURL is an optional raster tile URL ({z}/{x}/{y}) drawn under the
	// map; empty keeps the map free of any request to another host.
	BasemapURL string
	// Tokens finds the principal of a bearer token (api/authn.go); nil
	// refuses every token, saying the server has no token store.
	Tokens auth.Store
	// Now is the clock of the sign-in rate limit; nil is time.Now.
	Now func() time.Time

	// TrustProxy honours X-Forwarded-Host and X-Forwarded-Proto (the URLs
	// labmap hands out then name the proxy's address); without it they are
	// removed from every request, since any client can send them.
	TrustProxy bool
	// RequestTimeout bounds one request's work (its context's deadline);
	// StreamTimeout that of streamed answers (items, downloads, packs).
	// Zero: DefaultRequestTimeout, DefaultStreamTimeout.
	RequestTimeout, StreamTimeout time.Duration
	// WriteTimeout is the http.Server's WriteTimeout: each write of a
	// response pushes the connection's write deadline this far ahead, so a
	// stream lasts while its client reads. Zero: no deadline is set.
	WriteTimeout time.Duration
	// MaxInFlight bounds the expensive requests served at once (tile
	// renders, items, stats, reports, packs); QueueDepth requests more may
	// wait up to QueueWait for a slot, the rest get 503 with Retry-After.
	// Zero: DefaultMaxInFlight(store), max(64, 8 per slot), DefaultQueueWait.
	MaxInFlight, QueueDepth int
	QueueWait               time.Duration
}

// Server answers HTTP requests from one store.
type Server struct {
	store data.Store
	tiles *tiles.Service
	log   *slog.Logger
	opt   Options

	web    *webAssets  // the built web map; nil when it failed to load
	glyphs *glyphs.Set // label fonts; nil when they failed to load
	csp    string      // the web map page's Content-Security-Policy

	admission *admission
	metrics   *metrics
	outage    *outageLog
}

// New returns the HTTP handler for store.
func New(store data.Store, log *slog.Logger, opt Options) http.Handler {
	return newHandler(store, log, opt, webDist())
}

// newHandler is New serving the web map from dist, so that tests can check
// fingerprints and caching on files of their own.
func newHandler(store data.Store, log *slog.Logger, opt Options, dist fs.FS) http.Handler {
	s := newServer(store, log, opt, dist)
	return s.chain(s.routes())
}

// newServer builds the server newHandler routes to.
func newServer(store data.Store, log *slog.Logger, opt Options, dist fs.FS) *Server {
	if opt.MinHouseholds <= 0 {
		opt.MinHouseholds = data.DefaultMinHouseholds
	}
	if opt.RequestTimeout <= 0 {
		opt.RequestTimeout = DefaultRequestTimeout
	}
	if opt.StreamTimeout <= 0 {
		opt.StreamTimeout = DefaultStreamTimeout
	}
	if opt.MaxInFlight <= 0 {
		opt.MaxInFlight = DefaultMaxInFlight(store)
	}
	if opt.QueueDepth <= 0 {
		opt.QueueDepth = max(minQueue, queuePerSlot*opt.MaxInFlight)
	}
	if opt.QueueWait <= 0 {
		opt.QueueWait = DefaultQueueWait
	}
	// Every line logged with a request's context names the request.
	log = slog.New(requestIDLog{log.Handler()})
	s := &Server{store: store, tiles: tiles.NewService(store, opt.TileCacheBytes), log: log, opt: opt, csp: pagePolicy(opt.BasemapURL)}
	s.outage = &outageLog{log: log}
	s.metrics = newMetrics(store, s.tiles, opt.MaxInFlight, func() float64 { return float64(s.admission.queued.Load()) }, s.outage.up)
	s.outage.metrics = s.metrics
	s.admission = newAdmission(opt.MaxInFlight, opt.QueueDepth, opt.QueueWait, s.metrics)
	var err error
	if s.web, err = newWebAssets(dist); err != nil {
		log.Error("the web map is not served", "err", err)
	}
	if s.glyphs, err = glyphs.New(); err != nil {
		log.Error("map labels have no fonts", "err", err)
	}
	return s
}

// routes is the router of every endpoint; the privacy probe test walks it,
// so that a new route cannot escape the probe.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	// Tiles first: mux tries routes in order, each a regular expression, and
	// a warm tile is otherwise little more than that search.
	r.Handle("/tiles/households/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.{ext:(?:mvt|pbf)}", s.handle(s.householdTile)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/tiles/{layers}/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.{ext:(?:mvt|pbf)}", s.handle(s.tile)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/", s.handle(s.root)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/web/config.json", s.handle(s.webConfig)).Methods(http.MethodGet, http.MethodHead)
	if s.web != nil {
		r.PathPrefix("/web/").Handler(s.web.handler(s.csp)).Methods(http.MethodGet, http.MethodHead)
	}
	r.Handle("/fonts/{fontstack}/{range}.pbf", s.handle(s.glyphRange)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/api", s.handle(s.apiDoc)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/api.html", s.handle(s.apiHTML)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/conformance", s.handle(s.conformance)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/collections", s.handle(s.collectionsList)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/collections/households", s.handle(s.householdsCollection)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/collections/households/queryables", s.handle(s.householdsQueryables)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/collections/households/items", s.handle(s.householdsItems)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/collections/households/items/{feature}", s.handle(s.householdItem)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/collections/{collection}", s.handle(s.collection)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/collections/{collection}/queryables", s.handle(s.queryables)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/collections/{collection}/schema", s.handle(s.schema)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/collections/{collection}/items", s.handle(s.items)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/collections/{collection}/items/{feature}", s.handle(s.item)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/healthz", s.handle(s.liveness)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/readyz", s.handle(s.readiness)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/api/indicators", s.handle(s.indicators)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/api/rounds", s.handle(s.rounds)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/api/zones", s.handle(s.zones)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/api/stats", s.handle(s.stats)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/api/whoami", s.handle(s.whoami)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/tiles/{layers}.json", s.handle(s.tileJSON)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/styles/{indicator}.json", s.handle(s.mapStyle)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/styles/{indicator}.qml", s.handle(s.qmlStyle)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/styles/{indicator}.sld", s.handle(s.sldStyle)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/qgis/labmap.{ext:(?:qgs|qgz)}", s.handle(s.qgisProject)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/reports/{zone}.pdf", s.handle(s.reportPDF)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/maps/{zone}.png", s.handle(s.reportPNG)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/packs/{zone}.zip", s.handle(s.pack)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", s.handle(s.metricsEndpoint)).Methods(http.MethodGet, http.MethodHead)
	r.Use(s.perRoute)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
	})
	return r
}

// root is shared by the web map and the OGC API landing page: a browser
// (Accept preferring text/html, no f=) gets the map; clients get the landing
// page, as JSON or, with f=html, as the API's own HTML index.
func (s *Server) root(w http.ResponseWriter, r *http.Request) error {
	if prefersHTML(r) {
		return s.viewer(w, r)
	}
	return s.landing(w, r)
}
