package tiles

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"labmap/data"
)

// Colour-blind-safe palettes (ColorBrewer sequential schemes and the
// Okabe-Ito qualitative set): dark means "look here" — bad news for
// lower-is-better indicators, good news for higher-is-better ones.
var (
	paletteBad     = []string{"#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"} // YlOrRd
	paletteGood    = []string{"#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"} // YlGnBu
	paletteNeutral = []string{"#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"} // PuBu
	paletteCause   = []string{"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"}
)

// Colours of areas outside the classes, in every style labmap writes.
const (
	// ColourSuppressed fills areas hidden for having fewer than k households.
	ColourSuppressed = "#bdbdbd"
	// ColourNoValue fills areas without the figure: withheld or not surveyed.
	ColourNoValue = "#eeeeee"
)

// LegendEntry is one class of a choropleth, ready for a legend.
type LegendEntry struct {
	Colour string   `json:"color"`
	From   *float64 `json:"from,omitempty"`
	To     *float64 `json:"to,omitempty"`
	Value  string   `json:"value,omitempty"` // a category's key
	Label  string   `json:"label"`
}

// Breaks splits values into up to five classes at quantiles; the result is
// the lower bound of every class but the first, without repeats.
func Breaks(values []float64) []float64 {
	if len(values) == 0 {
		return nil
	}
	v := slices.Clone(values)
	sort.Float64s(v)
	var out []float64
	for i := 1; i < 5; i++ {
		b := v[(len(v)*i)/5]
		if b > v[0] && (len(out) == 0 || b > out[len(out)-1]) {
			out = append(out, b)
		}
	}
	return out
}

// Legend builds the classes of an indicator from its breaks (numbers) or
// from the categories present (dominant cause), labelled in lang.
func Legend(ind data.Indicator, breaks []float64, categories []string, lang string) []LegendEntry {
	if ind.Kind == data.KindCategory {
		var out []LegendEntry
		for i, c := range categories {
			label := c
			if t, ok := data.Causes[c]; ok {
				label = t.In(lang)
			}
			out = append(out, LegendEntry{Colour: paletteCause[i%len(paletteCause)], Value: c, Label: label})
		}
		return out
	}
	pal := paletteNeutral
	switch ind.Better {
	case data.Lower:
		pal = paletteBad
	case data.Higher:
		pal = paletteGood
	}
	n := len(breaks) + 1
	out := make([]LegendEntry, n)
	for i := range out {
		// Spread fewer classes over the whole palette.
		colour := pal[i*(len(pal)-1)/max(n-1, 1)]
		e := LegendEntry{Colour: colour}
		if i > 0 {
			e.From = &breaks[i-1]
		}
		if i < n-1 {
			e.To = &breaks[i]
		}
		switch {
		case e.From == nil && e.To == nil:
			e.Label = data.Text{ID: "semua", EN: "all"}.In(lang)
		case e.From == nil:
			e.Label = "< " + FormatValue(*e.To, ind.Unit, lang)
		case e.To == nil:
			e.Label = "≥ " + FormatValue(*e.From, ind.Unit, lang)
		default:
			e.Label = FormatValue(*e.From, ind.Unit, lang) + " – " + FormatValue(*e.To, ind.Unit, lang)
		}
		out[i] = e
	}
	return out
}

