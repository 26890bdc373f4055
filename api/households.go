package api

import (
	"bufio"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"labmap/api/auth"
	"labmap/data"
	"labmap/data/cql"
	"labmap/data/gpkg"
	"labmap/tiles"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// The household layer: staff read the households of the villages and zones
// their token grants, as OGC API features and as vector tiles. To anyone
// else it does not exist: the collection is not listed and every household
// route answers exactly what an unknown collection or tile layer answers.
// Every read is audited by the store, in the read's own transaction.

// householdsID is the collection's id and the tile layer's name.
const householdsID = "households"

// householdMinZoom is the lowest zoom with household tiles: below it a
// tile would hold a whole district's households.
const householdMinZoom = 14

// reservedHouseholdParams are the items parameters that are not property filters.
var reservedHouseholdParams = []string{"f", "limit", "cursor", "bbox", "bbox-crs", "crs", "datetime", "round", "filter", "filter-lang", "filter-crs"}

// privateHeaders marks a household answer as the reader's alone; the
// authentication middleware forces the same, this keeps it true on its own.
func privateHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "private, no-store")
	h.Add("Vary", "Authorization")
	h.Del("Access-Control-Allow-Origin")
}

// noSuchCollection is the answer to an unknown collection, word for word
// what collectionOf says, so that households is indistinguishable from a
// collection that does not exist.
func noSuchCollection() error {
	ids := make([]string, 0)
	for _, c := range collections() {
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	return &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("collection %q does not exist (collections: %s)", householdsID, strings.Join(ids, ", "))}
}

// householdReader is the principal and store of a household request, or
// the 404 that hides the layer from anyone who may not read it.
func (s *Server) householdReader(r *http.Request, notFound func() error) (auth.Principal, data.HouseholdStore, error) {
	p := auth.FromContext(r.Context())
	if !p.CanSeeHouseholds() {
		return p, nil, notFound()
	}
	hs, ok := s.store.(data.HouseholdStore)
	if !ok {
		return p, nil, &Error{Status: http.StatusNotFound, Msg: data.ErrNoHouseholdAccess.Error()}
	}
	return p, hs, nil
}

// grantedVillages are the village codes p may read: an admin reads all;
// staff the villages its token names and those of its zones, each checked
// by auth.Principal.Grants.
func (s *Server) grantedVillages(r *http.Request, p auth.Principal, q *data.HouseholdQuery) error {
	if p.IsAdmin() {
		q.AllVillages = true
		return nil
	}
	zones, err := s.store.Zones(r.Context())
	if err != nil {
		return err
	}
	zonesOf := map[string][]string{}
	candidates := slices.Clone(p.Villages)
	for _, z := range zones {
		for _, v := range z.VillageCodes {
			zonesOf[v] = append(zonesOf[v], z.ID)
			candidates = append(candidates, v)
		}
	}
	slices.Sort(candidates)
	q.Villages = []string{}
	for _, v := range slices.Compact(candidates) {
		if p.Grants(v, zonesOf[v]) {
			q.Villages = append(q.Villages, v)
		}
	}
	return nil
}

// householdQuery builds the query common to every household read: the
// grant, the round (latest when not given; one the dataset has) and the
// audit entry.
func (s *Server) householdQuery(r *http.Request, p auth.Principal) (data.HouseholdQuery, error) {
	var q data.HouseholdQuery
	var sq data.StatsQuery
	if err := s.parseRound(r, &sq); err != nil {
		return q, err
	}
	rounds, err := s.store.Rounds(r.Context())
	if err != nil {
		return q, err
	}
	if len(rounds) == 0 {
		return q, fmt.Errorf("%w: the dataset has no rounds", data.ErrInvalidQuery)
	}
	q.Round = rounds[len(rounds)-1].Round
	if sq.Round != "" {
		if !slices.ContainsFunc(rounds, func(ri data.RoundInfo) bool { return ri.Round == sq.Round }) {
			return q, badRequest("parameter round: %s is not a survey round of the dataset", sq.Round)
		}
		q.Round = sq.Round
	}
	if err := s.grantedVillages(r, p, &q); err != nil {
		return q, err
	}
	q.Audit = data.AuditEntry{TokenID: p.TokenID, TokenName: p.Name, Endpoint: r.Method + " " + r.URL.Path,
		Query: r.URL.RawQuery, ClientAddr: clientAddress(r)}
	return q, nil
}

