package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/mux"
)

// The middleware chain, outermost first (newHandler assembles it):
//
//	observe        request id, guarded writer, write deadline per write, access
//	               log, metrics, client gone → 499, panic → JSON 500
//	headers        security headers, CORS for public GET/HEAD, OPTIONS preflight
//	authenticator  token → principal; a token in the URL is refused here,
//	               before anything logs the URL's query
//	gzipResponses  text bodies compressed
//	router         and, for each matched route (perRoute): its template, the
//	               request timeout of its class, admission of expensive work
//
// Handlers set none of these headers and write no log line for them.

// Request timeouts and connection limits: the defaults of `labmap serve`'s
// flags (README, "Operations").
const (
	// DefaultRequestTimeout bounds the work of one request (its context's
	// deadline): a tile, a page of items, /api/stats, a report.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultStreamTimeout bounds a streamed answer (items with limit=all,
	// CSV, GeoPackage, offline packs), which a slow link may take minutes to
	// receive; a client that stops reading is cut by the write timeout.
	DefaultStreamTimeout = 10 * time.Minute
)

// routeClass is what a route costs, which decides its timeout and whether
// it waits for admission.
type routeClass uint8

const (
	// classLight: metadata, styles, static files; never queued.
	classLight routeClass = iota
	// classTile: public tiles, admitted by the tile handler on a cache miss
	// only, so that warm tiles never queue.
	classTile
	// classExpensive: computed per request; admitted before the handler runs.
	classExpensive
	// classStream: expensive and streamed; admitted, with the stream timeout.
	classStream
)

// classOf is the class of a route template. A route not named here is
// light: TestRouteClasses checks that every name below is a live route.
func classOf(template string) routeClass {
	switch template {
	case "/tiles/{layers}/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.{ext:(?:mvt|pbf)}":
		return classTile
	case "/tiles/households/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.{ext:(?:mvt|pbf)}",
		"/api/stats", "/reports/{zone}.pdf", "/maps/{zone}.png":
		return classExpensive
	case "/collections/{collection}/items", "/collections/households/items", "/packs/{zone}.zip":
		return classStream
	}
	return classLight
}

// requestInfo is what the chain learns about one request on its way in;
// observe creates it, inner layers fill it in, and the access log and the
// metrics read it when the response is done.
type requestInfo struct {
	id    string
	start time.Time
	w     *trackedWriter
	route string // the route template; empty when no route matched
	class routeClass
	// logQuery: the authenticator let the request through, so its query
	// holds no token and may be logged; before that, only its path is.
	logQuery bool
}

type requestInfoKey struct{}

// infoOf returns the request's info, or nil outside the chain (tests that
// call a handler directly).
func infoOf(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// responseStarted reports whether r's response status has gone out, after
// which an error can no longer be answered as JSON.
func responseStarted(r *http.Request) bool {
	info := infoOf(r.Context())
	return info != nil && info.w.wroteHeader
}

// Header values shared by every response, so that they are not allocated
// per request; net/http only reads them.
var (
	nosniffValue    = []string{"nosniff"}
	sameOriginValue = []string{"same-origin"}
	anyOriginValue  = []string{"*"}
	exposedHeaders  = []string{"ETag, Link, Content-Crs, X-Request-Id, Retry-After, X-Dataset-Version"}
)

// chain wraps the router in the middleware chain.
func (s *Server) chain(router http.Handler) http.Handler {
	authn := newAuthenticator(s.opt.Tokens, s.log, s.opt.Now)
	authn.outage = s.outage
	return s.observe(s.headers(authn.wrap(gzipResponses(router))))
}

// observe is the outermost layer: it names the request, guards and
// measures its response, logs it and counts it, and turns a panic into a
// JSON 500.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{id: requestID(r), start: time.Now()}
		tw := &trackedWriter{ResponseWriter: w, writeTimeout: s.opt.WriteTimeout}
		info.w = tw
		w.Header()["X-Request-Id"] = []string{info.id}
		if !s.opt.TrustProxy {
			// Anyone can send these; only a proxy the operator names
			// (--trust-proxy) may say how the client reached labmap, or a
			// TileJSON could be made to point at another host.
			r.Header.Del("X-Forwarded-Host")
			r.Header.Del("X-Forwarded-Proto")
		}
		client := r.Context()
		ctx := context.WithValue(client, requestInfoKey{}, info)
		s.metrics.inFlight.Inc()
		defer func() {
			p := recover()
			abort := p != nil && (p == http.ErrAbortHandler || tw.wroteHeader)
			if p != nil && p != http.ErrAbortHandler {
				s.log.LogAttrs(ctx, slog.LevelError, "handler panic", slog.String("method", r.Method),
					slog.String("path", r.URL.Path), slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
				if !tw.wroteHeader {
					h := tw.Header()
					clear(h)
					h["X-Request-Id"] = []string{info.id}
					h["X-Content-Type-Options"] = nosniffValue
					h["Referrer-Policy"] = sameOriginValue
					writeJSONError(tw, http.StatusInternalServerError, "internal error")
				}
			}
			status := tw.status
			switch {
			case client.Err() != nil:
				status = statusClientClosedRequest // whatever was written, nobody read it
			case !tw.wroteHeader:
				status = http.StatusOK // net/http sends it for a handler that wrote nothing
			}
			s.metrics.inFlight.Dec()
			s.finish(ctx, r, info, status)
			if abort {
				// The status is gone: cut the connection so the client sees
				// a broken answer, not a short one that looks whole.
				panic(http.ErrAbortHandler)
			}
		}()
		next.ServeHTTP(tw, r.WithContext(ctx))
	})
}

