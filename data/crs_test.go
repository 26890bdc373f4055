package data

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/unicode"
)

// Reference pairs computed with PROJ: echo "lat lon" | cs2cs EPSG:4326 EPSG:<code> -f %.4f
func TestUTMInverse(t *testing.T) {
	tests := []struct {
		epsg     int
		e, n     float64
		lat, lon float64
	}{
		{32749, 345320.8280, 9237078.7000, -6.9, 109.6},
		{32749, 388209.3469, 9212480.9084, -7.1234567, 109.9876543},
		{32748, 699163.3906, 9314348.9616, -6.2, 106.8},
		{32750, 303775.1648, 9043383.1036, -8.65, 115.2167},
		{32749, 172128.6072, 8782381.6156, -11.0, 108.0},
		{32651, 284552.1247, 1615033.1190, 14.6, 121.0},
		{32631, 500011.1275, 11.0530, 0.0001, 3.0001},
		{32754, 500000.0000, 9723673.1245, -2.5, 141.0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.epsg, tc.lat, tc.lon), func(t *testing.T) {
			p, _, msg := parseCRS(fmt.Sprintf("urn:ogc:def:crs:EPSG::%d", tc.epsg))
			if p == nil {
				t.Fatal(msg)
			}
			got := p.inverse(tc.e, tc.n)
			// 1e-9 degrees is 0.1 mm, the precision of the reference.
			if math.Abs(got[0]-tc.lon) > 2e-9 || math.Abs(got[1]-tc.lat) > 2e-9 {
				t.Errorf("got lon %.10f lat %.10f, want %.10f %.10f", got[0], got[1], tc.lon, tc.lat)
			}
		})
	}
}

// The same 0.1° square near Pekalongan, corners computed with cs2cs.
const (
	squareUTM49S = `[[[339846.425505,9220475.035192],[350893.569630,9220508.172242],[350861.811830,9231565.823680],[339812.312865,9231533.147371],[339846.425505,9220475.035192]]]`
	squareMerc   = `[[[12195050.216403,-786790.289394],[12206182.165482,-786790.289394],[12206182.165482,-775574.739854],[12195050.216403,-775574.739854],[12195050.216403,-786790.289394]]]`
)

func withCRS(crs, features string) string {
	return `{"type":"FeatureCollection","crs":` + crs + `,"features":[` + features + `]}`
}

