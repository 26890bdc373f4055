package tiles

import (
	"context"
	"testing"

	"labmap/data"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// BenchmarkRenderVillages renders every village tile over the regency at
// z8-z14 from the memory store through a service whose tile cache is off:
// the cold path without a database.
func BenchmarkRenderVillages(b *testing.B) {
	s := store(b)
	reqs := villageTiles(s)
	svc := NewService(s, 0)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Tile(context.Background(), reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderVillagesNoCache is the same tiles rendered from scratch,
// without the outline cache or gzip: the baseline for the cache's gain.
func BenchmarkRenderVillagesNoCache(b *testing.B) {
	benchRender(b, nil)
}

// BenchmarkRenderVillagesOutlineCache renders with the outline cache, without gzip.
func BenchmarkRenderVillagesOutlineCache(b *testing.B) {
	c := &outlineCache{}
	c.reset(1)
	benchRender(b, c)
}

func benchRender(b *testing.B, c *outlineCache) {
	s := store(b)
	reqs := villageTiles(s)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := render(context.Background(), s, reqs[i%len(reqs)], c); err != nil {
			b.Fatal(err)
		}
	}
}

// villageTiles lists the village tiles over the regency at z8-z14.
func villageTiles(s data.Store) []Request {
	ext, _ := s.Extent(context.Background())
	var reqs []Request
	for z := 8; z <= 14; z++ {
		lo := maptile.At(orb.Point{ext.Min[0], ext.Max[1]}, maptile.Zoom(z))
		hi := maptile.At(orb.Point{ext.Max[0], ext.Min[1]}, maptile.Zoom(z))
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				reqs = append(reqs, Request{Layers: []Layer{Layers[1]}, Z: z, X: int(x), Y: int(y)})
			}
		}
	}
	return reqs
}