// finish counts and logs a request whose response is done.
func (s *Server) finish(ctx context.Context, r *http.Request, info *requestInfo, status int) {
	elapsed := time.Since(info.start)
	route := info.route
	if route == "" {
		route = "(none)" // answered before routing (refused, preflight) or no route matched
	}
	s.metrics.observe(route, status, elapsed)
	if !s.log.Enabled(ctx, slog.LevelDebug) {
		return // a warm tile should not pay for a log line nobody keeps
	}
	attrs := make([]slog.Attr, 0, 8)
	path := r.URL.Path
	if info.logQuery {
		path = r.URL.RequestURI()
	}
	attrs = append(attrs, slog.String("method", r.Method), slog.String("route", route), slog.String("path", path))
	attrs = append(attrs, slog.Int("status", status), slog.Int64("bytes", info.w.bytes),
		slog.Duration("duration", elapsed), slog.String("client", clientAddress(r)))
	s.log.LogAttrs(ctx, slog.LevelDebug, "request", attrs...)
}

// requestID is the client's X-Request-Id when it is a plausible one (a
// proxy's, to follow a request across logs), else a new random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); validRequestID(id) {
		return id
	}
	return strconv.FormatUint(rand.Uint64(), 36)
}

// validRequestID accepts 1 to 64 letters, digits, '-', '_' and '.': what
// proxies generate, and nothing that could forge a log line. A token sent
// as an id is not accepted: it would land in the log.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 || containsToken(id) {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// headers sets the security headers of every response — no content
// sniffing (a JSON error is never run as a script), no Referer to other
// hosts (a basemap server learns nothing of which view a planner opened) —
// and the CORS headers of public reads, and answers OPTIONS.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = nosniffValue
		h["Referrer-Policy"] = sameOriginValue
		if r.Method == http.MethodOptions {
			preflight(w, r)
			return
		}
		// Public reads may be read by any page: they are the public's
		// figures. A request with a token gets no CORS header (and
		// privateWriter strips any a handler adds), so a token's answers
		// stay with the origin that holds it.
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.Header.Get("Authorization") == "" {
			h["Access-Control-Allow-Origin"] = anyOriginValue
			h["Access-Control-Expose-Headers"] = exposedHeaders
		}
		next.ServeHTTP(w, r)
	})
}

// corsRequestHeaders are the request headers a cross-origin page may send
// beyond the CORS-safelisted ones: revalidation and request ids.
// Authorization is not among them: tokens are used from labmap's own
// pages only.
var corsRequestHeaders = map[string]bool{"if-none-match": true, "if-modified-since": true, "x-request-id": true}

// preflight answers OPTIONS: 204 for a CORS preflight of a public GET or
// HEAD, a refusal for one that would send a token or another method.
func preflight(w http.ResponseWriter, r *http.Request) {
	if info := infoOf(r.Context()); info != nil {
		info.route = "(preflight)"
	}
	h := w.Header()
	h.Set("Allow", "GET, HEAD, OPTIONS")
	var asked []string
	for _, field := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		name := strings.ToLower(strings.TrimSpace(field))
		switch {
		case name == "":
			continue
		case name == "authorization":
			writeJSONError(w, http.StatusForbidden, "Authorization is not sent cross-origin: tokens are used from this server's own pages only")
			return
		case !corsRequestHeaders[name]:
			writeJSONError(w, http.StatusForbidden, "cross-origin requests may not send the header "+name)
			return
		}
		asked = append(asked, name)
	}
	method := r.Header.Get("Access-Control-Request-Method")
	if method == "" && len(asked) == 0 {
		w.WriteHeader(http.StatusNoContent) // a plain OPTIONS: what is allowed is in Allow
		return
	}
	if method != http.MethodGet && method != http.MethodHead {
		writeJSONError(w, http.StatusMethodNotAllowed, "cross-origin requests may only GET or HEAD, not "+strconv.Quote(method))
		return
	}
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, HEAD")
	if len(asked) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(asked, ", "))
	}
	h.Set("Access-Control-Max-Age", "7200") // Chromium's cap
	w.WriteHeader(http.StatusNoContent)
}

