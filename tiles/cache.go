package tiles

import (
	"bytes"
	"compress/gzip"
	"labmap/cache"
	"strings"
	"sync"
	"time"
)

// Cached is an encoded tile with its strong ETag; its gzip encoding is made
// when a client first asks for it, so a render that nobody wants compressed
// (GDAL, QGIS, a cache-off benchmark) never pays for it.
type Cached struct {
	Raw  []byte
	ETag string // quoted; the gzip body's tag is ETag with a -gz suffix inside the quotes

	gzipOnce sync.Once
	gzip     []byte
	gzipETag string
}

// Gzip returns the tile gzip-compressed, compressing it on first use.
func (c *Cached) Gzip() []byte {
	c.gzipOnce.Do(func() {
		var buf bytes.Buffer
		buf.Grow(len(c.Raw)/2 + 64)
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		// Writes to a bytes.Buffer cannot fail.
		zw.Write(c.Raw)
		zw.Close()
		c.gzip = buf.Bytes()
		c.gzipETag = strings.TrimSuffix(c.ETag, `"`) + `-gz"`
	})
	return c.gzip
}

// GzipETag is the ETag of the gzip body: ETag with -gz inside the quotes.
func (c *Cached) GzipETag() string {
	c.Gzip()
	return c.gzipETag
}

// size charges the gzip body in advance, at the raw size (a compressed
// tile is smaller), so that the cache's bound holds once it is made.
func (c *Cached) size() int { return 2*len(c.Raw) + len(c.ETag) + 64 }

// Cache is the tile cache: tiles by request key, bounded in bytes. Keys
// include the dataset version, so a new import makes every old entry
// unreachable at once; those entries then age out.
type Cache = cache.Bounded[string, *Cached]

// DefaultFillTimeout bounds one tile render. The render no longer stops when
// the client that started it hangs up (others may be waiting for it), so the
// server needs its own limit on how long a stuck render may hold a
// connection to the database.
const DefaultFillTimeout = 30 * time.Second

// NewCache returns a tile cache holding at most maxBytes; 0 disables
// caching but still lets concurrent requests share one render.
func NewCache(maxBytes int) *Cache {
	return cache.NewBounded[string](maxBytes, (*Cached).size, DefaultFillTimeout)
}
