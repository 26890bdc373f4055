package api

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
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

// viewer serves the web map's page.
func (s *Server) viewer(w http.ResponseWriter, r *http.Request) error {
	b, err := fs.ReadFile(webDist(), "index.html")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	if err != nil {
		_, err = w.Write([]byte(viewerMissing))
		return err
	}
	_, err = w.Write(b)
	return err
}

// webConfig tells the page what the server was started with.
func (s *Server) webConfig(w http.ResponseWriter, r *http.Request) error {
	var basemap any
	if s.opt.BasemapURL != "" {
		basemap = s.opt.BasemapURL
	}
	reg, err := s.region(r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-cache")
	return writeJSON(w, map[string]any{"basemap": basemap, "min_households": s.opt.MinHouseholds, "region": reg})
}

// webAssets serves the map's scripts and styles.
func webAssets() http.Handler {
	files := http.FileServerFS(webDist())
	return http.StripPrefix("/web", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || strings.HasPrefix(r.URL.Path, "/.") {
			writeJSONError(w, http.StatusNotFound, "no such file: /web"+r.URL.Path)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
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
