package api_test

import (
	"testing"

	"labmap/api/apitest"
	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"

	"github.com/paulmach/orb/maptile"
)

// TestTileClientHangsUp runs the hang-up check on the memory store;
// data/postgis runs it on PostGIS, where the render's SQL must outlive the
// first client too.
func TestTileClientHangsUp(t *testing.T) {
	ds, err := demo.Generate(demo.Options{Households: 2000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		t.Fatal(err)
	}
	mem, err := memory.New(ds, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tile := maptile.At([2]float64{109.665, -6.935}, 14)
	apitest.TileClientHangsUp(t, mem, apitest.TilePath("villages,zones", tile))
}
