package postgis_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"labmap/data"

	"github.com/jackc/pgx/v5"
)

// TestImportCleansRealVillages imports the real boundary files and uses
// PostGIS (GEOS) as the independent judge of the cleaned coverage: every
// village valid, no two overlapping, each district dissolved, the file's
// geometry kept for the changed villages; and households without a code in
// the file's overlaps land in the same village in both stores.
func TestImportCleansRealVillages(t *testing.T) {
	for _, file := range []string{"../demo/pekalongan-villages.geojson.gz", "../testdata/kota-pekalongan-villages.geojson.gz"} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			vf := file // gzipped, as boundary files are often shared
			areas, err := data.LoadAreas(ctx, data.Files{Villages: vf}, data.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// A first import with one household, to get the file's
			// overlaps out of PostGIS.
			first := areas.Villages[0].Geometry[0][0][0]
			hf := filepath.Join(dir, "households.csv")
			header := "household_id,round,lon,lat,members,poverty_status,village_code\n"
			row := func(id string, lon, lat float64) string {
				return fmt.Sprintf("%s,2023-03-01,%s,%s,3,poor,\n", id, strconv.FormatFloat(lon, 'f', -1, 64), strconv.FormatFloat(lat, 'f', -1, 64))
			}
			if err := os.WriteFile(hf, []byte(header+row("H0", first[0], first[1])), 0o644); err != nil {
				t.Fatal(err)
			}
			url := migrated(t)
			f := data.Files{Households: hf, Villages: vf}
			importFiles(t, url, f)
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var invalid, sources int
			var overlapM2 float64
			if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE NOT ST_IsValid(geom)), count(source_geom) FROM villages`).Scan(&invalid, &sources); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRow(ctx, `SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0)
				FROM villages a JOIN villages b ON a.code < b.code AND ST_Intersects(a.geom, b.geom)`).Scan(&overlapM2); err != nil {
				t.Fatal(err)
			}
			if invalid > 0 || overlapM2 > 1 {
				t.Errorf("%d villages invalid by ST_IsValid; villages overlap by %.3f m² in all", invalid, overlapM2)
			}
			if sources != len(areas.Coverage.Changed) || sources == 0 {
				t.Errorf("%d villages keep source_geom, %d changed", sources, len(areas.Coverage.Changed))
			}
			rows, err := conn.Query(ctx, `SELECT d.code, ST_IsValid(d.geom), ST_NumGeometries(d.geom), ST_NumGeometries(ST_Union(v.geom))
				FROM districts d JOIN villages v ON v.district_code = d.code GROUP BY d.code, d.geom ORDER BY d.code`)
			if err != nil {
				t.Fatal(err)
			}
			var code string
			var valid bool
			var got, want, districts int
			if _, err := pgx.ForEachRow(rows, []any{&code, &valid, &got, &want}, func() error {
				districts++
				if !valid || got != want {
					t.Errorf("district %s: valid %v, %d polygons, the union of its villages has %d", code, valid, got, want)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if districts != len(areas.Districts) {
				t.Errorf("%d districts checked, want %d", districts, len(areas.Districts))
			}

			// Households in the file's overlaps, without a village code.
			rows, err = conn.Query(ctx, `SELECT ST_X(p), ST_Y(p) FROM (
				SELECT ST_PointOnSurface(ST_Intersection(coalesce(a.source_geom, a.geom), coalesce(b.source_geom, b.geom))) p
				FROM villages a JOIN villages b ON a.code < b.code
				WHERE ST_Relate(coalesce(a.source_geom, a.geom), coalesce(b.source_geom, b.geom), '2********')) x
				WHERE NOT ST_IsEmpty(p) ORDER BY 1, 2`)
			if err != nil {
				t.Fatal(err)
			}
			var lon, lat float64
			var b strings.Builder
			b.WriteString(header)
			n := 0
			if _, err := pgx.ForEachRow(rows, []any{&lon, &lat}, func() error {
				n++
				b.WriteString(row(fmt.Sprintf("O%d", n), lon, lat))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if n < 30 {
				t.Fatalf("%d points in overlaps; the file should have more", n)
			}
			if err := os.WriteFile(hf, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			importFiles(t, url, f)
			ds, err := data.LoadFiles(ctx, f, data.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			wantCode := map[string]string{}
			for _, h := range ds.Households {
				wantCode[h.ID] = h.VillageCode
			}
			rows, err = conn.Query(ctx, `SELECT household_id, village_code FROM households`)
			if err != nil {
				t.Fatal(err)
			}
			var id string
			joined := 0
			if _, err := pgx.ForEachRow(rows, []any{&id, &code}, func() error {
				joined++
				if wantCode[id] != code || code == "" {
					t.Errorf("household %s: PostGIS put it in %q, memory in %q", id, code, wantCode[id])
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if joined != n {
				t.Errorf("%d households joined, want %d", joined, n)
			}
		})
	}
}
