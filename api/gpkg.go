package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"labmap/data"
	"labmap/data/gpkg"
	"labmap/qgis"
	"labmap/tiles"
)

// GeoPackage export: the features an items query selects, all of them (no
// paging), as one OGC GeoPackage table with typed columns and a QGIS style
// per indicator in layer_styles, so QGIS opens the file styled.

const mediaGeoPackage = "application/geopackage+sqlite3"

// defaultStyleIndicator is the indicator whose style QGIS applies when it
// opens an export, as the web map opens on it.
const defaultStyleIndicator = "poverty_rate"

// GeoPackageExport is what an export wrote.
type GeoPackageExport struct {
	Layer    string     // the table (layer) name: the collection id
	Features int64      // features written; equal to the query's numberMatched
	Round    data.Round // the round of the features ("" when none matched)
	Styles   int        // styles in layer_styles
}

// ExportGeoPackage writes the features of collection that params select (the
// items endpoint's parameters: round, datetime, bbox, filter, properties,
// any queryable, lang, and indicator for the default style) to a new
// GeoPackage at path, through the same parsing and store query as
// /collections/{collection}/items?f=gpkg. A mistake in params comes back as
// an error naming the parameter.
func ExportGeoPackage(ctx context.Context, store data.Store, log *slog.Logger, opt Options, collection string, params url.Values, path string) (GeoPackageExport, error) {
	if opt.MinHouseholds <= 0 {
		opt.MinHouseholds = data.DefaultMinHouseholds
	}
	s := &Server{store: store, log: log, opt: opt}
	c, ok := collectionByID(collection)
	if !ok {
		var ids []string
		for _, c := range collections() {
			ids = append(ids, c.ID)
		}
		return GeoPackageExport{}, fmt.Errorf("collection %q does not exist (collections: %s)", collection, strings.Join(ids, ", "))
	}
	q := url.Values{}
	for k, v := range params {
		q[k] = v
	}
	q.Set("f", "gpkg")
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "/collections/"+c.ID+"/items?"+q.Encode(), nil)
	if err != nil {
		return GeoPackageExport{}, err
	}
	req, err := s.parseItems(r, c)
	if err != nil {
		return GeoPackageExport{}, err
	}
	fs, err := s.featureStore()
	if err != nil {
		return GeoPackageExport{}, err
	}
	return s.writeGeoPackage(r, fs, c, req, path)
}

