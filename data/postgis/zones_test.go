package postgis_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/memory"
	"labmap/data/postgis"
	"labmap/tiles"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"
)

// zoneCellCounts recomputes, from the household rows and h3-go directly,
// the households of a zone's villages per round, resolution and cell.
func zoneCellCounts(ds data.Dataset, zone data.Zone) map[string]int {
	out := map[string]int{}
	for _, h := range ds.Households {
		if !slices.Contains(zone.VillageCodes, h.VillageCode) {
			continue
		}
		for res := 6; res <= 10; res++ {
			cell := h3.LatLngToCell(h3.LatLng{Lat: h.Loc[1], Lng: h.Loc[0]}, res)
			out[fmt.Sprintf("%s/%d/%s", h.Round, res, cell)]++
		}
	}
	return out
}

// TestZoneHexagons checks PostGIS's hexagons of each zone against a
// recomputation from the household rows, and both stores' tiles and OGC API
// items of zone hexagons byte for byte (TestDifferential compares
// /api/stats for every zone, round and resolution).
func TestZoneHexagons(t *testing.T) {
	ctx := context.Background()
	mem, pg, memAPI, pgAPI := bothStores(t)
	ds, err := data.LoadFiles(ctx, files(t), data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rounds, err := pg.Rounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range ds.Zones {
		want := zoneCellCounts(ds, z)
		for _, ri := range rounds {
			for res := 6; res <= 10; res++ {
				// The analyst's view lists every cell with the zone's
				// households, with its count: the membership check.
				got, err := pg.Stats(ctx, data.StatsQuery{Level: data.LevelHexagon, Res: res, Round: ri.Round, Zone: z.ID, Unsuppressed: true})
				if err != nil {
					t.Fatal(err)
				}
				// The public lists only published cells, at their counts.
				pub, err := pg.Stats(ctx, data.StatsQuery{Level: data.LevelHexagon, Res: res, Round: ri.Round, Zone: z.ID})
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range pub {
					if n := want[fmt.Sprintf("%s/%d/%s", ri.Round, res, a.Code)]; a.Suppressed || n < data.DefaultMinHouseholds || a.Households != n {
						t.Errorf("%s %s res %d: public hexagon %s shows %d households (suppressed %v); the zone has %d there",
							z.ID, ri.Round, res, a.Code, a.Households, a.Suppressed, n)
					}
				}
				if z.ID == "coastal-mulyorejo" && len(got) == 0 {
					t.Errorf("%s %s res %d: the coastal lab has no hexagons", z.ID, ri.Round, res)
				}
				cells := 0
				for key := range want {
					if strings.HasPrefix(key, fmt.Sprintf("%s/%d/", ri.Round, res)) {
						cells++
					}
				}
				if len(got) != cells {
					t.Errorf("%s %s res %d: %d hexagons, the zone's households fill %d cells", z.ID, ri.Round, res, len(got), cells)
				}
				for _, a := range got {
					n := want[fmt.Sprintf("%s/%d/%s", ri.Round, res, a.Code)]
					if n == 0 || a.Suppressed || a.Households != n {
						t.Errorf("%s %s res %d: hexagon %s shows %d households (suppressed %v); the zone has %d there",
							z.ID, ri.Round, res, a.Code, a.Households, a.Suppressed, n)
					}
				}
			}
		}
	}

	// Tiles of one zone: hexagons at every zoom's resolution, the same bytes.
	compared := 0
	for _, z := range ds.Zones {
		c, _ := planar.CentroidArea(z.Geometry)
		for zoom := 8; zoom <= 14; zoom++ {
			tile := maptile.At(c, maptile.Zoom(zoom))
			r := tiles.Request{Layers: tiles.Layers, Z: zoom, X: int(tile.X), Y: int(tile.Y), Zone: z.ID}
			a, err := tiles.Render(ctx, mem, r)
			if err != nil {
				t.Fatal(err)
			}
			b, err := tiles.Render(ctx, pg, r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("tile %d/%d/%d zone %s differs between the stores", zoom, tile.X, tile.Y, z.ID)
			}
			compared++
		}
	}
	if compared == 0 {
		t.Fatal("no zone tiles compared")
	}

	q := url.QueryEscape
	stamp := regexp.MustCompile(`"timeStamp":"[^"]*"`)
	cell := regexp.MustCompile(`8[0-9a-f]{14}`)
	for _, tc := range []struct {
		path string
		some bool // at least one hexagon is expected
	}{
		{"/collections/hexagons_r6/items?zone=coastal-mulyorejo", true},
		{"/collections/hexagons_r7/items?zone=coastal-mulyorejo&round=2017-12-01&sortby=-households", true},
		{"/collections/hexagons_r8/items?zone=coastal-mulyorejo&f=csv", true},
		{"/collections/hexagons_r7/items?zone=forest-botosari&filter=" + q("code LIKE '8%' AND suppressed = FALSE"), true},
		{"/collections/hexagons_r9/items?zone=forest-botosari&filter=" + q("suppressed = TRUE"), false},
		{"/collections/hexagons_r8/items?limit=2&offset=1&zone=coastal-mulyorejo", true},
		{"/collections/hexagons_r6/items?sortby=zone,code&filter=" + q("zone IS NOT NULL"), true},
		{"/collections/hexagons_r8/items?filter=" + q("zone = 'coastal-mulyorejo'"), true},
		{"/collections/hexagons_r8/items?zone=coastal-mulyorejo&filter=" + q("zone <> 'coastal-mulyorejo'"), false},
	} {
		a := stamp.ReplaceAll(bytes.ReplaceAll(get(t, memAPI.URL+tc.path), []byte(memAPI.URL), nil), nil)
		b := stamp.ReplaceAll(bytes.ReplaceAll(get(t, pgAPI.URL+tc.path), []byte(pgAPI.URL), nil), nil)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: bodies differ:\n memory  %.300s\n postgis %.300s", tc.path, a, b)
		}
		if tc.some && !cell.Match(a) {
			t.Errorf("%s: no hexagon served: %.300s", tc.path, a)
		}
	}
}

