package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"labmap/data"
	"labmap/geo"
	"labmap/tiles"

	"github.com/gorilla/mux"
)

// allowOnly rejects parameters other than those named, naming the stray one.
func allowOnly(r *http.Request, names ...string) error {
	for key := range r.URL.Query() {
		found := false
		for _, n := range names {
			if key == n {
				found = true
				break
			}
		}
		if !found {
			return badRequest("parameter %s: unknown (use %s)", key, strings.Join(names, ", "))
		}
	}
	return nil
}

// tileParams reads the parameters shared by tiles and TileJSON.
func tileParams(r *http.Request, req *tiles.Request) error {
	q := r.URL.Query()
	if v := q.Get("round"); v != "" {
		round, err := data.ParseRound(v)
		if err != nil {
			return badRequest("parameter round: %v", err)
		}
		req.Round = round
	}
	req.Zone = q.Get("zone")
	if v := q.Get("res"); v != "" {
		res, err := strconv.Atoi(v)
		if err != nil || res < geo.MinRes || res > geo.MaxRes {
			return badRequest("parameter res: %q is not an H3 resolution from %d to %d", v, geo.MinRes, geo.MaxRes)
		}
		req.Res = res
	}
	req.Properties = tiles.ParseProperties(q.Get("properties"))
	for _, p := range req.Properties {
		if data.IndicatorIndex(p) < 0 {
			return badRequest("parameter properties: %q is not an indicator (see /api/indicators)", p)
		}
	}
	return nil
}

func layersOf(r *http.Request) ([]tiles.Layer, error) {
	layers, err := tiles.ParseLayers(mux.Vars(r)["layers"])
	if err != nil {
		return nil, &Error{Status: http.StatusNotFound, Msg: err.Error()}
	}
	return layers, nil
}

// statusClientClosedRequest is the status the access log gives a request
// whose client went away before the answer was ready (nginx's 499); it is
// never sent.
const statusClientClosedRequest = 499

// Values of the headers every tile answer carries, shared so that a warm
// tile, which is little more than a cache lookup, does not allocate them per
// request; net/http only reads header values.
var (
	tileContentType  = []string{"application/vnd.mapbox-vector-tile"}
	tileCacheControl = []string{"no-cache"} // revalidate: figures change with every import
	tileVary         = []string{"Accept-Encoding"}
	tileGzip         = []string{"gzip"}
)

func (s *Server) tile(w http.ResponseWriter, r *http.Request) error {
	layers, err := layersOf(r)
	if err != nil {
		return err
	}
	req, err := tileRequest(r, layers)
	if err != nil {
		return err
	}
	t, err := s.cachedTile(r.Context(), req)
	if err != nil {
		// A client that hung up is no failure (writeError); the render
		// goes on for any other client waiting for the same tile.
		return err
	}
	h := w.Header()
	h["Content-Type"] = tileContentType
	h["Cache-Control"] = tileCacheControl
	h["Vary"] = tileVary
	body, etag := t.Raw, t.ETag
	if acceptsGzip(r) {
		body, etag = t.Gzip(), t.GzipETag()
		h["Content-Encoding"] = tileGzip
	}
	h["Etag"] = []string{etag}
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	if r.Method == http.MethodHead {
		return nil
	}
	_, err = w.Write(body)
	return err
}

// tileRequest reads a tile's z/x/y and parameters into a valid request for
// layers.
func tileRequest(r *http.Request, layers []tiles.Layer) (tiles.Request, error) {
	v := mux.Vars(r)
	req := tiles.Request{Layers: layers, Unsuppressed: unsuppressed(r)}
	var err error
	if req.Z, err = tileNumber(v, "z"); err != nil {
		return req, err
	}
	if req.X, err = tileNumber(v, "x"); err != nil {
		return req, err
	}
	if req.Y, err = tileNumber(v, "y"); err != nil {
		return req, err
	}
	// Most tile requests carry no parameters; parsing an empty query
	// would still allocate.
	if r.URL.RawQuery != "" {
		if err := allowOnly(r, "round", "zone", "res", "properties"); err != nil {
			return req, err
		}
		if err := tileParams(r, &req); err != nil {
			return req, err
		}
	}
	if err := req.Validate(); err != nil {
		return req, badRequest("tile %s: %v", tiles.FormatZXY(req.Z, req.X, req.Y), err)
	}
	return req, nil
}

func tileNumber(vars map[string]string, name string) (int, error) {
	n, err := strconv.Atoi(vars[name])
	if err != nil {
		return 0, badRequest("tile %s: %q is not a number", name, vars[name])
	}
	return n, nil
}

// acceptsGzip reads Accept-Encoding, honouring an explicit q=0.
func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") || strings.TrimSpace(coding) == "*" {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for part := range strings.SplitSeq(header, ",") {
		p := strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if p == "*" || p == etag || sameTileBytes(p, etag) {
			return true
		}
	}
	return false
}

// sameTileBytes reports whether two public tile ETags ("version-hash", see
// tiles.Service) name the same bytes at different versions: a tile that an
// import of another region left as it was still matches the copy a client
// holds, which then gets 304 rather than the tile again. An analyst's tag
// ("u…") never matches a public one.
func sameTileBytes(a, b string) bool {
	va, ha, okA := strings.Cut(a, "-")
	vb, hb, okB := strings.Cut(b, "-")
	return okA && okB && ha == hb && publicTag(va) && publicTag(vb)
}

func publicTag(version string) bool {
	if len(version) < 2 || version[0] != '"' {
		return false
	}
	for _, c := range version[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// baseURL is how the client reached this server, so that TileJSON and
// styles point back at it through proxies too.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = h
	}
	return scheme + "://" + host
}

// passOn keeps the named parameters of r for a URL that labmap hands out.
func passOn(r *http.Request, names ...string) string {
	out := url.Values{}
	for _, n := range names {
		if v := r.URL.Query().Get(n); v != "" {
			out.Set(n, v)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "?" + out.Encode()
}

func (s *Server) tileJSON(w http.ResponseWriter, r *http.Request) error {
	if err := allowOnly(r, "round", "zone", "res", "properties", "lang"); err != nil {
		return err
	}
	layers, err := layersOf(r)
	if err != nil {
		return err
	}
	var req tiles.Request
	if err := tileParams(r, &req); err != nil {
		return err
	}
	lang, err := langOf(r)
	if err != nil {
		return err
	}
	extent, err := s.store.Extent(r.Context())
	if err != nil {
		return err
	}
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Name
	}
	tileURL := baseURL(r) + "/tiles/" + strings.Join(names, ",") + "/{z}/{x}/{y}.mvt" + passOn(r, "round", "zone", "res", "properties")
	reg, err := s.region(r)
	if err != nil {
		return err
	}
	return writeJSON(w, tiles.NewTileJSON(layers, tileURL, extent, req.Properties, lang, tiles.Credit{
		Region: reg.Name, Source: reg.Source, Synthetic: reg.Synthetic}))
}

func dedupe(list string) string {
	seen := map[string]bool{}
	var out []string
	for _, x := range strings.Split(list, ",") {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return strings.Join(out, ",")
}
