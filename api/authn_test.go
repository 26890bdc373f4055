package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"labmap/api/auth"
	"labmap/api/auth/authtest"
	"labmap/data/memory"
	"labmap/internal/testsignal"
)

// authFixture is a server over the test dataset whose tokens live in a
// demo tokens file, with one token per role and the bad kinds.
type authFixture struct {
	h     http.Handler
	clock *authtest.Clock
	log   *testsignal.Lines
	tok   map[string]string // by case name
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	clock := &authtest.Clock{T: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}
	tokens, err := auth.OpenFileStore(filepath.Join(t.TempDir(), "tokens.json"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	f := &authFixture{clock: clock, log: &testsignal.Lines{}, tok: map[string]string{}}
	ctx := context.Background()
	mk := func(key string, req auth.CreateRequest) {
		req.Name = key
		tok, _, err := tokens.Create(ctx, req)
		if err != nil {
			t.Fatalf("create %s: %v", key, err)
		}
		f.tok[key] = tok
	}
	day := clock.T.Add(24 * time.Hour)
	mk("analyst", auth.CreateRequest{Role: auth.RoleAnalyst, Expires: day})
	mk("staff", auth.CreateRequest{Role: auth.RoleStaff, Zones: []string{"urban-kertijayan"}, Villages: []string{"33.26.14.2001"}, Expires: day})
	mk("admin", auth.CreateRequest{Role: auth.RoleAdmin, Expires: day})
	mk("expired", auth.CreateRequest{Role: auth.RoleAdmin, Expires: clock.T.Add(time.Minute)})
	mk("revoked", auth.CreateRequest{Role: auth.RoleAdmin, Expires: day})
	if err := tokens.Revoke(ctx, "revoked"); err != nil {
		t.Fatal(err)
	}
	clock.T = clock.T.Add(time.Hour)
	b := []byte(f.tok["staff"])
	b[20] ^= 'a' ^ 'b' // one character changed, still base64url
	if b[20] == '-' || b[20] == '_' {
		b[20] = 'Q'
	}
	f.tok["tampered"] = string(b)
	f.tok["unknown"], _ = auth.NewToken()

	store, err := memory.New(testDataset(), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.h = New(store, log, Options{Tokens: tokens, Now: clock.Now})
	return f
}

// get serves one request from client address addr (host only).
func (f *authFixture) get(path, authorization, addr string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	r.RemoteAddr = addr + ":40000"
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func TestBearerTokens(t *testing.T) {
	f := newAuthFixture(t)
	tests := []struct {
		name       string
		path       string
		auth       string // token key, or a literal header when it has a space
		status     int
		challenge  string // WWW-Authenticate expected on a 401
		wantRole   string // whoami's role on a 200
		wantPublic bool   // a public response: CORS on, not private
		msg        string // part of the error message
	}{
		{"no token: public", "/api/whoami", "", 200, "", "public", true, ""},
		{"analyst", "/api/whoami", "analyst", 200, "", "analyst", false, ""},
		{"staff", "/api/whoami", "staff", 200, "", "staff", false, ""},
		{"admin", "/api/whoami", "admin", 200, "", "admin", false, ""},
		{"expired", "/api/whoami", "expired", 401, `Bearer error="invalid_token"`, "", false, "expired"},
		{"revoked", "/api/whoami", "revoked", 401, `Bearer error="invalid_token"`, "", false, "revoked"},
		{"tampered", "/api/whoami", "tampered", 401, `Bearer error="invalid_token"`, "", false, "invalid token"},
		{"unknown", "/api/whoami", "unknown", 401, `Bearer error="invalid_token"`, "", false, "invalid token"},
		{"not a token", "/api/stats", "Bearer hello", 401, `Bearer error="invalid_token"`, "", false, "invalid token"},
		{"basic auth", "/api/stats", "Basic dXNlcjpwYXNz", 401, `Bearer error="invalid_request"`, "", false, "Bearer"},
		{"token in access_token", "/api/stats?access_token=x", "", 400, "", "", false, "never in the URL"},
		{"token in token=", "/collections/villages/items?TOKEN=abc", "", 400, "", "", false, "never in the URL"},
		{"token in a filter", "/collections/villages/items?filter=name%3D%27STAFF%27", "", 400, "", "", false, "never in the URL"},
		{"token in query with a good header", "/api/whoami?access_token=STAFF", "staff", 400, "", "", false, "never in the URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			header := tc.auth
			if tok, ok := f.tok[tc.auth]; ok {
				header = "Bearer " + tok
			}
			path := strings.ReplaceAll(tc.path, "STAFF", f.tok["staff"])
			w := f.get(path, header, "192.0.2.1")
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			if tc.status != 200 {
				var e struct {
					Error  string `json:"error"`
					Status int    `json:"status"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Status != tc.status || !strings.Contains(e.Error, tc.msg) {
					t.Errorf("error body %s (%v), want JSON with status %d and %q", w.Body, err, tc.status, tc.msg)
				}
				return
			}
			var who struct {
				Role       string   `json:"role"`
				Name       string   `json:"name"`
				Zones      []string `json:"zones"`
				Households bool     `json:"households"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &who); err != nil {
				t.Fatal(err)
			}
			if who.Role != tc.wantRole {
				t.Errorf("whoami role %q, want %q", who.Role, tc.wantRole)
			}
			if tc.wantRole != "public" && who.Name != tc.auth {
				t.Errorf("whoami name %q, want %q", who.Name, tc.auth)
			}
			if who.Households != (tc.wantRole == "staff" || tc.wantRole == "admin") {
				t.Errorf("whoami households %v for %s", who.Households, tc.wantRole)
			}
			if tc.wantRole == "staff" && !slices.Equal(who.Zones, []string{"urban-kertijayan"}) {
				t.Errorf("whoami zones %v", who.Zones)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "private, no-store" {
				t.Errorf("whoami Cache-Control %q", cc)
			}
		})
	}
	t.Run("no token is ever logged", func(t *testing.T) {
		logged := f.log.String()
		if !strings.Contains(logged, "sign-in failed") {
			t.Fatalf("no failed sign-in logged:\n%s", logged)
		}
		for key, tok := range f.tok {
			if strings.Contains(logged, tok) || strings.Contains(logged, tok[len(auth.TokenPrefix):len(auth.TokenPrefix)+16]) {
				t.Errorf("the %s token is in the log", key)
			}
		}
		if strings.Contains(logged, "dXNlcjpwYXNz") {
			t.Error("a Basic credential is in the log")
		}
	})
}

// TestPrivateResponses checks that what an authenticated request gets is
// never shared: no CORS, not cacheable, keyed by Authorization; and that
// the same URL without a token stays public.
func TestPrivateResponses(t *testing.T) {
	f := newAuthFixture(t)
	paths := []string{
		"/collections/villages/items?limit=1",
		"/styles/poor.json",
		"/tiles/villages/14/13070/8460.mvt",
		"/api/stats?level=village",
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			pub := f.get(path, "", "192.0.2.2")
			if pub.Code != 200 && pub.Code != 204 {
				t.Fatalf("public: status %d: %s", pub.Code, pub.Body)
			}
			if strings.Contains(pub.Header().Get("Cache-Control"), "private") {
				t.Errorf("public: Cache-Control %q", pub.Header().Get("Cache-Control"))
			}
			for _, role := range []string{"analyst", "staff", "admin"} {
				w := f.get(path, "Bearer "+f.tok[role], "192.0.2.2")
				if w.Code != pub.Code {
					t.Fatalf("%s: status %d, public %d", role, w.Code, pub.Code)
				}
				h := w.Header()
				if v := h.Get("Access-Control-Allow-Origin"); v != "" {
					t.Errorf("%s: Access-Control-Allow-Origin %q on an authenticated response", role, v)
				}
				if v := h.Get("Cache-Control"); v != "private, no-store" {
					t.Errorf("%s: Cache-Control %q", role, v)
				}
				if !slices.ContainsFunc(h.Values("Vary"), func(v string) bool { return strings.Contains(v, "Authorization") }) {
					t.Errorf("%s: Vary %q lacks Authorization", role, h.Values("Vary"))
				}
				if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
					t.Errorf("%s: security headers missing: %v", role, h)
				}
			}
		})
	}
	t.Run("public GET keeps its CORS", func(t *testing.T) {
		w := f.get("/collections/villages/items?limit=1", "", "192.0.2.2")
		if w.Header().Get("Access-Control-Allow-Origin") != "*" || w.Header().Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("public items: CORS %q, credentials %q", w.Header().Get("Access-Control-Allow-Origin"), w.Header().Get("Access-Control-Allow-Credentials"))
		}
	})
	t.Run("no cross-origin preflight", func(t *testing.T) {
		// A browser sends Authorization cross-origin only after a preflight;
		// refusing OPTIONS keeps tokens same-origin.
		r := httptest.NewRequest(http.MethodOptions, "/api/stats", nil)
		r.Header.Set("Origin", "https://elsewhere.example")
		r.Header.Set("Access-Control-Request-Headers", "authorization")
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		if w.Code < 400 || w.Header().Get("Access-Control-Allow-Headers") != "" {
			t.Errorf("preflight: status %d, Allow-Headers %q", w.Code, w.Header().Get("Access-Control-Allow-Headers"))
		}
	})
}

// TestSignInRateLimit drives the limiter's clock: ten failures from one
// address, then 429 (even for a good token) until the bucket refills.
func TestSignInRateLimit(t *testing.T) {
	f := newAuthFixture(t)
	const guesser, other = "198.51.100.7", "198.51.100.8"
	for i := range failedSignIns {
		if w := f.get("/api/stats", "Bearer "+f.tok["unknown"], guesser); w.Code != 401 {
			t.Fatalf("failure %d: status %d, want 401", i+1, w.Code)
		}
	}
	steps := []struct {
		name    string
		advance time.Duration
		addr    string
		token   string
		status  int
	}{
		{"blocked after the limit", 0, guesser, "unknown", 429},
		{"a good token is blocked too", 0, guesser, "staff", 429},
		{"public requests are not limited", 0, guesser, "", 200},
		{"another address is not limited", 0, other, "staff", 200},
		{"still blocked a moment later", time.Second, guesser, "unknown", 429},
		{"one try back after a tenth of the window", failureWindow / failedSignIns, guesser, "unknown", 401},
		{"and blocked again", 0, guesser, "unknown", 429},
		{"a full window restores the good token", failureWindow, guesser, "staff", 200},
	}
	for _, st := range steps {
		f.clock.T = f.clock.T.Add(st.advance)
		header := ""
		if st.token != "" {
			header = "Bearer " + f.tok[st.token]
		}
		w := f.get("/api/stats?level=village", header, st.addr)
		if w.Code != st.status {
			t.Fatalf("%s: status %d, want %d: %s", st.name, w.Code, st.status, w.Body)
		}
		if st.status == 429 {
			ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
			if err != nil || ra < 1 || ra > int(failureWindow/time.Second) {
				t.Errorf("%s: Retry-After %q", st.name, w.Header().Get("Retry-After"))
			}
		}
	}
	if n := strings.Count(f.log.String(), "failed sign-ins rate-limited"); n != 1 {
		t.Errorf("rate-limit warning logged %d times in one window, want 1", n)
	}
	// A new window of failures warns once more.
	f.clock.T = f.clock.T.Add(2 * failureWindow)
	for range 3 * failedSignIns {
		f.get("/api/stats", "Bearer "+f.tok["tampered"], guesser)
	}
	if n := strings.Count(f.log.String(), "failed sign-ins rate-limited"); n != 2 {
		t.Errorf("rate-limit warning logged %d times over two windows, want 2", n)
	}
}

// TestWithoutTokenStore is the memory store started without --tokens-file:
// every token is refused with a message that says what to start with.
func TestWithoutTokenStore(t *testing.T) {
	store, err := memory.New(testDataset(), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := New(store, slog.New(slog.DiscardHandler), Options{})
	tok, _ := auth.NewToken()
	for _, header := range []string{"", "Bearer " + tok} {
		r := httptest.NewRequest(http.MethodGet, "/api/whoami", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if header == "" {
			if w.Code != 200 || !strings.Contains(w.Body.String(), `"role":"public"`) {
				t.Errorf("no token: %d %s", w.Code, w.Body)
			}
			continue
		}
		if w.Code != 401 || !strings.Contains(w.Body.String(), "--tokens-file") || !strings.Contains(w.Body.String(), "--database-url") {
			t.Errorf("token without a store: %d %s, want 401 naming --tokens-file and --database-url", w.Code, w.Body)
		}
	}
}

// TestAnalystSeesUnsuppressed asks the same answers as an analyst first and
// the public second: the analyst gets figures the public does not, and the
// public answer afterwards is byte for byte what a server that never served
// an analyst gives (no analyst tile reached the shared cache).
func TestAnalystSeesUnsuppressed(t *testing.T) {
	for _, path := range []string{
		"/tiles/villages,hexagons/12/3295/2127.mvt",
		"/tiles/villages/14/13182/8508.mvt",
		"/api/stats?level=village",
		"/collections/villages/items?limit=all",
		"/collections/hexagons_r10/items?limit=all",
	} {
		t.Run(path, func(t *testing.T) {
			f := newAuthFixture(t)
			analyst := f.get(path, "Bearer "+f.tok["analyst"], "192.0.2.2")
			pub := f.get(path, "", "192.0.2.2")
			fresh := newAuthFixture(t).get(path, "", "192.0.2.2")
			if analyst.Code != 200 || pub.Code != 200 || fresh.Code != 200 {
				t.Fatalf("status analyst %d, public %d, fresh %d: %s", analyst.Code, pub.Code, fresh.Code, analyst.Body)
			}
			if !bytes.Equal(pub.Body.Bytes(), fresh.Body.Bytes()) {
				t.Fatal("the public answer after an analyst's differs from a fresh server's")
			}
			if bytes.Equal(analyst.Body.Bytes(), pub.Body.Bytes()) {
				t.Fatal("the analyst got the public answer")
			}
			if etag := analyst.Header().Get("ETag"); etag != "" {
				t.Errorf("analyst answer carries ETag %s", etag)
			}
			if strings.HasPrefix(path, "/tiles/") {
				return
			}
			// The JSON answers: the public has suppressed areas, the
			// analyst none.
			// Suppressed hexagons are left out of the public list, so there
			// the analyst has more features instead.
			features := func(b []byte) int { return bytes.Count(b, []byte(`"type":"Feature"`)) }
			if !bytes.Contains(pub.Body.Bytes(), []byte(`"suppressed":true`)) && features(analyst.Body.Bytes()) <= features(pub.Body.Bytes()) {
				t.Fatalf("public answer has no suppressed area and no fewer features: nothing to open")
			}
			if bytes.Contains(analyst.Body.Bytes(), []byte(`"suppressed":true`)) {
				t.Errorf("analyst answer has a suppressed area")
			}
		})
	}
}
