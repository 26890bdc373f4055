package api

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"labmap/data/memory"

	"github.com/paulmach/orb"
)

// TestItemsWindingRFC7946 serves villages stored with every ring wound the
// wrong way and requires the GeoJSON items to come out as RFC 7946 says:
// exterior rings counter-clockwise, holes clockwise, in longitude/latitude.
func TestItemsWindingRFC7946(t *testing.T) {
	ds := testDataset()
	cw := func(x0, y0, side float64) orb.Ring {
		return orb.Ring{{x0, y0}, {x0, y0 + side}, {x0 + side, y0 + side}, {x0 + side, y0}, {x0, y0}}
	}
	ccw := func(x0, y0, side float64) orb.Ring { r := cw(x0, y0, side); r.Reverse(); return r }
	ds.Villages[0].Geometry = orb.MultiPolygon{{cw(109.66, -6.94, 0.01), ccw(109.662, -6.938, 0.001)}, {cw(109.64, -6.94, 0.005)}}
	ds.Villages[1].Geometry = orb.MultiPolygon{{ccw(109.67, -6.94, 0.01), cw(109.672, -6.938, 0.001)}}
	ds.Districts[0].Geometry = orb.MultiPolygon{{cw(109.64, -6.94, 0.04), ccw(109.65, -6.93, 0.001)}}
	ds.Zones[0].Geometry = ds.Villages[0].Geometry
	// Enough households at one place for a published hexagon: a
	// suppressed one is not listed, and would leave no ring to check.
	for i := range 5 {
		h := ds.Households[0]
		h.ID = fmt.Sprintf("x%d", i)
		ds.Households = append(ds.Households, h)
	}
	store, err := memory.New(ds, memory.Options{PrimaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{}))
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		path    string
		latLon  bool // EPSG:4326 writes latitude first
		minRing int
	}{
		{"/collections/villages/items", false, 5},
		{"/collections/villages/items?crs=http://www.opengis.net/def/crs/EPSG/0/3857", false, 5},
		{"/collections/villages/items?crs=http://www.opengis.net/def/crs/EPSG/0/4326", true, 5},
		{"/collections/districts/items", false, 1},
		{"/collections/zones/items", false, 1},
		{"/collections/hexagons_r8/items", false, 1},
	} {
		t.Run(tc.path, func(t *testing.T) {
			fc, _ := getFC(t, srv.URL+tc.path)
			rings := 0
			for i, feat := range fc.Features {
				var f struct {
					Geometry struct {
						Type        string          `json:"type"`
						Coordinates json.RawMessage `json:"coordinates"`
					}
				}
				b, _ := json.Marshal(feat.Geometry)
				if err := json.Unmarshal(b, &f.Geometry); err != nil {
					t.Fatal(err)
				}
				var polys [][][][2]float64
				if f.Geometry.Type == "Polygon" {
					var p [][][2]float64
					if err := json.Unmarshal(f.Geometry.Coordinates, &p); err != nil {
						t.Fatal(err)
					}
					polys = append(polys, p)
				} else if err := json.Unmarshal(f.Geometry.Coordinates, &polys); err != nil {
					t.Fatal(err)
				}
				for _, p := range polys {
					for j, r := range p {
						a := 0.0
						for k := 0; k+1 < len(r); k++ {
							a += r[k][0]*r[k+1][1] - r[k+1][0]*r[k][1]
						}
						if tc.latLon {
							a = -a
						}
						rings++
						if a == 0 || (a > 0) != (j == 0) {
							t.Errorf("feature %d ring %d (hole %v): signed area %g in lon/lat", i+1, j+1, j > 0, a)
						}
					}
				}
			}
			if rings < tc.minRing {
				t.Errorf("only %d rings checked", rings)
			}
		})
	}
}
