package qgis

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"labmap/data"
	"labmap/tiles"
)

// ProjectQuery names what a project shows: the server its layers read from
// (as the client reached it), the indicator, the round (empty: the latest)
// and the language of names and labels.
type ProjectQuery struct {
	ServerURL     string
	Indicator     string
	Round         data.Round
	Lang          string
	MinHouseholds int
}

// Collection is one OGC API collection of the project with the choropleth
// its layer is drawn with.
type Collection struct {
	data.Collection
	Classes tiles.Choropleth
}

// Project is a QGIS project over a labmap server: OGC API Features layers
// for every collection (villages shown, the others ready to tick), the
// villages, districts and zones as vector tiles, and a layer group per lab
// zone, all styled as the web map.
type Project struct {
	ServerURL   string
	Region      data.Region
	Indicator   data.Indicator
	Round       data.Round
	Lang        string
	Extent      orb.Bound // lon/lat
	Zones       []data.Zone
	Collections []Collection
}

// NewProject reads from store what a project needs: the region, its
// extent, the zones, and the classes of the indicator on every collection.
func NewProject(ctx context.Context, store data.Store, q ProjectQuery) (*Project, error) {
	i := data.IndicatorIndex(q.Indicator)
	if i < 0 {
		return nil, fmt.Errorf("%w %q (see /api/indicators)", tiles.ErrUnknownIndicator, q.Indicator)
	}
	lang := q.Lang
	if lang != "en" {
		lang = "id"
	}
	st, err := store.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("project: %w", err)
	}
	extent, err := store.Extent(ctx)
	if err != nil {
		return nil, fmt.Errorf("project: extent: %w", err)
	}
	zones, err := store.Zones(ctx)
	if err != nil {
		return nil, fmt.Errorf("project: zones: %w", err)
	}
	p := &Project{ServerURL: strings.TrimSuffix(q.ServerURL, "/"), Region: st.Region, Indicator: data.Indicators[i],
		Round: q.Round, Lang: lang, Extent: extent, Zones: zones}
	for _, dc := range data.Collections() {
		c := Collection{Collection: dc}
		sq := tiles.StyleQuery{Indicator: q.Indicator, Level: c.Level, Res: c.Res, Round: q.Round, Lang: lang, MinHouseholds: q.MinHouseholds}
		if c.Classes, err = tiles.Classify(ctx, store, sq); err != nil {
			return nil, fmt.Errorf("project: %w", err)
		}
		p.Collections = append(p.Collections, c)
	}
	return p, nil
}

func (p *Project) collection(id string) Collection {
	for _, c := range p.Collections {
		if c.ID == id {
			return c
		}
	}
	return Collection{Collection: data.Collection{ID: id}}
}

// Spatial reference systems the project uses, as QGIS identifies them: its
// internal srsid with the authority id is what it reads first.
type srs struct {
	srsid, srid, authid, description, proj4, acronym string
	geographic                                       bool
}

func mercatorSRS() srs {
	return srs{"3857", "3857", "EPSG:3857", "WGS 84 / Pseudo-Mercator",
		"+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs", "merc", false}
}

func wgs84SRS() srs {
	return srs{"3452", "4326", "EPSG:4326", "WGS 84", "+proj=longlat +datum=WGS84 +no_defs", "longlat", true}
}

func (d *doc) srs(s srs) {
	d.open("spatialrefsys")
	d.text("proj4", s.proj4)
	d.text("srsid", s.srsid)
	d.text("srid", s.srid)
	d.text("authid", s.authid)
	d.text("description", s.description)
	d.text("projectionacronym", s.acronym)
	d.text("ellipsoidacronym", "EPSG:7030")
	d.text("geographicflag", strconv.FormatBool(s.geographic))
	d.close()
}

// mercator projects a lon/lat bound to web mercator metres.
func mercator(b orb.Bound) (minx, miny, maxx, maxy float64) {
	const r = 6378137.0
	x := func(lon float64) float64 { return r * lon * math.Pi / 180 }
	y := func(lat float64) float64 { return r * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360)) }
	return x(b.Min[0]), y(b.Min[1]), x(b.Max[0]), y(b.Max[1])
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// mapLayer is one layer of the project: its tree entry and its definition.
type mapLayer struct {
	id, name, provider, source string
	visible                    bool
	write                      func(d *doc)
}

