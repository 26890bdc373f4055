package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"labmap/data"
	"labmap/data/memory"
	"labmap/tiles"
	"labmap/tiles/glyphs"
)

// rawClient never asks for or undoes compression itself, so tests see the
// bytes on the wire.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

type fetched struct {
	status int
	header http.Header
	body   []byte // as sent
}

func fetch(t *testing.T, u string, header ...string) fetched {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fetched{resp.StatusCode, resp.Header, b}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip: %v", err)
	}
	return out
}

func varies(h http.Header, name string) bool {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return true
			}
		}
	}
	return false
}

// TestGzip checks every kind of text response: compressed when asked for,
// decoding to exactly the identity body, Vary set either way; small bodies
// and tiles (which compress themselves) left as they are.
func TestGzip(t *testing.T) {
	srv, _ := demoServer(t)
	for _, tc := range []struct {
		name  string
		path  string
		gzip  bool // compressed when the client accepts gzip
		ctype string
	}{
		{"stats JSON", "/api/stats?level=village", true, "application/json"},
		{"indicators JSON", "/api/indicators", true, "application/json"},
		{"GeoJSON items", "/collections/villages/items?limit=20", true, "application/geo+json"},
		{"CSV items", "/collections/villages/items?limit=20&f=csv", true, "text/csv"},
		{"HTML items with SVG", "/collections/villages/items?limit=20&f=html", true, "text/html"},
		{"OpenAPI", "/api", true, "json"},
		{"glyph PBF", "/fonts/Go%20Regular/0-255.pbf", true, "application/x-protobuf"},
		{"small JSON error", "/api/stats?level=nowhere", false, "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := fetch(t, srv.URL+tc.path)
			gz := fetch(t, srv.URL+tc.path, "Accept-Encoding", "gzip")
			if !strings.Contains(gz.header.Get("Content-Type"), tc.ctype) {
				t.Fatalf("Content-Type %q, want %s", gz.header.Get("Content-Type"), tc.ctype)
			}
			if plain.header.Get("Content-Encoding") != "" {
				t.Errorf("encoded %q for a client that did not ask", plain.header.Get("Content-Encoding"))
			}
			if !varies(gz.header, "Accept-Encoding") || !varies(plain.header, "Accept-Encoding") {
				t.Errorf("Vary %q / %q, want Accept-Encoding on both", gz.header.Values("Vary"), plain.header.Values("Vary"))
			}
			if !tc.gzip {
				if gz.header.Get("Content-Encoding") != "" || !bytes.Equal(gz.body, plain.body) {
					t.Errorf("a %d-byte body was encoded %q", len(plain.body), gz.header.Get("Content-Encoding"))
				}
				return
			}
			if gz.header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("Content-Encoding %q, want gzip", gz.header.Get("Content-Encoding"))
			}
			if got := gunzip(t, gz.body); !bytes.Equal(got, plain.body) {
				t.Fatalf("gzip body decodes to %d bytes, identity body has %d (or they differ)", len(got), len(plain.body))
			}
			if len(gz.body) >= len(plain.body) {
				t.Errorf("gzip %d bytes, identity %d", len(gz.body), len(plain.body))
			}
			t.Logf("%s: %d → %d bytes", tc.path, len(plain.body), len(gz.body))
		})
	}
	t.Run("q=0 refuses gzip", func(t *testing.T) {
		f := fetch(t, srv.URL+"/api/indicators", "Accept-Encoding", "gzip;q=0, identity")
		if f.header.Get("Content-Encoding") != "" {
			t.Errorf("encoded %q against gzip;q=0", f.header.Get("Content-Encoding"))
		}
	})
	t.Run("tile not double-encoded", func(t *testing.T) {
		z, x, y := 10, 823, 532 // over Kabupaten Pekalongan
		u := srv.URL + "/tiles/villages/" + itoa(z) + "/" + itoa(x) + "/" + itoa(y) + ".mvt"
		gz := fetch(t, u, "Accept-Encoding", "gzip")
		plain := fetch(t, u)
		if got := gz.header.Values("Content-Encoding"); !slices.Equal(got, []string{"gzip"}) {
			t.Fatalf("Content-Encoding %q, want one gzip", got)
		}
		once := gunzip(t, gz.body)
		if bytes.HasPrefix(once, []byte{0x1f, 0x8b}) {
			t.Fatal("the tile was gzipped twice")
		}
		if !bytes.Equal(once, plain.body) || len(plain.body) == 0 {
			t.Fatalf("gunzipped tile (%d bytes) differs from the identity tile (%d bytes)", len(once), len(plain.body))
		}
	})
	t.Run("HEAD not encoded", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodHead, srv.URL+"/api/indicators", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := rawClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("HEAD: status %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
	})
}

