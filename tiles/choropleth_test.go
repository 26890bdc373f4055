package tiles

import (
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"labmap/data"
)

// areasWith builds areas of one level carrying value v[i] for the
// indicator (NaN-free; nil means withheld), and one suppressed area.
func areasWith(ind string, values []any) []data.AreaStats {
	i := data.IndicatorIndex(ind)
	var out []data.AreaStats
	for n, v := range values {
		a := data.AreaStats{Level: data.LevelVillage, Code: fmt.Sprint(n), Values: make([]data.Value, len(data.Indicators))}
		switch x := v.(type) {
		case float64:
			a.Values[i] = data.Value{Number: x, Valid: true}
		case string:
			a.Values[i] = data.Value{Text: x, Valid: true}
		}
		out = append(out, a)
	}
	return append(out, data.AreaStats{Level: data.LevelVillage, Code: "hidden", Suppressed: true})
}

// evalFilter evaluates the legacy MapLibre filter forms the style uses over
// a feature's properties, and fails on any other form: a filter QGIS 3.22's
// converter would not understand must not slip in.
func evalFilter(t *testing.T, f []any, props map[string]any) bool {
	t.Helper()
	switch op := f[0].(string); op {
	case "all":
		for _, sub := range f[1:] {
			if !evalFilter(t, sub.([]any), props) {
				return false
			}
		}
		return true
	case "has", "!has":
		_, ok := props[f[1].(string)]
		return ok == (op == "has")
	case "==":
		return props[f[1].(string)] == f[2]
	case ">=", "<":
		v, ok := props[f[1].(string)].(float64)
		if !ok {
			return false
		}
		if op == ">=" {
			return v >= f[2].(float64)
		}
		return v < f[2].(float64)
	default:
		t.Fatalf("filter operator %q is outside what QGIS 3.22 converts", op)
		return false
	}
}

func TestMapLibreStyleClassifiesAsTheLegend(t *testing.T) {
	for _, tc := range []struct {
		name, indicator string
		values          []any
		wantClasses     int
	}{
		{"rates in five classes", "poverty_rate", []any{0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 1.0, nil}, 5},
		{"counts", "households", []any{10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0}, 5},
		{"one value, one class", "lifted_rate", []any{0.5, 0.5, 0.5}, 1},
		{"categories", "dominant_cause", []any{"debt", "illness", "debt", "no_land", nil}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ind := data.Indicators[data.IndicatorIndex(tc.indicator)]
			areas := areasWith(tc.indicator, tc.values)
			ch := NewChoropleth(ind, areas, "id", 5)
			if len(ch.Legend) != tc.wantClasses {
				t.Fatalf("%d classes, want %d: %+v", len(ch.Legend), tc.wantClasses, ch.Legend)
			}
			style := MapLibreStyle(ch, Layer{Name: "villages", Level: data.LevelVillage}, "http://x/tiles.json")
			type fillLayer struct {
				id, colour string
				filter     []any
			}
			var fills []fillLayer
			var carrier map[string]any
			for _, l := range style["layers"].([]any) {
				m := l.(map[string]any)
				if m["id"] == "areas" {
					carrier = m
					continue
				}
				if m["type"] != "fill" {
					continue
				}
				colour, ok := m["paint"].(map[string]any)["fill-color"].(string)
				if !ok {
					t.Fatalf("layer %s: fill-color is an expression, which QGIS 3.22 skips: %v", m["id"], m["paint"])
				}
				fills = append(fills, fillLayer{m["id"].(string), colour, m["filter"].([]any)})
			}
			if len(fills) != len(ch.Legend)+2 {
				t.Fatalf("%d fill layers for %d classes", len(fills), len(ch.Legend))
			}
			// Every area falls in exactly one layer: suppressed, no value,
			// or the class whose legend bounds hold its value.
			i := data.IndicatorIndex(tc.indicator)
			for _, a := range areas {
				props := map[string]any{"suppressed": a.Suppressed}
				if !a.Suppressed && a.Values[i].Valid {
					if ind.Kind == data.KindCategory {
						props[ind.Key] = a.Values[i].Text
					} else {
						props[ind.Key] = a.Values[i].Number
					}
				}
				var hit []string
				for _, f := range fills {
					if evalFilter(t, f.filter, props) {
						hit = append(hit, f.id+" "+f.colour)
					}
				}
				want := ColourSuppressed
				switch {
				case a.Suppressed:
				case !a.Values[i].Valid:
					want = ColourNoValue
				default:
					want = ""
					for _, e := range ch.Legend {
						v := a.Values[i].Number
						if e.Value == a.Values[i].Text && ind.Kind == data.KindCategory ||
							ind.Kind != data.KindCategory && (e.From == nil || v >= *e.From) && (e.To == nil || v < *e.To) {
							want = e.Colour
						}
					}
				}
				if len(hit) != 1 || !strings.HasSuffix(hit[0], want) {
					t.Errorf("area %s (%v) is drawn by %v, want one layer in %s", a.Code, props, hit, want)
				}
			}
			if carrier == nil || carrier["minzoom"] != 24 || carrier["layout"].(map[string]any)["visibility"] != "none" {
				t.Errorf("the web map's single-expression layer is missing or shown: %v", carrier)
			}
			zone := style["layers"].([]any)[len(style["layers"].([]any))-1].(map[string]any)
			match := zone["paint"].(map[string]any)["line-color"].([]any)
			for j := 2; j < len(match)-1; j += 2 {
				if _, ok := match[j].([]any); !ok {
					t.Errorf("zone match label %v is not an array (QGIS 3.22 turns it into IN ())", match[j])
				}
			}
		})
	}
}

