package qgis

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
	"labmap/tiles"
)

var demoStore = sync.OnceValues(func() (*memory.Store, error) {
	ds, err := demo.Generate(demo.Options{Households: 3000, Seed: 4})
	if err != nil {
		return nil, err
	}
	return memory.New(ds, memory.Options{})
})

func store(t *testing.T) *memory.Store {
	t.Helper()
	s, err := demoStore()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// qml is the part of a QML file the tests read back.
type qml struct {
	XMLName xml.Name `xml:"qgis"`
	Rules   []struct {
		Symbol string `xml:"symbol,attr"`
		Label  string `xml:"label,attr"`
		Filter string `xml:"filter,attr"`
	} `xml:"renderer-v2>rules>rule"`
	Symbols []struct {
		Name    string `xml:"name,attr"`
		Options []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"layer>Option>Option"`
	} `xml:"renderer-v2>symbols>symbol"`
	Aliases []struct {
		Field string `xml:"field,attr"`
		Name  string `xml:"name,attr"`
	} `xml:"aliases>alias"`
}

func (q *qml) fill(symbol string) string {
	for _, s := range q.Symbols {
		if s.Name == symbol {
			for _, o := range s.Options {
				if o.Name == "color" {
					return o.Value
				}
			}
		}
	}
	return ""
}

func TestQMLMatchesTheMapLibreLegend(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		indicator, lang string
		level           data.Level
		res             int
	}{
		{"poverty_rate", "id", data.LevelVillage, 0},
		{"poverty_rate", "en", data.LevelDistrict, 0},
		{"dominant_cause", "id", data.LevelVillage, 0},
		{"households", "id", data.LevelHexagon, 9},
		{"chronic_ill_treated_rate", "en", data.LevelZone, 0},
	} {
		t.Run(tc.indicator+"/"+string(tc.level)+"/"+tc.lang, func(t *testing.T) {
			q := tiles.StyleQuery{Indicator: tc.indicator, Level: tc.level, Res: tc.res, Lang: tc.lang}
			b, err := QMLFor(ctx, store(t), q)
			if err != nil {
				t.Fatal(err)
			}
			var doc qml
			if err := xml.Unmarshal(b, &doc); err != nil {
				t.Fatalf("QML is not well-formed: %v", err)
			}
			ch, err := tiles.Classify(ctx, store(t), q)
			if err != nil {
				t.Fatal(err)
			}
			// The MapLibre style's legend is the reference: same classes,
			// same colours, same labels, after suppressed and no data.
			legend := tiles.MapLibreStyle(ch, tiles.Layer{Name: "villages"}, "")["metadata"].(map[string]any)["labmap:legend"].([]tiles.LegendEntry)
			if len(doc.Rules) != len(legend)+2 {
				t.Fatalf("%d rules for %d legend classes", len(doc.Rules), len(legend))
			}
			if doc.fill(doc.Rules[0].Symbol) != rgba(tiles.ColourSuppressed, 1) || !strings.Contains(doc.Rules[0].Filter, `"suppressed" = true`) {
				t.Errorf("first rule is not the grey suppressed one: %+v", doc.Rules[0])
			}
			if doc.fill(doc.Rules[1].Symbol) != rgba(tiles.ColourNoValue, 1) || !strings.Contains(doc.Rules[1].Filter, "IS NULL") {
				t.Errorf("second rule is not the no-data one: %+v", doc.Rules[1])
			}
			for i, e := range legend {
				r := doc.Rules[i+2]
				if got := doc.fill(r.Symbol); got != rgba(e.Colour, 1) || r.Label != e.Label {
					t.Errorf("class %d: %s %q, want %s %q", i, got, r.Label, rgba(e.Colour, 1), e.Label)
				}
				if !strings.Contains(r.Filter, `"`+tc.indicator+`"`) {
					t.Errorf("class %d filter %q does not test the indicator", i, r.Filter)
				}
			}
			aliases := map[string]string{}
			for _, a := range doc.Aliases {
				aliases[a.Field] = a.Name
			}
			for _, ind := range data.Indicators {
				if aliases[ind.Key] != ind.Label.In(tc.lang) {
					t.Errorf("alias of %s is %q, want %q", ind.Key, aliases[ind.Key], ind.Label.In(tc.lang))
				}
			}
		})
	}
	if _, err := QMLFor(ctx, store(t), tiles.StyleQuery{Indicator: "wealth", Level: data.LevelVillage}); err == nil {
		t.Error("an unknown indicator gave a QML")
	}
}

// qgs is the part of a project file the tests read back.
type qgs struct {
	XMLName xml.Name `xml:"qgis"`
	CRS     string   `xml:"projectCrs>spatialrefsys>authid"`
	Tree    treeGroup
	Layers  []struct {
		Type       string `xml:"type,attr"`
		ID         string `xml:"id"`
		Datasource string `xml:"datasource"`
		Provider   string `xml:"provider"`
		Rules      []struct {
			Filter string `xml:"filter,attr"`
		} `xml:"renderer-v2>rules>rule"`
		TileStyles []struct {
			Layer string `xml:"layer,attr"`
		} `xml:"renderer>styles>style"`
	} `xml:"projectlayers>maplayer"`
}

type treeGroup struct {
	XMLName xml.Name    `xml:"layer-tree-group"`
	Name    string      `xml:"name,attr"`
	Groups  []treeGroup `xml:"layer-tree-group"`
	Layers  []struct {
		ID      string `xml:"id,attr"`
		Source  string `xml:"source,attr"`
		Checked string `xml:"checked,attr"`
	} `xml:"layer-tree-layer"`
}

func (g treeGroup) ids() []string {
	var out []string
	for _, l := range g.Layers {
		out = append(out, l.ID)
	}
	for _, sub := range g.Groups {
		out = append(out, sub.ids()...)
	}
	return out
}

func TestProjectXML(t *testing.T) {
	ctx := context.Background()
	s := store(t)
	zones, err := s.Zones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		q      ProjectQuery
		zipped bool
	}{
		{"latest round", ProjectQuery{ServerURL: "http://maps.example:8080/", Indicator: "poverty_rate"}, false},
		{"baseline in English, zipped", ProjectQuery{ServerURL: "https://gis.example", Indicator: "lifted_rate", Round: "2017-12-01", Lang: "en"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewProject(ctx, s, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			b, err := p.QGS()
			if err != nil {
				t.Fatal(err)
			}
			if tc.zipped {
				z, err := p.QGZ()
				if err != nil {
					t.Fatal(err)
				}
				zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
				if err != nil || len(zr.File) != 1 || !strings.HasSuffix(zr.File[0].Name, ".qgs") {
					t.Fatalf("qgz: %v %v", err, zr)
				}
				f, _ := zr.File[0].Open()
				inner, _ := io.ReadAll(f)
				if !bytes.Equal(inner, b) {
					t.Fatal("the .qgz does not hold the .qgs")
				}
			}
			var doc qgs
			if err := xml.Unmarshal(b, &doc); err != nil {
				t.Fatalf("project is not well-formed: %v", err)
			}
			if doc.CRS != "EPSG:3857" {
				t.Errorf("project CRS %q", doc.CRS)
			}
			// Every layer in the tree is defined, and every definition is in the tree.
			tree := doc.Tree.ids()
			var defined []string
			server := strings.TrimSuffix(tc.q.ServerURL, "/")
			collections := map[string]bool{}
			tileLayers := map[string]bool{}
			for _, l := range doc.Layers {
				defined = append(defined, l.ID)
				if !strings.Contains(l.Datasource, server) && !strings.Contains(l.Datasource, url.QueryEscape(server)) {
					t.Errorf("layer %s reads from %q, not the server %s", l.ID, l.Datasource, server)
				}
				if tc.q.Round != "" && !strings.Contains(l.Datasource, string(tc.q.Round)) {
					t.Errorf("layer %s does not ask for round %s: %s", l.ID, tc.q.Round, l.Datasource)
				}
				switch l.Provider {
				case "OAPIF":
					coll := strings.Split(strings.Split(l.Datasource, "typename='")[1], "'")[0]
					if !strings.Contains(l.Datasource, "filter=") {
						collections[coll] = true
					}
					// Hexagon layers ask for the largest first, so that the
					// first page QGIS 3.22 types its fields from carries figures.
					u, err := url.Parse(strings.Split(strings.Split(l.Datasource, "url='")[1], "'")[0])
					if err != nil {
						t.Fatalf("layer %s: url: %v", l.ID, err)
					}
					wantOrder := ""
					if strings.HasPrefix(coll, "hexagons_") {
						wantOrder = "-households"
					}
					if got := u.Query()["sortby"]; strings.Join(got, ",") != wantOrder {
						t.Errorf("layer %s (%s): sortby %q, want %q", l.ID, coll, got, wantOrder)
					}
					if got := u.Query().Get("round"); got != string(tc.q.Round) {
						t.Errorf("layer %s: round %q in its URL, want %q", l.ID, got, tc.q.Round)
					}
					if len(l.Rules) == 0 {
						t.Errorf("layer %s has no rules", l.ID)
					}
				case "vectortile":
					for _, st := range l.TileStyles {
						tileLayers[st.Layer] = true
					}
				default:
					t.Errorf("layer %s: provider %q", l.ID, l.Provider)
				}
			}
			slices.Sort(tree)
			slices.Sort(defined)
			if !slices.Equal(tree, defined) {
				t.Errorf("layer tree %v\ndefinitions %v", tree, defined)
			}
			for _, c := range []string{"zones", "districts", "villages", "hexagons_r6", "hexagons_r7", "hexagons_r8", "hexagons_r9", "hexagons_r10"} {
				if !collections[c] {
					t.Errorf("no OGC API layer for %s", c)
				}
			}
			for _, l := range []string{"villages", "districts", "zones"} {
				if !tileLayers[l] {
					t.Errorf("no vector-tile layer styling %s", l)
				}
			}
			// A group per zone, its villages layer filtered to exactly its villages.
			var zoneGroup *treeGroup
			for i := range doc.Tree.Groups {
				if len(doc.Tree.Groups[i].Groups) > 0 {
					zoneGroup = &doc.Tree.Groups[i]
				}
			}
			if zoneGroup == nil || len(zoneGroup.Groups) != len(zones) {
				t.Fatalf("zone groups %+v for %d zones", zoneGroup, len(zones))
			}
			for i, z := range zones {
				g := zoneGroup.Groups[i]
				if g.Name != z.Name {
					t.Errorf("group %q for zone %q", g.Name, z.Name)
				}
				var src string
				for _, l := range g.Layers {
					if strings.Contains(l.Source, "typename='villages'") {
						src = l.Source
					}
				}
				for _, code := range z.VillageCodes {
					if !strings.Contains(src, `\'`+code+`\'`) {
						t.Errorf("zone %s: villages layer %q lacks %s", z.ID, src, code)
					}
				}
				if n := strings.Count(src, `\'`) / 2; n != len(z.VillageCodes) {
					t.Errorf("zone %s: %d codes in the filter, want %d", z.ID, n, len(z.VillageCodes))
				}
			}
		})
	}
	if _, err := NewProject(ctx, s, ProjectQuery{ServerURL: "http://x", Indicator: "wealth"}); err == nil {
		t.Error("an unknown indicator gave a project")
	}
}

func TestQuoteURIValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"villages", `'villages'`},
		{`"code" = 'a'`, `'"code" = \'a\''`},
		{`a\b`, `'a\\b'`},
	} {
		if got := quoteURIValue(tc.in); got != tc.want {
			t.Errorf("quoteURIValue(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