// testDist is a built web map small enough to read: a page naming its
// script and style, a script large enough to compress.
func testDist() fstest.MapFS {
	script := []byte("console.log(" + strings.Repeat(`"labmap",`, 400) + "0);\n")
	return fstest.MapFS{
		"index.html": {Data: []byte(`<!doctype html><html><head><link rel="stylesheet" href="/web/app.css">` +
			`<link rel="icon" href="data:,"></head><body><script src="/web/app.js"></script>` +
			`<a href="/web/missing.txt">x</a></body></html>`)},
		"app.js":   {Data: script},
		"app.css":  {Data: []byte("body{margin:0}\n")},
		".gitkeep": {Data: nil},
	}
}

func testStore() (*memory.Store, error) { return memory.New(testDataset(), memory.Options{}) }

func newDistServer(t *testing.T, opt Options) *httptest.Server {
	t.Helper()
	store, err := testStore()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(store, slog.New(slog.NewTextHandler(io.Discard, nil)), opt, testDist()))
	t.Cleanup(srv.Close)
	return srv
}

var hashedRef = regexp.MustCompile(`(?:src|href)="(/web/[^"]+)"`)

// TestWebAssets checks fingerprints and caching: the page names its files
// by content hash, those names are immutable, the page and plain names are
// revalidated by ETag, and every one of them answers 304 to its ETag.
func TestWebAssets(t *testing.T) {
	srv := newDistServer(t, Options{})
	page := fetch(t, srv.URL+"/", "Accept", "text/html")
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("/: %d %s", page.status, page.header.Get("Content-Type"))
	}
	refs := map[string]string{} // plain name → fingerprinted path
	for _, m := range hashedRef.FindAllStringSubmatch(string(page.body), -1) {
		p := m[1]
		for _, plain := range []string{"app.js", "app.css"} {
			ext := plain[strings.LastIndex(plain, "."):]
			if matched, _ := regexp.MatchString(`^/web/`+regexp.QuoteMeta(strings.TrimSuffix(plain, ext))+`\.[0-9a-f]{10}`+regexp.QuoteMeta(ext)+`$`, p); matched {
				refs[plain] = p
			}
		}
	}
	if len(refs) != 2 {
		t.Fatalf("fingerprinted references %v in %s", refs, page.body)
	}
	if !strings.Contains(string(page.body), `href="/web/missing.txt"`) {
		t.Error("a reference to a file that is not there was rewritten")
	}
	for _, tc := range []struct {
		name, path, cache string
	}{
		{"page", "/", "no-cache"},
		{"page by name", "/web/index.html", "no-cache"},
		{"fingerprinted script", refs["app.js"], "public, max-age=31536000, immutable"},
		{"fingerprinted style", refs["app.css"], "public, max-age=31536000, immutable"},
		{"script by plain name", "/web/app.js", "no-cache"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, enc := range []string{"", "gzip"} {
				first := fetch(t, srv.URL+tc.path, "Accept", "text/html", "Accept-Encoding", enc)
				if first.status != 200 {
					t.Fatalf("%s: status %d", enc, first.status)
				}
				if cc := first.header.Get("Cache-Control"); cc != tc.cache {
					t.Errorf("Cache-Control %q, want %q", cc, tc.cache)
				}
				etag := first.header.Get("Etag")
				if etag == "" {
					t.Fatal("no ETag")
				}
				again := fetch(t, srv.URL+tc.path, "Accept", "text/html", "Accept-Encoding", enc, "If-None-Match", etag)
				if again.status != http.StatusNotModified || len(again.body) != 0 {
					t.Errorf("If-None-Match %s (encoding %q): status %d with %d bytes, want 304", etag, enc, again.status, len(again.body))
				}
				stale := fetch(t, srv.URL+tc.path, "Accept", "text/html", "Accept-Encoding", enc, "If-None-Match", `"stale"`)
				if stale.status != 200 {
					t.Errorf("a stale ETag got %d, want 200", stale.status)
				}
			}
		})
	}
	t.Run("script compressed once and decodes to the file", func(t *testing.T) {
		gz := fetch(t, srv.URL+refs["app.js"], "Accept-Encoding", "gzip")
		if gz.header.Get("Content-Encoding") != "gzip" || !varies(gz.header, "Accept-Encoding") {
			t.Fatalf("Content-Encoding %q, Vary %q", gz.header.Get("Content-Encoding"), gz.header.Values("Vary"))
		}
		if got := gunzip(t, gz.body); !bytes.Equal(got, testDist()["app.js"].Data) {
			t.Fatal("gzip body does not decode to app.js")
		}
		if ct := gz.header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
			t.Errorf("Content-Type %q", ct)
		}
	})
	t.Run("unknown and hidden files", func(t *testing.T) {
		for _, p := range []string{"/web/nothing.js", "/web/.gitkeep", "/web/"} {
			if f := fetch(t, srv.URL+p); f.status != 404 || !strings.Contains(f.header.Get("Content-Type"), "json") {
				t.Errorf("%s: %d %s, want a JSON 404", p, f.status, f.header.Get("Content-Type"))
			}
		}
	})
}

