package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"labmap/data"
	"labmap/data/cql"
	"labmap/geo"

	"github.com/paulmach/orb"
)

var _ data.FeatureStore = (*Store)(nil)

// Features filters, sorts and pages the areas of one level in Go, with the
// same semantics as the SQL of the PostGIS store: published values only,
// nulls last, ties broken by code. The filtered, sorted order of a query is
// kept with the level's list (see ordering), so every page after the first
// is a binary search for the cursor and a slice: constant in the depth.
func (s *Store) Features(ctx context.Context, q data.FeatureQuery, fn func(a *data.Area) error) (int, error) {
	l, err := s.featureList(q.StatsQuery)
	if err != nil {
		return 0, err
	}
	if q.After != nil && len(q.After.Values) != len(q.SortBy) {
		return 0, fmt.Errorf("%w: cursor has %d sort values for %d sort keys", data.ErrInvalidQuery, len(q.After.Values), len(q.SortBy))
	}
	o := l.ordering(q)
	matched := o.len()
	first := 0
	if q.After != nil {
		first = sort.Search(matched, func(i int) bool {
			return q.After.After(q.SortBy, l.sortValues(q.SortBy, o.area(i)), l.areas[o.area(i)].Code)
		})
	}
	first = min(first+q.Offset, matched)
	last := matched
	if q.Limit > 0 {
		last = min(first+q.Limit, matched)
	}
	for i := first; i < last; i++ {
		if err := ctx.Err(); err != nil {
			return matched, err
		}
		if err := fn(&l.areas[o.area(i)]); err != nil {
			return matched, err
		}
	}
	if q.OnLast != nil && last > first {
		q.OnLast(data.Cursor{Values: l.sortValues(q.SortBy, o.area(last-1)), Code: l.areas[o.area(last-1)].Code})
	}
	return matched, nil
}

// ordering is the order of the areas of l that q selects (bound, filter,
// sortby), built once per query shape and kept with the list, which lives
// only as long as its dataset version.
func (l *featureList) ordering(q data.FeatureQuery) *ordering {
	if q.Bound == nil && q.Filter == nil && len(q.SortBy) == 0 {
		return &ordering{n: len(l.areas)} // the list itself is in code order
	}
	key := fmt.Sprintf("%v|%v|%v", q.Bound, q.Filter, q.SortBy)
	l.mu.Lock()
	o, ok := l.orders[key]
	l.mu.Unlock()
	if ok {
		return o
	}
	// The sort values are gathered once for the sort and then dropped: the
	// kept order is only positions (4 bytes an area), and a seek computes
	// the few values its binary search looks at.
	o = &ordering{}
	keys := len(q.SortBy)
	var vals []cql.Value
	values := func(i int) []cql.Value { return vals[i*keys : (i+1)*keys] }
	for i := range l.areas {
		a := &l.areas[i]
		if q.Bound != nil && !geo.IntersectsBound(a.Geometry, *q.Bound) {
			continue
		}
		if q.Filter != nil {
			zone := l.zones[i]
			prop := func(name string) cql.Value { return data.PropertyValue(&a.AreaStats, zone, name) }
			if !cql.Eval(q.Filter, prop, a.Geometry) {
				continue
			}
		}
		o.idx = append(o.idx, int32(i))
		for _, k := range q.SortBy {
			vals = append(vals, data.PropertyValue(&a.AreaStats, l.zones[i], k.Property))
		}
	}
	o.n = len(o.idx)
	if len(q.SortBy) > 0 {
		perm := make([]int, o.n)
		for i := range perm {
			perm[i] = i
		}
		slices.SortFunc(perm, func(x, y int) int {
			return data.ComparePosition(q.SortBy, values(x), l.areas[o.idx[x]].Code, values(y), l.areas[o.idx[y]].Code)
		})
		idx := make([]int32, o.n)
		for i, p := range perm {
			idx[i] = o.idx[p]
		}
		o.idx = idx
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.orders == nil {
		l.orders = map[string]*ordering{}
	}
	if _, ok := l.orders[key]; !ok {
		if len(l.orderKeys) >= maxOrderings {
			delete(l.orders, l.orderKeys[0])
			l.orderKeys = l.orderKeys[1:]
		}
		l.orders[key] = o
		l.orderKeys = append(l.orderKeys, key)
	}
	return o
}

// maxOrderings bounds the orders kept per list: a client walking a filtered
// or sorted collection needs its one; a handful of people at once, a few.
const maxOrderings = 16

// ordering is a sorted selection of a list's areas: idx their positions
// (nil: all of them, in the list's code order).
type ordering struct {
	n   int
	idx []int32
}

func (o *ordering) len() int { return o.n }

func (o *ordering) area(i int) int {
	if o.idx == nil {
		return i
	}
	return int(o.idx[i])
}

// sortValues are the values of the sort keys of area i of the list.
func (l *featureList) sortValues(keys []data.SortKey, i int) []cql.Value {
	vals := make([]cql.Value, len(keys))
	for j, k := range keys {
		vals[j] = data.PropertyValue(&l.areas[i].AreaStats, l.zones[i], k.Property)
	}
	return vals
}

// featureList is every area of a level and round with outlines and zones,
// kept for the current dataset version: clients page through a collection
// ten features at a time (GDAL does), and evaluating all 20,000 hexagons of
// a resolution for every page would make that quadratic.
func (s *Store) featureList(q data.StatsQuery) (*featureList, error) {
	v := s.version.Load()
	s.lists.mu.Lock()
	if s.lists.version != v {
		s.lists.version, s.lists.m, s.lists.order = v, map[data.StatsQuery]*featureList{}, nil
	}
	if l, ok := s.lists.m[q]; ok {
		s.lists.mu.Unlock()
		return l, nil
	}
	s.lists.mu.Unlock()
	everywhere := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	areas, zones, err := s.collectZones(q, &everywhere)
	if err != nil {
		return nil, err
	}
	l := &featureList{areas: areas, zones: zones}
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	if s.lists.version == v {
		if old, ok := s.lists.m[q]; ok {
			return old, nil // built meanwhile by another request: share its orders
		}
		if len(s.lists.order) >= maxFeatureLists {
			delete(s.lists.m, s.lists.order[0])
			s.lists.order = s.lists.order[1:]
		}
		s.lists.m[q] = l
		s.lists.order = append(s.lists.order, q)
	}
	return l, nil
}

// maxFeatureLists bounds the kept lists: a few levels and rounds in use at once.
const maxFeatureLists = 8

type featureList struct {
	areas []data.Area
	zones []string

	mu        sync.Mutex
	orders    map[string]*ordering
	orderKeys []string
}

type featureLists struct {
	mu      sync.Mutex
	version int64
	m       map[data.StatsQuery]*featureList
	order   []data.StatsQuery
}
