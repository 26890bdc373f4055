package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Cache-Control of the web map's files. A fingerprinted name changes with
// its content, so a browser may keep it for a year without asking; every
// other name (index.html, app.js by its plain name) is revalidated by ETag
// on each use, which costs a 304 and no body.
const (
	cacheImmutable   = "public, max-age=31536000, immutable"
	cacheRevalidate  = "no-cache"
	fingerprintBytes = 5 // 10 hex digits: collisions among a few files are out of the question
)

// webAsset is one file of the built web map, ready to serve: its bytes, a
// strong ETag from its content and, for text, a gzip body made once, when a
// client first asks for it.
type webAsset struct {
	name   string // path inside dist, "app.js"
	hashed string // fingerprinted path, "app.3f2a9c1b0d.js"; empty for index.html
	ctype  string
	body   []byte
	etag   string

	gzipOnce sync.Once
	gz       []byte
}

// gzipped returns the gzip body, or nil when gzip would not make it smaller.
func (a *webAsset) gzipped() []byte {
	if !compressible(a.ctype) || len(a.body) < gzipMinSize {
		return nil
	}
	a.gzipOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(a.body) // a bytes.Buffer cannot fail
		zw.Close()
		if buf.Len() < len(a.body) {
			a.gz = buf.Bytes()
		}
	})
	return a.gz
}

// webAssets is the web map's files by their plain and fingerprinted paths,
// with index.html's references rewritten to the fingerprinted names.
type webAssets struct {
	byPath map[string]*webAsset // without the /web/ prefix
	index  *webAsset            // nil when the map is not built into the binary
}

// assetRef finds the references to the map's own files in index.html:
// src= and href= attributes naming /web/<file>.
var assetRef = regexp.MustCompile(`((?:src|href)\s*=\s*["'])/web/([^"'?#]+)`)

// newWebAssets reads the built map from dist once, at start-up: hashing
// about a megabyte costs a few milliseconds.
func newWebAssets(dist fs.FS) (*webAssets, error) {
	wa := &webAssets{byPath: map[string]*webAsset{}}
	var indexBody []byte
	err := fs.WalkDir(dist, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != "." {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		b, err := fs.ReadFile(dist, p)
		if err != nil {
			return err
		}
		if p == "index.html" {
			indexBody = b
			return nil
		}
		a := newAsset(p, b)
		ext := path.Ext(p)
		a.hashed = strings.TrimSuffix(p, ext) + "." + strings.Trim(a.etag, `"`)[:2*fingerprintBytes] + ext
		wa.byPath[p] = a
		wa.byPath[a.hashed] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web map files: %w", err)
	}
	if indexBody != nil {
		rewritten := assetRef.ReplaceAllFunc(indexBody, func(m []byte) []byte {
			sub := assetRef.FindSubmatch(m)
			if a, ok := wa.byPath[string(sub[2])]; ok && a.hashed != "" {
				return append(append([]byte{}, sub[1]...), "/web/"+a.hashed...)
			}
			return m
		})
		wa.index = newAsset("index.html", rewritten)
		wa.byPath["index.html"] = wa.index
	}
	return wa, nil
}

func newAsset(name string, body []byte) *webAsset {
	sum := sha256.Sum256(body)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(body)
	}
	return &webAsset{name: name, ctype: ctype, body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// serve answers one asset: gzip when the client takes it, 304 when its
// If-None-Match names what it has, Range and HEAD as http.ServeContent does.
func (a *webAsset) serve(w http.ResponseWriter, r *http.Request, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", cacheControl)
	body, etag := a.body, a.etag
	if gz := a.gzipped(); gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Etag", etag)
	// No modification time: the ETag is the validator, and an embedded
	// file's time is meaningless.
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(body))
}

// handler serves /web/…: fingerprinted names immutably, plain names (and
// anything a script may ask for by its plain name) revalidated; csp is the
// page's Content-Security-Policy, for index.html.
func (wa *webAssets) handler(csp string) http.Handler {
	return http.StripPrefix("/web/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := wa.byPath[r.URL.Path]
		if !ok {
			writeJSONError(w, http.StatusNotFound, "no such file: /web/"+r.URL.Path)
			return
		}
		if a == wa.index {
			w.Header().Set("Content-Security-Policy", csp)
		}
		cc := cacheRevalidate
		if r.URL.Path == a.hashed {
			cc = cacheImmutable
		}
		a.serve(w, r, cc)
	}))
}