// TestPageSecurityHeaders checks the page's Content-Security-Policy, with
// and without a basemap, and the headers every response carries.
func TestPageSecurityHeaders(t *testing.T) {
	for _, tc := range []struct {
		name    string
		basemap string
		allow   string // a source img-src and connect-src must list
	}{
		{"no basemap", "", ""},
		{"basemap", "https://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org"},
		{"basemap with subdomains", "https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newDistServer(t, Options{BasemapURL: tc.basemap})
			for _, p := range []string{"/", "/web/index.html"} {
				page := fetch(t, srv.URL+p, "Accept", "text/html")
				csp := map[string][]string{}
				for d := range strings.SplitSeq(page.header.Get("Content-Security-Policy"), ";") {
					f := strings.Fields(d)
					if len(f) > 0 {
						csp[f[0]] = f[1:]
					}
				}
				if !slices.Equal(csp["script-src"], []string{"'self'"}) || !slices.Equal(csp["default-src"], []string{"'self'"}) {
					t.Errorf("%s: script-src %q default-src %q, want 'self' only", p, csp["script-src"], csp["default-src"])
				}
				for dir, want := range map[string]string{"worker-src": "blob:", "child-src": "blob:", "img-src": "data:", "object-src": "'none'"} {
					if !slices.Contains(csp[dir], want) {
						t.Errorf("%s: %s %q lacks %s", p, dir, csp[dir], want)
					}
				}
				for _, dir := range []string{"img-src", "connect-src"} {
					hasOther := slices.ContainsFunc(csp[dir], func(s string) bool { return strings.Contains(s, "://") })
					if tc.allow == "" && hasOther {
						t.Errorf("%s: %s %q allows another host without a basemap", p, dir, csp[dir])
					}
					if tc.allow != "" && !slices.Contains(csp[dir], tc.allow) {
						t.Errorf("%s: %s %q lacks the basemap %s", p, dir, csp[dir], tc.allow)
					}
				}
			}
			api := fetch(t, srv.URL+"/api/indicators")
			if api.header.Get("X-Content-Type-Options") != "nosniff" || api.header.Get("Referrer-Policy") == "" {
				t.Errorf("API: X-Content-Type-Options %q, Referrer-Policy %q", api.header.Get("X-Content-Type-Options"), api.header.Get("Referrer-Policy"))
			}
			if api.header.Get("Content-Security-Policy") != "" {
				t.Error("the page's policy on a JSON answer")
			}
		})
	}
}

// TestBuiltPageHasNoInlineScript checks the map built into this binary:
// a page whose scripts all come from files can live under script-src 'self'.
func TestBuiltPageHasNoInlineScript(t *testing.T) {
	wa := builtWeb(t)
	body := string(wa.index.body)
	for _, m := range regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(body, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script in index.html: %.80s", m[0])
		}
	}
	if regexp.MustCompile(`(?i)\son[a-z]+\s*=`).MatchString(body) {
		t.Error("an inline event handler (on…=) in index.html")
	}
	for _, m := range hashedRef.FindAllStringSubmatch(body, -1) {
		if _, ok := wa.byPath[strings.TrimPrefix(m[1], "/web/")]; !ok {
			t.Errorf("index.html names %s, which is not in the build", m[1])
		}
	}
}

