package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"labmap/data"
	"labmap/data/memory"
	"labmap/internal/testsignal"

	"github.com/gorilla/mux"
)

// chainServer is a Server over the test dataset whose log lines go to
// logs, and the handler of its whole chain around router; extra routes
// let a test put a handler of its own behind the real middleware.
func chainServer(t *testing.T, store data.Store, logs io.Writer, opt Options, extra func(r *mux.Router)) (*Server, http.Handler) {
	t.Helper()
	if store == nil {
		mem, err := memory.New(testDataset(), memory.Options{PrimaryOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		store = mem
	}
	s := newServer(store, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), opt, testDist())
	router := s.routes()
	if extra != nil {
		// Routes of the test's own, matched before the real ones.
		test := mux.NewRouter()
		test.Use(s.perRoute)
		extra(test)
		test.NotFoundHandler = router
		return s, s.chain(test)
	}
	return s, s.chain(router)
}

func TestRequestID(t *testing.T) {
	logs := testsignal.NewLines(64)
	_, h := chainServer(t, nil, logs, Options{}, nil)
	generated := regexp.MustCompile(`^[0-9a-z]{1,13}$`)
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"none sent", "", false},
		{"a proxy's id", "9f1c2a7e-3b4d-4c5e-8f60-718293a4b5c6", true},
		{"too long", strings.Repeat("a", 65), false},
		{"a log line forged", "abc\nlevel=ERROR", false},
		{"spaces", "a b", false},
		{"a token", "lm_" + strings.Repeat("A", 43), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(logs.String())
			r := httptest.NewRequest(http.MethodGet, "/api/zones", nil)
			if tc.sent != "" {
				r.Header.Set("X-Request-Id", tc.sent)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			id := w.Header().Get("X-Request-Id")
			switch {
			case tc.kept && id != tc.sent:
				t.Fatalf("X-Request-Id %q, want the client's %q", id, tc.sent)
			case !tc.kept && (id == tc.sent || !generated.MatchString(id)):
				t.Fatalf("X-Request-Id %q: want a generated id, not %q", id, tc.sent)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()[before:]), "\n")
			if len(lines) == 0 || !strings.Contains(lines[len(lines)-1], "msg=request") {
				t.Fatalf("no access log line: %q", lines)
			}
			for _, l := range lines {
				if !strings.Contains(l, "request_id="+id) {
					t.Errorf("log line without the request id %s: %s", id, l)
				}
			}
		})
	}
	t.Run("every line of a request", func(t *testing.T) {
		// A bad token is logged by the authenticator, then the request by
		// the access log: both carry the id.
		before := len(logs.String())
		r := httptest.NewRequest(http.MethodGet, "/api/stats?level=village", nil)
		r.Header.Set("Authorization", "Bearer lm_"+strings.Repeat("B", 43))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		id := w.Header().Get("X-Request-Id")
		lines := strings.Split(strings.TrimSpace(logs.String()[before:]), "\n")
		if w.Code != http.StatusUnauthorized || len(lines) < 2 {
			t.Fatalf("status %d, %d log lines: %q", w.Code, len(lines), lines)
		}
		for _, l := range lines {
			if !strings.Contains(l, "request_id="+id) {
				t.Errorf("log line without the request id %s: %s", id, l)
			}
		}
	})
}