func (s *Server) householdsCollection(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := s.householdReader(r, noSuchCollection); err != nil {
		return err
	}
	lang, err := langOf(r)
	if err != nil {
		return err
	}
	extent, rounds, err := s.extentAndRounds(r)
	if err != nil {
		return err
	}
	privateHeaders(w)
	return writeJSON(w, s.householdsCollectionDoc(r, lang, extent, rounds))
}

// householdsListing is the collection's entry in /collections, or nil for a
// principal that may not read households (and so must not learn of them).
func (s *Server) householdsListing(r *http.Request, lang string, extent [4]float64, rounds []data.RoundInfo) map[string]any {
	if _, ok := s.store.(data.HouseholdStore); !ok || !auth.FromContext(r.Context()).CanSeeHouseholds() {
		return nil
	}
	return s.householdsCollectionDoc(r, lang, extent, rounds)
}

func (s *Server) householdsCollectionDoc(r *http.Request, lang string, extent [4]float64, rounds []data.RoundInfo) map[string]any {
	base := baseURL(r) + "/collections/" + householdsID
	interval := []any{nil, nil}
	if len(rounds) > 0 {
		interval = []any{string(rounds[0].Round) + "T00:00:00Z", string(rounds[len(rounds)-1].Round) + "T00:00:00Z"}
	}
	return map[string]any{
		"id":          householdsID,
		"title":       data.Text{ID: "Rumah tangga (staf)", EN: "Households (staff)"}.In(lang),
		"description": data.Text{ID: "Rumah tangga desa dan zona yang diberikan token ini; setiap pembacaan dicatat", EN: "Households of the villages and zones this token grants; every read is audited"}.In(lang),
		"itemType":    "feature",
		"crs":         crsURIs,
		"storageCrs":  crs84,
		"extent": map[string]any{
			"spatial":  map[string]any{"bbox": [][4]float64{extent}, "crs": crs84},
			"temporal": map[string]any{"interval": [][]any{interval}, "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
		},
		"links": []link{
			{base, "self", mediaJSON, "This collection"},
			{base + "/items", "items", mediaGeoJSON, fmt.Sprintf("Households, %d per page", defaultLimit)},
			{base + "/items?f=csv", "items", mediaCSV, "Households as CSV"},
			{base + "/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", mediaSchema, "Queryables"},
		},
	}
}

func (s *Server) householdsQueryables(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := s.householdReader(r, noSuchCollection); err != nil {
		return err
	}
	lang, err := langOf(r)
	if err != nil {
		return err
	}
	props := map[string]any{}
	for _, q := range data.HouseholdQueryables() {
		props[q.Name] = map[string]any{"title": q.Description.In(lang), "type": map[cql.Type]string{cql.TypeNumber: "number", cql.TypeString: "string", cql.TypeBool: "boolean"}[q.Type]}
	}
	privateHeaders(w)
	w.Header().Set("Content-Type", "application/schema+json")
	return writeJSONBody(w, map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  baseURL(r) + "/collections/" + householdsID + "/queryables",
		"type":                 "object",
		"title":                data.Text{ID: "Rumah tangga", EN: "Households"}.In(lang),
		"properties":           props,
		"additionalProperties": false,
	})
}

// householdsRequest is a parsed household items query.
type householdsRequest struct {
	q      data.HouseholdQuery
	format string
	crs    string
}