// hexagonOrder is the sortby of the hexagon layers. QGIS 3.22 ignores the
// collection's schema and types the fields from its first request,
// items?limit=10, through GDAL's GeoJSON reader: a field null in all ten
// features becomes String, one absent from all ten (suppressed hexagons
// carry no figures) is dropped. In code order the first ten hexagons are
// small and suppressed or withheld; largest first, they carry the figures.
// Villages and districts are large enough to need no order.
const hexagonOrder = "-households"

// oapifSource is the "WFS / OGC API - Features" provider's data source for
// a collection; QGIS passes the URL's query (a round, an order) on to every
// request, paging included.
func (p *Project) oapifSource(collection, filter string, level data.Level) string {
	var query []string
	if p.Round != "" {
		query = append(query, "round="+url.QueryEscape(string(p.Round)))
	}
	if level == data.LevelHexagon {
		query = append(query, "sortby="+url.QueryEscape(hexagonOrder))
	}
	u := p.ServerURL + "/"
	if len(query) > 0 {
		u += "?" + strings.Join(query, "&")
	}
	s := "url=" + quoteURIValue(u) + " typename=" + quoteURIValue(collection)
	if filter != "" {
		s += " filter=" + quoteURIValue(filter)
	}
	return s
}

// quoteURIValue quotes a value of a QGIS data source URI: single quotes,
// with quotes and backslashes inside escaped by a backslash.
func quoteURIValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// tileSource is the vector-tile provider's data source for a layer.
func (p *Project) tileSource(layer string) string {
	u := p.ServerURL + "/tiles/" + layer + "/{z}/{x}/{y}.mvt"
	if p.Round != "" {
		u += "?round=" + string(p.Round)
	}
	return "type=xyz&url=" + url.QueryEscape(u) + "&zmin=" + strconv.Itoa(tiles.MinZoom) + "&zmax=" + strconv.Itoa(tiles.MaxZoom)
}

// vectorLayer is an OGC API layer drawn with style.
func (p *Project) vectorLayer(id, name, collection, filter string, level data.Level, visible bool, style func(d *doc)) mapLayer {
	src := p.oapifSource(collection, filter, level)
	return mapLayer{id: id, name: name, provider: "OAPIF", source: src, visible: visible, write: func(d *doc) {
		d.open("maplayer", "type", "vector", "geometry", "Polygon", "hasScaleBasedVisibilityFlag", "0",
			"minScale", "100000000", "maxScale", "0", "labelsEnabled", "0", "readOnly", "1")
		d.text("id", id)
		d.text("datasource", src)
		d.text("layername", name)
		d.open("srs")
		d.srs(wgs84SRS())
		d.close()
		d.text("provider", "OAPIF", "encoding", "UTF-8")
		style(d)
		d.close()
	}}
}

// tileLayer is a vector-tile layer drawn with styles.
func (p *Project) tileLayer(id, name, layer string, visible bool, styles func(d *doc)) mapLayer {
	src := p.tileSource(layer)
	return mapLayer{id: id, name: name, provider: "vectortile", source: src, visible: visible, write: func(d *doc) {
		d.open("maplayer", "type", "vector-tile", "hasScaleBasedVisibilityFlag", "0", "minScale", "100000000", "maxScale", "0")
		d.text("id", id)
		d.text("datasource", src)
		d.text("layername", name)
		d.open("srs")
		d.srs(mercatorSRS())
		d.close()
		d.text("provider", "vectortile")
		d.open("renderer", "type", "basic")
		d.open("styles")
		styles(d)
		d.close()
		d.close()
		d.open("labeling", "type", "basic")
		d.leaf("styles")
		d.close()
		d.text("blendMode", "0")
		d.text("layerOpacity", "1")
		d.close()
	}}
}

// tileStyle writes one style of a vector-tile renderer: a fill of the
// features of layer that expression selects.
func (d *doc) tileStyle(name, layer, expression string, fill func()) {
	d.open("style", "name", name, "layer", layer, "geometry", "2", "enabled", "1", "expression", expression,
		"min-zoom", "-1", "max-zoom", "-1")
	d.open("symbols")
	fill()
	d.close()
	d.close()
}

// choroplethTileStyles draws ch over a vector-tile layer, the rules of the
// QML in pixel units.
func (d *doc) choroplethTileStyles(ch tiles.Choropleth, layer string) {
	for _, r := range rules(ch) {
		d.tileStyle(r.label, layer, r.filter, func() {
			d.fillSymbol("0", r.colour, r.opacity, outlineWhite, 0.6, "Pixel")
		})
	}
}

// zoneOutlineRules are the lab zones' outlines by kind, as on the web map.
func zoneOutlineRules() []rule {
	var out []rule
	for _, z := range tiles.ZoneColours() {
		out = append(out, rule{key: z.Kind, label: z.Kind, filter: `"kind" = ` + quoteString(z.Kind), colour: z.Colour})
	}
	return out
}

