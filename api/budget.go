package api

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"labmap/data/cql"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
)

// The request budget: what one request may ask of a store, checked while
// the request is parsed, so that both stores refuse the same requests with
// the same 400 before any SQL is sent or any area is evaluated. Each bound
// sits far above what the web map, QGIS and GDAL ask for (README, "Request
// budget"), and below what made a store fail or stall: 10,000 AND terms
// exhausted PostgreSQL's parser, 66,000 IN values passed its 65,535 bind
// parameters, a 20,000-vertex polygon cost the memory store 69 s of CPU.
const (
	// maxFilterBytes bounds the filter parameter's text.
	maxFilterBytes = 64 << 10
	// maxAllFeatures bounds limit=all, the one answer without paging: a
	// bigger collection continues on its next link.
	maxAllFeatures = 100_000
	// fineHexRes is the first H3 resolution whose /api/stats answer runs
	// to megabytes (res 10 of the whole regency: 8.8 MB with every
	// indicator), so it needs a zone, a bbox or a short fields list.
	fineHexRes = 9
	// maxFineHexFields is how many indicators fields may name for fine
	// hexagons without zone or bbox: the web map asks for the one it colours.
	maxFineHexFields = 4
	// maxFineHexSpan is the widest bbox, in degrees either way, that
	// answers fine hexagons with every indicator: a wide screen at zoom 13,
	// where the map starts showing res 9.
	maxFineHexSpan = 0.5
)

// filterBudget bounds one filter, counted by the CQL2 parser (nesting depth
// is bounded by the parser itself, 100 levels). Name=value conditions count
// as terms too.
var filterBudget = cql.Limits{
	Terms:    100,
	Values:   1000,
	Vertices: 1000,
}

// checkRequestText refuses a request whose text is not well-formed: a
// path parameter or a query parameter's name or value with invalid UTF-8 or
// a NUL character, or a malformed %-escape in the query (which url.Values
// would silently drop, widening the request). PostgreSQL refuses such text
// with an error of its own (SQLSTATE 22021), so it is caught here, once for
// every endpoint and both stores.
func checkRequestText(r *http.Request) error {
	for name, v := range mux.Vars(r) {
		if err := plainText(v); err != nil {
			return badRequest("path parameter {%s}: %v", name, err)
		}
	}
	raw := r.URL.RawQuery
	if raw == "" {
		return nil // most tile requests: nothing to parse or allocate
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return badRequest("query: %v", err)
	}
	for key, vals := range q {
		if err := plainText(key); err != nil {
			return badRequest("parameter %q: its name %v", key, err)
		}
		for _, v := range vals {
			if err := plainText(v); err != nil {
				return badRequest("parameter %s: %v", key, err)
			}
		}
	}
	return nil
}

// plainText says what is wrong with s as request text, or nil.
func plainText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8 text")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("contains a NUL character")
	}
	return nil
}

// parseFilterText parses CQL2 text within the filter budget; extraTerms
// are the name=value conditions joined to the client's filter, which count
// as terms too.
func parseFilterText(text string, extraTerms int) (cql.Expr, error) {
	lim := filterBudget
	lim.Terms += extraTerms
	e, err := cql.ParseWithin(text, lim)
	if err != nil {
		return nil, badRequest("parameter filter: %v", err)
	}
	return e, nil
}

// finite refuses NaN and infinities, which ParseFloat accepts and which
// compare false with everything: a NaN bbox selected every area in memory
// and none in PostGIS.
func finite(param, text string, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return badRequest("parameter %s: %q is not a finite number", param, text)
	}
	return nil
}

// checkHexStats refuses a hexagon /api/stats request too big to answer
// whole: a fine resolution with neither a zone, nor a small bbox, nor only
// a few indicators.
func checkHexStats(res int, zone string, bound *orb.Bound, fields []int) error {
	if res < fineHexRes || zone != "" || fields != nil && len(fields) <= maxFineHexFields {
		return nil
	}
	if bound != nil && bound.Max[0]-bound.Min[0] <= maxFineHexSpan && bound.Max[1]-bound.Min[1] <= maxFineHexSpan {
		return nil
	}
	return badRequest("parameter res: level=hexagon at res %d needs zone, a bbox at most %g degrees wide and high, "+
		"or fields with at most %d indicators (the request budget); or page through /collections/hexagons_r%d/items",
		res, maxFineHexSpan, maxFineHexFields, res)
}
