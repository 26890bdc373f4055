package postgis

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"labmap/data"
	"labmap/geo"

	"github.com/paulmach/orb"
)

// outlineSet holds the decoded outlines of one level's areas at one dataset
// version. Tiles need them on every cold request; fetched from the database
// they would be most of each query's bytes and decoding time.
type outlineSet struct {
	version int64
	byCode  map[string]orb.MultiPolygon
}

type outlineCache struct {
	mu   sync.Mutex
	sets map[data.Level]*outlineSet
}

var outlineTables = map[data.Level]string{
	data.LevelVillage:  "villages",
	data.LevelDistrict: "districts",
	data.LevelZone:     "zones",
	data.LevelRegency:  "regencies",
	data.LevelProvince: "provinces",
}

// outlines returns the outlines of a level for the current dataset version,
// loading them in one query when the version has changed.
func (s *Store) outlines(ctx context.Context, level data.Level) (*outlineSet, error) {
	v, err := s.Version(ctx)
	if err != nil {
		return nil, err
	}
	s.outlineCache.mu.Lock()
	defer s.outlineCache.mu.Unlock()
	if set := s.outlineCache.sets[level]; set != nil && set.version == v {
		return set, nil
	}
	table, ok := outlineTables[level]
	if !ok {
		return nil, fmt.Errorf("no outlines for level %s", level)
	}
	key := "code"
	if level == data.LevelZone {
		key = "id"
	}
	set := &outlineSet{version: v, byCode: map[string]orb.MultiPolygon{}}
	err = s.read(ctx, func(q querier) error {
		rows, err := q.Query(ctx, "SELECT "+key+", ST_AsBinary(geom) FROM "+table+" WHERE geom IS NOT NULL")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var code string
			var b []byte
			if err := rows.Scan(&code, &b); err != nil {
				return err
			}
			mp, err := multiPolygonFromWKB(b)
			if err != nil {
				return fmt.Errorf("%s %s: %w", table, code, err)
			}
			set.byCode[code] = mp
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if s.outlineCache.sets == nil {
		s.outlineCache.sets = map[data.Level]*outlineSet{}
	}
	s.outlineCache.sets[level] = set
	return set, nil
}

// of returns an area's outline. H3 cells are drawn from their index with the
// same h3-go call that built the stored polygons, so they need no cache.
func (o *outlineSet) of(level data.Level, key string) (orb.MultiPolygon, error) {
	if level == data.LevelHexagon {
		cell, err := strconv.ParseUint(key, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("hexagon cell %q: %w", key, err)
		}
		return orb.MultiPolygon{geo.CellPolygon(cell)}, nil
	}
	return o.byCode[key], nil
}