// FormatValue formats a figure the way readers of lang expect: a rate as a
// percentage with one decimal, comma decimals in Indonesian (12,5%).
func FormatValue(v float64, unit data.Unit, lang string) string {
	var s string
	if unit == data.UnitRatio {
		s = strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64) + "%"
	} else {
		s = strconv.FormatFloat(v, 'f', -1, 64)
	}
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// MapLibreStyle is a MapLibre GL style (version 8) that draws a choropleth
// over layer, with village, district and zone outlines on top. Suppressed
// areas are grey, areas without the figure pale. The legend sits in the
// style's metadata, so any client can draw it.
//
// Each class is its own fill layer with a filter of plain comparisons
// ("all", ">=", "<", "==", "has", "!has") and a literal colour, and match
// labels are arrays: QGIS 3.22's converter skips "step" and "case" and
// mangles scalar match labels, and it renders this form with no warning.
// The layer "areas" carries the whole classification as one fill-color for
// clients that colour a layer of their own (the web map reads it); it is
// hidden (visibility none, minzoom 24), and written as a legacy interval or
// categorical function, which MapLibre evaluates per feature and QGIS's
// converter reads without complaint.
func MapLibreStyle(ch Choropleth, layer Layer, tileJSONURL string) map[string]any {
	ind, lang := ch.Indicator, ch.Lang
	sourceLayer := layer.Name
	notSuppressed := []any{"==", "suppressed", false}
	layers := []any{
		map[string]any{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f4f1ea"}},
		map[string]any{
			"id": "areas-suppressed", "type": "fill", "source": "labmap", "source-layer": sourceLayer,
			"filter": []any{"==", "suppressed", true},
			"paint":  map[string]any{"fill-color": ColourSuppressed, "fill-opacity": 0.7},
		},
		map[string]any{
			"id": "areas-no-value", "type": "fill", "source": "labmap", "source-layer": sourceLayer,
			"filter": []any{"all", notSuppressed, []any{"!has", ind.Key}},
			"paint":  map[string]any{"fill-color": ColourNoValue, "fill-opacity": 0.8},
		},
	}
	for _, c := range ch.Classes() {
		filter := []any{"all", notSuppressed}
		switch {
		case ind.Kind == data.KindCategory:
			filter = append(filter, []any{"==", ind.Key, c.Value})
		case c.From == nil && c.To == nil:
			filter = append(filter, []any{"has", ind.Key})
		default:
			if c.From != nil {
				filter = append(filter, []any{">=", ind.Key, *c.From})
			}
			if c.To != nil {
				filter = append(filter, []any{"<", ind.Key, *c.To})
			}
		}
		layers = append(layers, map[string]any{
			"id": "areas-class-" + strconv.Itoa(c.Index), "type": "fill", "source": "labmap", "source-layer": sourceLayer,
			"filter": filter,
			"paint":  map[string]any{"fill-color": c.Colour, "fill-opacity": 0.85},
		})
	}
	layers = append(layers,
		map[string]any{
			"id": "areas", "type": "fill", "source": "labmap", "source-layer": sourceLayer,
			"minzoom": 24, "layout": map[string]any{"visibility": "none"},
			"filter": []any{"all", notSuppressed, []any{"has", ind.Key}},
			"paint":  map[string]any{"fill-color": fillFunction(ind, ch.Legend), "fill-opacity": 0.85},
		},
		map[string]any{
			"id": "village-outlines", "type": "line", "source": "labmap", "source-layer": "villages",
			"paint": map[string]any{"line-color": "#ffffff", "line-width": 0.6, "line-opacity": 0.8},
		},
		map[string]any{
			"id": "district-outlines", "type": "line", "source": "labmap", "source-layer": "districts",
			"paint": map[string]any{"line-color": "#4d4d4d", "line-width": 1.4},
		},
		map[string]any{
			"id": "zone-outlines", "type": "line", "source": "labmap", "source-layer": "zones",
			"paint": map[string]any{
				"line-color": ZoneColourMatch(),
				"line-width": 3, "line-dasharray": []any{2, 1},
			},
		},
	)
	return map[string]any{
		"version": 8,
		"name":    "labmap — " + ind.Label.In(lang),
		"metadata": map[string]any{
			"labmap:indicator":  ind.Key,
			"labmap:layer":      layer.Name,
			"labmap:unit":       ind.Unit,
			"labmap:legend":     ch.Legend,
			"labmap:suppressed": map[string]any{"color": ColourSuppressed, "label": ch.SuppressedLabel()},
			"labmap:no_value":   map[string]any{"color": ColourNoValue, "label": ch.NoValueLabel()},
		},
		"sources": map[string]any{
			"labmap": map[string]any{"type": "vector", "url": tileJSONURL, "promoteId": "code"},
		},
		"layers": layers,
	}
}

// ZoneColour is the outline colour of the lab zones of one kind.
type ZoneColour struct{ Kind, Colour string }

// ZoneColours are the outline colours of the lab zones by kind.
func ZoneColours() []ZoneColour {
	return []ZoneColour{{"urban", "#7b3294"}, {"coastal", "#0571b0"}, {"forest", "#1b7837"}}
}

// ZoneColourMatch is the zone outline colour as a match expression with
// array labels (the form QGIS 3.22 converts).
func ZoneColourMatch() []any {
	expr := []any{"match", []any{"get", "kind"}}
	for _, z := range ZoneColours() {
		expr = append(expr, []any{z.Kind}, z.Colour)
	}
	return append(expr, "#000000")
}

// fillFunction is the classification as one legacy style function: an
// interval function over the breaks, or a categorical one over the causes.
func fillFunction(ind data.Indicator, legend []LegendEntry) any {
	if len(legend) == 0 {
		return ColourNoValue
	}
	if ind.Kind == data.KindCategory {
		stops := make([]any, len(legend))
		for i, e := range legend {
			stops[i] = []any{e.Value, e.Colour}
		}
		return map[string]any{"type": "categorical", "property": ind.Key, "stops": stops, "default": ColourNoValue}
	}
	if len(legend) == 1 {
		return legend[0].Colour
	}
	// Values below the first stop take its colour, so any start below the
	// first break serves; published figures are never negative.
	stops := []any{[]any{min(0, *legend[1].From-1), legend[0].Colour}}
	for _, e := range legend[1:] {
		stops = append(stops, []any{*e.From, e.Colour})
	}
	return map[string]any{"type": "interval", "property": ind.Key, "stops": stops}
}
