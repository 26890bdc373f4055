package api

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"labmap/data"
	"labmap/data/cql"
	"labmap/geo"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
)

// Fuzz targets for every request parser: none may panic, every refusal is
// a 4xx *Error (never a 5xx: the client caused it), and whatever is
// accepted is within the request budget (budget.go). Their seed corpora are
// under testdata/fuzz; scripts/test runs each for a bounded time.

// fuzzServer is a server over the small test dataset; parsing only reads
// the store's rounds, so it is never rendered from.
func fuzzServer(f *testing.F) *Server {
	st, err := testStore()
	if err != nil {
		f.Fatal(err)
	}
	return newServer(st, slog.New(slog.DiscardHandler), Options{}, testDist())
}

// clientError fails t unless err is an *Error with a 4xx status.
func clientError(t *testing.T, what string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Status < 400 || e.Status > 499 || e.Msg == "" {
		t.Fatalf("%s: error %v (%T) is not a 4xx *Error", what, err, err)
	}
}

// getRequest is a GET of path (already escaped) and a raw query, or nil
// when they do not make a URL.
func getRequest(path, rawQuery string) *http.Request {
	u, err := url.Parse(path)
	if err != nil || u.RawQuery != "" {
		return nil
	}
	u.RawQuery = rawQuery
	return &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}
}

func checkBound(t *testing.T, what string, minX, minY, maxX, maxY float64) {
	t.Helper()
	for _, v := range []float64{minX, minY, maxX, maxY} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%s: accepted a bbox with %v", what, v)
		}
	}
	if minX > maxX || minY > maxY || minX < -180 || maxX > 180 || minY < -90 || maxY > 90 {
		t.Fatalf("%s: accepted bbox %v,%v,%v,%v", what, minX, minY, maxX, maxY)
	}
}

// FuzzQueryText: any query string is either refused with a 400 naming the
// problem, or every parameter name and value is UTF-8 text without NUL.
func FuzzQueryText(f *testing.F) {
	for _, s := range []string{"", "zone=%00", "zone=%FF", "a=1&b=2", "%ZZ", "k%C3=v", "filter=a%20%3D%201", "a=1;b=2", "=&&="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := getRequest("/api/stats", raw)
		if r == nil {
			return
		}
		if err := checkRequestText(r); err != nil {
			clientError(t, raw, err)
			return
		}
		for k, vs := range r.URL.Query() {
			for _, s := range append(vs, k) {
				if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
					t.Fatalf("%q: accepted %q", raw, s)
				}
			}
		}
	})
}

// FuzzTilePath routes /tiles/{path}?{query} as the server does and parses
// what reaches the tile handler: an accepted tile is inside its zoom's grid
// with known layers and indicators.
func FuzzTilePath(f *testing.F) {
	for _, s := range [][2]string{
		{"villages/12/3295/2124.mvt", ""}, {"villages,zones/0/0/0.pbf", "round=2020-06-01"},
		{"hexagons/14/13180/8498.mvt", "res=9&properties=poverty_rate,households"}, {"villages/12/3295/2124.mvt", "zone=%FF"},
		{"nope/1/0/0.mvt", ""}, {"villages/23/0/0.mvt", ""}, {"villages/3/8/0.mvt", ""}, {"villages/99999999999999999999/0/0.mvt", ""},
		{"villages,villages/1/1/1.mvt", "properties=nope"}, {"villages/1/1/1.mvt", "zone=x&extra=1"},
	} {
		f.Add(s[0], s[1])
	}
	s := fuzzServer(f)
	router := s.routes()
	f.Fuzz(func(t *testing.T, path, query string) {
		r := getRequest("/tiles/"+path, query)
		if r == nil {
			return
		}
		var m mux.RouteMatch
		if !router.Match(r, &m) || m.Route == nil {
			return
		}
		if tpl, _ := m.Route.GetPathTemplate(); !strings.HasPrefix(tpl, "/tiles/{layers}/") {
			return
		}
		r = mux.SetURLVars(r, m.Vars)
		if err := checkRequestText(r); err != nil {
			clientError(t, path+"?"+query, err)
			return
		}
		layers, err := layersOf(r)
		if err != nil {
			clientError(t, path, err)
			return
		}
		req, err := tileRequest(r, layers)
		if err != nil {
			clientError(t, path+"?"+query, err)
			return
		}
		if len(req.Layers) == 0 || req.Z < 0 || req.Z > 22 || req.X < 0 || req.Y < 0 || req.X >= 1<<req.Z || req.Y >= 1<<req.Z {
			t.Fatalf("%s?%s accepted as %+v", path, query, req)
		}
		for _, p := range req.Properties {
			if data.IndicatorIndex(p) < 0 {
				t.Fatalf("%s?%s accepted property %q", path, query, p)
			}
		}
	})
}