// itemsGeoPackage answers f=gpkg: the file is written to a temporary file
// first, so the reply has a Content-Length and a failure is still a JSON
// error rather than a cut download.
func (s *Server) itemsGeoPackage(w http.ResponseWriter, r *http.Request, fs data.FeatureStore, c collection, req *itemsRequest) error {
	tmp, err := os.CreateTemp("", "labmap-*.gpkg")
	if err != nil {
		return fmt.Errorf("geopackage: %w", err)
	}
	path := tmp.Name()
	tmp.Close()
	defer os.Remove(path)
	exp, err := s.writeGeoPackage(r, fs, c, req, path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("geopackage: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("geopackage: %w", err)
	}
	name := "labmap-" + c.ID
	if exp.Round != "" {
		name += "-" + string(exp.Round)
	}
	h := w.Header()
	h.Set("Content-Type", mediaGeoPackage)
	h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	h.Set("Content-Disposition", `attachment; filename="`+name+`.gpkg"`)
	if _, err := io.Copy(w, f); err != nil {
		// Headers are gone; abort so the client sees a short download.
		s.streamCut(r, "geopackage download", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// gpkgColumn is one property of the items as a GeoPackage column.
type gpkgColumn struct {
	name string
	typ  gpkg.ColumnType
}

// gpkgColumns are the properties the request wants, in the order of every
// other format, typed: rates REAL, counts and the H3 resolution INTEGER,
// the round a DATE, suppressed a BOOLEAN, codes, names and the lab zones
// (joined with ";") TEXT.
func gpkgColumns(c collection, req *itemsRequest) []gpkgColumn {
	names := data.PropertyNames(c.Level)
	if !slices.Contains(names, "zones") {
		names = slices.Insert(names, slices.Index(names, "round"), "zones")
	}
	var out []gpkgColumn
	for _, n := range names {
		if !wanted(req, n) {
			continue
		}
		t := gpkg.Text
		switch n {
		case "round":
			t = gpkg.Date
		case "suppressed":
			t = gpkg.Boolean
		case "res":
			t = gpkg.Integer
		}
		if i := data.IndicatorIndex(n); i >= 0 {
			switch data.Indicators[i].Kind {
			case data.KindCount:
				t = gpkg.Integer
			case data.KindRate:
				t = gpkg.Real
			}
		}
		out = append(out, gpkgColumn{n, t})
	}
	return out
}

// gpkgValue is an area's value of a column: what the GeoJSON items carry,
// as the column's type; NULL for a withheld figure or a suppressed area's.
func gpkgValue(a *data.Area, req *itemsRequest, col gpkgColumn) any {
	if col.name == "zones" {
		return strings.Join(a.Zones, ";")
	}
	v, ok := propertyValue(a, req, col.name)
	if !ok || v == nil {
		return nil
	}
	switch x := v.(type) {
	case float64:
		if col.typ == gpkg.Integer {
			return int64(math.Round(x))
		}
		return x
	case string, int, bool:
		return x
	}
	return fmt.Sprint(v)
}

// gpkgIndicator reads indicator=, the style QGIS applies on opening.
func gpkgIndicator(r *http.Request, cols []gpkgColumn) (string, error) {
	key := r.URL.Query().Get("indicator")
	if key == "" {
		key = defaultStyleIndicator
		if !slices.ContainsFunc(cols, func(c gpkgColumn) bool { return c.name == key }) {
			return "", nil // properties= left it out: no default style
		}
		return key, nil
	}
	if data.IndicatorIndex(key) < 0 {
		return "", badRequest("parameter indicator: %q is not an indicator (see /api/indicators)", key)
	}
	if !slices.ContainsFunc(cols, func(c gpkgColumn) bool { return c.name == key }) {
		return "", badRequest("parameter indicator: %q is not among the properties asked for", key)
	}
	return key, nil
}

// writeGeoPackage streams the whole selection from the store into a new
// GeoPackage at path, then adds the styles.
func (s *Server) writeGeoPackage(r *http.Request, fs data.FeatureStore, c collection, req *itemsRequest, path string) (GeoPackageExport, error) {
	ctx := r.Context()
	if req.crs != crs84 && req.crs != crsEPSG4326 {
		return GeoPackageExport{}, badRequest("parameter crs: a GeoPackage is written in EPSG:4326 (longitude, latitude); leave crs out")
	}
	cols := gpkgColumns(c, req)
	indicator, err := gpkgIndicator(r, cols)
	if err != nil {
		return GeoPackageExport{}, err
	}
	// A GeoPackage holds everything the query matches: no page, no cursor.
	q := req.q
	q.Limit, q.Offset, q.After = 0, 0, nil

	layer := gpkg.Layer{Table: c.ID, Identifier: c.Title.In(req.lang),
		Description: data.Text{ID: "labmap: indikator per wilayah dan putaran survei", EN: "labmap: indicators per area and survey round"}.In(req.lang)}
	for _, col := range cols {
		layer.Columns = append(layer.Columns, gpkg.Column{Name: col.name, Type: col.typ})
	}
	w, err := gpkg.Create(ctx, path, layer)
	if err != nil {
		return GeoPackageExport{}, fmt.Errorf("geopackage: %w", err)
	}
	defer w.Close()
	exp := GeoPackageExport{Layer: c.ID}
	values := make([]any, len(cols))
	if _, err := fs.Features(ctx, q, func(a *data.Area) error {
		exp.Round = a.Round
		for i, col := range cols {
			values[i] = gpkgValue(a, req, col)
		}
		return w.Add(ctx, a.Geometry, values)
	}); err != nil {
		return GeoPackageExport{}, err
	}
	styles, err := s.gpkgStyles(ctx, c, req, cols, indicator)
	if err != nil {
		return GeoPackageExport{}, err
	}
	exp.Features, exp.Styles = w.Count(), len(styles)
	if err := w.Finish(ctx, styles); err != nil {
		return GeoPackageExport{}, fmt.Errorf("geopackage: %w", err)
	}
	return exp, nil
}

// gpkgStyles are a QGIS style (QML and SLD) for every indicator among the
// columns, classified over the level and round as the web map and
// /styles/{indicator}.qml classify them, so an export looks like the map;
// the indicator's style is the default.
func (s *Server) gpkgStyles(ctx context.Context, c collection, req *itemsRequest, cols []gpkgColumn, indicator string) ([]gpkg.Style, error) {
	var inds []data.Indicator
	for _, ind := range data.Indicators {
		if slices.ContainsFunc(cols, func(c gpkgColumn) bool { return c.name == ind.Key }) {
			inds = append(inds, ind)
		}
	}
	if len(inds) == 0 {
		return nil, nil
	}
	// One read of the level serves every indicator's classes.
	areas, err := s.store.Stats(ctx, data.StatsQuery{Level: c.Level, Res: c.Res, Round: req.q.Round})
	if err != nil {
		return nil, fmt.Errorf("geopackage styles: %w", err)
	}
	var styles []gpkg.Style
	for _, ind := range inds {
		ch := tiles.NewChoropleth(ind, areas, req.lang, s.opt.MinHouseholds)
		qml, err := qgis.QML(ch, c.Level)
		if err != nil {
			return nil, fmt.Errorf("geopackage style %s: %w", ind.Key, err)
		}
		styles = append(styles, gpkg.Style{
			Name:        ind.Key,
			Description: ind.Label.In(req.lang),
			QML:         qml,
			SLD:         tiles.SLD(ch, c.ID),
			Default:     ind.Key == indicator,
		})
	}
	return styles, nil
}