// outlineSymbol is a fill symbol without a brush: an outline.
func (d *doc) outlineSymbol(name, colour string, width float64, unit string, dash bool) {
	d.open("symbol", "type", "fill", "name", name, "alpha", "1", "clip_to_extent", "1", "force_rhr", "0")
	d.open("layer", "class", "SimpleFill", "enabled", "1", "locked", "0", "pass", "0")
	d.open("Option", "type", "Map")
	d.option("color", "0,0,0,0")
	d.option("style", "no")
	d.option("outline_color", rgba(colour, 1))
	d.option("outline_width", ftoa(width))
	d.option("outline_width_unit", unit)
	if dash {
		d.option("outline_style", "dash")
	} else {
		d.option("outline_style", "solid")
	}
	d.option("joinstyle", "round")
	d.close()
	d.close()
	d.close()
}

// zoneOutlineRenderer draws zones as outlines coloured by kind.
func (d *doc) zoneOutlineRenderer() {
	rs := zoneOutlineRules()
	d.open("renderer-v2", "type", "RuleRenderer", "symbollevels", "0", "enableorderby", "0", "forceraster", "0", "referencescale", "-1")
	d.open("rules", "key", "{labmap-zones}")
	for i, r := range rs {
		d.leaf("rule", "key", "{labmap-zone-"+r.key+"}", "symbol", strconv.Itoa(i), "label", r.label, "filter", r.filter)
	}
	d.close()
	d.open("symbols")
	for i, r := range rs {
		d.outlineSymbol(strconv.Itoa(i), r.colour, 0.8, "MM", true)
	}
	d.close()
	d.close()
}

// layers are every layer of the project, as the layer tree lists them
// (groups are built around them in QGS).
func (p *Project) layers() (zoneGroups [][]mapLayer, main []mapLayer, vt []mapLayer) {
	lang := p.Lang
	zonesC, villagesC, districtsC := p.collection("zones"), p.collection("villages"), p.collection("districts")
	zoneStyle := func(level data.Level) func(d *doc) {
		return func(d *doc) {
			d.zoneOutlineRenderer()
			d.text("layerOpacity", "1")
			d.aliases(level, lang)
		}
	}
	choropleth := func(c Collection) func(d *doc) {
		return func(d *doc) { d.layerStyle(c.Classes, c.Level) }
	}
	for _, z := range p.Zones {
		id := layerID(z.ID)
		codes := make([]string, len(z.VillageCodes))
		for i, c := range z.VillageCodes {
			codes[i] = quoteString(c)
		}
		zoneGroups = append(zoneGroups, []mapLayer{
			p.vectorLayer("labmap_zone_"+id+"_outline", data.Text{ID: "Batas zona", EN: "Zone outline"}.In(lang)+" — "+z.Name,
				"zones", `"code" = `+quoteString(z.ID), data.LevelZone, true, zoneStyle(data.LevelZone)),
			p.vectorLayer("labmap_zone_"+id+"_villages", villagesC.Title.In(lang)+" — "+z.Name,
				"villages", `"code" IN (`+strings.Join(codes, ", ")+`)`, data.LevelVillage, true, choropleth(villagesC)),
		})
	}
	main = append(main, p.vectorLayer("labmap_zones", zonesC.Title.In(lang), "zones", "", data.LevelZone, true, zoneStyle(data.LevelZone)))
	for _, c := range p.Collections {
		if c.ID == "zones" {
			continue
		}
		main = append(main, p.vectorLayer("labmap_"+c.ID, c.Title.In(lang)+" — "+p.Indicator.Label.In(lang), c.ID, "", c.Level,
			c.ID == "villages", choropleth(c)))
	}
	tileName := func(t data.Text) string {
		return t.In(lang) + " " + data.Text{ID: "(tile vektor)", EN: "(vector tiles)"}.In(lang)
	}
	vt = []mapLayer{
		p.tileLayer("labmap_tiles_zones", tileName(zonesC.Title), "zones", true, func(d *doc) {
			for _, r := range zoneOutlineRules() {
				d.tileStyle(r.label, "zones", r.filter, func() { d.outlineSymbol("0", r.colour, 3, "Pixel", true) })
			}
		}),
		p.tileLayer("labmap_tiles_districts", tileName(districtsC.Title), "districts", false, func(d *doc) {
			d.choroplethTileStyles(districtsC.Classes, "districts")
		}),
		p.tileLayer("labmap_tiles_villages", tileName(villagesC.Title), "villages", true, func(d *doc) {
			d.choroplethTileStyles(villagesC.Classes, "villages")
		}),
	}
	return zoneGroups, main, vt
}

