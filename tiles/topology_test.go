package tiles

import (
	"context"
	"fmt"
	"math"
	"testing"

	"labmap/data"
	"labmap/data/memory"
	"labmap/geo"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

// TestSharedArcs: two villages whose common boundary wiggles far below the
// tolerance must still meet exactly after simplification, at every zoom,
// and a district dissolved from them must follow their outer edges.
func TestSharedArcs(t *testing.T) {
	var border []orb.Point // from (109.60, -6.90) south to (109.60, -7.00)
	for i := 0; i <= 200; i++ {
		border = append(border, orb.Point{109.60 + 0.0004*math.Sin(float64(i)), -6.90 - 0.0005*float64(i)})
	}
	west := orb.Ring{{109.50, -6.90}}
	west = append(west, border...)
	west = append(west, orb.Point{109.50, -7.00}, orb.Point{109.50, -6.90})
	east := orb.Ring{border[len(border)-1]}
	for i := len(border) - 2; i >= 0; i-- {
		east = append(east, border[i])
	}
	east = append(east, orb.Point{109.70, -6.90}, orb.Point{109.70, -7.00}, border[len(border)-1])
	district := orb.Ring{{109.50, -6.90}, border[0], {109.70, -6.90}, {109.70, -7.00}, border[len(border)-1], {109.50, -7.00}, {109.50, -6.90}}
	topo := buildTopology(map[areaKey]orb.MultiPolygon{
		{data.LevelVillage, "w"}:  {{west}},
		{data.LevelVillage, "e"}:  {{east}},
		{data.LevelDistrict, "d"}: {{district}},
	})
	if len(topo.arcs) != 3 {
		t.Errorf("%d arcs, want 3: the shared border, and the west and east outer edges that the district shares", len(topo.arcs))
	}
	for _, z := range []int{0, 6, 10, 14, 16} {
		world, _ := topo.world(z)
		w, e, d := world[areaKey{data.LevelVillage, "w"}], world[areaKey{data.LevelVillage, "e"}], world[areaKey{data.LevelDistrict, "d"}]
		union, err := geo.Dissolve([]orb.MultiPolygon{w, e})
		if err != nil {
			t.Fatal(err)
		}
		sum, u, da := planar.Area(w)+planar.Area(e), planar.Area(union), planar.Area(d)
		if math.Abs(sum-u) > 1e-6*u || math.Abs(u-da) > 1e-6*da {
			t.Errorf("z%d: villages %g + %g = %g, their union %g, the district %g: a gap or overlap", z, planar.Area(w), planar.Area(e), sum, u, da)
		}
	}
}

// TestEveryAreaInEveryTile renders the village, district and zone tiles of
// the default dataset (the real 33.26 boundaries) and of the real Kota
// Pekalongan villages (33.75, MultiPolygons included) over their whole
// extent at z0-z14: every area whose true outline meets a tile is in it,
// every polygon is valid MVT, and neighbouring villages do not overlap
// (checkOverlaps).
func TestEveryAreaInEveryTile(t *testing.T) {
	t.Run("kabupaten pekalongan", func(t *testing.T) { checkEveryAreaInEveryTile(t, store(t)) })
	t.Run("kota pekalongan", func(t *testing.T) {
		in, err := data.OpenInput("../data/testdata/kota-pekalongan-villages.geojson.gz")
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		vs, err := data.ReadVillages(in, "kota-pekalongan-villages.geojson.gz", data.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// One household per village: the tiles need a round, not figures.
		ds := data.Dataset{Villages: vs}
		for i, v := range vs {
			p, ok := geo.PointOnSurface(v.Geometry)
			if !ok {
				t.Fatalf("%s: no inside point", v.Code)
			}
			ds.Households = append(ds.Households, data.Household{ID: fmt.Sprintf("h%d", i), Round: "2024-06-01", Loc: p, Members: 1, Status: data.Poor, VillageCode: v.Code})
		}
		if err := data.CheckDataset(&ds, "kota"); err != nil {
			t.Fatal(err)
		}
		s, err := memory.New(ds, memory.Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkEveryAreaInEveryTile(t, s)
	})
}

func checkEveryAreaInEveryTile(t *testing.T, s data.Store) {
	ctx := context.Background()
	ext, _ := s.Extent(ctx)
	svc := NewService(s, 0)
	levels := []Layer{Layers[1], Layers[2], Layers[3]}
	truth := map[string][]data.Area{}
	for _, l := range levels {
		areas, err := s.Areas(ctx, data.AreaQuery{StatsQuery: data.StatsQuery{Level: l.Level}, Bound: outlineBound})
		if err != nil {
			t.Fatal(err)
		}
		truth[l.Name] = areas
	}
	if len(truth["villages"]) < 20 {
		t.Fatalf("only %d villages to check", len(truth["villages"]))
	}
	for z := 0; z <= 14; z++ {
		lo := maptile.At(orb.Point{ext.Min[0], ext.Max[1]}, maptile.Zoom(z))
		hi := maptile.At(orb.Point{ext.Max[0], ext.Min[1]}, maptile.Zoom(z))
		missing := 0
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				c, err := svc.Tile(ctx, Request{Layers: levels, Z: z, X: int(x), Y: int(y)})
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Raw) > 500<<10 {
					t.Errorf("tile %d/%d/%d is %d bytes", z, x, y, len(c.Raw))
				}
				tb := maptile.New(x, y, maptile.Zoom(z)).Bound()
				layers := decode(t, c.Raw)
				for _, l := range levels {
					drawn := map[string]bool{}
					var polys []orb.MultiPolygon
					for _, f := range layers[l.Name].Features {
						drawn[f.Properties["code"].(string)] = true
						checkGeometry(t, f.Geometry)
						polys = append(polys, asMultiPolygon(f.Geometry))
					}
					for _, a := range truth[l.Name] {
						if !drawn[a.Code] && geo.IntersectsBound(a.Geometry, tb) {
							if missing++; missing <= 5 {
								t.Errorf("tile %s/%d/%d/%d: %s meets the tile but is not drawn", l.Name, z, x, y, a.Code)
							}
						}
					}
					if l.Level == data.LevelVillage {
						checkOverlaps(t, fmt.Sprintf("tile villages/%d/%d/%d", z, x, y), polys)
					}
				}
			}
		}
		if missing > 0 {
			t.Errorf("z%d: %d areas missing from tiles they meet", z, missing)
		}
	}
}

