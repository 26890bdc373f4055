package tiles

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"labmap/data"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

// valueKinds reads an encoded tile and reports, per layer and attribute key,
// which MVT value fields carry it ("string", "double", "sint", ...). orb's
// decoder turns every number into a float64, so only the wire shows whether
// a count went out as an integer.
func valueKinds(b []byte) (map[string]map[string]map[string]bool, error) {
	out := map[string]map[string]map[string]bool{}
	tile, err := pbFields(b)
	if err != nil {
		return nil, fmt.Errorf("tile: %w", err)
	}
	for _, lf := range tile {
		if lf.num != 3 {
			continue
		}
		layer, err := pbFields(lf.bytes)
		if err != nil {
			return nil, fmt.Errorf("layer: %w", err)
		}
		var name string
		var keys, kinds []string
		var features [][]byte
		for _, f := range layer {
			switch f.num {
			case 1:
				name = string(f.bytes)
			case 2:
				features = append(features, f.bytes)
			case 3:
				keys = append(keys, string(f.bytes))
			case 4:
				v, err := pbFields(f.bytes)
				if err != nil || len(v) != 1 {
					return nil, fmt.Errorf("layer %s value %d: %d fields, %v", name, len(kinds), len(v), err)
				}
				kinds = append(kinds, [...]string{"?", "string", "float", "double", "int", "uint", "sint", "bool"}[min(v[0].num, 7)])
			}
		}
		used := map[string]map[string]bool{}
		for i, fb := range features {
			ff, err := pbFields(fb)
			if err != nil {
				return nil, fmt.Errorf("layer %s feature %d: %w", name, i, err)
			}
			for _, f := range ff {
				if f.num != 2 {
					continue
				}
				tags, err := packedVarints(f.bytes)
				if err != nil || len(tags)%2 != 0 {
					return nil, fmt.Errorf("layer %s feature %d tags: %v", name, i, err)
				}
				for j := 0; j < len(tags); j += 2 {
					if int(tags[j]) >= len(keys) || int(tags[j+1]) >= len(kinds) {
						return nil, fmt.Errorf("layer %s feature %d: tag out of range", name, i)
					}
					k := keys[tags[j]]
					if used[k] == nil {
						used[k] = map[string]bool{}
					}
					used[k][kinds[tags[j+1]]] = true
				}
			}
		}
		out[name] = used
	}
	return out, nil
}

type pbField struct {
	num   int
	bytes []byte // length-delimited payload; nil for scalars
}

// pbFields splits one protobuf message into its top-level fields.
func pbFields(b []byte) ([]pbField, error) {
	var out []pbField
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("bad field key")
		}
		b = b[n:]
		f := pbField{num: int(key >> 3)}
		switch key & 7 {
		case 0:
			_, n = binary.Uvarint(b)
			if n <= 0 {
				return nil, fmt.Errorf("bad varint in field %d", f.num)
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return nil, fmt.Errorf("short fixed64 in field %d", f.num)
			}
			b = b[8:]
		case 5:
			if len(b) < 4 {
				return nil, fmt.Errorf("short fixed32 in field %d", f.num)
			}
			b = b[4:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, fmt.Errorf("bad length in field %d", f.num)
			}
			f.bytes = b[n : n+int(l)]
			b = b[n+int(l):]
		default:
			return nil, fmt.Errorf("wire type %d in field %d", key&7, f.num)
		}
		out = append(out, f)
	}
	return out, nil
}

func packedVarints(b []byte) ([]uint64, error) {
	var out []uint64
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("bad packed varint")
		}
		out = append(out, v)
		b = b[n:]
	}
	return out, nil
}

// wantKind is the MVT value type an attribute must have: integers for
// counts (so GDAL and QGIS type them Integer), doubles for rates.
func wantKind(key string) string {
	switch key {
	case "code", "name", "district_code", "kind":
		return "string"
	case "suppressed":
		return "bool"
	case "res", "households":
		return "sint"
	}
	i := data.IndicatorIndex(key)
	if i < 0 {
		return "unknown attribute"
	}
	switch data.Indicators[i].Kind {
	case data.KindCount:
		return "sint"
	case data.KindCategory:
		return "string"
	}
	return "double"
}

