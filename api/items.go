package api

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"labmap/data"
	"labmap/data/cql"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Paging limits, stated in the OpenAPI document where QGIS reads them.
const (
	defaultLimit = 100
	maxLimit     = 10000
)

func muxVar(r *http.Request, name string) string { return mux.Vars(r)[name] }

// itemsRequest is a parsed items query.
type itemsRequest struct {
	q      data.FeatureQuery
	crs    string
	format string
	props  []string // nil: every property
	lang   string

	// Keyset paging: the collection id the cursor is tied to, the features
	// before the requested cursor, and the last position the page sent.
	collection string
	position   int
	last       *data.Cursor
}

// reservedItemParams are the parameters of the items endpoint that are not
// property filters.
var reservedItemParams = []string{"f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "round",
	"properties", "sortby", "filter", "filter-lang", "filter-crs", "lang", "cursor", "indicator"}

func (s *Server) parseItems(r *http.Request, c collection) (*itemsRequest, error) {
	q := r.URL.Query()
	f, err := format(r, "json", "html", "csv", "gpkg")
	if err != nil {
		return nil, err
	}
	lang, err := langOf(r)
	if err != nil {
		return nil, err
	}
	req := &itemsRequest{format: f, lang: lang, crs: crs84}
	req.q.Level, req.q.Res = c.Level, c.Res
	req.q.Limit = defaultLimit
	types := data.QueryableTypes(c.Level)

	var conditions []string
	for key, vals := range q {
		if slices.Contains(reservedItemParams, key) {
			continue
		}
		t, ok := types[key]
		if !ok || t == cql.TypeGeometry {
			return nil, badRequest("parameter %s: unknown; not a queryable of %s (see /collections/%s/queryables)", key, c.ID, c.ID)
		}
		lit, err := literal(key, vals[0], t)
		if err != nil {
			return nil, err
		}
		conditions = append(conditions, fmt.Sprintf("%q = %s", key, lit))
	}
	if v := q.Get("limit"); v == "all" {
		// The whole collection in one streamed response, for downloads,
		// up to the budget; a bigger one continues on its next link.
		req.q.Limit = maxAllFeatures
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return nil, badRequest("parameter limit: %q is not a whole number from 1 to %d, or all", v, maxLimit)
		}
		req.q.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, badRequest("parameter offset: %q is not a whole number of at least 0", v)
		}
		req.q.Offset = n
	}
	if req.crs, req.q.Bound, err = parsePlace(q); err != nil {
		return nil, err
	}
	if err := s.parseRound(r, &req.q.StatsQuery); err != nil {
		return nil, err
	}
	req.q.Unsuppressed = unsuppressed(r)
	if v := q.Get("properties"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if _, ok := types[p]; !ok && p != "round" && p != "res" && p != "zones" {
				return nil, badRequest("parameter properties: %q is not a property of %s", p, c.ID)
			}
			req.props = append(req.props, p)
		}
	}
	if v := q.Get("sortby"); v != "" {
		for _, k := range strings.Split(v, ",") {
			key := data.SortKey{Property: strings.TrimPrefix(strings.TrimPrefix(k, "+"), "-"), Desc: strings.HasPrefix(k, "-")}
			if t, ok := types[key.Property]; !ok || t == cql.TypeGeometry {
				return nil, badRequest("parameter sortby: %q is not a sortable queryable of %s", key.Property, c.ID)
			}
			req.q.SortBy = append(req.q.SortBy, key)
		}
	}
	req.collection = c.ID
	req.q.OnLast = func(last data.Cursor) { req.last = &last }
	if v := q.Get("cursor"); v != "" {
		if req.q.After, req.position, err = parseCursor(v, c.ID, req.q.SortBy, types); err != nil {
			return nil, err
		}
	}
	if req.q.Filter, err = parseFilter(q, conditions, types); err != nil {
		return nil, err
	}
	return req, nil
}

// parsePlace reads the answer's crs (CRS84 when not given) and the bbox
// with its bbox-crs, shared by every items endpoint.
func parsePlace(q url.Values) (crs string, bound *orb.Bound, err error) {
	crs = crs84
	if v := q.Get("crs"); v != "" {
		var ok bool
		if crs, ok = parseCRS(v); !ok {
			return "", nil, badRequest("parameter crs: %q is not one of %s", v, strings.Join(crsURIs, ", "))
		}
	}
	if v := q.Get("bbox"); v != "" {
		bcrs, ok := parseCRS(q.Get("bbox-crs"))
		if !ok {
			return "", nil, badRequest("parameter bbox-crs: %q is not one of %s", q.Get("bbox-crs"), strings.Join(crsURIs, ", "))
		}
		b, err := parseBBox(v, bcrs)
		if err != nil {
			return "", nil, err
		}
		return crs, &b, nil
	}
	if q.Get("bbox-crs") != "" {
		return "", nil, badRequest("parameter bbox-crs: given without bbox")
	}
	return crs, nil, nil
}

