package api

import (
	"embed"
	"io/fs"
	"net/http"
	"strconv"

	"labmap/tiles"
	"labmap/tiles/glyphs"
)

// webFiles is the built web map (api/web/dist, made by `npm run build` in
// api/web). A binary built without it still serves the API and explains
// how to build the map.
//
//go:embed all:web/dist
var webFiles embed.FS

func webDist() fs.FS {
	sub, err := fs.Sub(webFiles, "web/dist")
	if err != nil {
		panic(err) // the embed pattern above guarantees the directory
	}
	return sub
}

const viewerMissing = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>labmap</title></head>
<body style="font:16px system-ui;margin:2rem"><h1>labmap</h1>
<p>The web map is not built into this binary. Build it with <code>scripts/serve</code>, or
<code>(cd api/web &amp;&amp; npm ci &amp;&amp; npm run build)</code> before <code>go build</code>.</p>
<p>The API works: <a href="/?f=html">OGC API</a>, <a href="/api/stats?level=village">/api/stats</a>.</p></body></html>`

// viewer serves the web map's page: revalidated by ETag on every visit (it
// names the fingerprinted scripts, so a new build shows at once), under the
// page's Content-Security-Policy.
func (s *Server) viewer(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Security-Policy", s.csp)
	if s.web == nil || s.web.index == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", cacheRevalidate)
		_, err := w.Write([]byte(viewerMissing))
		return err
	}
	// The page depends on Accept (JSON clients get the landing page).
	w.Header().Add("Vary", "Accept")
	s.web.index.serve(w, r, cacheRevalidate)
	return nil
}

// webConfig tells the page what the server was started with and the rules
// it must share with the server: the hexagon resolution per zoom, the
// glyph URL and fonts for labels.
func (s *Server) webConfig(w http.ResponseWriter, r *http.Request) error {
	var basemap any
	if s.opt.BasemapURL != "" {
		basemap = s.opt.BasemapURL
	}
	reg, err := s.region(r)
	if err != nil {
		return err
	}
	var fonts []string
	if s.glyphs != nil {
		fonts = s.glyphs.Fonts()
	}
	w.Header().Set("Cache-Control", cacheRevalidate)
	return writeJSON(w, map[string]any{
		"basemap": basemap, "min_households": s.opt.MinHouseholds, "region": reg,
		"hexagon_res": tiles.HexagonZooms(),
		"glyphs":      "/fonts/{fontstack}/{range}.pbf",
		"fonts":       fonts,
	})
}

// glyphRange serves /fonts/{fontstack}/{range}.pbf, MapLibre's glyph URL.
func (s *Server) glyphRange(w http.ResponseWriter, r *http.Request) error {
	if s.glyphs == nil {
		return &Error{Status: http.StatusServiceUnavailable, Msg: "fonts are not available"}
	}
	start, err := glyphs.ParseRange(muxVar(r, "range"))
	if err != nil {
		return badRequest("glyph %v", err)
	}
	pbf, etag, err := s.glyphs.Range(muxVar(r, "fontstack"), start)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-protobuf")
	// Glyphs change only with the binary: a day's caching, then a 304.
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("Etag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Length", strconv.Itoa(len(pbf)))
	if r.Method == http.MethodHead {
		return nil
	}
	_, err = w.Write(pbf)
	return err
}

// prefersHTML reports whether a browser is asking: no f parameter and an
// Accept header that ranks text/html above JSON.
func prefersHTML(r *http.Request) bool {
	if r.URL.Query().Get("f") != "" {
		return false
	}
	f, err := format(r, "json", "html")
	return err == nil && f == "html"
}
