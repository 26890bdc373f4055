package postgis_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/postgis"
	"labmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TestTilesKeptAcrossRegionImport warms a tile cache over regencies A and
// B, imports B again with other households, and asks for every tile again.
// The oracle is a render with no cache at the new version: every tile
// served, reused or rendered, must have its bytes. A's tiles away from B
// must come from the cache (the import of B left them as they were), and
// some of B's must differ, or the test would show nothing. An import that
// leaves the rule undecided tells the cache nothing, and every tile is
// rendered again.
func TestTilesKeptAcrossRegionImport(t *testing.T) {
	t.Parallel() // its own database: it runs beside the others while they wait on PostgreSQL
	ctx := context.Background()
	a, b := splitRegencies(t)
	url := migrated(t)
	importFiles(t, url, a)
	importFiles(t, url, b)
	store := openStore(t, url)
	checkChangesLog(t, url, store)
	svc := tiles.NewService(store, 256<<20)

	ext, err := store.Extent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bBox := villagesBox(t, url, "33.27.")
	// Away from B: further than a res-6 cell (about 0.05°) from its
	// villages, so that no hexagon holds households of both.
	nearB := bBox.Pad(0.1)

	var reqs []tiles.Request
	for z := 9; z <= 11; z++ {
		min := maptile.At(orb.Point{ext.Min[0], ext.Max[1]}, maptile.Zoom(z))
		max := maptile.At(orb.Point{ext.Max[0], ext.Min[1]}, maptile.Zoom(z))
		for x := min.X; x <= max.X; x++ {
			for y := min.Y; y <= max.Y; y++ {
				// The villages and the hexagons (the topology and the
				// cells), the provinces (changed everywhere) and every
				// layer at once.
				for _, name := range []string{"villages", "hexagons", "provinces"} {
					l, _ := tiles.LayerByName(name)
					reqs = append(reqs, tiles.Request{Layers: []tiles.Layer{l}, Z: z, X: int(x), Y: int(y)})
				}
				reqs = append(reqs, tiles.Request{Layers: tiles.Layers, Z: z, X: int(x), Y: int(y)})
			}
		}
	}
	serve := func() [][]byte {
		out := make([][]byte, len(reqs))
		for i, r := range reqs {
			c, err := svc.Tile(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = c.Raw
		}
		return out
	}
	before := serve()

	importAgain := func(f data.Files, opt postgis.ImportOptions) int64 {
		t.Helper()
		opt.Log = quiet
		res, err := postgis.Import(ctx, url, f, opt)
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, fmt.Sprintf("the store at version %d", res.DatasetVersion), func() bool {
			v, err := store.Version(ctx)
			return err == nil && v == res.DatasetVersion
		})
		return res.DatasetVersion
	}
	v2 := importAgain(poorer(t, b), postgis.ImportOptions{})

	// Ask for every tile, one by one, and tell reused from rendered by
	// the counter.
	var reused, awayFromB, awayReused, changed int
	for i, r := range reqs {
		n := svc.Reused()
		c, err := svc.Tile(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := tiles.Render(ctx, store, r)
		if err != nil {
			t.Fatal(err)
		}
		kept := svc.Reused() > n
		where := fmt.Sprintf("%s %d/%d/%d", r.Layers[0].Name, r.Z, r.X, r.Y)
		if len(r.Layers) > 1 {
			where = "all layers " + where[len(r.Layers[0].Name)+1:]
		}
		if !bytes.Equal(c.Raw, fresh) {
			t.Errorf("tile %s (reused: %v) differs from a render at version %d", where, kept, v2)
		}
		if !strings.HasPrefix(c.ETag, fmt.Sprintf(`"%d-`, v2)) {
			t.Errorf("tile %s has ETag %s, want one of version %d", where, c.ETag, v2)
		}
		if !bytes.Equal(before[i], fresh) {
			changed++
		}
		if kept {
			reused++
		}
		if !tiles.QueryBound(r.Z, r.X, r.Y).Intersects(nearB) && !hasLayer(r, data.LevelProvince) {
			awayFromB++
			if kept {
				awayReused++
			}
		}
	}
	t.Logf("%d tile requests after the import of B: %d changed, %d reused; %d away from B, %d of them reused",
		len(reqs), changed, reused, awayFromB, awayReused)
	if changed == 0 {
		t.Fatal("no tile changed: the import of B showed nothing")
	}
	if awayFromB == 0 {
		t.Fatal("no tile lies away from B: the fixture shows nothing")
	}
	// Only a tile whose disclosure outcome the import moved (the rule ties
	// hexagons across the whole dataset) may be rendered again away from B.
	if awayReused*10 < awayFromB*9 {
		t.Errorf("%d of %d tiles away from B were reused, want at least 90%%", awayReused, awayFromB)
	}

	// With the rule left undecided, the log cannot tell what moved.
	n := svc.Reused()
	v3 := importAgain(b, postgis.ImportOptions{SkipDisclosure: true})
	for _, r := range reqs[:12] {
		c, err := svc.Tile(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.ETag, fmt.Sprintf(`"%d-`, v3)) {
			t.Errorf("tile ETag %s, want one of version %d", c.ETag, v3)
		}
	}
	if d := svc.Reused() - n; d != 0 {
		t.Errorf("%d tiles reused across an import that did not decide the rule", d)
	}
}

func hasLayer(r tiles.Request, level data.Level) bool {
	for _, l := range r.Layers {
		if l.Level == level {
			return true
		}
	}
	return false
}

// checkChangesLog reads the log the imports of A (version 1) and B
// (version 2) wrote: nothing between equal versions, everything across the
// first import (a full rebuild), and for B extents that cover it and not
// A's far corner (but in the provinces layer: the province holds both).
func checkChangesLog(t *testing.T, url string, store *postgis.Store) {
	t.Helper()
	ctx := context.Background()
	aBox, bBox := villagesBox(t, url, "33.26."), villagesBox(t, url, "33.27.")
	for _, tc := range []struct {
		from, to   int64
		everything bool
	}{
		{2, 2, false},
		{1, 2, false},
		{0, 2, true}, // version 1 rebuilt everything
		{0, 1, true},
	} {
		c, err := store.Changes(ctx, tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if c.Everything != tc.everything {
			t.Errorf("changes %d..%d: everything = %v, want %v", tc.from, tc.to, c.Everything, tc.everything)
		}
	}
	c, err := store.Changes(ctx, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	// B's own interior changed in every layer; A's far corner did not,
	// but in the provinces layer (the province holds both).
	bMid := orb.Bound{Min: bBox.Center(), Max: bBox.Center()}
	for _, l := range tiles.Layers {
		res := 8
		if !c.Touches(l.Level, res, bMid) {
			t.Errorf("the import of B changed nothing of layer %s at B's centre", l.Name)
		}
	}
	far := orb.Bound{Min: aBox.Min, Max: aBox.Min}
	if bBox.Intersects(far.Pad(0.1)) {
		t.Fatalf("A's corner %v lies near B %v: pick another", far.Min, bBox)
	}
	for _, l := range tiles.Layers {
		if got := c.Touches(l.Level, 8, far); got != (l.Level == data.LevelProvince) {
			t.Errorf("layer %s: the import of B touched A's far corner: %v", l.Name, got)
		}
	}
}
