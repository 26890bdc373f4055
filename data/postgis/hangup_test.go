package postgis_test

import (
	"testing"

	"labmap/api/apitest"

	"github.com/paulmach/orb/maptile"
)

// TestTileClientHangsUp: the first of two clients of one cold tile hangs
// up while the render waits; the second still gets the tile. On PostGIS a
// render's SQL ran on the first client's context, so the others got 500
// (issue 15: 8 of 8 tries).
func TestTileClientHangsUp(t *testing.T) {
	_, pg, _, _ := bothStores(t)
	tile := maptile.At([2]float64{109.665, -6.935}, 14)
	apitest.TileClientHangsUp(t, pg, apitest.TilePath("villages,zones", tile))
}
