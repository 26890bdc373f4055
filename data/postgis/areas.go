package postgis

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"labmap/data"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// An import replaces the villages, but the zones and the districts' names
// often come from other people than the boundary file, and once: so an
// import without a zones file keeps the zones the database holds, and one
// without a districts file keeps the districts' names. Only an explicit file
// replaces them, and only --clear-zones removes the zones.

// ZonesKeptError refuses an import that would keep zones whose villages the
// new villages file no longer has: dropping the villages silently would
// change the zones' figures without anyone deciding it.
type ZonesKeptError struct {
	Villages string        // the villages file
	Zones    []MissingZone // in zone order
}

// MissingZone is a kept zone and the village codes it names that the new
// villages file lacks.
type MissingZone struct {
	ID      string
	Missing []string
}

func (e *ZonesKeptError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import: the zones kept from the database (no --zones given) name villages that %s does not have:", e.Villages)
	for _, z := range e.Zones {
		fmt.Fprintf(&b, "\n  zone %s: %s", z.ID, strings.Join(z.Missing, ", "))
	}
	b.WriteString("\ngive a --zones file that fits the new villages, or --clear-zones to remove every zone")
	return b.String()
}

// storedZone is a zone as the database holds it.
type storedZone struct {
	data.Zone
	fromVillages bool
}

// keepAreas fills what the import's files leave out with what the database
// holds: the zones when no zones file is given (unless clear), and the
// names of the districts when no districts file is given. A kept zone keeps
// its id, name, kind, village list and order; its outline is redrawn from
// the new villages when it was its villages' polygons side by side, as a
// zones file without polygons gives. Reading happens inside the import's
// transaction, so what is kept is what the import replaces.
func keepAreas(ctx context.Context, tx pgx.Tx, areas *data.Dataset, files data.Files, clear bool, sc scope) error {
	byCode := make(map[string]int, len(areas.Villages))
	for i, v := range areas.Villages {
		byCode[v.Code] = i
	}
	if files.Zones == "" && !clear {
		stored, err := storedZones(ctx, tx, sc)
		if err != nil {
			return err
		}
		kept := &ZonesKeptError{Villages: files.Villages}
		areas.Zones = areas.Zones[:0]
		for _, z := range stored {
			var missing []string
			for _, c := range z.VillageCodes {
				if _, ok := byCode[c]; !ok {
					missing = append(missing, c)
				}
			}
			if len(missing) > 0 {
				kept.Zones = append(kept.Zones, MissingZone{ID: z.ID, Missing: missing})
				continue
			}
			if z.fromVillages {
				z.Geometry = villagesOutline(areas.Villages, byCode, z.VillageCodes)
			}
			areas.Zones = append(areas.Zones, z.Zone)
		}
		if len(kept.Zones) > 0 {
			return kept
		}
	}
	if files.Districts == "" {
		names, err := storedDistrictNames(ctx, tx)
		if err != nil {
			return err
		}
		for i := range areas.Districts {
			d := &areas.Districts[i]
			// Without a districts file every district is derived from
			// the village codes and named by its code.
			if n, ok := names[d.Code]; ok && d.Name == d.Code {
				d.Name = n
			}
		}
	}
	return nil
}

// villagesOutline is the dissolved union of the villages named by codes:
// the outline data.LoadAreas gives every zone. Villages that passed the
// coverage cleaning always dissolve; should GEOS fail all the same, the
// zone is kept without an outline rather than failing the import.
func villagesOutline(villages []data.Village, byCode map[string]int, codes []string) orb.MultiPolygon {
	out, _ := data.VillagesOutline(villages, byCode, codes)
	return out
}

// outlineFromVillages reports whether a zone's outline is its villages'
// dissolved outline; such an outline follows the villages when the zone
// is kept across imports.
func outlineFromVillages(z *data.Zone, villages []data.Village, byCode map[string]int) bool {
	return len(z.Geometry) > 0 && reflect.DeepEqual(z.Geometry, villagesOutline(villages, byCode, z.VillageCodes))
}

// storedZones reads the zones of the region sc (those with a village there).
func storedZones(ctx context.Context, tx pgx.Tx, sc scope) ([]storedZone, error) {
	rows, err := tx.Query(ctx, `SELECT z.id, z.name, z.kind, ST_AsBinary(z.geom), z.outline_from_villages,
		coalesce((SELECT array_agg(zv.village_code ORDER BY zv.ord) FROM zone_villages zv WHERE zv.zone_id = z.id), '{}')
		FROM zones z WHERE EXISTS (SELECT 1 FROM zone_villages zv WHERE zv.zone_id = z.id AND `+sqlHolds("zv.village_code", 1)+`)
		ORDER BY z.ord, z.id`, string(sc))
	if err != nil {
		return nil, fmt.Errorf("read the zones to keep: %w", err)
	}
	var out []storedZone
	var z storedZone
	var wkb []byte
	_, err = pgx.ForEachRow(rows, []any{&z.ID, &z.Name, &z.Kind, &wkb, &z.fromVillages, &z.VillageCodes}, func() error {
		kept := z
		kept.Geometry = nil
		if wkb != nil {
			g, err := multiPolygonFromWKB(wkb)
			if err != nil {
				return fmt.Errorf("zone %s: %w", z.ID, err)
			}
			kept.Geometry = g
		}
		out = append(out, kept)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the zones to keep: %w", err)
	}
	return out, nil
}

func storedDistrictNames(ctx context.Context, tx pgx.Tx) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT code, name FROM districts`)
	if err != nil {
		return nil, fmt.Errorf("read the district names to keep: %w", err)
	}
	out := map[string]string{}
	var code, name string
	if _, err := pgx.ForEachRow(rows, []any{&code, &name}, func() error { out[code] = name; return nil }); err != nil {
		return nil, fmt.Errorf("read the district names to keep: %w", err)
	}
	return out, nil
}

// writeRegion stores the region of the import, completed by data.RegionOf
// from the villages. A re-import that names no region and covers the same
// code keeps the stored name and source, as it keeps the zones.
func writeRegion(ctx context.Context, tx pgx.Tx, given data.Region, villages []data.Village) (data.Region, error) {
	var stored data.Region
	if err := tx.QueryRow(ctx, `SELECT region_code, region_name_id, region_name_en, region_source FROM dataset_state`).
		Scan(&stored.Code, &stored.Name.ID, &stored.Name.EN, &stored.Source); err != nil {
		return data.Region{}, fmt.Errorf("read the stored region: %w", err)
	}
	code := data.RegionOf(data.Region{Code: given.Code}, villages).Code
	if code == stored.Code {
		if given.Name.ID == "" && given.Name.EN == "" {
			given.Name = stored.Name
		}
		if given.Source == "" {
			given.Source = stored.Source
		}
	}
	r := data.RegionOf(given, villages)
	if _, err := tx.Exec(ctx, `UPDATE dataset_state SET region_code = $1, region_name_id = $2, region_name_en = $3,
		region_synthetic = $4, region_source = $5`, r.Code, r.Name.ID, r.Name.EN, r.Synthetic, r.Source); err != nil {
		return data.Region{}, fmt.Errorf("store the region: %w", err)
	}
	return r, nil
}

// importRegion is the region an import names: the options' fields win over
// the dataset's.
func importRegion(opt, files data.Region) data.Region {
	r := files
	if opt.Code != "" {
		r.Code = opt.Code
	}
	if opt.Name.ID != "" || opt.Name.EN != "" {
		r.Name = opt.Name
	}
	if opt.Source != "" {
		r.Source = opt.Source
	}
	r.Synthetic = r.Synthetic || opt.Synthetic
	return r
}
