package memory

import (
	"context"
	"slices"
	"sync"

	"labmap/data"
	"labmap/data/cql"
	"labmap/geo"

	"github.com/paulmach/orb"
)

var _ data.FeatureStore = (*Store)(nil)

// Features filters, sorts and pages the areas of one level in Go, with the
// same semantics as the SQL of the PostGIS store: published values only,
// nulls last, ties broken by code.
func (s *Store) Features(ctx context.Context, q data.FeatureQuery, fn func(a *data.Area) error) (int, error) {
	areas, zones, err := s.featureList(q.StatsQuery)
	if err != nil {
		return 0, err
	}
	type row struct {
		a    *data.Area
		zone string
	}
	var rows []row
	for i := range areas {
		a := &areas[i]
		if q.Bound != nil && !geo.IntersectsBound(a.Geometry, *q.Bound) {
			continue
		}
		if q.Filter != nil {
			zone := zones[i]
			prop := func(name string) cql.Value { return data.PropertyValue(&a.AreaStats, zone, name) }
			if !cql.Eval(q.Filter, prop, a.Geometry) {
				continue
			}
		}
		rows = append(rows, row{a, zones[i]})
	}
	if len(q.SortBy) > 0 {
		slices.SortStableFunc(rows, func(x, y row) int {
			for _, k := range q.SortBy {
				c := data.CompareValues(data.PropertyValue(&x.a.AreaStats, x.zone, k.Property), data.PropertyValue(&y.a.AreaStats, y.zone, k.Property))
				if c != 0 {
					// Nulls stay last in both directions.
					xv := data.PropertyValue(&x.a.AreaStats, x.zone, k.Property)
					yv := data.PropertyValue(&y.a.AreaStats, y.zone, k.Property)
					if k.Desc && xv.Kind != cql.KindNull && yv.Kind != cql.KindNull {
						return -c
					}
					return c
				}
			}
			return 0 // already in code order
		})
	}
	matched := len(rows)
	page := rows[min(q.Offset, matched):]
	if q.Limit > 0 && len(page) > q.Limit {
		page = page[:q.Limit]
	}
	for _, r := range page {
		if err := ctx.Err(); err != nil {
			return matched, err
		}
		if err := fn(r.a); err != nil {
			return matched, err
		}
	}
	return matched, nil
}

// featureList is every area of a level and round with outlines and zones,
// kept for the current dataset version: clients page through a collection
// ten features at a time (GDAL does), and evaluating all 20,000 hexagons of
// a resolution for every page would make that quadratic.
func (s *Store) featureList(q data.StatsQuery) ([]data.Area, []string, error) {
	v := s.version.Load()
	s.lists.mu.Lock()
	if s.lists.version != v {
		s.lists.version, s.lists.m, s.lists.order = v, map[data.StatsQuery]*featureList{}, nil
	}
	if l, ok := s.lists.m[q]; ok {
		s.lists.mu.Unlock()
		return l.areas, l.zones, nil
	}
	s.lists.mu.Unlock()
	everywhere := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	areas, zones, err := s.collectZones(q, &everywhere)
	if err != nil {
		return nil, nil, err
	}
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	if s.lists.version == v {
		if len(s.lists.order) >= maxFeatureLists {
			delete(s.lists.m, s.lists.order[0])
			s.lists.order = s.lists.order[1:]
		}
		s.lists.m[q] = &featureList{areas, zones}
		s.lists.order = append(s.lists.order, q)
	}
	return areas, zones, nil
}

// maxFeatureLists bounds the kept lists: a few levels and rounds in use at once.
const maxFeatureLists = 8

type featureList struct {
	areas []data.Area
	zones []string
}

type featureLists struct {
	mu      sync.Mutex
	version int64
	m       map[data.StatsQuery]*featureList
	order   []data.StatsQuery
}
