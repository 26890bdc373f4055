package postgis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"

	"labmap/data"
	"labmap/geo"

	"github.com/jackc/pgx/v5"
)

// The aggregate tables are generated from the indicator registry: one column
// per measure (m_<key>, the sums that the API evaluates with the same Go code
// as the memory store) and one per indicator (for people who query the
// database or point a tile server at it). Adding an indicator is one registry
// entry; `labmap migrate` or the next import rebuilds these tables.

// measureCol is the column of an aggregate table that holds a measure's sum.
func measureCol(i int) string { return "m_" + data.Measures[i].Key }

// registryHash identifies the registry the aggregate tables were built from.
func registryHash() string {
	h := sha256.New()
	for _, m := range data.Measures {
		fmt.Fprintf(h, "m %s %s\n", m.Key, m.SQL)
	}
	for _, ind := range data.Indicators {
		fmt.Fprintf(h, "i %s %s %d %d\n", ind.Key, ind.Kind, ind.Numerator, ind.Denominator)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// sumExprs sums every measure over households aliased h.
func sumExprs() string {
	parts := make([]string, data.NumMeasures)
	for i, m := range data.Measures {
		parts[i] = fmt.Sprintf("sum(%s)::bigint AS %s", m.SQL, measureCol(i))
	}
	return strings.Join(parts, ",\n  ")
}

// indicatorExprs computes each indicator from the measure columns of an
// aggregate row a. Rates round the exact fraction half up to six decimals,
// the same figure data.Rate gives.
func indicatorExprs() string {
	var parts []string
	for _, ind := range data.Indicators {
		switch ind.Kind {
		case data.KindCount:
			parts = append(parts, fmt.Sprintf("a.%s AS %s", measureCol(ind.Numerator), ind.Key))
		case data.KindRate:
			parts = append(parts, fmt.Sprintf("round(a.%s::numeric / nullif(a.%s, 0), 6)::float8 AS %s",
				measureCol(ind.Numerator), measureCol(ind.Denominator), ind.Key))
		case data.KindCategory:
			// dominant_cause is already a column of a.
		}
	}
	return strings.Join(parts, ",\n  ")
}

// coalescedMeasures reads the measures of the sums subquery s, zero for
// areas without households in a round.
func coalescedMeasures() string {
	parts := make([]string, data.NumMeasures)
	for i := range data.Measures {
		parts[i] = fmt.Sprintf("coalesce(s.%[1]s, 0)::bigint AS %[1]s", measureCol(i))
	}
	return strings.Join(parts, ", ")
}

// resumMeasures adds up the measure columns of base rows b.
func resumMeasures() string {
	parts := make([]string, data.NumMeasures)
	for i := range data.Measures {
		parts[i] = fmt.Sprintf("sum(b.%[1]s)::bigint AS %[1]s", measureCol(i))
	}
	return strings.Join(parts, ", ")
}

// hexGrouping lists the per-resolution H3 columns of households.
func hexGrouping(sep string, f func(res int) string) string {
	parts := make([]string, len(geo.Resolutions))
	for i, r := range geo.Resolutions {
		parts[i] = f(r)
	}
	return strings.Join(parts, sep)
}

// groupedKeys names the grouping set a row of a GROUPING SETS query came
// from: res is NULL for a village row, else the H3 resolution of cell.
func groupedKeys() string {
	return fmt.Sprintf("h.round, CASE %s END::smallint AS res, h.village_code, coalesce(%s) AS cell",
		hexGrouping(" ", func(r int) string { return fmt.Sprintf("WHEN GROUPING(h.h3_r%[1]d) = 0 THEN %[1]d", r) }),
		hexGrouping(", ", func(r int) string { return fmt.Sprintf("h.h3_r%d", r) }))
}

// baseSQL sums every measure per village and per H3 cell of every
// resolution in ONE scan of the households (GROUPING SETS). Villages are the
// atoms of districts, zones and the regency, so those levels are sums of
// village rows and never scan households again. The baseline status that
// "lifted" compares with is each household's status at its first round.
func baseSQL() string {
	return fmt.Sprintf(`CREATE TEMP TABLE agg_base ON COMMIT DROP AS
SELECT %[1]s,
  %[2]s
FROM (SELECT h.*, f.baseline_status FROM households h JOIN (
    SELECT DISTINCT ON (household_id) household_id, poverty_status AS baseline_status
    FROM households ORDER BY household_id, round) f USING (household_id)) h
GROUP BY GROUPING SETS ((h.round, h.village_code), %[3]s)`,
		groupedKeys(), sumExprs(),
		hexGrouping(", ", func(r int) string { return fmt.Sprintf("(h.round, h.h3_r%d)", r) }))
}

// causesSQL counts the causes of poverty of poor households per village and
// per H3 cell, in one scan, for the dominant cause of every area.
func causesSQL() string {
	return fmt.Sprintf(`CREATE TEMP TABLE agg_causes ON COMMIT DROP AS
SELECT %[1]s, cause, count(*) AS n
FROM households h CROSS JOIN LATERAL unnest(h.causes) AS cause
WHERE h.poverty_status IN ('poor', 'extreme')
GROUP BY GROUPING SETS ((h.round, h.village_code, cause), %[2]s)`,
		groupedKeys(),
		hexGrouping(", ", func(r int) string { return fmt.Sprintf("(h.round, h.h3_r%d, cause)", r) }))
}

// zoneHexKeys names the grouping set of a row of the zone hexagon sums: the
// round, the zone, the H3 resolution and the cell.
func zoneHexKeys() string {
	return fmt.Sprintf("h.round, h.zone_id, CASE %s END::smallint AS res, coalesce(%s) AS cell",
		hexGrouping(" ", func(r int) string { return fmt.Sprintf("WHEN GROUPING(h.h3_r%[1]d) = 0 THEN %[1]d", r) }),
		hexGrouping(", ", func(r int) string { return fmt.Sprintf("h.h3_r%d", r) }))
}

// zoneHouseholds is the households of the zones' villages matching cond
// (over zone_villages zv), one row per zone a household's village belongs
// to, with their baseline status. Only those households' first rounds are
// looked up: zones are a small part of a regency, and this keeps the zone
// sums from sorting every household again.
func zoneHouseholds(cond string) string {
	return `(SELECT h.*, zv.zone_id, f.baseline_status FROM households h
    JOIN zone_villages zv ON zv.village_code = h.village_code AND ` + cond + `
    JOIN (SELECT DISTINCT ON (household_id) household_id, poverty_status AS baseline_status
        FROM households WHERE household_id IN (
            SELECT z.household_id FROM households z JOIN zone_villages zv ON zv.village_code = z.village_code AND ` + cond + `)
        ORDER BY household_id, round) f USING (household_id)) h`
}

// zoneBaseSQL sums every measure per zone and H3 cell of every resolution,
// over the households of each zone's villages: a hexagon's figures for a
// zone are those households binned by their cell, so a cell on the zone's
// edge counts only the zone's part and a zone smaller than a res-6 cell
// still has its hexagons.
// The sums go to table, for the zones matching cond (over zone_villages zv).
func zoneBaseSQL(table, cond string) string {
	return fmt.Sprintf(`CREATE TEMP TABLE %[5]s ON COMMIT DROP AS
SELECT %[1]s,
  %[2]s
FROM %[3]s
GROUP BY GROUPING SETS (%[4]s)`,
		zoneHexKeys(), sumExprs(), zoneHouseholds(cond),
		hexGrouping(", ", func(r int) string { return fmt.Sprintf("(h.round, h.zone_id, h.h3_r%d)", r) }), table)
}

// zoneCausesSQL counts the causes of poverty per zone and H3 cell into
// table, for the zones matching cond (over zone_villages zv).
func zoneCausesSQL(table, cond string) string {
	return fmt.Sprintf(`CREATE TEMP TABLE %[3]s ON COMMIT DROP AS
SELECT %[1]s, cause, count(*) AS n
FROM (SELECT h.*, zv.zone_id FROM households h JOIN zone_villages zv ON zv.village_code = h.village_code AND %[4]s) h
  CROSS JOIN LATERAL unnest(h.causes) AS cause
WHERE h.poverty_status IN ('poor', 'extreme')
GROUP BY GROUPING SETS (%[2]s)`,
		zoneHexKeys(),
		hexGrouping(", ", func(r int) string { return fmt.Sprintf("(h.round, h.zone_id, h.h3_r%d, cause)", r) }), table, cond)
}

// aggLevel describes one level: how its areas are listed and how base rows
// (alias b, from agg_base or agg_causes) map onto them.
type aggLevel struct {
	table string
	// base and causes are the tables of base sums and cause counts;
	// empty means agg_base and agg_causes.
	base, causes string
	// from joins base rows b to what the key needs; filter picks the rows;
	// key is the area key of a base row.
	from, filter, key string
	// areas lists every (round, area) row to publish, with its columns; it
	// must expose the round as round and the key as key.
	areas string
	// cols are the area columns copied into the aggregate table.
	cols string
	// index is extra DDL run on the new table (its name is %[1]s).
	index string
}

const roundsFrom = "(SELECT DISTINCT round FROM households) r"

// codeOrder indexes the order OGC API pages are served in (by code, byte
// order), so a page is an index range rather than a sort of the level.
const codeOrder = `; CREATE INDEX %[1]s_order_idx ON %[1]s (round, code COLLATE "C")`

// aggLevels are levels built from the households' base sums by the full
// rebuild only; every level is now a village-based one (villageLevel,
// districtLevel, zoneLevel) or a roll-up (rollupLevels).
func aggLevels() []aggLevel { return nil }

// hexLevel is the H3 level at one resolution, from the cell sums base and
// cause counts causes; the resolutions share one table.
func hexLevel(res int, base, causes string) aggLevel {
	return aggLevel{
		table: "agg_hexagons", base: base, causes: causes, from: "%s b", filter: fmt.Sprintf("b.res = %d", res), key: "b.cell",
		areas: fmt.Sprintf("SELECT b.round, b.cell AS key, c.h3, c.geom, c.center FROM %s b JOIN h3_cells c ON c.cell = b.cell WHERE b.res = %d", base, res),
		cols:  fmt.Sprintf("x.round, %d::smallint AS res, x.key AS cell, x.h3 AS code, x.geom, x.center", res),
	}
}

// zoneHexLevel is the H3 level at one resolution for each zone, from the
// zone sums; its key is the zone and the cell. The outline is the whole
// cell, as without a zone.
func zoneHexLevel(res int, base, causes string) aggLevel {
	key := "b.zone_id || ' ' || b.cell::text"
	return aggLevel{
		table: "hexagon_zones", base: base, causes: causes,
		from: "%s b", filter: fmt.Sprintf("b.res = %d", res), key: key,
		areas: fmt.Sprintf("SELECT b.round, %s AS key, b.zone_id, b.cell, c.h3, c.geom, c.center FROM %s b JOIN h3_cells c ON c.cell = b.cell WHERE b.res = %d", key, base, res),
		cols:  fmt.Sprintf("x.round, %d::smallint AS res, x.zone_id, x.cell, x.h3 AS code, x.geom, x.center", res),
	}
}

// selectSQL is the aggregate of one level: every area of every round with
// its measure sums, its dominant cause of poverty and its indicators.
func (l aggLevel) selectSQL() string {
	base, causes := l.base, l.causes
	if base == "" {
		base, causes = "agg_base", "agg_causes"
	}
	return fmt.Sprintf(`SELECT a.*, %[1]s FROM (
  SELECT %[2]s, %[3]s, c.cause AS dominant_cause
  FROM (%[4]s) x
  LEFT JOIN (SELECT b.round, %[5]s AS key, %[6]s FROM %[7]s WHERE %[8]s GROUP BY 1, 2) s
    ON s.round = x.round AND s.key = x.key
  LEFT JOIN (
    SELECT DISTINCT ON (round, key) round, key, cause FROM (
      SELECT b.round, %[5]s AS key, b.cause, sum(b.n) AS n FROM %[9]s WHERE %[8]s GROUP BY 1, 2, 3) cc
    ORDER BY round, key, n DESC, cause COLLATE "C") c ON c.round = x.round AND c.key = x.key
) a`, indicatorExprs(), l.cols, coalescedMeasures(), l.areas, l.key, resumMeasures(),
		fmt.Sprintf(l.from, base), l.filter, fmt.Sprintf(l.from, causes))
}

// rebuildAggregates recomputes every aggregate table from the households
// inside tx. New tables are built beside the old ones and swapped in at the
// end, so readers wait only for the swap, never for the aggregation. An
// import of one region calls refreshScope instead; this is for `labmap
// migrate` when the registry changed, for imports spanning provinces and
// for an import that adds or removes a round.
func rebuildAggregates(ctx context.Context, tx pgx.Tx, log *slog.Logger) error {
	exec := stepper(ctx, tx, log)
	// The aggregation sorts and hashes a whole regency at once: with the
	// default 4 MB of work memory it spills to disk and runs several times
	// slower, and JIT compilation costs more than it saves on these queries.
	if err := exec("tune session", `SET LOCAL work_mem = '256MB'; SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL jit = off`); err != nil {
		return err
	}
	if err := exec("sum households per village and cell", baseSQL()); err != nil {
		return err
	}
	if err := exec("count causes per village and cell", causesSQL()); err != nil {
		return err
	}
	if err := exec("sum zone households per cell", zoneBaseSQL("agg_zone_base", "true")); err != nil {
		return err
	}
	if err := exec("count zone causes per cell", zoneCausesSQL("agg_zone_causes", "true")); err != nil {
		return err
	}
	// Temporary tables are never analysed automatically; without statistics
	// the planner guesses a few rows and picks nested loops.
	if err := exec("analyse base sums", "ANALYZE agg_base; ANALYZE agg_causes; ANALYZE agg_zone_base; ANALYZE agg_zone_causes"); err != nil {
		return err
	}
	if err := buildPartitioned(exec, "agg_villages", villageLevel("agg_base", "agg_causes", "true").selectSQL(), provinceKey); err != nil {
		return err
	}
	if err := buildPartitioned(exec, "agg_village_causes", villageCausesSQL("agg_causes", "true"), causesKey); err != nil {
		return err
	}
	if err := buildPartitioned(exec, "agg_districts", districtLevel("agg_villages_next", "agg_village_causes_next", "true").selectSQL(), provinceKey); err != nil {
		return err
	}
	levels := append(aggLevels(), zoneLevel("agg_villages_next", "agg_village_causes_next", "true"))
	levels[len(levels)-1].index = zonesKey
	tables := []string{"agg_villages", "agg_village_causes", "agg_districts"}
	for _, l := range levels {
		next := l.table + "_next"
		if err := runAll(exec,
			step{"drop " + next, "DROP TABLE IF EXISTS " + next},
			step{"build " + next, "CREATE TABLE " + next + " AS " + l.selectSQL()},
			step{"index " + next, fmt.Sprintf(l.index, next)},
		); err != nil {
			return err
		}
		tables = append(tables, l.table)
	}

	hexNext := "agg_hexagons_next"
	if err := exec("drop "+hexNext, "DROP TABLE IF EXISTS "+hexNext); err != nil {
		return err
	}
	for i, res := range geo.Resolutions {
		sql := "INSERT INTO " + hexNext + " " + hexLevel(res, "agg_base", "agg_causes").selectSQL()
		if i == 0 {
			sql = "CREATE TABLE " + hexNext + " AS " + hexLevel(res, "agg_base", "agg_causes").selectSQL()
		}
		if err := exec(fmt.Sprintf("build %s res %d", hexNext, res), sql); err != nil {
			return err
		}
	}
	if err := exec("index "+hexNext, fmt.Sprintf(
		"ALTER TABLE %[1]s ADD PRIMARY KEY (round, res, cell); CREATE INDEX %[1]s_geom_idx ON %[1]s USING gist (geom);"+
			` CREATE INDEX %[1]s_order_idx ON %[1]s (round, res, code COLLATE "C")`, hexNext)); err != nil {
		return err
	}
	tables = append(tables, "agg_hexagons")

	// Each zone's hexagons, with the figures of the zone's households only.
	hzNext := "hexagon_zones_next"
	if err := exec("drop "+hzNext, "DROP TABLE IF EXISTS "+hzNext); err != nil {
		return err
	}
	for i, res := range geo.Resolutions {
		sql := "INSERT INTO " + hzNext + " " + zoneHexLevel(res, "agg_zone_base", "agg_zone_causes").selectSQL()
		if i == 0 {
			sql = "CREATE TABLE " + hzNext + " AS " + zoneHexLevel(res, "agg_zone_base", "agg_zone_causes").selectSQL()
		}
		if err := exec(fmt.Sprintf("build %s res %d", hzNext, res), sql); err != nil {
			return err
		}
	}
	// The primary key serves a zone's hexagons; the cell index finds a
	// hexagon's first zone (the "zone" queryable).
	if err := exec("index "+hzNext, fmt.Sprintf(
		"ALTER TABLE %[1]s ADD PRIMARY KEY (zone_id, round, res, cell); CREATE INDEX %[1]s_cell_idx ON %[1]s (round, res, cell);"+
			` CREATE INDEX %[1]s_geom_idx ON %[1]s USING gist (geom);`+
			` CREATE INDEX %[1]s_order_idx ON %[1]s (zone_id, round, res, code COLLATE "C")`, hzNext)); err != nil {
		return err
	}
	tables = append(tables, "hexagon_zones")

	for _, t := range tables {
		if err := swapTable(ctx, tx, exec, t); err != nil {
			return err
		}
	}
	if err := rebuildRollups(ctx, tx, ""); err != nil {
		return err
	}
	return exec("record registry", `UPDATE dataset_state SET registry_hash = $1`, registryHash())
}
