package api

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"sync"
)

// gzipMinSize is the smallest body worth compressing: below about a kilobyte
// the gzip header and a round trip's worth of CPU buy nothing.
const gzipMinSize = 1024

// compressible reports whether a Content-Type is text that gzip shrinks:
// HTML, CSS, JavaScript, JSON and GeoJSON, CSV, SVG and XML, and glyph
// PBFs. Vector tiles are not on the list: the tile handler caches their
// gzip encoding itself.
func compressible(ctype string) bool {
	mt, _, _ := strings.Cut(ctype, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case mt == "":
		return false
	case strings.HasPrefix(mt, "text/"):
		return true
	case strings.Contains(mt, "json"), strings.Contains(mt, "javascript"), strings.Contains(mt, "xml"):
		return true
	case mt == "application/x-protobuf":
		return true
	}
	return false
}

// gzipResponses compresses text responses for clients that accept gzip. It
// leaves alone a response that is already encoded (tiles and the web
// assets carry their own cached gzip bodies), one that is not text, and a
// small one; and it marks every text response Vary: Accept-Encoding, so a
// shared cache never hands a gzip body to a client that cannot read it.
func gzipResponses(next http.Handler) http.Handler {
	pool := &sync.Pool{New: func() any {
		zw, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression)
		return zw
	}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gw := &gzipWriter{ResponseWriter: w, accepts: acceptsGzip(r) && r.Method != http.MethodHead, pool: pool}
		defer gw.finish()
		next.ServeHTTP(gw, r)
	})
}

// gzipWriter holds back the first gzipMinSize bytes of a response until it
// knows whether to compress: a body that ends sooner goes out as it is.
type gzipWriter struct {
	http.ResponseWriter
	accepts bool
	pool    *sync.Pool

	status  int  // recorded by WriteHeader, sent when decided
	decided bool // headers have gone out
	held    []byte
	zw      *gzip.Writer
}

// WriteHeader records the status; a response that can never be compressed
// is decided at once, so that its headers are not delayed.
func (g *gzipWriter) WriteHeader(code int) {
	if g.decided || g.status != 0 {
		return
	}
	if code < 200 {
		g.ResponseWriter.WriteHeader(code) // 1xx: informational, more follows
		return
	}
	g.status = code
	h := g.Header()
	if compressible(h.Get("Content-Type")) && h.Get("Content-Encoding") == "" {
		addVary(h, "Accept-Encoding")
	}
	if !g.eligible() {
		g.decide(false)
	}
}

// eligible is whether this response may still be compressed.
func (g *gzipWriter) eligible() bool {
	h := g.Header()
	if !g.accepts || h.Get("Content-Encoding") != "" || !compressible(h.Get("Content-Type")) {
		return false
	}
	switch g.status {
	case http.StatusNoContent, http.StatusNotModified, http.StatusPartialContent:
		return false
	}
	if cl := h.Get("Content-Length"); cl != "" && len(cl) < 4 { // under 1000 bytes
		return false
	}
	return true
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if g.status == 0 {
		g.WriteHeader(http.StatusOK)
	}
	if !g.decided {
		if len(g.held)+len(p) < gzipMinSize {
			g.held = append(g.held, p...)
			return len(p), nil
		}
		g.decide(true)
	}
	if g.zw != nil {
		return g.zw.Write(p)
	}
	return g.ResponseWriter.Write(p)
}

// decide sends the headers, compressed or not, and what was held back.
func (g *gzipWriter) decide(compress bool) {
	g.decided = true
	h := g.Header()
	if compress && g.eligible() {
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		// A strong ETag names exact bytes; the gzip body is other bytes.
		if et := h.Get("Etag"); strings.HasPrefix(et, `"`) {
			h.Set("Etag", "W/"+et)
		}
		g.zw = g.pool.Get().(*gzip.Writer)
		g.zw.Reset(g.ResponseWriter)
	}
	if g.status == 0 {
		g.status = http.StatusOK
	}
	g.ResponseWriter.WriteHeader(g.status)
	if len(g.held) > 0 {
		held := g.held
		g.held = nil
		if g.zw != nil {
			g.zw.Write(held)
		} else {
			g.ResponseWriter.Write(held)
		}
	}
}

// Flush sends what is compressed so far: a streamed response keeps
// streaming.
func (g *gzipWriter) Flush() {
	if !g.decided {
		if g.status == 0 {
			g.WriteHeader(http.StatusOK)
		}
		if !g.decided {
			g.decide(len(g.held) > 0)
		}
	}
	if g.zw != nil {
		g.zw.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// finish ends the response: a short body goes out uncompressed, a gzip
// stream gets its trailer.
func (g *gzipWriter) finish() {
	if !g.decided {
		if g.status == 0 && len(g.held) == 0 {
			return // the handler wrote nothing; net/http sends its 200
		}
		g.decide(false)
	}
	if g.zw != nil {
		g.zw.Close()
		g.zw.Reset(io.Discard)
		g.pool.Put(g.zw)
		g.zw = nil
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// addVary adds a header name to Vary unless it is already listed.
func addVary(h http.Header, name string) {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) || strings.TrimSpace(f) == "*" {
				return
			}
		}
	}
	h.Add("Vary", name)
}
