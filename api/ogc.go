package api

import (
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"labmap/data"
)

// OGC API Features (Parts 1, 2 and 3) over the aggregates. Collections are
// the levels, with one collection per H3 resolution because clients expect a
// collection to have one kind of feature.

// collection is one OGC API collection (see data.Collections).
type collection = data.Collection

func collections() []collection { return data.Collections() }

func collectionByID(id string) (collection, bool) {
	for _, c := range collections() {
		if c.ID == id {
			return c, true
		}
	}
	return collection{}, false
}

// Media types of the formats the API speaks.
const (
	mediaGeoJSON = "application/geo+json"
	mediaJSON    = "application/json"
	mediaHTML    = "text/html"
	mediaCSV     = "text/csv"
	mediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
)

// format picks the response format from f= first, then Accept; no Accept
// header, or one without a preference we serve, means JSON. allowed lists
// the formats the resource has, JSON first.
func format(r *http.Request, allowed ...string) (string, error) {
	if f := r.URL.Query().Get("f"); f != "" {
		if f == "geojson" {
			f = "json"
		}
		for _, a := range allowed {
			if a == f {
				return f, nil
			}
		}
		return "", badRequest("parameter f: %q is not one of %s", f, strings.Join(allowed, ", "))
	}
	best, bestQ := "", 0.0
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		var f string
		switch mt {
		case mediaHTML, "application/xhtml+xml":
			f = "html"
		case mediaGeoJSON, mediaJSON, "application/schema+json", "application/vnd.oai.openapi+json":
			f = "json"
		case mediaCSV:
			f = "csv"
		case mediaGeoPackage:
			f = "gpkg"
		case "*/*", "application/*":
			f = allowed[0]
			q -= 0.001 // an explicit type wins over a wildcard of the same weight
		default:
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == f
		}
		if ok && q > bestQ {
			best, bestQ = f, q
		}
	}
	if best == "" {
		return allowed[0], nil
	}
	return best, nil
}

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// conformanceClasses are the requirement classes labmap implements, and no others.
var conformanceClasses = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
	confSchemas,
}

func (s *Server) landing(w http.ResponseWriter, r *http.Request) error {
	base := baseURL(r)
	reg, err := s.region(r)
	if err != nil {
		return err
	}
	doc := map[string]any{
		"title":       "labmap — laboratorium kemiskinan " + reg.Name.ID,
		"description": "Aggregated poverty-lab indicators per zone, district, village and H3 hexagon, per survey round. Small areas are suppressed.",
		"links": []link{
			{base + "/?f=json", "self", mediaJSON, "This document"},
			{base + "/?f=html", "alternate", mediaHTML, "This document as HTML"},
			{base + "/api", "service-desc", mediaOpenAPI, "The API definition (OpenAPI 3.0)"},
			{base + "/api.html", "service-doc", mediaHTML, "The API documentation"},
			{base + "/conformance", "conformance", mediaJSON, "Conformance classes"},
			{base + "/collections", "data", mediaJSON, "Collections"},
		},
	}
	f, err := format(r, "json", "html")
	if err != nil {
		return err
	}
	if f == "html" {
		return s.renderHTML(w, "index", map[string]any{"Doc": doc, "Collections": collections()})
	}
	return writeJSON(w, doc)
}

func (s *Server) conformance(w http.ResponseWriter, r *http.Request) error {
	doc := map[string]any{"conformsTo": conformanceClasses}
	f, err := format(r, "json", "html")
	if err != nil {
		return err
	}
	if f == "html" {
		return s.renderHTML(w, "conformance", doc)
	}
	return writeJSON(w, doc)
}

// crsURIs are the CRSs the API reads and writes; CRS84 is the default.
var crsURIs = []string{crs84, crsEPSG4326, crsEPSG3857}

