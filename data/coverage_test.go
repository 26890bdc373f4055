package data

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labmap/geo"
)

func TestLoadCleansRealVillages(t *testing.T) {
	tests := []struct {
		file        string
		minOverlaps int
	}{
		{"demo/pekalongan-villages.geojson.gz", 500},
		{"testdata/kota-pekalongan-villages.geojson.gz", 35},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			ds, err := LoadAreas(context.Background(), Files{Villages: tc.file}, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rep := ds.Coverage
			if len(rep.Overlaps) < tc.minOverlaps || len(rep.Changed) == 0 {
				t.Fatalf("report: %d overlaps, %d changed; want at least %d overlaps", len(rep.Overlaps), len(rep.Changed), tc.minOverlaps)
			}
			withSource := 0
			for _, v := range ds.Villages {
				if v.Source != nil {
					withSource++
				}
				for _, p := range v.Geometry {
					if err := geo.ValidatePolygon(p); err != nil {
						t.Errorf("village %s: %v", v.Code, err)
					}
				}
			}
			if withSource != len(rep.Changed) {
				t.Errorf("%d villages keep their source, %d changed", withSource, len(rep.Changed))
			}
			for _, d := range ds.Districts {
				if len(d.Geometry) == 0 {
					t.Errorf("district %s has no outline", d.Code)
				}
				for _, p := range d.Geometry {
					if err := geo.ValidatePolygon(p); err != nil {
						t.Errorf("district %s: %v", d.Code, err)
					}
				}
			}
		})
	}
}

func TestLoadRepairsAndChecksDistance(t *testing.T) {
	dir := t.TempDir()
	// A: a 0.01° square with a nested shell (invalid); B overlaps A by a
	// 0.001° strip.
	villages := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"33.26.14.2009","name":"Kertijayan"},"geometry":{"type":"MultiPolygon","coordinates":[
 [[[109.6,-6.9],[109.61,-6.9],[109.61,-6.89],[109.6,-6.89],[109.6,-6.9]]],
 [[[109.602,-6.898],[109.604,-6.898],[109.604,-6.896],[109.602,-6.896],[109.602,-6.898]]]]}},
{"type":"Feature","properties":{"code":"33.26.14.2010","name":"Simbang Kulon"},"geometry":{"type":"Polygon","coordinates":[
 [[109.609,-6.9],[109.62,-6.9],[109.62,-6.89],[109.609,-6.89],[109.609,-6.9]]]}}]}`
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	vf := write("villages.geojson", villages)
	header := "household_id,round,lon,lat,members,poverty_status,village_code\n"
	tests := []struct {
		name string
		rows string
		want string // error; "" for none
	}{
		{"inside", "H1,2023-03-01,109.605,-6.895,3,poor,33.26.14.2009\n", ""},
		// 0.008° east of A's edge at 109.61 is about 0.88 km.
		{"just outside", "H1,2023-03-01,109.618,-6.895,3,poor,33.26.14.2009\n", ""},
		{"far outside", "H1,2023-03-01,109.6,-6.9,3,poor,33.26.14.2009\nH2,2023-03-01,109.64,-6.895,3,poor,33.26.14.2009\n",
			"line 3, fields lon/lat: (109.64, -6.895) lies 3.3 km outside village 33.26.14.2009 (Kertijayan); check the coordinates or the village_code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hf := write("households.csv", header+tc.rows)
			ds, err := LoadFiles(context.Background(), Files{Households: hf, Villages: vf}, ReadOptions{})
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rep := ds.Coverage
			if len(rep.Repairs) != 1 || rep.Repairs[0].Key != "33.26.14.2009" || !strings.HasPrefix(rep.Repairs[0].Reason, "Nested shells") {
				t.Errorf("repairs %+v, want the nested shells of 33.26.14.2009", rep.Repairs)
			}
			if len(rep.Overlaps) != 1 || rep.Overlaps[0].A != "33.26.14.2009" || rep.Overlaps[0].B != "33.26.14.2010" {
				t.Errorf("overlaps %+v, want 33.26.14.2009/33.26.14.2010", rep.Overlaps)
			}
			if ds.Villages[0].Source == nil || len(ds.Villages[0].Source) != 2 || len(ds.Villages[0].Geometry) != 1 {
				t.Errorf("village A: source %v, geometry %v; want the file's two shells kept and one polygon", ds.Villages[0].Source, ds.Villages[0].Geometry)
			}
			var b strings.Builder
			if err := WriteCoverage(&b, "villages.geojson", ds); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"1 repaired, 1 overlaps", "33.26.14.2009 (Kertijayan): Nested shells",
				"33.26.14.2009 (Kertijayan) / 33.26.14.2010 (Simbang Kulon): "} {
				if !strings.Contains(b.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, b.String())
				}
			}
		})
	}
}