// parseFilter joins the filter parameter (CQL2 text) with the conditions
// made from name=value parameters and checks the result against the
// queryables' types; nil when there is none.
func parseFilter(q url.Values, conditions []string, types map[string]cql.Type) (cql.Expr, error) {
	if fl := q.Get("filter-lang"); fl != "" && fl != "cql2-text" {
		return nil, badRequest("parameter filter-lang: %q is not supported (use cql2-text)", fl)
	}
	if fc := q.Get("filter-crs"); fc != "" {
		if c, _ := parseCRS(fc); c != crs84 {
			return nil, badRequest("parameter filter-crs: only %s is supported", crs84)
		}
	}
	extra := len(conditions)
	if v := q.Get("filter"); v != "" {
		// Parsed alone first, so that its error points into what the
		// client wrote rather than into the joined conditions. The parser
		// stops at the first term, value or vertex past the budget, so a
		// huge filter costs no more than a small one.
		if _, err := parseFilterText(v, 0); err != nil {
			return nil, err
		}
		if len(v) > maxFilterBytes {
			return nil, badRequest("parameter filter: %d bytes is more than the request budget of %d", len(v), maxFilterBytes)
		}
		conditions = append(conditions, "("+v+")")
	}
	if len(conditions) == 0 {
		return nil, nil
	}
	slices.Sort(conditions)
	e, err := parseFilterText(strings.Join(conditions, " AND "), extra)
	if err != nil {
		return nil, err
	}
	if err := cql.Check(e, types); err != nil {
		return nil, badRequest("parameter filter: %v", err)
	}
	return e, nil
}

// literal turns a property-filter value into a CQL2 literal of the queryable's type.
func literal(key, v string, t cql.Type) (string, error) {
	switch t {
	case cql.TypeNumber:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "", badRequest("parameter %s: %q is not a number", key, v)
		}
		return v, nil
	case cql.TypeBool:
		if v != "true" && v != "false" {
			return "", badRequest("parameter %s: %q is not true or false", key, v)
		}
		return strings.ToUpper(v), nil
	}
	return "'" + strings.ReplaceAll(v, "'", "''") + "'", nil
}

func parseBBox(v, crs string) (orb.Bound, error) {
	parts := strings.Split(v, ",")
	if len(parts) == 6 {
		return orb.Bound{}, badRequest("parameter bbox: 3D boxes are not supported; give minx,miny,maxx,maxy")
	}
	if len(parts) != 4 {
		return orb.Bound{}, badRequest("parameter bbox: %q needs four numbers: minx,miny,maxx,maxy", v)
	}
	var n [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return orb.Bound{}, badRequest("parameter bbox: %q is not a number", p)
		}
		if err := finite("bbox", p, f); err != nil {
			return orb.Bound{}, err
		}
		n[i] = f
	}
	a, b := fromCRS(crs, n[0], n[1]), fromCRS(crs, n[2], n[3])
	bound := orb.Bound{Min: orb.Point{min(a[0], b[0]), min(a[1], b[1])}, Max: orb.Point{max(a[0], b[0]), max(a[1], b[1])}}
	if n[0] > n[2] || n[1] > n[3] || bound.Min[0] < -180 || bound.Max[0] > 180 || bound.Min[1] < -90 || bound.Max[1] > 90 {
		return orb.Bound{}, badRequest("parameter bbox: %q is not a box with min before max inside the world", v)
	}
	return bound, nil
}

// parseRound reads round= or datetime= (a date, or an interval whose latest
// round is taken; see parseDatetime) into the query, checking it against the
// dataset.
func (s *Server) parseRound(r *http.Request, q *data.StatsQuery) error {
	round, dt := r.URL.Query().Get("round"), r.URL.Query().Get("datetime")
	if round != "" && dt != "" {
		return badRequest("parameters round and datetime: give one")
	}
	if round != "" {
		rd, err := data.ParseRound(round)
		if err != nil {
			return badRequest("parameter round: %v", err)
		}
		q.Round = rd
		return nil
	}
	if dt == "" {
		return nil
	}
	rounds, err := s.store.Rounds(r.Context())
	if err != nil {
		return err
	}
	from, to, err := parseDatetime(dt)
	if err != nil {
		return err
	}
	var names []string
	for i := len(rounds) - 1; i >= 0; i-- {
		rd := string(rounds[i].Round)
		names = append(names, rd)
		if (from == "" || rd >= from) && (to == "" || rd <= to) {
			q.Round = rounds[i].Round
			return nil
		}
	}
	return badRequest("parameter datetime: no survey round in %q (rounds: %s)", dt, strings.Join(names, ", "))
}

