package postgis_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/postgis"

	"github.com/paulmach/orb"
)

// TestRemoveRegion removes regency B from a database of A and B. The
// oracle is a database into which A alone was imported: every aggregate
// table, the regencies and provinces, the region and the household count
// must be the same. A's own rows stay physically untouched, the change log
// covers B's area and not A's far corner, and a removal of a region the
// database does not hold, or of no region, fails naming it.
func TestRemoveRegion(t *testing.T) {
	t.Parallel() // its own database: it runs beside the others while they wait on PostgreSQL
	ctx := context.Background()
	a, b := splitRegencies(t)
	both := migrated(t)
	importFiles(t, both, a)
	importFiles(t, both, b)
	onlyA := migrated(t)
	want := importFiles(t, onlyA, a)

	aRows := map[string]string{
		"households":   `SELECT md5(string_agg(h::text || h.xmin::text, '|' ORDER BY round, household_id)) FROM households h WHERE village_code LIKE '33.26.%'`,
		"villages":     `SELECT md5(string_agg(v::text || v.xmin::text, '|' ORDER BY code)) FROM villages v WHERE code LIKE '33.26.%'`,
		"agg_villages": `SELECT md5(string_agg(a::text || a.xmin::text, '|' ORDER BY round, code)) FROM agg_villages a WHERE code LIKE '33.26.%'`,
	}
	before := digests(t, both, aRows)
	bBox := villagesBox(t, both, "33.27.")

	log := &strings.Builder{}
	res, err := postgis.RemoveRegion(ctx, both, "33.27", postgis.ImportOptions{Log: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "aggregates of the region refreshed") {
		t.Errorf("the removal rebuilt every aggregate:\n%s", log)
	}
	if res.Households != want.Households {
		t.Errorf("%d households after the removal, want %d as with A alone", res.Households, want.Households)
	}
	sameDigests(t, "A and B less B vs A alone", aggDigests(t, both), aggDigests(t, onlyA))
	admin := map[string]string{
		"regencies": `SELECT md5(string_agg(code || name_id || name_en || households || ST_AsText(geom), '|' ORDER BY code)) FROM regencies`,
		"provinces": `SELECT md5(string_agg(code || name_id || name_en || ST_AsText(geom), '|' ORDER BY code)) FROM provinces`,
		"region":    `SELECT region_code || '|' || region_name_id || '|' || region_name_en || '|' || households FROM dataset_state`,
		"rows":      `SELECT count(*)::text FROM households`,
		"areas":     `SELECT (SELECT count(*) FROM villages) || ' ' || (SELECT count(*) FROM districts) || ' ' || (SELECT count(*) FROM zones)`,
	}
	sameDigests(t, "A and B less B vs A alone", digests(t, both, admin), digests(t, onlyA, admin))
	sameDigests(t, "A's rows", digests(t, both, aRows), before)

	store := openStore(t, both)
	c, err := store.Changes(ctx, res.DatasetVersion-1, res.DatasetVersion)
	if err != nil {
		t.Fatal(err)
	}
	if c.Everything || !c.Touches(data.LevelVillage, 0, orb.Bound{Min: bBox.Center(), Max: bBox.Center()}) {
		t.Errorf("the change log of the removal: everything %v, B's centre touched %v; want false, true",
			c.Everything, c.Touches(data.LevelVillage, 0, orb.Bound{Min: bBox.Center(), Max: bBox.Center()}))
	}

	for _, tc := range []struct{ code, want string }{
		{"33.27", "holds no village there"},
		{"", "not a province, regency or district code"},
		{"33.2x", "not a province, regency or district code"},
	} {
		_, err := postgis.RemoveRegion(ctx, both, tc.code, postgis.ImportOptions{Log: quiet})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.code) {
			t.Errorf("remove %q: error %v, want one naming it and saying %q", tc.code, err, tc.want)
		}
	}
}
