package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"labmap/api/auth"
	"labmap/data"
)

// Sign-in rate limit: each client address has a bucket of failedSignIns
// failures that refills over failureWindow. A guesser gets ten tries a
// minute against 2^256 tokens; a staff member who mistyped is not locked
// out for long.
const (
	failedSignIns = 10
	failureWindow = time.Minute
	// limiterSweepAt is how many addresses the limiter holds before it drops
	// those whose bucket has refilled, so a scan from many addresses cannot
	// grow it without bound.
	limiterSweepAt = 4096
)

// queryTokenParams are query parameters a client might carry a token in.
// They are refused, not ignored: a token in a URL ends up in server logs,
// proxy logs and browser history, so the client must learn at once.
var queryTokenParams = []string{"access_token", "token", "bearer", "api_key", "apikey"}

// authenticator turns a request's bearer token into an auth.Principal.
type authenticator struct {
	tokens  auth.Store
	log     *slog.Logger
	limiter *failureLimiter
	outage  *outageLog // logs a token store outage once, not per request
}

func newAuthenticator(tokens auth.Store, log *slog.Logger, now func() time.Time) *authenticator {
	if tokens == nil {
		tokens = auth.NoTokens{}
	}
	if now == nil {
		now = time.Now
	}
	return &authenticator{tokens: tokens, log: log, limiter: &failureLimiter{now: now, buckets: map[string]*bucket{}}}
}