func (s *Server) parseHouseholds(r *http.Request, p auth.Principal) (*householdsRequest, error) {
	f, err := format(r, "json", "csv", "gpkg")
	if err != nil {
		return nil, err
	}
	req := &householdsRequest{format: f, crs: crs84}
	if req.q, err = s.householdQuery(r, p); err != nil {
		return nil, err
	}
	req.q.Limit = defaultLimit
	vals := r.URL.Query()
	types := data.HouseholdQueryableTypes()
	var conditions []string
	for key, vs := range vals {
		if slices.Contains(reservedHouseholdParams, key) {
			continue
		}
		t, ok := types[key]
		if !ok {
			return nil, badRequest("parameter %s: unknown; not a queryable of %s (see /collections/%s/queryables)", key, householdsID, householdsID)
		}
		lit, err := literal(key, vs[0], t)
		if err != nil {
			return nil, err
		}
		conditions = append(conditions, fmt.Sprintf("%q = %s", key, lit))
	}
	if v := vals.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > data.MaxHouseholdLimit {
			return nil, badRequest("parameter limit: %q is not a whole number from 1 to %d", v, data.MaxHouseholdLimit)
		}
		req.q.Limit = n
	}
	if v := vals.Get("cursor"); v != "" {
		id, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(id) == 0 {
			return nil, badRequest("parameter cursor: not a cursor this server made; follow the next link")
		}
		req.q.After = string(id)
	}
	if req.crs, req.q.Bound, err = parsePlace(vals); err != nil {
		return nil, err
	}
	if req.q.Filter, err = parseFilter(vals, conditions, types); err != nil {
		return nil, err
	}
	return req, nil
}

func (s *Server) householdsItems(w http.ResponseWriter, r *http.Request) error {
	p, hs, err := s.householdReader(r, noSuchCollection)
	if err != nil {
		return err
	}
	req, err := s.parseHouseholds(r, p)
	if err != nil {
		return err
	}
	var page []data.Household
	matched, err := hs.Households(r.Context(), req.q, func(h *data.Household) error {
		page = append(page, *h)
		return nil
	})
	if err != nil {
		return err
	}
	privateHeaders(w)
	links := householdLinks(r, req, page)
	for _, l := range links {
		w.Header().Add("Link", linkHeaderValue(l))
	}
	switch req.format {
	case "csv":
		return writeHouseholdsCSV(w, req, page)
	case "gpkg":
		return s.writeHouseholdsGeoPackage(w, r, page)
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	w.Header().Set("Content-Type", mediaGeoJSON)
	w.Header().Set("Content-Crs", "<"+req.crs+">")
	bw.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range page {
		if i > 0 {
			bw.WriteByte(',')
		}
		b, err := householdFeature(&page[i], req.crs)
		if err != nil {
			return err
		}
		bw.Write(b)
	}
	lj, _ := json.Marshal(links)
	fmt.Fprintf(bw, `],"numberMatched":%d,"numberReturned":%d,"timeStamp":%q,"links":%s}`+"\n",
		matched, len(page), time.Now().UTC().Format(time.RFC3339), lj)
	return bw.Flush()
}

// householdLinks are self, the CSV alternate and, after a full page, next.
func householdLinks(r *http.Request, req *householdsRequest, page []data.Household) []link {
	with := linkTo(r)
	links := []link{
		{with(nil), "self", mediaForFormat(req.format), "This page"},
		{with(map[string]string{"f": "json"}), "alternate", mediaGeoJSON, "This page as GeoJSON"},
		{with(map[string]string{"f": "csv"}), "alternate", mediaCSV, "This page as CSV"},
	}
	if len(page) == req.q.Limit {
		next := base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1].ID))
		links = append(links, link{with(map[string]string{"cursor": next}), "next", mediaForFormat(req.format), "Next page"})
	}
	return links
}

// householdColumns are the properties of a household in every format: the
// data contract's fields, the point aside.
var householdColumns = []string{"household_id", "round", "village_code", "head_name", "members", "poverty_status",
	"occupation", "welfare_decile", "causes", "house_uninhabitable", "house_repaired", "latrine", "water_source",
	"electricity", "chronic_ill", "chronic_ill_treated", "disabled", "disabled_assisted", "children_school_age",
	"children_out_of_school", "health_km", "programs"}

