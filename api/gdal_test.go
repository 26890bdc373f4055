package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
)

// requireTool fails in CI, where a skipped client test would prove nothing,
// and skips loudly elsewhere.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (scripts/test installs gdal-bin)", name)
		}
		t.Skipf("SKIPPING: %s is not installed (apt-get install gdal-bin, or run scripts/test)", name)
	}
	return p
}

// TestGDALClient reads the API with GDAL's OAPIF driver, the way analysts
// do: ogrinfo must list the collection with its fields and count, and
// ogr2ogr must copy every village and every hexagon of a resolution with
// more than 10,000 features, which takes several pages of rel=next.
func TestGDALClient(t *testing.T) {
	ogrinfo := requireTool(t, "ogrinfo")
	ogr2ogr := requireTool(t, "ogr2ogr")
	ds, err := demo.Generate(demo.Options{Households: 30000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		t.Fatal(err)
	}
	store, err := memory.New(ds, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{}))
	defer srv.Close()
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_VSIL_CURL_ALLOWED_EXTENSIONS=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}

	info := run(ogrinfo, "-ro", "-so", "OAPIF:"+srv.URL+"/", "villages")
	for _, want := range []string{"Feature Count: 285", "poverty_rate: Real", "code: String", "Geometry: Polygon"} {
		if !strings.Contains(info, want) && !(want == "Geometry: Polygon" && strings.Contains(info, "Geometry: Multi Polygon")) {
			t.Errorf("ogrinfo does not say %q:\n%s", want, info)
		}
	}

	hexes, err := store.Stats(t.Context(), data.StatsQuery{Level: data.LevelHexagon, Res: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(hexes) <= 10000 {
		t.Fatalf("the fixture has only %d res-10 hexagons; the test needs more than one 10,000-feature page", len(hexes))
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		collection string
		want       int
	}{{"villages", 285}, {"hexagons_r10", len(hexes)}} {
		out := filepath.Join(dir, tc.collection+".geojson")
		run(ogr2ogr, "-f", "GeoJSON", out, "OAPIF:"+srv.URL+"/", tc.collection)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var fc struct {
			Features []struct {
				Properties map[string]any `json:"properties"`
			} `json:"features"`
		}
		if err := json.Unmarshal(b, &fc); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, f := range fc.Features {
			seen[f.Properties["code"].(string)] = true
		}
		if len(fc.Features) != tc.want || len(seen) != tc.want {
			t.Errorf("ogr2ogr copied %d features (%d distinct) of %s, want %d", len(fc.Features), len(seen), tc.collection, tc.want)
		}
	}
	if m := regexp.MustCompile(`Feature Count: (\d+)`).FindStringSubmatch(info); m != nil {
		if n, _ := strconv.Atoi(m[1]); n != 285 {
			t.Errorf("feature count %d", n)
		}
	}
}
