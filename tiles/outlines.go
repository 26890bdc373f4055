package tiles

import (
	"context"
	"fmt"
	"sync"

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
// them is most of a cold tile's work. Each is built once however many tiles
// ask for it at the same time, and a build is not cancelled when the
// request that started it goes away.
type outlineCache struct {
	mu      sync.Mutex
	version int64
	topo    *outlineFill
	zooms   map[int]*outlineFill
	order   []int // zooms, least recently used first
	used    int
	max     int // bytes; 0 means maxOutlineBytes
}

// outlineFill is one build, shared by everyone waiting for it.
type outlineFill struct {
	done  chan struct{}
	topo  *topology
	world map[areaKey]orb.MultiPolygon
	size  int
	err   error
}

// reset empties the cache when the dataset version changes; the old
// version's outlines are dropped at once.
func (c *outlineCache) reset(version int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.zooms != nil && c.version == version {
		return
	}
	c.version, c.topo, c.zooms, c.order, c.used = version, nil, map[int]*outlineFill{}, nil, 0
}

// wait blocks until f is built or ctx ends.
func wait(ctx context.Context, f *outlineFill) error {
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// world returns the simplified world outlines of every village, district
// and zone at zoom z, and the topology they come from.
func (c *outlineCache) world(ctx context.Context, store data.Store, round data.Round, z int) (*topology, map[areaKey]orb.MultiPolygon, error) {
	c.mu.Lock()
	topo := c.topo
	// closed first: reading err before done is closed races with the build.
	if topo == nil || (closed(topo.done) && topo.err != nil) {
		topo = &outlineFill{done: make(chan struct{})}
		c.topo = topo
		go func() {
			defer close(topo.done)
			// Detached from the caller: others may be waiting for it.
			topo.topo, topo.err = loadTopology(context.WithoutCancel(ctx), store, round)
		}()
	}
	c.mu.Unlock()
	if err := wait(ctx, topo); err != nil {
		return nil, nil, err
	}

	c.mu.Lock()
	f := c.zooms[z]
	if f == nil || (closed(f.done) && f.err != nil) {
		f = &outlineFill{done: make(chan struct{})}
		c.zooms[z] = f
		go func() {
			defer close(f.done)
			f.world, f.size = topo.topo.world(z)
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.zooms[z] == f {
				c.used += f.size
				c.evict(z)
			}
		}()
	}
	c.touch(z)
	c.mu.Unlock()
	if err := wait(ctx, f); err != nil {
		return nil, nil, err
	}
	return topo.topo, f.world, nil
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// touch marks zoom z as the most recently used; c.mu is held.
func (c *outlineCache) touch(z int) {
	for i, o := range c.order {
		if o == z {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.order = append(c.order, z)
}

// evict drops the least recently used finished zooms other than keep until
// the cache is within its bound; c.mu is held.
func (c *outlineCache) evict(keep int) {
	limit := c.max
	if limit == 0 {
		limit = maxOutlineBytes
	}
	for i := 0; c.used > limit && i < len(c.order); {
		z := c.order[i]
		f := c.zooms[z]
		if z == keep || f == nil || !closed(f.done) {
			i++
			continue
		}
		c.used -= f.size
		delete(c.zooms, z)
		c.order = append(c.order[:i], c.order[i+1:]...)
	}
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