func TestSLDHasTheLegendsRules(t *testing.T) {
	for _, tc := range []struct {
		name, indicator, lang string
		values                []any
	}{
		{"rate in Indonesian", "poverty_rate", "id", []any{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, nil}},
		{"category in English", "dominant_cause", "en", []any{"debt", "illness"}},
		{"one class", "households", "id", []any{7.0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ind := data.Indicators[data.IndicatorIndex(tc.indicator)]
			ch := NewChoropleth(ind, areasWith(tc.indicator, tc.values), tc.lang, 5)
			var doc struct {
				XMLName xml.Name `xml:"StyledLayerDescriptor"`
				Layer   string   `xml:"NamedLayer>Name"`
				Rules   []struct {
					Name  string `xml:"Name"`
					Title string `xml:"Description>Title"`
					Fill  []struct {
						Name  string `xml:"name,attr"`
						Value string `xml:",chardata"`
					} `xml:"PolygonSymbolizer>Fill>SvgParameter"`
					Filter struct {
						Inner string `xml:",innerxml"`
					} `xml:"Filter"`
				} `xml:"NamedLayer>UserStyle>FeatureTypeStyle>Rule"`
			}
			if err := xml.Unmarshal(SLD(ch, "villages"), &doc); err != nil {
				t.Fatalf("SLD is not well-formed XML: %v", err)
			}
			if doc.Layer != "villages" || len(doc.Rules) != len(ch.Legend)+2 {
				t.Fatalf("layer %q, %d rules for %d classes", doc.Layer, len(doc.Rules), len(ch.Legend))
			}
			wantFill := []string{ColourSuppressed, ColourNoValue}
			wantTitle := []string{ch.SuppressedLabel(), ch.NoValueLabel()}
			for _, e := range ch.Legend {
				wantFill = append(wantFill, e.Colour)
				wantTitle = append(wantTitle, e.Label)
			}
			for i, r := range doc.Rules {
				if len(r.Fill) == 0 || r.Fill[0].Value != wantFill[i] || r.Title != wantTitle[i] {
					t.Errorf("rule %d (%s): fill %v title %q, want %s %q", i, r.Name, r.Fill, r.Title, wantFill[i], wantTitle[i])
				}
				if !strings.Contains(r.Filter.Inner, "PropertyName") {
					t.Errorf("rule %d has no filter on a property: %s", i, r.Filter.Inner)
				}
			}
		})
	}
}
