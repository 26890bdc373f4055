package postgis

import (
	"context"
	"fmt"
	"sync"

	"labmap/data"
)

// zoneMembersSQL lists, per area of a level, the ids of the lab zones it
// belongs to in zone order (see data.Area.Zones); $1 is the round and $2 the
// H3 resolution, used by hexagons only.
func zoneMembersSQL(level data.Level) (string, bool) {
	switch level {
	case data.LevelVillage:
		return `SELECT zv.village_code, array_agg(zv.zone_id ORDER BY z.ord, z.id) FROM zone_villages zv JOIN zones z ON z.id = zv.zone_id
			WHERE $1::date IS NOT NULL AND $2::int IS NOT NULL GROUP BY zv.village_code`, true
	case data.LevelDistrict:
		return `SELECT d.district_code, array_agg(d.zone_id ORDER BY d.ord, d.zone_id) FROM (
				SELECT DISTINCT v.district_code, zv.zone_id, z.ord FROM zone_villages zv
				JOIN zones z ON z.id = zv.zone_id JOIN villages v ON v.code = zv.village_code) d
			WHERE $1::date IS NOT NULL AND $2::int IS NOT NULL GROUP BY d.district_code`, true
	case data.LevelRegency, data.LevelProvince:
		n := 5
		if level == data.LevelProvince {
			n = 2
		}
		return fmt.Sprintf(`SELECT d.code, array_agg(d.zone_id ORDER BY d.ord, d.zone_id) FROM (
				SELECT DISTINCT left(zv.village_code, %d) AS code, zv.zone_id, z.ord FROM zone_villages zv
				JOIN zones z ON z.id = zv.zone_id) d
			WHERE $1::date IS NOT NULL AND $2::int IS NOT NULL GROUP BY d.code`, n), true
	case data.LevelZone:
		return `SELECT z.id, ARRAY[z.id] FROM zones z WHERE $1::date IS NOT NULL AND $2::int IS NOT NULL`, true
	case data.LevelHexagon:
		return `SELECT hz.code, array_agg(hz.zone_id ORDER BY z.ord, z.id) FROM hexagon_zones hz JOIN zones z ON z.id = hz.zone_id
			WHERE hz.round = $1 AND hz.res = $2 GROUP BY hz.code`, true
	}
	return "", false
}

// zoneMemberCache keeps the zone membership of one level, round and
// resolution for the current dataset version: clients page through a
// collection, and each page would otherwise ask it again.
type zoneMemberCache struct {
	mu      sync.Mutex
	version int64
	m       map[string]map[string][]string
}

// zoneMembers maps the codes of a level's areas at a round to their zones;
// an area in no zone is absent.
func (s *Store) zoneMembers(ctx context.Context, db querier, level data.Level, round data.Round, res int) (map[string][]string, error) {
	sql, ok := zoneMembersSQL(level)
	if !ok {
		return nil, nil
	}
	key := fmt.Sprintf("%s|%s|%d", level, round, res)
	version, known := s.version.Load(), s.known()
	c := &s.zoneMemberCache
	if known {
		c.mu.Lock()
		m, hit := c.m[key]
		hit = hit && c.version == version
		c.mu.Unlock()
		if hit {
			return m, nil
		}
	}
	rows, err := db.Query(ctx, sql, string(round), res)
	if err != nil {
		return nil, fmt.Errorf("zone membership of %s: %w", level, err)
	}
	defer rows.Close()
	m := map[string][]string{}
	for rows.Next() {
		var code string
		var zones []string
		if err := rows.Scan(&code, &zones); err != nil {
			return nil, fmt.Errorf("zone membership of %s: %w", level, err)
		}
		m[code] = zones
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("zone membership of %s: %w", level, err)
	}
	if known {
		c.mu.Lock()
		if c.version != version || c.m == nil {
			c.version, c.m = version, map[string]map[string][]string{}
		}
		c.m[key] = m
		c.mu.Unlock()
	}
	return m, nil
}
