package postgis

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"labmap/geo"

	"github.com/jackc/pgx/v5"
	"github.com/uber/h3-go/v4"
)

// Aggregate layout since schema 6. agg_villages, agg_village_causes and
// agg_districts are partitioned by province, so an import of one region
// rewrites rows in its own province's partitions only. The hexagon tables
// (agg_hexagons, hexagon_zones) are not: an H3 cell straddles regency and
// province borders, so a cell's row is the sum of households of several
// regions and belongs to no one province. agg_zones and the roll-ups are a
// few rows each. Districts, zones and the roll-ups are sums of village rows
// and per-village cause counts: the full rebuild and an import of one region
// compute them the same way, from village rows, never from households.

// roundsList lists the rounds that hold households without scanning them.
const roundsList = "labmap_rounds() r(round)"

// villageLevel is the village level of the areas matching where (over
// villages v; $1 may name the scope), from base sums grouped by village
// (agg_base rows with res NULL, or an import's inc_base).
func villageLevel(base, causes, where string) aggLevel {
	return aggLevel{
		table: "agg_villages", base: base, causes: causes, from: "%s b", filter: "b.res IS NULL", key: "b.village_code",
		areas: "SELECT r.round, v.code AS key, v.name, v.district_code, v.ord, v.geom FROM " + roundsList + " CROSS JOIN villages v WHERE " + where,
		cols:  "x.round, x.key AS code, x.name, x.district_code, x.ord, x.geom, labmap_province(x.key) AS province",
	}
}

// villageCausesSQL selects the per-village counts of causes of poverty from
// the cause counts causes, for villages matching where (over b.village_code).
func villageCausesSQL(causes, where string) string {
	return `SELECT labmap_province(b.village_code) AS province, b.round, b.village_code AS code, b.cause, b.n::bigint AS n
FROM ` + causes + ` b WHERE b.res IS NULL AND ` + where
}

// districtLevel sums the village rows of villages and their cause counts
// per district, for the districts matching where (over districts d).
func districtLevel(villages, causes, where string) aggLevel {
	return aggLevel{
		table: "agg_districts", base: villages, causes: causes, from: "%s b JOIN villages v ON v.code = b.code", filter: "true", key: "v.district_code",
		areas: "SELECT r.round, d.code AS key, d.name, d.ord, d.geom FROM " + roundsList + " CROSS JOIN districts d WHERE " + where,
		cols:  "x.round, x.key AS code, x.name, x.ord, x.geom, labmap_province(x.key) AS province",
	}
}

// zoneLevel sums the village rows per zone, for the zones matching where
// (over zones z).
func zoneLevel(villages, causes, where string) aggLevel {
	return aggLevel{
		table: "agg_zones", base: villages, causes: causes, from: "%s b JOIN zone_villages zv ON zv.village_code = b.code", filter: "true", key: "zv.zone_id",
		areas: "SELECT r.round, z.id AS key, z.name, z.kind, z.ord, z.geom FROM " + roundsList + " CROSS JOIN zones z WHERE " + where,
		cols:  "x.round, x.key AS code, x.name, x.kind, x.ord, x.geom",
	}
}

// Index DDL of the village-based tables (%[1]s is the table). A primary key
// of a partitioned table must hold the partition key.
const (
	areaIndexes = `CREATE INDEX %[1]s_geom_idx ON %[1]s USING gist (geom)` + codeOrder
	provinceKey = `ALTER TABLE %[1]s ADD PRIMARY KEY (province, round, code); ` + areaIndexes
	causesKey   = `ALTER TABLE %[1]s ADD PRIMARY KEY (province, round, code, cause)`
	zonesKey    = `ALTER TABLE %[1]s ADD PRIMARY KEY (round, code); ` + areaIndexes
)

// execFunc runs one step of an aggregation, naming it in errors and logs.
type execFunc func(what, sql string, args ...any) error

func stepper(ctx context.Context, tx pgx.Tx, log *slog.Logger) execFunc {
	return func(what, sql string, args ...any) error {
		t := time.Now()
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		log.Debug("aggregate step", "step", what, "took", time.Since(t).Round(time.Millisecond))
		return nil
	}
}

// buildPartitioned builds table_next, partitioned by province, from query,
// for the full rebuild. CREATE TABLE AS cannot make a partitioned table, so
// the rows go through a temporary table whose columns the new one copies.
func buildPartitioned(exec execFunc, table, query, index string) error {
	next, build := table+"_next", table+"_build"
	return runAll(exec,
		step{"drop " + next, "DROP TABLE IF EXISTS " + next},
		step{"build " + next, "CREATE TEMP TABLE " + build + " ON COMMIT DROP AS " + query},
		step{"create " + next, "CREATE TABLE " + next + " (LIKE " + build + ") PARTITION BY LIST (province)"},
		step{"partition " + next, "SELECT labmap_province_partition('" + next + "', province) FROM (SELECT DISTINCT province FROM " + build + ") x"},
		step{"fill " + next, "INSERT INTO " + next + " SELECT * FROM " + build},
		step{"index " + next, fmt.Sprintf(index, next)},
	)
}