func TestReadVillagesDeclaredCRS(t *testing.T) {
	named := func(name string) string { return `{"type":"name","properties":{"name":"` + name + `"}}` }
	props := `{"code":"33.26.14.2009","name":"Mulyorejo"}`
	tests := []struct {
		name, crs, coords string
	}{
		{"EPSG:3857", named("EPSG:3857"), squareMerc},
		{"urn EPSG::3857", named("urn:ogc:def:crs:EPSG::3857"), squareMerc},
		{"OGC URL 3857", named("http://www.opengis.net/def/crs/EPSG/0/3857"), squareMerc},
		{"ESRI 102100", named("urn:ogc:def:crs:EPSG::102100"), squareMerc},
		{"2008 draft EPSG object", `{"type":"EPSG","properties":{"code":3857}}`, squareMerc},
		{"UTM 49S", named("urn:ogc:def:crs:EPSG::32749"), squareUTM49S},
		{"CRS84 untouched", named("urn:ogc:def:crs:OGC:1.3:CRS84"), `[[[109.55,-7.05],[109.65,-7.05],[109.65,-6.95],[109.55,-6.95],[109.55,-7.05]]]`},
	}
	want := orb.Ring{{109.55, -7.05}, {109.65, -7.05}, {109.65, -6.95}, {109.55, -6.95}, {109.55, -7.05}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := ReadVillages(strings.NewReader(withCRS(tc.crs, feat(props, "Polygon", tc.coords))), "v.geojson", ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := vs[0].Geometry[0][0]
			if len(got) != len(want) {
				t.Fatalf("ring %v", got)
			}
			for i := range want {
				if math.Abs(got[i][0]-want[i][0]) > 1e-8 || math.Abs(got[i][1]-want[i][1]) > 1e-8 {
					t.Errorf("position %d: got %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestReadGeoJSONAsPeopleHaveThem: each row is a file as it comes from the
// field or a GIS office, and the whole message it gets.
func TestReadGeoJSONAsPeopleHaveThem(t *testing.T) {
	const ok = `{"code":"33.26.14.2009","name":"Mulyorejo"}`
	swapped := `[[[-7.0,109.0],[-7.0,109.1],[-6.9,109.1],[-6.9,109.0],[-7.0,109.0]]]`
	villages := func(opt ReadOptions) func(string) error {
		return func(in string) error {
			_, err := ReadVillages(strings.NewReader(in), "villages.geojson", opt)
			return err
		}
	}
	districts := func(in string) error {
		_, err := ReadDistricts(strings.NewReader(in), "districts.geojson", ReadOptions{})
		return err
	}
	zones := func(in string) error {
		_, err := ReadZones(strings.NewReader(in), "zones.geojson", ReadOptions{})
		return err
	}
	bigProps := func(code, name string) string {
		return fmt.Sprintf(`{"OBJECTID":1,"KDEPUM":%q,"WADMKD":%q,"WADMKC":"Buaran","luas":1.5}`, code, name)
	}
	tests := []struct {
		name  string
		read  func(string) error
		input string
		want  string
	}{
		{"[lat, lon] positions", villages(ReadOptions{}), fc(feat(ok, "Polygon", swapped), feat(`{"code":"33.26.14.2010","name":"B"}`, "Polygon", swapped)),
			"villages.geojson: feature 1 (code 33.26.14.2009), field geometry: position [-7, 109] has latitude 109 outside [-90, 90]: " +
				"the positions are swapped, [lat, lon], and GeoJSON needs [lon, lat]: swap the two numbers of every position (reported once for the file)"},
		{"UTM metres without crs", villages(ReadOptions{}), fc(feat(ok, "Polygon", squareUTM49S)),
			"villages.geojson: feature 1 (code 33.26.14.2009), field geometry: position [339846.425505, 9220475.035192] is not longitude/latitude in degrees: " +
				"the numbers look like metres of UTM (Central Java is zone 49S, EPSG:32749) and the file has no crs member to say so; " +
				"reproject it, naming its CRS: ogr2ogr -s_srs EPSG:32749 -t_srs EPSG:4326 out.geojson in.geojson (reported once for the file)"},
		{"Web Mercator metres without crs", villages(ReadOptions{}), fc(feat(ok, "Polygon", squareMerc)),
			"villages.geojson: feature 1 (code 33.26.14.2009), field geometry: position [12195050.216403, -786790.289394] is not longitude/latitude in degrees: " +
				"the numbers look like metres of Web Mercator (EPSG:3857) and the file has no crs member to say so; " +
				"reproject it, naming its CRS: ogr2ogr -s_srs EPSG:3857 -t_srs EPSG:4326 out.geojson in.geojson (reported once for the file)"},
		{"declared CRS not transformed", villages(ReadOptions{}), withCRS(`{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::23889"}}`, feat(ok, "Polygon", squareUTM49S)),
			`villages.geojson: field crs: "urn:ogc:def:crs:EPSG::23889" (EPSG:23889) is not WGS84 longitude/latitude and labmap transforms only EPSG:3857 and the WGS 84 UTM zones (EPSG:326xx, 327xx); ` +
				"reproject the file: ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson"},
		{"declared CRS unknown", villages(ReadOptions{}), withCRS(`{"type":"name","properties":{"name":"DGN95 / Indonesia TM-3 zone 49.2"}}`, feat(ok, "Polygon", squareUTM49S)),
			`villages.geojson: field crs: "DGN95 / Indonesia TM-3 zone 49.2" is a CRS labmap does not know; reproject the file to WGS84 longitude/latitude: ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`},
		{"declared CRS but degrees", villages(ReadOptions{}), withCRS(`{"type":"name","properties":{"name":"EPSG:32749"}}`, feat(ok, "Polygon", sq0)),
			"villages.geojson: feature 1 (code 33.26.14.2009), field geometry: position [109, -7] is not a position of EPSG:32749 (WGS 84 / UTM zone 49S), which the file's crs member declares; check the crs member"},
		{"BIG property names, no flags: once for the file", villages(ReadOptions{}),
			fc(feat(bigProps("3326142009", "Kertijayan"), "Polygon", sq0), feat(bigProps("3326142010", "Simbang Kulon"), "Polygon", sq1), feat(bigProps("3326142011", "X"), "Polygon", sq1)),
			"villages.geojson: 2 problems:\n" +
				`  field code: no feature has the property "code" (feature 1 has the properties OBJECTID, KDEPUM, WADMKD, WADMKC, luas): name the property that holds the village code with --village-code-field, e.g. --village-code-field KDEPUM (feature 1 has "3326142009")` + "\n" +
				`  field name: no feature has the property "name" (feature 1 has the properties OBJECTID, KDEPUM, WADMKD, WADMKC, luas): name the property that holds the village name with --village-name-field, e.g. --village-name-field WADMKD (feature 1 has "Kertijayan")`},
		{"kode and nama", villages(ReadOptions{}), fc(feat(`{"kode":"33.26.14.2009","nama":"Kertijayan"}`, "Polygon", sq0)),
			"villages.geojson: 2 problems:\n" +
				`  field code: no feature has the property "code" (feature 1 has the properties kode, nama): name the property that holds the village code with --village-code-field, e.g. --village-code-field kode (feature 1 has "33.26.14.2009")` + "\n" +
				`  field name: no feature has the property "name" (feature 1 has the properties kode, nama): name the property that holds the village name with --village-name-field, e.g. --village-name-field nama (feature 1 has "Kertijayan")`},
		{"name not UTF-8", villages(ReadOptions{}), fc(feat(ok, "Polygon", sq0), feat(`{"code":"33.26.14.2010","name":"Kertijayan `+"\x96"+` Buaran"}`, "Polygon", sq1)),
			`villages.geojson: feature 2 (code 33.26.14.2010), field name: "Kertijayan \x96 Buaran" is not valid UTF-8 (byte 0x96); read as Windows-1252 it is "Kertijayan – Buaran": ` +
				"GeoJSON must be UTF-8: convert the file, e.g. iconv -f windows-1252 -t utf-8 in.geojson > out.geojson"},
		{"name mangled earlier", villages(ReadOptions{}), fc(feat(`{"code":"33.26.14.2010","name":"Kertijayan \ufffd Buaran"}`, "Polygon", sq1)),
			`villages.geojson: feature 1 (code 33.26.14.2010), field name: "Kertijayan � Buaran" holds U+FFFD, the replacement character: an earlier conversion lost a character here; correct the value in the source and export it again as UTF-8`},
		{"village code of another shape", villages(ReadOptions{}), fc(feat(`{"code":"3326.14.2009","name":"X"}`, "Polygon", sq0)),
			`villages.geojson: feature 1, field code: "3326.14.2009" is not a Kemendagri village code: expected PP.RR.DD.VVVV in digits, as 33.26.14.2009 (or 3326142009 without dots)`},
		{"numeric code too short", villages(ReadOptions{}), fc(feat(`{"code":332614209,"name":"X"}`, "Polygon", sq0)),
			`villages.geojson: feature 1, field code: "332614209" is not a Kemendagri village code: expected PP.RR.DD.VVVV in digits, as 33.26.14.2009 (or 3326142009 without dots)`},
		{"district_code of another shape", villages(ReadOptions{}), fc(feat(`{"code":"33.26.14.2009","name":"X","district_code":"33.26.1"}`, "Polygon", sq0)),
			`villages.geojson: feature 1 (code 33.26.14.2009), field district_code: "33.26.1" is not a Kemendagri kecamatan code: expected PP.RR.DD in digits, as 33.26.14 (or 332614 without dots)`},
		{"same village with and without dots", villages(ReadOptions{}), fc(feat(ok, "Polygon", sq0), feat(`{"code":3326142009,"name":"Y"}`, "Polygon", sq1)),
			`villages.geojson: feature 2 (code 33.26.14.2009), field code: code 33.26.14.2009 is also used by feature 1`},
		{"district code of another shape", districts, fc(feat(`{"code":"33.26.140","name":"Buaran"}`, "", "")),
			`districts.geojson: feature 1, field code: "33.26.140" is not a Kemendagri kecamatan code: expected PP.RR.DD in digits, as 33.26.14 (or 332614 without dots)`},
		{"zone village code of another shape", zones, fc(feat(`{"id":"z","name":"Z","kind":"urban","villages":["3326142009","33.26.14.20"]}`, "", "")),
			`zones.geojson: feature 1 (id z), field villages: item 2: "33.26.14.20" is not a Kemendagri village code: expected PP.RR.DD.VVVV in digits, as 33.26.14.2009 (or 3326142009 without dots)`},
		{"zone name not UTF-8", zones, fc(feat(`{"id":"z","name":"Pesisir `+"\xe9"+`","kind":"urban","villages":["3326142009"]}`, "", "")),
			`zones.geojson: feature 1 (id z), field name: "Pesisir \xe9" is not valid UTF-8 (byte 0xE9); read as Windows-1252 it is "Pesisir é": ` +
				"GeoJSON must be UTF-8: convert the file, e.g. iconv -f windows-1252 -t utf-8 in.geojson > out.geojson"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.read(tc.input)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *InputError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", err, tc.want)
			}
		})
	}
}

func TestReadGeoJSONCodesAndEncodings(t *testing.T) {
	zs, err := ReadZones(strings.NewReader(fc(feat(`{"id":"z","name":"Pesisir","kind":"coastal","villages":"3326142009;33.26.15.2014"}`, "", ""))), "z.geojson", ReadOptions{})
	if err != nil || len(zs) != 1 || strings.Join(zs[0].VillageCodes, " ") != "33.26.14.2009 33.26.15.2014" {
		t.Errorf("zones %+v, %v", zs, err)
	}
	ds, err := ReadDistricts(strings.NewReader(fc(feat(`{"code":332614,"name":"Buaran"}`, "", ""))), "d.geojson", ReadOptions{})
	if err != nil || len(ds) != 1 || ds[0].Code != "33.26.14" {
		t.Errorf("districts %+v, %v", ds, err)
	}
	in := fc(feat(`{"KDEPUM":"3326142009","WADMKD":"Kertijayan – Buaran","district_code":"332614"}`, "Polygon", sq0))
	for name, b := range map[string]string{"UTF-8": in, "UTF-16LE": utf16(t, in, unicode.LittleEndian, unicode.UseBOM),
		"UTF-16BE": utf16(t, in, unicode.BigEndian, unicode.UseBOM)} {
		vs, err := ReadVillages(strings.NewReader(b), "v.geojson", ReadOptions{VillageCodeField: "KDEPUM", VillageNameField: "WADMKD"})
		if err != nil || len(vs) != 1 || vs[0].Code != "33.26.14.2009" || vs[0].DistrictCode != "33.26.14" || vs[0].Name != "Kertijayan – Buaran" {
			t.Errorf("%s: villages %+v, %v", name, vs, err)
		}
	}
}