func TestAccessLog(t *testing.T) {
	logs := testsignal.NewLines(64)
	_, h := chainServer(t, nil, logs, Options{}, nil)
	for _, tc := range []struct {
		name, path, auth string
		want             []string
		absent           []string
	}{
		{"a route", "/api/stats?level=village&lang=en", "",
			[]string{"method=GET", "route=/api/stats", `path="/api/stats?level=village&lang=en"`, "status=200", "duration=", "bytes="}, nil},
		{"a tile", kertijayanTile(), "",
			[]string{"route=/tiles/{layers}/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.{ext:(?:mvt|pbf)}", "status=200"}, nil},
		{"no route", "/nowhere?x=1", "", []string{"route=(none)", "status=404"}, nil},
		// Refused before the URL is logged: its query never reaches the log.
		{"token in the URL", "/api/stats?access_token=lm_" + strings.Repeat("C", 43), "",
			[]string{"route=(none)", "path=/api/stats ", "status=400"}, []string{"lm_CCC"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(logs.String())
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
			var access string
			for _, l := range strings.Split(logs.String()[before:], "\n") {
				if strings.Contains(l, "msg=request ") {
					access = l
				}
				for _, a := range tc.absent {
					if strings.Contains(l, a) {
						t.Errorf("%q logged: %s", a, l)
					}
				}
			}
			for _, want := range tc.want {
				if !strings.Contains(access, want) {
					t.Errorf("access log line lacks %q: %s", want, access)
				}
			}
			if !strings.Contains(access, "bytes="+itoa(w.Body.Len())) {
				t.Errorf("access log line does not count the %d bytes sent: %s", w.Body.Len(), access)
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	_, h := chainServer(t, nil, io.Discard, Options{}, nil)
	for _, tc := range []struct {
		name          string
		method, heads string
		status        int
		allowOrigin   string
		allowHeaders  string
	}{
		{"public GET", "GET", "", http.StatusNoContent, "*", ""},
		{"HEAD with revalidation", "HEAD", "If-None-Match", http.StatusNoContent, "*", "if-none-match"},
		// Tokens stay same-origin: a preflight for Authorization fails.
		{"GET with a token", "GET", "authorization", http.StatusForbidden, "", ""},
		{"token among others", "GET", "if-none-match, Authorization", http.StatusForbidden, "", ""},
		{"token, no method", "", "authorization", http.StatusForbidden, "", ""},
		{"another header", "GET", "x-secret", http.StatusForbidden, "", ""},
		{"POST", "POST", "", http.StatusMethodNotAllowed, "", ""},
		{"plain OPTIONS", "", "", http.StatusNoContent, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodOptions, "/api/stats?level=village", nil)
			r.Header.Set("Origin", "https://elsewhere.example")
			if tc.method != "" {
				r.Header.Set("Access-Control-Request-Method", tc.method)
			}
			if tc.heads != "" {
				r.Header.Set("Access-Control-Request-Headers", tc.heads)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			hd := w.Header()
			if w.Code != tc.status || hd.Get("Access-Control-Allow-Origin") != tc.allowOrigin || hd.Get("Access-Control-Allow-Headers") != tc.allowHeaders {
				t.Fatalf("status %d, Allow-Origin %q, Allow-Headers %q; want %d, %q, %q (%s)", w.Code,
					hd.Get("Access-Control-Allow-Origin"), hd.Get("Access-Control-Allow-Headers"), tc.status, tc.allowOrigin, tc.allowHeaders, w.Body)
			}
			if hd.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("Access-Control-Allow-Credentials is set")
			}
			if tc.status >= 400 {
				var body struct{ Error string }
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error == "" {
					t.Errorf("refusal is not a JSON error: %q", w.Body)
				}
			}
		})
	}
	t.Run("CORS on public reads only", func(t *testing.T) {
		for _, tc := range []struct {
			path, auth string
			want       string
		}{
			{"/api/zones", "", "*"},
			{"/web/config.json", "", "*"},
			{"/tiles/villages.json", "", "*"},
			{"/nowhere", "", "*"},
			{"/api/zones", "Bearer lm_" + strings.Repeat("D", 43), ""}, // refused (no token store), still no CORS
		} {
			r := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != tc.want {
				t.Errorf("GET %s (auth %v): Access-Control-Allow-Origin %q, want %q", tc.path, tc.auth != "", got, tc.want)
			}
			if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Referrer-Policy") != "same-origin" {
				t.Errorf("GET %s: security headers missing: %v", tc.path, w.Header())
			}
		}
	})
}

func TestPanicRecovery(t *testing.T) {
	logs := testsignal.NewLines(64)
	afterWrite := make(chan struct{})
	_, h := chainServer(t, nil, logs, Options{}, func(r *mux.Router) {
		r.HandleFunc("/panic/before", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip") // must not survive into the 500
			w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
			var m map[string]int
			m["boom"]++ // a nil map: a real runtime panic
		})
		r.HandleFunc("/panic/after", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/csv")
			w.Write([]byte(strings.Repeat("a,b\n", 4096)))
			w.(http.Flusher).Flush()
			close(afterWrite)
			panic("half a CSV sent")
		})
	})
	t.Run("before the response", func(t *testing.T) {
		before := len(logs.String())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/panic/before", nil))
		var body struct {
			Error  string
			Status int
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 500 || body.Status != 500 || body.Error != "internal error" {
			t.Fatalf("status %d, body %q (%v); want a JSON 500", w.Code, w.Body, err)
		}
		hd := w.Header()
		if hd.Get("Content-Encoding") != "" || hd.Get("Content-Type") != "application/json" || hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("X-Request-Id") == "" {
			t.Errorf("500 headers: %v", hd)
		}
		logged := logs.String()[before:]
		if n := strings.Count(logged, "level=ERROR"); n != 1 {
			t.Errorf("%d ERROR lines, want 1:\n%s", n, logged)
		}
		if !strings.Contains(logged, "nil map") || !strings.Contains(logged, "goroutine") || !strings.Contains(logged, "middleware_test.go") {
			t.Errorf("the ERROR line has no panic value and stack:\n%s", logged)
		}
		if strings.Contains(w.Body.String(), "goroutine") || strings.Contains(w.Body.String(), "nil map") {
			t.Errorf("the stack reached the client: %s", w.Body)
		}
		if !strings.Contains(logged, "status=500") {
			t.Errorf("access log does not show the 500:\n%s", logged)
		}
	})
	t.Run("after the status went out", func(t *testing.T) {
		// A real connection: the client must see a broken answer, not a
		// short CSV that looks whole.
		srv := httptest.NewServer(h)
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/panic/after")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		<-afterWrite
		b, err := io.ReadAll(resp.Body)
		if err == nil {
			t.Fatalf("a body of %d bytes read to its end; want the connection cut", len(b))
		}
		if resp.StatusCode != 200 {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

// gatedStatsStore holds every Stats call at a gate the test opens (or until
// the request ends), reporting each call on entered. Other calls pass.
type gatedStatsStore struct {
	data.Store
	entered chan struct{}
	gate    chan struct{}
	down    chan struct{} // closed: Stats answers ErrUnavailable at once
}

func newGatedStatsStore(t *testing.T) *gatedStatsStore {
	t.Helper()
	mem, err := memory.New(testDataset(), memory.Options{PrimaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return &gatedStatsStore{Store: mem, entered: make(chan struct{}, 16), gate: make(chan struct{}), down: make(chan struct{})}
}

func (g *gatedStatsStore) Stats(ctx context.Context, q data.StatsQuery) ([]data.AreaStats, error) {
	select {
	case g.entered <- struct{}{}:
	default: // nobody is counting
	}
	select {
	case <-g.gate:
	case <-g.down:
		return nil, errors.Join(data.ErrUnavailable, errors.New("dial tcp: connection refused"))
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Store.Stats(ctx, q)
}

// TestClientGone: a request whose client hangs up while the store works is
// logged at DEBUG as 499, never as an ERROR or a 500, and net/http never
// complains of a superfluous WriteHeader.
func TestClientGone(t *testing.T) {
	g := newGatedStatsStore(t)
	logs := testsignal.NewLines(64)
	s, h := chainServer(t, g, logs, Options{}, nil)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/stats?level=village", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	testsignal.Await(t, "the request to reach the store", g.entered)
	cancel()
	if err := testsignal.Await(t, "the client", done); !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v, want its own cancellation", err)
	}
	for line := testsignal.Await(t, "the access log line", logs.C); !strings.Contains(line, "msg=request "); {
		line = testsignal.Await(t, "the access log line", logs.C)
	}
	all := logs.String()
	if strings.Contains(all, "level=ERROR") || strings.Contains(all, "level=WARN") || strings.Contains(all, "status=500") || strings.Contains(all, "superfluous") {
		t.Errorf("a client hanging up was logged as a failure:\n%s", all)
	}
	if !strings.Contains(all, "status=499") || !strings.Contains(all, "level=DEBUG msg=\"request abandoned by the client\"") {
		t.Errorf("the hang-up is not a DEBUG line and a 499:\n%s", all)
	}
}

// TestOutageLog: an outage is one WARN on the way down and one INFO on the
// way up with the count of refused requests, whatever their number; each
// refusal is a 503 with Retry-After.
func TestOutageLog(t *testing.T) {
	g := newGatedStatsStore(t)
	logs := testsignal.NewLines(256)
	_, h := chainServer(t, g, logs, Options{}, nil)
	get := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/stats?level=village", nil))
		return w
	}
	close(g.down)
	const refused = 7
	for i := range refused {
		w := get()
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "unreachable") {
			t.Fatalf("request %d in the outage: status %d, Retry-After %q, %s", i, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
	g.down = make(chan struct{})
	close(g.gate)
	for range 2 {
		if w := get(); w.Code != 200 {
			t.Fatalf("after the outage: status %d: %s", w.Code, w.Body)
		}
	}
	all := logs.String()
	if n := strings.Count(all, "level=WARN"); n != 1 || !strings.Contains(all, "store unavailable") {
		t.Errorf("%d WARN lines for one outage, want 1:\n%s", n, all)
	}
	if n := strings.Count(all, "store available again"); n != 1 || !strings.Contains(all, "refused="+itoa(refused)) {
		t.Errorf("%d 'available again' lines, want 1 with refused=%d:\n%s", n, refused, all)
	}
}

// connServer serves h on 127.0.0.1 with lim, as `labmap serve` does.
func connServer(t *testing.T, h http.Handler, lim ConnLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewHTTPServer(h, lim, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// readUntilClosed reads conn until the server closes it and returns what
// came; the read's end, not a clock, is what the test waits for.
func readUntilClosed(t *testing.T, conn net.Conn) (int64, error) {
	t.Helper()
	done := make(chan struct{})
	var n int64
	var err error
	go func() {
		n, err = io.Copy(io.Discard, conn)
		close(done)
	}()
	testsignal.Await(t, "the server to close the connection", done)
	return n, err
}

// TestConnLimits drives a real server with short limits: clients that
// hold a connection without using it are cut.
func TestConnLimits(t *testing.T) {
	const unit = 200 * time.Millisecond // the limits' scale here; the test waits on closed connections
	lim := ConnLimits{ReadHeaderTimeout: unit, ReadTimeout: unit, WriteTimeout: unit, IdleTimeout: unit, MaxHeaderBytes: 8 << 10}
	cut := make(chan error, 4)
	stream := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		chunk := []byte(strings.Repeat("33.26.14.2009,Kertijayan,0.25\n", 2048))
		for {
			if _, err := w.Write(chunk); err != nil {
				cut <- err
				return
			}
		}
	}
	_, h := chainServer(t, nil, io.Discard, Options{WriteTimeout: lim.WriteTimeout}, func(r *mux.Router) {
		// A streamed route (write deadline pushed per write) and a plain one.
		r.HandleFunc("/collections/{collection}/items", stream)
		r.HandleFunc("/big.csv", stream)
	})
	addr := connServer(t, h, lim)
	dial := func(t *testing.T) net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}

	t.Run("idle keep-alive", func(t *testing.T) {
		conn := dial(t)
		io.WriteString(conn, "GET /api/zones HTTP/1.1\r\nHost: labmap\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil || resp.StatusCode != 200 || resp.Close {
			t.Fatalf("status %d, close %v, err %v", resp.StatusCode, resp.Close, err)
		}
		// The connection is kept alive; nothing more is sent.
		n, _ := readUntilClosed(t, &bufConn{conn, br})
		if n != 0 {
			t.Errorf("%d bytes after the response", n)
		}
	})
	t.Run("headers never finished", func(t *testing.T) {
		conn := dial(t)
		io.WriteString(conn, "GET /api/zones HTTP/1.1\r\nHost: labmap\r\nX-Slow: ")
		readUntilClosed(t, conn)
	})
	t.Run("headers too big", func(t *testing.T) {
		conn := dial(t)
		io.WriteString(conn, "GET /api/zones HTTP/1.1\r\nHost: labmap\r\nX-Big: "+strings.Repeat("x", 16<<10)+"\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", resp.StatusCode)
		}
	})
	for _, path := range []string{"/collections/villages/items?limit=all", "/big.csv"} {
		t.Run("client that does not read "+path, func(t *testing.T) {
			conn := dial(t)
			io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: labmap\r\n\r\n")
			err := testsignal.Await(t, "the stream's write to fail", cut)
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("the stream ended with %v, want the write deadline", err)
			}
			readUntilClosed(t, conn)
		})
	}
}

// bufConn reads through the bufio.Reader that already holds part of conn.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestTrackedWriterDeadline(t *testing.T) {
	rec := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
	const wt = time.Minute
	w := &trackedWriter{ResponseWriter: rec, writeTimeout: wt}
	w.WriteHeader(http.StatusAccepted)
	w.WriteHeader(http.StatusInternalServerError) // superfluous: dropped
	w.Write([]byte("a"))
	w.Write([]byte("b"))
	if rec.Code != http.StatusAccepted || w.status != http.StatusAccepted || w.bytes != 2 {
		t.Errorf("status sent %d, recorded %d, bytes %d", rec.Code, w.status, w.bytes)
	}
	if rec.headers != 1 {
		t.Errorf("%d WriteHeader calls reached the connection's writer", rec.headers)
	}
	// The first write set the deadline a write timeout ahead; the second,
	// with most of it left, did not move it again.
	if len(rec.deadlines) != 1 || rec.deadlines[0].Sub(w.deadline) != 0 {
		t.Errorf("deadlines set: %v", rec.deadlines)
	}
}

// deadlineRecorder is a recorder with the write-deadline method
// http.ResponseController looks for, noting each deadline and status.
type deadlineRecorder struct {
	*httptest.ResponseRecorder
	deadlines []time.Time
	headers   int
}

func (d *deadlineRecorder) SetWriteDeadline(t time.Time) error {
	d.deadlines = append(d.deadlines, t)
	return nil
}

func (d *deadlineRecorder) WriteHeader(code int) {
	d.headers++
	d.ResponseRecorder.WriteHeader(code)
}
