package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"labmap/cache"
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
	if q.After != nil && len(q.After.Values) != len(q.SortBy) {
		return 0, fmt.Errorf("%w: cursor has %d sort values for %d sort keys", data.ErrInvalidQuery, len(q.After.Values), len(q.SortBy))
	}
	l, err := s.featureList(ctx, q.StatsQuery)
	if err != nil {
		return 0, err
	}
	o, err := l.ordering(ctx, q)
	if err != nil {
		return 0, err
	}
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
// only as long as its dataset version. Concurrent requests for one shape
// share one build, which stops when none of them waits any more.
func (l *featureList) ordering(ctx context.Context, q data.FeatureQuery) (*ordering, error) {
	if q.Bound == nil && q.Filter == nil && len(q.SortBy) == 0 {
		return &ordering{n: len(l.areas)}, nil // the list itself is in code order
	}
	key := fmt.Sprintf("%v|%v|%v", q.Bound, q.Filter, q.SortBy)
	return l.orders.GetOrFill(ctx, key, func(ctx context.Context) (*ordering, error) {
		return l.order(ctx, q)
	})
}

// order builds the ordering of q, checking ctx as it goes: a filter with a
// large polygon costs real time per area.
func (l *featureList) order(ctx context.Context, q data.FeatureQuery) (*ordering, error) {
	// The sort values are gathered once for the sort and then dropped: the
	// kept order is only positions (4 bytes an area), and a seek computes
	// the few values its binary search looks at.
	o := &ordering{}
	keys := len(q.SortBy)
	var vals []cql.Value
	values := func(i int) []cql.Value { return vals[i*keys : (i+1)*keys] }
	for i := range l.areas {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
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
	return o, nil
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
// a resolution for every page would make that quadratic. Concurrent
// requests for a list not yet built share one build (64 cold requests for
// res-10 hexagons each built their own: 48 s and 1.8 GB), which goes on when
// one of them hangs up and stops when none waits any more.
func (s *Store) featureList(ctx context.Context, q data.StatsQuery) (*featureList, error) {
	key := listKey{version: s.version.Load(), q: q}
	return s.lists.GetOrFill(ctx, key, func(ctx context.Context) (*featureList, error) {
		if s.fillHook != nil {
			s.fillHook(ctx)
		}
		everywhere := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
		areas, zones, err := s.collectZones(ctx, q, &everywhere)
		if err != nil {
			return nil, err
		}
		return &featureList{areas: areas, zones: zones,
			orders: cache.NewBounded[string](maxOrderings, func(*ordering) int { return 1 }, fillTimeout)}, nil
	})
}

// maxFeatureLists bounds the kept lists: a few levels and rounds in use at
// once. Lists of an older dataset version are never asked for again and
// are the first to go.
const maxFeatureLists = 8

// fillTimeout bounds one list or ordering build, as tiles.DefaultFillTimeout
// bounds a render: the build outlives the request that started it.
const fillTimeout = 30 * time.Second

// newFeatureLists is the store's cache of feature lists.
func newFeatureLists() *cache.Bounded[listKey, *featureList] {
	return cache.NewBounded[listKey](maxFeatureLists, func(*featureList) int { return 1 }, fillTimeout)
}

// listKey names a feature list: its query at a dataset version.
type listKey struct {
	version int64
	q       data.StatsQuery
}

type featureList struct {
	areas  []data.Area
	zones  []string
	orders *cache.Bounded[string, *ordering] // by bound, filter and sortby
}
