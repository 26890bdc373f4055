package postgis_test

import (
	"bytes"
	"context"
	"testing"

	"labmap/data/postgis"
	"labmap/data/postgis/pgtest"

	"github.com/jackc/pgx/v5"
)

// TestMigrateToPartitions moves a database at schema 5, holding the demo
// dataset, to the partitioned layout: every household row survives, each in
// its province's partition, and the rebuilt aggregates equal those of a
// database that imported the same files at the latest schema.
func TestMigrateToPartitions(t *testing.T) {
	ctx := context.Background()
	ref := migrated(t)
	importFiles(t, ref, files(t))
	old := pgtest.NewDatabase(t)
	if _, err := postgis.MigrateTo(ctx, old, quiet, 5); err != nil {
		t.Fatal(err)
	}
	src, err := pgx.Connect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(ctx)
	dst, err := pgx.Connect(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close(ctx)
	// The schema-5 database gets the rows the reference holds, column by
	// column as schema 5 has them.
	for _, table := range []string{"districts", "villages", "zones", "zone_villages", "households", "h3_cells"} {
		var cols string
		if err := dst.QueryRow(ctx, `SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, table).Scan(&cols); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := src.PgConn().CopyTo(ctx, &buf, "COPY (SELECT "+cols+" FROM "+table+") TO STDOUT"); err != nil {
			t.Fatalf("copy %s out: %v", table, err)
		}
		if _, err := dst.PgConn().CopyFrom(ctx, &buf, "COPY "+table+" ("+cols+") FROM STDIN"); err != nil {
			t.Fatalf("copy %s in: %v", table, err)
		}
	}
	var version, households int64
	var code, nameID, nameEN, source string
	var synthetic bool
	if err := src.QueryRow(ctx, `SELECT version, households, region_code, region_name_id, region_name_en, region_synthetic, region_source FROM dataset_state`).
		Scan(&version, &households, &code, &nameID, &nameEN, &synthetic, &source); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Exec(ctx, `UPDATE dataset_state SET version = $1, households = $2, region_code = $3, region_name_id = $4,
		region_name_en = $5, region_synthetic = $6, region_source = $7`, version, households, code, nameID, nameEN, synthetic, source); err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{
		"households": `SELECT md5(string_agg((to_jsonb(h) - 'province')::text, '|' ORDER BY round, household_id)) || ' ' || count(*) FROM households h`,
	}
	before := digests(t, old, rows)
	if applied, err := postgis.Migrate(ctx, old, quiet); err != nil || len(applied) == 0 || applied[0] != 6 {
		t.Fatalf("migrate from schema 5 applied %v: %v", applied, err)
	}
	sameDigests(t, "households after migration 6", digests(t, old, rows), before)
	var misplaced int
	if err := dst.QueryRow(ctx, `SELECT count(*) FROM households WHERE province <> split_part(village_code, '.', 1)
		OR tableoid::regclass::text <> 'households_p' || province || '_r' || to_char(round, 'YYYYMMDD')`).Scan(&misplaced); err != nil || misplaced != 0 {
		t.Fatalf("%d households outside their province and round partition (err %v)", misplaced, err)
	}
	sameDigests(t, "aggregates after migration 6", aggDigests(t, old), aggDigests(t, ref))
}