func asMultiPolygon(g orb.Geometry) orb.MultiPolygon {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	}
	panic(fmt.Sprintf("not polygonal: %T", g))
}

// checkOverlaps fails when two of a tile's villages overlap by more than
// one pixel of a 512-pixel tile (64 grid units²), unless one of them is the
// square of a village collapsed on the grid. Neighbours share their
// simplified arcs exactly, so what remains comes from rounding to the grid
// where a third boundary runs within half a cell (up to 11 units² seen on
// the real regency); the wedges this replaced overlapped by square
// kilometres.
func checkOverlaps(t *testing.T, where string, polys []orb.MultiPolygon) {
	t.Helper()
	bounds := make([]orb.Bound, len(polys))
	areas := make([]float64, len(polys))
	for i, p := range polys {
		bounds[i], areas[i] = p.Bound(), planar.Area(p)
	}
	for i := range polys {
		for j := i + 1; j < len(polys); j++ {
			if areas[i] <= 1 || areas[j] <= 1 || !bounds[i].Intersects(bounds[j]) {
				continue
			}
			u, err := geo.Dissolve([]orb.MultiPolygon{polys[i], polys[j]})
			if err != nil {
				t.Fatal(err)
			}
			if ov := areas[i] + areas[j] - planar.Area(u); ov > 64 {
				t.Errorf("%s: features %d and %d overlap by %.2f units²", where, i, j, ov)
			}
		}
	}
}

// TestOutlineCacheBounded: the simplified outlines of each zoom count
// against the cache's bound, the least recently used zoom goes first, and a
// new dataset version drops everything of the old one.
func TestOutlineCacheBounded(t *testing.T) {
	ctx := context.Background()
	s := store(t)
	c := &outlineCache{}
	c.reset(1)
	for _, z := range []int{8, 10, 12} {
		if _, _, err := c.world(ctx, s, "", z); err != nil {
			t.Fatal(err)
		}
	}
	has := func(z int) bool { _, ok := c.entries.Get(z); return ok }
	n, full := c.entries.Stats()
	if n != 4 || full <= 0 || !has(topologyKey) {
		t.Fatalf("%d entries, %d bytes held; want the topology and 3 zooms, and their size", n, full)
	}
	// One byte short of what is held: using z8 again makes z10 the least
	// recently used zoom, the first to go when z14 comes in.
	c.entries.SetMaxBytes(full - 1)
	if _, _, err := c.world(ctx, s, "", 8); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.world(ctx, s, "", 14); err != nil {
		t.Fatal(err)
	}
	_, used := c.entries.Stats()
	if has(10) || !has(14) || !has(8) || used > full-1 {
		t.Errorf("after eviction: z8 %v, z10 %v, z14 %v, %d bytes (bound %d); want z10 gone", has(8), has(10), has(14), used, full-1)
	}
	c.reset(2)
	if n, used := c.entries.Stats(); n != 0 || used != 0 {
		t.Errorf("a new version kept %d entries, %d bytes", n, used)
	}
}
