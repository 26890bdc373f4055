package postgis

import (
	"context"
	"fmt"

	"labmap/data"
	"labmap/geo"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// keptChanges is how many versions of dataset_changes an import keeps: an
// instance that falls further behind drops its whole tile cache, as it
// did before there was a log.
const keptChanges = 100

// noteRegionBoxes adds to change_region the boxes of the scope's villages,
// districts and zones as they are now: called before an import replaces
// them and again after, so that the region's extent covers what it had and
// what it has.
func noteRegionBoxes(ctx context.Context, tx pgx.Tx, sc scope) error {
	if sc == "" {
		return nil // the whole database: recordChanges says everything
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS change_region (b box2d) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("note the region's extent: %w", err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO change_region
		SELECT geom::box2d FROM villages WHERE `+sqlHolds("code", 1)+`
		UNION ALL SELECT geom::box2d FROM districts WHERE `+sqlHolds("code", 1)+`
		UNION ALL SELECT z.geom::box2d FROM zones z WHERE z.id IN (SELECT zone_id FROM zone_villages WHERE `+sqlHolds("village_code", 1)+`)`,
		string(sc))
	if err != nil {
		return fmt.Errorf("note the region's extent: %w", err)
	}
	return nil
}

// changeRow is one row of dataset_changes.
type changeRow struct {
	level data.Level
	res   int
	b     orb.Bound
}

// recordChanges writes where this version changed the public rows
// (data.Changes), for an import of one region that decided the disclosure
// rule: every area of the topology levels that meets the region (a
// neighbour's shared arcs move when the region's outlines do), the
// region's regencies and province, the hexagon cells the import
// recomputed, and every area whose disclosure outcome moved. An import
// that cannot tell (everything is true) writes one row saying so.
func recordChanges(ctx context.Context, tx pgx.Tx, version int64, k int, sc scope, everything bool, moved []data.AreaKey) error {
	if _, err := tx.Exec(ctx, `DELETE FROM dataset_changes WHERE version <= $1`, version-keptChanges); err != nil {
		return fmt.Errorf("record changes: %w", err)
	}
	var rows []changeRow
	var err error
	if everything || sc == "" {
		rows = []changeRow{{level: "*"}}
	} else if rows, err = regionChanges(ctx, tx, sc, moved); err != nil {
		return fmt.Errorf("record changes: %w", err)
	}
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = []any{version, int32(k), string(r.level), int16(r.res), r.b.Min[0], r.b.Min[1], r.b.Max[0], r.b.Max[1]}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"dataset_changes"},
		[]string{"version", "k", "level", "res", "west", "south", "east", "north"}, pgx.CopyFromRows(out)); err != nil {
		return fmt.Errorf("record changes: %w", err)
	}
	return nil
}

// regionChanges lists the extents an import of scope changed; change_region
// holds the region's boxes before and after it, import_cells the cells it
// recomputed.
func regionChanges(ctx context.Context, tx pgx.Tx, sc scope, moved []data.AreaKey) ([]changeRow, error) {
	var out []changeRow
	scan := func(level data.Level, sql string, args ...any) error {
		var err error
		out, err = scanBoxes(ctx, tx, out, level, sql, args...)
		return err
	}
	// The outlines of villages, districts and zones share arcs (tiles cut
	// them into one topology), so any of them that meets the region may be
	// drawn differently: each is listed with its own box.
	for _, l := range []struct {
		level data.Level
		table string
	}{{data.LevelVillage, "villages"}, {data.LevelDistrict, "districts"}, {data.LevelZone, "zones"}} {
		if err := scan(l.level, `SELECT `+box+` FROM (
			SELECT b FROM change_region
			UNION ALL SELECT t.geom::box2d FROM `+l.table+` t WHERE EXISTS (SELECT 1 FROM change_region r WHERE t.geom && r.b)) x`); err != nil {
			return nil, err
		}
	}
	// A regency's and a province's figures are the sums of the region's,
	// and their outlines its dissolve.
	p := sc.province()
	if err := scan(data.LevelRegency, `SELECT `+box+` FROM (
		SELECT b FROM change_region
		UNION ALL SELECT geom::box2d FROM regencies WHERE geom IS NOT NULL AND (code = $1 OR `+sqlHolds("code", 1)+` OR starts_with($1, code || '.'))) x`, string(sc)); err != nil {
		return nil, err
	}
	if err := scan(data.LevelProvince, `SELECT `+box+` FROM (
		SELECT b FROM change_region
		UNION ALL SELECT geom::box2d FROM provinces WHERE geom IS NOT NULL AND code = $1) x`, p); err != nil {
		return nil, err
	}
	hex, err := changedCells(ctx, tx)
	if err != nil {
		return nil, err
	}
	out = append(out, hex...)
	m, err := movedExtents(ctx, tx, moved)
	if err != nil {
		return nil, err
	}
	return append(out, m...), nil
}

// box selects the corners of a box2d column b.
const box = `ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)`

// scanBoxes appends to out a row of level for each box the query returns
// (its four columns: box).
func scanBoxes(ctx context.Context, tx pgx.Tx, out []changeRow, level data.Level, sql string, args ...any) ([]changeRow, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s extents: %w", level, err)
	}
	var x0, y0, x1, y1 float64
	_, err = pgx.ForEachRow(rows, []any{&x0, &y0, &x1, &y1}, func() error {
		out = append(out, changeRow{level: level, b: orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s extents: %w", level, err)
	}
	return out, nil
}

// changedCells lists the boxes of the cells in import_cells, one per
// resolution and res-6 ancestor: a few hundred rows for a regency instead
// of one per cell.
func changedCells(ctx context.Context, tx pgx.Tx) ([]changeRow, error) {
	rows, err := tx.Query(ctx, `SELECT res, cell FROM import_cells`)
	if err != nil {
		return nil, fmt.Errorf("hexagon extents: %w", err)
	}
	type group struct {
		res    int
		parent uint64
	}
	boxes := map[group]orb.Bound{}
	var res int16
	var cell int64
	if _, err := pgx.ForEachRow(rows, []any{&res, &cell}, func() error {
		g := group{int(res), geo.CellParent(uint64(cell), geo.MinRes)}
		b := geo.CellPolygon(uint64(cell)).Bound()
		if have, ok := boxes[g]; ok {
			b = have.Union(b)
		}
		boxes[g] = b
		return nil
	}); err != nil {
		return nil, fmt.Errorf("hexagon extents: %w", err)
	}
	out := make([]changeRow, 0, len(boxes))
	for g, b := range boxes {
		out = append(out, changeRow{level: data.LevelHexagon, res: g.res, b: b})
	}
	return out, nil
}

// movedExtents is the box of every area whose disclosure outcome changed.
func movedExtents(ctx context.Context, tx pgx.Tx, moved []data.AreaKey) ([]changeRow, error) {
	var out []changeRow
	codes := map[data.Level][]string{}
	for _, k := range moved {
		if k.Level == data.LevelHexagon {
			c, err := geo.ParseCell(k.Code)
			if err != nil {
				return nil, fmt.Errorf("hexagon %s: %w", k.Code, err)
			}
			out = append(out, changeRow{level: data.LevelHexagon, res: k.Res, b: geo.CellPolygon(c).Bound()})
			continue
		}
		codes[k.Level] = append(codes[k.Level], k.Code)
	}
	tables := map[data.Level]string{
		data.LevelVillage: "villages", data.LevelDistrict: "districts", data.LevelRegency: "regencies",
		data.LevelProvince: "provinces", data.LevelZone: "zones",
	}
	for level, cs := range codes {
		table, ok := tables[level]
		if !ok {
			continue // the whole dataset: no layer draws it
		}
		key := "code"
		if level == data.LevelZone {
			key = "id"
		}
		var err error
		out, err = scanBoxes(ctx, tx, out, level, `SELECT `+box+`
			FROM (SELECT geom::box2d AS b FROM `+table+` WHERE geom IS NOT NULL AND `+key+` = ANY($1)) x`, cs)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Changes reads where the versions after from up to to changed the public
// rows (data.ChangeLog). It says Everything when a version in between left
// no record, recorded a full change, or compared the disclosure outcome
// under another threshold than this store's (then this store decides the
// rule itself, and any row may differ).
func (s *Store) Changes(ctx context.Context, from, to int64) (*data.Changes, error) {
	c := &data.Changes{}
	if to <= from {
		return c, nil
	}
	if to-from >= keptChanges {
		return data.ChangedEverywhere(), nil
	}
	seen := map[int64]bool{}
	err := s.read(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT version, k, level, res, west, south, east, north
			FROM dataset_changes WHERE version > $1 AND version <= $2`, from, to)
		if err != nil {
			return err
		}
		var (
			version        int64
			k              int32
			level          string
			res            int16
			x0, y0, x1, y1 float64
		)
		_, err = pgx.ForEachRow(rows, []any{&version, &k, &level, &res, &x0, &y0, &x1, &y1}, func() error {
			seen[version] = true
			if level == "*" || (int(k) != s.k && !s.primary) {
				c.Everything = true
				return nil
			}
			c.Add(data.Level(level), int(res), orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}})
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("changes from version %d to %d: %w", from, to, err)
	}
	if int64(len(seen)) != to-from {
		return data.ChangedEverywhere(), nil
	}
	return c, nil
}
