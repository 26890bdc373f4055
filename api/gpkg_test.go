package api

import (
	"database/sql"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"labmap/data"
	"labmap/internal/tooltest"
)

// download GETs a GeoPackage and saves it, checking the download headers.
func download(t *testing.T, rawURL, accept string) (path string, resp *http.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", rawURL, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != mediaGeoPackage {
		t.Errorf("GET %s: Content-Type %q, want %q", rawURL, ct, mediaGeoPackage)
	}
	if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Errorf("GET %s: Content-Length %q for %d bytes", rawURL, cl, len(body))
	}
	if cd := resp.Header.Get("Content-Disposition"); !regexp.MustCompile(`^attachment; filename="labmap-[a-z0-9_]+(-\d{4}-\d\d-\d\d)?\.gpkg"$`).MatchString(cd) {
		t.Errorf("GET %s: Content-Disposition %q", rawURL, cd)
	}
	path = filepath.Join(t.TempDir(), "export.gpkg")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, resp
}

// gpkgRows reads a GeoPackage feature table in fid order, each row by
// column name, with its declared column types.
func gpkgRows(t *testing.T, path, table string) (rows []map[string]any, types map[string]string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	types = map[string]string{}
	tr, err := db.Query("SELECT name, type FROM pragma_table_info(?)", table)
	if err != nil {
		t.Fatal(err)
	}
	for tr.Next() {
		var n, ty string
		if err := tr.Scan(&n, &ty); err != nil {
			t.Fatal(err)
		}
		types[n] = ty
	}
	tr.Close()
	r, err := db.Query(`SELECT * FROM "` + table + `" ORDER BY fid`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cols, _ := r.Columns()
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]any{}
		for i, c := range cols {
			row[c] = vals[i]
		}
		rows = append(rows, row)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return rows, types
}

// sameValue compares a GeoPackage value with the GeoJSON property of the
// same name (absent: the area is suppressed or the figure withheld).
func sameValue(name string, got any, want any, present bool) bool {
	if name == "zones" {
		if !present {
			return true // the GeoJSON of this build does not carry zones yet
		}
		var ids []string
		for _, z := range want.([]any) {
			ids = append(ids, z.(string))
		}
		s, _ := got.(string)
		return s == strings.Join(ids, ";")
	}
	if !present || want == nil {
		return got == nil
	}
	switch w := want.(type) {
	case bool:
		// The driver reads a BOOLEAN column as a bool.
		b, ok := got.(bool)
		return ok && b == w
	case float64:
		switch g := got.(type) {
		case int64:
			return float64(g) == w
		case float64:
			return g == w
		}
		return false
	case string:
		// The driver reads a DATE column as a time.
		if d, ok := got.(time.Time); ok {
			return d.Format(time.DateOnly) == w
		}
		s, ok := got.(string)
		if !ok {
			b, isBytes := got.([]byte)
			s, ok = string(b), isBytes
		}
		return ok && s == w
	}
	return false
}

// gdalType is the OGR field type ogrinfo prints for a property: Real for
// rates, Integer for counts and the resolution, Date for the round.
func gdalType(name string) string {
	switch name {
	case "round":
		return "Date"
	case "suppressed":
		return "Integer(Boolean)"
	case "res":
		return "Integer"
	}
	if i := data.IndicatorIndex(name); i >= 0 {
		switch data.Indicators[i].Kind {
		case data.KindRate:
			return "Real"
		case data.KindCount:
			return "Integer"
		}
	}
	return "String"
}

