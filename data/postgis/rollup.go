package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// rollupLevels are the levels above the kecamatan. They are sums of village
// rows (agg_villages) and per-village cause counts (agg_village_causes), so
// they are recomputed from a few thousand village rows, never from the
// households: both the full rebuild and an import of one region end with
// them.
func rollupLevels() []aggLevel {
	return []aggLevel{
		{
			// Regencies and provinces are written by the import (see
			// refreshAdminAreas) before the roll-ups.
			table: "agg_provinces", base: "agg_villages", causes: "agg_village_causes", from: "%s b", filter: "true", key: "left(b.code, 2)",
			areas: "SELECT r.round, p.code AS key, p.name_id AS name, p.geom FROM " + roundsList + " CROSS JOIN provinces p",
			cols:  "x.round, x.key AS code, x.name, x.geom",
			index: "ALTER TABLE %[1]s ADD PRIMARY KEY (round, code); CREATE INDEX %[1]s_geom_idx ON %[1]s USING gist (geom)" + codeOrder,
		},
		{
			table: "agg_regencies", base: "agg_villages", causes: "agg_village_causes", from: "%s b", filter: "true", key: "left(b.code, 5)",
			areas: "SELECT r.round, g.code AS key, g.name_id AS name, g.geom FROM " + roundsList + " CROSS JOIN regencies g",
			cols:  "x.round, x.key AS code, x.name, x.geom",
			index: "ALTER TABLE %[1]s ADD PRIMARY KEY (round, code); CREATE INDEX %[1]s_geom_idx ON %[1]s USING gist (geom)" + codeOrder,
		},
	}
}

// rebuildRollups recomputes the roll-up tables. They hold a row per round
// and area, so they are recomputed whole. A full rebuild (province empty)
// replaces each table within the caller's transaction, whose shape then
// follows the registry. An import of one region rewrites only the rows of
// its province (province not empty) instead: dropping the table would lock
// every reader out of it, and every read resolves its round there, until
// the import commits; other provinces' rows stay as they were.
func rebuildRollups(ctx context.Context, tx pgx.Tx, province string) error {
	for _, l := range rollupLevels() {
		sql := fmt.Sprintf("DROP TABLE IF EXISTS %[1]s; CREATE TABLE %[1]s AS %[2]s; ", l.table, l.selectSQL()) + fmt.Sprintf(l.index, l.table)
		var args []any
		if province != "" {
			if _, err := tx.Exec(ctx, "DELETE FROM "+l.table+" WHERE left(code, 2) = $1", province); err != nil {
				return fmt.Errorf("roll up %s: %w", l.table, err)
			}
			sql = fmt.Sprintf("INSERT INTO %[1]s SELECT * FROM (%[2]s) x WHERE left(x.code, 2) = $1", l.table, l.selectSQL())
			args = []any{province}
		}
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("roll up %s: %w", l.table, err)
		}
	}
	return nil
}