// perRoute runs once the router has matched a route: it records the route
// template, gives the request the timeout of the route's class and admits
// expensive work.
func (s *Server) perRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tpl := ""
		if route := mux.CurrentRoute(r); route != nil {
			tpl, _ = route.GetPathTemplate()
		}
		class := classOf(tpl)
		info := infoOf(r.Context())
		if info != nil {
			info.route, info.class, info.logQuery = tpl, class, true
		}
		ctx := r.Context()
		switch class {
		case classTile:
			// No deadline of its own: a warm tile is a lookup, and a render
			// is bounded by the tile cache's fill timeout and the queue wait,
			// so the hot path allocates no timer.
		case classStream:
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.opt.StreamTimeout)
			defer cancel()
		default:
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.opt.RequestTimeout)
			defer cancel()
		}
		if class >= classExpensive {
			release, err := s.admission.admit(ctx)
			if err != nil {
				s.writeError(w, r.WithContext(ctx), err)
				return
			}
			defer release()
		}
		if ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
		if class >= classExpensive && info != nil && info.w.wroteHeader && info.w.status < 400 {
			s.outage.available(ctx) // the store answered a data query
		}
	})
}

// trackedWriter is the response writer every handler writes through: it
// records status and size for the log, drops a second WriteHeader (which
// net/http would log as superfluous), and pushes the connection's write
// deadline ahead before each write, so that a long stream lives as long as
// its client reads while a client that stops reading is cut after
// writeTimeout.
type trackedWriter struct {
	http.ResponseWriter
	writeTimeout time.Duration
	deadline     time.Time
	status       int
	bytes        int64
	wroteHeader  bool
}

// WriteHeader implements http.ResponseWriter.
func (w *trackedWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code) // informational: the real status follows
		return
	}
	w.wroteHeader, w.status = true, code
	if code == statusClientClosedRequest {
		return // a status for the log only: the client is gone
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *trackedWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.wroteHeader, w.status = true, http.StatusOK
	}
	w.extend()
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Flush sends what is buffered.
func (w *trackedWriter) Flush() {
	if !w.wroteHeader {
		w.wroteHeader, w.status = true, http.StatusOK
	}
	w.extend()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// extend moves the write deadline writeTimeout ahead of now, at most once
// per half timeout (setting a deadline is cheap, but not free for a
// stream of small writes).
func (w *trackedWriter) extend() {
	if w.writeTimeout <= 0 {
		return
	}
	now := time.Now()
	if w.deadline.Sub(now) > w.writeTimeout/2 {
		return
	}
	w.deadline = now.Add(w.writeTimeout)
	if d, ok := w.ResponseWriter.(interface{ SetWriteDeadline(time.Time) error }); ok {
		_ = d.SetWriteDeadline(w.deadline) // net/http's own writer: no controller to allocate
		return
	}
	_ = http.NewResponseController(w.ResponseWriter).SetWriteDeadline(w.deadline) // a recorder in tests has none: nothing to extend
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *trackedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestIDLog adds the request id to every record logged with a request's
// context, so that all lines of one request can be found together.
type requestIDLog struct{ slog.Handler }

// Handle implements slog.Handler.
func (h requestIDLog) Handle(ctx context.Context, rec slog.Record) error {
	if info := infoOf(ctx); info != nil {
		rec.AddAttrs(slog.String("request_id", info.id))
	}
	return h.Handler.Handle(ctx, rec)
}

// WithAttrs implements slog.Handler.
func (h requestIDLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDLog{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h requestIDLog) WithGroup(name string) slog.Handler {
	return requestIDLog{h.Handler.WithGroup(name)}
}

// streamCut logs a streamed answer that failed after its status went out
// (the caller then cuts the connection): at DEBUG when the client left or
// stopped reading, at INFO when the stream timeout ended it, else as an
// ERROR.
func (s *Server) streamCut(r *http.Request, what string, err error) {
	ctx := r.Context()
	lvl := slog.LevelError
	switch {
	case errors.Is(ctx.Err(), context.Canceled), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET):
		lvl = slog.LevelDebug
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		lvl = slog.LevelInfo
	}
	s.log.LogAttrs(ctx, lvl, what+" cut short", slog.String("path", r.URL.Path), slog.Any("err", err))
}