// collectionDoc describes a collection with its extent in the spec's nested form.
func (s *Server) collectionDoc(r *http.Request, c collection, lang string, extent [4]float64, rounds []data.RoundInfo) map[string]any {
	base := baseURL(r) + "/collections/" + c.ID
	interval := []any{nil, nil}
	if len(rounds) > 0 {
		interval = []any{string(rounds[0].Round) + "T00:00:00Z", string(rounds[len(rounds)-1].Round) + "T00:00:00Z"}
	}
	return map[string]any{
		"id":          c.ID,
		"title":       c.Title.In(lang),
		"description": data.Text{ID: "Indikator per wilayah dan putaran survei; wilayah dengan kurang dari k rumah tangga disembunyikan", EN: "Indicators per area and survey round; areas with fewer than k households are suppressed"}.In(lang),
		"itemType":    "feature",
		"crs":         crsURIs,
		"storageCrs":  crs84,
		"extent": map[string]any{
			"spatial":  map[string]any{"bbox": [][4]float64{extent}, "crs": crs84},
			"temporal": map[string]any{"interval": [][]any{interval}, "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
		},
		"links": append([]link{
			{base, "self", mediaJSON, "This collection"},
			{base + "?f=html", "alternate", mediaHTML, "This collection as HTML"},
			{base + "/items", "items", mediaGeoJSON, fmt.Sprintf("Features, %d per page (follow rel=next)", defaultLimit)},
			{base + "/items?f=html", "items", mediaHTML, fmt.Sprintf("Features as HTML, %d per page", defaultLimit)},
			{base + "/items?f=csv", "items", mediaCSV, fmt.Sprintf("Features as CSV, %d per page (Link header rel=next for more)", defaultLimit)},
			// enclosure, not items: GDAL takes the last GeoJSON items link as
			// the one to page through.
			{base + "/items?f=csv&limit=all", "enclosure", mediaCSV, "Every feature as CSV, in one download"},
			{base + "/items?f=gpkg", "enclosure", mediaGeoPackage, "Every feature as a GeoPackage, styled for QGIS"},
			{base + "/items?limit=all", "enclosure", mediaGeoJSON, "Every feature as GeoJSON, in one download"},
			{base + "/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", mediaSchema, "Queryables"},
		}, schemaLinks(baseURL(r), c)...),
	}
}

func (s *Server) extentAndRounds(r *http.Request) ([4]float64, []data.RoundInfo, error) {
	b, err := s.store.Extent(r.Context())
	if err != nil {
		return [4]float64{}, nil, err
	}
	rounds, err := s.store.Rounds(r.Context())
	if err != nil {
		return [4]float64{}, nil, err
	}
	return [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, rounds, nil
}

// collectionRequest reads what describing collections needs: the format,
// the language, the data's extent and its rounds.
func (s *Server) collectionRequest(r *http.Request) (f, lang string, extent [4]float64, rounds []data.RoundInfo, err error) {
	if f, err = format(r, "json", "html"); err != nil {
		return
	}
	if lang, err = langOf(r); err != nil {
		return
	}
	extent, rounds, err = s.extentAndRounds(r)
	return
}

func (s *Server) collectionsList(w http.ResponseWriter, r *http.Request) error {
	f, lang, extent, rounds, err := s.collectionRequest(r)
	if err != nil {
		return err
	}
	var docs []map[string]any
	for _, c := range collections() {
		docs = append(docs, s.collectionDoc(r, c, lang, extent, rounds))
	}
	if hd := s.householdsListing(r, lang, extent, rounds); hd != nil {
		docs = append(docs, hd)
	}
	doc := map[string]any{
		"links": []link{
			{baseURL(r) + "/collections", "self", mediaJSON, "Collections"},
			{baseURL(r) + "/collections?f=html", "alternate", mediaHTML, "Collections as HTML"},
		},
		"collections": docs,
	}
	if f == "html" {
		return s.renderHTML(w, "collections", doc)
	}
	return writeJSON(w, doc)
}

func (s *Server) collectionOf(r *http.Request) (collection, error) {
	id := muxVar(r, "collection")
	c, ok := collectionByID(id)
	if !ok {
		ids := make([]string, 0)
		for _, c := range collections() {
			ids = append(ids, c.ID)
		}
		sort.Strings(ids)
		return c, &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("collection %q does not exist (collections: %s)", id, strings.Join(ids, ", "))}
	}
	return c, nil
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.collectionOf(r)
	if err != nil {
		return err
	}
	f, lang, extent, rounds, err := s.collectionRequest(r)
	if err != nil {
		return err
	}
	doc := s.collectionDoc(r, c, lang, extent, rounds)
	if f == "html" {
		return s.renderHTML(w, "collection", doc)
	}
	return writeJSON(w, doc)
}

func (s *Server) queryables(w http.ResponseWriter, r *http.Request) error {
	c, err := s.collectionOf(r)
	if err != nil {
		return err
	}
	lang, err := langOf(r)
	if err != nil {
		return err
	}
	props := map[string]any{}
	for _, q := range data.Queryables(c.Level) {
		p := map[string]any{"title": q.Description.In(lang)}
		switch q.Name {
		case "geometry":
			p["format"] = "geometry-any"
			p["x-ogc-role"] = "primary-geometry"
		default:
			p["type"] = map[int]string{1: "number", 2: "string", 3: "boolean"}[int(q.Type)]
		}
		props[q.Name] = p
	}
	w.Header().Set("Content-Type", "application/schema+json")
	return writeJSONBody(w, map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  baseURL(r) + "/collections/" + c.ID + "/queryables",
		"type":                 "object",
		"title":                c.Title.In(lang),
		"properties":           props,
		"additionalProperties": false,
	})
}
