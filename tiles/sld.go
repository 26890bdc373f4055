package tiles

import (
	"bytes"
	"context"
	"encoding/xml"
	"strconv"

	"labmap/data"
)

// sld writes an SLD 1.1 document; element names carry their namespace
// prefix and every text and attribute value is escaped.
type sld struct{ buf bytes.Buffer }

func (w *sld) open(name string)  { w.buf.WriteString("<" + name + ">") }
func (w *sld) close(name string) { w.buf.WriteString("</" + name + ">\n") }

func (w *sld) text(name, value string) {
	w.buf.WriteString("<" + name + ">")
	_ = xml.EscapeText(&w.buf, []byte(value)) // a bytes.Buffer does not fail
	w.buf.WriteString("</" + name + ">")
}

func (w *sld) svgParameter(name, value string) {
	w.buf.WriteString(`<se:SvgParameter name="` + name + `">`)
	_ = xml.EscapeText(&w.buf, []byte(value))
	w.buf.WriteString("</se:SvgParameter>")
}

// comparison writes one OGC filter comparison of a property with a literal.
func (w *sld) comparison(op, property, literal string) {
	w.open("ogc:" + op)
	w.text("ogc:PropertyName", property)
	w.text("ogc:Literal", literal)
	w.close("ogc:" + op)
}

func (w *sld) rule(name, title string, filter func(), fill string, opacity float64) {
	w.open("se:Rule")
	w.text("se:Name", name)
	w.open("se:Description")
	w.text("se:Title", title)
	w.close("se:Description")
	w.open("ogc:Filter")
	filter()
	w.close("ogc:Filter")
	w.open("se:PolygonSymbolizer")
	w.open("se:Fill")
	w.svgParameter("fill", fill)
	w.svgParameter("fill-opacity", strconv.FormatFloat(opacity, 'g', -1, 64))
	w.close("se:Fill")
	w.open("se:Stroke")
	w.svgParameter("stroke", "#ffffff")
	w.svgParameter("stroke-width", "0.5")
	w.svgParameter("stroke-linejoin", "bevel")
	w.close("se:Stroke")
	w.close("se:PolygonSymbolizer")
	w.close("se:Rule")
}

// SLD is the choropleth as an OGC Styled Layer Descriptor 1.1 for the named
// layer, for GeoServer, QGIS and other tools that read SLD: suppressed
// areas, areas without the figure, then the classes, each a rule with a
// filter on the published properties and the web map's colour.
func SLD(ch Choropleth, layerName string) []byte {
	key := ch.Indicator.Key
	w := &sld{}
	w.buf.WriteString(xml.Header)
	w.buf.WriteString(`<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" xmlns:se="http://www.opengis.net/se"` +
		` xmlns:ogc="http://www.opengis.net/ogc" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
		` xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">` + "\n")
	w.open("NamedLayer")
	w.text("se:Name", layerName)
	w.open("UserStyle")
	w.text("se:Name", key)
	w.open("se:Description")
	w.text("se:Title", ch.Indicator.Label.In(ch.Lang))
	w.close("se:Description")
	w.open("se:FeatureTypeStyle")
	w.rule("suppressed", ch.SuppressedLabel(), func() { w.comparison("PropertyIsEqualTo", "suppressed", "true") }, ColourSuppressed, 0.7)
	w.rule("no-value", ch.NoValueLabel(), func() {
		w.open("ogc:And")
		w.comparison("PropertyIsEqualTo", "suppressed", "false")
		w.open("ogc:PropertyIsNull")
		w.text("ogc:PropertyName", key)
		w.close("ogc:PropertyIsNull")
		w.close("ogc:And")
	}, ColourNoValue, 0.8)
	for _, c := range ch.Classes() {
		w.rule("class-"+strconv.Itoa(c.Index), c.Label, func() {
			switch {
			case ch.Indicator.Kind == data.KindCategory:
				w.comparison("PropertyIsEqualTo", key, c.Value)
			case c.From == nil && c.To == nil:
				w.open("ogc:Not")
				w.open("ogc:PropertyIsNull")
				w.text("ogc:PropertyName", key)
				w.close("ogc:PropertyIsNull")
				w.close("ogc:Not")
			case c.From == nil:
				w.comparison("PropertyIsLessThan", key, FormatBound(*c.To))
			case c.To == nil:
				w.comparison("PropertyIsGreaterThanOrEqualTo", key, FormatBound(*c.From))
			default:
				w.open("ogc:And")
				w.comparison("PropertyIsGreaterThanOrEqualTo", key, FormatBound(*c.From))
				w.comparison("PropertyIsLessThan", key, FormatBound(*c.To))
				w.close("ogc:And")
			}
		}, c.Colour, 0.85)
	}
	w.close("se:FeatureTypeStyle")
	w.close("UserStyle")
	w.close("NamedLayer")
	w.close("StyledLayerDescriptor")
	return w.buf.Bytes()
}

// SLDFor classifies q's indicator from store and returns its SLD for the
// layer named after the level's OGC API collection (layerName).
func SLDFor(ctx context.Context, store data.Store, q StyleQuery, layerName string) ([]byte, error) {
	ch, err := Classify(ctx, store, q)
	if err != nil {
		return nil, err
	}
	return SLD(ch, layerName), nil
}
