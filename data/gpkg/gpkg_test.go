package gpkg

import (
	"database/sql"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

func square(lon, lat, size float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lon, lat}, {lon + size, lat}, {lon + size, lat + size}, {lon, lat + size}, {lon, lat}}}}
}

var testLayer = Layer{
	Table: "villages", Identifier: "Desa", Description: "test villages",
	Columns: []Column{
		{"code", Text}, {"households", Integer}, {"members", Integer64}, {"poverty_rate", Real}, {"round", Date}, {"suppressed", Boolean},
	},
}

type testFeature struct {
	geom   orb.MultiPolygon
	values []any
}

var testFeatures = []testFeature{
	{square(109.60, -7.00, 0.01), []any{"33.26.14.2009", 6, int64(24), 0.5, "2019-06-01", false}},
	// A hole and two parts: the WKB must keep both.
	{orb.MultiPolygon{
		{{{109.70, -6.90}, {109.74, -6.90}, {109.74, -6.86}, {109.70, -6.86}, {109.70, -6.90}},
			{{109.71, -6.89}, {109.71, -6.88}, {109.72, -6.88}, {109.72, -6.89}, {109.71, -6.89}}},
		{{{109.80, -6.95}, {109.81, -6.95}, {109.81, -6.94}, {109.80, -6.95}}},
	}, []any{"33.26.14.2001", int64(12), 48, 1.0, "2019-06-01", false}},
	{square(109.65, -7.05, 0.02), []any{"33.26.14.2002", nil, nil, nil, "2019-06-01", true}},
}

// writeTest writes testFeatures with styles and returns the file's path.
func writeTest(t *testing.T, styles []Style) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.gpkg")
	w, err := Create(t.Context(), path, testLayer)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range testFeatures {
		if err := w.Add(t.Context(), f.geom, f.values); err != nil {
			t.Fatal(err)
		}
	}
	if w.Count() != int64(len(testFeatures)) {
		t.Errorf("Count() = %d, want %d", w.Count(), len(testFeatures))
	}
	if err := w.Finish(t.Context(), styles); err != nil {
		t.Fatal(err)
	}
	return path
}

