package data

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/unicode"

	"labmap/geo"
)

const sq0 = `[[[109.0,-7.0],[109.1,-7.0],[109.1,-6.9],[109.0,-6.9],[109.0,-7.0]]]`
const sq1 = `[[[109.1,-7.0],[109.2,-7.0],[109.2,-6.9],[109.1,-6.9],[109.1,-7.0]]]`

func fc(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

func feat(props, geomType, coords string) string {
	g := "null"
	if geomType != "" {
		g = fmt.Sprintf(`{"type":%q,"coordinates":%s}`, geomType, coords)
	}
	return fmt.Sprintf(`{"type":"Feature","properties":%s,"geometry":%s}`, props, g)
}

const goodVillagesGeoJSON = `{"type":"FeatureCollection",
"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},
"features":[
{"type":"Feature","properties":{"code":"33.26.14.2009","name":"Mulyorejo"},"geometry":{"type":"Polygon","coordinates":` + sq0 + `}},
{"type":"Feature","properties":{"code":"33.26.15.1001","name":"Kota","kelurahan":true,"district_code":"33.26.15"},
 "geometry":{"type":"MultiPolygon","coordinates":[` + sq1 + `,[[[109.3,-7.0,12.5],[109.4,-7.0,12.5],[109.4,-6.9,12.5],[109.3,-7.0,12.5]]]]}}
]}`

func TestReadVillagesGood(t *testing.T) {
	sq := func(x0 float64) orb.Polygon {
		return orb.Polygon{{{x0, -7}, {x0 + 0.1, -7}, {x0 + 0.1, -6.9}, {x0, -6.9}, {x0, -7}}}
	}
	tests := []struct {
		name  string
		input string
		opt   ReadOptions
		want  []Village
	}{
		{"polygon and multipolygon", goodVillagesGeoJSON, ReadOptions{}, []Village{
			{Code: "33.26.14.2009", Name: "Mulyorejo", DistrictCode: "33.26.14", Geometry: orb.MultiPolygon{sq(109.0)}},
			{Code: "33.26.15.1001", Name: "Kota", DistrictCode: "33.26.15", Kelurahan: true, Geometry: orb.MultiPolygon{
				{{{109.1, -7}, {109.2, -7}, {109.2, -6.9}, {109.1, -6.9}, {109.1, -7}}}, {{{109.3, -7}, {109.4, -7}, {109.4, -6.9}, {109.3, -7}}}}},
		}},
		{"mapped fields, numeric code, BOM", "\xEF\xBB\xBF" + fc(feat(`{"KDEPUM":3326142009,"nama":" Mulyorejo ","kelurahan":"ya"}`, "Polygon", sq0)),
			ReadOptions{VillageCodeField: "KDEPUM", VillageNameField: "nama"}, []Village{
				{Code: "33.26.14.2009", Name: "Mulyorejo", DistrictCode: "33.26.14", Kelurahan: true, Geometry: orb.MultiPolygon{sq(109.0)}},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadVillages(strings.NewReader(tc.input), "villages.geojson", tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestReadGeoJSONBad(t *testing.T) {
	const okProps = `{"code":"33.26.14.2009","name":"Mulyorejo"}`
	villages := func(r string) error {
		_, err := ReadVillages(strings.NewReader(r), "villages.geojson", ReadOptions{})
		return err
	}
	tests := []struct {
		name  string
		read  func(string) error
		input string
		want  []string
	}{
		{"empty file", villages, "", []string{"villages.geojson: the file is empty"}},
		{"not JSON", villages, "code;name\n", []string{"invalid JSON"}},
		{"truncated", villages, `{"type":"FeatureCollection","features":[` + feat(okProps, "Polygon", sq0), []string{"ends in the middle"}},
		{"bad JSON in a feature", villages, `{"type":"FeatureCollection","features":[` + feat(okProps, "Polygon", sq0) + `,{"type":}]}`,
			[]string{"feature 2", "invalid JSON at byte"}},
		{"not a FeatureCollection", villages, feat(okProps, "Polygon", sq0), []string{"field type", `is "Feature"`, "FeatureCollection"}},
		{"no features", villages, `{"type":"FeatureCollection"}`, []string{"field features", "missing"}},
		{"no village features", villages, fc(), []string{"has no village features"}},
		{"crs not transformed", villages, `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::23889"}},"features":[]}`,
			[]string{`villages.geojson: field crs: "urn:ogc:def:crs:EPSG::23889" (EPSG:23889) is not WGS84 longitude/latitude`,
				"ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson"}},
		{"feature type", villages, fc(`{"type":"Polygon","coordinates":` + sq0 + `}`), []string{"feature 1", "field type", `want "Feature"`}},
		{"properties not an object", villages, fc(`{"type":"Feature","properties":[1],"geometry":null}`), []string{"feature 1", "field properties", "not an object"}},
		{"point geometry", villages, fc(feat(okProps, "Point", `[109.0,-7.0]`)),
			[]string{"feature 1 (code 33.26.14.2009)", "field geometry", `"Point" is not Polygon or MultiPolygon`}},
		{"missing geometry", villages, fc(feat(okProps, "", "")), []string{"feature 1 (code 33.26.14.2009)", "field geometry", "missing"}},
		{"missing code", villages, fc(feat(`{"name":"Mulyorejo"}`, "Polygon", sq0), feat(`{"code":"33.26.14.2010","name":"X"}`, "Polygon", sq1)),
			[]string{"villages.geojson: feature 1, field code: missing"}},
		{"missing mapped code", func(r string) error {
			_, err := ReadVillages(strings.NewReader(r), "villages.geojson", ReadOptions{VillageCodeField: "kode"})
			return err
		}, fc(feat(okProps, "Polygon", sq0)), []string{`villages.geojson: field kode: no feature has the property "kode"`,
			"--village-code-field code"}},
		{"code not text", villages, fc(feat(`{"code":{"a":1},"name":"X"}`, "Polygon", sq0)), []string{"feature 1", "field code", "string or a number"}},
		{"missing name", villages, fc(feat(`{"code":"33.26.14.2009"}`, "Polygon", sq0), feat(`{"code":"33.26.14.2010","name":"X"}`, "Polygon", sq1)),
			[]string{"villages.geojson: feature 1 (code 33.26.14.2009), field name: missing"}},
		{"bad kelurahan", villages, fc(feat(`{"code":"33.26.14.2009","name":"X","kelurahan":"maybe"}`, "Polygon", sq0)),
			[]string{"feature 1 (code 33.26.14.2009)", "field kelurahan", "not true or false"}},
		{"duplicate code", villages, fc(feat(okProps, "Polygon", sq0), feat(okProps, "Polygon", sq1)),
			[]string{"feature 2 (code 33.26.14.2009)", "field code", "also used by feature 1"}},
		{"unclosed ring", villages, fc(feat(okProps, "Polygon", `[[[109.0,-7.0],[109.1,-7.0],[109.1,-6.9],[109.0,-6.9]]]`)),
			[]string{"villages.geojson: feature 1 (code 33.26.14.2009), field geometry: outer ring is not closed"}},
		{"ring with no area", villages, fc(feat(okProps, "Polygon", `[[[109.0,-7.0],[109.1,-7.0],[109.2,-7.0],[109.0,-7.0]]]`)),
			[]string{"villages.geojson: feature 1 (code 33.26.14.2009), field geometry: outer ring has no area: its 4 positions lie on one line"}},
		{"hole with no area", villages, fc(feat(okProps, "Polygon", `[[[109.0,-7.0],[109.1,-7.0],[109.1,-6.9],[109.0,-6.9],[109.0,-7.0]],[[109.02,-6.98],[109.02,-6.98],[109.02,-6.98],[109.02,-6.98]]]`)),
			[]string{"feature 1 (code 33.26.14.2009)", "field geometry", "hole 1 has no area"}},
		{"code with a space inside", villages, fc(feat(`{"code":"33.26.14 .2009","name":"X","district_code":"33.26.14 "}`, "Polygon", sq0)),
			[]string{"feature 1", "field code", `"33.26.14 .2009" is not a Kemendagri village code`}},
		{"ring too short", villages, fc(feat(okProps, "Polygon", `[[[109.0,-7.0],[109.1,-7.0],[109.0,-7.0]]]`)),
			[]string{"feature 1", "field geometry", "needs at least 4"}},
		{"bad part of a multipolygon", villages, fc(feat(okProps, "MultiPolygon", `[`+sq0+`,[[[109.3,-7.0],[109.4,-7.0],[109.4,-6.9],[109.3,-6.9]]]]`)),
			[]string{"feature 1", "field geometry", "polygon 2: outer ring is not closed"}},
		{"empty multipolygon", villages, fc(feat(okProps, "MultiPolygon", `[]`)), []string{"feature 1", "field geometry", "no polygons"}},
		{"position with one number", villages, fc(feat(okProps, "Polygon", `[[[109.0],[109.1,-7.0],[109.1,-6.9],[109.0,-7.0]]]`)),
			[]string{"feature 1", "field geometry", "position has 1 numbers"}},
		{"null coordinate", villages, fc(feat(okProps, "Polygon", `[[[109.0,null],[109.1,-7.0],[109.1,-6.9],[109.0,-7.0]]]`)),
			[]string{"feature 1", "field geometry", "expected a number, found \"null"}},
		{"coordinates too shallow", villages, fc(feat(okProps, "Polygon", `[[109.0,-7.0],[109.1,-7.0]]`)),
			[]string{"feature 1", "field geometry", "expected an array of numbers"}},
		{"projected coordinates", villages, fc(feat(okProps, "Polygon", `[[[390000,9230000],[391000,9230000],[391000,9231000],[390000,9230000]]]`)),
			[]string{"feature 1", "field geometry", "look like metres of UTM", "EPSG:4326"}},
		{"district without name", func(r string) error {
			_, err := ReadDistricts(strings.NewReader(r), "districts.geojson", ReadOptions{})
			return err
		}, fc(feat(`{"code":"33.26.14"}`, "", "")), []string{"districts.geojson: feature 1 (code 33.26.14), field name: missing"}},
		{"district duplicate", func(r string) error {
			_, err := ReadDistricts(strings.NewReader(r), "districts.geojson", ReadOptions{})
			return err
		}, fc(feat(`{"code":"33.26.14","name":"A"}`, "", ""), feat(`{"code":"33.26.14","name":"B"}`, "", "")),
			[]string{"feature 2 (code 33.26.14)", "field code", "also used by feature 1"}},
	}
	zones := func(r string) error {
		_, err := ReadZones(strings.NewReader(r), "zones.geojson", ReadOptions{})
		return err
	}
	tests = append(tests, []struct {
		name  string
		read  func(string) error
		input string
		want  []string
	}{
		{"zone id missing", zones, fc(feat(`{"name":"Pesisir","kind":"coastal","villages":["33.26.14.2009"]}`, "", "")), []string{"zones.geojson: feature 1, field id: missing"}},
		{"zone id characters", zones, fc(feat(`{"id":"pesisir utara","name":"Pesisir","kind":"coastal","villages":["33.26.14.2009"]}`, "", "")),
			[]string{"feature 1", "field id", "only letters, digits, _ and -"}},
		{"zone id duplicate", zones, fc(feat(`{"id":"p","name":"P","kind":"coastal","villages":["33.26.14.2009"]}`, "", ""),
			feat(`{"id":"p","name":"Q","kind":"urban","villages":["33.26.14.2010"]}`, "", "")),
			[]string{"feature 2 (id p)", "field id", "also used by feature 1"}},
		{"zone polygon crossing itself", zones, fc(feat(`{"id":"p","name":"P","kind":"coastal"}`, "Polygon", `[[[109.0,-7.0],[109.1,-6.9],[109.1,-7.0],[109.0,-6.9],[109.0,-7.0]]]`)),
			[]string{"zones.geojson: feature 1 (id p), field geometry: outer ring intersects itself"}},
		{"zone kind", zones, fc(feat(`{"id":"p","name":"P","kind":"rural","villages":["33.26.14.2009"]}`, "", "")),
			[]string{"feature 1 (id p)", "field kind", `"rural" is not one of urban, coastal, forest`}},
		{"zone kind missing", zones, fc(feat(`{"id":"p","name":"P","villages":["33.26.14.2009"]}`, "", "")), []string{"feature 1 (id p)", "field kind: missing"}},
		{"zone name missing", zones, fc(feat(`{"id":"p","kind":"urban","villages":["33.26.14.2009"]}`, "", "")), []string{"feature 1 (id p)", "field name: missing"}},
		{"zone with neither", zones, fc(feat(`{"id":"p","name":"P","kind":"urban"}`, "", "")),
			[]string{"feature 1 (id p)", "fields geometry/villages", "needs a Polygon"}},
		{"zone villages not a list", zones, fc(feat(`{"id":"p","name":"P","kind":"urban","villages":{"a":1}}`, "", "")),
			[]string{"feature 1 (id p)", "field villages", "array of village codes"}},
		{"zone village twice", zones, fc(feat(`{"id":"p","name":"P","kind":"urban","villages":["33.26.14.2009","3326142009"]}`, "", "")),
			[]string{"feature 1 (id p)", "field villages", "listed twice"}},
		{"zone bad polygon", zones, fc(feat(`{"id":"p","name":"P","kind":"urban"}`, "Polygon", `[[[109.0,-7.0],[109.1,-7.0],[109.1,-6.9],[109.0,-6.9]]]`)),
			[]string{"feature 1 (id p)", "field geometry", "not closed"}},
	}...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.read(tc.input)
			if err == nil {
				t.Fatal("no error")
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v is not an *InputError", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestReadVillagesManyProblems(t *testing.T) {
	input := fc(
		feat(`{"name":"A"}`, "Polygon", sq0),
		feat(`{"code":"33.26.14.2009","name":"B"}`, "Point", `[1,2]`),
		feat(`{"code":"33.26.14.2010"}`, "Polygon", `[[[109.0,-7.0],[109.1,-7.0],[109.1,-6.9],[109.0,-6.9]]]`),
	)
	_, err := ReadVillages(strings.NewReader(input), "villages.geojson", ReadOptions{})
	want := "villages.geojson: 4 problems:\n" +
		"  feature 1, field code: missing\n" +
		"  feature 2 (code 33.26.14.2009), field geometry: type \"Point\" is not Polygon or MultiPolygon\n" +
		"  feature 3 (code 33.26.14.2010), field name: missing\n" +
		"  feature 3 (code 33.26.14.2010), field geometry: outer ring is not closed: first position [109 -7] differs from last [109 -6.9]"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	_, err = ReadVillages(strings.NewReader(input), "villages.geojson", ReadOptions{MaxErrors: 1})
	var ie *InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || !ie.More {
		t.Errorf("MaxErrors 1: got %v", err)
	}
}

func TestReadZonesAndDistrictsGood(t *testing.T) {
	zs, err := ReadZones(strings.NewReader(fc(
		feat(`{"id":"pesisir","name":"Pesisir","kind":"Coastal","villages":["33.26.14.2009",3326142010]}`, "", ""),
		`{"type":"Feature","id":"kota-1","properties":{"name":"Kota","kind":"urban","villages":"33.26.15.1001; 33.26.15.1002"},"geometry":null}`,
		feat(`{"id":"hutan_1","name":"Hutan","kind":"forest"}`, "Polygon", sq0),
	)), "zones.geojson", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Zone{
		{ID: "pesisir", Name: "Pesisir", Kind: ZoneCoastal, VillageCodes: []string{"33.26.14.2009", "33.26.14.2010"}},
		{ID: "kota-1", Name: "Kota", Kind: ZoneUrban, VillageCodes: []string{"33.26.15.1001", "33.26.15.1002"}},
		{ID: "hutan_1", Name: "Hutan", Kind: ZoneForest, Geometry: orb.MultiPolygon{{{{109, -7}, {109.1, -7}, {109.1, -6.9}, {109, -6.9}, {109, -7}}}}},
	}
	if !reflect.DeepEqual(zs, want) {
		t.Errorf("zones:\n got %+v\nwant %+v", zs, want)
	}
	ds, err := ReadDistricts(strings.NewReader(fc(feat(`{"code":"33.26.14","name":"Wonokerto"}`, "", ""))), "d.geojson", ReadOptions{})
	if err != nil || !reflect.DeepEqual(ds, []District{{Code: "33.26.14", Name: "Wonokerto"}}) {
		t.Errorf("districts: %+v, %v", ds, err)
	}
}

func TestGeoJSONRoundTrip(t *testing.T) {
	sq := func(x0, y0, side float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x0 + side, y0}, {x0 + side, y0 + side}, {x0, y0 + side}, {x0, y0}}}
	}
	withHole := orb.Polygon{sq(109.5, -7.2, 0.1)[0], {{109.52, -7.18}, {109.52, -7.12}, {109.58, -7.12}, {109.52, -7.18}}}
	t.Run("villages", func(t *testing.T) {
		vs := []Village{
			{Code: "33.26.14.2009", Name: "Mulyorejo", DistrictCode: "33.26.14", Geometry: orb.MultiPolygon{sq(109.6123457, -6.9123457, 0.0100001)}},
			{Code: "33.26.15.1001", Name: "Kota \"Lama\"", DistrictCode: "33.26.15", Kelurahan: true, Geometry: orb.MultiPolygon{withHole, sq(109.7, -7, 0.05)}},
		}
		var buf bytes.Buffer
		if err := WriteVillages(&buf, vs); err != nil {
			t.Fatal(err)
		}
		got, err := ReadVillages(&buf, "v.geojson", ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, vs) {
			t.Errorf("got\n%+v\nwant\n%+v", got, vs)
		}
	})
	t.Run("districts", func(t *testing.T) {
		ds := []District{{Code: "33.26.14", Name: "Wonokerto", Geometry: orb.MultiPolygon{withHole}}, {Code: "33.26.15", Name: "Kajen"}}
		var buf bytes.Buffer
		if err := WriteDistricts(&buf, ds); err != nil {
			t.Fatal(err)
		}
		got, err := ReadDistricts(&buf, "d.geojson", ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ds) {
			t.Errorf("got\n%+v\nwant\n%+v", got, ds)
		}
	})
	t.Run("zones", func(t *testing.T) {
		zs := []Zone{
			{ID: "pesisir", Name: "Pesisir", Kind: ZoneCoastal, VillageCodes: []string{"33.26.14.2009"}},
			{ID: "hutan", Name: "Hutan", Kind: ZoneForest, Geometry: orb.MultiPolygon{withHole}},
			{ID: "kota", Name: "Kota", Kind: ZoneUrban, VillageCodes: []string{"33.26.15.1001", "33.26.15.1002"}, Geometry: orb.MultiPolygon{sq(109, -7, 1)}},
		}
		var buf bytes.Buffer
		if err := WriteZones(&buf, zs); err != nil {
			t.Fatal(err)
		}
		got, err := ReadZones(&buf, "z.geojson", ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, zs) {
			t.Errorf("got\n%+v\nwant\n%+v", got, zs)
		}
	})
}

func FuzzReadVillages(f *testing.F) {
	f.Add([]byte(goodVillagesGeoJSON))
	f.Add([]byte(fc(feat(`{"code":3326142009,"name":"X","kelurahan":1}`, "MultiPolygon", `[`+sq0+`,`+sq1+`]`))))
	f.Add([]byte(fc(feat(`{"code":"a","name":"b"}`, "Polygon", `[[[109.0,-7.0],[109.1,-6.9],[109.1,-7.0],[109.0,-6.9],[109.0,-7.0]]]`))))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":null,"geometry":{"type":"Polygon","coordinates":[[[1e400,0]]]}}]}`))
	f.Add([]byte(fc(feat(`{"code":"3326142009","name":"Clockwise"}`, "Polygon", `[[[109.0,-7.0],[109.0,-6.9],[109.1,-6.9],[109.1,-7.0],[109.0,-7.0]]]`))))
	f.Add([]byte(withCRS(`{"type":"name","properties":{"name":"EPSG:32749"}}`, feat(`{"code":"3326142009","name":"UTM"}`, "Polygon", squareUTM49S))))
	f.Add([]byte(utf16(f, fc(feat(`{"code":"3326142009","name":"José"}`, "Polygon", sq0)), unicode.LittleEndian, unicode.UseBOM)))
	f.Fuzz(func(t *testing.T, data []byte) {
		vs, err := ReadVillages(bytes.NewReader(data), "fuzz.geojson", ReadOptions{})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("error %v is not an *InputError with problems", err)
			}
			_ = err.Error()
			return
		}
		for _, v := range vs {
			if v.Code == "" || v.Name == "" || len(v.Geometry) == 0 {
				t.Fatalf("accepted an incomplete village %+v", v)
			}
			for _, p := range v.Geometry {
				if err := geo.ValidateRings(p); err != nil {
					t.Fatalf("accepted an invalid polygon: %v", err)
				}
				for _, r := range p {
					if onOneLine(r) {
						t.Fatalf("accepted a ring with no area: %v", r)
					}
				}
			}
		}
		// What was accepted must survive a write and a read unchanged.
		var buf bytes.Buffer
		if err := WriteVillages(&buf, vs); err != nil {
			t.Fatalf("cannot write what was read: %v", err)
		}
		again, err := ReadVillages(&buf, "again.geojson", ReadOptions{})
		if err != nil {
			t.Fatalf("cannot read what was written: %v\n%s", err, buf.String())
		}
		// Rings come back wound as RFC 7946 says, and otherwise unchanged.
		for i := range vs {
			vs[i].Geometry = OrientRFC7946(vs[i].Geometry)
		}
		if !reflect.DeepEqual(again, vs) {
			t.Fatalf("round trip changed the villages:\n%+v\n%+v", vs, again)
		}
	})
}