// TestGeoPackageItems downloads f=gpkg for several queries and checks the
// file against the GeoJSON items of the same query: the same features in the
// same order with the same values, columns typed for QGIS and GDAL, and
// GDAL's own reading of it: the layer, its count (numberMatched), its field
// types and its styles.
func TestGeoPackageItems(t *testing.T) {
	srv, store := demoServer(t)
	rounds, err := store.Rounds(t.Context())
	if err != nil || len(rounds) < 2 {
		t.Fatalf("rounds %v, %v", rounds, err)
	}
	baseline := string(rounds[0].Round)
	ogrinfo := tooltest.Require(t, "ogrinfo", "gdal-bin")
	for _, tc := range []struct {
		name, collection, query string
		accept                  string
		wantStyle               string
	}{
		{"villages", "villages", "", "", "poverty_rate"},
		{"villages by Accept", "villages", "", mediaGeoPackage, "poverty_rate"},
		{"villages filtered at the baseline", "villages", "round=" + baseline + "&filter=" + url.QueryEscape("poverty_rate > 0.1") + "&indicator=lifted_rate", "", "lifted_rate"},
		{"villages by bbox and datetime", "villages", "bbox=109.55,-7.05,109.7,-6.9&datetime=" + baseline + "/" + baseline, "", "poverty_rate"},
		{"districts with some properties", "districts", "properties=code,name,round,suppressed,households,poor,poverty_rate", "", "poverty_rate"},
		{"zones", "zones", "", "", "poverty_rate"},
		{"hexagons r8", "hexagons_r8", "", "", "poverty_rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := srv.URL + "/collections/" + tc.collection + "/items?"
			q := tc.query
			if tc.accept == "" {
				q = strings.TrimPrefix(q+"&f=gpkg", "&")
			}
			path, _ := download(t, items+q, tc.accept)
			jsonQuery := strings.NewReplacer("&indicator=lifted_rate", "").Replace(tc.query)
			fc := getJSON(t, items+strings.TrimPrefix(jsonQuery+"&limit=10000", "&"), http.StatusOK)
			features := fc["features"].([]any)
			matched := int(fc["numberMatched"].(float64))
			if matched != len(features) || matched == 0 {
				t.Fatalf("the GeoJSON has %d of %d features; the test needs all, and some", len(features), matched)
			}

			rows, types := gpkgRows(t, path, tc.collection)
			if len(rows) != matched {
				t.Fatalf("GeoPackage has %d features, GeoJSON numberMatched %d", len(rows), matched)
			}
			suppressed := 0
			for i, f := range features {
				props := f.(map[string]any)["properties"].(map[string]any)
				row := rows[i]
				if props["suppressed"] == true {
					suppressed++
				}
				for name, got := range row {
					if name == "fid" || name == "geom" {
						continue
					}
					want, present := props[name]
					if !sameValue(name, got, want, present) {
						t.Errorf("feature %d (%v): %s = %#v in the GeoPackage, %#v in GeoJSON", i, props["code"], name, got, want)
					}
				}
				for name := range props {
					if _, ok := row[name]; !ok {
						t.Errorf("feature %d: GeoJSON property %s has no column", i, name)
					}
				}
				if g, ok := row["geom"].([]byte); !ok || string(g[:2]) != "GP" {
					t.Errorf("feature %d: geometry is not a GeoPackage blob", i)
				}
			}
			if tc.name == "villages" && suppressed == 0 {
				t.Errorf("no suppressed village: the case checks nothing about nulls")
			}

			// One ogrinfo for both layers' summaries: each run costs GDAL's start-up.
			layers := map[string]string{}
			for _, part := range strings.Split(runTool(t, ogrinfo, "-ro", "-so", "-al", path), "Layer name: ")[1:] {
				name, _, _ := strings.Cut(part, "\n")
				layers[name] = part
			}
			info, styleInfo := layers[tc.collection], layers["layer_styles"]
			if len(layers) != 2 || info == "" || styleInfo == "" {
				t.Fatalf("ogrinfo lists layers %v, want %s and layer_styles", slices.Sorted(maps.Keys(layers)), tc.collection)
			}
			if !strings.Contains(info, fmt.Sprintf("Feature Count: %d\n", matched)) {
				t.Errorf("ogrinfo does not count %d features:\n%s", matched, info)
			}
			if !strings.Contains(info, "Geometry: Multi Polygon") {
				t.Errorf("ogrinfo does not see multipolygons:\n%s", info)
			}
			for name, decl := range types {
				if name == "fid" || name == "geom" {
					continue
				}
				if want := name + ": " + gdalType(name) + " "; !strings.Contains(info, want) {
					t.Errorf("ogrinfo does not say %q (declared %s)", want, decl)
				}
			}
			indicators := 0
			for name := range types {
				if data.IndicatorIndex(name) >= 0 {
					indicators++
				}
			}
			if !strings.Contains(styleInfo, fmt.Sprintf("Feature Count: %d\n", indicators)) {
				t.Errorf("want one style per indicator column (%d):\n%s", indicators, styleInfo)
			}
			styles := runTool(t, ogrinfo, "-ro", path, "layer_styles", "-where", "useAsDefault = 1")
			for _, want := range []string{"Feature Count: 1\n", "f_table_name (String) = " + tc.collection + "\n", "styleName (String) = " + tc.wantStyle + "\n",
				"f_geometry_column (String) = geom\n", "styleQML (String) = <!DOCTYPE qgis", "styleSLD (String) = <?xml"} {
				if !strings.Contains(styles, want) {
					t.Errorf("the default style has no %q:\n%.2000s", want, styles)
				}
			}
		})
	}
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// TestGeoPackageErrors: mistakes are 400s naming the parameter, before any
// file is written.
func TestGeoPackageErrors(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, tc := range []struct{ name, path, want string }{
		{"unknown indicator", "/collections/villages/items?f=gpkg&indicator=nope", "parameter indicator"},
		{"indicator left out by properties", "/collections/villages/items?f=gpkg&properties=code,name&indicator=poverty_rate", "parameter indicator"},
		{"indicator without gpkg", "/collections/villages/items?indicator=poverty_rate", "parameter indicator"},
		{"projected crs", "/collections/villages/items?f=gpkg&crs=" + url.QueryEscape(crsEPSG3857), "parameter crs"},
		{"bad round", "/collections/villages/items?f=gpkg&round=June", "parameter round"},
		{"single feature", "/collections/villages/items/33.26.14.2009?f=gpkg", "parameter f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := getJSON(t, srv.URL+tc.path, http.StatusBadRequest)
			if msg, _ := body["error"].(string); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not name %q", msg, tc.want)
			}
		})
	}
	doc := getJSON(t, srv.URL+"/collections/villages", http.StatusOK)
	found := false
	for _, l := range doc["links"].([]any) {
		l := l.(map[string]any)
		found = found || (l["type"] == mediaGeoPackage && strings.HasSuffix(l["href"].(string), "/collections/villages/items?f=gpkg"))
	}
	if !found {
		t.Errorf("the collection has no GeoPackage link: %v", doc["links"])
	}
}
