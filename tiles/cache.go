package tiles

import (
	"container/list"
	"sync"
)

// Cached is an encoded tile in both encodings, with its strong ETag.
type Cached struct {
	Raw  []byte
	Gzip []byte
	ETag string // quoted; the gzip body's tag is ETag with a -gz suffix inside the quotes
}

func (c *Cached) size() int { return len(c.Raw) + len(c.Gzip) + len(c.ETag) + 64 }

// Cache is an LRU of tiles bounded in bytes. Keys include the dataset
// version, so a new import makes every old entry unreachable at once; those
// entries then age out.
type Cache struct {
	mu    sync.Mutex
	max   int
	used  int
	order *list.List // front = most recently used
	items map[string]*list.Element
}

type cacheEntry struct {
	key  string
	tile *Cached
}

// NewCache returns a cache holding at most maxBytes; 0 disables caching.
func NewCache(maxBytes int) *Cache {
	return &Cache{max: maxBytes, order: list.New(), items: make(map[string]*list.Element)}
}

// Get returns the tile under key, if cached.
func (c *Cache) Get(key string) (*Cached, bool) {
	if c == nil || c.max <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).tile, true
}

// Put stores a tile, evicting the least recently used ones to stay in bounds.
func (c *Cache) Put(key string, t *Cached) {
	if c == nil || c.max <= 0 || t.size() > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.used -= el.Value.(*cacheEntry).tile.size()
		el.Value.(*cacheEntry).tile = t
		c.used += t.size()
		c.order.MoveToFront(el)
	} else {
		c.items[key] = c.order.PushFront(&cacheEntry{key, t})
		c.used += t.size()
	}
	for c.used > c.max {
		el := c.order.Back()
		e := el.Value.(*cacheEntry)
		c.order.Remove(el)
		delete(c.items, e.key)
		c.used -= e.tile.size()
	}
}

// Stats reports the number of tiles and bytes held.
func (c *Cache) Stats() (tiles, bytes int) {
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items), c.used
}