// linkTo returns a maker of links to the request's own URL (as the client
// reached it) with some parameters set, or removed when given as "".
func linkTo(r *http.Request) func(set map[string]string) string {
	base := baseURL(r) + r.URL.Path
	return func(set map[string]string) string {
		v := r.URL.Query()
		for k, val := range set {
			if val == "" {
				v.Del(k)
			} else {
				v.Set(k, val)
			}
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
}

// pageLinks builds self, alternate, next and prev links that carry every
// other parameter of the request.
func pageLinks(r *http.Request, req *itemsRequest, returned, matched int) []link {
	with := linkTo(r)
	links := []link{
		{with(nil), "self", mediaForFormat(req.format), "This page"},
		{with(map[string]string{"f": "json"}), "alternate", mediaGeoJSON, "This page as GeoJSON"},
		{with(map[string]string{"f": "html"}), "alternate", mediaHTML, "This page as HTML"},
		{with(map[string]string{"f": "csv"}), "alternate", mediaCSV, "This page as CSV"},
	}
	// next seeks past the page's last feature (a keyset cursor), so every
	// page costs what the first does; prev is offset-based (a walk back is
	// rare, and a cursor page knows its position from its cursor).
	limit := strconv.Itoa(req.q.Limit)
	start := req.position + req.q.Offset
	if end := start + returned; end < matched && returned > 0 && req.last != nil {
		next := encodeCursor(req.collection, req.q.SortBy, *req.last, end)
		links = append(links, link{with(map[string]string{"cursor": next, "offset": "", "limit": limit}), "next", mediaForFormat(req.format), "Next page"})
	}
	if start > 0 {
		prev := max(start-req.q.Limit, 0)
		links = append(links, link{with(map[string]string{"cursor": "", "offset": strconv.Itoa(prev), "limit": limit}), "prev", mediaForFormat(req.format), "Previous page"})
	}
	return links
}

func mediaForFormat(f string) string {
	switch f {
	case "html":
		return mediaHTML
	case "csv":
		return mediaCSV
	}
	return mediaGeoJSON
}

func (s *Server) featureStore() (data.FeatureStore, error) {
	fs, ok := s.store.(data.FeatureStore)
	if !ok {
		return nil, errors.New("this store cannot answer feature queries")
	}
	return fs, nil
}

func (s *Server) items(w http.ResponseWriter, r *http.Request) error {
	c, err := s.collectionOf(r)
	if err != nil {
		return err
	}
	req, err := s.parseItems(r, c)
	if err != nil {
		return err
	}
	fs, err := s.featureStore()
	if err != nil {
		return err
	}
	if req.format != "gpkg" && r.URL.Query().Has("indicator") {
		return badRequest("parameter indicator: only for f=gpkg, whose default style it names")
	}
	switch req.format {
	case "csv":
		return s.itemsCSV(w, r, fs, c, req)
	case "html":
		return s.itemsHTML(w, r, fs, c, req)
	case "gpkg":
		return s.itemsGeoPackage(w, r, fs, c, req)
	}
	return s.itemsGeoJSON(w, r, fs, c, req)
}

// itemsGeoJSON streams a FeatureCollection: the features are written as the
// store hands them over, and numberMatched, numberReturned and the paging
// links, known only at the end, follow them (JSON members have no order).
func (s *Server) itemsGeoJSON(w http.ResponseWriter, r *http.Request, fs data.FeatureStore, c collection, req *itemsRequest) error {
	returned, matched := 0, 0
	held := &heldResponse{w: w, links: func(done bool) []link {
		if !done {
			return pageLinks(r, req, 0, 0)
		}
		return pageLinks(r, req, returned, matched)
	}}
	bw := bufio.NewWriterSize(held, 32<<10)
	started := false
	start := func() {
		if started {
			return
		}
		started = true
		h := w.Header()
		h.Set("Content-Type", mediaGeoJSON)
		h.Set("Content-Crs", "<"+req.crs+">")
		bw.WriteString(`{"type":"FeatureCollection","features":[`)
	}
	var buf []byte
	matched, err := fs.Features(r.Context(), req.q, func(a *data.Area) error {
		start()
		if returned > 0 {
			bw.WriteByte(',')
		}
		buf = appendFeature(buf[:0], a, req)
		returned++
		_, err := bw.Write(buf)
		return err
	})
	if err != nil {
		if !held.committed {
			// Nothing is sent yet: the client gets a proper error.
			w.Header().Del("Content-Type")
			w.Header().Del("Content-Crs")
			return err
		}
		// Headers are gone; cut the body so the client sees broken JSON
		// rather than a short page that looks complete.
		s.streamCut(r, "items stream", err)
		panic(http.ErrAbortHandler)
	}
	start()
	links, _ := json.Marshal(append(pageLinks(r, req, returned, matched), schemaLinks(baseURL(r), c)...))
	fmt.Fprintf(bw, `],"numberMatched":%d,"numberReturned":%d,"timeStamp":%q,"links":%s}`+"\n",
		matched, returned, time.Now().UTC().Format(time.RFC3339), links)
	if err := bw.Flush(); err != nil {
		return err
	}
	return held.commit(true)
}

func wanted(req *itemsRequest, name string) bool {
	return req.props == nil || slices.Contains(req.props, name)
}

// propertyValue is a property of an area as JSON, and whether it is present.
func propertyValue(a *data.Area, req *itemsRequest, name string) (any, bool) {
	switch name {
	case "code":
		return a.Code, true
	case "name":
		return a.Name, true
	case "district_code", "kind":
		return a.Parent, true
	case "res":
		return req.q.Res, true
	case "zones":
		if a.Zones == nil {
			return []string{}, true
		}
		return a.Zones, true
	case "round":
		return string(a.Round), true
	case "suppressed":
		return a.Suppressed, true
	}
	v := data.PropertyValue(&a.AreaStats, "", name)
	switch v.Kind {
	case cql.KindNumber:
		return v.Num, true
	case cql.KindString:
		return v.Str, true
	}
	return nil, !a.Suppressed // withheld figures are null; suppressed areas have none at all
}

func appendFeature(buf []byte, a *data.Area, req *itemsRequest) []byte {
	buf = append(buf, `{"type":"Feature","id":`...)
	buf = strconv.AppendQuote(buf, a.Code)
	buf = append(buf, `,"geometry":`...)
	buf = appendGeoJSONGeometry(buf, req.crs, a.Geometry)
	buf = append(buf, `,"properties":{`...)
	first := true
	key := func(name string) {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = strconv.AppendQuote(buf, name)
		buf = append(buf, ':')
	}
	// Identity first, then the indicators by registry position: this runs
	// for every feature of a 10,000-feature page.
	for _, name := range identityNames(a.Level) {
		if !wanted(req, name) {
			continue
		}
		v, _ := propertyValue(a, req, name)
		key(name)
		switch x := v.(type) {
		case string:
			buf = appendJSONString(buf, x)
		case int:
			buf = strconv.AppendInt(buf, int64(x), 10)
		case bool:
			buf = strconv.AppendBool(buf, x)
		case []string:
			buf = append(buf, '[')
			for i, z := range x {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendJSONString(buf, z)
			}
			buf = append(buf, ']')
		}
	}
	if !a.Suppressed {
		for i, ind := range data.Indicators {
			if !wanted(req, ind.Key) {
				continue
			}
			key(ind.Key)
			v := a.Values[i]
			switch {
			case !v.Valid:
				buf = append(buf, "null"...)
			case ind.Kind == data.KindCategory:
				buf = appendJSONString(buf, v.Text)
			case ind.Kind == data.KindCount:
				buf = strconv.AppendFloat(buf, v.Number, 'f', -1, 64)
			default:
				buf = appendDecimal(buf, v.Number)
			}
		}
	}
	return append(buf, "}}"...)
}

// appendDecimal writes a non-integer figure (a rate) always with a decimal
// point, 0 as 0.0 and 1 as 1.0: GDAL and QGIS guess a field's type from the
// first features they see, and a rate written 0 would make it Integer.
func appendDecimal(buf []byte, f float64) []byte {
	n := len(buf)
	buf = strconv.AppendFloat(buf, f, 'f', -1, 64)
	if bytes.IndexByte(buf[n:], '.') < 0 {
		buf = append(buf, ".0"...)
	}
	return buf
}

// appendJSONString quotes s for JSON; area names and codes are plain text,
// so the common case needs no escaping at all.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// identityNames are the properties before the indicators.
func identityNames(level data.Level) []string {
	names := data.PropertyNames(level)
	return names[:len(names)-len(data.Indicators)]
}

// itemsCSV streams the page as CSV for spreadsheets: a UTF-8 byte order mark
// (so Excel reads the names right), a header, then one row per area with the
// centroid as lon/lat (in the requested CRS's axis order) and the outline as WKT.
func (s *Server) itemsCSV(w http.ResponseWriter, r *http.Request, fs data.FeatureStore, c collection, req *itemsRequest) error {
	var cols []string
	for _, n := range data.PropertyNames(c.Level) {
		if wanted(req, n) {
			cols = append(cols, n)
		}
	}
	xName, yName := "lon", "lat"
	switch req.crs {
	case crsEPSG4326:
		xName, yName = "lat", "lon"
	case crsEPSG3857:
		xName, yName = "x", "y"
	}
	returned, matched := 0, 0
	held := &heldResponse{w: w, links: func(done bool) []link {
		if !done {
			return pageLinks(r, req, 0, 0)
		}
		return pageLinks(r, req, returned, matched)
	}}
	bw := bufio.NewWriterSize(held, 32<<10)
	cw := csv.NewWriter(bw)
	started := false
	start := func() error {
		if started {
			return nil
		}
		started = true
		h := w.Header()
		h.Set("Content-Type", mediaCSV+"; charset=utf-8")
		h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s.csv"`, c.ID))
		h.Set("Content-Crs", "<"+req.crs+">")
		bw.WriteString("\ufeff")
		return cw.Write(append(slices.Clone(cols), xName, yName, "wkt"))
	}
	record := make([]string, 0, len(cols)+3)
	matched, err := fs.Features(r.Context(), req.q, func(a *data.Area) error {
		if err := start(); err != nil {
			return err
		}
		returned++
		record = record[:0]
		for _, n := range cols {
			v, ok := propertyValue(a, req, n)
			record = append(record, csvValue(v, ok))
		}
		centroid, _ := planar.CentroidArea(a.Geometry)
		x, y := toCRS(req.crs, centroid)
		record = append(record, strconv.FormatFloat(roundTo(x, 7), 'f', -1, 64), strconv.FormatFloat(roundTo(y, 7), 'f', -1, 64),
			string(appendWKT(nil, req.crs, a.Geometry)))
		return cw.Write(record)
	})
	if err != nil {
		if !held.committed {
			w.Header().Del("Content-Type")
			w.Header().Del("Content-Disposition")
			w.Header().Del("Content-Crs")
			return err
		}
		s.streamCut(r, "items stream", err)
		panic(http.ErrAbortHandler)
	}
	if err := start(); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return held.commit(true)
}

func csvValue(v any, ok bool) string {
	if !ok || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	case []string:
		return strings.Join(x, ";")
	}
	return fmt.Sprint(v)
}

// item answers /collections/{id}/items/{featureId} for one area.
func (s *Server) item(w http.ResponseWriter, r *http.Request) error {
	c, err := s.collectionOf(r)
	if err != nil {
		return err
	}
	for key := range r.URL.Query() {
		if !slices.Contains([]string{"f", "crs", "round", "datetime", "properties", "lang"}, key) {
			return badRequest("parameter %s: unknown for a single feature", key)
		}
	}
	req, err := s.parseItems(r, c)
	if err != nil {
		return err
	}
	id := muxVar(r, "feature")
	e, err := cql.Parse("code = '" + strings.ReplaceAll(id, "'", "''") + "'")
	if err != nil {
		return err
	}
	req.q.Filter, req.q.Limit, req.q.Offset = e, 1, 0
	fs, err := s.featureStore()
	if err != nil {
		return err
	}
	var found *data.Area
	if _, err := fs.Features(r.Context(), req.q, func(a *data.Area) error {
		cp := *a
		found = &cp
		return nil
	}); err != nil {
		return err
	}
	if found == nil {
		return &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("feature %q does not exist in %s", id, c.ID)}
	}
	if req.format == "html" {
		return s.itemHTML(w, r, c, req, found)
	}
	if req.format == "csv" || req.format == "gpkg" {
		return badRequest("parameter f: %s is for collections of items", req.format)
	}
	buf := appendFeature(nil, found, req)
	buf = buf[:len(buf)-1] // reopen the feature object to add its links
	self := baseURL(r) + r.URL.Path
	links, _ := json.Marshal(append([]link{
		{self, "self", mediaGeoJSON, "This feature"},
		{self + "?f=html", "alternate", mediaHTML, "This feature as HTML"},
		{baseURL(r) + "/collections/" + c.ID, "collection", mediaJSON, "The collection"},
	}, schemaLinks(baseURL(r), c)...))
	buf = append(buf, `,"links":`...)
	buf = append(buf, links...)
	buf = append(buf, "}\n"...)
	h := w.Header()
	h.Set("Content-Type", mediaGeoJSON)
	h.Set("Content-Crs", "<"+req.crs+">")
	_, err = w.Write(buf)
	return err
}
