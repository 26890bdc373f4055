package qgis

import (
	"context"
	"strconv"

	"labmap/data"
	"labmap/tiles"
)

// Version is the QGIS version whose file formats labmap writes; 3.22 LTR
// (Debian 12) reads them, and later versions upgrade them on load.
const Version = "3.22.16-Białowieża"

const qgisDoctype = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"

// rule is one drawn class of a choropleth: the QGIS expression that puts an
// area in it, its legend label and its fill.
type rule struct {
	key, label, filter, colour string
	opacity                    float64
}

// rules are the classes of ch as mutually exclusive QGIS expressions:
// suppressed areas, areas without the figure (withheld or not surveyed),
// then the legend's classes. The same expressions hold for OGC API features
// and vector-tile features, where a missing figure is NULL in both.
func rules(ch tiles.Choropleth) []rule {
	key := quoteField(ch.Indicator.Key)
	out := []rule{
		{"suppressed", ch.SuppressedLabel(), `"suppressed" = true`, tiles.ColourSuppressed, 0.7},
		{"no-value", ch.NoValueLabel(), `coalesce("suppressed", false) = false AND ` + key + ` IS NULL`, tiles.ColourNoValue, 0.8},
	}
	for _, c := range ch.Classes() {
		var filter string
		switch {
		case ch.Indicator.Kind == data.KindCategory:
			filter = key + " = " + quoteString(c.Value)
		case c.From == nil && c.To == nil:
			filter = key + " IS NOT NULL"
		case c.From == nil:
			filter = key + " < " + tiles.FormatBound(*c.To)
		case c.To == nil:
			filter = key + " >= " + tiles.FormatBound(*c.From)
		default:
			filter = key + " >= " + tiles.FormatBound(*c.From) + " AND " + key + " < " + tiles.FormatBound(*c.To)
		}
		out = append(out, rule{"class-" + strconv.Itoa(c.Index), c.Label, filter, c.Colour, 0.85})
	}
	return out
}

// option writes QGIS's <Option> form of a string property.
func (d *doc) option(name, value string) {
	d.leaf("Option", "name", name, "type", "QString", "value", value)
}

// fillSymbol writes a simple fill symbol. Units are millimetres for layers
// drawn from features, pixels for vector tiles (as QGIS's own converter
// does), given by unit.
func (d *doc) fillSymbol(name, fill string, opacity float64, outline string, outlineWidth float64, unit string) {
	d.open("symbol", "type", "fill", "name", name, "alpha", strconv.FormatFloat(opacity, 'g', -1, 64),
		"clip_to_extent", "1", "force_rhr", "0")
	d.open("layer", "class", "SimpleFill", "enabled", "1", "locked", "0", "pass", "0")
	d.open("Option", "type", "Map")
	d.option("color", rgba(fill, 1))
	d.option("style", "solid")
	d.option("outline_color", outline)
	d.option("outline_style", "solid")
	d.option("outline_width", strconv.FormatFloat(outlineWidth, 'g', -1, 64))
	d.option("outline_width_unit", unit)
	d.option("joinstyle", "bevel")
	d.close()
	d.close()
	d.close()
}

// lineSymbol writes a simple line symbol, dashed when dash is set.
func (d *doc) lineSymbol(name, colour string, width float64, unit string, dash bool) {
	d.open("symbol", "type", "line", "name", name, "alpha", "1", "clip_to_extent", "1", "force_rhr", "0")
	d.open("layer", "class", "SimpleLine", "enabled", "1", "locked", "0", "pass", "0")
	d.open("Option", "type", "Map")
	d.option("line_color", rgba(colour, 1))
	d.option("line_width", strconv.FormatFloat(width, 'g', -1, 64))
	d.option("line_width_unit", unit)
	d.option("capstyle", "flat")
	d.option("joinstyle", "round")
	if dash {
		d.option("line_style", "dash")
		d.option("use_custom_dash", "1")
		d.option("customdash", "4;2")
		d.option("customdash_unit", unit)
	} else {
		d.option("line_style", "solid")
	}
	d.close()
	d.close()
	d.close()
}

