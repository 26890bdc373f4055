package postgis

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
	"github.com/twpayne/go-geom/encoding/wkb"
)

// PostGIS reads EWKB in its binary protocol, so geometries go into COPY as
// EWKB bytes with SRID 4326 and come back as WKB from ST_AsBinary.

func pointEWKB(p orb.Point) ([]byte, error) {
	g := geom.NewPointFlat(geom.XY, []float64{p[0], p[1]}).SetSRID(4326)
	return ewkb.Marshal(g, ewkb.NDR)
}

func polygonFlat(p orb.Polygon) ([]float64, []int) {
	var flat []float64
	var ends []int
	for _, ring := range p {
		for _, pt := range ring {
			flat = append(flat, pt[0], pt[1])
		}
		ends = append(ends, len(flat))
	}
	return flat, ends
}

func polygonEWKB(p orb.Polygon) ([]byte, error) {
	flat, ends := polygonFlat(p)
	return ewkb.Marshal(geom.NewPolygonFlat(geom.XY, flat, ends).SetSRID(4326), ewkb.NDR)
}

// multiPolygonEWKB returns nil for an empty geometry, which COPY stores as NULL.
func multiPolygonEWKB(mp orb.MultiPolygon) ([]byte, error) {
	if len(mp) == 0 {
		return nil, nil
	}
	out := geom.NewMultiPolygon(geom.XY).SetSRID(4326)
	for _, p := range mp {
		flat, ends := polygonFlat(p)
		if err := out.Push(geom.NewPolygonFlat(geom.XY, flat, ends)); err != nil {
			return nil, err
		}
	}
	return ewkb.Marshal(out, ewkb.NDR)
}

func multiPolygonFromWKB(b []byte) (orb.MultiPolygon, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode WKB: %w", err)
	}
	var polys []*geom.Polygon
	switch t := g.(type) {
	case *geom.MultiPolygon:
		for i := 0; i < t.NumPolygons(); i++ {
			polys = append(polys, t.Polygon(i))
		}
	case *geom.Polygon:
		polys = append(polys, t)
	default:
		return nil, fmt.Errorf("decode WKB: %T is not a polygon", g)
	}
	mp := make(orb.MultiPolygon, 0, len(polys))
	for _, p := range polys {
		var op orb.Polygon
		for i := 0; i < p.NumLinearRings(); i++ {
			lr := p.LinearRing(i)
			ring := make(orb.Ring, lr.NumCoords())
			for j := range ring {
				c := lr.Coord(j)
				ring[j] = orb.Point{c.X(), c.Y()}
			}
			op = append(op, ring)
		}
		mp = append(mp, op)
	}
	return mp, nil
}