// householdProperty is a household's property as JSON would have it; nil
// for a field the survey did not record.
func householdProperty(h *data.Household, name string) any {
	switch name {
	case "round":
		return string(h.Round)
	case "causes":
		return nonNil(h.Causes)
	case "programs":
		return nonNil(h.Programs)
	}
	v := data.HouseholdValue(h, name)
	switch v.Kind {
	case cql.KindString:
		return v.Str
	case cql.KindNumber:
		return v.Num
	case cql.KindBool:
		return v.Bool
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func householdFeature(h *data.Household, crs string) ([]byte, error) {
	props := make(map[string]any, len(householdColumns))
	for _, c := range householdColumns {
		props[c] = householdProperty(h, c)
	}
	x, y := toCRS(crs, h.Loc)
	return json.Marshal(map[string]any{
		"type":       "Feature",
		"id":         h.ID,
		"geometry":   map[string]any{"type": "Point", "coordinates": []float64{x, y}},
		"properties": props,
	})
}

func writeHouseholdsCSV(w http.ResponseWriter, req *householdsRequest, page []data.Household) error {
	xName, yName := "lon", "lat"
	switch req.crs {
	case crsEPSG4326:
		xName, yName = "lat", "lon"
	case crsEPSG3857:
		xName, yName = "x", "y"
	}
	h := w.Header()
	h.Set("Content-Type", mediaCSV+"; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="households.csv"`)
	h.Set("Content-Crs", "<"+req.crs+">")
	bw := bufio.NewWriter(w)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	if err := cw.Write(append(slices.Clone(householdColumns), xName, yName)); err != nil {
		return err
	}
	rec := make([]string, 0, len(householdColumns)+2)
	for i := range page {
		rec = rec[:0]
		for _, c := range householdColumns {
			rec = append(rec, csvValue(householdProperty(&page[i], c), true))
		}
		x, y := toCRS(req.crs, page[i].Loc)
		rec = append(rec, strconv.FormatFloat(x, 'f', -1, 64), strconv.FormatFloat(y, 'f', -1, 64))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// householdItem answers one household at one round; a household outside
// the grant is as absent as one that does not exist.
func (s *Server) householdItem(w http.ResponseWriter, r *http.Request) error {
	p, hs, err := s.householdReader(r, noSuchCollection)
	if err != nil {
		return err
	}
	for key := range r.URL.Query() {
		if !slices.Contains([]string{"f", "crs", "round", "datetime"}, key) {
			return badRequest("parameter %s: unknown for a single household", key)
		}
	}
	if f, err := format(r, "json"); err != nil || f != "json" {
		return badRequest("parameter f: a single household is GeoJSON only")
	}
	q, err := s.householdQuery(r, p)
	if err != nil {
		return err
	}
	crs := crs84
	if v := r.URL.Query().Get("crs"); v != "" {
		var ok bool
		if crs, ok = parseCRS(v); !ok {
			return badRequest("parameter crs: %q is not one of %s", v, strings.Join(crsURIs, ", "))
		}
	}
	id := mux.Vars(r)["feature"]
	q.Filter = cql.Compare{Op: "=", Left: cql.Property{Name: "household_id"}, Right: cql.Literal{Value: cql.Value{Kind: cql.KindString, Str: id}}}
	q.Limit = 1
	var found *data.Household
	if _, err := hs.Households(r.Context(), q, func(h *data.Household) error {
		cp := *h
		found = &cp
		return nil
	}); err != nil {
		return err
	}
	if found == nil {
		return &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("feature %q does not exist in %s", id, householdsID)}
	}
	b, err := householdFeature(found, crs)
	if err != nil {
		return err
	}
	privateHeaders(w)
	w.Header().Set("Content-Type", mediaGeoJSON)
	w.Header().Set("Content-Crs", "<"+crs+">")
	_, err = w.Write(append(b, '\n'))
	return err
}

// householdTile renders the households of one tile for its reader alone:
// it never enters the shared tile cache, which keys by nothing a grant
// could be told apart by.
func (s *Server) householdTile(w http.ResponseWriter, r *http.Request) error {
	p, hs, err := s.householdReader(r, func() error {
		_, err := tiles.ParseLayers(householdsID)
		if err == nil {
			err = errors.New("unknown layer " + householdsID)
		}
		return &Error{Status: http.StatusNotFound, Msg: err.Error()}
	})
	if err != nil {
		return err
	}
	v := mux.Vars(r)
	var z, x, y int
	if z, err = tileNumber(v, "z"); err != nil {
		return err
	}
	if x, err = tileNumber(v, "x"); err != nil {
		return err
	}
	if y, err = tileNumber(v, "y"); err != nil {
		return err
	}
	if err := allowOnly(r, "round"); err != nil {
		return err
	}
	if z < householdMinZoom || z > 22 || x >= 1<<z || y >= 1<<z {
		return badRequest("tile %s: households are drawn at zoom %d to 22, with x and y inside the zoom's grid", tiles.FormatZXY(z, x, y), householdMinZoom)
	}
	q, err := s.householdQuery(r, p)
	if err != nil {
		return err
	}
	tile := maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
	b := tile.Bound()
	q.Bound, q.Limit = &b, data.MaxHouseholdLimit
	fc := geojson.NewFeatureCollection()
	if _, err := hs.Households(r.Context(), q, func(h *data.Household) error {
		f := geojson.NewFeature(h.Loc)
		f.Properties = geojson.Properties{
			"household_id": h.ID, "poverty_status": h.Status.String(), "members": h.Members, "village_code": h.VillageCode,
		}
		if h.HeadName != "" {
			f.Properties["head_name"] = h.HeadName
		}
		fc.Append(f)
		return nil
	}); err != nil {
		return err
	}
	layers := mvt.Layers{mvt.NewLayer(householdsID, fc)}
	layers.ProjectToTile(tile)
	layers.Clip(mvt.MapboxGLDefaultExtentBound)
	body, err := mvt.Marshal(layers)
	if err != nil {
		return fmt.Errorf("encode household tile %s: %w", tiles.FormatZXY(z, x, y), err)
	}
	privateHeaders(w)
	w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}

// householdGPKGColumns types the household columns for a GeoPackage: counts
// and the decile INTEGER, the distance REAL, flags BOOLEAN, the round a
// DATE, causes and programmes their codes joined by ";" as in filters.
func householdGPKGColumns() []gpkg.Column {
	types := data.HouseholdQueryableTypes()
	cols := make([]gpkg.Column, len(householdColumns))
	for i, name := range householdColumns {
		typ := gpkg.Text
		switch {
		case name == "round":
			typ = gpkg.Date
		case name == "health_km":
			typ = gpkg.Real
		case types[name] == cql.TypeNumber:
			typ = gpkg.Integer
		case types[name] == cql.TypeBool:
			typ = gpkg.Boolean
		}
		cols[i] = gpkg.Column{Name: name, Type: typ}
	}
	return cols
}

// writeHouseholdsGeoPackage answers f=gpkg for one page of households (the
// page the audit row counts), through a temporary file as area items do.
func (s *Server) writeHouseholdsGeoPackage(w http.ResponseWriter, r *http.Request, page []data.Household) error {
	dir, err := os.MkdirTemp("", "labmap-households-")
	if err != nil {
		return fmt.Errorf("households geopackage: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "households.gpkg")
	cols := householdGPKGColumns()
	gw, err := gpkg.Create(r.Context(), path, gpkg.Layer{Table: householdsID, Identifier: "labmap households",
		Description: "Households (personal data: staff only)", Columns: cols, Points: true})
	if err != nil {
		return fmt.Errorf("households geopackage: %w", err)
	}
	defer gw.Close()
	values := make([]any, len(cols))
	for i := range page {
		for j, c := range cols {
			v := householdProperty(&page[i], c.Name)
			switch x := v.(type) {
			case []string:
				v = strings.Join(x, ";")
			case float64:
				if c.Type == gpkg.Integer {
					v = int64(x)
				}
			}
			values[j] = v
		}
		if err := gw.AddPoint(r.Context(), page[i].Loc, values); err != nil {
			return fmt.Errorf("households geopackage: %w", err)
		}
	}
	if err := gw.Finish(r.Context(), nil); err != nil {
		return fmt.Errorf("households geopackage: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("households geopackage: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", mediaGeoPackage)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Content-Disposition", `attachment; filename="labmap-households.gpkg"`)
	_, err = w.Write(b)
	return err
}