// wrap is the middleware. Requests without an Authorization header go on
// as public without any lookup (the warm tile path pays one header read).
func (a *authenticator) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" && tokenInQuery(r) {
			// The request is not logged with its URL: that is the leak.
			a.log.WarnContext(r.Context(), "request refused: token in the URL", "path", r.URL.Path, "client", clientAddress(r))
			writeJSONError(w, http.StatusBadRequest, "a token goes in the Authorization header (Authorization: Bearer lm_…), never in the URL; treat this token as leaked and have it revoked")
			return
		}
		header := r.Header.Get("Authorization")
		if header == "" {
			next.ServeHTTP(w, r)
			return
		}
		scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request"`)
			writeJSONError(w, http.StatusUnauthorized, "Authorization: expected Bearer and a token")
			return
		}
		token = strings.TrimSpace(token)
		client := clientAddress(r)
		if wait := a.limiter.blocked(client); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			writeJSONError(w, http.StatusTooManyRequests, "too many failed sign-ins from this address; try again later")
			return
		}
		p, err := a.tokens.Lookup(r.Context(), token)
		switch {
		case err == nil:
		case errors.Is(err, auth.ErrUnknownToken), errors.Is(err, auth.ErrExpired),
			errors.Is(err, auth.ErrRevoked), errors.Is(err, auth.ErrNoTokens):
			if a.limiter.fail(client) {
				a.log.WarnContext(r.Context(), "failed sign-ins rate-limited", "client", client, "limit", failedSignIns, "per", failureWindow.String())
			}
			a.log.InfoContext(r.Context(), "sign-in failed", "client", client, "path", r.URL.Path, "reason", err.Error())
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			msg := "invalid token"
			switch {
			case errors.Is(err, auth.ErrExpired):
				msg = "the token has expired"
			case errors.Is(err, auth.ErrRevoked):
				msg = "the token has been revoked"
			case errors.Is(err, auth.ErrNoTokens):
				msg = err.Error()
			}
			writeJSONError(w, http.StatusUnauthorized, msg)
			return
		case errors.Is(err, data.ErrUnavailable):
			if a.outage != nil {
				a.outage.unavailable(r.Context(), r.URL.Path, err)
			} else {
				a.log.WarnContext(r.Context(), "token lookup: store unavailable", "path", r.URL.Path, "err", err)
			}
			w.Header().Set("Retry-After", retryAfterSeconds)
			writeJSONError(w, http.StatusServiceUnavailable, "the database is unreachable; try again shortly")
			return
		default:
			a.log.ErrorContext(r.Context(), "token lookup failed", "path", r.URL.Path, "err", err)
			writeJSONError(w, http.StatusInternalServerError, "internal error")
			return
		}
		a.log.DebugContext(r.Context(), "signed in", "token_id", p.TokenID, "name", p.Name, "role", string(p.Role), "path", r.URL.Path)
		next.ServeHTTP(&privateWriter{ResponseWriter: w}, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// tokenInQuery reports whether the query names a token parameter or holds
// a value shaped like a labmap token under any name.
func tokenInQuery(r *http.Request) bool {
	q := r.URL.Query()
	for k, vs := range q {
		for _, name := range queryTokenParams {
			if strings.EqualFold(k, name) {
				return true
			}
		}
		for _, v := range vs {
			if strings.Contains(v, auth.TokenPrefix) && containsToken(v) {
				return true
			}
		}
	}
	return false
}

// containsToken reports whether s holds a well-formed token anywhere (a
// filter such as name='lm_…' counts too).
func containsToken(s string) bool {
	for i := strings.Index(s, auth.TokenPrefix); i >= 0; {
		end := i + len(auth.TokenPrefix) + 43
		if end <= len(s) && auth.WellFormed(s[i:end]) {
			return true
		}
		j := strings.Index(s[i+1:], auth.TokenPrefix)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// clientAddress is the connection's address without the port. A
// forwarding header is not trusted: anyone can send one, and a limiter
// keyed by it would be a limiter the guesser chooses.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// privateWriter marks the response to an authenticated request as the
// holder's alone, whatever the handler set: no shared or browser cache
// keeps it, a cache that did would key it by Authorization, and no other
// origin may read it (CORS headers are removed).
type privateWriter struct {
	http.ResponseWriter
	done bool
}

func (w *privateWriter) mark() {
	if w.done {
		return
	}
	w.done = true
	h := w.Header()
	h.Set("Cache-Control", "private, no-store")
	addVary(h, "Authorization")
	for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"} {
		h.Del(k)
	}
	h.Del("ETag") // a validator would let a cache revalidate what it must not keep
}

// WriteHeader implements http.ResponseWriter.
func (w *privateWriter) WriteHeader(code int) {
	w.mark()
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *privateWriter) Write(b []byte) (int, error) {
	w.mark()
	return w.ResponseWriter.Write(b)
}

// Flush passes a streamed response's flush on.
func (w *privateWriter) Flush() {
	w.mark()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *privateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// failureLimiter is a token bucket of failed sign-ins per client address.
type failureLimiter struct {
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	level  float64   // failures still allowed, at most failedSignIns
	at     time.Time // when level was computed
	warned time.Time // when the WARN for this address was last logged
}

// refill brings b's level to now.
func (b *bucket) refill(now time.Time) {
	b.level = min(failedSignIns, b.level+now.Sub(b.at).Seconds()*failedSignIns/failureWindow.Seconds())
	b.at = now
}

// blocked returns how long client must wait before its next try, or 0.
func (l *failureLimiter) blocked(client string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		return 0
	}
	now := l.now()
	b.refill(now)
	if b.level >= 1 {
		return 0
	}
	return time.Duration((1 - b.level) * float64(failureWindow) / failedSignIns)
}

// fail records a failure by client. It reports whether the client has just
// run out of tries and has not been warned of in the last window, so that
// a brute force is logged once a minute, not once a request.
func (l *failureLimiter) fail(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[client]
	if b == nil {
		if len(l.buckets) >= limiterSweepAt {
			for k, o := range l.buckets {
				if o.refill(now); o.level >= failedSignIns {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{level: failedSignIns, at: now}
		l.buckets[client] = b
	}
	b.refill(now)
	b.level = max(0, b.level-1)
	if b.level < 1 && (b.warned.IsZero() || now.Sub(b.warned) >= failureWindow) {
		b.warned = now
		return true
	}
	return false
}

// whoami answers who the request's token says it is, for the web map's
// sign-in: {"role":"public"} without a token.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	p := auth.FromContext(r.Context())
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "private, no-store")
	addVary(h, "Authorization")
	type answer struct {
		Role     auth.Role `json:"role"`
		Name     string    `json:"name,omitempty"`
		Zones    []string  `json:"zones,omitempty"`
		Villages []string  `json:"villages,omitempty"`
		Expires  time.Time `json:"expires,omitzero"`
		// Households and Unsuppressed say what the role opens, so the web
		// map need not know the role table.
		Households   bool `json:"households"`
		Unsuppressed bool `json:"unsuppressed"`
	}
	a := answer{Role: p.Role, Name: p.Name, Zones: p.Zones, Villages: p.Villages, Expires: p.Expires,
		Households: p.CanSeeHouseholds(), Unsuppressed: p.CanSeeUnsuppressed()}
	if a.Role == "" {
		a.Role = auth.RolePublic
	}
	return json.NewEncoder(w).Encode(a)
}

// unsuppressed reports whether the request's principal is entitled to
// aggregates without the disclosure rule (analyst and admin). Every
// aggregate query of a request is built with it, so the public can never
// be handed an unsuppressed figure by a parameter of its own.
func unsuppressed(r *http.Request) bool {
	return auth.FromContext(r.Context()).CanSeeUnsuppressed()
}