// FuzzItemsQuery parses an items query (bbox, bbox-crs, crs, datetime,
// round, filter, sortby, properties, limit, offset, cursor and name=value
// queryables) for one of the collections.
func FuzzItemsQuery(f *testing.F) {
	cursor := encodeCursor("villages", []data.SortKey{{Property: "poverty_rate", Desc: true}},
		data.Cursor{Values: []cql.Value{{Kind: cql.KindNumber, Num: 0.25}}, Code: "33.26.14.2009"}, 100)
	for _, s := range []string{
		"", "limit=10", "limit=all", "limit=0", "limit=10001", "offset=-1", "offset=5&limit=5",
		"bbox=109.6,-7,109.7,-6.9", "bbox=NaN,NaN,NaN,NaN", "bbox=-7,109.6,-6.9,109.7&bbox-crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F4326",
		"bbox=12200000,-780000,12210000,-770000&bbox-crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F3857",
		"crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F3857", "crs=nope",
		"datetime=2019-06-01", "datetime=../2019-06-01T", "round=2017-12-01", "round=x&datetime=y",
		"filter=poverty_rate%20%3E%200.3%20AND%20zone%20%3D%20%27urban-kertijayan%27", "filter=S_INTERSECTS(geometry,BBOX(109.6,-7,109.7,-6.9))",
		"filter=households%20IN%20(1,2,3)", "filter-lang=cql2-json&filter=a", "name=Klesem", "households=12", "kelurahan=maybe",
		"sortby=-poverty_rate,code", "sortby=geometry", "properties=code,name,zones", "properties=nope",
		"sortby=-poverty_rate&cursor=" + cursor, "cursor=" + cursor, "cursor=bm9wZQ",
	} {
		f.Add(uint8(0), s)
	}
	f.Add(uint8(5), "sortby=-households&limit=10")
	s := fuzzServer(f)
	cols := collections()
	f.Fuzz(func(t *testing.T, pick uint8, query string) {
		c := cols[int(pick)%len(cols)]
		r := getRequest("/collections/"+c.ID+"/items", query)
		if r == nil {
			return
		}
		r = mux.SetURLVars(r, map[string]string{"collection": c.ID})
		if err := checkRequestText(r); err != nil {
			clientError(t, query, err)
			return
		}
		req, err := s.parseItems(r, c)
		if err != nil {
			clientError(t, query, err)
			return
		}
		q := req.q
		if (q.Limit < 1 || q.Limit > maxLimit) && q.Limit != maxAllFeatures || q.Offset < 0 || req.position < 0 {
			t.Fatalf("%q accepted with limit %d, offset %d, position %d", query, q.Limit, q.Offset, req.position)
		}
		if !slices.Contains(crsURIs, req.crs) {
			t.Fatalf("%q accepted with crs %q", query, req.crs)
		}
		if q.Bound != nil {
			checkBound(t, query, q.Bound.Min[0], q.Bound.Min[1], q.Bound.Max[0], q.Bound.Max[1])
		}
		types := data.QueryableTypes(c.Level)
		for _, k := range q.SortBy {
			if tp, ok := types[k.Property]; !ok || tp == cql.TypeGeometry {
				t.Fatalf("%q accepted sortby %q", query, k.Property)
			}
		}
		if q.After != nil && len(q.After.Values) != len(q.SortBy) {
			t.Fatalf("%q accepted a cursor of %d values for %d keys", query, len(q.After.Values), len(q.SortBy))
		}
		if q.Filter != nil {
			if err := cql.Check(q.Filter, types); err != nil {
				t.Fatalf("%q accepted a filter that does not check: %v", query, err)
			}
		}
	})
}

