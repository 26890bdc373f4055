package data

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func square(x0, y0, side float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x0 + side, y0}, {x0 + side, y0 + side}, {x0, y0 + side}, {x0, y0}}}
}

func TestWriteHouseholds(t *testing.T) {
	hs := []Household{
		{ID: "H1", Round: "2023-03-01", Loc: orb.Point{109.6123456, -6.9}, Members: 4, Status: Poor,
			VillageCode: "33.26.14.2009", HeadName: "Siti, binti \"Ali\"", Occupation: "fisher", WelfareDecile: 2,
			Causes: []string{"low_income", "debt"}, HouseUninhabitable: FlagYes, HouseRepaired: FlagNo,
			Latrine: LatrineShared, WaterSource: "river", Electricity: FlagYes, ChronicIll: 1, ChronicIllTreated: 1,
			HealthKm: 2.25, Programs: []string{"pkh"}},
		{ID: "H2", Round: "2023-03-01", Loc: orb.Point{109.5, -7}, Members: 1, Status: NonPoor, HealthKm: -1},
	}
	want := "household_id,round,lon,lat,village_code,head_name,members,poverty_status,occupation,welfare_decile,causes," +
		"house_uninhabitable,house_repaired,latrine,water_source,electricity,chronic_ill,chronic_ill_treated,disabled," +
		"disabled_assisted,children_school_age,children_out_of_school,health_km,programs\n" +
		"H1,2023-03-01,109.612346,-6.900000,33.26.14.2009,\"Siti, binti \"\"Ali\"\"\",4,poor,fisher,2,low_income;debt," +
		"true,false,shared,river,true,1,1,0,0,0,0,2.2,pkh\n" +
		"H2,2023-03-01,109.500000,-7.000000,,,1,non_poor,,,,,,,,,0,0,0,0,0,0,,\n"
	var buf bytes.Buffer
	if err := WriteHouseholds(&buf, hs); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if err := WriteHouseholds(&bytes.Buffer{}, []Household{{ID: "H3", Round: "2023-03-01"}}); err == nil {
		t.Error("household without status: no error")
	}
}

func TestWriteGeoJSON(t *testing.T) {
	two := orb.MultiPolygon{square(0, 0, 1), square(2, 0, 1)}
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
		want  []string // each written feature, as decoded JSON re-encoded
	}{
		{"villages", func(b *bytes.Buffer) error {
			return WriteVillages(b, []Village{
				{Code: "33.26.14.2009", Name: "Mulyorejo", Geometry: orb.MultiPolygon{square(0, 0, 1)}},
				{Code: "33.26.15.1001", Name: "Kota", DistrictCode: "33.26.15", Kelurahan: true, Geometry: two},
			})
		}, []string{
			`{"geometry":{"coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]],"type":"Polygon"},"properties":{"code":"33.26.14.2009","district_code":"33.26.14","kelurahan":false,"name":"Mulyorejo"},"type":"Feature"}`,
			`{"geometry":{"coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[2,0],[3,0],[3,1],[2,1],[2,0]]]],"type":"MultiPolygon"},"properties":{"code":"33.26.15.1001","district_code":"33.26.15","kelurahan":true,"name":"Kota"},"type":"Feature"}`,
		}},
		{"districts", func(b *bytes.Buffer) error {
			return WriteDistricts(b, []District{{Code: "33.26.14", Name: "Wonokerto"}})
		}, []string{
			`{"geometry":null,"properties":{"code":"33.26.14","name":"Wonokerto"},"type":"Feature"}`,
		}},
		{"zones", func(b *bytes.Buffer) error {
			return WriteZones(b, []Zone{
				{ID: "pesisir", Name: "Pesisir", Kind: ZoneCoastal, VillageCodes: []string{"33.26.14.2009"}},
				{ID: "hutan", Name: "Hutan", Kind: ZoneForest, Geometry: orb.MultiPolygon{square(0, 0, 1)}},
			})
		}, []string{
			`{"geometry":null,"properties":{"id":"pesisir","kind":"coastal","name":"Pesisir","villages":["33.26.14.2009"]},"type":"Feature"}`,
			`{"geometry":{"coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]],"type":"Polygon"},"properties":{"id":"hutan","kind":"forest","name":"Hutan"},"type":"Feature"}`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			var fc struct {
				Type     string            `json:"type"`
				Features []json.RawMessage `json:"features"`
			}
			if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, buf.String())
			}
			if fc.Type != "FeatureCollection" || len(fc.Features) != len(tc.want) {
				t.Fatalf("type %q with %d features, want FeatureCollection with %d", fc.Type, len(fc.Features), len(tc.want))
			}
			for i, raw := range fc.Features {
				var v any
				if err := json.Unmarshal(raw, &v); err != nil {
					t.Fatal(err)
				}
				got, _ := json.Marshal(v)
				if string(got) != tc.want[i] {
					t.Errorf("feature %d:\n got %s\nwant %s", i+1, got, tc.want[i])
				}
			}
			// Deterministic: a second write gives the same bytes.
			var again bytes.Buffer
			if err := tc.write(&again); err != nil || again.String() != buf.String() {
				t.Errorf("second write differs (err %v)", err)
			}
		})
	}
}