// layerID keeps letters, digits and underscores of s, for QGIS layer ids.
func layerID(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func checked(b bool) string {
	if b {
		return "Qt::Checked"
	}
	return "Qt::Unchecked"
}

func (d *doc) treeLayer(l mapLayer) {
	d.leaf("layer-tree-layer", "id", l.id, "name", l.name, "providerKey", l.provider, "source", l.source,
		"checked", checked(l.visible), "expanded", "0")
}

// Title is the project's title: the indicator and the region.
func (p *Project) Title() string {
	region := p.Region.Name.In(p.Lang)
	if region == "" {
		region = data.Text{ID: "Wilayah ", EN: "Region "}.In(p.Lang) + p.Region.Code
	}
	t := "labmap — " + p.Indicator.Label.In(p.Lang) + ", " + region
	if p.Round != "" {
		t += " (" + string(p.Round) + ")"
	}
	return t
}

// QGS writes the project as a .qgs file. The project CRS is web mercator
// (EPSG:3857), the CRS of the vector tiles, so QGIS draws them without
// reprojection and the map looks as the web map does; the OGC API layers
// (CRS84) are reprojected on the fly. The view opens on the region.
func (p *Project) QGS() ([]byte, error) {
	zoneGroups, main, vt := p.layers()
	lang := p.Lang
	d := newDoc(qgisDoctype)
	d.open("qgis", "version", Version, "projectname", p.Title())
	d.leaf("homePath", "path", "")
	d.text("title", p.Title())
	d.open("projectCrs")
	d.srs(mercatorSRS())
	d.close()
	// QGIS 3.22 reads projectCrs only when the project says it has one.
	d.open("properties")
	d.open("SpatialRefSys")
	d.text("ProjectionsEnabled", "1", "type", "int")
	d.close()
	d.close()

	d.open("layer-tree-group")
	d.open("layer-tree-group", "name", data.Text{ID: "Zona laboratorium", EN: "Lab zones"}.In(lang), "checked", "Qt::Unchecked", "expanded", "1")
	for i, g := range zoneGroups {
		d.open("layer-tree-group", "name", p.Zones[i].Name, "checked", "Qt::Unchecked", "expanded", "0")
		for _, l := range g {
			d.treeLayer(l)
		}
		d.close()
	}
	d.close()
	for _, l := range main {
		d.treeLayer(l)
	}
	d.open("layer-tree-group", "name", data.Text{ID: "Tile vektor", EN: "Vector tiles"}.In(lang), "checked", "Qt::Unchecked", "expanded", "0")
	for _, l := range vt {
		d.treeLayer(l)
	}
	d.close()
	d.close()

	minx, miny, maxx, maxy := mercator(p.Extent)
	d.open("mapcanvas", "name", "theMapCanvas")
	d.text("units", "meters")
	d.open("extent")
	d.text("xmin", ftoa(minx))
	d.text("ymin", ftoa(miny))
	d.text("xmax", ftoa(maxx))
	d.text("ymax", ftoa(maxy))
	d.close()
	d.text("rotation", "0")
	d.open("destinationsrs")
	d.srs(mercatorSRS())
	d.close()
	d.close()
	d.open("ProjectViewSettings", "UseProjectScales", "0", "rotation", "0")
	d.leaf("Scales")
	d.open("DefaultViewExtent", "xmin", ftoa(minx), "ymin", ftoa(miny), "xmax", ftoa(maxx), "ymax", ftoa(maxy))
	d.srs(mercatorSRS())
	d.close()
	d.close()

	d.open("projectlayers")
	for _, g := range zoneGroups {
		for _, l := range g {
			l.write(d)
		}
	}
	for _, l := range main {
		l.write(d)
	}
	for _, l := range vt {
		l.write(d)
	}
	d.close()
	d.close()
	return d.bytes()
}

// QGZ is the project zipped as QGIS saves .qgz files: one .qgs inside.
func (p *Project) QGZ() ([]byte, error) {
	qgs, err := p.QGS()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("labmap.qgs")
	if err != nil {
		return nil, fmt.Errorf("zipping the project: %w", err)
	}
	if _, err := f.Write(qgs); err != nil {
		return nil, fmt.Errorf("zipping the project: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zipping the project: %w", err)
	}
	return buf.Bytes(), nil
}