func TestAttributeValueTypes(t *testing.T) {
	s := store(t)
	kert := villageByName(t, s, "33.26.14.2009")
	center, _ := planar.CentroidArea(kert.Geometry)
	for _, tc := range []struct {
		name  string
		z     int
		props []string
	}{
		{"all indicators z11", 11, nil},
		{"all indicators z8", 8, nil},
		{"households asked as an indicator", 12, []string{"households", "poverty_rate", "poor"}},
		{"rates only", 12, []string{"poverty_rate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tile := maptile.At(center, maptile.Zoom(tc.z))
			b := mustRender(t, s, Request{Layers: Layers, Z: tc.z, X: int(tile.X), Y: int(tile.Y), Properties: tc.props})
			got, err := valueKinds(b)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, l := range Layers {
				attrs := got[l.Name]
				if len(attrs) == 0 {
					t.Fatalf("layer %s: no attributes in tile %d/%d/%d", l.Name, tc.z, tile.X, tile.Y)
				}
				for key, kinds := range attrs {
					want := wantKind(key)
					if len(kinds) != 1 || !kinds[want] {
						t.Errorf("layer %s attribute %s: encoded as %v, want only %s", l.Name, key, keysOf(kinds), want)
					}
					seen[want] = true
				}
			}
			if !seen["sint"] || (tc.props == nil && !seen["double"]) {
				t.Errorf("tile carries no integer or no double attribute: %v", seen)
			}
		})
	}
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestTileJSONFieldTypes: TileJSON knows only Number, String and Boolean;
// counts and rates are both Number, categories String.
func TestTileJSONFieldTypes(t *testing.T) {
	for _, props := range [][]string{nil, {"poor", "poverty_rate"}} {
		tj := NewTileJSON(Layers, "http://x/{z}/{x}/{y}.mvt", orb.Bound{}, props, "en", Credit{})
		for _, vl := range tj.VectorLayers {
			for key, desc := range vl.Fields {
				want := map[string]string{"string": "(String)", "bool": "(Boolean)", "sint": "(Number)", "double": "(Number)"}[wantKind(key)]
				if want == "" || !strings.HasSuffix(desc, want) {
					t.Errorf("props %v layer %s field %s: %q, want a %s description", props, vl.ID, key, desc, want)
				}
			}
			if _, ok := vl.Fields["households"]; !ok {
				t.Errorf("props %v layer %s: households not described", props, vl.ID)
			}
		}
	}
}

// TestCountsRoundTrip: a count read back from the tile equals the store's
// figure exactly (no float detour that could print 12.000000001).
func TestCountsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := store(t)
	kert := villageByName(t, s, "33.26.14.2009")
	center, _ := planar.CentroidArea(kert.Geometry)
	tile := maptile.At(center, 12)
	layers := decode(t, mustRender(t, s, Request{Layers: []Layer{Layers[1]}, Z: 12, X: int(tile.X), Y: int(tile.Y)}))
	stats, err := s.Stats(ctx, data.StatsQuery{Level: data.LevelVillage})
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]data.AreaStats{}
	for _, a := range stats {
		byCode[a.Code] = a
	}
	checked := 0
	for _, f := range layers["villages"].Features {
		a := byCode[f.Properties["code"].(string)]
		if a.Suppressed {
			continue
		}
		for i, ind := range data.Indicators {
			if ind.Kind != data.KindCount || !a.Values[i].Valid {
				continue
			}
			got, _ := f.Properties[ind.Key].(float64)
			if got != a.Values[i].Number || got != math.Trunc(got) {
				t.Errorf("%s %s: tile %v, store %v", a.Code, ind.Key, f.Properties[ind.Key], a.Values[i].Number)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no count checked")
	}
}