// FuzzStatsQuery parses /api/stats parameters as the handler does, up to
// the store: an accepted query is one level, a resolution for hexagons, and
// within the fine-hexagon budget.
func FuzzStatsQuery(f *testing.F) {
	for _, s := range []string{
		"level=village", "level=hexagon", "level=hexagon&res=10", "level=hexagon&res=10&zone=urban-kertijayan",
		"level=hexagon&res=9&fields=poverty_rate", "level=hexagon&res=10&bbox=109.6,-7,109.7,-6.9", "level=hexagon&res=10&bbox=109,-8,110,-6",
		"level=regency&bbox=109.6,-7,109.7,-6.9", "level=village&res=8", "level=zone&zone=%00", "level=district&fields=,", "level=nope",
		"level=village&round=2017-12-01&lang=en", "level=village&extra=1", "level=hexagon&res=06",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := getRequest("/api/stats", query)
		if r == nil {
			return
		}
		err := checkRequestText(r)
		var sq data.StatsQuery
		var fields []int
		if err == nil {
			sq, err = statsQuery(r)
		}
		if err == nil {
			fields, err = statsFields(r)
		}
		if err == nil {
			_, err = langOf(r)
		}
		var bound *orb.Bound
		if err == nil {
			_, bound, err = parsePlace(r.URL.Query())
		}
		if err == nil && sq.Level == data.LevelHexagon {
			err = checkHexStats(sq.Res, sq.Zone, bound, fields)
		}
		if err != nil {
			clientError(t, query, err)
			return
		}
		if !slices.Contains(data.Levels, sq.Level) {
			t.Fatalf("%q accepted level %q", query, sq.Level)
		}
		if sq.Level == data.LevelHexagon {
			if sq.Res < geo.MinRes || sq.Res > geo.MaxRes {
				t.Fatalf("%q accepted res %d", query, sq.Res)
			}
			if sq.Res >= fineHexRes && sq.Zone == "" && bound == nil && (fields == nil || len(fields) > maxFineHexFields) {
				t.Fatalf("%q accepted past the fine-hexagon budget", query)
			}
		}
		if bound != nil {
			checkBound(t, query, bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1])
			if sq.Level == data.LevelHexagon && sq.Res >= fineHexRes && sq.Zone == "" && (fields == nil || len(fields) > maxFineHexFields) &&
				(bound.Max[0]-bound.Min[0] > maxFineHexSpan || bound.Max[1]-bound.Min[1] > maxFineHexSpan) {
				t.Fatalf("%q accepted a bbox wider than the fine-hexagon budget", query)
			}
		}
	})
}

// FuzzBBox parses bbox text in any of the CRSs a client may name.
func FuzzBBox(f *testing.F) {
	for _, s := range [][2]string{
		{"109.6,-7,109.7,-6.9", ""}, {"NaN,NaN,NaN,NaN", ""}, {"1,2,3", ""}, {"1,2,3,4,5,6", ""}, {"-180,-90,180,90", ""},
		{"110,-7,109,-6", ""}, {"-7,109.6,-6.9,109.7", crsEPSG4326}, {"12200000,-780000,12210000,-770000", crsEPSG3857},
		{"-2e7,-2e7,2e7,2e7", crsEPSG3857}, {"1e400,0,1,1", ""}, {" 1, 2 ,3 ,4 ", ""}, {"0x1p-2,0,1,1", ""}, {"-Inf,0,1,1", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, v, bboxCRS string) {
		crs, ok := parseCRS(bboxCRS)
		if !ok {
			return
		}
		b, err := parseBBox(v, crs)
		if err != nil {
			clientError(t, v, err)
			return
		}
		checkBound(t, v+" in "+crs, b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	})
}

// FuzzCursor parses paging tokens: a stranger's token is a 400 naming
// cursor, and an accepted one carries a value for each sort key.
func FuzzCursor(f *testing.F) {
	keys := []data.SortKey{{Property: "poverty_rate", Desc: true}, {Property: "name"}}
	good := encodeCursor("villages", keys, data.Cursor{Values: []cql.Value{{Kind: cql.KindNumber, Num: 0.25}, {Kind: cql.KindString, Str: "Klesem"}}, Code: "33.26.01.2001"}, 200)
	for _, s := range []string{good, encodeCursor("villages", nil, data.Cursor{Code: "33.26.01.2001"}, 5), "", "e30", "bm9wZQ", "!!", strings.Repeat("A", 500)} {
		f.Add(s, uint8(2))
	}
	types := data.QueryableTypes(data.LevelVillage)
	f.Fuzz(func(t *testing.T, token string, nkeys uint8) {
		k := keys[:int(nkeys)%(len(keys)+1)]
		after, position, err := parseCursor(token, "villages", k, types)
		if err != nil {
			clientError(t, token, err)
			if !strings.Contains(err.Error(), "cursor") {
				t.Fatalf("%q: error %q does not name cursor", token, err)
			}
			return
		}
		if after == nil || len(after.Values) != len(k) || position < 0 {
			t.Fatalf("%q accepted as %+v at %d for %d keys", token, after, position, len(k))
		}
	})
}
