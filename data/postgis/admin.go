package postgis

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"labmap/data"
	"labmap/geo"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// refreshAdminAreas keeps the regencies and provinces in step with the
// districts an import has just written: the regencies of the file get the
// outline of their districts and the import's region name (a regency
// imported again without a name keeps the one it had); every province
// with one of them is redrawn from all its regencies in the database
// (regencies imported earlier included); regencies and provinces left
// without districts go. The outlines come from data.AdminAreas, the memory
// store's own code, so both stores draw the same shapes.
func refreshAdminAreas(ctx context.Context, tx pgx.Tx, region data.Region, districts []data.District) error {
	regencies, _, err := data.AdminAreas(region, districts)
	if err != nil {
		return fmt.Errorf("regencies: %w", err)
	}
	touched := map[string]bool{}
	for _, r := range regencies {
		g, err := multiPolygonEWKB(r.Geometry)
		if err != nil {
			return fmt.Errorf("regency %s: encode outline: %w", r.Code, err)
		}
		named := region.Code == r.Code && (region.Name.ID != "" || region.Name.EN != "")
		if _, err := tx.Exec(ctx, `INSERT INTO regencies (code, name_id, name_en, geom) VALUES ($1, $2, $3, ST_GeomFromEWKB($4::bytea))
			ON CONFLICT (code) DO UPDATE SET geom = excluded.geom,
				name_id = CASE WHEN $5 THEN excluded.name_id ELSE regencies.name_id END,
				name_en = CASE WHEN $5 THEN excluded.name_en ELSE regencies.name_en END`,
			r.Code, r.Name.ID, r.Name.EN, g, named); err != nil {
			return fmt.Errorf("regency %s: %w", r.Code, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE regencies SET households = (
				SELECT count(DISTINCT h.household_id) FROM households h
				WHERE h.province = $2 AND h.village_code IN (SELECT v.code FROM villages v WHERE v.district_code LIKE $1 || '.%'))
			WHERE code = $1`, r.Code, data.ProvinceCodeOf(r.Code)); err != nil {
			return fmt.Errorf("regency %s: count households: %w", r.Code, err)
		}
		touched[data.ProvinceCodeOf(r.Code)] = true
	}
	if _, err := tx.Exec(ctx, `DELETE FROM regencies r WHERE NOT EXISTS (
			SELECT 1 FROM districts d WHERE d.code LIKE r.code || '.%')`); err != nil {
		return fmt.Errorf("remove regencies without districts: %w", err)
	}
	for _, pc := range slices.Sorted(maps.Keys(touched)) {
		if err := redrawProvince(ctx, tx, pc); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM provinces p WHERE NOT EXISTS (
			SELECT 1 FROM regencies r WHERE r.code LIKE p.code || '.%')`); err != nil {
		return fmt.Errorf("remove provinces without regencies: %w", err)
	}
	return nil
}

// redrawProvince gives province pc the dissolved outline of its regencies
// as the database now holds them.
func redrawProvince(ctx context.Context, tx pgx.Tx, pc string) error {
	rows, err := tx.Query(ctx, `SELECT code, ST_AsBinary(geom) FROM regencies
		WHERE code LIKE $1 || '.%' AND geom IS NOT NULL ORDER BY code`, pc)
	if err != nil {
		return fmt.Errorf("province %s: read regencies: %w", pc, err)
	}
	var parts []orb.MultiPolygon
	var code string
	var b []byte
	if _, err := pgx.ForEachRow(rows, []any{&code, &b}, func() error {
		mp, err := multiPolygonFromWKB(b)
		if err != nil {
			return fmt.Errorf("regency %s: %w", code, err)
		}
		parts = append(parts, mp)
		return nil
	}); err != nil {
		return fmt.Errorf("province %s: %w", pc, err)
	}
	mp, err := geo.Dissolve(parts)
	if err != nil {
		return fmt.Errorf("province %s: outline: %w", pc, err)
	}
	g, err := multiPolygonEWKB(mp)
	if err != nil {
		return fmt.Errorf("province %s: encode outline: %w", pc, err)
	}
	name := data.ProvinceName(pc)
	if _, err := tx.Exec(ctx, `INSERT INTO provinces (code, name_id, name_en, geom) VALUES ($1, $2, $3, ST_GeomFromEWKB($4::bytea))
		ON CONFLICT (code) DO UPDATE SET name_id = excluded.name_id, name_en = excluded.name_en, geom = excluded.geom`,
		pc, name.ID, name.EN, g); err != nil {
		return fmt.Errorf("province %s: %w", pc, err)
	}
	return nil
}

// fillAdminAreas draws the regencies and provinces of a database imported
// before schema 7 from the districts it holds, named by its region: what
// the import would have written. It does nothing once they exist.
func fillAdminAreas(ctx context.Context, tx pgx.Tx) error {
	var have bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM regencies) OR NOT EXISTS (SELECT 1 FROM districts)`).Scan(&have); err != nil {
		return fmt.Errorf("regencies: %w", err)
	}
	if have {
		return nil
	}
	var region data.Region
	if err := tx.QueryRow(ctx, `SELECT region_code, region_name_id, region_name_en FROM dataset_state`).
		Scan(&region.Code, &region.Name.ID, &region.Name.EN); err != nil {
		return fmt.Errorf("regencies: read region: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT code, name, ST_AsBinary(geom) FROM districts ORDER BY ord`)
	if err != nil {
		return fmt.Errorf("regencies: read districts: %w", err)
	}
	var districts []data.District
	var d data.District
	var b []byte
	if _, err := pgx.ForEachRow(rows, []any{&d.Code, &d.Name, &b}, func() error {
		dd := d
		if b != nil {
			mp, err := multiPolygonFromWKB(b)
			if err != nil {
				return fmt.Errorf("district %s: %w", d.Code, err)
			}
			dd.Geometry = mp
		}
		districts = append(districts, dd)
		return nil
	}); err != nil {
		return fmt.Errorf("regencies: read districts: %w", err)
	}
	return refreshAdminAreas(ctx, tx, region, districts)
}

// redrawRemaining redraws province pc from the regencies it still has, if
// any (refreshAdminAreas removed it otherwise).
func redrawRemaining(ctx context.Context, tx pgx.Tx, pc string) error {
	var has bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM regencies WHERE code LIKE $1 || '.%')`, pc).Scan(&has); err != nil {
		return fmt.Errorf("province %s: %w", pc, err)
	}
	if !has {
		return nil
	}
	return redrawProvince(ctx, tx, pc)
}
