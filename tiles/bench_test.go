package tiles

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"

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

// defaultStore is the dataset `labmap serve` starts with (the real village
// boundaries of the regency with the default synthetic households), loaded
// once for the benchmarks that name it.
var defaultStore = sync.OnceValues(func() (*memory.Store, error) {
	ds, err := demo.Generate(demo.Options{})
	if err != nil {
		return nil, err
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		return nil, err
	}
	return memory.New(ds, memory.Options{})
})

// BenchmarkRenderVillagesByZoom renders the default dataset's village
// tiles at the latest round one zoom at a time, z8-z14, through a service
// whose tile cache is off (the cold path as served, outline cache
// included): it shows which zooms the time goes to, the per-tile cost
// beside scripts/bench-tiles' cold throughput.
func BenchmarkRenderVillagesByZoom(b *testing.B) {
	s, err := defaultStore()
	if err != nil {
		b.Fatal(err)
	}
	byZoom := map[int][]Request{}
	for _, r := range villageTiles(s) {
		byZoom[r.Z] = append(byZoom[r.Z], r)
	}
	for z := 8; z <= 14; z++ {
		reqs := byZoom[z]
		b.Run(fmt.Sprintf("z%d", z), func(b *testing.B) {
			svc := NewService(s, 0)
			for i := 0; b.Loop(); i++ {
				if _, err := svc.Tile(context.Background(), reqs[i%len(reqs)]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(reqs)), "tiles")
		})
	}
}
