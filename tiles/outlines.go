package tiles

import (
	"context"
	"fmt"
	"sync"

	"labmap/cache"
	"labmap/data"

	"github.com/paulmach/orb"
)

// maxOutlineBytes bounds the simplified outlines kept for one dataset
// version. The whole regency's outlines at z14 take a few megabytes and
// each zoom below about half of the one above, so this holds every zoom of a
// real regency with room to spare, and evicts the least recently used zooms
// of a much larger region instead of growing without end.
const maxOutlineBytes = 256 << 20

// outlineCache keeps, for one dataset version, the topology of the village,
// district and zone outlines and their simplified world outlines per zoom:
// the same few hundred areas appear in every tile of a zoom, and building
// them is most of a cold tile's work. It is a cache.Bounded, as the tile cache is: each
// entry is built once however many tiles ask for it at the same time, a
// build outlives the request that started it while others wait, and the
// least recently used zooms go first when the bound is reached.
type outlineCache struct {
	max int // bytes; 0 means maxOutlineBytes

	mu      sync.Mutex
	version int64
	entries *cache.Bounded[int, *outlineEntry] // by zoom; topologyKey for the topology
}

// topologyKey keys the topology among the zooms.
const topologyKey = -1

// outlineEntry is the topology or one zoom's simplified outlines.
type outlineEntry struct {
	topo  *topology
	world map[areaKey]orb.MultiPolygon
	size  int
}

func (e *outlineEntry) cost() int { return e.size }

// reset starts an empty cache when the dataset version changes; the old
// version's outlines are dropped at once.
func (c *outlineCache) reset(version int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries != nil && c.version == version {
		return
	}
	limit := c.max
	if limit == 0 {
		limit = maxOutlineBytes
	}
	c.version, c.entries = version, cache.NewBounded[int](limit, (*outlineEntry).cost, 0)
}

// world returns the simplified world outlines of every village, district
// and zone at zoom z, and the topology they come from.
func (c *outlineCache) world(ctx context.Context, store data.Store, round data.Round, z int) (*topology, map[areaKey]orb.MultiPolygon, error) {
	c.mu.Lock()
	entries := c.entries
	c.mu.Unlock()
	t, err := entries.GetOrFill(ctx, topologyKey, func(ctx context.Context) (*outlineEntry, error) {
		topo, err := loadTopology(ctx, store, round)
		if err != nil {
			return nil, err
		}
		return &outlineEntry{topo: topo, size: 16 * topo.points}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	w, err := entries.GetOrFill(ctx, z, func(context.Context) (*outlineEntry, error) {
		world, size := t.topo.world(z)
		return &outlineEntry{world: world, size: size}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return t.topo, w.world, nil
}

// loadTopology reads every village, district and zone outline and cuts them
// into shared arcs.
func loadTopology(ctx context.Context, store data.Store, round data.Round) (*topology, error) {
	outlines := map[areaKey]orb.MultiPolygon{}
	for _, level := range []data.Level{data.LevelVillage, data.LevelDistrict, data.LevelZone} {
		areas, err := store.Areas(ctx, data.AreaQuery{StatsQuery: data.StatsQuery{Level: level, Round: round}, Bound: outlineBound})
		if err != nil {
			return nil, fmt.Errorf("outlines of %s: %w", level, err)
		}
		for _, a := range areas {
			outlines[areaKey{level, a.Code}] = a.Geometry
		}
	}
	return buildTopology(outlines), nil
}

// outlineBound is the whole Web Mercator world: the bound of the queries
// that load every outline, which no tile asks for (a z0 tile's buffered
// bound reaches past it).
var outlineBound = orb.Bound{Min: orb.Point{-180, -85.06}, Max: orb.Point{180, 85.06}}

// isOutlineLoad tells the queries that load the topology from those of a
// tile's own areas.
func isOutlineLoad(q data.AreaQuery) bool { return q.Bound == outlineBound }