// outlineWhite is the thin outline every filled area gets, as on the web map.
const outlineWhite = "255,255,255,204"

// ruleRenderer writes a rule-based renderer drawing ch.
func (d *doc) ruleRenderer(ch tiles.Choropleth) {
	rs := rules(ch)
	d.open("renderer-v2", "type", "RuleRenderer", "symbollevels", "0", "enableorderby", "0", "forceraster", "0", "referencescale", "-1")
	d.open("rules", "key", "{labmap-root}")
	for i, r := range rs {
		d.leaf("rule", "key", "{labmap-"+r.key+"}", "symbol", strconv.Itoa(i), "label", r.label, "filter", r.filter)
	}
	d.close()
	d.open("symbols")
	for i, r := range rs {
		d.fillSymbol(strconv.Itoa(i), r.colour, r.opacity, outlineWhite, 0.2, "MM")
	}
	d.close()
	d.close()
}

// FieldAliases names the fields of level's features in lang: indicators by
// their registry labels, identity fields by their queryable descriptions.
func FieldAliases(level data.Level, lang string) map[string]string {
	out := map[string]string{
		"round": data.Text{ID: "Putaran survei", EN: "Survey round"}.In(lang),
		"res":   data.Text{ID: "Resolusi H3", EN: "H3 resolution"}.In(lang),
		"zones": data.Text{ID: "Zona laboratorium kemiskinan", EN: "Poverty lab zones"}.In(lang),
	}
	for _, q := range data.Queryables(level) {
		out[q.Name] = q.Description.In(lang)
	}
	for _, ind := range data.Indicators {
		out[ind.Key] = ind.Label.In(lang)
	}
	return out
}

// aliases writes the <aliases> of level's fields.
func (d *doc) aliases(level data.Level, lang string) {
	names := FieldAliases(level, lang)
	d.open("aliases")
	for i, f := range data.PropertyNames(level) {
		d.leaf("alias", "field", f, "index", strconv.Itoa(i), "name", names[f])
	}
	d.close()
}

// layerStyle writes what a QML file and a project's vector map layer share:
// the renderer, the opacity and the aliases.
func (d *doc) layerStyle(ch tiles.Choropleth, level data.Level) {
	d.ruleRenderer(ch)
	d.text("blendMode", "0")
	d.text("featureBlendMode", "0")
	d.text("layerOpacity", "1")
	d.aliases(level, ch.Lang)
	d.text("previewExpression", `"name"`)
	d.text("mapTip", "[% \"name\" %] ([% \"code\" %]): [% "+quoteField(ch.Indicator.Key)+" %]")
	d.text("layerGeometryType", "2")
}

// QML is the QGIS layer style (a .qml file) drawing ch over features of
// level as served by labmap's OGC API or written to a GeoPackage: the same
// classes and colours as the web map, labels in ch.Lang, and field aliases.
func QML(ch tiles.Choropleth, level data.Level) ([]byte, error) {
	d := newDoc(qgisDoctype)
	d.open("qgis", "version", Version, "styleCategories", "Symbology|Labeling|Fields|Rendering|MapTips|AttributeTable",
		"hasScaleBasedVisibilityFlag", "0", "minScale", "100000000", "maxScale", "0", "labelsEnabled", "0")
	d.layerStyle(ch, level)
	d.close()
	return d.bytes()
}

// QMLFor classifies q's indicator from store and returns its QML: what a
// GeoPackage's layer_styles table or a .qml download holds.
func QMLFor(ctx context.Context, store data.Store, q tiles.StyleQuery) ([]byte, error) {
	ch, err := tiles.Classify(ctx, store, q)
	if err != nil {
		return nil, err
	}
	return QML(ch, q.Level)
}