// zoneState is what an import may keep or change of the zones: their
// identity, villages, outlines and figures, as the store serves them.
func zoneState(t *testing.T, pg *postgis.Store) string {
	t.Helper()
	ctx := context.Background()
	zones, err := pg.Zones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, z := range zones {
		fmt.Fprintf(&b, "%s %s %s %v %v\n", z.ID, z.Name, z.Kind, z.VillageCodes, z.Geometry)
	}
	for _, q := range []data.StatsQuery{{Level: data.LevelZone}, {Level: data.LevelHexagon, Res: 7, Zone: "coastal-mulyorejo"}} {
		if len(zones) == 0 && q.Zone != "" {
			continue
		}
		rows, err := pg.Stats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%+v\n", rows)
	}
	return b.String()
}

// writeGeoJSON writes a file with fn into the test's directory.
func writeGeoJSON(t *testing.T, name string, fn func(w io.Writer) error) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	var buf bytes.Buffer
	if err := fn(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImportKeepsZones: an import without --zones keeps the zones, without
// --districts the district names; --clear-zones removes the zones; a zone
// whose villages the new villages file lacks refuses the import and leaves
// the database unchanged.
func TestImportKeepsZones(t *testing.T) {
	ctx := context.Background()
	url := migrated(t)
	f := files(t)
	importFiles(t, url, f)
	pg := openStore(t, url)
	withZones := zoneState(t, pg)
	districts := func() []data.AreaStats {
		rows, err := pg.Stats(ctx, data.StatsQuery{Level: data.LevelDistrict})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	named := districts()
	if len(named) == 0 || named[0].Name == named[0].Code {
		t.Fatalf("the districts file should name the districts: %+v", named[:1])
	}

	noAreas := f
	noAreas.Zones, noAreas.Districts = "", ""
	importFiles(t, url, noAreas)
	if got := zoneState(t, pg); got != withZones {
		t.Fatalf("an import without --zones changed the zones:\nbefore %.400s\nafter  %.400s", withZones, got)
	}
	if got := districts(); !reflect.DeepEqual(got, named) {
		t.Errorf("an import without --districts lost the district names: %+v", got[:1])
	}

	// A zone whose village is gone: refused, naming the zone, the code and the flags.
	const gone = "33.26.15.2014"
	areas, err := data.LoadAreas(ctx, f, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fewer := slices.DeleteFunc(slices.Clone(areas.Villages), func(v data.Village) bool { return v.Code == gone })
	variant := writeVariant(t, noAreas, func(ls []string) []string {
		return slices.DeleteFunc(ls, func(l string) bool { return strings.Contains(l, ","+gone+",") || strings.HasSuffix(l, ","+gone) })
	})
	variant.Villages = writeGeoJSON(t, "villages.geojson", func(w io.Writer) error { return data.WriteVillages(w, fewer) })
	before := snapshot(t, url)
	_, err = postgis.Import(ctx, url, variant, postgis.ImportOptions{Log: quiet})
	for _, m := range []string{"zone coastal-mulyorejo: " + gone, variant.Villages, "--zones", "--clear-zones"} {
		if err == nil || !strings.Contains(err.Error(), m) {
			t.Errorf("import without a zone's village: error %v, want it to mention %q", err, m)
		}
	}
	if after := snapshot(t, url); after != before {
		t.Fatal("a refused import changed the database")
	}
	if got := zoneState(t, pg); got != withZones {
		t.Fatal("a refused import changed the zones")
	}

	// Both flags at once contradict each other.
	if _, err := postgis.Import(ctx, url, f, postgis.ImportOptions{Log: quiet, ClearZones: true}); err == nil || !strings.Contains(err.Error(), "--clear-zones") {
		t.Errorf("--clear-zones with --zones: %v", err)
	}

	// --clear-zones: the same import goes through without zones.
	if _, err := postgis.Import(ctx, url, variant, postgis.ImportOptions{Log: quiet, ClearZones: true}); err != nil {
		t.Fatal(err)
	}
	if zones, err := pg.Zones(ctx); err != nil || len(zones) != 0 {
		t.Fatalf("after --clear-zones: %d zones (err %v)", len(zones), err)
	}
	if _, err := pg.Stats(ctx, data.StatsQuery{Level: data.LevelHexagon, Res: 8, Zone: "coastal-mulyorejo"}); err == nil {
		t.Error("a cleared zone still answers")
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM hexagon_zones) + (SELECT count(*) FROM agg_zones)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("after --clear-zones the zone aggregates hold %d rows (err %v)", n, err)
	}
}

// TestKeptZoneOutlineFollowsVillages: a zone given as a village list is
// drawn with its villages' polygons; kept across an import with new village
// polygons, it is drawn with the new ones, as loading both files would.
func TestKeptZoneOutlineFollowsVillages(t *testing.T) {
	ctx := context.Background()
	url := migrated(t)
	f := files(t)
	areas, err := data.LoadAreas(ctx, f, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lists := make([]data.Zone, len(areas.Zones))
	for i, z := range areas.Zones {
		lists[i] = data.Zone{ID: z.ID, Name: z.Name, Kind: z.Kind, VillageCodes: z.VillageCodes}
	}
	listed := f
	listed.Zones = writeGeoJSON(t, "zones.geojson", func(w io.Writer) error { return data.WriteZones(w, lists) })
	importFiles(t, url, listed)

	// New polygons for the zones' villages: each moved by a hair's breadth
	// (about 1 cm), so households stay where they are.
	inZone := map[string]bool{}
	for _, z := range lists {
		for _, c := range z.VillageCodes {
			inZone[c] = true
		}
	}
	moved := slices.Clone(areas.Villages)
	for i := range moved {
		if !inZone[moved[i].Code] {
			continue
		}
		g := moved[i].Geometry.Clone()
		for _, p := range g {
			for _, r := range p {
				for k := range r {
					r[k][0] += 1e-7
				}
			}
		}
		moved[i].Geometry = g
	}
	next := f
	next.Zones = ""
	next.Villages = writeGeoJSON(t, "villages.geojson", func(w io.Writer) error { return data.WriteVillages(w, moved) })
	importFiles(t, url, next)
	pg := openStore(t, url)
	got, err := pg.Zones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	both := next
	both.Zones = listed.Zones
	ds, err := data.LoadFiles(ctx, both, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mem, err := memory.New(ds, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := mem.Zones(ctx)
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("%d zones kept, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("kept zone %s: outline or villages differ from loading the zones with the new villages", want[i].ID)
		}
		if reflect.DeepEqual(got[i].Geometry, areas.Zones[i].Geometry) {
			t.Errorf("kept zone %s still has its old outline", want[i].ID)
		}
	}
}

// TestRegionStored: the import stores the region (given, or derived from
// the village codes), Status returns it, the regency row and the districts'
// parent carry it, and a re-import that names none keeps the stored name.
func TestRegionStored(t *testing.T) {
	ctx := context.Background()
	url := migrated(t)
	f := files(t)
	pg := openStore(t, url)
	check := func(step string, want data.Region) {
		t.Helper()
		st, err := pg.Status(ctx)
		if err != nil || st.Region != want {
			t.Errorf("%s: Status().Region = %+v (err %v), want %+v", step, st.Region, err, want)
		}
		reg, err := pg.Stats(ctx, data.StatsQuery{Level: data.LevelRegency})
		if err != nil || len(reg) != 1 || reg[0].Code != want.Code || reg[0].Name != want.Name.ID {
			t.Errorf("%s: regency rows %+v (err %v), want %s %q", step, reg, err, want.Code, want.Name.ID)
		}
		ds, err := pg.Stats(ctx, data.StatsQuery{Level: data.LevelDistrict})
		if err != nil || len(ds) == 0 || ds[0].Parent != want.Code {
			t.Errorf("%s: district parent %+v (err %v), want %s", step, ds[:min(len(ds), 1)], err, want.Code)
		}
	}
	importFiles(t, url, f)
	check("derived", data.Region{Code: "33.26", Name: data.Text{ID: "Wilayah 33.26", EN: "Region 33.26"}})

	named := data.Region{Name: data.Text{ID: "Kabupaten Pekalongan", EN: "Pekalongan Regency"}, Synthetic: true, Source: "cahyadsn/wilayah_boundaries (MIT)"}
	if _, err := postgis.Import(ctx, url, f, postgis.ImportOptions{Log: quiet, Region: named}); err != nil {
		t.Fatal(err)
	}
	named.Code = "33.26"
	check("named", named)

	importFiles(t, url, f)
	named.Synthetic = false // a flag the import must state each time
	check("re-imported without a name", named)
}

// TestMigrateNamesOldRegion upgrades a database imported before the region
// was stored: the migration derives the code from the villages, keeps the
// name every dataset had then, and the aggregates are rebuilt with it.
func TestMigrateNamesOldRegion(t *testing.T) {
	ctx := context.Background()
	url := migrated(t)
	importFiles(t, url, files(t))
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Back to schema 2: what migrations 3 and 7 add is not there.
	if _, err := conn.Exec(ctx, `DELETE FROM schema_migrations WHERE version IN (3, 7);
		ALTER TABLE dataset_state DROP COLUMN region_code, DROP COLUMN region_name_id, DROP COLUMN region_name_en,
			DROP COLUMN region_synthetic, DROP COLUMN region_source;
		ALTER TABLE zones DROP COLUMN outline_from_villages;
		DROP TABLE regencies, provinces, agg_regencies, agg_provinces`); err != nil {
		t.Fatal(err)
	}
	applied, err := postgis.Migrate(ctx, url, quiet)
	if err != nil || !slices.Equal(applied, []int{3, 7}) {
		t.Fatalf("migrate applied %v (err %v), want [3 7]", applied, err)
	}
	pg := openStore(t, url)
	st, err := pg.Status(ctx)
	want := data.Region{Code: "33.26", Name: data.Text{ID: "Kabupaten Pekalongan", EN: "Pekalongan Regency"}}
	if err != nil || st.Region != want {
		t.Errorf("Status().Region = %+v (err %v), want %+v", st.Region, err, want)
	}
	reg, err := pg.Stats(ctx, data.StatsQuery{Level: data.LevelRegency})
	if err != nil || len(reg) != 1 || reg[0].Code != "33.26" || reg[0].Name != "Kabupaten Pekalongan" {
		t.Errorf("regency rows after the upgrade: %+v (err %v)", reg, err)
	}
}
