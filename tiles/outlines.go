package tiles

import (
	"sync"

	"labmap/data"

	"github.com/paulmach/orb"
)

// outlineCache keeps the world outlines of villages, districts and zones per
// zoom for one dataset version: the same few hundred areas appear in every
// tile of a zoom, and projecting and simplifying them is most of a cold
// tile's work.
type outlineCache struct {
	mu      sync.RWMutex
	version int64
	m       map[outlineKey]orb.MultiPolygon
}

type outlineKey struct {
	level data.Level
	code  string
	z     int
}

// reset empties the cache when the dataset version changes.
func (c *outlineCache) reset(version int64) {
	c.mu.RLock()
	same := c.m != nil && c.version == version
	c.mu.RUnlock()
	if same {
		return
	}
	c.mu.Lock()
	if c.m == nil || c.version != version {
		c.version, c.m = version, map[outlineKey]orb.MultiPolygon{}
	}
	c.mu.Unlock()
}

func (c *outlineCache) get(level data.Level, code string, z int, mp orb.MultiPolygon) orb.MultiPolygon {
	k := outlineKey{level, code, z}
	c.mu.RLock()
	w, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return w
	}
	w = worldOutline(mp, z)
	c.mu.Lock()
	c.m[k] = w
	c.mu.Unlock()
	return w
}