func openTest(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestWriterMetadata(t *testing.T) {
	styles := []Style{
		{Name: "poverty_rate", Description: "Kemiskinan", QML: []byte("<qgis>a</qgis>"), SLD: []byte("<sld>a</sld>"), Default: true},
		{Name: "households", QML: []byte("<qgis>b</qgis>"), SLD: []byte("<sld>b</sld>")},
	}
	db := openTest(t, writeTest(t, styles))
	var union orb.Bound
	for i, f := range testFeatures {
		if i == 0 {
			union = f.geom.Bound()
		}
		union = union.Union(f.geom.Bound())
	}
	for _, tc := range []struct {
		name  string
		query string
		want  string
	}{
		{"application_id", "PRAGMA application_id", "1196444487"},
		{"user_version", "PRAGMA user_version", "10300"},
		{"integrity", "PRAGMA integrity_check", "ok"},
		{"spatial reference systems", "SELECT group_concat(srs_id || ':' || organization || ':' || organization_coordsys_id, ' ') FROM (SELECT * FROM gpkg_spatial_ref_sys ORDER BY srs_id)",
			"-1:NONE:-1 0:NONE:0 4326:EPSG:4326"},
		{"contents", "SELECT group_concat(table_name || ':' || data_type || ':' || ifnull(srs_id, ''), ' ') FROM (SELECT * FROM gpkg_contents ORDER BY table_name)",
			"layer_styles:attributes: villages:features:4326"},
		{"extent", "SELECT printf('%.6f %.6f %.6f %.6f', min_x, min_y, max_x, max_y) FROM gpkg_contents WHERE table_name = 'villages'",
			strings.Join([]string{f6(union.Min[0]), f6(union.Min[1]), f6(union.Max[0]), f6(union.Max[1])}, " ")},
		{"last change is ISO 8601", "SELECT last_change GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z' FROM gpkg_contents WHERE table_name = 'villages'", "1"},
		{"geometry column", "SELECT table_name || ':' || column_name || ':' || geometry_type_name || ':' || srs_id || ':' || z || ':' || m FROM gpkg_geometry_columns",
			"villages:geom:MULTIPOLYGON:4326:0:0"},
		{"column types", "SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('villages')",
			"fid INTEGER, geom MULTIPOLYGON, code TEXT, households MEDIUMINT, members INTEGER, poverty_rate REAL, round DATE, suppressed BOOLEAN"},
		{"stored types", "SELECT group_concat(typeof(code) || ' ' || typeof(households) || ' ' || typeof(poverty_rate) || ' ' || typeof(round) || ' ' || typeof(suppressed), ', ') FROM (SELECT * FROM villages ORDER BY fid)",
			"text integer real text integer, text integer real text integer, text null null text integer"},
		{"values", "SELECT group_concat(fid || ' ' || code || ' ' || ifnull(households, '-') || ' ' || ifnull(poverty_rate, '-') || ' ' || suppressed, ', ') FROM (SELECT * FROM villages ORDER BY fid)",
			"1 33.26.14.2009 6 0.5 0, 2 33.26.14.2001 12 1.0 0, 3 33.26.14.2002 - - 1"},
		{"rtree extension", "SELECT table_name || ':' || column_name || ':' || extension_name || ':' || scope FROM gpkg_extensions",
			"villages:geom:gpkg_rtree_index:write-only"},
		{"rtree rows", "SELECT count(*) FROM rtree_villages_geom", "3"},
		{"rtree triggers", "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name)",
			"rtree_villages_geom_delete rtree_villages_geom_insert rtree_villages_geom_update1 rtree_villages_geom_update2 rtree_villages_geom_update3 rtree_villages_geom_update4"},
		{"styles", "SELECT group_concat(f_table_name || ':' || f_geometry_column || ':' || styleName || ':' || useAsDefault || ':' || styleQML || ':' || styleSLD, ' ') FROM (SELECT * FROM layer_styles ORDER BY id)",
			"villages:geom:poverty_rate:1:<qgis>a</qgis>:<sld>a</sld> villages:geom:households:0:<qgis>b</qgis>:<sld>b</sld>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if err := db.QueryRow(tc.query).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// f6 formats like SQLite's printf('%.6f').
func f6(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

// TestWriterGeometry decodes every stored blob: the GeoPackage header with
// its envelope, then the WKB, which must give back the outline written, and
// the R-tree row, which must cover it.
func TestWriterGeometry(t *testing.T) {
	db := openTest(t, writeTest(t, nil))
	rows, err := db.Query("SELECT v.fid, v.geom, r.minx, r.maxx, r.miny, r.maxy FROM villages v JOIN rtree_villages_geom r ON r.id = v.fid ORDER BY v.fid")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var fid int
		var blob []byte
		var r [4]float64
		if err := rows.Scan(&fid, &blob, &r[0], &r[1], &r[2], &r[3]); err != nil {
			t.Fatal(err)
		}
		want := testFeatures[fid-1].geom
		b := want.Bound()
		if string(blob[:2]) != "GP" || blob[2] != 0 || blob[3] != 0x03 {
			t.Fatalf("feature %d: header %x, want GP, version 0, flags 03 (little-endian, xy envelope)", fid, blob[:4])
		}
		if srs := binary.LittleEndian.Uint32(blob[4:8]); srs != 4326 {
			t.Errorf("feature %d: srs_id %d", fid, srs)
		}
		var env [4]float64
		for i := range env {
			env[i] = math.Float64frombits(binary.LittleEndian.Uint64(blob[8+8*i:]))
		}
		if env != [4]float64{b.Min[0], b.Max[0], b.Min[1], b.Max[1]} {
			t.Errorf("feature %d: envelope %v, want %v", fid, env, b)
		}
		g, err := wkb.Unmarshal(blob[40:])
		if err != nil {
			t.Fatalf("feature %d: WKB: %v", fid, err)
		}
		if !orb.Equal(g, want) {
			t.Errorf("feature %d: geometry %v, want %v", fid, g, want)
		}
		// The R-tree stores 32-bit floats rounded outwards.
		if r[0] > b.Min[0] || r[1] < b.Max[0] || r[2] > b.Min[1] || r[3] < b.Max[1] || r[1]-r[0] > b.Max[0]-b.Min[0]+1e-4 {
			t.Errorf("feature %d: R-tree box %v does not fit %v", fid, r, b)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(testFeatures) {
		t.Errorf("%d features indexed, want %d", n, len(testFeatures))
	}
}

func TestWriterErrors(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "old.gpkg")
	w, err := Create(t.Context(), existing, testLayer)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		path   string
		layer  Layer
		values []any
		styles []Style
		want   string
	}{
		{name: "existing database", path: existing, layer: testLayer, want: "already holds a database"},
		{name: "no table name", layer: Layer{}, want: "no table name"},
		{name: "quote in a name", layer: Layer{Table: `vil"lages`}, want: "not a plain identifier"},
		{name: "column twice", layer: Layer{Table: "v", Columns: []Column{{"code", Text}, {"Code", Text}}}, want: `column "Code" given twice`},
		{name: "reserved column", layer: Layer{Table: "v", Columns: []Column{{"geom", Text}}}, want: `column "geom" given twice (or reserved)`},
		{name: "unknown type", layer: Layer{Table: "v", Columns: []Column{{"code", "VARCHAR"}}}, want: `type "VARCHAR" is not one of`},
		{name: "too few values", layer: testLayer, values: []any{"x"}, want: "1 values for 6 columns"},
		{name: "unstorable value", layer: testLayer, values: []any{"x", 1, 2, float32(0.5), "2019-06-01", false}, want: "column poverty_rate: a float32 cannot be stored"},
		{name: "two default styles", layer: testLayer, styles: []Style{{Name: "a", Default: true}, {Name: "b", Default: true}}, want: "2 default styles"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = filepath.Join(t.TempDir(), "t.gpkg")
			}
			w, err := Create(t.Context(), path, tc.layer)
			if err == nil && tc.values != nil {
				err = w.Add(t.Context(), square(109.6, -7, 0.01), tc.values)
				w.Close()
			} else if err == nil {
				err = w.Finish(t.Context(), tc.styles)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	// An abandoned file holds no features: the load is one transaction.
	path := filepath.Join(t.TempDir(), "abandoned.gpkg")
	w, err = Create(t.Context(), path, testLayer)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(t.Context(), testFeatures[0].geom, testFeatures[0].values); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err == nil {
		var n int
		if err := openTest(t, path).QueryRow("SELECT count(*) FROM sqlite_master").Scan(&n); err != nil || n != 0 {
			t.Errorf("abandoned file of %d bytes holds %d tables (%v), want none", st.Size(), n, err)
		}
	}
}