// TestHexagonResolutions checks the one zoom → resolution table: served in
// config.json and the hexagon TileJSON, and the very rule the tiles use.
func TestHexagonResolutions(t *testing.T) {
	srv, _ := newTestServer(t)
	cfg := getJSON(t, srv.URL+"/web/config.json", 200)
	tj := getJSON(t, srv.URL+"/tiles/hexagons.json", 200)
	for name, raw := range map[string]any{"config.json hexagon_res": cfg["hexagon_res"], "TileJSON labmap:hexagon_res": tj["labmap:hexagon_res"]} {
		b, _ := json.Marshal(raw)
		var rows []tiles.HexagonZoom
		if err := json.Unmarshal(b, &rows); err != nil || len(rows) == 0 {
			t.Fatalf("%s: %s (%v)", name, b, err)
		}
		next := tiles.MinZoom
		for _, row := range rows {
			if row.MinZoom != next || row.MaxZoom < row.MinZoom {
				t.Fatalf("%s: rows %v do not cover zooms %d–%d in order", name, rows, tiles.MinZoom, tiles.MaxZoom)
			}
			for z := row.MinZoom; z <= row.MaxZoom; z++ {
				if got := tiles.ResForZoom(z); got != row.Res {
					t.Errorf("%s: z%d says res %d, tiles use %d", name, z, row.Res, got)
				}
			}
			next = row.MaxZoom + 1
		}
		if next != tiles.MaxZoom+1 {
			t.Errorf("%s: ends at z%d, want %d", name, next-1, tiles.MaxZoom)
		}
	}
	for _, tc := range []struct{ z, res int }{{0, 6}, {8, 6}, {9, 7}, {10, 7}, {11, 8}, {12, 8}, {13, 9}, {14, 10}, {16, 10}} {
		if got := tiles.ResForZoom(tc.z); got != tc.res {
			t.Errorf("z%d: res %d, the README's rule says %d", tc.z, got, tc.res)
		}
	}
	if cfg["glyphs"] != "/fonts/{fontstack}/{range}.pbf" {
		t.Errorf("config glyphs %v", cfg["glyphs"])
	}
	villages := getJSON(t, srv.URL+"/tiles/villages.json", 200)
	if _, ok := villages["labmap:hexagon_res"]; ok {
		t.Error("the villages TileJSON carries the hexagon table")
	}
	better, _ := villages["labmap:better"].(map[string]any)
	for _, ind := range data.Indicators {
		if better[ind.Key] != string(ind.Better) {
			t.Errorf("TileJSON labmap:better[%s] = %v, want %s", ind.Key, better[ind.Key], ind.Better)
		}
	}
}

// TestGlyphEndpoint checks what MapLibre fetches for labels.
func TestGlyphEndpoint(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, tc := range []struct {
		name   string
		path   string
		status int
		glyph  rune // present with a bitmap; 0 for none expected
	}{
		{"regular latin", "/fonts/Go%20Regular/0-255.pbf", 200, 'A'},
		{"composite stack", "/fonts/Go%20Bold,Go%20Regular/0-255.pbf", 200, 'K'},
		{"punctuation", "/fonts/Go%20Regular/8192-8447.pbf", 200, '—'},
		{"uncovered block", "/fonts/Go%20Regular/44032-44287.pbf", 200, 0},
		{"unaligned range", "/fonts/Go%20Regular/1-256.pbf", 400, 0},
		{"beyond the BMP", "/fonts/Go%20Regular/65536-65791.pbf", 400, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fetch(t, srv.URL+tc.path)
			if f.status != tc.status {
				t.Fatalf("status %d, want %d: %s", f.status, tc.status, f.body)
			}
			if tc.status != 200 {
				if !strings.Contains(string(f.body), `"error"`) || !strings.Contains(string(f.body), "range") {
					t.Errorf("error body %s does not name the range", f.body)
				}
				return
			}
			stacks, err := glyphs.Decode(f.body)
			if err != nil || len(stacks) != 1 {
				t.Fatalf("%d stacks, %v", len(stacks), err)
			}
			if tc.glyph == 0 {
				if len(stacks[0].Glyphs) != 0 {
					t.Errorf("%d glyphs in an uncovered block", len(stacks[0].Glyphs))
				}
				return
			}
			found := false
			for _, g := range stacks[0].Glyphs {
				if g.ID == uint32(tc.glyph) {
					found = len(g.Bitmap) == int(g.Width+6)*int(g.Height+6) && g.Advance > 0
				}
			}
			if !found {
				t.Errorf("%q missing or malformed", tc.glyph)
			}
			etag := f.header.Get("Etag")
			if again := fetch(t, srv.URL+tc.path, "If-None-Match", etag); again.status != 304 {
				t.Errorf("If-None-Match %s: %d, want 304", etag, again.status)
			}
			gz := fetch(t, srv.URL+tc.path, "Accept-Encoding", "gzip")
			if gz.header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("glyphs not compressed")
			}
			if again := fetch(t, srv.URL+tc.path, "Accept-Encoding", "gzip", "If-None-Match", gz.header.Get("Etag")); again.status != 304 {
				t.Errorf("If-None-Match %s on the gzip body: %d, want 304", gz.header.Get("Etag"), again.status)
			}
		})
	}
}

// builtWeb is the embedded web map; a test that needs it fails in CI when
// it is not built, and skips loudly elsewhere.
func builtWeb(t *testing.T) *webAssets {
	t.Helper()
	wa, err := newWebAssets(webDist())
	if err != nil {
		t.Fatal(err)
	}
	if wa.index == nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the web map is not built (api/web/dist/index.html missing)")
		}
		t.Skip("the web map is not built; run npm run build in api/web")
	}
	return wa
}