func TestWriteGeoJSONRejects(t *testing.T) {
	tests := []struct {
		name  string
		write func() error
		want  string
	}{
		{"village without geometry", func() error {
			return WriteVillages(&bytes.Buffer{}, []Village{{Code: "33.26.14.2009", Name: "X"}})
		}, "no geometry"},
		{"zone with neither", func() error {
			return WriteZones(&bytes.Buffer{}, []Zone{{ID: "z", Name: "Z", Kind: ZoneUrban}})
		}, "neither"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.write()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// ringAreas decodes a written FeatureCollection and returns, per feature, the
// signed areas (shoelace, positive counter-clockwise) of every ring, with
// whether it is a hole.
type ringArea struct {
	area float64
	hole bool
}

func ringAreas(t *testing.T, b []byte) [][]ringArea {
	t.Helper()
	var fc struct {
		Features []struct {
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	var out [][]ringArea
	for _, f := range fc.Features {
		var polys [][][][2]float64
		if f.Geometry.Type == "Polygon" {
			var p [][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &p); err != nil {
				t.Fatal(err)
			}
			polys = append(polys, p)
		} else if err := json.Unmarshal(f.Geometry.Coordinates, &polys); err != nil {
			t.Fatal(err)
		}
		var areas []ringArea
		for _, p := range polys {
			for i, r := range p {
				a := 0.0
				for k := 0; k+1 < len(r); k++ {
					a += r[k][0]*r[k+1][1] - r[k+1][0]*r[k][1]
				}
				areas = append(areas, ringArea{a / 2, i > 0})
			}
		}
		out = append(out, areas)
	}
	return out
}

func TestWriteGeoJSONWindingRFC7946(t *testing.T) {
	cw := func(x0, y0, side float64) orb.Ring {
		return orb.Ring{{x0, y0}, {x0, y0 + side}, {x0 + side, y0 + side}, {x0 + side, y0}, {x0, y0}}
	}
	ccw := func(x0, y0, side float64) orb.Ring { r := cw(x0, y0, side); r.Reverse(); return r }
	// Every ring wound the wrong way, in one part or several, and one right.
	wrong := orb.MultiPolygon{{cw(109.0, -7.0, 0.1), ccw(109.02, -6.98, 0.02), ccw(109.05, -6.95, 0.02)}, {cw(109.2, -7.0, 0.1)}}
	right := orb.MultiPolygon{{ccw(109.4, -7.0, 0.1), cw(109.42, -6.98, 0.02)}}
	before := wrong.Clone()
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"villages", func(b *bytes.Buffer) error {
			return WriteVillages(b, []Village{{Code: "33.26.14.2009", Name: "A", Geometry: wrong}, {Code: "33.26.14.2010", Name: "B", Geometry: right}})
		}},
		{"districts", func(b *bytes.Buffer) error {
			return WriteDistricts(b, []District{{Code: "33.26.14", Name: "A", Geometry: wrong}, {Code: "33.26.15", Name: "B", Geometry: right}})
		}},
		{"zones", func(b *bytes.Buffer) error {
			return WriteZones(b, []Zone{{ID: "a", Name: "A", Kind: ZoneUrban, Geometry: wrong}, {ID: "b", Name: "B", Kind: ZoneForest, Geometry: right}})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			features := ringAreas(t, buf.Bytes())
			if len(features) != 2 || len(features[0]) != 4 || len(features[1]) != 2 {
				t.Fatalf("rings per feature: %v", features)
			}
			for i, rings := range features {
				for j, r := range rings {
					if r.area == 0 || (r.area > 0) == r.hole {
						t.Errorf("feature %d ring %d (hole %v) has signed area %g: exteriors must be counter-clockwise, holes clockwise", i+1, j+1, r.hole, r.area)
					}
				}
			}
		})
	}
	if !reflect.DeepEqual(wrong, before) {
		t.Error("writing changed the caller's geometry")
	}
}