type step struct{ what, sql string }

func runAll(exec execFunc, steps ...step) error {
	for _, s := range steps {
		if err := exec(s.what, s.sql); err != nil {
			return err
		}
	}
	return nil
}

// swapTable puts table_next in the place of table, partitions and indexes
// renamed with it, so the next rebuild finds the _next names free.
func swapTable(ctx context.Context, tx pgx.Tx, exec execFunc, t string) error {
	if err := exec("swap "+t, fmt.Sprintf(`DROP TABLE IF EXISTS %[1]s; ALTER TABLE %[1]s_next RENAME TO %[1]s`, t)); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT c.relname, c.relkind::text FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
		AND c.relkind IN ('r', 'p', 'i', 'I') AND starts_with(c.relname, $1) ORDER BY c.relkind DESC, c.relname`, t+"_next_")
	if err != nil {
		return fmt.Errorf("swap %s: %w", t, err)
	}
	type rel struct{ name, kind string }
	names, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rel, error) {
		var x rel
		err := r.Scan(&x.name, &x.kind)
		return x, err
	})
	if err != nil {
		return fmt.Errorf("swap %s: %w", t, err)
	}
	for _, n := range names {
		to := t + "_" + n.name[len(t+"_next_"):]
		kind := "TABLE"
		if n.kind == "i" || n.kind == "I" {
			kind = "INDEX"
		}
		if err := exec("rename "+n.name, fmt.Sprintf("ALTER %s %s RENAME TO %s", kind, pgx.Identifier{n.name}.Sanitize(), pgx.Identifier{to}.Sanitize())); err != nil {
			return err
		}
	}
	return nil
}

// scopeHouseholds is the households of the scope's villages ($1 the
// province, $2 the village codes) with their baseline status, looked up for
// those households only through the household_id index.
const scopeHouseholds = `(SELECT h.*, f.baseline_status FROM households h JOIN (
    SELECT DISTINCT ON (household_id) household_id, poverty_status AS baseline_status FROM households
    WHERE household_id IN (SELECT household_id FROM households WHERE province = $1 AND village_code = ANY($2))
    ORDER BY household_id, round) f USING (household_id)
  WHERE h.province = $1 AND h.village_code = ANY($2)) h`

// sumScope sums the scope's households per village into inc_base and
// inc_causes, the shape of agg_base's and agg_causes' village rows. It runs
// before the final phase: it reads only the scope's own rows, which no
// other import writes.
func sumScope(exec execFunc, province string, codes []string) error {
	if err := exec("sum the region's households per village", `CREATE TEMP TABLE inc_base ON COMMIT DROP AS
SELECT h.round, NULL::smallint AS res, h.village_code, NULL::bigint AS cell, `+sumExprs()+`
FROM `+scopeHouseholds+` GROUP BY h.round, h.village_code`, province, codes); err != nil {
		return err
	}
	return exec("count the region's causes per village", `CREATE TEMP TABLE inc_causes ON COMMIT DROP AS
SELECT h.round, NULL::smallint AS res, h.village_code, NULL::bigint AS cell, cause, count(*) AS n
FROM households h CROSS JOIN LATERAL unnest(h.causes) AS cause
WHERE h.province = $1 AND h.village_code = ANY($2) AND h.poverty_status IN ('poor', 'extreme')
GROUP BY h.round, h.village_code, cause`, province, codes)
}

// noteCells adds to import_cells the H3 cells of the scope's households.
func noteCells(exec execFunc, what, from string, args ...any) error {
	cols := hexGrouping(", ", func(r int) string { return fmt.Sprintf("(%[1]d, h.h3_r%[1]d)", r) })
	return exec(what, `INSERT INTO import_cells SELECT DISTINCT x.res, x.cell FROM `+from+
		` CROSS JOIN LATERAL (VALUES `+cols+`) x(res, cell) ON CONFLICT DO NOTHING`, args...)
}

// candidateR6 lists the res-6 cells whose households can lie in one of the
// cells: H3 children do not tile their parent exactly and a household's
// cells are each computed from its point (geo.Cells), so a household of a
// cell c may have a res-6 cell beside c's parent; two rings around the
// parent hold them all.
func candidateR6(cells []int64) []int64 {
	set := make(map[int64]struct{})
	for _, c := range cells {
		p := h3.Cell(c).Parent(geo.MinRes)
		for _, n := range p.GridDisk(2) {
			set[int64(n)] = struct{}{}
		}
	}
	out := make([]int64, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// hexKeys is groupedKeys for grouping sets of cells only.
func hexKeys() string {
	return fmt.Sprintf("h.round, CASE %s END::smallint AS res, NULL::text AS village_code, coalesce(%s) AS cell",
		hexGrouping(" ", func(r int) string { return fmt.Sprintf("WHEN GROUPING(h.h3_r%[1]d) = 0 THEN %[1]d", r) }),
		hexGrouping(", ", func(r int) string { return fmt.Sprintf("h.h3_r%d", r) }))
}

// refresh is what the final phase of an import of one region needs.
type refresh struct {
	scope scope
	zones []string // zones of the region before and after the import
	// The rounds the database gained (YYYY-MM-DD): every area has a row
	// per round, so other regions get empty rows for them.
	added []string
}

// refreshScope brings the aggregates up to date after an import of one
// region, inside the import's final phase (the dataset_state row locked, so
// imports of other regions have committed or wait): the region's village,
// cause and district rows are replaced from inc_base and inc_causes; the
// zones it touched are recomputed; the hexagons in import_cells — every
// cell that held the region's households before or after — are recomputed
// from ALL their households, other regions' included; then the roll-ups.
func refreshScope(ctx context.Context, tx pgx.Tx, log *slog.Logger, r refresh) error {
	exec := stepper(ctx, tx, log)
	if err := exec("tune session", `SET LOCAL work_mem = '256MB'; SET LOCAL jit = off`); err != nil {
		return err
	}
	s, p := string(r.scope), r.scope.province()
	for _, t := range []string{"agg_villages", "agg_village_causes", "agg_districts"} {
		if err := exec("partition "+t, `SELECT labmap_province_partition($1, $2)`, t, p); err != nil {
			return err
		}
	}
	ins := func(l aggLevel) string { return "INSERT INTO " + l.table + " " + l.selectSQL() }
	if err := runAllArgs(exec, []any{s, p},
		step{"clear the region's villages", `DELETE FROM agg_villages WHERE province = $2 AND ` + sqlHolds("code", 1)},
		step{"clear the region's causes", `DELETE FROM agg_village_causes WHERE province = $2 AND ` + sqlHolds("code", 1)},
		step{"clear the region's districts", `DELETE FROM agg_districts WHERE province = $2 AND ` + sqlHolds("code", 1)},
	); err != nil {
		return err
	}
	if err := runAllArgs(exec, []any{s},
		step{"the region's villages", ins(villageLevel("inc_base", "inc_causes", sqlHolds("v.code", 1)))},
		step{"the region's causes", "INSERT INTO agg_village_causes " + villageCausesSQL("inc_causes", sqlHolds("b.village_code", 1))},
		step{"the region's districts", ins(districtLevel("agg_villages", "agg_village_causes", sqlHolds("d.code", 1)))},
	); err != nil {
		return err
	}
	if len(r.zones) > 0 {
		if err := refreshZones(exec, r.zones); err != nil {
			return err
		}
	}
	if err := refreshHexagons(ctx, tx, exec); err != nil {
		return err
	}
	if len(r.added) == 0 {
		return rebuildRollups(ctx, tx, p)
	}
	if err := otherRegionsRounds(exec, r); err != nil {
		return err
	}
	// Every province has a row per round: the roll-ups are summed again
	// from the village rows, all of them.
	return rebuildRollups(ctx, tx, "")
}

// otherRegionsRounds gives the areas outside the region empty rows for the
// rounds the database gained: they hold no household then, only this
// import's region does. The region's own rows were written for every round
// already.
func otherRegionsRounds(exec execFunc, r refresh) error {
	ins := func(l aggLevel) string { return "INSERT INTO " + l.table + " " + l.selectSQL() }
	if err := runAllArgs(exec, []any{string(r.scope), r.added},
		step{"other regions' villages in the new rounds", ins(villageLevel("inc_base", "inc_causes",
			"NOT "+sqlHolds("v.code", 1)+" AND r.round = ANY($2::date[])"))},
		step{"other regions' districts in the new rounds", ins(districtLevel("agg_villages", "agg_village_causes",
			"NOT "+sqlHolds("d.code", 1)+" AND r.round = ANY($2::date[])"))},
	); err != nil {
		return err
	}
	// The zones the import touched were written for every round.
	return exec("other zones in the new rounds", ins(zoneLevel("agg_villages", "agg_village_causes",
		"r.round = ANY($1::date[]) AND NOT (z.id = ANY($2::text[]))")), r.added, r.zones)
}

func runAllArgs(exec execFunc, args []any, steps ...step) error {
	for _, s := range steps {
		if err := exec(s.what, s.sql, args...); err != nil {
			return err
		}
	}
	return nil
}

// refreshZones recomputes the zones named (which may no longer exist): their
// rows from the village rows, their hexagons from their households.
func refreshZones(exec execFunc, zones []string) error {
	ids := []any{zones}
	if err := runAllArgs(exec, ids,
		step{"clear the touched zones", `DELETE FROM agg_zones WHERE code = ANY($1)`},
		step{"clear the touched zones' hexagons", `DELETE FROM hexagon_zones WHERE zone_id = ANY($1)`},
		step{"the touched zones", "INSERT INTO agg_zones " + zoneLevel("agg_villages", "agg_village_causes", "z.id = ANY($1)").selectSQL()},
		step{"sum the touched zones' households per cell", zoneBaseSQL("inc_zone_base", "zv.zone_id = ANY($1)")},
		step{"count the touched zones' causes per cell", zoneCausesSQL("inc_zone_causes", "zv.zone_id = ANY($1)")},
	); err != nil {
		return err
	}
	for _, res := range geo.Resolutions {
		l := zoneHexLevel(res, "inc_zone_base", "inc_zone_causes")
		if err := exec(fmt.Sprintf("the touched zones' hexagons res %d", res), "INSERT INTO hexagon_zones "+l.selectSQL()); err != nil {
			return err
		}
	}
	return nil
}

// refreshHexagons recomputes the hexagons of import_cells from every
// household in them. The households are found through the res-6 index
// (candidateR6), their baseline through the household_id index, and only
// the groups of import_cells are kept.
func refreshHexagons(ctx context.Context, tx pgx.Tx, exec execFunc) error {
	rows, err := tx.Query(ctx, `SELECT cell FROM import_cells`)
	if err != nil {
		return fmt.Errorf("list the changed cells: %w", err)
	}
	cells, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("list the changed cells: %w", err)
	}
	cand := candidateR6(cells)
	from := `(SELECT h.*, f.baseline_status FROM households h JOIN (
    SELECT DISTINCT ON (household_id) household_id, poverty_status AS baseline_status FROM households
    WHERE household_id IN (SELECT household_id FROM households WHERE h3_r6 = ANY($1))
    ORDER BY household_id, round) f USING (household_id)
  WHERE h.h3_r6 = ANY($1)) h`
	sets := hexGrouping(", ", func(r int) string { return fmt.Sprintf("(h.round, h.h3_r%d)", r) })
	causeSets := hexGrouping(", ", func(r int) string { return fmt.Sprintf("(h.round, h.h3_r%d, cause)", r) })
	if err := runAllArgs(exec, []any{cand},
		step{"sum the changed cells' households", `CREATE TEMP TABLE inc_hex_base ON COMMIT DROP AS
SELECT ` + hexKeys() + `, ` + sumExprs() + ` FROM ` + from + ` GROUP BY GROUPING SETS (` + sets + `)`},
		step{"count the changed cells' causes", `CREATE TEMP TABLE inc_hex_causes ON COMMIT DROP AS
SELECT ` + hexKeys() + `, cause, count(*) AS n
FROM households h CROSS JOIN LATERAL unnest(h.causes) AS cause
WHERE h.h3_r6 = ANY($1) AND h.poverty_status IN ('poor', 'extreme')
GROUP BY GROUPING SETS (` + causeSets + `)`},
	); err != nil {
		return err
	}
	if err := runAll(exec,
		step{"keep the changed cells", `DELETE FROM inc_hex_base b WHERE NOT EXISTS (SELECT 1 FROM import_cells c WHERE c.res = b.res AND c.cell = b.cell);
			DELETE FROM inc_hex_causes b WHERE NOT EXISTS (SELECT 1 FROM import_cells c WHERE c.res = b.res AND c.cell = b.cell)`},
	); err != nil {
		return err
	}
	// The table holds every hexagon of the database: with the rounds
	// given and the cells counted, the planner can probe the primary key
	// (round, res, cell) per changed cell rather than read it all.
	rows, err = tx.Query(ctx, `SELECT r.round::text FROM `+roundsList)
	if err != nil {
		return fmt.Errorf("list the rounds: %w", err)
	}
	rounds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list the rounds: %w", err)
	}
	if err := exec("count the changed cells", `ANALYZE import_cells`); err != nil {
		return err
	}
	if err := exec("clear the changed cells", `DELETE FROM agg_hexagons a
		WHERE a.round = ANY($1::date[]) AND (a.res, a.cell) IN (SELECT c.res, c.cell FROM import_cells c)`, rounds); err != nil {
		return err
	}
	for _, res := range geo.Resolutions {
		l := hexLevel(res, "inc_hex_base", "inc_hex_causes")
		if err := exec(fmt.Sprintf("the changed cells res %d", res), "INSERT INTO agg_hexagons "+l.selectSQL()); err != nil {
			return err
		}
	}
	return nil
}
